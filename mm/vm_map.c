/*
 * Address maps (contract and invariants in mm/vm_map.h).
 *
 * Entries sit on a doubly linked list in address order and in an AVL tree keyed by start. Each
 * entry owns the gap before it (down to its list predecessor's end, or the map's min); every tree
 * node records the largest such gap in its subtree (max_free), so that a first-fit search descends
 * to the lowest gap that is large enough in O(log n). The gap after the last entry is not in the
 * tree and is looked at separately.
 *
 * Only three things change a gap: linking an entry, unlinking one, and changing an entry's end
 * (clip, merge). A new leaf's list neighbours are both its tree ancestors, and an unlinked node's
 * successor is either an ancestor or takes its place, so re-deriving max_free on the way from the
 * changed spot to the root keeps every gap exact. Entry starts never change in place; ends only
 * change while the successor's gap stays the same (clip, merge).
 *
 * Operations that may clip take every entry they could need before they change anything, so that
 * running out of memory leaves the map as it was.
 */
#include "mm/vm_map.h"
#include "kernel/preempt.h"
#include "kernel/kprintf.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

/* Maps that end at or below this address are user maps: their pages get MMU_USER. */
#define VM_MAP_USER_TOP 0x0000800000000000ull

static struct kmem_cache *entry_cache;
static spinlock_t entry_cache_lock = SPINLOCK_INIT("vm_map_entry cache");

static bool entry_cache_ready(void)
{
	if (__atomic_load_n(&entry_cache, __ATOMIC_ACQUIRE))
		return true;
	spin_lock(&entry_cache_lock);
	if (!entry_cache)
		__atomic_store_n(&entry_cache, kmem_cache_create("vm_map_entry", sizeof(struct vm_map_entry), 0),
				 __ATOMIC_RELEASE);
	spin_unlock(&entry_cache_lock);
	return __atomic_load_n(&entry_cache, __ATOMIC_ACQUIRE) != NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Entries taken ahead of time: a remove clips at most twice, a fixed mapping adds one more.
 */
#define RESERVE_MAX 3

struct entry_reserve {
	vm_map_entry_t e[RESERVE_MAX];
	unsigned n;
};

static void reserve_release(struct entry_reserve *r)
{
	while (r->n)
		kmem_cache_free(entry_cache, r->e[--r->n]);
}

static bool reserve_fill(struct entry_reserve *r, unsigned n)
{
	while (r->n < n) {
		vm_map_entry_t e = kmem_cache_alloc(entry_cache);
		if (!e) {
			reserve_release(r);
			return false;
		}
		r->e[r->n++] = e;
	}
	return true;
}

static vm_map_entry_t reserve_take(struct entry_reserve *r)
{
	KASSERT(r->n > 0, "vm_map: entry reserve exhausted");
	return r->e[--r->n];
}

/* ---------------------------------------------------------------------------------------------
 * The AVL tree with gap augmentation.
 */
static vm_size_t gap_before(const struct vm_map_entry *e) { return e->start - e->prev->end; }

static unsigned height_of(const struct vm_map_entry *e) { return e ? e->height : 0; }

static vm_size_t max_free_of(const struct vm_map_entry *e) { return e ? e->max_free : 0; }

static void node_update(vm_map_entry_t e)
{
	unsigned hl = height_of(e->left), hr = height_of(e->right);
	e->height = (uint8_t)(1 + (hl > hr ? hl : hr));
	vm_size_t m = gap_before(e);
	if (max_free_of(e->left) > m)
		m = e->left->max_free;
	if (max_free_of(e->right) > m)
		m = e->right->max_free;
	e->max_free = m;
}

/* Put child where old was under parent (NULL: the root). */
static void set_child(vm_map_t map, vm_map_entry_t parent, vm_map_entry_t old, vm_map_entry_t child)
{
	if (!parent)
		map->root = child;
	else if (parent->left == old)
		parent->left = child;
	else
		parent->right = child;
	if (child)
		child->parent = parent;
}

static vm_map_entry_t rotate_left(vm_map_t map, vm_map_entry_t x)
{
	vm_map_entry_t y = x->right;
	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	set_child(map, x->parent, x, y);
	y->left = x;
	x->parent = y;
	node_update(x);
	node_update(y);
	return y;
}

static vm_map_entry_t rotate_right(vm_map_t map, vm_map_entry_t x)
{
	vm_map_entry_t y = x->left;
	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	set_child(map, x->parent, x, y);
	y->right = x;
	x->parent = y;
	node_update(x);
	node_update(y);
	return y;
}

/* Restore heights, balance and max_free from n up to the root. */
static void rebalance(vm_map_t map, vm_map_entry_t n)
{
	while (n) {
		node_update(n);
		int bal = (int)height_of(n->left) - (int)height_of(n->right);
		if (bal > 1) {
			if (height_of(n->left->left) < height_of(n->left->right))
				rotate_left(map, n->left);
			n = rotate_right(map, n);
		} else if (bal < -1) {
			if (height_of(n->right->right) < height_of(n->right->left))
				rotate_right(map, n->right);
			n = rotate_left(map, n);
		}
		n = n->parent;
	}
}

/*
 * Add e, already on the list, to the tree. Its in-order neighbours are its list neighbours, so it
 * becomes the right child of its predecessor or, if that one has a right child, the left child of
 * its successor (which then has none).
 */
static void tree_insert(vm_map_t map, vm_map_entry_t e)
{
	vm_map_entry_t p = e->prev, s = e->next;
	e->left = e->right = NULL;
	if (!map->root) {
		map->root = e;
		e->parent = NULL;
	} else if (p != &map->header && !p->right) {
		p->right = e;
		e->parent = p;
	} else {
		KASSERT(s != &map->header && !s->left, "vm_map: tree and list disagree at 0x%llx",
			(unsigned long long)e->start);
		s->left = e;
		e->parent = s;
	}
	rebalance(map, e);
}

/* Take z, already off the list, out of the tree; succ was its list successor. */
static void tree_remove(vm_map_t map, vm_map_entry_t z, vm_map_entry_t succ)
{
	if (z->left && z->right) {
		/* succ is the leftmost node of z's right subtree: it takes z's place. */
		vm_map_entry_t y = succ, fix;
		if (y->parent != z) {
			fix = y->parent;
			fix->left = y->right;
			if (y->right)
				y->right->parent = fix;
			y->right = z->right;
			z->right->parent = y;
		} else {
			fix = y;
		}
		y->left = z->left;
		z->left->parent = y;
		set_child(map, z->parent, z, y);
		rebalance(map, fix);
	} else {
		/* A right-only child is a leaf and z's successor, whose gap grew: start there. */
		vm_map_entry_t c = z->left ? z->left : z->right;
		set_child(map, z->parent, z, c);
		rebalance(map, c ? c : z->parent);
	}
}

static void entry_link(vm_map_t map, vm_map_entry_t after, vm_map_entry_t e)
{
	e->prev = after;
	e->next = after->next;
	after->next->prev = e;
	after->next = e;
	map->nentries++;
	tree_insert(map, e);
}

static void entry_unlink(vm_map_t map, vm_map_entry_t e)
{
	vm_map_entry_t succ = e->next;
	e->prev->next = succ;
	succ->prev = e->prev;
	map->nentries--;
	tree_remove(map, e, succ);
}

/* The last entry with start <= addr, or the header if there is none. */
static vm_map_entry_t entry_at_or_before(vm_map_t map, vm_offset_t addr)
{
	vm_map_entry_t n = map->root, best = &map->header;
	while (n) {
		if (addr < n->start) {
			n = n->left;
		} else {
			best = n;
			n = n->right;
		}
	}
	return best;
}

/* The entry containing addr, or NULL. */
static vm_map_entry_t entry_containing(vm_map_t map, vm_offset_t addr)
{
	vm_map_entry_t e = entry_at_or_before(map, addr);
	return e != &map->header && addr < e->end ? e : NULL;
}

/* The lowest entry of subtree n with gap_before >= len; n->max_free must be >= len. */
static vm_map_entry_t first_fit_any(vm_map_entry_t n, vm_size_t len)
{
	for (;;) {
		if (max_free_of(n->left) >= len)
			n = n->left;
		else if (gap_before(n) >= len)
			return n;
		else
			n = n->right;
	}
}

/* The lowest entry of subtree n with start > key and gap_before >= len, or NULL. O(height). */
static vm_map_entry_t first_fit_after(vm_map_entry_t n, vm_offset_t key, vm_size_t len)
{
	while (n && n->max_free >= len) {
		if (n->start <= key) {
			n = n->right;
			continue;
		}
		/* All of n's right subtree is above key: only the left one needs the key test. */
		vm_map_entry_t r = first_fit_after(n->left, key, len);
		if (r)
			return r;
		if (gap_before(n) >= len)
			return n;
		return max_free_of(n->right) >= len ? first_fit_any(n->right, len) : NULL;
	}
	return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Lookup and free-space search.
 */
bool vm_map_lookup_entry(vm_map_t map, vm_offset_t addr, vm_map_entry_t *entry)
{
	KASSERT(rw_locked(&map->lock), "vm_map_lookup_entry: map not locked");
	vm_map_entry_t e = entry_at_or_before(map, addr);
	if (e == &map->header) {
		*entry = NULL;
		return false;
	}
	*entry = e;
	return addr < e->end;
}

/*
 * vm_map_findspace, also returning in *prevp the entry the found gap follows (the header if it
 * starts the map): the predecessor an insert there needs, so that the caller does not look it up
 * again. *prevp is meaningless on failure.
 */
static vm_offset_t findspace(vm_map_t map, vm_offset_t start, vm_size_t length, vm_map_entry_t *prevp)
{
	vm_offset_t min = vm_map_min(map), max = vm_map_max(map);
	vm_offset_t fail = max - length + 1;
	KASSERT(rw_locked(&map->lock), "vm_map_findspace: map not locked");

	if (start < min)
		start = min;
	if (length == 0 || start > max)
		return fail;
	start = round_page(start); /* no wrap: max is page aligned */
	if (length > max - start)
		return fail;

	/* The gap that contains start (or begins where the entry containing it ends). */
	vm_map_entry_t prev = entry_at_or_before(map, start);
	if (prev != &map->header && start < prev->end)
		start = prev->end;
	vm_map_entry_t next = prev->next; /* the header's start is max: the last gap ends there */
	*prevp = prev;
	if (next->start - start >= length)
		return start;
	if (next == &map->header)
		return fail;

	/* Every gap after next's lies wholly above start: the lowest large enough one wins. */
	vm_map_entry_t e = first_fit_after(map->root, next->start, length);
	*prevp = e ? e->prev : map->header.prev;
	if (max - (*prevp)->end >= length) /* e's gap always fits; the last one may not */
		return (*prevp)->end;
	return fail;
}

vm_offset_t vm_map_findspace(vm_map_t map, vm_offset_t start, vm_size_t length)
{
	vm_map_entry_t prev;
	return findspace(map, start, length, &prev);
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
 * modulo mask + 1 (mask 0: any page), with the entry it follows in *prevp. Each round is one
 * O(log n) search; an address that does not fit after aligning is retried from the aligned
 * address, so every round moves up.
 */
static int find_aligned(vm_map_t map, vm_offset_t hint, vm_size_t length, vm_offset_t ub, vm_size_t mask,
			vm_offset_t phase, vm_offset_t *out, vm_map_entry_t *prevp)
{
	vm_offset_t start = hint;
	for (;;) {
		vm_offset_t a = findspace(map, start, length, prevp);
		if (a + length > ub)
			return KERN_NO_SPACE;
		vm_offset_t aligned = a + ((phase - a) & mask);
		if (aligned < a)
			return KERN_NO_SPACE;
		if (aligned == a) {
			*out = a;
			return KERN_SUCCESS;
		}
		start = aligned;
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
	if (vm_map_max(map) <= VM_MAP_USER_TOP)
		flags |= MMU_USER;
	return flags;
}

static void stat_add(uint64_t *counter, int64_t delta)
{
	__atomic_add_fetch(counter, (uint64_t)delta, __ATOMIC_RELAXED);
}

/* Whether pages of e can be mapped at all: it needs a pmap, an object and some right. */
static bool entry_maps_pages(vm_map_t map, vm_map_entry_t e)
{
	return map->pmap && e->object && e->protection != VM_PROT_NONE;
}

static uint64_t entry_pindex(vm_map_entry_t e, vm_offset_t va) { return (e->offset + (va - e->start)) >> PAGE_SHIFT; }

/* The 2 MiB mapping holding va, if it reaches outside [s, e); its base in *base. */
static bool superpage_straddles(pmap_t pmap, vm_offset_t va, vm_offset_t s, vm_offset_t e, vm_offset_t *base)
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
		int rc = remove ? pmap_remove(map->pmap, lo, hi - lo) : pmap_protect(map->pmap, lo, hi - lo, flags);
		stat_add(&map->stats.resident_2m, -1);
		if (rc == 0) {
			vm_size_t gone = remove ? (hi - lo) >> PAGE_SHIFT : 0;
			stat_add(&map->stats.resident_4k, (int64_t)(SUPERPAGE_SIZE / PAGE_SIZE - gone));
			continue;
		}
		KASSERT(rc == -ENOMEM, "vm_map: pmap refused to split 0x%llx: %d", (unsigned long long)base, rc);
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
	uint64_t first = entry_pindex(entry, s), end = entry_pindex(entry, e), cur = first, idx;
	vm_object_lock(entry->object);
	while (vm_object_page_next(entry->object, cur, end, &idx)) {
		vm_offset_t va = s + ((idx - first) << PAGE_SHIFT);
		vm_size_t size;
		cur = idx + 1;
		if (!pmap_query(map->pmap, va, NULL, NULL, &size))
			continue;
		if (size == SUPERPAGE_SIZE) {
			gone_2m++;
			cur = idx + ((SUPERPAGE_SIZE - (va & SUPERPAGE_MASK)) >> PAGE_SHIFT);
		} else {
			gone_4k++;
		}
	}
	vm_object_unlock(entry->object);

	int rc = pmap_remove(map->pmap, s, e - s);
	KASSERT(rc == 0, "vm_map: pmap_remove without splits failed: %d", rc);
	stat_add(&map->stats.resident_4k, -gone_4k);
	stat_add(&map->stats.resident_2m, -gone_2m);
}

static void protect_pages(vm_map_t map, vm_offset_t s, vm_offset_t e, unsigned flags)
{
	split_ends(map, s, e, false, flags);
	int rc = pmap_protect(map->pmap, s, e - s, flags);
	KASSERT(rc == 0, "vm_map: pmap_protect without splits failed: %d", rc);
}

/* Unmap e's pages, free its object's pages in its range, drop its object reference. */
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
	return a->end == b->start && a->protection == b->protection && a->max_protection == b->max_protection &&
	       a->eflags == b->eflags && a->object == b->object &&
	       (!a->object || a->offset + (a->end - a->start) == b->offset);
}

/* Split e at addr (e->start < addr < e->end); returns the new upper part. */
static vm_map_entry_t clip(vm_map_t map, vm_map_entry_t e, vm_offset_t addr, struct entry_reserve *r)
{
	vm_map_entry_t n = reserve_take(r);
	*n = *e;
	n->start = addr;
	n->offset = e->object ? e->offset + (addr - e->start) : (addr & SUPERPAGE_MASK);
	if (e->object)
		vm_object_reference(e->object);
	e->end = addr;
	entry_link(map, e, n);
	return n;
}

/* Clips that [start, end) needs so that no entry straddles either end. */
static unsigned clips_needed(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	vm_map_entry_t e = entry_containing(map, start), f = entry_containing(map, end);
	return (e && e->start < start) + (f && f->start < end);
}

/* Clip at start and end; returns the first entry at or above start (maybe the header). */
static vm_map_entry_t clip_range(vm_map_t map, vm_offset_t start, vm_offset_t end, struct entry_reserve *r)
{
	vm_map_entry_t e = entry_at_or_before(map, start);
	if (e != &map->header && start < e->end) {
		if (e->start < start)
			e = clip(map, e, start, r);
	} else {
		e = e->next;
	}
	vm_map_entry_t f = entry_containing(map, end);
	if (f && f->start < end)
		clip(map, f, end, r);
	return e;
}

/* Fold b into a (a->next == b, entries_mergeable). */
static void merge_into(vm_map_t map, vm_map_entry_t a, vm_map_entry_t b)
{
	a->end = b->end; /* b's successor keeps its gap: a now ends where b did */
	entry_unlink(map, b);
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
	if (cow & ~(MAP_CREATE_GUARD | MAP_CREATE_STACK))
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
	if (cow & MAP_CREATE_STACK)
		*eflags |= MAP_ENTRY_STACK;
	if (object && (offset > object->size || length > object->size - offset))
		return KERN_INVALID_ARGUMENT;
	if (*prot & ~*max)
		return KERN_PROTECTION_FAILURE;
	return KERN_SUCCESS;
}

/* Range checks of vm_map_insert and vm_map_fixed, then check_attrs. */
static int check_insert(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t start, vm_offset_t end,
			vm_prot_t *prot, vm_prot_t *max, int cow, uint16_t *eflags)
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

/* Fill in e and link it after prev ([start, end) free, arguments checked), then coalesce. */
static void insert_entry(vm_map_t map, vm_map_entry_t prev, vm_map_entry_t e, vm_object_t object,
			 vm_ooffset_t offset, vm_offset_t start, vm_offset_t end, vm_prot_t prot, vm_prot_t max,
			 uint16_t eflags)
{
	e->start = start;
	e->end = end;
	e->object = object;
	e->offset = object ? offset : (start & SUPERPAGE_MASK);
	e->protection = prot;
	e->max_protection = max;
	e->eflags = eflags;
	entry_link(map, prev, e);
	if (e->prev != &map->header && entries_mergeable(e->prev, e)) {
		vm_map_entry_t p = e->prev;
		merge_into(map, p, e);
		e = p;
	}
	if (e->next != &map->header && entries_mergeable(e, e->next))
		merge_into(map, e, e->next);
}

int vm_map_insert(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t start, vm_offset_t end,
		  vm_prot_t prot, vm_prot_t max, int cow)
{
	KASSERT(rw_wlocked(&map->lock), "vm_map_insert: map not write-locked");
	uint16_t eflags;
	int rc = check_insert(map, object, offset, start, end, &prot, &max, cow, &eflags);
	if (rc != KERN_SUCCESS)
		return rc;
	vm_map_entry_t prev;
	if (!range_free(map, start, end, &prev))
		return KERN_NO_SPACE;
	vm_map_entry_t e = kmem_cache_alloc(entry_cache);
	if (!e)
		return KERN_RESOURCE_SHORTAGE;
	insert_entry(map, prev, e, object, offset, start, end, prot, max, eflags);
	return KERN_SUCCESS;
}

int vm_map_find_locked(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t *addr,
		       vm_size_t length, vm_offset_t max_addr, int find_space, vm_prot_t prot, vm_prot_t max,
		       int cow)
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
		bool super = find_space == VMFS_SUPER_SPACE || (find_space == VMFS_OPTIMAL_SPACE && object);
		if (super && superpage_worthwhile(offset, length)) {
			mask = SUPERPAGE_MASK;
			phase = offset & SUPERPAGE_MASK;
		} else if (align_shift > PAGE_SHIFT) {
			mask = ((vm_size_t)1 << align_shift) - 1;
		}
		rc = find_aligned(map, *addr, length, ub, mask, phase, &start, &prev);
		if (rc != KERN_SUCCESS && find_space == VMFS_OPTIMAL_SPACE && mask)
			rc = find_aligned(map, *addr, length, ub, 0, 0, &start, &prev);
		if (rc != KERN_SUCCESS)
			return rc;
	}

	vm_map_entry_t e = kmem_cache_alloc(entry_cache);
	if (!e)
		return KERN_RESOURCE_SHORTAGE;
	insert_entry(map, prev, e, object, offset, start, start + length, prot, max, eflags);
	*addr = start;
	return KERN_SUCCESS;
}

int vm_map_find(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t *addr, vm_size_t length,
		vm_offset_t max_addr, int find_space, vm_prot_t prot, vm_prot_t max, int cow)
{
	vm_map_lock(map);
	int rc = vm_map_find_locked(map, object, offset, addr, length, max_addr, find_space, prot, max, cow);
	vm_map_unlock(map);
	return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Removal and protection.
 */

/* Remove the entries in [start, end) after clipping with entries from r. */
static void delete_range(vm_map_t map, vm_offset_t start, vm_offset_t end, struct entry_reserve *r)
{
	vm_map_entry_t e = clip_range(map, start, end, r);
	while (e != &map->header && e->start < end) {
		vm_map_entry_t next = e->next;
		entry_release(map, e);
		entry_unlink(map, e);
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
	if (!reserve_fill(&r, clips_needed(map, start, end)))
		return KERN_RESOURCE_SHORTAGE;
	delete_range(map, start, end, &r);
	reserve_release(&r);
	return KERN_SUCCESS;
}

int vm_map_remove(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	vm_map_lock(map);
	int rc = vm_map_delete(map, start, end);
	vm_map_unlock(map);
	return rc;
}

static int fixed_locked(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t start, vm_offset_t end,
			vm_prot_t prot, vm_prot_t max, int cow)
{
	KASSERT(rw_wlocked(&map->lock), "vm_map_fixed: map not write-locked");
	uint16_t eflags;
	int rc = check_insert(map, object, offset, start, end, &prot, &max, cow, &eflags);
	if (rc != KERN_SUCCESS)
		return rc;
	struct entry_reserve r = {.n = 0};
	if (!reserve_fill(&r, clips_needed(map, start, end) + 1))
		return KERN_RESOURCE_SHORTAGE;
	vm_map_entry_t e = reserve_take(&r);
	delete_range(map, start, end, &r);
	reserve_release(&r);
	vm_map_entry_t prev;
	bool emptied = range_free(map, start, end, &prev);
	KASSERT(emptied, "vm_map_fixed: range still mapped after delete");
	insert_entry(map, prev, e, object, offset, start, end, prot, max, eflags);
	return KERN_SUCCESS;
}

int vm_map_fixed(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t start, vm_size_t length,
		 vm_prot_t prot, vm_prot_t max, int cow)
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

int vm_map_protect_locked(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_prot_t new_prot, bool set_max)
{
	KASSERT(rw_wlocked(&map->lock), "vm_map_protect_locked: map not write-locked");
	if (((start | end) & PAGE_MASK) || start > end || (new_prot & ~VM_PROT_ALL))
		return KERN_INVALID_ARGUMENT;
	clamp_range(map, &start, &end);
	if (start >= end)
		return KERN_SUCCESS;

	vm_map_entry_t e = entry_at_or_before(map, start);
	if (e == &map->header || e->end <= start)
		e = e->next;
	for (vm_map_entry_t f = e; f != &map->header && f->start < end; f = f->next)
		if (!(f->eflags & MAP_ENTRY_GUARD) && (new_prot & ~f->max_protection))
			return KERN_PROTECTION_FAILURE;

	struct entry_reserve r = {.n = 0};
	if (!reserve_fill(&r, clips_needed(map, start, end)))
		return KERN_RESOURCE_SHORTAGE;
	for (e = clip_range(map, start, end, &r); e != &map->header && e->start < end; e = e->next) {
		if (e->eflags & MAP_ENTRY_GUARD)
			continue;
		vm_prot_t old = e->protection;
		if (set_max) {
			e->max_protection = new_prot;
			e->protection = old & new_prot;
		} else {
			e->protection = new_prot;
		}
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

int vm_map_protect(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_prot_t new_prot, bool set_max)
{
	vm_map_lock(map);
	int rc = vm_map_protect_locked(map, start, end, new_prot, set_max);
	vm_map_unlock(map);
	return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Maps, locks, counters.
 */
vm_map_t vm_map_create(pmap_t pmap, vm_offset_t min, vm_offset_t max)
{
	if (((min | max) & PAGE_MASK) || min >= max || !entry_cache_ready())
		return NULL;
	vm_map_t map = kzalloc(sizeof(*map));
	if (!map)
		return NULL;
	map->header.next = map->header.prev = &map->header;
	map->header.start = max;
	map->header.end = min;
	rw_init(&map->lock, "vm_map");
	map->pmap = pmap;
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
	vm_map_unlock(map);
	kfree(map);
}

void vm_map_lock(vm_map_t map) { rw_wlock(&map->lock); }
void vm_map_unlock(vm_map_t map) { rw_wunlock(&map->lock); }
void vm_map_lock_read(vm_map_t map) { rw_rlock(&map->lock); }
void vm_map_unlock_read(vm_map_t map) { rw_runlock(&map->lock); }
bool vm_map_trylock(vm_map_t map) { return rw_try_wlock(&map->lock); }
bool vm_map_trylock_read(vm_map_t map) { return rw_try_rlock(&map->lock); }

void vm_map_get_stats(vm_map_t map, struct vm_map_stats *stats)
{
	stats->faults = __atomic_load_n(&map->stats.faults, __ATOMIC_RELAXED);
	stats->faults_2m = __atomic_load_n(&map->stats.faults_2m, __ATOMIC_RELAXED);
	stats->resident_4k = __atomic_load_n(&map->stats.resident_4k, __ATOMIC_RELAXED);
	stats->resident_2m = __atomic_load_n(&map->stats.resident_2m, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------------------------------------
 * The invariant checker.
 */
static const char *const check_names[] = {
	[VM_MAP_CHECK_BOUNDS] = "M1 entries inside the map, aligned, sorted, disjoint",
	[VM_MAP_CHECK_LIST] = "M1 list links and entry count",
	[VM_MAP_CHECK_TREE] = "M2 tree holds the list in order, AVL balanced",
	[VM_MAP_CHECK_MAX_FREE] = "M3 max_free is the largest gap of the subtree",
	[VM_MAP_CHECK_PROT] = "M4 protections",
	[VM_MAP_CHECK_OBJECT] = "M5 objects and offsets",
	[VM_MAP_CHECK_COALESCE] = "M6 no mergeable neighbours",
	[VM_MAP_CHECK_PMAP] = "M7 mappings and resident counters",
};

const char *vm_map_check_msg(int code)
{
	if (code <= 0 || code > VM_MAP_CHECK_PMAP)
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

static int check_subtree(vm_map_t map, vm_map_entry_t n, vm_map_entry_t parent, vm_map_entry_t *cursor,
			 unsigned *height, vm_size_t *max_free)
{
	*height = 0;
	*max_free = 0;
	if (!n)
		return 0;
	if (n->parent != parent)
		return check_fail(VM_MAP_CHECK_TREE, n, "wrong parent link");
	unsigned hl, hr;
	vm_size_t ml, mr;
	int rc = check_subtree(map, n->left, n, cursor, &hl, &ml);
	if (rc)
		return rc;
	if (n != *cursor)
		return check_fail(VM_MAP_CHECK_TREE, n, "in-order position differs from the list");
	*cursor = n->next;
	rc = check_subtree(map, n->right, n, cursor, &hr, &mr);
	if (rc)
		return rc;
	if (hl > hr + 1 || hr > hl + 1)
		return check_fail(VM_MAP_CHECK_TREE, n, "unbalanced");
	*height = 1 + (hl > hr ? hl : hr);
	if (n->height != *height)
		return check_fail(VM_MAP_CHECK_TREE, n, "stale height");
	vm_size_t m = gap_before(n);
	if (ml > m)
		m = ml;
	if (mr > m)
		m = mr;
	if (n->max_free != m)
		return check_fail(VM_MAP_CHECK_MAX_FREE, n, "stale max_free");
	*max_free = m;
	return 0;
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
	if ((e->eflags & ~(MAP_ENTRY_GUARD | MAP_ENTRY_STACK)) ||
	    ((e->eflags & MAP_ENTRY_GUARD) && (e->max_protection != VM_PROT_NONE || e->object)))
		return check_fail(VM_MAP_CHECK_PROT, e, "bad eflags or a guard with rights or an object");
	if (!e->object && e->offset != (e->start & SUPERPAGE_MASK))
		return check_fail(VM_MAP_CHECK_OBJECT, e, "anonymous entry's offset is not start & SUPERPAGE_MASK");
	if (e->object && ((e->offset & PAGE_MASK) || e->offset > e->object->size ||
			  e->end - e->start > e->object->size - e->offset || e->object->ref_count == 0))
		return check_fail(VM_MAP_CHECK_OBJECT, e, "offset unaligned, range beyond its object, or no reference");
	if (e->prev != &map->header && entries_mergeable(e->prev, e))
		return check_fail(VM_MAP_CHECK_COALESCE, e, "could coalesce with its predecessor");
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
	uint64_t first = entry_pindex(e, e->start), end = entry_pindex(e, e->end), cur = first, idx;
	unsigned want = vm_map_mmu_flags(map, e->protection);
	int rc = 0;
	vm_page_t p;
	vm_object_lock(e->object);
	while (!rc && (p = vm_object_page_next(e->object, cur, end, &idx))) {
		vm_offset_t va = e->start + ((idx - first) << PAGE_SHIFT);
		vm_paddr_t pa;
		unsigned flags;
		vm_size_t size;
		cur = idx + 1;
		if (!pmap_query(map->pmap, va, &pa, &flags, &size))
			continue;
		if (e->protection == VM_PROT_NONE || flags != want)
			rc = check_fail(VM_MAP_CHECK_PMAP, e, "page mapped with rights other than the entry's");
		else if (pa != vm_page_to_phys(p))
			rc = check_fail(VM_MAP_CHECK_PMAP, e, "page mapped to a frame other than its object page");
		else if (size == PAGE_SIZE)
			(*n4k)++;
		else if (size == SUPERPAGE_SIZE && !(va & SUPERPAGE_MASK) && !superpage_backed(map, e, va, pa))
			rc = check_fail(VM_MAP_CHECK_PMAP, e, "2 MiB mapping over pages that are not its object's");
		else if (size == SUPERPAGE_SIZE && !(va & SUPERPAGE_MASK))
			(*n2m)++;
		else if (size != SUPERPAGE_SIZE)
			rc = check_fail(VM_MAP_CHECK_PMAP, e, "page mapped with an unexpected page size");
	}
	vm_object_unlock(e->object);
	return rc;
}

int vm_map_check(vm_map_t map)
{
	KASSERT(rw_locked(&map->lock), "vm_map_check: map not locked");
	if (map->header.end >= map->header.start || ((map->header.start | map->header.end) & PAGE_MASK))
		return check_fail(VM_MAP_CHECK_BOUNDS, NULL, "map bounds");

	size_t n = 0;
	uint64_t n4k = 0, n2m = 0;
	vm_object_t checked = NULL;
	for (vm_map_entry_t e = map->header.next; e != &map->header; e = e->next) {
		if (e->next->prev != e || ++n > map->nentries)
			return check_fail(VM_MAP_CHECK_LIST, e, "broken link or more entries than counted");
		int rc = check_entry(map, e);
		if (rc)
			return rc;
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

	vm_map_entry_t cursor = map->header.next;
	unsigned height;
	vm_size_t max_free;
	int rc = check_subtree(map, map->root, NULL, &cursor, &height, &max_free);
	if (rc)
		return rc;
	if (cursor != &map->header)
		return check_fail(VM_MAP_CHECK_TREE, cursor, "listed but not in the tree");

	struct vm_map_stats st;
	vm_map_get_stats(map, &st);
	if (st.resident_4k != n4k || st.resident_2m != n2m || st.faults_2m > st.faults) {
		kprintf("vm_map_check: counted %llu 4 KiB and %llu 2 MiB mappings, stats say %llu and %llu\n",
			(unsigned long long)n4k, (unsigned long long)n2m, (unsigned long long)st.resident_4k,
			(unsigned long long)st.resident_2m);
		return check_fail(VM_MAP_CHECK_PMAP, NULL, "resident counters differ from the page tables");
	}
	return 0;
}
