/*
 * The physical memory manager: a binary buddy allocator over 4 KiB frames, orders 0 (4 KiB)
 * through PMM_MAX_ORDER (4 MiB). A block of order k is 2^k contiguous frames aligned to its size,
 * so an order-9 block is a 2 MiB-aligned 2 MiB frame for a superpage.
 *
 * All functions take the allocator's spinlock themselves and may be called from any context.
 */
#ifndef MM_PMM_H
#define MM_PMM_H

#include "mm/types.h"
#include "mm/vm_page.h"

#define PMM_MAX_ORDER 10

#define PMM_ZERO 0x1 /* pmm_alloc_order flag: the block comes back filled with zeroes */

/* A physical address range [start, end). */
struct pmm_range {
	vm_paddr_t start, end;
};

/*
 * Take over physical memory: every frame inside one of the `nusable` usable ranges and outside all
 * `nreserved` reserved ranges becomes free; all else is never handed out. Ranges need not be
 * sorted or page-aligned (usable ones are rounded inwards, reserved ones outwards). The vm_page
 * array is carved out of the lowest usable memory that holds it, clear of the reserved ranges,
 * and reached through phys_to_virt, so the direct map must cover it; frames of it that describe
 * only 4 MiB chunks without usable memory are handed back (see mm/pmm.c). May be called again to
 * start over (host tests do); everything allocated before is forgotten. Panics if there is no
 * usable memory or no usable range can hold the vm_page array.
 */
void pmm_init(const struct pmm_range *usable, size_t nusable, const struct pmm_range *reserved,
	      size_t nreserved);

/*
 * Allocate a block of 2^order frames, aligned to its size. flags: PMM_ZERO. Returns the head page
 * with ref_count 1, or NULL when no block of that order can be had (never panics). O(1) amortized.
 */
vm_page_t pmm_alloc_order(unsigned order, unsigned flags);

/*
 * pmm_alloc_order, but only a block that lies wholly below physical address limit: NULL if no
 * free block of that order or larger does, even if others are free. It passes over the free
 * blocks above limit one by one, so it is for boot, where the frames must be reachable through
 * the early direct map (pmap_bootstrap), not for hot paths.
 */
vm_page_t pmm_alloc_order_below(unsigned order, unsigned flags, vm_paddr_t limit);

/*
 * Free a block returned by pmm_alloc_order (the head page; its order is remembered), whatever its
 * ref_count. Coalesces with free buddies. The caller must have cleared any flags it set on the
 * block's non-head frames. Panics on a double free, a non-head frame or a reserved frame.
 */
void pmm_free(vm_page_t page);

/*
 * Turn an allocated block of 2^order frames into 2^order independent order-0 frames, each with
 * ref_count 1 and the head's flags, that may be freed one by one (Linux's split_page); the buddy
 * system coalesces them again as they come back. Used when part of a 2 MiB page is unmapped and
 * the rest stays. Panics if page is not the head of an allocated block.
 */
void pmm_split(vm_page_t page);

/*
 * The head page of the free or allocated block that contains page, or NULL if page is reserved.
 * O(PMM_MAX_ORDER). Takes the allocator's lock.
 */
vm_page_t pmm_block_head(vm_page_t page);

/* Free frames right now, in 4 KiB frames. */
size_t pmm_free_count(void);
/* Frames the allocator manages (free or allocated), in 4 KiB frames. */
size_t pmm_total_count(void);
/* Free blocks of exactly this order right now (0 for order > PMM_MAX_ORDER). */
size_t pmm_free_blocks(unsigned order);

/*
 * How many times pmm_init has run. A layer that keeps frames cached (mm/kmem.c) compares it with
 * the value it saw last to notice that a re-initialization forgot all of them.
 */
unsigned pmm_generation(void);

/*
 * Check the allocator's invariants (free lists consistent with the vm_page flags, no overlapping
 * or misaligned free blocks, free count exact). Returns NULL, or a message naming the broken one.
 */
const char *pmm_check(void);

#endif
