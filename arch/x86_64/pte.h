/*
 * x86_64 page-table entries for 4-level paging (Intel SDM vol. 3A, 4.5; AMD APM vol. 2, 5.3): the
 * only file that knows their bit positions, and where MMU_* flags are translated to and from them.
 *
 * A 48-bit virtual address is split into four 9-bit table indices and a 12-bit page offset:
 *
 *   47      39 38      30 29      21 20      12 11         0
 *   +---------+----------+----------+----------+------------+
 *   |  PML4   |   PDPT   |    PD    |    PT    |   offset   |
 *   +---------+----------+----------+----------+------------+
 *    level 4    level 3    level 2    level 1
 *
 * A table at level L holds 512 entries, each covering pt_level_size(L) bytes. An entry at level 1
 * maps a 4 KiB page; at level 2 or 3 it either points to the next table or, with PTE_PS, maps a
 * 2 MiB or 1 GiB page itself (a "leaf"); level-4 entries always point to a PDPT. Bits 63..48 of a
 * canonical address copy bit 47.
 */
#ifndef ARCH_X86_64_PTE_H
#define ARCH_X86_64_PTE_H

#include "mm/mmu.h"
#include "mm/types.h"

typedef uint64_t pt_entry_t;
_Static_assert(sizeof(pt_entry_t) == 8, "an x86_64 page-table entry is 64 bits");

#define PTE_P (1ull << 0)          /* present */
#define PTE_RW (1ull << 1)         /* writable (CR0.WP makes this bind the kernel too) */
#define PTE_US (1ull << 2)         /* reachable from ring 3 */
#define PTE_PWT (1ull << 3)        /* write-through */
#define PTE_PCD (1ull << 4)        /* cache disable */
#define PTE_A (1ull << 5)          /* accessed: set by the CPU */
#define PTE_D (1ull << 6)          /* dirty: set by the CPU, leaves only */
#define PTE_PS (1ull << 7)         /* level 2/3: this entry is a 2 MiB / 1 GiB leaf */
#define PTE_PAT_4K (1ull << 7)     /* level 1: PAT index bit (same position as PS) */
#define PTE_G (1ull << 8)          /* global: survives CR3 loads; Kestrel never sets it */
#define PTE_PAT_LARGE (1ull << 12) /* level 2/3 leaves: PAT index bit */
#define PTE_NX (1ull << 63)        /* no execute (needs EFER.NXE, set by arch/x86_64/boot/) */
#define PTE_ADDR_MASK 0x000ffffffffff000ull /* physical address bits 51..12 */

#define PTE_PHYS_LIMIT (1ull << 52) /* physical addresses are below this */

/* The bits that MMU_* flags control; everything else in a leaf is address, type or CPU state. */
#define PTE_PROT_MASK (PTE_RW | PTE_US | PTE_NX)
/* The bits a 2 MiB leaf passes to the 512 PTEs that replace it when split (PAT moves, see below). */
#define PTE_SPLIT_MASK \
	(PTE_P | PTE_RW | PTE_US | PTE_PWT | PTE_PCD | PTE_A | PTE_D | PTE_G | PTE_NX)

#define PT_ENTRIES 512
/* PT_LEVELS and the canonical halves are <machine/vmparam.h>'s (included through mm/types.h). */

/* The first PML4 slot of the kernel half. */
#define PML4_KERNEL_SLOT 256

static inline unsigned pt_level_shift(int level)
{
	return PAGE_SHIFT + 9 * (unsigned)(level - 1);
}

/* Bytes covered by one entry of a level-`level` table. */
static inline vm_size_t pt_level_size(int level)
{
	return (vm_size_t)1 << pt_level_shift(level);
}

/* Index of va's entry in the level-`level` table that covers it. */
static inline unsigned pt_index(vm_offset_t va, int level)
{
	return (unsigned)(va >> pt_level_shift(level)) & (PT_ENTRIES - 1);
}

static inline bool va_canonical(vm_offset_t va)
{
	return va < VM_MAXUSER_ADDRESS || va >= VM_MIN_KERNEL_ADDRESS;
}

/* Whether entry e (present) of a level-`level` table maps a page rather than pointing to a table. */
static inline bool pte_is_leaf(pt_entry_t e, int level)
{
	return level == 1 || (e & PTE_PS);
}

/*
 * The physical address in present entry e of a level-`level` table: the next table, or the page.
 * In a large leaf bit 12 is PAT, not address, so the mask depends on what e is.
 */
static inline vm_paddr_t pte_addr(pt_entry_t e, int level)
{
	if (level > 1 && (e & PTE_PS))
		return e & PTE_ADDR_MASK & ~(pt_level_size(level) - 1);
	return e & PTE_ADDR_MASK;
}

/*
 * An entry pointing to a next-level table. Permissions are decided by the leaves alone, so tables
 * allow everything their half may hold: writable, and user-reachable in the user half. Never NX:
 * NX in a table entry would forbid execution in all pages beneath it.
 */
static inline pt_entry_t pte_table(vm_paddr_t table_pa, bool user_half)
{
	return table_pa | PTE_P | PTE_RW | (user_half ? PTE_US : 0);
}

/* The PTE_PROT_MASK bits for MMU_* flags. Every present page is readable on x86_64. */
static inline pt_entry_t pte_prot(unsigned mmu_flags)
{
	pt_entry_t b = 0;
	if (mmu_flags & MMU_WRITE)
		b |= PTE_RW;
	if (mmu_flags & MMU_USER)
		b |= PTE_US;
	if (!(mmu_flags & MMU_EXEC))
		b |= PTE_NX;
	return b;
}

/* The MMU_* flags of present leaf e. */
static inline unsigned pte_to_mmu(pt_entry_t e)
{
	unsigned f = MMU_READ;
	if (e & PTE_RW)
		f |= MMU_WRITE;
	if (e & PTE_US)
		f |= MMU_USER;
	if (!(e & PTE_NX))
		f |= MMU_EXEC;
	return f;
}

/* The MMU_ACCESSED / MMU_DIRTY status of present leaf e: its A and D bits, as the CPU set them. */
static inline unsigned pte_to_mmu_status(pt_entry_t e)
{
	return (e & PTE_A ? MMU_ACCESSED : 0) | (e & PTE_D ? MMU_DIRTY : 0);
}

/* A leaf of a level-`level` table mapping the page at pa (aligned to the level's size). */
static inline pt_entry_t pte_leaf(vm_paddr_t pa, int level, pt_entry_t prot)
{
	return pa | PTE_P | prot | (level > 1 ? PTE_PS : 0);
}

/*
 * The bits, without the address, of each of the 512 PTEs that replace 2 MiB leaf e: the same
 * permissions, caching and CPU-set A/D state; the PAT bit moves from bit 12 to bit 7.
 */
static inline pt_entry_t pte_split_bits(pt_entry_t e)
{
	return (e & PTE_SPLIT_MASK) | ((e & PTE_PAT_LARGE) ? PTE_PAT_4K : 0);
}

/* Entries are read and written whole: the CPU walks them concurrently and must never see a torn one. */
static inline pt_entry_t pte_load(const pt_entry_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}
static inline void pte_store(pt_entry_t *p, pt_entry_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

#endif
