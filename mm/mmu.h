/*
 * The arch-neutral MMU interface. mm/ calls only these; arch/x86_64/pmap.c implements them with
 * 4-level page tables. Flags are neutral (MMU_*); the arch translates them to PTE bits.
 *
 * Locking: each pmap has its own spinlock, taken by these functions; callers need none. Callers
 * that must keep a pmap consistent with other state (vm_map) hold their own lock around the call.
 *
 * Page-table pages come from a replaceable allocator (mmu_set_pt_allocator), so that host tests run
 * this very code over a simulated physical arena.
 */
#ifndef MM_MMU_H
#define MM_MMU_H

#include "mm/types.h"

#define MMU_READ 0x1  /* every present mapping is readable on x86_64; kept for clarity */
#define MMU_WRITE 0x2
#define MMU_EXEC 0x4  /* without it the mapping is NX */
#define MMU_USER 0x8  /* reachable from ring 3 */

typedef struct pmap *pmap_t;

/*
 * Page-table page allocator: alloc returns the physical address of a zeroed 4 KiB frame, or 0 when
 * out of memory; free takes one back. The default uses pmm. Host tests install their own.
 */
struct mmu_pt_allocator {
	vm_paddr_t (*alloc)(void);
	void (*free)(vm_paddr_t pa);
};
void mmu_set_pt_allocator(const struct mmu_pt_allocator *a);

/* The kernel's pmap: the direct map, the kernel image, and nothing of any user. */
pmap_t pmap_kernel(void);

/*
 * A new user pmap whose kernel half (PML4 slots 256..511) is the kernel pmap's. Returns NULL when
 * out of memory.
 */
pmap_t pmap_create(void);

/*
 * Destroy a user pmap: frees every page-table page of its user half and the pmap itself. Frames
 * still mapped are not freed (their owners free them); the pmap must not be active.
 */
void pmap_destroy(pmap_t pmap);

/*
 * Map [va, va + len) to [pa, pa + len) with flags. va, pa and len are 4 KiB aligned. Uses a 2 MiB
 * page wherever va and pa are 2 MiB aligned and at least 2 MiB remain, 4 KiB pages elsewhere.
 * Returns 0; -EEXIST if any page of the range is already mapped; -ENOMEM if a page-table page
 * could not be had. On failure nothing of the range is mapped.
 */
int pmap_enter(pmap_t pmap, vm_offset_t va, vm_paddr_t pa, vm_size_t len, unsigned flags);

/*
 * Unmap whatever is mapped in [va, va + len) (4 KiB aligned). A 2 MiB page partly covered is first
 * split into 4 KiB pages so that the rest stays mapped. Page-table pages that become empty are
 * freed; TLB entries are invalidated. Returns 0, or -ENOMEM if a split needed a page-table page and
 * none could be had (then the pages before that 2 MiB page are unmapped, it and those after are not).
 */
int pmap_remove(pmap_t pmap, vm_offset_t va, vm_size_t len);

/*
 * Set the flags of every mapped page in [va, va + len) (4 KiB aligned) to flags; unmapped pages
 * stay unmapped. Splits partly covered 2 MiB pages. Returns 0 or -ENOMEM as pmap_remove.
 */
int pmap_protect(pmap_t pmap, vm_offset_t va, vm_size_t len, unsigned flags);

/*
 * Look up va. Returns true if mapped, with the physical address of va itself, the mapping's MMU_*
 * flags and its page size (PAGE_SIZE, SUPERPAGE_SIZE or 1 GiB) stored through any non-NULL pointer.
 */
bool pmap_query(pmap_t pmap, vm_offset_t va, vm_paddr_t *pa, unsigned *flags, vm_size_t *page_size);

/* Page-table pages this pmap owns (its user half, or for the kernel pmap all of it). */
size_t pmap_pt_pages(pmap_t pmap);

/* Make pmap the current address space of this CPU (loads CR3). */
void pmap_activate(pmap_t pmap);

#endif
