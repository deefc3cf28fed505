/*
 * Address maps (contract and invariants in mm/vm_map.h).
 *
 * Entries sit on a doubly linked list in address order, which every walk uses, and in the map's
 * tree (mm/vm_map_tree.h), which answers "which entry holds this address" and "where is the
 * lowest gap of this length above that address" in one descent each. This file keeps the map
 * logic (clip, coalesce, protect, remove, find) and tells the tree about the only three changes
 * that move a gap: linking an entry, unlinking one, and changing an entry's end (clip, merge).
 * Entry starts never change in place.
 *
 * Operations that may clip take every entry and every tree node they could need before they
 * change anything, so that running out of memory leaves the map as it was.
 */
#include "mm/vm_map.h"
#include "kernel/preempt.h"
#include "kernel/kprintf.h"
#include "kernel/panic.h"
#include "mm/kmem.h"
#include "mm/vm_map_pages.h"
#include "uapi/errno.h"

/* of entries aligned to 64, each on a cache line of its own */
static struct kmem_cache *entry_cache;
static struct kmem_cache *map_cache; /* maps are cache-line aligned (struct vm_map) */
_Static_assert(sizeof(struct vm_map_entry) <= 64, "an entry fits one cache line");

/* ---------------------------------------------------------------------------------------------
 * Entries and tree nodes taken ahead of time: a remove clips at most twice, a fixed mapping adds
 * one more, or two for a guarded stack (its guard and its stack). Every new entry goes into the
 * tree, so the tree reserves one insert per entry.
 */
#define RESERVE_MAX 4

struct entry_reserve {
	vm_map_entry_t e[RESERVE_MAX];
	unsigned n;
};

static void reserve_release(struct entry_reserve *r)
{
	while (r->n)
		kmem_cache_free(entry_cache, r->e[--r->n]);
}

static bool reserve_fill(vm_map_t map, struct entry_reserve *r, unsigned n)
{
	while (r->n < n) {
		vm_map_entry_t e = kmem_cache_alloc(entry_cache);
		if (!e) {
			reserve_release(r);
			return false;
		}
		r->e[r->n++] = e;
	}
	if (!vm_map_tree_reserve(&map->tree, n)) {
		reserve_release(r);
		return false;
	}
	return true;
}

static vm_map_entry_t reserve_take(struct entry_reserve *r)
{
	KASSERT(r->n > 0, "vm_map: entry reserve exhausted");
	return r->e[--r->n];
}

/* ---------------------------------------------------------------------------------------------
 * The list and the tree.
 */
/* Link e after `after`; at (NULL: none) is where a search of the tree found e's place. */
static void entry_link(vm_map_t map, vm_map_entry_t after, vm_map_entry_t e,
		       const struct vm_map_tree_cursor *at)
{
	e->prev = after;
	e->next = after->next;
	after->next->prev = e;
	after->next = e;
	map->nentries++;
	if (at)
		vm_map_tree_insert_at(&map->tree, at, e);
	else
		vm_map_tree_insert(&map->tree, e);
}

/* Unlink e; at (NULL: none) is where a lookup of the tree found e. */
static void entry_unlink(vm_map_t map, vm_map_entry_t e, const struct vm_map_tree_cursor *at)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	map->nentries--;
	if (at)
		vm_map_tree_remove_at(&map->tree, at, e);
	else
		vm_map_tree_remove(&map->tree, e);
	for (int i = 0; i < VM_MAP_CPU_SLOTS; i++)
		if (__atomic_load_n(&map->cpu[i].hint, __ATOMIC_RELAXED) == e)
			__atomic_store_n(&map->cpu[i].hint, NULL, __ATOMIC_RELAXED);
}

/* The last entry with start <= addr, or the header if there is none. */
static vm_map_entry_t entry_at_or_before(vm_map_t map, vm_offset_t addr)
{
	vm_map_entry_t e = vm_map_tree_lookup(&map->tree, addr, NULL);
	return e ? e : &map->header;
}

/* The entry containing addr, or NULL. */
static vm_map_entry_t entry_containing(vm_map_t map, vm_offset_t addr)
{
	vm_map_entry_t e = vm_map_tree_lookup(&map->tree, addr, NULL);
	return e && addr < e->end ? e : NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Lookup and free-space search.
 */
/*
 * vm_map_lookup_entry past the CPU's hint: the tree search, and the entry found becomes the hint.
 * Out of line, so that a lookup the hint answers saves no registers for it.
 */
static __attribute__((noinline)) bool lookup_entry_in_tree(vm_map_t map, vm_offset_t addr,
							   vm_map_entry_t *hint,
							   vm_map_entry_t *entry)
{
	vm_map_entry_t e = entry_at_or_before(map, addr);
	if (e == &map->header) {
		*entry = NULL;
		return false;
	}
	*entry = e;
	if (addr >= e->end)
		return false;
	__atomic_store_n(hint, e, __ATOMIC_RELAXED);
	return true;
}

bool vm_map_lookup_entry(vm_map_t map, vm_offset_t addr, vm_map_entry_t *entry)
{
	KASSERT(rw_locked(&map->lock), "vm_map_lookup_entry: map not locked");
	vm_map_entry_t *hint = &map->cpu[cpu_this_id() % VM_MAP_CPU_SLOTS].hint;
	vm_map_entry_t h = __atomic_load_n(hint, __ATOMIC_RELAXED);
	if (h && h->start <= addr && addr < h->end) {
		*entry = h;
		return true;
	}
	return lookup_entry_in_tree(map, addr, hint, entry);
}

/*
 * vm_map_findspace with the range ending at or below ub (<= max; the failure value then satisfies
 * v + length > ub), also describing in *space the gap found (see vm_map_tree_space) so that an
 * insert there needs no second search. *space is meaningless on failure.
 */
static vm_offset_t findspace(vm_map_t map, vm_offset_t start, vm_size_t length, vm_offset_t ub,
			     struct vm_map_tree_space *space)
{
	vm_offset_t fail = ub - length + 1;
	KASSERT(rw_locked(&map->lock), "vm_map_findspace: map not locked");

	if (length == 0 || start > ub)
		return fail;
	start = round_page(start); /* no wrap: start <= ub <= max, which is page aligned */
	return vm_map_tree_findspace(&map->tree, start, length, ub, space) ? space->addr : fail;
}

vm_offset_t vm_map_findspace(vm_map_t map, vm_offset_t start, vm_size_t length)
{
	struct vm_map_tree_space space;
	return findspace(map, start, length, vm_map_max(map), &space);
}

/*
 * Whether SUPER placement applies: FreeBSD's rule (pmap_align_superpage) that the mapping is at
 * least a superpage and still holds a whole object superpage after its unaligned head.
 */
static bool superpage_worthwhile(vm_ooffset_t offset, vm_size_t length)
{
	if (length < SUPERPAGE_SIZE)
		return false;
	vm_size_t head = (SUPERPAGE_SIZE - (offset & SUPERPAGE_MASK)) & SUPERPAGE_MASK;
	return length - head >= SUPERPAGE_SIZE;
}

/*
 * The lowest address >= hint at which length fits, ends at or below ub, and is congruent to phase
 * modulo mask + 1 (mask 0: any page): on success in space->addr, with the rest of *space
 * describing its gap. An address that does not fit after aligning is retried from the aligned
 * address (FreeBSD's vm_map_alignspace), so every round moves up; a round is a first-fit search of
 * the tree, unless the aligned range still lies in the gap just found, which is where that search
 * would land.
 */
static int find_aligned(vm_map_t map, vm_offset_t hint, vm_size_t length, vm_offset_t ub,
			vm_size_t mask, vm_offset_t phase, struct vm_map_tree_space *space)
{
	vm_offset_t a = findspace(map, hint, length, ub, space);
	for (;;) {
		if (a + length > ub)
			return KERN_NO_SPACE;
		vm_offset_t aligned = a + ((phase - a) & mask);
		if (aligned < a)
			return KERN_NO_SPACE;
		if (aligned == a) {
			space->addr = a;
			return KERN_SUCCESS;
		}
		if (aligned <= space->gap_end && space->gap_end - aligned >= length)
			a = aligned;
		else
			a = findspace(map, aligned, length, ub, space);
	}
}

/* ---------------------------------------------------------------------------------------------
 * Pages: unmapping and protecting the mapped pages of an entry, with exact counters.
 */
unsigned vm_map_mmu_flags(vm_map_t map, vm_prot_t prot)
{
	if (prot == VM_PROT_NONE)
		return 0;
	unsigned flags = MMU_READ;
	if (prot & VM_PROT_WRITE)
		flags |= MMU_WRITE;
	if (prot & VM_PROT_EXECUTE)
		flags |= MMU_EXEC;
	if (vm_map_max(map) <= VM_MAXUSER_ADDRESS) /* a user map: its pages get MMU_USER */
		flags |= MMU_USER;
	return flags;
}

/* Whether pages of e can be mapped at all: it needs a pmap, an object and some right. */
static bool entry_maps_pages(vm_map_t map, vm_map_entry_t e)
{
	return map->pmap && e->object && e->protection != VM_PROT_NONE;
}

static uint64_t entry_pindex(vm_map_entry_t e, vm_offset_t va)
{
	return (e->offset + (va - e->start)) >> PAGE_SHIFT;
}

/* The 2 MiB mapping holding va, if it reaches outside [s, e); its base in *base. */
static bool superpage_straddles(pmap_t pmap, vm_offset_t va, vm_offset_t s, vm_offset_t e,
				vm_offset_t *base)
{
	vm_size_t size;
	if (!pmap_query(pmap, va, NULL, NULL, &size) || size != SUPERPAGE_SIZE)
		return false;
	*base = va & ~SUPERPAGE_MASK;
	return *base < s || *base + SUPERPAGE_SIZE > e;
}

/*
 * Remove (remove) or set to flags the part inside [s, e) of the 2 MiB mappings that straddle its
 * ends, which splits them. Without memory for a split the whole 2 MiB mapping goes instead: its
 * pages stay resident in the object and fault back in as 4 KiB pages. Afterwards every 2 MiB
 * mapping that meets [s, e) lies inside it, so work on the rest of [s, e) needs no memory.
 */
static void split_ends(vm_map_t map, vm_offset_t s, vm_offset_t e, bool remove, unsigned flags)
{
	vm_offset_t ends[2] = {s, e - PAGE_SIZE};
	for (int i = 0; i < 2; i++) {
		vm_offset_t base;
		if (!superpage_straddles(map->pmap, ends[i], s, e, &base))
			continue;
		vm_offset_t lo = base > s ? base : s;
		vm_offset_t hi = base + SUPERPAGE_SIZE < e ? base + SUPERPAGE_SIZE : e;
		int rc = remove ? pmap_remove(map->pmap, lo, hi - lo)
				: pmap_protect(map->pmap, lo, hi - lo, flags);
		vm_map_stat_add(map, VM_MAP_STAT(resident_2m), -1);
		if (rc == 0) {
			vm_size_t gone = remove ? (hi - lo) >> PAGE_SHIFT : 0;
			vm_map_stat_add(map, VM_MAP_STAT(resident_4k),
					(int64_t)(SUPERPAGE_SIZE / PAGE_SIZE - gone));
			continue;
		}
		KASSERT(rc == -ENOMEM, "vm_map: pmap refused to split 0x%llx: %d",
			(unsigned long long)base, rc);
		rc = pmap_remove(map->pmap, base, SUPERPAGE_SIZE);
		KASSERT(rc == 0, "vm_map: pmap_remove of a whole 2 MiB page failed: %d", rc);
	}
}

/* Unmap the pages of entry in [s, e), keeping them in the object. */
static void unmap_pages(vm_map_t map, vm_map_entry_t entry, vm_offset_t s, vm_offset_t e)
{
	split_ends(map, s, e, true, 0);

	/* Count what goes: every page mapped in an entry is one of its object's resident pages. */
	int64_t gone_4k = 0, gone_2m = 0;
	struct vm_map_pages it;
	vm_map_pages_init(&it, map, entry, s, e);
	while (vm_map_pages_next(&it)) {
		if (it.size == SUPERPAGE_SIZE) {
			gone_2m++;
			vm_map_pages_skip(&it, (it.va & ~SUPERPAGE_MASK) + SUPERPAGE_SIZE);
		} else if (it.size) {
			gone_4k++;
		}
	}

	int rc = pmap_remove(map->pmap, s, e - s);
	KASSERT(rc == 0, "vm_map: pmap_remove without splits failed: %d", rc);
	vm_map_stat_add(map, VM_MAP_STAT(resident_4k), -gone_4k);
	vm_map_stat_add(map, VM_MAP_STAT(resident_2m), -gone_2m);
}

static void protect_pages(vm_map_t map, vm_offset_t s, vm_offset_t e, unsigned flags)
{
	split_ends(map, s, e, false, flags);
	int rc = pmap_protect(map->pmap, s, e - s, flags);
	KASSERT(rc == 0, "vm_map: pmap_protect without splits failed: %d", rc);
}

/*
 * Unmap e's pages, free its object's pages in its range (an OBJT_SG object frees none: they are its
 * owner's), drop its object reference.
 */
static void entry_release(vm_map_t map, vm_map_entry_t e)
{
	if (!e->object)
		return;
	if (entry_maps_pages(map, e))
		unmap_pages(map, e, e->start, e->end);
	vm_object_lock(e->object);
	vm_object_page_remove(e->object, entry_pindex(e, e->start), entry_pindex(e, e->end));
	vm_object_unlock(e->object);
	vm_object_deallocate(e->object);
}

/* ---------------------------------------------------------------------------------------------
 * Clipping and coalescing.
 */
static bool entries_mergeable(const struct vm_map_entry *a, const struct vm_map_entry *b)
{
	return a->end == b->start && a->protection == b->protection &&
	       a->max_protection == b->max_protection && a->eflags == b->eflags &&
	       a->inheritance == b->inheritance && a->wired_count == b->wired_count &&
	       a->object == b->object &&
	       (!a->object || a->offset + (a->end - a->start) == b->offset);
}

/*
 * Split e at addr (e->start < addr < e->end); returns the new upper part. An anonymous e has its
 * object by now (back_clipped), except a guard, which never has one.
 */
static vm_map_entry_t clip(vm_map_t map, vm_map_entry_t e, vm_offset_t addr,
			   struct entry_reserve *r)
{
	vm_map_entry_t n = reserve_take(r);
	*n = *e;
	n->start = addr;
	n->offset = e->object ? e->offset + (addr - e->start) : (addr & SUPERPAGE_MASK);
	if (e->object)
		vm_object_reference(e->object);
	vm_map_tree_set_end(&map->tree, e, addr); /* first, so that n's range is free in the tree */
	entry_link(map, e, n, NULL);
	return n;
}

/* Where a range [start, end) meets the map, found once per operation for its clips. */
struct range_ends {
	vm_map_entry_t before; /* the last entry with start <= the range's start, or the header */
	vm_map_entry_t at_end; /* the entry containing the range's end, or NULL */
	unsigned clips;        /* clips the range needs so that no entry straddles either end */
	struct vm_map_tree_cursor at; /* before's place in the tree (if not the header) */
};

/* Look up where [start, end) meets the map; returns ends->clips. */
static unsigned clips_needed(vm_map_t map, vm_offset_t start, vm_offset_t end,
			     struct range_ends *ends)
{
	vm_map_entry_t e = vm_map_tree_lookup(&map->tree, start, &ends->at), f;
	if (!e)
		e = &map->header;
	/* Most ranges end inside the entry they start in or right after it: no second descent then. */
	if (e != &map->header && end < e->end)
		f = e;
	else if (e != &map->header && end == e->end)
		f = e->next != &map->header && e->next->start == end ? e->next : NULL;
	else
		f = entry_containing(map, end);
	ends->before = e;
	ends->at_end = f;
	ends->clips =
		(e != &map->header && e->start < start && start < e->end) + (f && f->start < end);
	return ends->clips;
}

/* The first entry at or above start (maybe the header), with ends from clips_needed. */
static vm_map_entry_t first_in_range(vm_map_t map, vm_offset_t start, const struct range_ends *ends)
{
	vm_map_entry_t e = ends->before;
	return e != &map->header && start < e->end ? e : e->next;
}

/* Whether e is anonymous memory that has no object yet (a guard never gets one). */
static bool entry_unbacked(const struct vm_map_entry *e)
{
	return !e->object && !(e->eflags & MAP_ENTRY_GUARD);
}

/*
 * Give the entries that clip_range is about to split their object first, if they are anonymous
 * memory without one (FreeBSD's vm_map_entry_back at clip time): both pieces then map the one
 * object at contiguous offsets and coalesce again when their attributes match, where pieces
 * without object would each get an object of their own at their first fault. The object spans
 * the whole entry from its offset, as vm_fault would have made it. Returns false, the map
 * unchanged, when out of memory. Map write-locked, ends from clips_needed.
 */
static bool back_clipped(vm_map_t map, vm_offset_t start, vm_offset_t end,
			 const struct range_ends *ends)
{
	vm_map_entry_t b = ends->before, f = ends->at_end, e[2] = {NULL, NULL};
	vm_object_t o[2] = {NULL, NULL};

	if (b != &map->header && b->start < start && start < b->end && entry_unbacked(b))
		e[0] = b;
	if (f && f->start < end && f != e[0] && entry_unbacked(f))
		e[1] = f;
	for (int i = 0; i < 2; i++) {
		if (e[i] &&
		    !(o[i] = vm_object_allocate(e[i]->offset + (e[i]->end - e[i]->start)))) {
			vm_object_deallocate(o[0]);
			return false;
		}
		if (o[i]) {
			o[i]->flags |= OBJ_ONEMAPPING;
			o[i]->map_base = e[i]->start - e[i]->offset;
		}
	}
	/* Faults, which install objects under the read lock, are shut out by the write lock. */
	for (int i = 0; i < 2; i++)
		if (e[i])
			__atomic_store_n(&e[i]->object, o[i], __ATOMIC_RELEASE);
	return true;
}

/*
 * Clip at start and end, with ends from clips_needed (the map unchanged since); returns the
 * first entry at or above start (maybe the header).
 */
static vm_map_entry_t clip_range(vm_map_t map, vm_offset_t start, vm_offset_t end,
				 const struct range_ends *ends, struct entry_reserve *r)
{
	vm_map_entry_t e = first_in_range(map, start, ends), f = ends->at_end;
	if (e != &map->header && e->start < start) {
		vm_map_entry_t upper = clip(map, e, start, r);
		if (f == e)
			f = upper;
		e = upper;
	}
	if (f && f->start < end)
		clip(map, f, end, r);
	return e;
}

/* Fold b into a (a->next == b, entries_mergeable). */
static void merge_into(vm_map_t map, vm_map_entry_t a, vm_map_entry_t b)
{
	entry_unlink(map, b, NULL); /* first, so that b's range is free for a in the tree */
	vm_map_tree_set_end(&map->tree, a, b->end);
	vm_object_deallocate(b->object); /* never the last reference: a holds one */
	kmem_cache_free(entry_cache, b);
}

/* Coalesce every mergeable pair of entries that touch [start, end]. */
static void coalesce_range(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	vm_map_entry_t x = entry_at_or_before(map, start);
	if (x == &map->header)
		x = x->next;
	else if (x->start == start && x->prev != &map->header)
		x = x->prev;
	while (x != &map->header && x->next != &map->header && x->start <= end) {
		if (entries_mergeable(x, x->next))
			merge_into(map, x, x->next);
		else
			x = x->next;
	}
}

static void clamp_range(vm_map_t map, vm_offset_t *start, vm_offset_t *end)
{
	if (*start < vm_map_min(map))
		*start = vm_map_min(map);
	if (*end > vm_map_max(map))
		*end = vm_map_max(map);
}

/* ---------------------------------------------------------------------------------------------
 * Insertion.
 */

/* Checks on everything but the range, shared by every way to map; fills in prot, max, eflags. */
static int check_attrs(vm_object_t object, vm_ooffset_t offset, vm_size_t length, vm_prot_t *prot,
		       vm_prot_t *max, int cow, uint16_t *eflags)
{
	if (cow & ~(MAP_CREATE_GUARD | MAP_CREATE_STACK | MAP_CREATE_GUARDED_STACK |
		    MAP_CREATE_IMAGE | MAP_INHERIT_SHARE))
		return KERN_INVALID_ARGUMENT;
	/* The guard takes one page: a stack of one page would have none left (FreeBSD's answer). */
	if ((cow & MAP_CREATE_GUARDED_STACK) &&
	    (object || (cow & MAP_CREATE_GUARD) || length <= PAGE_SIZE))
		return KERN_INVALID_ARGUMENT;
	if ((*prot | *max) & ~VM_PROT_ALL)
		return KERN_INVALID_ARGUMENT;
	if (offset & PAGE_MASK)
		return KERN_INVALID_ARGUMENT;
	*eflags = 0;
	if (cow & MAP_CREATE_GUARD) {
		if (object)
			return KERN_INVALID_ARGUMENT;
		*prot = *max = VM_PROT_NONE;
		*eflags |= MAP_ENTRY_GUARD;
	}
	if (cow & (MAP_CREATE_STACK | MAP_CREATE_GUARDED_STACK))
		*eflags |= MAP_ENTRY_STACK;
	if (cow & MAP_CREATE_IMAGE)
		*eflags |= MAP_ENTRY_IMAGE;
	if (object && (offset > object->size || length > object->size - offset))
		return KERN_INVALID_ARGUMENT;
	if (*prot & ~*max)
		return KERN_PROTECTION_FAILURE;
	return KERN_SUCCESS;
}

/* Range checks of vm_map_insert and vm_map_fixed, then check_attrs. */
static int check_insert(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t start,
			vm_offset_t end, vm_prot_t *prot, vm_prot_t *max, int cow, uint16_t *eflags)
{
	if (start >= end)
		return KERN_INVALID_ADDRESS;
	if ((start | end) & PAGE_MASK)
		return KERN_INVALID_ARGUMENT;
	if (start < vm_map_min(map) || end > vm_map_max(map))
		return KERN_INVALID_ADDRESS;
	return check_attrs(object, offset, end - start, prot, max, cow, eflags);
}

/* Whether [start, end) is free; *prev is then the entry before it (or the header). */
static bool range_free(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_map_entry_t *prev)
{
	vm_map_entry_t p = entry_at_or_before(map, start);
	if (p != &map->header && start < p->end)
		return false;
	if (p->next->start < end)
		return false;
	*prev = p;
	return true;
}

/* Whether n's object is an OBJ_ONEMAPPING one that spans the addresses [start, end). */
static bool object_spans(vm_map_entry_t n, vm_offset_t start, vm_offset_t end)
{
	vm_object_t o = n->object;
	return o && (o->flags & OBJ_ONEMAPPING) && start >= o->map_base &&
	       start - o->map_base <= o->size && end - start <= o->size - (start - o->map_base);
}

/*
 * Give e, new anonymous memory that is not a guard, the object of the entry touching it below, or
 * else above, where that object is an OBJ_ONEMAPPING one that already spans e's addresses
 * (FreeBSD's vm_object_coalesce in vm_map_insert, which also grows the object; Kestrel's objects
 * keep their size, and take the neighbour above too): a hole punched into anonymous memory and
 * mapped again then coalesces with both sides, as it did before the clip gave them their object.
 * e is linked.
 */
static void adopt_neighbour_object(vm_map_t map, vm_map_entry_t e)
{
	vm_map_entry_t below = e->prev, above = e->next, n;

	if (e->object || (e->eflags & MAP_ENTRY_GUARD))
		return;
	if (below != &map->header && below->end == e->start &&
	    object_spans(below, e->start, e->end))
		n = below;
	else if (above != &map->header && above->start == e->end &&
		 object_spans(above, e->start, e->end))
		n = above;
	else
		return;
	vm_ooffset_t off = e->start - n->object->map_base;
	uint64_t first = off >> PAGE_SHIFT, idx;
	vm_object_lock(n->object);
	bool empty = !vm_object_page_next(n->object, first,
					  first + ((e->end - e->start) >> PAGE_SHIFT), &idx);
	vm_object_unlock(n->object);
	KASSERT(empty, "vm_map: unmapped part of an OBJ_ONEMAPPING object holds a page");
	vm_object_reference(n->object);
	e->object = n->object;
	e->offset = off;
}

/*
 * Fill in e and link it after prev ([start, end) free, arguments checked; at: as entry_link), then
 * coalesce.
 */
static void insert_entry(vm_map_t map, vm_map_entry_t prev, const struct vm_map_tree_cursor *at,
			 vm_map_entry_t e, vm_object_t object, vm_ooffset_t offset,
			 vm_offset_t start, vm_offset_t end, vm_prot_t prot, vm_prot_t max,
			 uint16_t eflags, vm_inherit_t inheritance)
{
	e->start = start;
	e->end = end;
	e->object = object;
	e->offset = object ? offset : (start & SUPERPAGE_MASK);
	e->protection = prot;
	e->max_protection = max;
	e->eflags = eflags;
	e->inheritance = inheritance;
	e->wired_count = 0;
	entry_link(map, prev, e, at);
	adopt_neighbour_object(map, e);
	if (e->prev != &map->header && entries_mergeable(e->prev, e)) {
		vm_map_entry_t p = e->prev;
		merge_into(map, p, e);
		e = p;
	}
	if (e->next != &map->header && entries_mergeable(e, e->next))
		merge_into(map, e, e->next);
}

/* How many new entries a mapping made with cow needs: a guarded stack is a guard and a stack. */
static unsigned entries_for(int cow)
{
	return cow & MAP_CREATE_GUARDED_STACK ? 2 : 1;
}

/*
 * insert_entry for [start, end) with the entries of r (entries_for(cow) of them); a guarded stack's
 * lowest page becomes a guard entry below the stack entry.
 */
static void insert_mapping(vm_map_t map, vm_map_entry_t prev, const struct vm_map_tree_cursor *at,
			   struct entry_reserve *r, vm_object_t object, vm_ooffset_t offset,
			   vm_offset_t start, vm_offset_t end, vm_prot_t prot, vm_prot_t max,
			   int cow, uint16_t eflags)
{
	vm_inherit_t inh = cow & MAP_INHERIT_SHARE ? VM_INHERIT_SHARE : VM_INHERIT_DEFAULT;

	if (cow & MAP_CREATE_GUARDED_STACK) {
		insert_entry(map, prev, at, reserve_take(r), NULL, 0, start, start + PAGE_SIZE,
			     VM_PROT_NONE, VM_PROT_NONE, MAP_ENTRY_GUARD, inh);
		start += PAGE_SIZE;
		/* The guard may have merged with a guard below: what ends at start now precedes. */
		prev = entry_at_or_before(map, start);
		at = NULL;
	}
	insert_entry(map, prev, at, reserve_take(r), object, offset, start, end, prot, max, eflags,
		     inh);
}

int vm_map_insert(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t start,
		  vm_offset_t end, vm_prot_t prot, vm_prot_t max, int cow)
{
	KASSERT(rw_wlocked(&map->lock), "vm_map_insert: map not write-locked");
	uint16_t eflags;
	int rc = check_insert(map, object, offset, start, end, &prot, &max, cow, &eflags);
	if (rc != KERN_SUCCESS)
		return rc;
	vm_map_entry_t prev;
	if (!range_free(map, start, end, &prev))
		return KERN_NO_SPACE;
	struct entry_reserve r = {.n = 0};
	if (!reserve_fill(map, &r, entries_for(cow)))
		return KERN_RESOURCE_SHORTAGE;
	insert_mapping(map, prev, NULL, &r, object, offset, start, end, prot, max, cow, eflags);
	return KERN_SUCCESS;
}

int vm_map_find_locked(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t *addr,
		       vm_size_t length, vm_offset_t max_addr, int find_space, vm_prot_t prot,
		       vm_prot_t max, int cow)
{
	KASSERT(rw_wlocked(&map->lock), "vm_map_find_locked: map not write-locked");
	vm_offset_t min = vm_map_min(map), top = vm_map_max(map);

	if (length == 0)
		return KERN_INVALID_ADDRESS;
	unsigned align_shift = 0;
	if (find_space < VMFS_NO_SPACE)
		return KERN_INVALID_ARGUMENT;
	if (find_space > VMFS_SUPER_SPACE) {
		align_shift = (unsigned)find_space >> 8;
		if ((find_space & 0xff) || align_shift > 63)
			return KERN_INVALID_ARGUMENT;
	}
	if (length & PAGE_MASK)
		return KERN_INVALID_ARGUMENT;
	uint16_t eflags;
	int rc = check_attrs(object, offset, length, &prot, &max, cow, &eflags);
	if (rc != KERN_SUCCESS)
		return rc;

	vm_offset_t start;
	vm_map_entry_t prev;
	struct vm_map_tree_space space;
	const struct vm_map_tree_cursor *at = NULL;
	if (find_space == VMFS_NO_SPACE) {
		start = *addr;
		if (start & PAGE_MASK)
			return KERN_INVALID_ARGUMENT;
		if (start < min || start > top || length > top - start)
			return KERN_INVALID_ADDRESS;
		if (max_addr && (start > max_addr || length > max_addr - start))
			return KERN_NO_SPACE;
		if (!range_free(map, start, start + length, &prev))
			return KERN_NO_SPACE;
	} else {
		vm_offset_t ub = max_addr && max_addr < top ? max_addr : top;
		vm_size_t mask = 0;
		vm_offset_t phase = 0;
		bool super = find_space == VMFS_SUPER_SPACE ||
			     (find_space == VMFS_OPTIMAL_SPACE && object);
		if (super && superpage_worthwhile(offset, length)) {
			mask = SUPERPAGE_MASK;
			phase = offset & SUPERPAGE_MASK;
		} else if (align_shift > PAGE_SHIFT) {
			mask = ((vm_size_t)1 << align_shift) - 1;
		}
		rc = find_aligned(map, *addr, length, ub, mask, phase, &space);
		if (rc != KERN_SUCCESS && find_space == VMFS_OPTIMAL_SPACE && mask)
			rc = find_aligned(map, *addr, length, ub, 0, 0, &space);
		if (rc != KERN_SUCCESS)
			return rc;
		start = space.addr;
		prev = space.next ? space.next->prev : map->header.prev;
		at = &space.at;
	}

	struct entry_reserve r = {.n = 0};
	if (!reserve_fill(map, &r, entries_for(cow)))
		return KERN_RESOURCE_SHORTAGE;
	insert_mapping(map, prev, at, &r, object, offset, start, start + length, prot, max, cow,
		       eflags);
	*addr = start;
	return KERN_SUCCESS;
}

int vm_map_find(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t *addr,
		vm_size_t length, vm_offset_t max_addr, int find_space, vm_prot_t prot,
		vm_prot_t max, int cow)
{
	vm_map_lock(map);
	int rc = vm_map_find_locked(map, object, offset, addr, length, max_addr, find_space, prot,
				    max, cow);
	vm_map_unlock(map);
	return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Removal and protection.
 */

/* Remove the entries in [start, end) after clipping with entries from r (ends from clips_needed). */
static void delete_range(vm_map_t map, vm_offset_t start, vm_offset_t end,
			 const struct range_ends *ends, struct entry_reserve *r)
{
	vm_map_entry_t e = clip_range(map, start, end, ends, r);
	/* Without clips the tree is as the lookup left it: the first removal needs no descent. */
	const struct vm_map_tree_cursor *at = !ends->clips && e == ends->before ? &ends->at : NULL;
	while (e != &map->header && e->start < end) {
		vm_map_entry_t next = e->next;
		if (e->eflags & MAP_ENTRY_USER_WIRED)
			map->user_wired -= e->end - e->start;
		entry_release(map, e);
		entry_unlink(map, e, at);
		at = NULL;
		kmem_cache_free(entry_cache, e);
		e = next;
		preempt_point(); /* the map is consistent between entries; its write lock may sleep */
	}
}

int vm_map_delete(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	KASSERT(rw_wlocked(&map->lock), "vm_map_delete: map not write-locked");
	if (((start | end) & PAGE_MASK) || start > end)
		return KERN_INVALID_ARGUMENT;
	clamp_range(map, &start, &end);
	if (start >= end)
		return KERN_SUCCESS;
	struct entry_reserve r = {.n = 0};
	struct range_ends ends;
	if (!reserve_fill(map, &r, clips_needed(map, start, end, &ends)))
		return KERN_RESOURCE_SHORTAGE;
	if (!back_clipped(map, start, end, &ends)) {
		reserve_release(&r);
		return KERN_RESOURCE_SHORTAGE;
	}
	delete_range(map, start, end, &ends, &r);
	reserve_release(&r);
	return KERN_SUCCESS;
}

int vm_map_release_pages(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	KASSERT(rw_wlocked(&map->lock), "vm_map_release_pages: map not write-locked");
	if (((start | end) & PAGE_MASK) || start > end)
		return KERN_INVALID_ARGUMENT;
	clamp_range(map, &start, &end);
	vm_map_entry_t e = entry_at_or_before(map, start);
	if (e == &map->header || e->end <= start)
		e = e->next;
	for (; e != &map->header && e->start < end; e = e->next) {
		/* a guard, anonymous memory never touched (nothing resident), or wired */
		if (!e->object || e->wired_count)
			continue;
		vm_offset_t s = start > e->start ? start : e->start,
			    t = end < e->end ? end : e->end;
		if (entry_maps_pages(map, e))
			unmap_pages(map, e, s, t);
		vm_object_lock(e->object);
		vm_object_page_remove(e->object, entry_pindex(e, s), entry_pindex(e, t));
		vm_object_unlock(e->object);
		preempt_point();
	}
	return KERN_SUCCESS;
}

int vm_map_remove(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	vm_map_lock(map);
	int rc = vm_map_delete(map, start, end);
	vm_map_unlock(map);
	return rc;
}

static int fixed_locked(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t start,
			vm_offset_t end, vm_prot_t prot, vm_prot_t max, int cow)
{
	KASSERT(rw_wlocked(&map->lock), "vm_map_fixed: map not write-locked");
	uint16_t eflags;
	int rc = check_insert(map, object, offset, start, end, &prot, &max, cow, &eflags);
	if (rc != KERN_SUCCESS)
		return rc;
	struct entry_reserve r = {.n = 0};
	struct range_ends ends;
	struct entry_reserve mine = {.n = 0};
	unsigned clips = clips_needed(map, start, end, &ends);
	if (!reserve_fill(map, &r, clips + entries_for(cow)))
		return KERN_RESOURCE_SHORTAGE;
	if (!back_clipped(map, start, end, &ends)) {
		reserve_release(&r);
		return KERN_RESOURCE_SHORTAGE;
	}
	while (mine.n < entries_for(cow))
		mine.e[mine.n++] = reserve_take(&r);
	delete_range(map, start, end, &ends, &r);
	reserve_release(&r);
	vm_map_entry_t prev;
	bool emptied = range_free(map, start, end, &prev);
	KASSERT(emptied, "vm_map_fixed: range still mapped after delete");
	insert_mapping(map, prev, NULL, &mine, object, offset, start, end, prot, max, cow, eflags);
	return KERN_SUCCESS;
}

int vm_map_fixed(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t start,
		 vm_size_t length, vm_prot_t prot, vm_prot_t max, int cow)
{
	vm_map_lock(map);
	int rc = fixed_locked(map, object, offset, start, start + length, prot, max, cow);
	vm_map_unlock(map);
	return rc;
}

int vm_map_fixed_locked(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t start,
			vm_size_t length, vm_prot_t prot, vm_prot_t max, int cow)
{
	return fixed_locked(map, object, offset, start, start + length, prot, max, cow);
}

int vm_map_protect_locked(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_prot_t new_prot,
			  vm_prot_t new_maxprot, int flags)
{
	const int both = VM_MAP_PROTECT_SET_PROT | VM_MAP_PROTECT_SET_MAXPROT;
	KASSERT(rw_wlocked(&map->lock), "vm_map_protect_locked: map not write-locked");
	if (((start | end) & PAGE_MASK) || start > end ||
	    ((new_prot | new_maxprot) & ~VM_PROT_ALL) || (flags & ~both))
		return KERN_INVALID_ARGUMENT;
	if ((flags & both) == both && (new_prot & ~new_maxprot))
		return KERN_OUT_OF_BOUNDS;
	clamp_range(map, &start, &end);
	if (start >= end || !flags)
		return KERN_SUCCESS;

	struct range_ends ends;
	unsigned clips = clips_needed(map, start, end, &ends);
	for (vm_map_entry_t f = first_in_range(map, start, &ends);
	     f != &map->header && f->start < end; f = f->next) {
		if (f->eflags & MAP_ENTRY_GUARD)
			continue;
		vm_prot_t prot = flags & VM_MAP_PROTECT_SET_PROT ? new_prot : f->protection;
		vm_prot_t max =
			flags & VM_MAP_PROTECT_SET_MAXPROT ? new_maxprot : f->max_protection;
		if ((prot | max) & ~f->max_protection)
			return KERN_PROTECTION_FAILURE;
	}

	struct entry_reserve r = {.n = 0};
	if (!reserve_fill(map, &r, clips))
		return KERN_RESOURCE_SHORTAGE;
	if (!back_clipped(map, start, end, &ends)) {
		reserve_release(&r);
		return KERN_RESOURCE_SHORTAGE;
	}
	for (vm_map_entry_t e = clip_range(map, start, end, &ends, &r);
	     e != &map->header && e->start < end; e = e->next) {
		if (e->eflags & MAP_ENTRY_GUARD)
			continue;
		vm_prot_t old = e->protection;
		if (flags & VM_MAP_PROTECT_SET_MAXPROT) {
			e->max_protection = new_maxprot;
			e->protection = old & new_maxprot;
		}
		if (flags & VM_MAP_PROTECT_SET_PROT)
			e->protection = new_prot;
		if (!map->pmap || !e->object || old == VM_PROT_NONE)
			continue;
		if (e->protection == VM_PROT_NONE)
			unmap_pages(map, e, e->start, e->end);
		else if (vm_map_mmu_flags(map, old) != vm_map_mmu_flags(map, e->protection))
			protect_pages(map, e->start, e->end, vm_map_mmu_flags(map, e->protection));
	}
	reserve_release(&r);
	coalesce_range(map, start, end);
	return KERN_SUCCESS;
}

int vm_map_protect(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_prot_t new_prot,
		   vm_prot_t new_maxprot, int flags)
{
	vm_map_lock(map);
	int rc = vm_map_protect_locked(map, start, end, new_prot, new_maxprot, flags);
	vm_map_unlock(map);
	return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Attributes of ranges: inheritance and wiring.
 */

/*
 * Clip [start, end) (start < end, inside the map) out of its entries for a change of their
 * attributes, taking what the clips need first: KERN_SUCCESS with *first the first entry at or
 * above start (maybe the header), or KERN_RESOURCE_SHORTAGE with the map unchanged. The caller
 * changes the entries below end, then coalesces the range (coalesce_range).
 */
static int clip_for_change(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_map_entry_t *first)
{
	struct range_ends ends;
	struct entry_reserve r = {.n = 0};

	if (!reserve_fill(map, &r, clips_needed(map, start, end, &ends)))
		return KERN_RESOURCE_SHORTAGE;
	if (!back_clipped(map, start, end, &ends)) {
		reserve_release(&r);
		return KERN_RESOURCE_SHORTAGE;
	}
	*first = clip_range(map, start, end, &ends, &r);
	reserve_release(&r);
	return KERN_SUCCESS;
}

int vm_map_inherit_locked(vm_map_t map, vm_offset_t start, vm_offset_t end,
			  vm_inherit_t new_inheritance)
{
	KASSERT(rw_wlocked(&map->lock), "vm_map_inherit_locked: map not write-locked");
	if (((start | end) & PAGE_MASK) || start > end || new_inheritance > VM_INHERIT_ZERO)
		return KERN_INVALID_ARGUMENT;
	clamp_range(map, &start, &end);
	if (start >= end)
		return KERN_SUCCESS;
	vm_map_entry_t e;
	int rc = clip_for_change(map, start, end, &e);
	if (rc != KERN_SUCCESS)
		return rc;
	for (; e != &map->header && e->start < end; e = e->next)
		if (!(e->eflags & MAP_ENTRY_GUARD) || new_inheritance != VM_INHERIT_ZERO)
			e->inheritance = new_inheritance;
	coalesce_range(map, start, end);
	return KERN_SUCCESS;
}

int vm_map_inherit(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_inherit_t new_inheritance)
{
	vm_map_lock(map);
	int rc = vm_map_inherit_locked(map, start, end, new_inheritance);
	vm_map_unlock(map);
	return rc;
}

/*
 * Whether every page of [start, end) (start < end) lies in an entry that is not a guard and, if
 * wired_only, is user-wired: KERN_SUCCESS, else KERN_INVALID_ADDRESS (outside the map, a hole or a
 * guard) or KERN_INVALID_ARGUMENT (not wired), for the first such page.
 */
static int range_covered(vm_map_t map, vm_offset_t start, vm_offset_t end, bool wired_only)
{
	if (start < vm_map_min(map) || end > vm_map_max(map))
		return KERN_INVALID_ADDRESS;
	vm_map_entry_t e = entry_containing(map, start);
	for (vm_offset_t va = start; va < end; va = e->end, e = e->next) {
		if (!e || e == &map->header || e->start > va || (e->eflags & MAP_ENTRY_GUARD))
			return KERN_INVALID_ADDRESS;
		if (wired_only && !(e->eflags & MAP_ENTRY_USER_WIRED))
			return KERN_INVALID_ARGUMENT;
	}
	return KERN_SUCCESS;
}

/* The bytes of [start, end) in entries that vm_map_wire would newly wire. */
static vm_size_t unwired_bytes(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	vm_size_t n = 0;
	vm_map_entry_t e = entry_at_or_before(map, start);

	if (e == &map->header || e->end <= start)
		e = e->next;
	for (; e != &map->header && e->start < end; e = e->next)
		if (!(e->eflags & (MAP_ENTRY_GUARD | MAP_ENTRY_USER_WIRED)))
			n += (end < e->end ? end : e->end) - (start > e->start ? start : e->start);
	return n;
}

/* Check vm_map_wire's and vm_map_unwire's arguments, clamping a HOLESOK range: 0 or a KERN_* code. */
static int wire_args(vm_map_t map, vm_offset_t *start, vm_offset_t *end, int flags, bool wired_only)
{
	if (((*start | *end) & PAGE_MASK) || *start > *end || !(flags & VM_MAP_WIRE_USER) ||
	    (flags & ~(VM_MAP_WIRE_USER | VM_MAP_WIRE_HOLESOK)))
		return KERN_INVALID_ARGUMENT;
	if (flags & VM_MAP_WIRE_HOLESOK) {
		clamp_range(map, start, end);
		return KERN_SUCCESS;
	}
	return *start < *end ? range_covered(map, *start, *end, wired_only) : KERN_SUCCESS;
}

int vm_map_wire_locked(vm_map_t map, vm_offset_t start, vm_offset_t end, int flags, vm_size_t limit)
{
	KASSERT(rw_wlocked(&map->lock), "vm_map_wire_locked: map not write-locked");
	int rc = wire_args(map, &start, &end, flags, false);
	if (rc != KERN_SUCCESS || start >= end)
		return rc;
	vm_size_t more = unwired_bytes(map, start, end);
	if (more > limit || map->user_wired > limit - more)
		return KERN_NO_SPACE;
	/* Fault first: a failure then leaves the entries as they were (the pages stay resident). */
	if (map->pmap && (rc = vm_fault_range(map, start, end)) != KERN_SUCCESS)
		return rc;
	vm_map_entry_t e;
	if ((rc = clip_for_change(map, start, end, &e)) != KERN_SUCCESS)
		return rc;
	for (; e != &map->header && e->start < end; e = e->next) {
		if (e->eflags & (MAP_ENTRY_GUARD | MAP_ENTRY_USER_WIRED))
			continue;
		e->eflags |= MAP_ENTRY_USER_WIRED;
		e->wired_count++;
		map->user_wired += e->end - e->start;
	}
	coalesce_range(map, start, end);
	return KERN_SUCCESS;
}

int vm_map_wire(vm_map_t map, vm_offset_t start, vm_offset_t end, int flags, vm_size_t limit)
{
	vm_map_lock(map);
	int rc = vm_map_wire_locked(map, start, end, flags, limit);
	vm_map_unlock(map);
	return rc;
}

int vm_map_unwire_locked(vm_map_t map, vm_offset_t start, vm_offset_t end, int flags)
{
	KASSERT(rw_wlocked(&map->lock), "vm_map_unwire_locked: map not write-locked");
	int rc = wire_args(map, &start, &end, flags, true);
	if (rc != KERN_SUCCESS || start >= end)
		return rc;
	vm_map_entry_t e;
	if ((rc = clip_for_change(map, start, end, &e)) != KERN_SUCCESS)
		return rc;
	for (; e != &map->header && e->start < end; e = e->next) {
		if (!(e->eflags & MAP_ENTRY_USER_WIRED))
			continue;
		e->eflags &= (uint16_t)~MAP_ENTRY_USER_WIRED;
		e->wired_count--;
		map->user_wired -= e->end - e->start;
	}
	coalesce_range(map, start, end);
	return KERN_SUCCESS;
}

int vm_map_unwire(vm_map_t map, vm_offset_t start, vm_offset_t end, int flags)
{
	vm_map_lock(map);
	int rc = vm_map_unwire_locked(map, start, end, flags);
	vm_map_unlock(map);
	return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Maps, locks, counters.
 */
vm_map_t vm_map_create(pmap_t pmap, vm_offset_t min, vm_offset_t max)
{
	if (((min | max) & PAGE_MASK) || min >= max ||
	    !kmem_cache_create_once(&entry_cache, "vm_map_entry", sizeof(struct vm_map_entry),
				    64) ||
	    !kmem_cache_create_once(&map_cache, "vm_map structs", sizeof(struct vm_map),
				    VM_MAP_LINE))
		return NULL;
	vm_map_t map = kmem_cache_zalloc(map_cache);
	if (!map)
		return NULL;
	map->header.next = map->header.prev = &map->header;
	map->header.start = max;
	map->header.end = min;
	rw_init(&map->lock, "vm_map");
	map->pmap = pmap;
	map->anon_loc = min;
	vm_map_tree_init(&map->tree, min, max);
	return map;
}

void vm_map_destroy(vm_map_t map)
{
	vm_map_lock(map);
	vm_map_entry_t e = map->header.next;
	while (e != &map->header) {
		vm_map_entry_t next = e->next;
		entry_release(map, e);
		kmem_cache_free(entry_cache, e);
		e = next;
		preempt_point();
	}
	vm_map_tree_fini(&map->tree);
	vm_map_unlock(map);
	kmem_cache_free(map_cache, map);
}

void vm_map_get_stats(vm_map_t map, struct vm_map_stats *stats)
{
	*stats = (struct vm_map_stats){0};
	for (int i = 0; i < VM_MAP_CPU_SLOTS; i++) {
		const struct vm_map_stats *s = &map->cpu[i].s;
		stats->faults += __atomic_load_n(&s->faults, __ATOMIC_RELAXED);
		stats->faults_2m += __atomic_load_n(&s->faults_2m, __ATOMIC_RELAXED);
		stats->resident_4k += __atomic_load_n(&s->resident_4k, __ATOMIC_RELAXED);
		stats->resident_2m += __atomic_load_n(&s->resident_2m, __ATOMIC_RELAXED);
	}
}

/* ---------------------------------------------------------------------------------------------
 * The invariant checker.
 */
static const char *const check_names[] = {
	[VM_MAP_CHECK_BOUNDS] =
		"M1 entries inside the map, aligned, sorted, disjoint; M8 anon_loc inside it",
	[VM_MAP_CHECK_LIST] = "M1 list links and entry count",
	[VM_MAP_CHECK_TREE] = "M2 the tree indexes exactly the listed entries",
	[VM_MAP_CHECK_TREE_INVARIANTS] = "M3 the tree's own invariants",
	[VM_MAP_CHECK_PROT] = "M4 protections",
	[VM_MAP_CHECK_OBJECT] = "M5 objects and offsets",
	[VM_MAP_CHECK_COALESCE] = "M6 no mergeable neighbours",
	[VM_MAP_CHECK_PMAP] = "M7 mappings and resident counters",
	[VM_MAP_CHECK_WIRED] = "M9 wiring and inheritance",
	[VM_MAP_CHECK_HINT] = "M10 lookup hints name listed entries",
};

const char *vm_map_check_msg(int code)
{
	if (code <= 0 || code > VM_MAP_CHECK_HINT)
		return code == 0 ? "ok" : "unknown";
	return check_names[code];
}

static int check_fail(int code, const struct vm_map_entry *e, const char *what)
{
	if (e)
		kprintf("vm_map_check: %s: entry [0x%llx, 0x%llx): %s\n", check_names[code],
			(unsigned long long)e->start, (unsigned long long)e->end, what);
	else
		kprintf("vm_map_check: %s: %s\n", check_names[code], what);
	return code;
}

static int check_entry(vm_map_t map, vm_map_entry_t e)
{
	if (e->start >= e->end || ((e->start | e->end) & PAGE_MASK) || e->start < vm_map_min(map) ||
	    e->end > vm_map_max(map))
		return check_fail(VM_MAP_CHECK_BOUNDS, e, "empty, unaligned or outside the map");
	if (e->prev != &map->header && e->prev->end > e->start)
		return check_fail(VM_MAP_CHECK_BOUNDS, e, "overlaps or precedes its predecessor");
	if ((e->max_protection & ~VM_PROT_ALL) || (e->protection & ~e->max_protection))
		return check_fail(VM_MAP_CHECK_PROT, e, "protection beyond max_protection");
	if ((e->eflags &
	     ~(MAP_ENTRY_GUARD | MAP_ENTRY_STACK | MAP_ENTRY_IMAGE | MAP_ENTRY_USER_WIRED)) ||
	    ((e->eflags & MAP_ENTRY_GUARD) && (e->max_protection != VM_PROT_NONE || e->object)))
		return check_fail(VM_MAP_CHECK_PROT, e,
				  "bad eflags or a guard with rights or an object");
	if (!e->object && e->offset != (e->start & SUPERPAGE_MASK))
		return check_fail(VM_MAP_CHECK_OBJECT, e,
				  "anonymous entry's offset is not start & SUPERPAGE_MASK");
	if (e->object &&
	    ((e->offset & PAGE_MASK) || e->offset > e->object->size ||
	     e->end - e->start > e->object->size - e->offset || e->object->ref_count == 0))
		return check_fail(VM_MAP_CHECK_OBJECT, e,
				  "offset unaligned, range beyond its object, or no reference");
	if (e->object && (e->object->flags & OBJ_ONEMAPPING) &&
	    e->start - e->offset != e->object->map_base)
		return check_fail(VM_MAP_CHECK_OBJECT, e,
				  "OBJ_ONEMAPPING object mapped at another base");
	if (e->prev != &map->header && entries_mergeable(e->prev, e))
		return check_fail(VM_MAP_CHECK_COALESCE, e, "could coalesce with its predecessor");
	bool wired = e->eflags & MAP_ENTRY_USER_WIRED;
	if (e->wired_count != (wired ? 1 : 0) || (wired && (e->eflags & MAP_ENTRY_GUARD)))
		return check_fail(
			VM_MAP_CHECK_WIRED, e,
			"wired_count differs from MAP_ENTRY_USER_WIRED, or a wired guard");
	if (e->inheritance > VM_INHERIT_ZERO ||
	    ((e->eflags & MAP_ENTRY_GUARD) && e->inheritance == VM_INHERIT_ZERO))
		return check_fail(VM_MAP_CHECK_WIRED, e,
				  "unknown inheritance, or VM_INHERIT_ZERO on a guard");
	return 0;
}

/*
 * Whether the 2 MiB mapping at base (inside e, to frame pa) maps, page by page, the resident page
 * of e's object at that offset: through e and, past its end, only through touching entries of the
 * same object (the pieces of a clipped entry). Anything else maps a frame nobody owns. Object
 * lock held.
 */
static bool superpage_backed(vm_map_t map, vm_map_entry_t e, vm_offset_t base, vm_paddr_t pa)
{
	vm_map_entry_t f = e;
	for (vm_size_t off = 0; off < SUPERPAGE_SIZE; off += PAGE_SIZE) {
		while (base + off >= f->end) {
			vm_map_entry_t g = f->next;
			if (g == &map->header || g->start != f->end || g->object != e->object)
				return false;
			f = g;
		}
		vm_page_t p = vm_object_page_lookup(e->object, entry_pindex(f, base + off));
		if (!p || vm_page_to_phys(p) != pa + off)
			return false;
	}
	return true;
}

/* M7 for one entry: add its 4 KiB and 2 MiB mappings (counted at their base) to the tallies. */
static int check_entry_pages(vm_map_t map, vm_map_entry_t e, uint64_t *n4k, uint64_t *n2m)
{
	unsigned want = vm_map_mmu_flags(map, e->protection);
	struct vm_map_pages it;
	vm_map_pages_init(&it, map, e, e->start, e->end);
	while (vm_map_pages_next(&it)) {
		if (!it.size)
			continue;
		if (e->protection == VM_PROT_NONE || it.flags != want)
			return check_fail(VM_MAP_CHECK_PMAP, e,
					  "page mapped with rights other than the entry's");
		if (it.pa != vm_page_to_phys(it.page))
			return check_fail(VM_MAP_CHECK_PMAP, e,
					  "page mapped to a frame other than its object page");
		if (it.size == PAGE_SIZE) {
			(*n4k)++;
		} else if (it.size != SUPERPAGE_SIZE) {
			return check_fail(VM_MAP_CHECK_PMAP, e,
					  "page mapped with an unexpected page size");
		} else if (!(it.va & SUPERPAGE_MASK)) {
			vm_object_lock(e->object);
			bool backed = superpage_backed(map, e, it.va, it.pa);
			vm_object_unlock(e->object);
			if (!backed)
				return check_fail(
					VM_MAP_CHECK_PMAP, e,
					"2 MiB mapping over pages that are not its object's");
			(*n2m)++;
		}
	}
	return 0;
}

int vm_map_check(vm_map_t map)
{
	KASSERT(rw_locked(&map->lock), "vm_map_check: map not locked");
	if (map->header.end >= map->header.start ||
	    ((map->header.start | map->header.end) & PAGE_MASK))
		return check_fail(VM_MAP_CHECK_BOUNDS, NULL, "map bounds");
	if (map->anon_loc < vm_map_min(map) || map->anon_loc >= vm_map_max(map))
		return check_fail(VM_MAP_CHECK_BOUNDS, NULL, "anon_loc outside the map");

	size_t n = 0;
	uint64_t n4k = 0, n2m = 0;
	vm_size_t wired = 0;
	vm_object_t checked = NULL;
	for (vm_map_entry_t e = map->header.next; e != &map->header; e = e->next) {
		if (e->next->prev != e || ++n > map->nentries)
			return check_fail(VM_MAP_CHECK_LIST, e,
					  "broken link or more entries than counted");
		int rc = check_entry(map, e);
		if (rc)
			return rc;
		if (e->eflags & MAP_ENTRY_USER_WIRED)
			wired += e->end - e->start;
		if (e->object && e->object != checked) {
			vm_object_lock(e->object);
			const char *msg = vm_object_check(e->object);
			vm_object_unlock(e->object);
			if (msg)
				return check_fail(VM_MAP_CHECK_OBJECT, e, msg);
			checked = e->object;
		}
		if (map->pmap && e->object && (rc = check_entry_pages(map, e, &n4k, &n2m)))
			return rc;
	}
	if (n != map->nentries || map->header.next->prev != &map->header)
		return check_fail(VM_MAP_CHECK_LIST, NULL, "entry count or header links");
	if (wired != map->user_wired || (map->flags & ~MAP_WIREFUTURE))
		return check_fail(VM_MAP_CHECK_WIRED, NULL,
				  "user_wired differs from the wired entries, or unknown flags");

	const char *msg = vm_map_tree_check(&map->tree);
	if (msg)
		return check_fail(VM_MAP_CHECK_TREE_INVARIANTS, NULL, msg);
	if (map->tree.count != map->nentries || map->tree.min != vm_map_min(map) ||
	    map->tree.max != vm_map_max(map))
		return check_fail(VM_MAP_CHECK_TREE, NULL,
				  "tree count or bounds differ from the map's");
	for (vm_map_entry_t e = map->header.next; e != &map->header; e = e->next)
		if (vm_map_tree_lookup(&map->tree, e->start, NULL) != e)
			return check_fail(VM_MAP_CHECK_TREE, e, "listed but not in the tree");
	for (int i = 0; i < VM_MAP_CPU_SLOTS; i++) {
		vm_map_entry_t h = __atomic_load_n(&map->cpu[i].hint, __ATOMIC_RELAXED), e;
		for (e = map->header.next; h && e != h && e != &map->header; e = e->next)
			;
		if (h && e != h)
			return check_fail(VM_MAP_CHECK_HINT, NULL,
					  "a CPU's hint is not a listed entry");
	}

	struct vm_map_stats st;
	vm_map_get_stats(map, &st);
	if (st.resident_4k != n4k || st.resident_2m != n2m || st.faults_2m > st.faults) {
		kprintf("vm_map_check: counted %llu 4 KiB and %llu 2 MiB mappings, stats say %llu and %llu\n",
			(unsigned long long)n4k, (unsigned long long)n2m,
			(unsigned long long)st.resident_4k, (unsigned long long)st.resident_2m);
		return check_fail(VM_MAP_CHECK_PMAP, NULL,
				  "resident counters differ from the page tables");
	}
	return 0;
}
