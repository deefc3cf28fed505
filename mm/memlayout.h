/*
 * Kestrel's address-space layout (x86_64, 4-level paging, 48-bit canonical addresses), inside the
 * bounds the machine fixes (<machine/vmparam.h>: the halves, the page and superpage sizes).
 *
 * Virtual
 *   0xffff_ffff_ffff_ffff +---------------------------------------+
 *                         | kernel image (text, rodata, data, bss)|  KERNEL_BASE + physical load addr
 *   0xffff_ffff_8000_0000 +---------------------------------------+  KERNEL_BASE   (PML4 slot 511)
 *                         | unused                                |
 *                         | BPF JIT code (RX once written; NX     |  KVA_BPF_JIT .. + 128 MiB
 *                         | while the JIT writes it)              |
 *   0xffff_c000_4000_0000 +---------------------------------------+  KVA_BPF_JIT
 *                         | kernel scratch mappings (self-tests)  |  KVA_SCRATCH .. + 1 GiB
 *   0xffff_c000_0000_0000 +---------------------------------------+  DMAP_END
 *                         | direct map of all physical memory     |  1 GiB pages when the CPU has
 *                         | (read+write, NX)                      |  them, else 2 MiB pages
 *   0xffff_8000_0000_0000 +---------------------------------------+  DMAP_BASE     (PML4 slot 256)
 *                         | non-canonical hole                    |
 *   0x0000_7fff_ffff_f000 +---------------------------------------+  USER_MAX
 *                         | aslr=0: the user stack (256 KiB,      |  USER_STACK_SIZE
 *                         | grows down), its guard entry (1 MiB)  |  USER_STACK_GUARD
 *   0x0000_7fff_ffeb_f000 +---------------------------------------+
 *                         | callback trampoline page (fixed: ABI) |  BPF_CB_TRAMPOLINE
 *   0x0000_7fff_ffeb_e000 +---------------------------------------+  USER_CB_TRAMPOLINE
 *                         | ASLR: the stack ends at a random page |  = ASLR_STACK_TOP_MAX
 *                         | boundary in [TOP_MIN, TOP_MAX] (16    |  stack top: 22 bits,
 *                         | GiB), its guard entry right below it  |  4 KiB steps
 *   0x0000_7ffb_ffeb_f000 +---------------------------------------+  ASLR_STACK_TOP_MIN
 *                         | (the lowest stack and its guard)      |
 *   0x0000_7ffb_ffd7_f000 +---------------------------------------+  USER_IMAGE_LIMIT
 *                         | free: hint-0 mmaps go on upwards here |
 *   0x0000_4000_ffe0_0000 +---------------------------------------+  ASLR_MMAP_BASE_MAX
 *                         | ASLR: hint-0 mmap starts at a random  |  mmap base: 25 bits,
 *                         | 2 MiB boundary in this 64 TiB         |  2 MiB steps
 *                         | (vm_map.anon_loc), first fit upwards, |
 *                         | else first fit from USER_MIN          |
 *   0x0000_0001_0000_0000 +---------------------------------------+  ASLR_MMAP_BASE_MIN
 *                         | program text and data at 0x40_0000    |
 *                         | (linked there: programs are not PIE); |
 *                         | aslr=0: hint-0 mmap takes the first   |
 *                         | fit from USER_MIN, so small mappings  |
 *                         | may land below the program too        |
 *   0x0000_0000_0000_1000 +---------------------------------------+  USER_MIN
 *                         | page 0: never mapped (NULL faults)    |
 *   0x0000_0000_0000_0000 +---------------------------------------+
 *
 * ASLR (mm/aslr.h; "aslr=0" on the kernel command line turns it off; the boot line "aslr: ..."
 * prints the entropy): every exec draws a new stack top and a new mmap base. Entropy: 22 bits for
 * the stack (Linux's x86-64 figure: 2^22 pages, 16 GiB) and 25 bits for the mmap base (2^25
 * superpage steps, 64 TiB, about what FreeBSD's amd64 anon_loc gets: it too is superpage aligned,
 * in the lower half of the space above the heap). The base moves in 2 MiB steps so that the
 * first hint-0 mapping of every task starts on a superpage boundary; MAP_ALIGNED_SUPER and
 * MAP_ALIGNED(n) still find the first suitably aligned fit at or above it. Explicit hints,
 * MAP_FIXED and the program image do not move; neither does the trampoline page, whose address is
 * ABI, so with ASLR the stack lives below it.
 *
 * Kernel half = PML4 slots 256..511, shared by every pmap; user half = slots 0..255, per task.
 *
 * Physical
 *   0x0000_0000 - 0x0010_0000   first MiB: BIOS, real-mode IVT, VGA; never allocated
 *   0x0010_0000 - _kernel_end   kernel image loaded by GRUB (linker.ld: KERNEL_LOAD)
 *   ...                         multiboot2 information and modules (reserved until parsed)
 *   the rest of the multiboot2 "available" ranges  -> buddy allocator (mm/pmm.c)
 */
#ifndef MM_MEMLAYOUT_H
#define MM_MEMLAYOUT_H

#include "mm/types.h"

#define KERNEL_BASE 0xffffffff80000000ull
#define KERNEL_LOAD 0x100000ull
#define DMAP_BASE VM_MIN_KERNEL_ADDRESS /* the first address of the kernel half */
#define DMAP_SIZE 0x0000400000000000ull /* 64 TiB of physical memory at most */
#define DMAP_END (DMAP_BASE + DMAP_SIZE)
/*
 * How much of physical memory the boot page tables (arch/x86_64/boot/entry.S: 16 page
 * directories of 2 MiB pages) map at DMAP_BASE until pmap_bootstrap builds the real direct map:
 * anything the kernel touches through phys_to_virt before then must lie below it.
 */
#define BOOT_DMAP_SIZE (16ull << 30)
#define KVA_SCRATCH DMAP_END /* 1 GiB of kernel address space that nothing else maps */
#define KVA_SCRATCH_SIZE 0x40000000ull
/*
 * JIT-compiled BPF programs (kernel/bpf/jit_mem.c hands out its pages): a range of its own, so
 * that the fault path can tell JIT code by its address alone, and nothing else ever maps
 * executable pages there.
 */
#define KVA_BPF_JIT (KVA_SCRATCH + KVA_SCRATCH_SIZE)
#define KVA_BPF_JIT_SIZE 0x8000000ull
#define USER_MIN 0x1000ull
/* 0x7ffffffff000: the last page below the user half's top stays unused. */
#define USER_MAX (VM_MAXUSER_ADDRESS - (1ull << PAGE_SHIFT))

/* The user stack: USER_STACK_SIZE bytes ending at the task's stack top, a guard entry below. */
#define USER_STACK_SIZE (256 * 1024)
#define USER_STACK_GUARD (1024 * 1024)
/* The callback trampoline page (BPF_CB_TRAMPOLINE, kernel/callback.h): below the aslr=0 stack's guard. */
#define USER_CB_TRAMPOLINE (USER_MAX - USER_STACK_SIZE - USER_STACK_GUARD - PAGE_SIZE)

/* ASLR's ranges (mm/aslr.h): the stack top and the hint-0 mmap base, each a power of two of steps. */
#define ASLR_STACK_BITS 22
#define ASLR_STACK_STEP PAGE_SIZE
#define ASLR_STACK_TOP_MAX USER_CB_TRAMPOLINE
#define ASLR_STACK_TOP_MIN (ASLR_STACK_TOP_MAX - ((1ull << ASLR_STACK_BITS) - 1) * ASLR_STACK_STEP)
#define ASLR_MMAP_BITS 25
#define ASLR_MMAP_STEP SUPERPAGE_SIZE
#define ASLR_MMAP_BASE_MIN \
	0x100000000ull /* 4 GiB: clear of the program and of low fixed mappings */
#define ASLR_MMAP_BASE_MAX (ASLR_MMAP_BASE_MIN + ((1ull << ASLR_MMAP_BITS) - 1) * ASLR_MMAP_STEP)

/* Program segments end at or below this: under the lowest stack ASLR can choose, and its guard. */
#define USER_IMAGE_LIMIT (ASLR_STACK_TOP_MIN - USER_STACK_SIZE - USER_STACK_GUARD)

/*
 * Base of the direct map. DMAP_BASE in the kernel; host tests point it at a simulated physical
 * arena so that mm/ and the page-table code run unchanged there.
 */
extern uintptr_t dmap_base;

/*
 * Bytes of physical memory the direct map covers now: BOOT_DMAP_SIZE until pmap_bootstrap maps all
 * of it (host tests: the arena's size).
 */
extern vm_size_t dmap_size;

/* The kernel virtual address of physical address pa, through the direct map. */
static inline void *phys_to_virt(vm_paddr_t pa)
{
	return (void *)(uintptr_t)(pa + dmap_base);
}

/* The physical address behind a direct-map address (not a kernel-image address). */
static inline vm_paddr_t virt_to_phys(const void *va)
{
	return (vm_paddr_t)((uintptr_t)va - dmap_base);
}

/* Physical address of a kernel-image symbol (text, data, bss). */
#define kimg_to_phys(va) ((vm_paddr_t)((uintptr_t)(va)-KERNEL_BASE))

#endif
