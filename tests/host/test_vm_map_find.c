/*
 * vm_map_find and friends: every row of /work/shared/acceptance/vm_map_find.md with its
 * after-checks, the companion cases, and the edges the table does not reach (wrap-around near
 * 2^64, object references, guards, max_protection, clipping offsets, fixed mappings, locks).
 */
#include "kernel/ktest.h"
#include "mm/pmm.h"
#include "mm/vm_map.h"
#include "tests/host/testutil.h"

#define K4 ((vm_size_t)0x1000)
#define M2 ((vm_size_t)0x200000)
#define M4 ((vm_size_t)0x400000)
#define MAP_MIN ((vm_offset_t)0x1000)
#define MAP_MAX ((vm_offset_t)0x40000000)
#define R VM_PROT_READ
#define RW (VM_PROT_READ | VM_PROT_WRITE)
#define RX (VM_PROT_READ | VM_PROT_EXECUTE)
#define TOP_PAGE ((vm_offset_t)0xfffffffffffff000ull)

enum fixture { E0, E1, E2, FULL, TOP };

struct range {
	vm_offset_t start, end;
	vm_prot_t prot;
};

/* Entries of each fixture; pairwise different protections, max VM_PROT_ALL, so nothing merges. */
static const struct range fixtures[][4] = {
	[E0] = {{0}},
	[E1] = {{0x1000, 0x3000, R}, {0x200000, 0x201000, RX}, {0x400000, 0x600000, RW}, {0}},
	[E2] = {{0x1000, 0x101000, R}, {0x500000, 0x600000, RX}, {0}},
	[FULL] = {{0x1000, 0x40000000, R}, {0}},
	[TOP] = {{0x1000, 0x3fe00000, R}, {0}},
};

static vm_map_t make_map(struct ktest_state *kt, enum fixture f)
{
	vm_map_t map = vm_map_create(NULL, MAP_MIN, MAP_MAX);
	if (!map) {
		KT_FAIL("vm_map_create failed");
		return NULL;
	}
	vm_map_lock(map);
	for (const struct range *r = fixtures[f]; r->end; r++)
		EXPECT_EQ(vm_map_insert(map, NULL, 0, r->start, r->end, r->prot, VM_PROT_ALL, 0),
			  KERN_SUCCESS);
	vm_map_unlock(map);
	return map;
}

#define SNAP_MAX 16
struct snapshot {
	size_t n;
	struct vm_map_entry e[SNAP_MAX];
};

static void snap(vm_map_t map, struct snapshot *s)
{
	vm_map_entry_t e;
	s->n = 0;
	vm_map_lock_read(map);
	VM_MAP_ENTRY_FOREACH(e, map) {
		if (s->n < SNAP_MAX)
			s->e[s->n] = *e;
		s->n++;
	}
	vm_map_unlock_read(map);
}

static bool same_entries(const struct snapshot *a, const struct snapshot *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n && i < SNAP_MAX; i++) {
		const struct vm_map_entry *x = &a->e[i], *y = &b->e[i];
		if (x->start != y->start || x->end != y->end || x->protection != y->protection ||
		    x->max_protection != y->max_protection || x->object != y->object ||
		    x->offset != y->offset || x->eflags != y->eflags)
			return false;
	}
	return true;
}

static int check(vm_map_t map)
{
	vm_map_lock_read(map);
	int rc = vm_map_check(map);
	vm_map_unlock_read(map);
	return rc;
}

/* ---------------------------------------------------------------------------------------------
 * The acceptance table.
 */
struct accept_case {
	enum fixture map;
	vm_offset_t hint;
	vm_size_t length;
	vm_offset_t max_addr;
	int find_space;
	int result;
	vm_offset_t addr;
};

static const struct accept_case cases[] = {
	[1] = {E0, 0, K4, 0, VMFS_ANY_SPACE, KERN_SUCCESS, 0x1000},
	[2] = {E0, 0, M2, 0, VMFS_SUPER_SPACE, KERN_SUCCESS, 0x200000},
	[3] = {E0, 0, K4, 0, VMFS_SUPER_SPACE, KERN_SUCCESS, 0x1000},
	[4] = {E0, 0, K4, 0, VMFS_ALIGNED_SPACE(21), KERN_SUCCESS, 0x200000},
	[5] = {E1, 0, K4, 0, VMFS_ANY_SPACE, KERN_SUCCESS, 0x3000},
	[6] = {E1, 0, M2, 0, VMFS_ANY_SPACE, KERN_SUCCESS, 0x600000},
	[7] = {E1, 0, M4, 0, VMFS_ALIGNED_SPACE(22), KERN_SUCCESS, 0x800000},
	[8] = {E1, 0x450000, K4, 0, VMFS_ANY_SPACE, KERN_SUCCESS, 0x600000},
	[9] = {E1, 0x250000, K4, 0, VMFS_ANY_SPACE, KERN_SUCCESS, 0x250000},
	[10] = {E1, 0x250000, M2, 0, VMFS_SUPER_SPACE, KERN_SUCCESS, 0x600000},
	[11] = {E1, 0, K4, 0x4000, VMFS_ANY_SPACE, KERN_SUCCESS, 0x3000},
	[12] = {E1, 0x3000, 2 * K4, 0x4000, VMFS_ANY_SPACE, KERN_NO_SPACE, 0},
	[13] = {E2, 0, M2, 0x3fffff, VMFS_ANY_SPACE, KERN_SUCCESS, 0x101000},
	[14] = {E2, 0, M2, 0x3fffff, VMFS_SUPER_SPACE, KERN_NO_SPACE, 0},
	[15] = {E2, 0, M2, 0x3fffff, VMFS_OPTIMAL_SPACE, KERN_SUCCESS, 0x101000},
	[16] = {E1, 0x3000, K4, 0, VMFS_NO_SPACE, KERN_SUCCESS, 0x3000},
	[17] = {E1, 0x200000, K4, 0, VMFS_NO_SPACE, KERN_NO_SPACE, 0},
	[18] = {E1, 0x300000, 0, 0, VMFS_NO_SPACE, KERN_INVALID_ADDRESS, 0},
	[19] = {FULL, 0, K4, 0, VMFS_ANY_SPACE, KERN_NO_SPACE, 0},
	[20] = {TOP, 0, M2, 0, VMFS_SUPER_SPACE, KERN_SUCCESS, 0x3fe00000},
	[21] = {E0, 0, K4, 0, VMFS_ALIGNED_SPACE(30), KERN_NO_SPACE, 0},
};

static void run_case(struct ktest_state *kt, int n)
{
	const struct accept_case *c = &cases[n];
	vm_map_t map = make_map(kt, c->map);
	ASSERT_NONNULL(map);
	struct snapshot before, after;
	snap(map, &before);

	vm_offset_t addr = c->hint;
	int rc = vm_map_find(map, NULL, 0, &addr, c->length, c->max_addr, c->find_space, RW, RW, 0);
	EXPECT_EQ(rc, c->result);
	snap(map, &after);
	if (rc == KERN_SUCCESS) {
		EXPECT_EQ(addr, c->addr);
		vm_map_entry_t e = NULL;
		vm_map_lock_read(map);
		bool found = vm_map_lookup_entry(map, addr, &e);
		vm_map_unlock_read(map);
		EXPECT_TRUE(found);
		if (found) {
			EXPECT_LE(e->start, addr);
			EXPECT_GE(e->end, addr + c->length);
		}
		EXPECT_EQ(after.n, before.n + 1);
	} else {
		EXPECT_TRUE(same_entries(&before, &after));
		EXPECT_EQ(after.n, before.n);
		EXPECT_EQ(addr, c->hint);
	}
	EXPECT_EQ(check(map), 0);
	vm_map_destroy(map);
}

#define ACCEPT(n)                    \
	KTEST(vm_map_find, case_##n) \
	{                            \
		run_case(kt, n);     \
	}
ACCEPT(1)
ACCEPT(2)
ACCEPT(3)
ACCEPT(4)
ACCEPT(5)
ACCEPT(6)
ACCEPT(7)
ACCEPT(8)
ACCEPT(9)
ACCEPT(10)
ACCEPT(11)
ACCEPT(12)
ACCEPT(13)
ACCEPT(14)
ACCEPT(15)
ACCEPT(16)
ACCEPT(17)
ACCEPT(18)
ACCEPT(19)
ACCEPT(20)
ACCEPT(21)

/* ---------------------------------------------------------------------------------------------
 * Companion cases.
 */
KTEST(vm_map_find, companion_adjacent_anonymous_inserts_coalesce)
{
	vm_map_t map = make_map(kt, E0);
	ASSERT_NONNULL(map);
	vm_map_lock(map);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, 0x10000, 0x20000, RW, RW, 0), KERN_SUCCESS);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, 0x20000, 0x30000, RW, RW, 0), KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 1);
	EXPECT_EQ(map->header.next->start, 0x10000);
	EXPECT_EQ(map->header.next->end, 0x30000);
	/* Filling the hole between two anonymous entries joins all three. */
	EXPECT_EQ(vm_map_insert(map, NULL, 0, 0x40000, 0x50000, RW, RW, 0), KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 2);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, 0x30000, 0x40000, RW, RW, 0), KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 1);
	EXPECT_EQ(map->header.next->end, 0x50000);
	/* Different max protection: no merge. */
	EXPECT_EQ(vm_map_insert(map, NULL, 0, 0x50000, 0x60000, RW, VM_PROT_ALL, 0), KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 2);
	EXPECT_EQ(vm_map_check(map), 0);
	vm_map_unlock(map);
	/* vm_map_find placing next to an entry coalesces too. */
	vm_offset_t addr = 0;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, 0xf000, 0, VMFS_ANY_SPACE, RW, RW, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(addr, 0x1000);
	addr = 0;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_ANY_SPACE, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(addr, 0x60000);
	EXPECT_EQ(map->nentries, 2);
	EXPECT_EQ(check(map), 0);
	vm_map_destroy(map);
}

KTEST(vm_map_find, companion_protect_splits_and_merges_back)
{
	vm_map_t map = make_map(kt, E1);
	ASSERT_NONNULL(map);
	EXPECT_EQ(vm_map_protect(map, 0x401000, 0x402000, R, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	struct snapshot s;
	snap(map, &s);
	ASSERT_EQ(s.n, 5);
	EXPECT_EQ(s.e[2].start, 0x400000);
	EXPECT_EQ(s.e[2].end, 0x401000);
	EXPECT_EQ(s.e[2].protection, RW);
	EXPECT_EQ(s.e[3].start, 0x401000);
	EXPECT_EQ(s.e[3].end, 0x402000);
	EXPECT_EQ(s.e[3].protection, R);
	EXPECT_EQ(s.e[4].start, 0x402000);
	EXPECT_EQ(s.e[4].end, 0x600000);
	EXPECT_EQ(s.e[4].protection, RW);
	EXPECT_EQ(check(map), 0);

	EXPECT_EQ(vm_map_protect(map, 0x401000, 0x402000, RW, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	snap(map, &s);
	ASSERT_EQ(s.n, 3);
	EXPECT_EQ(s.e[2].start, 0x400000);
	EXPECT_EQ(s.e[2].end, 0x600000);
	EXPECT_EQ(s.e[2].protection, RW);
	EXPECT_EQ(s.e[2].offset, 0);
	EXPECT_EQ(check(map), 0);
	vm_map_destroy(map);
}

KTEST(vm_map_find, companion_remove_clamps_to_bounds)
{
	vm_map_t map = make_map(kt, E1);
	ASSERT_NONNULL(map);
	EXPECT_EQ(vm_map_remove(map, 0, 0x50000000), KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 0);
	EXPECT_TRUE(map->header.next == &map->header);
	EXPECT_NULL(map->tree.root);
	EXPECT_EQ(check(map), 0);
	vm_map_destroy(map);
}

/* ---------------------------------------------------------------------------------------------
 * Beyond the table.
 */
KTEST(vm_map_find, findspace_failure_value_and_hints)
{
	vm_map_t map = make_map(kt, E1);
	ASSERT_NONNULL(map);
	vm_map_lock_read(map);
	EXPECT_EQ(vm_map_findspace(map, 0, K4), 0x3000);
	EXPECT_EQ(vm_map_findspace(map, 0x3000, 0x1fd000), 0x3000);
	EXPECT_EQ(vm_map_findspace(map, 0x3000, 0x1fe000), 0x201000);
	EXPECT_EQ(vm_map_findspace(map, 0x2000, K4), 0x3000);
	EXPECT_EQ(vm_map_findspace(map, 0x201000, 0x1ff000), 0x201000);
	EXPECT_EQ(vm_map_findspace(map, 0x3001, K4), 0x4000); /* an unaligned start rounds up */
	EXPECT_EQ(vm_map_findspace(map, 0, MAP_MAX - 0x600000), 0x600000);
	vm_offset_t v = vm_map_findspace(map, 0, MAP_MAX - 0x600000 + K4);
	EXPECT_GT(v + (MAP_MAX - 0x600000 + K4), MAP_MAX);
	v = vm_map_findspace(map, MAP_MAX + K4, K4); /* start above the map */
	EXPECT_GT(v + K4, MAP_MAX);
	v = vm_map_findspace(map, 0, (vm_size_t)-1 & ~PAGE_MASK); /* longer than the map */
	EXPECT_GT(v + ((vm_size_t)-1 & ~PAGE_MASK), MAP_MAX);
	v = vm_map_findspace(map, MAP_MAX - K4, K4); /* the last page */
	EXPECT_EQ(v, MAP_MAX - K4);
	vm_map_unlock_read(map);

	/* A hint above the map, a length larger than the map: NO_SPACE, not INVALID_ADDRESS. */
	vm_offset_t addr = MAP_MAX + M2;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_ANY_SPACE, RW, RW, 0),
		  KERN_NO_SPACE);
	addr = 0;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, 2 * MAP_MAX, 0, VMFS_ANY_SPACE, RW, RW, 0),
		  KERN_NO_SPACE);
	/* No room below max_addr. */
	addr = 0x600000;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0x600000, VMFS_ANY_SPACE, RW, RW, 0),
		  KERN_NO_SPACE);
	EXPECT_EQ(map->nentries, 3);
	EXPECT_EQ(check(map), 0);
	vm_map_destroy(map);
}

KTEST(vm_map_find, no_space_strategy_bounds)
{
	vm_map_t map = make_map(kt, E1);
	ASSERT_NONNULL(map);
	vm_offset_t addr = 0;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_NO_SPACE, RW, RW, 0),
		  KERN_INVALID_ADDRESS);
	addr = MAP_MAX - K4;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, 2 * K4, 0, VMFS_NO_SPACE, RW, RW, 0),
		  KERN_INVALID_ADDRESS);
	addr = TOP_PAGE;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, 2 * K4, 0, VMFS_NO_SPACE, RW, RW, 0),
		  KERN_INVALID_ADDRESS);
	addr = 0x3001;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_NO_SPACE, RW, RW, 0),
		  KERN_INVALID_ARGUMENT);
	/* Overlapping the end of a range only. */
	addr = 0x1ff000;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, 2 * K4, 0, VMFS_NO_SPACE, RW, RW, 0),
		  KERN_NO_SPACE);
	/* Ending beyond max_addr. */
	addr = 0x3000;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, 2 * K4, 0x4000, VMFS_NO_SPACE, RW, RW, 0),
		  KERN_NO_SPACE);
	addr = MAP_MAX - K4;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_NO_SPACE, RW, RW, 0), KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 4);
	EXPECT_EQ(check(map), 0);
	vm_map_destroy(map);
}

KTEST(vm_map_find, invalid_arguments)
{
	vm_map_t map = make_map(kt, E0);
	ASSERT_NONNULL(map);
	vm_object_t obj = vm_object_allocate(M2);
	ASSERT_NONNULL(obj);
	vm_offset_t addr = 0;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, 0x1800, 0, VMFS_ANY_SPACE, RW, RW, 0),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_find(map, NULL, 0x800, &addr, K4, 0, VMFS_ANY_SPACE, RW, RW, 0),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, 4, RW, RW, 0), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, -1, RW, RW, 0), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_ALIGNED_SPACE(64), RW, RW, 0),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_ANY_SPACE, 0x8, VM_PROT_ALL, 0),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_ANY_SPACE, RW, RW, 0x4000),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_ANY_SPACE, RW, R, 0),
		  KERN_PROTECTION_FAILURE);
	EXPECT_EQ(vm_map_find(map, obj, 0, &addr, K4, 0, VMFS_ANY_SPACE, R, R, MAP_CREATE_GUARD),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_find(map, obj, K4, &addr, M2, 0, VMFS_ANY_SPACE, RW, RW, 0),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_find(map, obj, (vm_ooffset_t)-K4, &addr, 2 * K4, 0, VMFS_ANY_SPACE, RW, RW,
			      0),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(addr, 0);
	vm_map_lock(map);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, 0x5000, 0x5000, RW, RW, 0), KERN_INVALID_ADDRESS);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, 0x6000, 0x5000, RW, RW, 0), KERN_INVALID_ADDRESS);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, 0x5000, 0x5800, RW, RW, 0), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, 0, 0x5000, RW, RW, 0), KERN_INVALID_ADDRESS);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, MAP_MAX - K4, MAP_MAX + K4, RW, RW, 0),
		  KERN_INVALID_ADDRESS);
	EXPECT_EQ(vm_map_delete(map, 0x1800, 0x3000), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_delete(map, 0x3000, 0x2000), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_protect_locked(map, 0x1000, 0x2000, 0x10, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(map->nentries, 0);
	EXPECT_EQ(vm_map_check(map), 0);
	vm_map_unlock(map);
	EXPECT_NULL(vm_map_create(NULL, 0x1000, 0x1000));
	EXPECT_NULL(vm_map_create(NULL, 0x1800, 0x4000));
	EXPECT_NULL(vm_map_create(NULL, 0x4000, 0x1000));
	vm_object_deallocate(obj);
	vm_map_destroy(map);
}

/* A map that ends at the last page of the address space: nothing may wrap. */
KTEST(vm_map_find, near_two_to_the_64)
{
	vm_offset_t lo = 0xffffffff00000000ull;
	vm_map_t map = vm_map_create(NULL, lo, TOP_PAGE);
	ASSERT_NONNULL(map);
	vm_offset_t addr = TOP_PAGE - K4;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_NO_SPACE, RW, RW, 0), KERN_SUCCESS);
	addr = TOP_PAGE - K4;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, 2 * K4, 0, VMFS_NO_SPACE, RW, RW, 0),
		  KERN_INVALID_ADDRESS);
	addr = TOP_PAGE;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, (vm_size_t)0 - TOP_PAGE, 0, VMFS_NO_SPACE, RW,
			      RW, 0),
		  KERN_INVALID_ADDRESS);
	addr = 0xfffffffffffff800ull; /* a hint whose rounding would wrap */
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_ANY_SPACE, RW, RW, 0),
		  KERN_NO_SPACE);
	addr = TOP_PAGE - 2 * K4;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, 2 * K4, 0, VMFS_ANY_SPACE, RW, RW, 0),
		  KERN_NO_SPACE);
	addr = TOP_PAGE - 2 * K4;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_ANY_SPACE, RW, RW, 0), KERN_SUCCESS);
	EXPECT_EQ(addr, TOP_PAGE - 2 * K4);
	/* Alignments whose next boundary is 2^64: NO_SPACE, and the search stops. */
	addr = TOP_PAGE - M4;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_ALIGNED_SPACE(32), RW, RW, 0),
		  KERN_NO_SPACE);
	addr = lo + K4;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_ALIGNED_SPACE(63), RW, RW, 0),
		  KERN_NO_SPACE);
	addr = TOP_PAGE - 3 * M2;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, M2, 0, VMFS_SUPER_SPACE, RW, RW, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(addr, 0xffffffffffa00000ull);
	addr = TOP_PAGE - M2;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, M2, 0, VMFS_SUPER_SPACE, RW, RW, 0),
		  KERN_NO_SPACE);
	addr = 0;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_ANY_SPACE, RW, RW, 0), KERN_SUCCESS);
	EXPECT_EQ(addr, lo);
	EXPECT_EQ(vm_map_remove(map, 0, (vm_offset_t)0 - K4), KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 0);
	EXPECT_EQ(check(map), 0);
	vm_map_destroy(map);
}

KTEST(vm_map_find, optimal_and_super_with_objects)
{
	vm_map_t map = make_map(kt, E2);
	ASSERT_NONNULL(map);
	vm_object_t obj = vm_object_allocate(8 * M2);
	ASSERT_NONNULL(obj);

	/* SUPER with an object fails below 0x3fffff and leaves the reference with the caller. */
	vm_offset_t addr = 0;
	EXPECT_EQ(vm_map_find(map, obj, 0, &addr, M2, 0x3fffff, VMFS_SUPER_SPACE, RW, RW, 0),
		  KERN_NO_SPACE);
	EXPECT_EQ(obj->ref_count, 1);
	/* OPTIMAL with an object: SUPER first, ANY when that fails. */
	addr = 0;
	EXPECT_EQ(vm_map_find(map, obj, 0, &addr, M2, 0x3fffff, VMFS_OPTIMAL_SPACE, RW, RW, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(addr, 0x101000);
	EXPECT_EQ(obj->ref_count, 1); /* the entry took over the caller's reference */
	vm_object_reference(obj);
	addr = 0;
	EXPECT_EQ(vm_map_find(map, obj, 2 * M2, &addr, M2, 0, VMFS_OPTIMAL_SPACE, RW, RW, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(addr, 0x600000);
	/* Congruence with the offset: object offset 1 MiB lands on an address that is 1 MiB mod 2 MiB. */
	vm_object_reference(obj);
	addr = 0;
	EXPECT_EQ(vm_map_find(map, obj, 4 * M2 + M2 / 2, &addr, 3 * M2, 0, VMFS_SUPER_SPACE, RW, RW,
			      0),
		  KERN_SUCCESS);
	EXPECT_EQ(addr, 0x900000);
	/* Too short to hold a whole object superpage after the unaligned head: not aligned. */
	vm_map_entry_t e;
	vm_map_lock_read(map);
	EXPECT_TRUE(vm_map_lookup_entry(map, 0x900000, &e));
	EXPECT_TRUE(e->object == obj);
	EXPECT_EQ(e->offset, 4 * M2 + M2 / 2);
	vm_map_unlock_read(map);
	vm_object_reference(obj);
	addr = 0x1000000;
	EXPECT_EQ(vm_map_find(map, obj, 7 * M2 + M2 / 2, &addr, M2 / 2, 0, VMFS_SUPER_SPACE, RW, RW,
			      0),
		  KERN_SUCCESS);
	EXPECT_EQ(addr, 0x1000000);
	/* Without an object the offset still sets the congruence, and is then ignored. */
	addr = 0x1200000;
	EXPECT_EQ(vm_map_find(map, NULL, M2 / 2, &addr, 3 * M2 / 2, 0, VMFS_SUPER_SPACE, RW, R, 0),
		  KERN_PROTECTION_FAILURE);
	EXPECT_EQ(vm_map_find(map, NULL, M2 / 2, &addr, 3 * M2 / 2, 0, VMFS_SUPER_SPACE, RW, RW, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(addr, 0x1300000);
	vm_map_lock_read(map);
	EXPECT_TRUE(vm_map_lookup_entry(map, 0x1300000, &e));
	EXPECT_NULL(e->object);
	EXPECT_EQ(e->offset, 0x100000);
	vm_map_unlock_read(map);
	addr = 0x1800000;
	EXPECT_EQ(vm_map_find(map, NULL, M2 / 2, &addr, 3 * M2 / 4, 0, VMFS_SUPER_SPACE, RW, RW, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(addr, 0x1800000); /* shorter than a superpage: not aligned */
	addr = 0x1c00000;
	EXPECT_EQ(
		vm_map_find(map, NULL, M2 / 2, &addr, M2 + M2 / 4, 0, VMFS_SUPER_SPACE, RW, RW, 0),
		KERN_SUCCESS);
	EXPECT_EQ(addr, 0x1c00000); /* 2.5 MiB from offset 1 MiB: no whole superpage */
	EXPECT_EQ(obj->ref_count, 4);
	EXPECT_EQ(check(map), 0);
	vm_map_destroy(map);
}

KTEST(vm_map_find, object_references_follow_clips)
{
	vm_map_t map = make_map(kt, E0);
	ASSERT_NONNULL(map);
	vm_object_t obj = vm_object_allocate(0x10000);
	ASSERT_NONNULL(obj);
	vm_object_reference(obj); /* ours, to watch the count */
	vm_offset_t addr = 0x100000;
	EXPECT_EQ(vm_map_find(map, obj, 0, &addr, 0x10000, 0, VMFS_NO_SPACE, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(obj->ref_count, 2);
	EXPECT_EQ(vm_map_protect(map, 0x104000, 0x108000, R, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(obj->ref_count, 4);
	struct snapshot s;
	snap(map, &s);
	ASSERT_EQ(s.n, 3);
	EXPECT_EQ(s.e[1].offset, 0x4000);
	EXPECT_EQ(s.e[2].offset, 0x8000);
	EXPECT_TRUE(s.e[2].object == obj);
	EXPECT_EQ(check(map), 0);
	EXPECT_EQ(vm_map_protect(map, 0x100000, 0x110000, RW, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(obj->ref_count, 2);
	EXPECT_EQ(map->nentries, 1);
	EXPECT_EQ(vm_map_remove(map, 0x102000, 0x103000), KERN_SUCCESS);
	EXPECT_EQ(obj->ref_count, 3);
	/* The same object at offsets that do not continue its neighbours': no merge. */
	vm_object_reference(obj);
	vm_map_lock(map);
	EXPECT_EQ(vm_map_insert(map, obj, 0x3000, 0x102000, 0x103000, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	vm_map_unlock(map);
	EXPECT_EQ(map->nentries, 3);
	EXPECT_EQ(obj->ref_count, 4);
	/* At the offset that continues both, all three join. */
	EXPECT_EQ(vm_map_remove(map, 0x102000, 0x103000), KERN_SUCCESS);
	vm_object_reference(obj);
	vm_map_lock(map);
	EXPECT_EQ(vm_map_insert(map, obj, 0x2000, 0x102000, 0x103000, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	vm_map_unlock(map);
	EXPECT_EQ(map->nentries, 1);
	EXPECT_EQ(obj->ref_count, 2);
	EXPECT_EQ(check(map), 0);
	vm_map_destroy(map);
	EXPECT_EQ(obj->ref_count, 1);
	vm_object_deallocate(obj);
}

KTEST(vm_map_find, protect_max_and_set_max)
{
	vm_map_t map = make_map(kt, E0);
	ASSERT_NONNULL(map);
	vm_map_lock(map);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, 0x10000, 0x20000, R, R, 0), KERN_SUCCESS);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, 0x20000, 0x30000, RW, VM_PROT_ALL, 0), KERN_SUCCESS);
	vm_map_unlock(map);
	struct snapshot before, after;
	snap(map, &before);
	EXPECT_EQ(vm_map_protect(map, 0x18000, 0x28000, RW, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_PROTECTION_FAILURE);
	snap(map, &after);
	EXPECT_TRUE(same_entries(&before, &after));
	/* set_max lowers max_protection and masks protection with it. */
	EXPECT_EQ(vm_map_protect(map, 0x24000, 0x28000, 0, RX, VM_MAP_PROTECT_SET_MAXPROT),
		  KERN_SUCCESS);
	snap(map, &after);
	ASSERT_EQ(after.n, 4);
	EXPECT_EQ(after.e[2].max_protection, RX);
	EXPECT_EQ(after.e[2].protection, R);
	EXPECT_EQ(vm_map_protect(map, 0x24000, 0x28000, RW, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_PROTECTION_FAILURE);
	EXPECT_EQ(vm_map_protect(map, 0x24000, 0x28000, RX, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	snap(map, &after);
	EXPECT_EQ(after.e[2].protection, RX);
	/* A range over a hole and past the map's end is clamped and the hole skipped. */
	EXPECT_EQ(vm_map_protect(map, 0, 0x50000000, VM_PROT_NONE, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	snap(map, &after);
	EXPECT_EQ(after.n, 4);
	for (size_t i = 0; i < after.n; i++)
		EXPECT_EQ(after.e[i].protection, VM_PROT_NONE);
	EXPECT_EQ(check(map), 0);
	vm_map_destroy(map);
}

KTEST(vm_map_find, guards)
{
	vm_map_t map = make_map(kt, E0);
	ASSERT_NONNULL(map);
	vm_offset_t addr = 0x10000;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_NO_SPACE, RW, RW, MAP_CREATE_GUARD),
		  KERN_SUCCESS);
	addr = 0x11000;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &addr, K4, 0, VMFS_NO_SPACE, RW, RW, MAP_CREATE_GUARD),
		  KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 1); /* guards coalesce with guards */
	vm_map_lock(map);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, 0x12000, 0x13000, VM_PROT_NONE, R, 0), KERN_SUCCESS);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, 0x13000, 0x14000, RW, RW, MAP_CREATE_STACK),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, 0x14000, 0x15000, RW, RW, 0), KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 4); /* never with a non-guard, nor stack with non-stack */
	vm_map_entry_t e;
	EXPECT_TRUE(vm_map_lookup_entry(map, 0x10800, &e));
	EXPECT_EQ(e->eflags, MAP_ENTRY_GUARD);
	EXPECT_EQ(e->protection, VM_PROT_NONE);
	EXPECT_EQ(e->max_protection, VM_PROT_NONE);
	EXPECT_EQ(e->end, 0x12000);
	/* Protect skips guards instead of failing on their max_protection. */
	EXPECT_EQ(vm_map_protect_locked(map, 0x10000, 0x15000, R, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(e->protection, VM_PROT_NONE);
	EXPECT_EQ(map->nentries, 4);
	EXPECT_EQ(vm_map_check(map), 0);
	vm_map_unlock(map);
	EXPECT_EQ(vm_fault(map, 0x10000, R), KERN_INVALID_ADDRESS);
	vm_map_destroy(map);
}

KTEST(vm_map_find, lookup_entry)
{
	vm_map_t map = make_map(kt, E1);
	ASSERT_NONNULL(map);
	vm_map_entry_t e = (vm_map_entry_t)1;
	vm_map_lock_read(map);
	EXPECT_FALSE(vm_map_lookup_entry(map, 0x800, &e));
	EXPECT_NULL(e);
	EXPECT_TRUE(vm_map_lookup_entry(map, 0x1000, &e));
	EXPECT_EQ(e->start, 0x1000);
	EXPECT_TRUE(vm_map_lookup_entry(map, 0x2fff, &e));
	EXPECT_EQ(e->start, 0x1000);
	EXPECT_FALSE(vm_map_lookup_entry(map, 0x3000, &e));
	EXPECT_EQ(e->start, 0x1000);
	EXPECT_FALSE(vm_map_lookup_entry(map, 0x300000, &e));
	EXPECT_EQ(e->start, 0x200000);
	EXPECT_TRUE(vm_map_lookup_entry(map, 0x5fffff, &e));
	EXPECT_EQ(e->start, 0x400000);
	EXPECT_FALSE(vm_map_lookup_entry(map, 0x3fffffff, &e));
	EXPECT_EQ(e->start, 0x400000);
	/* Anonymous entries: offset is start & SUPERPAGE_MASK. */
	EXPECT_TRUE(vm_map_lookup_entry(map, 0x200000, &e));
	EXPECT_EQ(e->offset, 0);
	vm_map_unlock_read(map);
	EXPECT_EQ(vm_map_protect(map, 0x201000 - K4, 0x201000, RW, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_map_protect(map, 0x1000, 0x3000, RX, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_map_protect(map, 0x2000, 0x3000, R, 0, VM_MAP_PROTECT_SET_PROT), KERN_SUCCESS);
	vm_map_lock_read(map);
	EXPECT_TRUE(vm_map_lookup_entry(map, 0x2000, &e));
	EXPECT_EQ(e->offset, 0x2000);
	EXPECT_EQ(vm_map_check(map), 0);
	vm_map_unlock_read(map);
	vm_map_destroy(map);
}

KTEST(vm_map_find, fixed_replaces_atomically)
{
	vm_map_t map = make_map(kt, E1);
	ASSERT_NONNULL(map);
	EXPECT_EQ(vm_map_fixed(map, NULL, 0, 0x2000, 0x200000, RW, RW, 0), KERN_SUCCESS);
	struct snapshot s;
	snap(map, &s);
	ASSERT_EQ(s.n, 3);
	EXPECT_EQ(s.e[0].start, 0x1000);
	EXPECT_EQ(s.e[0].end, 0x2000);
	EXPECT_EQ(s.e[1].start, 0x2000);
	EXPECT_EQ(s.e[1].end, 0x202000);
	EXPECT_EQ(s.e[1].protection, RW);
	EXPECT_EQ(s.e[2].start, 0x400000);
	/* A failing check removes nothing. */
	struct snapshot before;
	snap(map, &before);
	EXPECT_EQ(vm_map_fixed(map, NULL, 0, 0x1000, 0x10000, RW, R, 0), KERN_PROTECTION_FAILURE);
	EXPECT_EQ(vm_map_fixed(map, NULL, 0, MAP_MAX - K4, 2 * K4, RW, RW, 0),
		  KERN_INVALID_ADDRESS);
	EXPECT_EQ(vm_map_fixed(map, NULL, 0, TOP_PAGE, 2 * K4, RW, RW, 0), KERN_INVALID_ADDRESS);
	snap(map, &s);
	EXPECT_TRUE(same_entries(&before, &s));
	/* Fixed in the middle of an entry with the same rights leaves one entry. */
	EXPECT_EQ(vm_map_fixed(map, NULL, 0, 0x500000, 0x10000, RW, VM_PROT_ALL, 0), KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 3);
	EXPECT_EQ(check(map), 0);
	vm_map_destroy(map);
}

KTEST(vm_map_find, locks_and_locked_variants)
{
	vm_map_t map = make_map(kt, E0);
	ASSERT_NONNULL(map);
	vm_map_lock_read(map);
	EXPECT_FALSE(vm_map_trylock(map));
	EXPECT_TRUE(vm_map_trylock_read(map));
	vm_map_unlock_read(map);
	vm_map_unlock_read(map);
	EXPECT_TRUE(vm_map_trylock(map));
	EXPECT_FALSE(vm_map_trylock_read(map));
	EXPECT_FALSE(vm_map_trylock(map));
	/* Under one write lock: find, remove part, protect, all atomically. */
	vm_offset_t addr = 0;
	EXPECT_EQ(vm_map_find_locked(map, NULL, 0, &addr, 0x10000, 0, VMFS_ANY_SPACE, RW, RW, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(addr, 0x1000);
	EXPECT_EQ(vm_map_delete(map, 0x4000, 0x5000), KERN_SUCCESS);
	EXPECT_EQ(vm_map_protect_locked(map, 0x1000, 0x4000, R, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 2);
	EXPECT_EQ(vm_map_check(map), 0);
	vm_map_unlock(map);
	EXPECT_TRUE(vm_map_trylock_read(map));
	vm_map_unlock_read(map);
	vm_map_destroy(map);
}

/* The search must not walk the entries: on a map of many small entries it stays fast. */
KTEST(vm_map_find, many_entries)
{
	vm_map_t map = vm_map_create(NULL, MAP_MIN, (vm_offset_t)1 << 40);
	ASSERT_NONNULL(map);
	vm_map_lock(map);
	vm_offset_t last_end = 0x100000 + 20000 * 2 * K4 - K4;
	for (vm_offset_t a = 0x100000; a < last_end; a += 2 * K4)
		ASSERT_EQ(vm_map_insert(map, NULL, 0, a, a + K4, RW, RW, 0), KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 20000);
	EXPECT_EQ(vm_map_check(map), 0);
	vm_map_unlock(map);
	for (int i = 0; i < 1000; i++) {
		vm_offset_t addr = 0x100000;
		ASSERT_EQ(vm_map_find(map, NULL, 0, &addr, M2, 0, VMFS_SUPER_SPACE, RW, RW, 0),
			  KERN_SUCCESS);
		EXPECT_EQ(addr, 0x9e00000);
		ASSERT_EQ(vm_map_remove(map, addr, addr + M2), KERN_SUCCESS);
		addr = 0x100000;
		ASSERT_EQ(vm_map_find(map, NULL, 0, &addr, 2 * K4, 0, VMFS_ANY_SPACE, RW, RW, 0),
			  KERN_SUCCESS);
		EXPECT_EQ(addr, last_end);
		ASSERT_EQ(vm_map_remove(map, addr, addr + 2 * K4), KERN_SUCCESS);
	}
	EXPECT_EQ(check(map), 0);
	vm_map_destroy(map);
}

/*
 * Without memory for the tree nodes a clip may need, a remove, protect or fixed mapping fails
 * before it changes anything. Every frame is taken, and every node the cache still has goes to
 * another tree's reserve.
 */
KTEST(vm_map_find, no_memory_for_tree_nodes_leaves_the_map_unchanged)
{
	vm_map_t map = make_map(kt, E1);
	ASSERT_NONNULL(map);
	struct snapshot before, after;
	snap(map, &before);

	static struct test_hoard hoard;
	test_take_all_frames(&hoard);
	ASSERT_EQ(pmm_free_count(), 0);
	struct vm_map_tree hog;
	vm_map_tree_init(&hog, 0, 1);
	EXPECT_FALSE(vm_map_tree_reserve(&hog, 1000));

	vm_map_lock(map);
	EXPECT_EQ(vm_map_protect_locked(map, 0x401000, 0x402000, R, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_RESOURCE_SHORTAGE);
	EXPECT_EQ(vm_map_delete(map, 0x401000, 0x402000), KERN_RESOURCE_SHORTAGE);
	EXPECT_EQ(vm_map_fixed_locked(map, NULL, 0, 0x401000, K4, RX, VM_PROT_ALL, 0),
		  KERN_RESOURCE_SHORTAGE);
	vm_map_unlock(map);
	snap(map, &after);
	EXPECT_TRUE(same_entries(&before, &after));
	EXPECT_EQ(check(map), 0);

	vm_map_tree_fini(&hog);
	test_give_back_frames(&hoard);
	EXPECT_EQ(vm_map_protect(map, 0x401000, 0x402000, R, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 5);
	EXPECT_EQ(check(map), 0);
	vm_map_destroy(map);
}
