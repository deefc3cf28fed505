/*
 * The vm_map index (contract and invariants in mm/vm_map_tree.h).
 *
 * Operations walk down from the root and remember the way in a path: the node and slot at each
 * level. Nodes have no parent pointers, so that splitting or merging a node never writes to its
 * children, which would be cache misses on nodes the operation has no other reason to touch.
 * After a node changes, its parent's summary of it (lowest key, largest gap) is recomputed, and so
 * on up the path while a summary changes.
 *
 * Where a gap changes: an insert cuts the gap it lands in into the new entry's gap and the rest,
 * which stays with the entry after it; a removal gives its gap and the entry's own range to the
 * entry after it; a new end changes the gap of the entry after it. The entry after is the next
 * slot of the leaf, or the first slot of the next leaf, or none (then last_end changes).
 */
#include "mm/vm_map_tree.h"
#include "kernel/panic.h"
#include "kernel/preempt.h"
#include "kernel/string.h"
#include "mm/kmem.h"
#include "mm/vm_map.h"

#define SLOTS VM_MAP_TREE_SLOTS
#define MIN_SLOTS VM_MAP_TREE_MIN_SLOTS
#define NO_KEY (~(vm_offset_t)0)

typedef struct vm_map_tree_node node_t;

_Static_assert(sizeof(node_t) == 384, "a node is six cache lines");
_Static_assert(__builtin_offsetof(node_t, gap) == 128 && __builtin_offsetof(node_t, slot) == 256,
	       "each array of a node starts a cache line");

static struct kmem_cache *node_cache;

/* The way down to a leaf slot: at each level the node and the slot taken (at the leaf: the slot). */
typedef struct vm_map_tree_cursor path_t;

/* ---------------------------------------------------------------------------------------------
 * One node.
 */

/*
 * Start fetching the lines of n that a descent reads after its keys: the pointers, and with gaps
 * the gaps. Asked for while the keys are compared, they arrive together with them, which saves a
 * cache miss or two per level when the tree is cold (a big map).
 */
static void node_prefetch(const node_t *n, bool gaps)
{
	__builtin_prefetch(&n->slot[0]);
	__builtin_prefetch(&n->slot[SLOTS - 1]);
	if (gaps) {
		__builtin_prefetch(&n->gap[0]);
		__builtin_prefetch(&n->gap[SLOTS - 1]);
	}
}

/* How many of n's keys are <= addr, which is the slot of its first key above addr. */
static unsigned keys_at_or_below(const node_t *n, vm_offset_t addr)
{
	unsigned r = 0;
#pragma GCC unroll 15
	for (unsigned i = 0; i < SLOTS; i++)
		r += n->key[i] <= addr;
	return r < n->count ? r : n->count; /* unused slots' NO_KEY counts only for addr NO_KEY */
}

static vm_size_t max_of(vm_size_t a, vm_size_t b)
{
	return a > b ? a : b;
}

static vm_size_t node_max_gap(const node_t *n)
{
	const vm_size_t *g = n->gap;
	/* A tree of maxima rather than a chain: four dependent steps instead of fifteen. */
	vm_size_t a = max_of(max_of(g[0], g[1]), max_of(g[2], g[3]));
	vm_size_t b = max_of(max_of(g[4], g[5]), max_of(g[6], g[7]));
	vm_size_t c = max_of(max_of(g[8], g[9]), max_of(g[10], g[11]));
	vm_size_t d = max_of(max_of(g[12], g[13]), g[14]);
	return max_of(max_of(a, b), max_of(c, d));
}
_Static_assert(VM_MAP_TREE_SLOTS == 15, "node_max_gap reads 15 gaps");

/* The first slot at or after from whose gap is at least length (> 0), or n->count. */
static unsigned first_gap_from(const node_t *n, unsigned from, vm_size_t length)
{
	/* a bit per slot, without a branch per slot: unused slots' gap 0 never fits */
	unsigned fits = 0;
#pragma GCC unroll 15
	for (unsigned i = 0; i < SLOTS; i++)
		fits |= (unsigned)(n->gap[i] >= length) << i;
	fits &= ~0u << from;
	return fits ? (unsigned)__builtin_ctz(fits) : n->count;
}

/* Clear slots [from, to). */
static void slots_clear(node_t *n, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		n->key[i] = NO_KEY;
		n->gap[i] = 0;
		n->slot[i] = NULL;
	}
}

/*
 * Copy count slots from src's slot from to dst's slot to; within one node the ranges may overlap.
 * A loop rather than memmove: moves are a few slots, shorter than a call.
 */
static void slots_move(node_t *dst, unsigned to, const node_t *src, unsigned from, unsigned count)
{
	if (dst == src && to > from) {
		for (unsigned i = count; i-- > 0;) {
			dst->key[to + i] = src->key[from + i];
			dst->gap[to + i] = src->gap[from + i];
			dst->slot[to + i] = src->slot[from + i];
		}
		return;
	}
	for (unsigned i = 0; i < count; i++) {
		dst->key[to + i] = src->key[from + i];
		dst->gap[to + i] = src->gap[from + i];
		dst->slot[to + i] = src->slot[from + i];
	}
}

static void slot_insert(node_t *n, unsigned pos, vm_offset_t key, vm_size_t gap, void *ptr)
{
	slots_move(n, pos + 1, n, pos, n->count - pos);
	n->key[pos] = key;
	n->gap[pos] = gap;
	n->slot[pos] = ptr;
	n->count++;
}

static void slot_remove(node_t *n, unsigned pos)
{
	slots_move(n, pos, n, pos + 1, n->count - pos - 1);
	n->count--;
	slots_clear(n, n->count, n->count + 1);
}

/* Make parent's slot i describe its child again. */
static void summarize(node_t *parent, unsigned i)
{
	const node_t *child = parent->child[i];
	parent->key[i] = child->key[0];
	parent->gap[i] = node_max_gap(child);
}

/*
 * Put (key, gap, ptr) at slot pos of the full node n and move the upper half of the 16 to the
 * empty node r: 8 stay, 8 move.
 */
static void split_insert(node_t *n, node_t *r, unsigned pos, vm_offset_t key, vm_size_t gap,
			 void *ptr)
{
	const unsigned stay = (SLOTS + 1) / 2;
	unsigned from = pos < stay ? stay - 1 : stay;
	slots_move(r, 0, n, from, SLOTS - from);
	r->count = SLOTS - from;
	n->count = from;
	slots_clear(n, from, SLOTS);
	if (pos < stay)
		slot_insert(n, pos, key, gap, ptr);
	else
		slot_insert(r, pos - stay, key, gap, ptr);
}

/* ---------------------------------------------------------------------------------------------
 * Node memory.
 */
static node_t *spare_take(struct vm_map_tree *t)
{
	KASSERT(t->nspare > 0, "vm_map_tree: insert without a reservation");
	node_t *n = t->spare;
	t->spare = n->child[0];
	t->nspare--;
	n->count = 0;
	slots_clear(n, 0, SLOTS);
	return n;
}

bool vm_map_tree_reserve(struct vm_map_tree *t, unsigned inserts)
{
	/* Insert j (from 0) meets a tree at most height + j high: a split per level and a new root. */
	unsigned need = inserts * (t->height + 1) + inserts * (inserts - 1) / 2;
	if (t->nspare >= need)
		return true;
	if (!kmem_cache_create_once(&node_cache, "vm_map_tree_node", sizeof(node_t), 64))
		return false;
	while (t->nspare < need) {
		node_t *n = kmem_cache_alloc(node_cache);
		if (!n)
			return false;
		n->child[0] = t->spare;
		t->spare = n;
		t->nspare++;
	}
	return true;
}

void vm_map_tree_init(struct vm_map_tree *t, vm_offset_t min, vm_offset_t max)
{
	*t = (struct vm_map_tree){.min = min, .max = max, .last_end = min};
}

static void free_subtree(node_t *n, unsigned levels_below)
{
	if (levels_below) {
		for (unsigned i = 0; i < n->count; i++)
			free_subtree(n->child[i], levels_below - 1);
	} else {
		preempt_point(); /* a leaf at a time: freeing 10^5 nodes takes a while */
	}
	kmem_cache_free(node_cache, n);
}

void vm_map_tree_fini(struct vm_map_tree *t)
{
	if (t->root)
		free_subtree(t->root, t->height - 1);
	while (t->spare) {
		node_t *n = t->spare;
		t->spare = n->child[0];
		kmem_cache_free(node_cache, n);
	}
	vm_map_tree_init(t, t->min, t->max);
}

/* ---------------------------------------------------------------------------------------------
 * Paths.
 */

/*
 * Walk down towards addr: at inner levels into the child whose keys may hold addr (the first child
 * if addr is below them all), at the leaf to the slot of the first key above addr.
 */
static void descend(const struct vm_map_tree *t, vm_offset_t addr, path_t *p)
{
	node_t *n = t->root;
	unsigned leaf = t->height - 1;
	for (unsigned l = 0; l < leaf; l++) {
		node_prefetch(
			n,
			true); /* whoever wants a path reads or changes gaps (a lookup: to remove) */
		unsigned r = keys_at_or_below(n, addr);
		p->node[l] = n;
		p->idx[l] = r ? r - 1 : 0;
		n = n->child[p->idx[l]];
	}
	node_prefetch(n, true);
	p->node[leaf] = n;
	p->idx[leaf] = keys_at_or_below(n, addr);
}

/* Point p at e's slot (e must be in the tree); returns the leaf level. */
static unsigned locate(const struct vm_map_tree *t, const struct vm_map_entry *e, path_t *p)
{
	KASSERT(t->root, "vm_map_tree: entry 0x%llx not in an empty tree",
		(unsigned long long)e->start);
	descend(t, e->start, p);
	unsigned leaf = t->height - 1;
	KASSERT(p->idx[leaf] > 0 && p->node[leaf]->entry[p->idx[leaf] - 1] == e,
		"vm_map_tree: entry 0x%llx not in the tree", (unsigned long long)e->start);
	p->idx[leaf]--;
	return leaf;
}

/*
 * Make *to the path to the first slot of the leaf after from's (copying only the levels the two
 * share); false, *to untouched, if from's leaf is the last.
 */
static bool next_leaf(const struct vm_map_tree *t, const path_t *from, path_t *to)
{
	unsigned leaf = t->height - 1, l = leaf;
	do {
		if (l == 0)
			return false;
		l--;
	} while (from->idx[l] + 1u >= from->node[l]->count);
	memcpy(to->node, from->node, (l + 1) * sizeof(to->node[0]));
	memcpy(to->idx, from->idx, l * sizeof(to->idx[0]));
	to->idx[l] = from->idx[l] + 1;
	for (; l < leaf; l++) {
		to->node[l + 1] = to->node[l]->child[to->idx[l]];
		to->idx[l + 1] = 0;
	}
	return true;
}

/* p->node[level] changed: bring the summaries above it up to date, up the path while they change. */
static void fix_up(const path_t *p, unsigned level)
{
	while (level-- > 0) {
		node_t *parent = p->node[level];
		unsigned i = p->idx[level];
		vm_offset_t key = parent->key[i];
		vm_size_t gap = parent->gap[i];
		summarize(parent, i);
		if (parent->key[i] == key && parent->gap[i] == gap)
			return;
	}
}

/*
 * The entry at leaf slot pos of p (pos == the leaf's count: the first entry of the next leaf)
 * now follows an entry that ends at end: set its gap, or last_end if there is no such entry.
 * Returns the end it followed before. A gap in p's own leaf is left for the caller's fix_up
 * (every caller changes that leaf anyway); one in the next leaf is summarized up its path here.
 */
static vm_offset_t set_gap_after(struct vm_map_tree *t, const path_t *p, unsigned pos,
				 vm_offset_t end)
{
	unsigned leaf = t->height - 1;
	path_t next;
	if (pos == p->node[leaf]->count) {
		if (!next_leaf(t, p, &next)) {
			vm_offset_t old = t->last_end;
			t->last_end = end;
			return old;
		}
		p = &next;
		pos = 0;
	}
	node_t *n = p->node[leaf];
	KASSERT(end <= n->key[pos],
		"vm_map_tree: range ending at 0x%llx overlaps the entry at 0x%llx",
		(unsigned long long)end, (unsigned long long)n->key[pos]);
	vm_offset_t old = n->key[pos] - n->gap[pos];
	n->gap[pos] = n->key[pos] - end;
	if (p == &next)
		fix_up(p, leaf);
	return old;
}

/* ---------------------------------------------------------------------------------------------
 * Changes.
 */

/*
 * Make room in the full node p->node[level] for a slot at *pos by moving its first slots, up to
 * *pos, to its left sibling if that one has room; *pos follows. Without this, maps that grow at
 * one end (most do) would leave every node half full: a split leaves two halves and only the
 * right one ever fills again. Returns false if nothing could move.
 */
static bool spill_left(const path_t *p, unsigned level, unsigned *pos)
{
	if (level == 0 || p->idx[level - 1] == 0)
		return false;
	node_t *n = p->node[level], *left = p->node[level - 1]->child[p->idx[level - 1] - 1];
	unsigned k = SLOTS - left->count < *pos ? SLOTS - left->count : *pos;
	if (k == 0)
		return false;
	slots_move(left, left->count, n, 0, k);
	left->count += k;
	slots_move(n, 0, n, k, n->count - k);
	n->count -= k;
	slots_clear(n, n->count, n->count + k);
	*pos -= k;
	return true;
}

/* Put (key, gap, ptr) at slot pos of p->node[level], spilling or splitting full nodes on the way up. */
static void insert_at(struct vm_map_tree *t, const path_t *p, unsigned level, unsigned pos,
		      vm_offset_t key, vm_size_t gap, void *ptr)
{
	for (;;) {
		node_t *n = p->node[level];
		if (n->count < SLOTS) {
			slot_insert(n, pos, key, gap, ptr);
			fix_up(p, level);
			return;
		}
		if (spill_left(p, level, &pos)) {
			slot_insert(n, pos, key, gap, ptr);
			summarize(p->node[level - 1], p->idx[level - 1] - 1);
			summarize(p->node[level - 1], p->idx[level - 1]);
			fix_up(p, level - 1);
			return;
		}
		node_t *r = spare_take(t);
		split_insert(n, r, pos, key, gap, ptr);
		if (level == 0) {
			KASSERT(t->height < VM_MAP_TREE_MAX_HEIGHT, "vm_map_tree: too high");
			node_t *root = spare_take(t);
			slot_insert(root, 0, 0, 0, n);
			slot_insert(root, 1, 0, 0, r);
			summarize(root, 0);
			summarize(root, 1);
			t->root = root;
			t->height++;
			return;
		}
		summarize(p->node[level - 1], p->idx[level - 1]);
		key = r->key[0];
		gap = node_max_gap(r);
		ptr = r;
		pos = p->idx[level - 1] + 1;
		level--;
	}
}

/* Add e at leaf slot pos of p (p and pos are meaningless in an empty tree). */
static void add_entry(struct vm_map_tree *t, const path_t *p, unsigned pos, struct vm_map_entry *e)
{
	KASSERT(e->start < e->end && e->start >= t->min && e->end <= t->max,
		"vm_map_tree: bad range [0x%llx, 0x%llx)", (unsigned long long)e->start,
		(unsigned long long)e->end);
	if (!t->root) {
		node_t *n = spare_take(t);
		slot_insert(n, 0, e->start, e->start - t->min, e);
		t->root = n;
		t->height = 1;
		t->count = 1;
		t->last_end = e->end;
		return;
	}
	vm_offset_t prev_end = set_gap_after(t, p, pos, e->end);
	KASSERT(prev_end <= e->start, "vm_map_tree: 0x%llx overlaps the entry before it",
		(unsigned long long)e->start);
	insert_at(t, p, t->height - 1, pos, e->start, e->start - prev_end, e);
	t->count++;
}

void vm_map_tree_insert(struct vm_map_tree *t, struct vm_map_entry *e)
{
	path_t p;
	if (t->root)
		descend(t, e->start, &p);
	add_entry(t, &p, t->root ? p.idx[t->height - 1] : 0, e);
}

void vm_map_tree_insert_at(struct vm_map_tree *t, const struct vm_map_tree_cursor *at,
			   struct vm_map_entry *e)
{
	add_entry(t, at, t->root ? at->idx[t->height - 1] : 0, e);
}

/* p->node[level] lost a slot: borrow from or merge with a sibling where it became too small. */
static void rebalance(struct vm_map_tree *t, const path_t *p, unsigned level)
{
	for (;;) {
		node_t *n = p->node[level];
		if (level == 0) {
			if (n->count == 0) {
				kmem_cache_free(node_cache, n);
				t->root = NULL;
				t->height = 0;
			} else if (t->height > 1 && n->count == 1) {
				t->root = n->child[0];
				t->height--;
				kmem_cache_free(node_cache, n);
			}
			return;
		}
		if (n->count >= MIN_SLOTS) {
			fix_up(p, level);
			return;
		}
		node_t *parent = p->node[level - 1];
		unsigned i = p->idx[level - 1];
		node_t *left = i > 0 ? parent->child[i - 1] : NULL;
		node_t *right = i + 1 < parent->count ? parent->child[i + 1] : NULL;
		if (left && left->count > MIN_SLOTS) {
			unsigned last = left->count - 1;
			slot_insert(n, 0, left->key[last], left->gap[last], left->slot[last]);
			slot_remove(left, last);
			summarize(parent, i - 1);
			summarize(parent, i);
			fix_up(p, level - 1);
			return;
		}
		if (right && right->count > MIN_SLOTS) {
			slot_insert(n, n->count, right->key[0], right->gap[0], right->slot[0]);
			slot_remove(right, 0);
			summarize(parent, i);
			summarize(parent, i + 1);
			fix_up(p, level - 1);
			return;
		}
		/* Both neighbours hold MIN_SLOTS: n and one of them fit in one node. */
		unsigned j = left ? i - 1 : i;
		node_t *a = parent->child[j], *b = parent->child[j + 1];
		slots_move(a, a->count, b, 0, b->count);
		a->count += b->count;
		kmem_cache_free(node_cache, b);
		slot_remove(parent, j + 1);
		summarize(parent, j);
		level--;
	}
}

void vm_map_tree_remove_at(struct vm_map_tree *t, const struct vm_map_tree_cursor *at,
			   struct vm_map_entry *e)
{
	unsigned leaf = t->height - 1, pos = at->idx[leaf];
	node_t *n = at->node[leaf];
	KASSERT(t->root && pos < n->count && n->entry[pos] == e,
		"vm_map_tree: cursor not at entry 0x%llx", (unsigned long long)e->start);
	set_gap_after(t, at, pos + 1, e->start - n->gap[pos]);
	slot_remove(n, pos);
	t->count--;
	rebalance(t, at, leaf);
}

void vm_map_tree_remove(struct vm_map_tree *t, struct vm_map_entry *e)
{
	path_t p;
	locate(t, e, &p);
	vm_map_tree_remove_at(t, &p, e);
}

void vm_map_tree_set_end(struct vm_map_tree *t, struct vm_map_entry *e, vm_offset_t end)
{
	KASSERT(e->start < end && end <= t->max, "vm_map_tree: bad end 0x%llx for 0x%llx",
		(unsigned long long)end, (unsigned long long)e->start);
	path_t p;
	unsigned leaf = locate(t, e, &p);
	e->end = end;
	set_gap_after(t, &p, p.idx[leaf] + 1, end);
	fix_up(&p, leaf);
}

/* ---------------------------------------------------------------------------------------------
 * Searches.
 */
struct vm_map_entry *vm_map_tree_lookup(const struct vm_map_tree *t, vm_offset_t addr,
					struct vm_map_tree_cursor *at)
{
	const node_t *n = t->root;
	if (!n)
		return NULL;
	if (at) {
		descend(t, addr, at);
		unsigned leaf = t->height - 1;
		if (at->idx[leaf] == 0)
			return NULL;
		return at->node[leaf]->entry[--at->idx[leaf]];
	}
	for (unsigned l = 1; l < t->height; l++) {
		node_prefetch(n, false);
		unsigned r = keys_at_or_below(n, addr);
		n = n->child[r ? r - 1 : 0];
	}
	node_prefetch(n, false);
	unsigned r = keys_at_or_below(n, addr);
	return r ? n->entry[r - 1] : NULL;
}

/*
 * Point p at the leaf slot of the entry whose gap holds the lowest free range of length at or
 * above start, and return the range's start in *lo; false if no entry's gap has one (the gap
 * after the last entry may). The tree is not empty.
 */
static bool find_gap(const struct vm_map_tree *t, vm_offset_t start, vm_size_t length, path_t *p,
		     vm_offset_t *lo)
{
	unsigned leaf = t->height - 1, l, i;

	/*
	 * Walk down towards start, but only into subtrees that have a gap large enough: the gap that
	 * holds start counts only from start, so a subtree without one has nothing to offer. In a big
	 * map the subtree around start rarely has one: stopping early saves the misses below it.
	 */
	node_t *n = t->root;
	for (l = 0;; l++) {
		node_prefetch(n, true);
		unsigned r = keys_at_or_below(n, start);
		p->node[l] = n;
		if (l == leaf) {
			i = r; /* the first entry above start */
			break;
		}
		p->idx[l] = r ? r - 1 : 0;
		if (n->gap[p->idx[l]] < length) {
			i = p->idx[l] + 1;
			break;
		}
		n = n->child[p->idx[l]];
	}

	for (;;) {
		/* From slot i of level l on: climb to the first slot whose subtree has a gap large enough... */
		for (;;) {
			i = first_gap_from(p->node[l], i, length);
			if (i < p->node[l]->count)
				break;
			if (l == 0)
				return false;
			l--;
			i = p->idx[l] + 1;
		}
		/* ...go down to it, always into the first child that has one... */
		p->idx[l] = i;
		for (; l < leaf; l++) {
			p->node[l + 1] = p->node[l]->child[p->idx[l]];
			node_prefetch(p->node[l + 1], true);
			p->idx[l + 1] = first_gap_from(p->node[l + 1], 0, length);
			KASSERT(p->idx[l + 1] < p->node[l + 1]->count,
				"vm_map_tree: a summary promised a gap that is not there");
		}
		/* ...and take it, unless it is the gap that holds start and is too short above start. */
		n = p->node[leaf];
		i = p->idx[leaf];
		vm_offset_t from = n->key[i] - n->gap[i] > start ? n->key[i] - n->gap[i] : start;
		if (n->key[i] - from >= length) {
			*lo = from;
			return true;
		}
		i++; /* every later gap lies wholly above start */
	}
}

bool vm_map_tree_findspace(const struct vm_map_tree *t, vm_offset_t start, vm_size_t length,
			   vm_offset_t ub, struct vm_map_tree_space *space)
{
	if (start < t->min)
		start = t->min;
	/* The root's gaps tell at once whether any gap but the last can do (with hint 0, often none). */
	if (t->root && node_max_gap(t->root) >= length &&
	    find_gap(t, start, length, &space->at, &space->addr)) {
		const node_t *n = space->at.node[t->height - 1];
		unsigned i = space->at.idx[t->height - 1];
		space->next = n->entry[i];
		space->gap_end = n->key[i];
		/* An insert there links the entries on both sides: start fetching both at once. */
		__builtin_prefetch(space->next);
		if (i > 0)
			__builtin_prefetch(n->entry[i - 1]);
	} else {
		space->addr = t->last_end > start ? t->last_end : start;
		if (space->addr > t->max || t->max - space->addr < length)
			return false;
		space->next = NULL;
		space->gap_end = t->max;
		/* past the last slot of the last leaf */
		if (t->root)
			descend(t, NO_KEY, &space->at);
	}
	return space->addr <= ub && ub - space->addr >= length;
}

/* ---------------------------------------------------------------------------------------------
 * The checker.
 */
struct check_walk {
	vm_offset_t prev_end; /* end of the last entry visited, min before the first */
	size_t entries;
};

/* Check the subtree n at depth level (T2-T5); its lowest key and largest gap go to *key, *gap. */
static const char *check_node(const struct vm_map_tree *t, const node_t *n, unsigned level,
			      struct check_walk *w, vm_offset_t *key, vm_size_t *gap)
{
	bool leaf = level == t->height - 1;
	if (n->count == 0 || n->count > SLOTS || (level > 0 && n->count < MIN_SLOTS) ||
	    (level == 0 && !leaf && n->count < 2))
		return "T2 node fill out of bounds";
	for (unsigned i = n->count; i < SLOTS; i++)
		if (n->key[i] != NO_KEY || n->gap[i] != 0 || n->slot[i] != NULL)
			return "T2 unused slot not cleared";
	vm_size_t max_gap = 0;
	for (unsigned i = 0; i < n->count; i++) {
		if (leaf) {
			const struct vm_map_entry *e = n->entry[i];
			if (!e || e->start != n->key[i])
				return "T3 leaf key is not its entry's start";
			if (e->start < w->prev_end || e->start >= e->end || e->end > t->max)
				return "T3 entries out of order, overlapping, empty or outside [min, max]";
			if (n->gap[i] != e->start - w->prev_end)
				return "T4 leaf gap is not the distance to the entry before";
			w->prev_end = e->end;
			w->entries++;
		} else {
			vm_offset_t k;
			vm_size_t g;
			const char *msg = check_node(t, n->child[i], level + 1, w, &k, &g);
			if (msg)
				return msg;
			if (n->key[i] != k || n->gap[i] != g)
				return "T5 inner slot does not summarize its child";
		}
		max_gap = n->gap[i] > max_gap ? n->gap[i] : max_gap;
	}
	*key = n->key[0];
	*gap = max_gap;
	return NULL;
}

const char *vm_map_tree_check(const struct vm_map_tree *t)
{
	unsigned spares = 0;
	for (const node_t *n = t->spare; n && spares <= t->nspare; n = n->child[0])
		spares++;
	if (spares != t->nspare)
		return "T6 spare list length differs from nspare";
	if (t->min > t->max)
		return "T1 min above max";
	if (!t->root)
		return t->height || t->count || t->last_end != t->min
			       ? "T1 empty tree with height, count or last_end"
			       : NULL;
	if (t->height == 0 || t->height > VM_MAP_TREE_MAX_HEIGHT)
		return "T1 height out of bounds";
	struct check_walk w = {.prev_end = t->min, .entries = 0};
	vm_offset_t key;
	vm_size_t gap;
	const char *msg = check_node(t, t->root, 0, &w, &key, &gap);
	if (msg)
		return msg;
	if (w.entries != t->count)
		return "T3 count differs from the entries in the leaves";
	if (w.prev_end != t->last_end)
		return "T3 last_end is not the last entry's end";
	return NULL;
}
