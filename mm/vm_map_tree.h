/*
 * The index of a vm_map: its entries in a B+-tree keyed by start address, in which every node
 * also records the largest free gap below each of its children, so that lookups and first-fit
 * searches cost one descent of a tree only a few nodes high.
 *
 * Why a B-tree: a search in a binary tree of 10^6 entries follows about 20 pointers, each a cache
 * miss once the map no longer fits in the cache. A node here is six cache lines holding up to 15
 * children (or entries), so the same search reads 6 or 7 nodes, whose upper levels stay cached.
 *
 * Gaps: every entry owns the gap before it, down to the end of the entry before it (or the tree's
 * min for the first one). A leaf keeps each entry's start and gap; an inner node keeps, for each
 * child, the lowest start and the largest gap in that child's subtree. The gap after the last entry
 * (up to max) is tracked apart, as last_end. Searching therefore reads no entry: a gap is
 * [key - gap, key) of a leaf slot.
 *
 * The tree holds pointers to entries owned by the caller, reads their start and end when they are
 * inserted, and writes their end in vm_map_tree_set_end (the only way an entry's end may change
 * while it is in the tree; its start never changes there). It has no lock: the owner serializes
 * (vm_map: the map lock, for writing to change the tree, read is enough to search it).
 *
 * Node memory: an insert may split one node per level, and must not fail halfway, so inserts take
 * nodes only from a reserve that vm_map_tree_reserve fills beforehand; removals and the rest never
 * allocate.
 */
#ifndef MM_VM_MAP_TREE_H
#define MM_VM_MAP_TREE_H

#include "mm/types.h"

struct vm_map_entry;

#define VM_MAP_TREE_SLOTS \
	15 /* children or entries per node: the arrays below fill whole cache lines */
#define VM_MAP_TREE_MIN_SLOTS 7 /* every node but the root holds at least this many */
/*
 * Levels at most: a tree 20 levels high holds at least 2 * 7^19 > 2^52 entries, more than there
 * are pages in 2^64 bytes (an insert that would grow it further panics).
 */
#define VM_MAP_TREE_MAX_HEIGHT 20

/*
 * One node, 384 bytes on 64-byte boundaries: the keys and the count fill two cache lines, the gaps
 * two, the pointers two. Slots count..14 hold key ~0, gap 0 and NULL, so that loops over a node
 * can run over all 15 slots without reading count (which lets the compiler unroll them).
 */
struct vm_map_tree_node {
	/* leaf: entry start; inner: lowest start in the child */
	vm_offset_t key[VM_MAP_TREE_SLOTS];
	uint32_t count; /* slots in use, 1..15 (in every node of a non-empty tree) */
	/* leaf: the entry's; inner: largest in the child */
	vm_size_t gap[VM_MAP_TREE_SLOTS] __attribute__((aligned(64)));
	union {
		struct vm_map_tree_node *child[VM_MAP_TREE_SLOTS]; /* inner nodes */
		struct vm_map_entry *entry[VM_MAP_TREE_SLOTS];     /* leaves */
		void *slot[VM_MAP_TREE_SLOTS]; /* either, for code that only moves slots */
	} __attribute__((aligned(64)));
} __attribute__((aligned(64)));

/*
 * Invariants (vm_map_tree_check):
 *  T1 root == NULL, height == 0, count == 0 and last_end == min go together; otherwise every leaf
 *     is at depth height - 1 and height <= VM_MAP_TREE_MAX_HEIGHT.
 *  T2 A node holds 1..15 slots, at least VM_MAP_TREE_MIN_SLOTS unless it is the root; an inner
 *     root holds at least 2. Unused slots hold key ~0, gap 0 and NULL.
 *  T3 Leaf keys, read leaf after leaf from the left, strictly increase; a leaf slot's key is its
 *     entry's start, and entries are non-empty, disjoint and inside [min, max]. count is their
 *     number and last_end the end of the last one.
 *  T4 A leaf slot's gap is its entry's start minus the end of the entry before it (min for the
 *     first entry).
 *  T5 An inner slot's key is the lowest key and its gap the largest gap in its child's subtree.
 *  T6 spare lists nspare nodes, linked through child[0].
 */
struct vm_map_tree {
	struct vm_map_tree_node *root;
	unsigned height;      /* levels; leaves are at depth height - 1 */
	size_t count;         /* entries */
	vm_offset_t min, max; /* the range the entries lie in and the gaps are measured in */
	/* end of the last entry, min if none: the gap after it is max - last_end */
	vm_offset_t last_end;
	struct vm_map_tree_node *spare; /* the reserve of vm_map_tree_reserve */
	unsigned nspare;
};

/*
 * A place in the tree, as a search leaves it: the way down to one leaf slot. Valid until the tree
 * next changes; vm_map_tree_insert_at and vm_map_tree_remove_at use it to change the tree there
 * without descending again. 180 bytes: fine on a kernel stack, once per call.
 */
struct vm_map_tree_cursor {
	struct vm_map_tree_node *node[VM_MAP_TREE_MAX_HEIGHT];
	/* the slot taken in node[level]; at the leaf, the slot */
	uint8_t idx[VM_MAP_TREE_MAX_HEIGHT];
};

/* An empty tree of entries inside [min, max] (min <= max). Allocates nothing. */
void vm_map_tree_init(struct vm_map_tree *t, vm_offset_t min, vm_offset_t max);

/*
 * Free every node and the reserve; the entries stay the caller's. The tree is empty afterwards.
 * May reach preemption points (long for a big tree), so call it where sleeping is allowed.
 */
void vm_map_tree_fini(struct vm_map_tree *t);

/*
 * Make sure that the next `inserts` inserts (vm_map_tree_insert or _insert_at) find every node
 * they may need: inserts * (height + 1) + inserts * (inserts - 1) / 2 of them, for a split per
 * level and a new root each. Removals in between are fine; they never allocate. Returns false if
 * memory ran out; the tree is unchanged then, and earlier reservations still hold. Reserved nodes
 * stay with the tree until used or vm_map_tree_fini (a map keeps a few KiB of them). May be
 * called with spinlocks held (never sleeps).
 */
bool vm_map_tree_reserve(struct vm_map_tree *t, unsigned inserts);

/*
 * Add e, with its current start and end. [e->start, e->end) must be non-empty, inside [min, max]
 * and overlap no entry of the tree; a reservation must cover this insert (a missing one panics,
 * even if memory is plentiful). The tree keeps the pointer until e is removed.
 */
void vm_map_tree_insert(struct vm_map_tree *t, struct vm_map_entry *e);

/*
 * vm_map_tree_insert for an e inside the free range a successful vm_map_tree_findspace found and
 * left at, with no change to the tree since: the same result, without descending again.
 */
void vm_map_tree_insert_at(struct vm_map_tree *t, const struct vm_map_tree_cursor *at,
			   struct vm_map_entry *e);

/* Take e, which is in the tree, out of it. Never allocates, never fails. */
void vm_map_tree_remove(struct vm_map_tree *t, struct vm_map_entry *e);

/* vm_map_tree_remove of the entry vm_map_tree_lookup returned and left *at at, with no change since. */
void vm_map_tree_remove_at(struct vm_map_tree *t, const struct vm_map_tree_cursor *at,
			   struct vm_map_entry *e);

/*
 * Set e->end to end and the gap after e to match. e is in the tree; [e->start, end) must be
 * non-empty and overlap no other entry of the tree, end <= max.
 */
void vm_map_tree_set_end(struct vm_map_tree *t, struct vm_map_entry *e, vm_offset_t end);

/*
 * The entry with the highest start <= addr, or NULL if there is none. One descent. If at is not
 * NULL and an entry is returned, *at is left at its place (for vm_map_tree_remove_at).
 */
struct vm_map_entry *vm_map_tree_lookup(const struct vm_map_tree *t, vm_offset_t addr,
					struct vm_map_tree_cursor *at);

/* What vm_map_tree_findspace found. */
struct vm_map_tree_space {
	vm_offset_t addr;             /* the lowest fitting address */
	vm_offset_t gap_end;          /* the end of the gap holding it: next's start, or max */
	struct vm_map_entry *next;    /* the entry after the gap, NULL if none */
	struct vm_map_tree_cursor at; /* the gap's place, for vm_map_tree_insert_at */
};

/*
 * First fit: the lowest a >= start with [a, a + length) free (no entry meets it), inside [min,
 * max] and a + length <= ub. Returns true and fills *space, or returns false (*space is then
 * meaningless) if no such a exists. length > 0 and ub <= max. The result is any address, not a
 * page: the caller rounds start, and aligns by calling again from the next aligned address when
 * a is not (vm_map_find does). One descent, stopping above the subtrees that cannot help, then
 * one climb to the nearest subtree that has a gap large enough and one descent into it. Reads no
 * entry; it starts fetching the two around the gap found, which an insert there links.
 */
bool vm_map_tree_findspace(const struct vm_map_tree *t, vm_offset_t start, vm_size_t length,
			   vm_offset_t ub, struct vm_map_tree_space *space);

/*
 * Check T1-T6. Returns NULL, or a message naming the broken invariant. O(entries); reads every
 * entry's start and end. Same serialization as a search.
 */
const char *vm_map_tree_check(const struct vm_map_tree *t);

#endif
