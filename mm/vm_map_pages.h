/*
 * A walk over the resident pages of a map entry's range, in address order, with how the map's
 * pmap maps each one. Everything that counts or checks an entry's mappings walks this way: every
 * page an entry maps is one of its object's resident pages (vm_map.h, M7), so visiting the
 * object's resident pages in the entry's range and asking the pmap about each one costs what is
 * resident, not what is mapped-to-be, however large the entry.
 *
 *	struct vm_map_pages it;
 *	vm_map_pages_init(&it, map, entry, start, end);
 *	while (vm_map_pages_next(&it))
 *		... it.va, it.page, it.size (0: not mapped), it.pa, it.flags ...
 *
 * Contract, for the whole walk: the map lock held (read is enough) and the entry neither changed
 * nor freed. Pages leave an object only under the map's write lock, so a page the walk returned
 * stays resident for as long as the caller holds the map lock; a page that a fault adds meanwhile
 * (faults run under the read lock) may or may not be visited. The walk takes the object's lock
 * only while it looks up the next page: the caller must not hold it when calling
 * vm_map_pages_next, and may take it between steps. An entry without object (anonymous memory
 * never touched) has no resident page; in a map without pmap every page is unmapped (size 0).
 */
#ifndef MM_VM_MAP_PAGES_H
#define MM_VM_MAP_PAGES_H

#include "mm/vm_map.h"

struct vm_map_pages {
	/* After vm_map_pages_next returned true: */
	vm_offset_t va; /* the page's address */
	vm_page_t page; /* the entry's object page at va, resident */
	vm_size_t size; /* the pmap's mapping of va: PAGE_SIZE or SUPERPAGE_SIZE; 0 if not mapped */
	vm_paddr_t pa;  /* where the mapping sends va (size != 0) */
	unsigned flags; /* the mapping's MMU_* flags (size != 0) */
	unsigned status; /* the mapping's MMU_ACCESSED / MMU_DIRTY (mm/mmu.h; 0 if not mapped) */
	/* The walk's own: */
	vm_map_t map;
	vm_map_entry_t entry;
	uint64_t next, end; /* object page indices still to look at: [next, end) */
};

/*
 * Start a walk over [start, end) of entry, clamped to the entry (start < end not needed: an empty
 * range is a walk that ends at once). start and end page aligned.
 */
void vm_map_pages_init(struct vm_map_pages *it, vm_map_t map, vm_map_entry_t entry,
		       vm_offset_t start, vm_offset_t end);

/* Step to the next resident page: true with the fields above filled in, false at the end. */
bool vm_map_pages_next(struct vm_map_pages *it);

/*
 * Go on at va instead of after the last page returned: the next step returns the first resident
 * page at or above va (the end, if va is at or past the range's end). va page aligned and above the
 * last page returned; the pages skipped are never looked at (e.g. the rest of a 2 MiB mapping, to
 * count it once: vm_map_pages_skip(&it, (it.va & ~SUPERPAGE_MASK) + SUPERPAGE_SIZE)).
 */
void vm_map_pages_skip(struct vm_map_pages *it, vm_offset_t va);

/*
 * Whether e holds an aligned 2 MiB slot at all: the only places a 2 MiB page can be mapped (a
 * look at the entry's bounds, no walk; no lock needed for a stable entry).
 */
static inline bool vm_map_entry_superpage_slot(const struct vm_map_entry *e)
{
	vm_offset_t first_slot = (e->start + SUPERPAGE_MASK) & ~SUPERPAGE_MASK;

	return first_slot >= e->start && first_slot < (e->end & ~SUPERPAGE_MASK);
}

/* vm_map_entry_has_superpage's walk, for an entry with a slot. */
bool vm_map_entry_superpage_walk(vm_map_t map, const struct vm_map_entry *e);

/*
 * Whether a 2 MiB page is mapped inside e (a VMA's VM_SUPERPAGE). Walks the aligned 2 MiB slots
 * wholly inside e and looks at one resident page per slot at most, so a huge, sparsely touched
 * entry costs what is resident, and an entry without a slot a look at its bounds. Map lock held
 * (read is enough).
 */
static inline bool vm_map_entry_has_superpage(vm_map_t map, const struct vm_map_entry *e)
{
	return vm_map_entry_superpage_slot(e) && vm_map_entry_superpage_walk(map, e);
}

/*
 * mincore's bytes for [start, end) (page aligned, start < end): one per page into vec (end - start
 * pages' worth), as FreeBSD's pmap_mincore and kern_mincore make them. A page resident in its
 * entry's object is MINCORE_INCORE; if the pmap maps it, also MINCORE_PSIND(1) when by a 2 MiB
 * page, MINCORE_REFERENCED | MINCORE_REFERENCED_OTHER when the mapping is MMU_ACCESSED and
 * MINCORE_MODIFIED | MINCORE_MODIFIED_OTHER when it is MMU_DIRTY (FreeBSD's _OTHER bits say "by
 * any mapping"; Kestrel shares no page between pmaps, so "any" is this one). A resident page the
 * pmap does not map (PROT_NONE, or a 2 MiB page unmapped whole for want of memory) is INCORE
 * only: Kestrel keeps no accessed or dirty state in the page itself, where FreeBSD's vm_page
 * would. Every other page is 0, guards' included. Returns KERN_SUCCESS; KERN_INVALID_ARGUMENT for
 * a range not page aligned or empty; KERN_INVALID_ADDRESS if a page of the range lies in no entry
 * (vec then holds the bytes of the pages before it, zeros after). O(entries in the range +
 * resident pages). Map lock held (read is enough).
 */
int vm_map_mincore(vm_map_t map, vm_offset_t start, vm_offset_t end, uint8_t *vec);

#endif
