/*
 * The vm_map index (mm/vm_map_tree.h) on its own: the edge cases (empty tree, one entry, gaps at
 * both ends, a range ending at 2^64 - 1, reservations), splits and merges at every level of a tree
 * five levels high, and a differential run of 10^6 random operations (inserts, inserts at a
 * findspace's cursor, removes, removes at a lookup's cursor, end changes, lookups, first fits)
 * against a sorted array, with vm_map_tree_check after every operation.
 *
 * The tree promises nothing about pages, so the ranges here are byte ranges of any size.
 * Seeded from VM_MAP_TREE_SEED if set, else from the clock; the seed is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/ktest.h"
#include "mm/kmem.h"
#include "mm/pmm.h"
#include "mm/vm_map.h"
#include "mm/vm_map_tree.h"
#include "tests/host/testutil.h"

#define TOP (~(vm_offset_t)0)

/* ---------------------------------------------------------------------------------------------
 * Helpers.
 */

/*
 * Free frames once the node cache exists (its first use takes a frame for good) and kmem gave its
 * empty slabs back: equal before and after a test that frees all it took.
 */
static size_t settled_free(void)
{
	struct vm_map_tree t;
	vm_map_tree_init(&t, 0, 1);
	vm_map_tree_reserve(&t, 1);
	vm_map_tree_fini(&t);
	kmem_reap();
	return pmm_free_count();
}
static struct vm_map_entry *entry_new(vm_offset_t start, vm_offset_t end)
{
	struct vm_map_entry *e = calloc(1, sizeof(*e));
	e->start = start;
	e->end = end;
	return e;
}

static bool insert(struct vm_map_tree *t, vm_offset_t start, vm_offset_t end)
{
	if (!vm_map_tree_reserve(t, 1))
		return false;
	vm_map_tree_insert(t, entry_new(start, end));
	return true;
}

static void remove_entry(struct vm_map_tree *t, struct vm_map_entry *e)
{
	vm_map_tree_remove(t, e);
	free(e);
}

/* Remove every entry, free them and the nodes. */
static void empty_out(struct vm_map_tree *t)
{
	struct vm_map_entry *e;
	while ((e = vm_map_tree_lookup(t, TOP, NULL)))
		remove_entry(t, e);
	vm_map_tree_fini(t);
}

/* findspace as a pair, 0 standing for "no room" (no test below expects room at address 0). */
static vm_offset_t fit(const struct vm_map_tree *t, vm_offset_t start, vm_size_t length,
		       vm_offset_t ub, struct vm_map_entry **next)
{
	struct vm_map_tree_space space;
	if (!vm_map_tree_findspace(t, start, length, ub, &space))
		return 0;
	if (next)
		*next = space.next;
	return space.addr;
}

#define EXPECT_TREE_OK(t)                                       \
	do {                                                    \
		const char *msg_ = vm_map_tree_check(t);        \
		if (msg_)                                       \
			KT_FAIL("vm_map_tree_check: %s", msg_); \
	} while (0)

/* ---------------------------------------------------------------------------------------------
 * Edge cases.
 */
KTEST(vm_map_tree, empty_tree)
{
	struct vm_map_tree t;
	vm_map_tree_init(&t, 0x1000, 0x100000);
	EXPECT_TREE_OK(&t);
	EXPECT_NULL(vm_map_tree_lookup(&t, 0, NULL));
	EXPECT_NULL(vm_map_tree_lookup(&t, 0x5000, NULL));
	EXPECT_NULL(vm_map_tree_lookup(&t, TOP, NULL));
	struct vm_map_entry *next = (void *)1;
	EXPECT_EQ(fit(&t, 0, 0x1000, 0x100000, &next), 0x1000);
	EXPECT_NULL(next);
	EXPECT_EQ(fit(&t, 0x3000, 0xfd000, 0x100000, NULL), 0x3000); /* ends exactly at max */
	EXPECT_EQ(fit(&t, 0x3000, 0xfd001, 0x100000, NULL), 0);
	EXPECT_EQ(fit(&t, 0x100000, 1, 0x100000, NULL), 0);  /* start at max: nothing left */
	EXPECT_EQ(fit(&t, 0x1000, 0x2000, 0x2fff, NULL), 0); /* ub cuts the only gap short */
	EXPECT_EQ(fit(&t, 0x1000, TOP, 0x100000, NULL), 0);
	EXPECT_TRUE(vm_map_tree_reserve(&t, 0));
	EXPECT_EQ(t.nspare, 0);
	vm_map_tree_fini(&t);
	EXPECT_TREE_OK(&t);
}

KTEST(vm_map_tree, one_entry)
{
	struct vm_map_tree t;
	vm_map_tree_init(&t, 0x1000, 0x100000);
	ASSERT_TRUE(insert(&t, 0x5000, 0x8000));
	EXPECT_TREE_OK(&t);
	EXPECT_EQ(t.height, 1);
	EXPECT_EQ(t.last_end, 0x8000);
	struct vm_map_entry *e = vm_map_tree_lookup(&t, 0x5000, NULL);
	ASSERT_NONNULL(e);
	EXPECT_TRUE(vm_map_tree_lookup(&t, 0x7fff, NULL) == e);
	/* the last start at or below, containing or not */
	EXPECT_TRUE(vm_map_tree_lookup(&t, 0x9000, NULL) == e);
	EXPECT_NULL(vm_map_tree_lookup(&t, 0x4fff, NULL));

	struct vm_map_entry *next = NULL;
	EXPECT_EQ(fit(&t, 0, 0x4000, 0x100000, &next), 0x1000); /* the gap before it, to the byte */
	EXPECT_TRUE(next == e);
	EXPECT_EQ(fit(&t, 0, 0x4001, 0x100000, &next), 0x8000); /* too big: after it */
	EXPECT_NULL(next);
	EXPECT_EQ(fit(&t, 0x6000, 1, 0x100000, &next),
		  0x8000); /* a start inside moves to its end */
	EXPECT_EQ(fit(&t, 0x2000, 0x3000, 0x100000, &next),
		  0x2000); /* the part of the gap above start */
	EXPECT_EQ(fit(&t, 0x2001, 0x3000, 0x100000, &next), 0x8000);

	vm_map_tree_set_end(&t, e, 0x6000);
	EXPECT_TREE_OK(&t);
	EXPECT_EQ(e->end, 0x6000);
	EXPECT_EQ(fit(&t, 0x5800, 0x1000, 0x100000, NULL), 0x6000);
	vm_map_tree_set_end(&t, e, 0x100000); /* up to max */
	EXPECT_TREE_OK(&t);
	EXPECT_EQ(fit(&t, 0x5000, 1, 0x100000, NULL), 0);

	remove_entry(&t, e);
	EXPECT_TREE_OK(&t);
	EXPECT_NULL(t.root);
	EXPECT_EQ(t.height, 0);
	EXPECT_EQ(t.last_end, 0x1000);
	vm_map_tree_fini(&t);
}

KTEST(vm_map_tree, gaps_at_both_ends)
{
	struct vm_map_tree t;
	vm_map_tree_init(&t, 0x1000, 0x1000000);
	/* 100 entries of 0x1000 with 0x1000 between them, from 0x100000; gaps of 1 MiB - 4 KiB before and ~14 MiB after. */
	for (vm_offset_t a = 0x100000; a < 0x100000 + 200 * 0x1000; a += 0x2000)
		ASSERT_TRUE(insert(&t, a, a + 0x1000));
	EXPECT_TREE_OK(&t);
	EXPECT_GE(t.height, 2);
	struct vm_map_entry *first = vm_map_tree_lookup(&t, 0x100000, NULL), *next;
	EXPECT_EQ(fit(&t, 0, 0xff000, 0x1000000, &next), 0x1000);
	EXPECT_TRUE(next == first);
	EXPECT_EQ(fit(&t, 0, 0xff001, 0x1000000, &next), 0x100000 + 200 * 0x1000 - 0x1000);
	EXPECT_NULL(next);
	EXPECT_EQ(fit(&t, 0x2000, 0xff000, 0x1000000, NULL), 0x100000 + 199 * 0x1000);
	/* The lowest gap fits, but not below ub; later ones fit even less. */
	EXPECT_EQ(fit(&t, 0, 0x2000, 0x2fff, NULL), 0);
	EXPECT_EQ(fit(&t, 0, 0x2000, 0x3000, NULL), 0x1000);
	/* The small gaps between the entries, from a start in the middle. */
	EXPECT_EQ(fit(&t, 0x150800, 0x800, 0x1000000, NULL), 0x151000);
	EXPECT_EQ(fit(&t, 0x150800, 0x1000, 0x1000000, NULL), 0x151000);
	EXPECT_EQ(fit(&t, 0x151800, 0x1000, 0x1000000, NULL), 0x153000);
	/* The tail gap ends at max exactly. */
	EXPECT_EQ(fit(&t, 0x1000000 - 0x1000, 0x1000, 0x1000000, NULL), 0x1000000 - 0x1000);
	EXPECT_EQ(fit(&t, 0x1000000 - 0x1000, 0x1001, 0x1000000, NULL), 0);
	empty_out(&t);
	EXPECT_TREE_OK(&t);
}

KTEST(vm_map_tree, range_up_to_two_to_the_64)
{
	struct vm_map_tree t;
	vm_offset_t min = TOP - 0xfffff;
	vm_map_tree_init(&t, min, TOP);
	ASSERT_TRUE(insert(&t, TOP - 0x1000, TOP)); /* ends at the last address there is */
	ASSERT_TRUE(insert(&t, min, min + 1));
	for (vm_offset_t a = min + 0x10000; a < min + 0x20000; a += 0x100)
		ASSERT_TRUE(insert(&t, a, a + 0x80));
	EXPECT_TREE_OK(&t);
	EXPECT_EQ(t.last_end, TOP);
	EXPECT_EQ(vm_map_tree_lookup(&t, TOP, NULL)->start, TOP - 0x1000);
	EXPECT_EQ(vm_map_tree_lookup(&t, TOP - 1, NULL)->start, TOP - 0x1000);
	EXPECT_NULL(vm_map_tree_lookup(&t, 0, NULL));
	EXPECT_EQ(vm_map_tree_lookup(&t, min, NULL)->start, min);
	/* No room after the last entry; the last gap before it is the big one. */
	EXPECT_EQ(fit(&t, TOP - 0x1000, 1, TOP, NULL), 0);
	EXPECT_EQ(fit(&t, min + 0x20000, 0x1000, TOP, NULL), min + 0x20000);
	EXPECT_EQ(fit(&t, min + 0x20000, TOP - 0x1000 - (min + 0x20000), TOP, NULL), min + 0x20000);
	EXPECT_EQ(fit(&t, min + 0x20000, TOP - 0x1000 - (min + 0x20000) + 1, TOP, NULL), 0);
	EXPECT_EQ(fit(&t, 0, TOP, TOP, NULL), 0);
	EXPECT_EQ(fit(&t, TOP, 1, TOP, NULL), 0);
	EXPECT_EQ(fit(&t, min, 0x80, TOP, NULL), min + 1);
	EXPECT_EQ(fit(&t, min + 0x10000, 0x80, TOP, NULL), min + 0x10080);
	EXPECT_EQ(fit(&t, min + 0x10000, 0x81, TOP, NULL), min + 0x20000 - 0x80);
	empty_out(&t);
}

/* An insert without a reservation panics even with memory to spare: no path may forget one. */
static void insert_unreserved(void)
{
	struct vm_map_tree t;
	vm_map_tree_init(&t, 0, 0x10000);
	vm_map_tree_insert(&t, entry_new(0x1000, 0x2000));
}

KTEST(vm_map_tree, reservations)
{
	EXPECT_DIES(insert_unreserved, "insert without a reservation");

	/* A reservation for k inserts covers k inserts whatever they split. */
	struct vm_map_tree t;
	vm_map_tree_init(&t, 0, TOP);
	vm_offset_t a = 0x1000;
	for (int round = 0; round < 2000; round++) {
		unsigned k = 1 + round % 3;
		ASSERT_TRUE(vm_map_tree_reserve(&t, k));
		for (unsigned i = 0; i < k; i++, a += 0x2000)
			vm_map_tree_insert(&t, entry_new(a, a + 0x1000));
	}
	EXPECT_TREE_OK(&t);
	EXPECT_TRUE(vm_map_tree_reserve(&t, 1));
	unsigned spare = t.nspare;
	EXPECT_GE(spare, t.height + 1);
	EXPECT_TRUE(vm_map_tree_reserve(&t, 1)); /* already covered: takes nothing more */
	EXPECT_EQ(t.nspare, spare);
	empty_out(&t);
	EXPECT_EQ(t.nspare, 0);
}

/* The checker's verdict on t, which must start with prefix (NULL: passes). */
static bool check_says(const struct vm_map_tree *t, const char *prefix)
{
	const char *msg = vm_map_tree_check(t);
	if (!prefix || !msg)
		return !prefix && !msg;
	return strncmp(msg, prefix, strlen(prefix)) == 0;
}

/* Each invariant broken behind the tree's back, one at a time, and put right again. */
KTEST(vm_map_tree, check_catches_corruption)
{
	enum { ENTRIES = 610 }; /* three levels; the last leaf not full */
	size_t frames = settled_free();
	struct vm_map_tree t;
	vm_map_tree_init(&t, 0x1000, 0x10000000);
	for (vm_offset_t a = 0x10000; a < 0x10000 + ENTRIES * 0x3000; a += 0x3000)
		ASSERT_TRUE(insert(&t, a, a + 0x1000));
	ASSERT_EQ(t.height, 3);
	ASSERT_TRUE(check_says(&t, NULL));
	struct vm_map_tree_node *root = t.root, *inner = root->child[0], *leaf = inner->child[1];
	struct vm_map_tree_node *last = root->child[root->count - 1];
	last = last->child[last->count - 1];
	ASSERT_LT(last->count, VM_MAP_TREE_SLOTS);

	leaf->gap[2]++;
	EXPECT_TRUE(check_says(&t, "T4"));
	leaf->gap[2]--;
	leaf->entry[3]->end += 0x800; /* an end moved without vm_map_tree_set_end */
	EXPECT_TRUE(check_says(&t, "T4"));
	leaf->entry[3]->end -= 0x800;
	leaf->entry[3]->end += 0x2800; /* ... into the next entry */
	EXPECT_TRUE(check_says(&t, "T3"));
	leaf->entry[3]->end -= 0x2800;
	struct vm_map_entry *e = leaf->entry[0];
	leaf->entry[0] = leaf->entry[1];
	EXPECT_TRUE(check_says(&t, "T3 leaf key"));
	leaf->entry[0] = e;
	root->gap[1]++;
	EXPECT_TRUE(check_says(&t, "T5"));
	root->gap[1]--;
	inner->key[2]--;
	EXPECT_TRUE(check_says(&t, "T5"));
	inner->key[2]++;
	unsigned n = last->count;
	last->key[n] = 0;
	EXPECT_TRUE(check_says(&t, "T2 unused"));
	last->key[n] = ~(vm_offset_t)0;
	n = leaf->count;
	/* its other slots left as they were: only count is off */
	leaf->count = VM_MAP_TREE_MIN_SLOTS - 1;
	EXPECT_TRUE(check_says(&t, "T2 node fill"));
	leaf->count = n;
	t.count++;
	EXPECT_TRUE(check_says(&t, "T3 count"));
	t.count--;
	t.last_end++;
	EXPECT_TRUE(check_says(&t, "T3 last_end"));
	t.last_end--;
	t.nspare++;
	EXPECT_TRUE(check_says(&t, "T6"));
	t.nspare--;
	t.height = VM_MAP_TREE_MAX_HEIGHT + 1;
	EXPECT_TRUE(check_says(&t, "T1"));
	t.height = 3;
	EXPECT_TRUE(check_says(&t, NULL));

	/* fini frees the nodes of a tree that still holds entries; those stay the caller's. */
	struct vm_map_entry *all[ENTRIES];
	for (int i = 0; i < ENTRIES; i++)
		all[i] = vm_map_tree_lookup(&t, 0x10000 + (vm_offset_t)i * 0x3000, NULL);
	vm_map_tree_fini(&t);
	EXPECT_NULL(t.root);
	EXPECT_TRUE(check_says(&t, NULL));
	for (int i = 0; i < ENTRIES; i++)
		free(all[i]);
	EXPECT_EQ(settled_free(), frames);
}

/* ---------------------------------------------------------------------------------------------
 * Splits and merges at every level.
 */
struct shape {
	unsigned height;
	size_t nodes[VM_MAP_TREE_MAX_HEIGHT]; /* per depth */
};

static void count_nodes(const struct vm_map_tree_node *n, unsigned depth, unsigned height,
			struct shape *s)
{
	s->nodes[depth]++;
	if (depth + 1 < height)
		for (unsigned i = 0; i < n->count; i++)
			count_nodes(n->child[i], depth + 1, height, s);
}

static struct shape shape_of(const struct vm_map_tree *t)
{
	struct shape s = {.height = t->height};
	if (t->root)
		count_nodes(t->root, 0, t->height, &s);
	return s;
}

/*
 * Record which levels (counted from the leaves: 0 = leaves) gained nodes (a split; for the
 * root's level, a new root) or lost some (a merge; a root collapse) between two shapes.
 */
static void record_changes(const struct shape *before, const struct shape *after, bool *grew,
			   bool *shrank)
{
	if (after->height > before->height) {
		grew[after->height - 1] = true;
		return;
	}
	if (after->height < before->height) {
		shrank[before->height - 1] = true;
		return;
	}
	for (unsigned d = 0; d < after->height; d++) {
		unsigned from_leaves = after->height - 1 - d;
		if (after->nodes[d] > before->nodes[d])
			grew[from_leaves] = true;
		if (after->nodes[d] < before->nodes[d])
			shrank[from_leaves] = true;
	}
}

#define DEEP_ENTRIES 12000

KTEST(vm_map_tree, splits_and_merges_at_every_level)
{
	size_t frames = settled_free();
	struct vm_map_tree t;
	vm_map_tree_init(&t, 0, TOP);
	bool grew[VM_MAP_TREE_MAX_HEIGHT] = {false}, shrank[VM_MAP_TREE_MAX_HEIGHT] = {false};
	static struct vm_map_entry *es[DEEP_ENTRIES];

	/*
	 * Inserting in descending order splits the leftmost nodes, which have no left sibling to spill
	 * to: half-full nodes, a deep tree.
	 */
	struct shape before = shape_of(&t);
	for (int i = DEEP_ENTRIES - 1; i >= 0; i--) {
		es[i] = entry_new(0x1000 + (vm_offset_t)i * 0x2000,
				  0x2000 + (vm_offset_t)i * 0x2000);
		ASSERT_TRUE(vm_map_tree_reserve(&t, 1));
		vm_map_tree_insert(&t, es[i]);
		struct shape after = shape_of(&t);
		record_changes(&before, &after, grew, shrank);
		if (i % 16 == 0 || after.height != before.height)
			EXPECT_TREE_OK(&t);
		before = after;
	}
	EXPECT_TREE_OK(&t);
	unsigned height = t.height;
	EXPECT_GE(height, 5);
	for (unsigned l = 0; l < height; l++)
		EXPECT_TRUE(grew[l]);

	/* Ends changing in place, across leaf boundaries: shrink every entry, then grow it back. */
	for (int i = 0; i < DEEP_ENTRIES; i += 7) {
		vm_map_tree_set_end(&t, es[i], es[i]->start + 0x800);
		vm_map_tree_set_end(&t, es[i],
				    es[i]->start + 0x1000 +
					    (i + 1 < DEEP_ENTRIES ? 0x1000 : 0x5000));
		vm_map_tree_set_end(&t, es[i], es[i]->start + 0x1000);
	}
	EXPECT_TREE_OK(&t);

	/* Remove from the front, then from the back, then the rest from the middle out. */
	int lo = 0, hi = DEEP_ENTRIES - 1, step = 0;
	while (lo <= hi) {
		int i;
		if (step < DEEP_ENTRIES / 3)
			i = lo++;
		else if (step < 2 * DEEP_ENTRIES / 3)
			i = hi--;
		else
			i = (step & 1) ? lo++ : hi--;
		step++;
		remove_entry(&t, es[i]);
		struct shape after = shape_of(&t);
		record_changes(&before, &after, grew, shrank);
		before = after;
		if (step % 16 == 0 || t.count < 64)
			EXPECT_TREE_OK(&t);
	}
	EXPECT_TREE_OK(&t);
	EXPECT_NULL(t.root);
	for (unsigned l = 0; l < height; l++)
		EXPECT_TRUE(shrank[l]);
	vm_map_tree_fini(&t);
	EXPECT_EQ(settled_free(), frames);
}

/* ---------------------------------------------------------------------------------------------
 * Differential test against a sorted array.
 */
#define OPS 1000000
#define MODEL_MAX 4096

struct model {
	vm_offset_t min, max;
	size_t n;
	/* by start; the entries' own start and end are the model's */
	struct vm_map_entry *e[MODEL_MAX];
};

struct world {
	struct vm_map_tree t;
	struct model m;
};

static struct test_rng rng;

static uint64_t below(uint64_t n)
{
	return test_rng_below(&rng, n);
}

/* The index of the last entry with start <= addr, or -1. */
static long m_at_or_before(const struct model *m, vm_offset_t addr)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m->e[mid]->start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

/* The linear first fit of the contract; *next is the index of the entry after the range (n: none). */
static bool m_findspace(const struct model *m, vm_offset_t start, vm_size_t length, vm_offset_t ub,
			vm_offset_t *addr, size_t *next)
{
	if (start < m->min)
		start = m->min;
	vm_offset_t prev_end = m->min;
	for (size_t i = 0; i <= m->n; i++) {
		vm_offset_t gap_end = i < m->n ? m->e[i]->start : m->max;
		vm_offset_t lo = prev_end > start ? prev_end : start;
		if (lo <= gap_end && gap_end - lo >= length) {
			if (lo > ub || ub - lo < length)
				return false;
			*addr = lo;
			*next = i;
			return true;
		}
		if (i < m->n)
			prev_end = m->e[i]->end;
	}
	return false;
}

/* A random address of the world, mostly near its entries. */
static vm_offset_t rand_addr(const struct model *m)
{
	switch (below(8)) {
	case 0:
		return m->min + below(m->max - m->min + 1);
	case 1:
		return below(4) == 0 ? 0 : (below(2) ? m->max : TOP - below(4));
	default:
		if (!m->n)
			return m->min + below(4096);
		const struct vm_map_entry *e = m->e[below(m->n)];
		return e->start + below(e->end - e->start + 64) - below(32);
	}
}

static vm_size_t rand_length(void)
{
	switch (below(10)) {
	case 0:
		return 1 + below(1u << 20);
	case 1:
		return below(2) ? TOP - below(16) : (vm_size_t)1 << below(64);
	default:
		return 1 + below(64);
	}
}

/* Insert a random range in a gap, if the chosen spot has one: anywhere, or right after an entry. */
static void op_insert(struct ktest_state *kt, struct world *w)
{
	struct model *m = &w->m;
	vm_offset_t start = m->n && below(2) ? m->e[below(m->n)]->end + below(16)
					     : m->min + below(m->max - m->min);
	if (m->n >= MODEL_MAX || start < m->min || start >= m->max)
		return;
	long i = m_at_or_before(m, start);
	if (i >= 0 && start < m->e[i]->end)
		return;
	vm_offset_t limit = (size_t)(i + 1) < m->n ? m->e[i + 1]->start : m->max;
	vm_size_t room = limit - start;
	vm_size_t len = below(8) == 0 ? room : 1 + below(room < 48 ? room : 48);
	ASSERT_TRUE(vm_map_tree_reserve(&w->t, 1));
	struct vm_map_entry *e = entry_new(start, start + len);
	vm_map_tree_insert(&w->t, e);
	for (size_t j = m->n; j > (size_t)(i + 1); j--)
		m->e[j] = m->e[j - 1];
	m->e[i + 1] = e;
	m->n++;
}

/* Remove the model's entry i from both, from the cursor at if not NULL. */
static void remove_at(struct world *w, const struct vm_map_tree_cursor *at, size_t i)
{
	struct model *m = &w->m;
	struct vm_map_entry *e = m->e[i];
	if (at)
		vm_map_tree_remove_at(&w->t, at, e);
	else
		vm_map_tree_remove(&w->t, e);
	free(e);
	for (; i + 1 < m->n; i++)
		m->e[i] = m->e[i + 1];
	m->n--;
}

static void op_remove(struct world *w)
{
	if (w->m.n)
		remove_at(w, NULL, below(w->m.n));
}

static void op_set_end(struct world *w)
{
	struct model *m = &w->m;
	if (!m->n)
		return;
	size_t i = below(m->n);
	struct vm_map_entry *e = m->e[i];
	vm_offset_t limit = i + 1 < m->n ? m->e[i + 1]->start : m->max;
	vm_offset_t end = below(2) ? e->start + 1 + below(e->end - e->start)
				   : e->end + below(limit - e->end + 1);
	if (below(16) == 0)
		end = limit;
	vm_map_tree_set_end(&w->t, e, end);
}

/* A lookup, with or without a cursor; sometimes the entry found goes, from the cursor (as munmap). */
static void op_lookup(struct ktest_state *kt, struct world *w)
{
	struct model *m = &w->m;
	vm_offset_t addr = rand_addr(m);
	long i = m_at_or_before(m, addr);
	struct vm_map_entry *want = i >= 0 ? m->e[i] : NULL;
	struct vm_map_tree_cursor at;
	bool cursor = below(2);
	struct vm_map_entry *got = vm_map_tree_lookup(&w->t, addr, cursor ? &at : NULL);
	if (got != want) {
		KT_FAIL("lookup 0x%llx: tree %p, model %p", (unsigned long long)addr, (void *)got,
			(void *)want);
		return;
	}
	if (!got || !cursor || below(2))
		return;
	remove_at(w, &at, (size_t)i);
}

static void op_findspace(struct ktest_state *kt, struct world *w)
{
	struct model *m = &w->m;
	vm_offset_t start = rand_addr(m);
	vm_size_t length = rand_length();
	vm_offset_t ub = below(4) ? m->max : rand_addr(m);
	if (ub > m->max)
		ub = m->max;
	vm_offset_t want = 0;
	size_t want_next = 0;
	struct vm_map_tree_space got = {0};
	bool want_ok = m_findspace(m, start, length, ub, &want, &want_next);
	bool got_ok = vm_map_tree_findspace(&w->t, start, length, ub, &got);
	struct vm_map_entry *want_e = want_ok && want_next < m->n ? m->e[want_next] : NULL;
	vm_offset_t limit = want_e ? want_e->start : m->max;
	if (got_ok != want_ok ||
	    (want_ok && (got.addr != want || got.next != want_e || got.gap_end != limit))) {
		KT_FAIL("findspace(0x%llx, 0x%llx, ub 0x%llx) with %zu entries: tree %d 0x%llx next %p gap end 0x%llx, "
			"model %d 0x%llx next %p gap end 0x%llx",
			(unsigned long long)start, (unsigned long long)length,
			(unsigned long long)ub, m->n, got_ok, (unsigned long long)got.addr,
			(void *)got.next, (unsigned long long)got.gap_end, want_ok,
			(unsigned long long)want, (void *)want_e, (unsigned long long)limit);
		return;
	}
	/* Often, map something where it found room, as vm_map_find does: at the cursor, no descent. */
	if (!got_ok || below(2) || m->n >= MODEL_MAX)
		return;
	vm_offset_t end = got.addr + (length < 64 ? length : 1 + below(64));
	if (below(4) == 0)
		end = limit;
	ASSERT_TRUE(vm_map_tree_reserve(&w->t, 1));
	struct vm_map_entry *e = entry_new(got.addr, end);
	vm_map_tree_insert_at(&w->t, &got.at, e);
	for (size_t j = m->n; j > want_next; j--)
		m->e[j] = m->e[j - 1];
	m->e[want_next] = e;
	m->n++;
}

/* Entries, their order and the tree's own invariants. */
static bool same_as_model(struct ktest_state *kt, struct world *w)
{
	const char *msg = vm_map_tree_check(&w->t);
	if (msg) {
		KT_FAIL("vm_map_tree_check: %s", msg);
		return false;
	}
	if (w->t.count != w->m.n) {
		KT_FAIL("tree holds %zu entries, model %zu", w->t.count, w->m.n);
		return false;
	}
	return true;
}

KTEST(vm_map_tree, random_ops_against_model)
{
	uint64_t seed =
		test_rng_seed("VM_MAP_TREE_SEED", (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32));
	test_rng_init(&rng, seed);
	size_t frames = settled_free();
	static struct world worlds[2];
	worlds[0].m.min = 0x1000;
	worlds[0].m.max = 0x1000 + ((vm_offset_t)1 << 24);
	worlds[1].m.min = TOP - ((vm_offset_t)1 << 24);
	worlds[1].m.max = TOP;
	for (int k = 0; k < 2; k++) {
		vm_map_tree_init(&worlds[k].t, worlds[k].m.min, worlds[k].m.max);
		worlds[k].m.n = 0;
	}

	/* The size wanders: each phase aims at a new size, mostly a few hundred, sometimes MODEL_MAX. */
	size_t target = 0;
	unsigned long counts[5] = {0};
	unsigned max_height = 0;
	for (long op = 0; op < OPS && !kt->failures; op++) {
		struct world *w = &worlds[below(2)];
		if (op % 20000 == 0)
			target = below(4) == 0 ? MODEL_MAX : below(600);
		unsigned r = (unsigned)below(100);
		bool grow = w->m.n < target;
		if (r < (grow ? 40u : 15u)) {
			op_insert(kt, w);
			counts[0]++;
		} else if (r < 55) {
			op_remove(w);
			counts[1]++;
		} else if (r < 65) {
			op_set_end(w);
			counts[2]++;
		} else if (r < 75) {
			op_lookup(kt, w);
			counts[3]++;
		} else {
			op_findspace(kt, w);
			counts[4]++;
		}
		if (!same_as_model(kt, w))
			printf("# after operation %ld (seed 0x%llx)\n", op,
			       (unsigned long long)seed);
		if (w->t.height > max_height)
			max_height = w->t.height;
	}
	printf("# vm_map_tree: %lu inserts, %lu removes, %lu set_ends, %lu lookups, %lu findspaces; height up to %u\n",
	       counts[0], counts[1], counts[2], counts[3], counts[4], max_height);
	if (kt->failures)
		printf("# seed 0x%llx\n", (unsigned long long)seed);
	EXPECT_GE(max_height, 4);
	for (int k = 0; k < 2; k++) {
		struct model *m = &worlds[k].m;
		while (m->n)
			op_remove(&worlds[k]);
		EXPECT_TREE_OK(&worlds[k].t);
		vm_map_tree_fini(&worlds[k].t);
	}
	EXPECT_EQ(settled_free(), frames);
}
