/*
 * Host tests for the BPF maps beyond what the native calls used (kernel/bpf/map.h): every type's
 * map_flags and their errors, ids and info, user-side permissions and freezing, mmap pages,
 * per-CPU layout with 4 possible CPUs (the host shim's), LRU eviction order, preallocation, the
 * BPF-program side (values in place, pointers that outlive a delete, for_each with callbacks that
 * change the map), and lookup-and-delete. The id table and object names of kernel/bpf/obj.h too.
 *
 * Every test is leak-checked by the runner (free frames before and after).
 */
#include <stdint.h>
#include <string.h>

#include "kernel/bpf/obj.h"
#include "kernel/ktest.h"
#include "kernel/rcu.h"
#include "mm/memlayout.h"
#include "tests/host/bpf_map_util.h"
#include "tests/host/shim.h"
#include "tests/host/testutil.h"
#include "uapi/errno.h"

TEST_LEAK_CHECK_EVERY_TEST()

static const uint32_t all_types[] = {BPF_MAP_TYPE_HASH,        BPF_MAP_TYPE_ARRAY,
				     BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
				     BPF_MAP_TYPE_LRU_HASH,    BPF_MAP_TYPE_LRU_PERCPU_HASH};
#define NTYPES (sizeof(all_types) / sizeof(all_types[0]))

static bool is_array(uint32_t t)
{
	return t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY;
}

static bool is_percpu(uint32_t t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static struct bpf_map *fe_map(uint32_t type);

/* ---------------------------------------------------------------------------------------------
 * Creation: flags per type, names, info
 */

KTEST(bpf_maptypes, create_flags_per_type)
{
	/* Expected errno per type, in all_types order: HASH, ARRAY, PERCPU_HASH, PERCPU_ARRAY, LRU, LRU_PERCPU. */
	static const struct {
		uint32_t flags;
		int want[NTYPES];
	} cases[] = {
		{0, {0, 0, 0, 0, 0, 0}},
		{BPF_F_NO_PREALLOC, {0, -EINVAL, 0, -EINVAL, -ENOTSUPP, -ENOTSUPP}},
		{BPF_F_ZERO_SEED, {0, -EINVAL, 0, -EINVAL, 0, 0}},
		{BPF_F_MMAPABLE, {-EINVAL, 0, -EINVAL, -EINVAL, -EINVAL, -EINVAL}},
		{BPF_F_RDONLY, {0, 0, 0, 0, 0, 0}},
		{BPF_F_WRONLY, {0, 0, 0, 0, 0, 0}},
		{BPF_F_RDONLY_PROG, {0, 0, 0, 0, 0, 0}},
		{BPF_F_WRONLY_PROG, {0, 0, 0, 0, 0, 0}},
		{BPF_F_RDONLY | BPF_F_WRONLY,
		 {-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL}},
		{BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG,
		 {-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL}},
		{BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_MMAPABLE,
		 {-EINVAL, 0, -EINVAL, -EINVAL, -EINVAL, -EINVAL}},
		{BPF_F_NUMA_NODE, {-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL}},
		{BPF_F_NO_COMMON_LRU, {-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL}},
		{BPF_F_INNER_MAP, {-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL}},
		{BPF_F_PRESERVE_ELEMS, {-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL}},
		{BPF_F_STACK_BUILD_ID, {-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL}},
		{1u << 20, {-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL}},
		{1u << 31, {-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL}},
		/* An unknown flag is found before NO_PREALLOC's ENOTSUPP (Linux's order). */
		{BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE,
		 {-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL}},
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (size_t t = 0; t < NTYPES; t++) {
			struct bpf_map *m = NULL;
			int r = create_flags(all_types[t], 4, 8, 4, cases[c].flags, &m);
			if (r != cases[c].want[t])
				KT_FAIL("type %u flags %#x: got %d, want %d", all_types[t],
					cases[c].flags, r, cases[c].want[t]);
			if (r == 0) {
				CHECK_MAP(m);
				/* The fd's access flags are not the map's. */
				EXPECT_EQ(bpf_map_flags(m),
					  cases[c].flags & ~(BPF_F_RDONLY | BPF_F_WRONLY));
				bpf_map_put(m);
			} else {
				EXPECT_NULL(m);
			}
		}
	}
}

KTEST(bpf_maptypes, create_check_order_and_limits)
{
	struct bpf_map *m = NULL;
	union bpf_attr a;

	/* LRU with BPF_F_NO_PREALLOC: ENOTSUPP comes before the zero-size EINVAL. */
	EXPECT_EQ(create_flags(BPF_MAP_TYPE_LRU_HASH, 0, 8, 4, BPF_F_NO_PREALLOC, &m), -ENOTSUPP);
	/* map_extra is for bloom filters; both access flags at once before the type is looked at. */
	a = map_attr(BPF_MAP_TYPE_HASH, 4, 8, 4, 0);
	a.map_extra = 1;
	EXPECT_EQ(bpf_map_create(&a, &m), -EINVAL);
	EXPECT_EQ(create_flags(1000, 4, 8, 4, BPF_F_RDONLY | BPF_F_WRONLY, &m), -EINVAL);
	/* Per-CPU values: round_up(value_size, 8) at most 32 KiB; others up to 64 KiB. */
	for (size_t t = 0; t < NTYPES; t++) {
		uint32_t type = all_types[t];
		int want = is_percpu(type) ? -E2BIG : 0;
		EXPECT_EQ(create(type, 4, BPF_MAP_PERCPU_VALUE_SIZE_MAX + 1, 1, &m), want);
		if (!want)
			bpf_map_put(m);
		ASSERT_EQ(create(type, 4, BPF_MAP_PERCPU_VALUE_SIZE_MAX - 7, 1, &m), 0);
		EXPECT_EQ(bpf_map_sys_value_size(m),
			  is_percpu(type) ? HOST_POSSIBLE_CPUS * BPF_MAP_PERCPU_VALUE_SIZE_MAX
					  : BPF_MAP_PERCPU_VALUE_SIZE_MAX - 7);
		CHECK_MAP(m);
		bpf_map_put(m);
	}
	/* The memory bound counts every CPU's copy: fine for one CPU, over for four. */
	EXPECT_EQ(create(BPF_MAP_TYPE_ARRAY, 4, 16384, 3000, &m), 0);
	bpf_map_put(m);
	EXPECT_EQ(create(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 16384, 3000, &m), -ENOMEM);
	EXPECT_EQ(create(BPF_MAP_TYPE_PERCPU_HASH, 4, 16384, 3000, &m), -ENOMEM);
	/* A mappable area is one pmm block: 4 MiB at most. */
	EXPECT_EQ(create_flags(BPF_MAP_TYPE_ARRAY, 4, 4096, 1024, BPF_F_MMAPABLE, &m), 0);
	CHECK_MAP(m);
	bpf_map_put(m);
	EXPECT_EQ(create_flags(BPF_MAP_TYPE_ARRAY, 4, 4096, 1025, BPF_F_MMAPABLE, &m), -ENOMEM);
}

KTEST(bpf_maptypes, names_and_info)
{
	struct bpf_map *m = NULL;
	union bpf_attr a =
		map_attr(BPF_MAP_TYPE_LRU_HASH, 8, 12, 7, BPF_F_RDONLY_PROG | BPF_F_WRONLY);

	memcpy(a.map_name, "bad-name", 9);
	EXPECT_EQ(bpf_map_create(&a, &m), -EINVAL);
	memcpy(a.map_name, "0123456789abcdef", 16); /* no NUL in 16 bytes */
	EXPECT_EQ(bpf_map_create(&a, &m), -EINVAL);
	memset(a.map_name, 0, sizeof(a.map_name));
	memcpy(a.map_name, "my_map.1", 8);
	a.map_name[10] = '!'; /* after the NUL: not looked at */
	ASSERT_EQ(bpf_map_create(&a, &m), 0);

	struct bpf_map_info info;
	memset(&info, 0xff, sizeof(info));
	bpf_map_get_info(m, &info);
	EXPECT_EQ(info.type, BPF_MAP_TYPE_LRU_HASH);
	EXPECT_EQ(info.id, bpf_map_id(m));
	EXPECT_GT(info.id, 0);
	EXPECT_EQ(info.key_size, 8);
	EXPECT_EQ(info.value_size, 12);
	EXPECT_EQ(info.max_entries, 7);
	EXPECT_EQ(info.map_flags, BPF_F_RDONLY_PROG);
	EXPECT_EQ(strcmp(info.name, "my_map.1"), 0);
	EXPECT_EQ(info.name[10], 0);
	EXPECT_EQ(info.btf_id, 0);
	EXPECT_EQ(info.map_extra, 0);
	bpf_map_put(m);

	char name[BPF_OBJ_NAME_LEN], good[BPF_OBJ_NAME_LEN] = "A_z.09",
				     space[BPF_OBJ_NAME_LEN] = "sp ace",
				     empty[BPF_OBJ_NAME_LEN] = "";
	EXPECT_EQ(bpf_obj_name_copy(name, good), 0);
	EXPECT_EQ(strcmp(name, "A_z.09"), 0);
	EXPECT_EQ(bpf_obj_name_copy(name, space), -EINVAL);
	EXPECT_EQ(bpf_obj_name_copy(name, empty), 0);
	EXPECT_EQ(name[0], 0);
}

/* ---------------------------------------------------------------------------------------------
 * Ids
 */

KTEST(bpf_maptypes, ids_listed_and_not_reused)
{
	size_t live = bpf_maps_live();
	struct bpf_map *a = make_map(BPF_MAP_TYPE_HASH, 4, 4, 4),
		       *b = make_map(BPF_MAP_TYPE_ARRAY, 4, 4, 4), *g;
	ASSERT_NONNULL(a);
	ASSERT_NONNULL(b);
	EXPECT_EQ(bpf_maps_live(), live + 2);
	uint32_t ia = bpf_map_id(a), ib = bpf_map_id(b), next;
	EXPECT_GT(ia, 0);
	EXPECT_GT(ib, ia);

	EXPECT_EQ(bpf_map_get_next_id(ia - 1, &next), 0);
	EXPECT_EQ(next, ia);
	EXPECT_EQ(bpf_map_get_next_id(ia, &next), 0);
	EXPECT_EQ(next, ib);
	EXPECT_EQ(bpf_map_get_next_id(ib, &next), -ENOENT);
	EXPECT_EQ(bpf_map_get_next_id(BPF_ID_MAX, &next), -ENOENT);

	ASSERT_EQ(bpf_map_get_by_id(ia, &g), 0);
	EXPECT_TRUE(g == a);
	bpf_map_put(a); /* the creator's reference; the id's holder keeps it alive */
	uint32_t k = 1, v = 2;
	EXPECT_EQ(update(g, &k, &v, BPF_ANY), 0);
	CHECK_MAP(g);
	bpf_map_put(g);
	EXPECT_EQ(bpf_map_get_by_id(ia, &g), -ENOENT);
	EXPECT_EQ(bpf_map_get_next_id(0, &next), 0);
	EXPECT_EQ(next, ib);
	EXPECT_EQ(bpf_map_get_by_id(0, &g), -ENOENT);

	struct bpf_map *c = make_map(BPF_MAP_TYPE_HASH, 4, 4, 4);
	ASSERT_NONNULL(c);
	EXPECT_GT(bpf_map_id(c), ib); /* ia is free, but ids go round before one is reused */
	bpf_map_put(b);
	bpf_map_put(c);
	EXPECT_EQ(bpf_maps_live(), live);
}

/* Enough maps at once that the id table grows several times; a walk lists each once, in order. */
KTEST(bpf_maptypes, many_ids)
{
	struct bpf_map *maps[40];
	uint32_t id, n = 0;

	for (int i = 0; i < 40; i++) {
		maps[i] = make_map(BPF_MAP_TYPE_ARRAY, 4, 4, 1);
		ASSERT_NONNULL(maps[i]);
	}
	for (int err = bpf_map_get_next_id(0, &id); !err; err = bpf_map_get_next_id(id, &id)) {
		if (n < 40)
			EXPECT_EQ(id, bpf_map_id(maps[n]));
		n++;
	}
	EXPECT_EQ(n, 40);
	for (int i = 0; i < 40; i += 2)
		bpf_map_put(maps[i]);
	for (int i = 1; i < 40; i += 2) {
		struct bpf_map *g;
		ASSERT_EQ(bpf_map_get_by_id(bpf_map_id(maps[i]), &g), 0);
		EXPECT_TRUE(g == maps[i]);
		CHECK_MAP(g);
		bpf_map_put(g);
		bpf_map_put(maps[i]);
	}
	EXPECT_EQ(bpf_map_get_next_id(0, &id), -ENOENT);
}

static bool take_always(void *obj)
{
	(void)obj;
	return true;
}

static bool take_never(void *obj)
{
	(void)obj;
	return false;
}

/* The table itself, on an instance of its own started near the end of the id range. */
KTEST(bpf_maptypes, id_table_wraps_and_skips_ids_in_use)
{
	struct bpf_id_table t = BPF_ID_TABLE_INIT("test_ids");
	int objs[8];
	uint32_t id[8], next;

	t.next = BPF_ID_MAX - 1;
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(bpf_id_alloc(&t, &objs[i], &id[i]), 0);
	EXPECT_EQ(id[0], BPF_ID_MAX - 1);
	EXPECT_EQ(id[1], BPF_ID_MAX);
	EXPECT_EQ(id[2], 1);
	EXPECT_EQ(id[3], 2);
	EXPECT_NULL(bpf_id_check(&t));
	bpf_id_remove(&t, BPF_ID_MAX - 1);
	ASSERT_EQ(bpf_id_alloc(&t, &objs[4], &id[4]), 0);
	EXPECT_EQ(id[4], 3);
	/* Round again: MAX-1 is free, MAX, 1, 2, 3 are taken. */
	t.next = BPF_ID_MAX - 1;
	ASSERT_EQ(bpf_id_alloc(&t, &objs[5], &id[5]), 0);
	ASSERT_EQ(bpf_id_alloc(&t, &objs[6], &id[6]), 0);
	EXPECT_EQ(id[5], BPF_ID_MAX - 1);
	EXPECT_EQ(id[6], 4);
	EXPECT_NULL(bpf_id_check(&t));

	EXPECT_EQ(bpf_id_next(&t, 0, &next), 0);
	EXPECT_EQ(next, 1);
	EXPECT_EQ(bpf_id_next(&t, 4, &next), 0);
	EXPECT_EQ(next, BPF_ID_MAX - 1);
	EXPECT_EQ(bpf_id_next(&t, BPF_ID_MAX, &next), -ENOENT);
	EXPECT_TRUE(bpf_id_get(&t, 3, take_always) == &objs[4]);
	EXPECT_NULL(bpf_id_get(&t, 3, take_never));
	EXPECT_NULL(bpf_id_get(&t, 5, take_always));

	uint32_t live[] = {BPF_ID_MAX - 1, BPF_ID_MAX, 1, 2, 3, 4};
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		bpf_id_remove(&t, live[i]);
	EXPECT_EQ(t.n, 0);
	EXPECT_NULL(t.ent);
}

/* ---------------------------------------------------------------------------------------------
 * User-side permissions and freezing
 */

KTEST(bpf_maptypes, fd_modes)
{
	unsigned mode;

	EXPECT_EQ(bpf_map_fmode(0, &mode), 0);
	EXPECT_EQ(mode, BPF_MAP_FMODE_RDWR);
	EXPECT_EQ(bpf_map_fmode(BPF_F_RDONLY | BPF_F_NO_PREALLOC, &mode), 0);
	EXPECT_EQ(mode, BPF_MAP_FMODE_READ);
	EXPECT_EQ(bpf_map_fmode(BPF_F_WRONLY, &mode), 0);
	EXPECT_EQ(mode, BPF_MAP_FMODE_WRITE);
	EXPECT_EQ(bpf_map_fmode(BPF_F_RDONLY | BPF_F_WRONLY, &mode), -EINVAL);
}

KTEST(bpf_maptypes, read_only_and_write_only_fds)
{
	const unsigned RO = BPF_MAP_FMODE_READ, WO = BPF_MAP_FMODE_WRITE;
	struct bpf_map *h = make_map(BPF_MAP_TYPE_HASH, 4, 8, 4);
	ASSERT_NONNULL(h);
	uint32_t k = 1, n;
	uint64_t v = 7, o = 0;
	ASSERT_EQ(update(h, &k, &v, BPF_ANY), 0);

	EXPECT_EQ(bpf_map_sys_update(h, RO, &k, &v, BPF_ANY), -EPERM);
	EXPECT_EQ(bpf_map_sys_delete(h, RO, &k), -EPERM);
	EXPECT_EQ(bpf_map_sys_lookup_and_delete(h, RO, &k, &o, 0), -EPERM);
	EXPECT_EQ(bpf_map_sys_lookup(h, RO, &k, &o, 0), 0);
	EXPECT_EQ(o, 7);
	EXPECT_EQ(bpf_map_sys_get_next_key(h, RO, NULL, &n), 0);

	EXPECT_EQ(bpf_map_sys_lookup(h, WO, &k, &o, 0), -EPERM);
	EXPECT_EQ(bpf_map_sys_get_next_key(h, WO, NULL, &n), -EPERM);
	EXPECT_EQ(bpf_map_sys_lookup_and_delete(h, WO, &k, &o, 0), -EPERM);
	v = 8;
	EXPECT_EQ(bpf_map_sys_update(h, WO, &k, &v, BPF_EXIST), 0);
	EXPECT_EQ(bpf_map_sys_delete(h, WO, &k), 0);
	EXPECT_EQ(bpf_map_sys_delete(h, WO, &k), -ENOENT);

	/* Linux's order: lookup's unknown flags, then the fd's mode, then BPF_F_LOCK. */
	EXPECT_EQ(bpf_map_sys_lookup(h, WO, &k, &o, 8), -EINVAL);
	EXPECT_EQ(bpf_map_sys_lookup(h, WO, &k, &o, BPF_F_LOCK), -EPERM);
	EXPECT_EQ(bpf_map_sys_lookup(h, RO, &k, &o, BPF_F_LOCK), -EINVAL);
	EXPECT_EQ(bpf_map_sys_lookup_and_delete(h, RO, &k, &o, 1), -EINVAL);
	EXPECT_EQ(bpf_map_sys_update(h, RO, &k, &v, 3), -EPERM);
	EXPECT_EQ(bpf_map_sys_update(h, RW, &k, &v, BPF_F_LOCK), -EINVAL);
	EXPECT_EQ(bpf_map_sys_update(h, RW, &k, &v, BPF_F_LOCK | BPF_EXIST), -EINVAL);
	EXPECT_EQ(bpf_map_sys_update(h, RW, &k, &v, 3), -EINVAL);
	EXPECT_EQ(bpf_map_sys_check(h, RW, BPF_MAP_FREEZE, 0), -EINVAL);
	EXPECT_EQ(bpf_map_sys_check(h, RW, -1, 0), -EINVAL);
	EXPECT_EQ(bpf_map_sys_check(h, RO, BPF_MAP_DELETE_ELEM, 0), -EPERM);
	CHECK_MAP(h);
	bpf_map_put(h);
}

KTEST(bpf_maptypes, freeze)
{
	for (size_t t = 0; t < NTYPES; t++) {
		uint32_t type = all_types[t];
		struct bpf_map *m = make_map(type, 4, 8, 4);
		ASSERT_NONNULL(m);
		uint32_t k = 1, n;
		uint64_t v[HOST_POSSIBLE_CPUS] = {5}, o[HOST_POSSIBLE_CPUS];
		ASSERT_EQ(update(m, &k, v, BPF_ANY), 0);

		EXPECT_EQ(bpf_map_freeze(m, BPF_MAP_FMODE_READ), -EPERM);
		EXPECT_EQ(bpf_map_freeze(m, BPF_MAP_FMODE_WRITE), 0);
		EXPECT_EQ(bpf_map_freeze(m, RW), -EBUSY);
		EXPECT_EQ(update(m, &k, v, BPF_ANY), -EPERM);
		EXPECT_EQ(del(m, &k), -EPERM);
		EXPECT_EQ(bpf_map_sys_lookup_and_delete(m, RW, &k, o, 0), -EPERM);
		EXPECT_EQ(bpf_map_sys_check(m, RW, BPF_MAP_UPDATE_ELEM, 0), -EPERM);
		/* A write-only fd of a frozen map can do nothing from user space. */
		EXPECT_EQ(bpf_map_sys_lookup(m, BPF_MAP_FMODE_WRITE, &k, o, 0), -EPERM);
		EXPECT_EQ(lookup(m, &k, o), 0);
		EXPECT_EQ(o[0], 5);
		EXPECT_EQ(next_key(m, NULL, &n), 0);

		/* Programs still write. */
		uint64_t pv = 6;
		EXPECT_EQ(bpf_map_update_elem(m, &k, &pv, BPF_ANY), 0);
		EXPECT_EQ(bpf_map_delete_elem(m, &k), is_array(type) ? -EINVAL : 0);
		CHECK_MAP(m);
		bpf_map_put(m);
	}
}

/* ---------------------------------------------------------------------------------------------
 * mmap
 */

KTEST(bpf_maptypes, mmap_pages_are_the_values)
{
	struct bpf_map *m = make_map_flags(BPF_MAP_TYPE_ARRAY, 4, 12, 1000, BPF_F_MMAPABLE);
	ASSERT_NONNULL(m);
	EXPECT_EQ(bpf_map_mmap_size(m), 4 * PAGE_SIZE); /* 1000 * 16 bytes, rounded to pages */

	vm_page_t pages[4];
	ASSERT_EQ(bpf_map_mmap_pages(m, 0, 4, pages), 0);
	uint8_t *area = phys_to_virt(vm_page_to_phys(pages[0]));
	for (int i = 1; i < 4; i++)
		EXPECT_EQ(vm_page_to_phys(pages[i]), vm_page_to_phys(pages[0]) + i * PAGE_SIZE);
	vm_page_t one;
	EXPECT_EQ(bpf_map_mmap_pages(m, 3, 1, &one), 0);
	EXPECT_TRUE(one == pages[3]);
	EXPECT_EQ(bpf_map_mmap_pages(m, 4, 1, &one), -EINVAL);
	EXPECT_EQ(bpf_map_mmap_pages(m, 0, 5, pages), -EINVAL);
	EXPECT_EQ(bpf_map_mmap_pages(m, 4, 0, pages), 0);
	EXPECT_EQ(bpf_map_mmap_pages(m, ~0ull, 2, pages), -EINVAL);

	/* Value i is at i * round_up(12, 8) of the area, both ways; the rest of the pages is zero. */
	uint32_t k = 300, v[3] = {0x11111111, 0x22222222, 0x33333333}, o[3];
	ASSERT_EQ(update(m, &k, v, BPF_ANY), 0);
	EXPECT_EQ(memcmp(area + 300 * 16, v, 12), 0);
	memset(area + 999 * 16, 0x5a, 12);
	k = 999;
	ASSERT_EQ(lookup(m, &k, o), 0);
	EXPECT_EQ(o[0], 0x5a5a5a5a);
	int rcu = rcu_read_lock();
	EXPECT_TRUE(bpf_map_lookup_elem(m, &k) == area + 999 * 16);
	rcu_read_unlock(rcu);
	for (size_t i = 1000 * 16; i < 4 * PAGE_SIZE; i++)
		if (area[i]) {
			KT_FAIL("byte %zu past the values is %#x", i, area[i]);
			break;
		}
	CHECK_MAP(m);
	bpf_map_put(m);

	struct bpf_map *plain = make_map(BPF_MAP_TYPE_ARRAY, 4, 12, 1000);
	ASSERT_NONNULL(plain);
	EXPECT_EQ(bpf_map_mmap_size(plain), 0);
	EXPECT_EQ(bpf_map_mmap_pages(plain, 0, 1, pages), -EINVAL);
	EXPECT_EQ(bpf_map_mmap_writable_get(plain), -EINVAL);
	bpf_map_put(plain);
}

KTEST(bpf_maptypes, writable_mappings_and_freeze)
{
	struct bpf_map *m = make_map_flags(BPF_MAP_TYPE_ARRAY, 4, 8, 16, BPF_F_MMAPABLE);
	ASSERT_NONNULL(m);
	EXPECT_EQ(bpf_map_mmap_writable_get(m), 0);
	EXPECT_EQ(bpf_map_mmap_writable_get(m), 0);
	CHECK_MAP(m);
	EXPECT_EQ(bpf_map_freeze(m, RW), -EBUSY);
	bpf_map_mmap_writable_put(m);
	EXPECT_EQ(bpf_map_freeze(m, RW), -EBUSY);
	bpf_map_mmap_writable_put(m);
	EXPECT_EQ(bpf_map_freeze(m, RW), 0);
	EXPECT_EQ(bpf_map_mmap_writable_get(m), -EPERM);
	CHECK_MAP(m);
	bpf_map_put(m);

	m = make_map_flags(BPF_MAP_TYPE_ARRAY, 4, 8, 16, BPF_F_MMAPABLE | BPF_F_RDONLY_PROG);
	ASSERT_NONNULL(m);
	EXPECT_EQ(bpf_map_mmap_writable_get(m), -EACCES);
	bpf_map_put(m);
}

/* ---------------------------------------------------------------------------------------------
 * Per-CPU layout, with the shim's 4 possible CPUs
 */

#define VS 12u     /* value_size: not a multiple of 8, so every copy has padding */
#define STRIDE 16u /* round_up(VS, 8) */

/* A user-layout buffer whose bytes name their CPU and offset. */
static void fill_percpu(uint8_t *buf, uint8_t tag)
{
	for (unsigned c = 0; c < HOST_POSSIBLE_CPUS; c++)
		for (unsigned j = 0; j < STRIDE; j++)
			buf[c * STRIDE + j] = (uint8_t)(tag + c * STRIDE + j);
}

KTEST(bpf_maptypes, percpu_layout)
{
	static const uint32_t types[] = {BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH,
					 BPF_MAP_TYPE_LRU_PERCPU_HASH};
	for (size_t t = 0; t < 3; t++) {
		struct bpf_map *m = make_map(types[t], 4, VS, 8);
		ASSERT_NONNULL(m);
		EXPECT_EQ(bpf_map_sys_value_size(m), HOST_POSSIBLE_CPUS * STRIDE);
		uint8_t in[HOST_POSSIBLE_CPUS * STRIDE], out[HOST_POSSIBLE_CPUS * STRIDE];
		uint32_t k = 5;
		fill_percpu(in, 0x40);
		ASSERT_EQ(update(m, &k, in, BPF_ANY), 0);
		memset(out, 0, sizeof(out));
		ASSERT_EQ(lookup(m, &k, out), 0);
		EXPECT_EQ(memcmp(in, out, sizeof(in)),
			  0); /* padding included: Linux copies whole slots */

		int rcu = rcu_read_lock();
		host_cpu_id = 2;
		uint8_t *p2 = bpf_map_lookup_elem(m, &k);
		ASSERT_NONNULL(p2);
		EXPECT_EQ(memcmp(p2, in + 2 * STRIDE, VS), 0);
		for (uint32_t c = 0; c < HOST_POSSIBLE_CPUS; c++) {
			uint8_t *pc = bpf_map_lookup_percpu_elem(m, &k, c);
			EXPECT_TRUE(pc == p2 + ((int)c - 2) * (int)STRIDE);
		}
		EXPECT_NULL(bpf_map_lookup_percpu_elem(m, &k, HOST_POSSIBLE_CPUS));
		/* A program on CPU 2 writes CPU 2's copy: value_size bytes, the padding untouched. */
		uint8_t nv[VS];
		memset(nv, 0xee, sizeof(nv));
		EXPECT_EQ(bpf_map_update_elem(m, &k, nv, BPF_EXIST), 0);
		host_cpu_id = 0;
		rcu_read_unlock(rcu);
		ASSERT_EQ(lookup(m, &k, out), 0);
		memcpy(in + 2 * STRIDE, nv, VS);
		EXPECT_EQ(memcmp(in, out, sizeof(in)), 0);
		CHECK_MAP(m);
		bpf_map_put(m);
	}
}

KTEST(bpf_maptypes, percpu_insert_by_a_program_zeroes_other_cpus)
{
	static const uint32_t types[] = {BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH};
	for (size_t t = 0; t < 2; t++) {
		struct bpf_map *m = make_map(types[t], 4, VS, 8);
		ASSERT_NONNULL(m);
		uint8_t in[HOST_POSSIBLE_CPUS * STRIDE], out[HOST_POSSIBLE_CPUS * STRIDE], v[VS];
		uint32_t k = 9;
		/* Fill an element and delete it, so the next insert reuses dirty memory. */
		fill_percpu(in, 0x10);
		ASSERT_EQ(update(m, &k, in, BPF_ANY), 0);
		ASSERT_EQ(del(m, &k), 0);

		memset(v, 0x77, sizeof(v));
		host_cpu_id = 3;
		EXPECT_EQ(bpf_map_update_elem(m, &k, v, BPF_NOEXIST), 0);
		host_cpu_id = 0;
		ASSERT_EQ(lookup(m, &k, out), 0);
		memset(in, 0, sizeof(in));
		memcpy(in + 3 * STRIDE, v, VS);
		EXPECT_EQ(memcmp(in, out, sizeof(in)), 0);
		/* Lookup-and-delete hands over the whole layout. */
		memset(out, 0, sizeof(out));
		EXPECT_EQ(bpf_map_sys_lookup_and_delete(m, RW, &k, out, 0), 0);
		EXPECT_EQ(memcmp(in, out, sizeof(in)), 0);
		EXPECT_EQ(lookup(m, &k, out), -ENOENT);
		CHECK_MAP(m);
		bpf_map_put(m);
	}

	struct bpf_map *h = make_map(BPF_MAP_TYPE_HASH, 4, 4, 2);
	ASSERT_NONNULL(h);
	uint32_t k = 1, v = 2;
	ASSERT_EQ(update(h, &k, &v, BPF_ANY), 0);
	int rcu = rcu_read_lock();
	EXPECT_NULL(bpf_map_lookup_percpu_elem(h, &k, 0)); /* not a per-CPU map */
	EXPECT_NONNULL(bpf_map_lookup_elem(h, &k));
	rcu_read_unlock(rcu);
	bpf_map_put(h);
}

/* ---------------------------------------------------------------------------------------------
 * LRU
 */

static uint64_t key_cb(uint64_t map_arg, uint64_t key_arg, uint64_t value_arg, uint64_t ctx_arg,
		       uint64_t u);

/* Which of keys[0 .. n) are present (a user-space lookup, which does not count as a use). */
static unsigned present_mask(struct bpf_map *m, const uint32_t *keys, unsigned n)
{
	uint8_t out[HOST_POSSIBLE_CPUS * 8];
	unsigned mask = 0;

	for (unsigned i = 0; i < n; i++)
		if (lookup(m, &keys[i], out) == 0)
			mask |= 1u << i;
	return mask;
}

KTEST(bpf_maptypes, lru_evicts_the_least_recently_used)
{
	static const uint32_t types[] = {BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH};
	for (size_t t = 0; t < 2; t++) {
		struct bpf_map *m = make_map(types[t], 4, 8, 4);
		ASSERT_NONNULL(m);
		uint32_t keys[] = {1, 2, 3, 4, 5, 6, 7, 8};
		uint64_t v[HOST_POSSIBLE_CPUS] = {0}, one = 1;
		for (int i = 0; i < 4; i++)
			ASSERT_EQ(update(m, &keys[i], v, BPF_NOEXIST), 0);
		/* Use order now 1 2 3 4 (oldest first). Uses: a program's lookup of 1, an update of 2. */
		int rcu = rcu_read_lock();
		EXPECT_NONNULL(bpf_map_lookup_elem(m, &keys[0]));
		rcu_read_unlock(rcu);
		ASSERT_EQ(update(m, &keys[1], v, BPF_EXIST), 0);
		/* Not uses: user-space lookups, get_next_key, iteration. */
		uint32_t n, cur, walked = 0;
		EXPECT_EQ(present_mask(m, keys, 4), 0xf);
		for (int err = next_key(m, NULL, &n); !err; err = next_key(m, &cur, &n), walked++)
			cur = n;
		EXPECT_EQ(walked, 4);
		struct bpf_map_iter it;
		bpf_map_iter_start(m, &it);
		while (bpf_map_iter_next(m, &it, &n, v) == 0)
			walked++;
		EXPECT_EQ(walked, 8);
		uint32_t seen[8] = {0};
		rcu = rcu_read_lock();
		EXPECT_EQ(bpf_map_for_each_elem(m, key_cb, seen, 0), 4);
		rcu_read_unlock(rcu);
		/* Order: 3 4 1 2. Failed inserts evict nothing. */
		EXPECT_EQ(update(m, &keys[0], v, BPF_NOEXIST), -EEXIST);
		EXPECT_EQ(update(m, &keys[4], v, BPF_EXIST), -ENOENT);
		EXPECT_EQ(bpf_map_update_elem(m, &keys[4], &one, 3), -EINVAL);
		EXPECT_EQ(present_mask(m, keys, 8), 0xf);
		/* Each insert into the full map evicts the oldest: 3, then 4, then 1. */
		ASSERT_EQ(update(m, &keys[4], v, BPF_ANY), 0);
		EXPECT_EQ(present_mask(m, keys, 8), 0x1b);
		ASSERT_EQ(bpf_map_update_elem(m, &keys[5], &one, BPF_NOEXIST), 0);
		EXPECT_EQ(present_mask(m, keys, 8), 0x33);
		/* lookup_percpu_elem is a use too: 1 becomes the newest, so 2 goes next. */
		if (types[t] == BPF_MAP_TYPE_LRU_PERCPU_HASH) {
			rcu = rcu_read_lock();
			EXPECT_NONNULL(bpf_map_lookup_percpu_elem(m, &keys[0], 1));
			rcu_read_unlock(rcu);
			ASSERT_EQ(update(m, &keys[6], v, BPF_ANY), 0);
			EXPECT_EQ(present_mask(m, keys, 8), 0x71);
		} else {
			ASSERT_EQ(update(m, &keys[6], v, BPF_ANY), 0);
			EXPECT_EQ(present_mask(m, keys, 8), 0x72);
		}
		/* A delete makes room: the next insert evicts nothing. */
		ASSERT_EQ(del(m, &keys[4]), 0);
		ASSERT_EQ(update(m, &keys[7], v, BPF_ANY), 0);
		EXPECT_EQ(present_mask(m, keys, 8) & 0xe0, 0xe0);
		CHECK_MAP(m);
		bpf_map_put(m);
	}
}

/* ---------------------------------------------------------------------------------------------
 * Preallocation
 */

/* Frames a map of this shape and flags takes at creation and after inserting n keys. */
static void frames_used(uint32_t type, uint32_t flags, uint32_t n, size_t *at_create,
			size_t *after_fill)
{
	size_t before = free_frames_after_reap();
	struct bpf_map *m = make_map_flags(type, 4, 100, n, flags);
	static uint8_t v[100];

	*at_create = *after_fill = 0;
	if (!m)
		return;
	*at_create = before - free_frames_after_reap();
	for (uint32_t k = 0; k < n; k++)
		if (update(m, &k, v, BPF_NOEXIST)) {
			bpf_map_put(m);
			return;
		}
	*after_fill = before - free_frames_after_reap();
	bpf_map_put(m);
}

KTEST(bpf_maptypes, prealloc_allocates_at_creation)
{
	size_t pre_create, pre_fill, lazy_create, lazy_fill;

	/* 20000 elements of ~190 bytes: about 930 frames. */
	frames_used(BPF_MAP_TYPE_HASH, 0, 20000, &pre_create, &pre_fill);
	frames_used(BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC, 20000, &lazy_create, &lazy_fill);
	EXPECT_GT(pre_create, lazy_create + 800);
	EXPECT_LT(pre_fill, pre_create + 8);
	EXPECT_GT(lazy_fill, lazy_create + 800);
}

/*
 * With no free memory: a preallocated map inserts, and an LRU map evicts into a reused element;
 * only inside a read-side section, where deleted elements wait, does an insert need memory.
 * Values of 32 KiB: an element is a pmm block of its own, so no slab slack can serve it.
 */
KTEST(bpf_maptypes, prealloc_inserts_without_free_memory)
{
	struct bpf_map *h = make_map(BPF_MAP_TYPE_HASH, 4, 32768, 2);
	struct bpf_map *l = make_map(BPF_MAP_TYPE_LRU_HASH, 4, 32768, 2);
	ASSERT_NONNULL(h);
	ASSERT_NONNULL(l);
	static uint8_t v[32768];
	uint32_t k;

	vm_page_t hoard = hoard_all_frames();
	for (k = 0; k < 2; k++) {
		EXPECT_EQ(update(h, &k, v, BPF_NOEXIST), 0);
		EXPECT_EQ(update(l, &k, v, BPF_NOEXIST), 0);
	}
	for (k = 2; k < 10; k++) {
		EXPECT_EQ(update(l, &k, v, BPF_NOEXIST), 0); /* evicts k - 2 */
		uint32_t gone = k - 2;
		EXPECT_EQ(del(h, &gone), gone < 2 ? 0 : -ENOENT);
		EXPECT_EQ(update(h, &k, v, BPF_NOEXIST), 0);
		EXPECT_EQ(del(h, &k), 0);
	}
	CHECK_MAP(h);
	CHECK_MAP(l);

	/* Inside a section: the deleted element waits, the pool is empty, kmem has nothing. */
	k = 100;
	uint32_t a = 200, b = 201;
	EXPECT_EQ(update(h, &a, v, BPF_NOEXIST), 0);
	EXPECT_EQ(update(h, &b, v, BPF_NOEXIST), 0);
	int rcu = rcu_read_lock();
	EXPECT_EQ(bpf_map_delete_elem(h, &a), 0);
	EXPECT_EQ(bpf_map_update_elem(h, &k, v, BPF_NOEXIST), -ENOMEM);
	/* The LRU map's insert fails before evicting anything. */
	uint32_t l8 = 8, l9 = 9;
	EXPECT_EQ(bpf_map_update_elem(l, &k, v, BPF_NOEXIST), -ENOMEM);
	EXPECT_EQ(lookup(l, &l8, v), 0);
	EXPECT_EQ(lookup(l, &l9, v), 0);
	CHECK_MAP(h);
	CHECK_MAP(l);
	rcu_read_unlock(rcu);
	/* The grace period is over: the deleted element is free again. */
	EXPECT_EQ(update(h, &k, v, BPF_NOEXIST), 0);
	free_hoard(hoard);
	CHECK_MAP(h);
	bpf_map_put(h);
	bpf_map_put(l);
}

/* ---------------------------------------------------------------------------------------------
 * The program side: pointers in place, and what a delete does to them
 */

/*
 * A program holds a value pointer and deletes the element (or has it evicted, or deleted from user
 * space): the memory keeps its contents, and is not handed to a new element, until the section
 * ends. In debug builds kmem fills freed memory with 0x6b, so an early kfree shows too.
 */
KTEST(bpf_maptypes, value_pointer_survives_delete_until_the_section_ends)
{
	static const struct {
		uint32_t type, flags;
	} cfgs[] = {
		{BPF_MAP_TYPE_HASH, 0},        {BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC},
		{BPF_MAP_TYPE_PERCPU_HASH, 0}, {BPF_MAP_TYPE_PERCPU_HASH, BPF_F_NO_PREALLOC},
		{BPF_MAP_TYPE_LRU_HASH, 0},    {BPF_MAP_TYPE_LRU_PERCPU_HASH, 0},
	};
	for (size_t c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++) {
		struct bpf_map *m = make_map_flags(cfgs[c].type, 4, 16, 4, cfgs[c].flags);
		ASSERT_NONNULL(m);
		uint8_t v[HOST_POSSIBLE_CPUS * 16];
		memset(v, 0x11, sizeof(v));
		for (uint32_t k = 0; k < 4; k++)
			ASSERT_EQ(update(m, &k, v, BPF_NOEXIST), 0);

		int rcu = rcu_read_lock();
		uint32_t k1 = 1, k3 = 3, k0 = 0;
		uint8_t *p1 = bpf_map_lookup_elem(m, &k1), *p3 = bpf_map_lookup_elem(m, &k3);
		ASSERT_NONNULL(p1);
		ASSERT_NONNULL(p3);
		memset(p1, 0xc1, 16);
		memset(p3, 0xc3, 16);
		EXPECT_EQ(bpf_map_delete_elem(m, &k1), 0);    /* by the program */
		EXPECT_EQ(bpf_map_sys_delete(m, RW, &k3), 0); /* by user space, meanwhile */
		EXPECT_EQ(rcu_pending(), 2);
		/* Refill: the new elements must not take the deleted ones' memory. */
		memset(v, 0x22, sizeof(v));
		for (uint32_t k = 10; k < 12; k++) {
			EXPECT_EQ(bpf_map_update_elem(m, &k, v, BPF_NOEXIST), 0);
			uint8_t *p = bpf_map_lookup_elem(m, &k);
			EXPECT_TRUE(p != p1 && p != p3);
		}
		/* Full again: an LRU map evicts key 0 (the oldest), whose pointer must hold too. */
		uint8_t *p0 = bpf_map_lookup_elem(m, &k0);
		ASSERT_NONNULL(p0);
		memset(p0, 0xc0, 16);
		uint32_t k12 = 12;
		if (cfgs[c].type == BPF_MAP_TYPE_LRU_HASH ||
		    cfgs[c].type == BPF_MAP_TYPE_LRU_PERCPU_HASH) {
			/* 0 was just used; make 2 and 10, 11 newer so 0 is the oldest again. */
			uint32_t k2 = 2, k10 = 10, k11 = 11;
			EXPECT_NONNULL(bpf_map_lookup_elem(m, &k2));
			EXPECT_NONNULL(bpf_map_lookup_elem(m, &k10));
			EXPECT_NONNULL(bpf_map_lookup_elem(m, &k11));
			EXPECT_EQ(bpf_map_update_elem(m, &k12, v, BPF_NOEXIST), 0);
			EXPECT_EQ(lookup(m, &k0, v), -ENOENT);
		} else {
			EXPECT_EQ(bpf_map_update_elem(m, &k12, v, BPF_NOEXIST), -E2BIG);
		}
		for (int i = 0; i < 16; i++) {
			EXPECT_EQ(p1[i], 0xc1);
			EXPECT_EQ(p3[i], 0xc3);
			EXPECT_EQ(p0[i], 0xc0);
		}
		CHECK_MAP(m);
		rcu_read_unlock(rcu);
		EXPECT_EQ(rcu_pending(), 0);
		CHECK_MAP(m);
		bpf_map_put(m);
	}
}

/* A program may update an element with its own value (a pointer from a lookup of it). */
KTEST(bpf_maptypes, update_with_its_own_value)
{
	for (size_t t = 0; t < NTYPES; t++) {
		struct bpf_map *m = fe_map(all_types[t]);
		ASSERT_NONNULL(m);
		uint32_t k = 4;
		int rcu = rcu_read_lock();
		uint64_t *p = bpf_map_lookup_elem(m, &k);
		ASSERT_NONNULL(p);
		EXPECT_EQ(bpf_map_update_elem(m, &k, p, BPF_EXIST), 0);
		EXPECT_EQ(*p, 40);
		rcu_read_unlock(rcu);
		CHECK_MAP(m);
		bpf_map_put(m);
	}
}

KTEST(bpf_maptypes, waiting_elements_keep_the_map_alive)
{
	size_t live = bpf_maps_live();
	struct bpf_map *m = make_map(BPF_MAP_TYPE_HASH, 4, 8, 4);
	ASSERT_NONNULL(m);
	uint32_t k = 1;
	uint64_t v = 42;
	ASSERT_EQ(update(m, &k, &v, BPF_ANY), 0);

	int rcu = rcu_read_lock();
	uint64_t *p = bpf_map_lookup_elem(m, &k);
	ASSERT_NONNULL(p);
	EXPECT_EQ(bpf_map_delete_elem(m, &k), 0);
	bpf_map_put(m); /* the last reference but the waiting element's */
	EXPECT_EQ(bpf_maps_live(), live + 1);
	EXPECT_EQ(*p, 42);
	rcu_read_unlock(rcu);
	EXPECT_EQ(bpf_maps_live(), live);
}

static void lookup_outside_a_section(void)
{
	struct bpf_map *m = make_map(BPF_MAP_TYPE_ARRAY, 4, 8, 4);
	uint32_t k = 0;

	bpf_map_lookup_elem(m, &k);
}

KTEST(bpf_maptypes, in_place_lookup_needs_a_read_side_section)
{
	EXPECT_DIES(lookup_outside_a_section, "outside a read-side section");
}

/* ---------------------------------------------------------------------------------------------
 * for_each from a program: callbacks that read, write, delete, insert and stop
 */

struct fe_ctx {
	int visits;
	uint64_t sum;           /* of the first 8 bytes of each value seen */
	uint32_t stop_at;       /* return 1 at this key */
	int mode;               /* FE_* below */
	uint32_t next_new;      /* FE_INSERT: the next key to insert */
	int errors;             /* unexpected return codes inside the callback */
	const void *last_value; /* the value pointer of the previous call */
};

enum { FE_READ, FE_WRITE, FE_DELETE, FE_INSERT, FE_UPDATE_OTHERS };

static uint64_t fe_cb(uint64_t map_arg, uint64_t key_arg, uint64_t value_arg, uint64_t ctx_arg,
		      uint64_t unused)
{
	struct bpf_map *map = (struct bpf_map *)(uintptr_t)map_arg;
	const uint32_t *key = (const uint32_t *)(uintptr_t)key_arg;
	uint64_t *value = (uint64_t *)(uintptr_t)value_arg;
	struct fe_ctx *c = (struct fe_ctx *)(uintptr_t)ctx_arg;
	uint64_t before = *value;
	bool array = is_array(bpf_map_type(map));

	(void)unused;
	c->visits++;
	c->sum += before;
	c->last_value = value;
	switch (c->mode) {
	case FE_WRITE:
		*value = before + 1000;
		break;
	case FE_DELETE:
		if (bpf_map_delete_elem(map, key) != (array ? -EINVAL : 0))
			c->errors++;
		/* The value stays readable (and the key) until the section ends. */
		if (*value != before)
			c->errors++;
		break;
	case FE_INSERT:
		for (int i = 0; i < 2; i++, c->next_new++) {
			uint64_t nv = 7;
			/* Arrays: every new key is past max_entries. */
			if (bpf_map_update_elem(map, &c->next_new, &nv, BPF_NOEXIST) !=
			    (array ? -E2BIG : 0))
				c->errors++;
		}
		break;
	case FE_UPDATE_OTHERS: {
		/* Every key k > *key gets value 500 + k: visited later with the new value. */
		for (uint32_t k = *key + 1; k < 8; k++) {
			uint64_t nv = 500 + k;
			if (bpf_map_update_elem(map, &k, &nv, BPF_EXIST) != 0)
				c->errors++;
		}
		break;
	}
	}
	return *key == c->stop_at;
}

/* A map of type with keys 0..7 valued 10 * k (per-CPU: on every CPU). */
static struct bpf_map *fe_map(uint32_t type)
{
	struct bpf_map *m = make_map(type, 4, 8, 8);
	uint64_t v[HOST_POSSIBLE_CPUS];

	for (uint32_t k = 0; m && k < 8; k++) {
		for (unsigned c = 0; c < HOST_POSSIBLE_CPUS; c++)
			v[c] = 10 * k;
		if (update(m, &k, v, BPF_ANY)) {
			bpf_map_put(m);
			return NULL;
		}
	}
	return m;
}

static long fe_run(struct bpf_map *m, struct fe_ctx *c)
{
	int rcu = rcu_read_lock();
	long n = bpf_map_for_each_elem(m, fe_cb, c, 0);
	rcu_read_unlock(rcu);
	return n;
}

KTEST(bpf_maptypes, for_each_reads_writes_and_stops)
{
	for (size_t t = 0; t < NTYPES; t++) {
		struct bpf_map *m = fe_map(all_types[t]);
		ASSERT_NONNULL(m);
		struct fe_ctx c = {.stop_at = ~0u};
		EXPECT_EQ(bpf_map_for_each_elem(m, fe_cb, &c, 1), -EINVAL);
		EXPECT_EQ(c.visits, 0);
		EXPECT_EQ(fe_run(m, &c), 8);
		EXPECT_EQ(c.sum, 280);

		/* Writes through the value pointer persist (per-CPU: this CPU's copy only). */
		host_cpu_id = 1;
		c = (struct fe_ctx){.stop_at = ~0u, .mode = FE_WRITE};
		EXPECT_EQ(fe_run(m, &c), 8);
		host_cpu_id = 0;
		uint64_t out[HOST_POSSIBLE_CPUS];
		uint32_t k = 3;
		ASSERT_EQ(lookup(m, &k, out), 0);
		EXPECT_EQ(out[is_percpu(all_types[t]) ? 1 : 0], 1030);
		if (is_percpu(all_types[t]))
			EXPECT_EQ(out[0], 30);

		/* Stop: the stopping callback is counted. */
		c = (struct fe_ctx){.stop_at = 5};
		long n = fe_run(m, &c);
		EXPECT_EQ(n, c.visits);
		EXPECT_LE(n, 8);
		EXPECT_GE(n, 1);
		if (is_array(all_types[t]))
			EXPECT_EQ(n, 6);
		CHECK_MAP(m);
		bpf_map_put(m);
	}
}

KTEST(bpf_maptypes, for_each_callback_deletes_inserts_updates)
{
	for (size_t t = 0; t < NTYPES; t++) {
		uint32_t type = all_types[t];
		bool array = is_array(type);

		struct bpf_map *m = fe_map(type);
		ASSERT_NONNULL(m);
		struct fe_ctx c = {.stop_at = ~0u, .mode = FE_DELETE};
		EXPECT_EQ(fe_run(m, &c), 8);
		EXPECT_EQ(c.errors, 0);
		uint32_t first;
		EXPECT_EQ(next_key(m, NULL, &first), array ? 0 : -ENOENT);
		CHECK_MAP(m);
		bpf_map_put(m);

		/* Inserted elements are not visited: the walk is bounded by what was there. */
		m = make_map(type, 4, 8, 64);
		ASSERT_NONNULL(m);
		uint64_t v[HOST_POSSIBLE_CPUS] = {0};
		for (uint32_t k = 0; !array && k < 8; k++)
			ASSERT_EQ(update(m, &k, v, BPF_NOEXIST), 0);
		c = (struct fe_ctx){.stop_at = ~0u, .mode = FE_INSERT, .next_new = 100};
		EXPECT_EQ(fe_run(m, &c), array ? 64 : 8);
		EXPECT_EQ(c.errors, 0);
		CHECK_MAP(m);
		bpf_map_put(m);

		/* Updates of keys not visited yet are seen when their turn comes. */
		m = fe_map(type);
		ASSERT_NONNULL(m);
		c = (struct fe_ctx){.stop_at = ~0u, .mode = FE_UPDATE_OTHERS};
		EXPECT_EQ(fe_run(m, &c), 8);
		EXPECT_EQ(c.errors, 0);
		if (array)
			EXPECT_EQ(c.sum, 0 + 501 + 502 + 503 + 504 + 505 + 506 + 507);
		CHECK_MAP(m);
		bpf_map_put(m);
	}
}

/* The key an array walk hands out is the index; a hash walk's is the key in place. */
static uint64_t key_cb(uint64_t map_arg, uint64_t key_arg, uint64_t value_arg, uint64_t ctx_arg,
		       uint64_t u)
{
	uint32_t *seen = (uint32_t *)(uintptr_t)ctx_arg;
	(void)map_arg;
	(void)value_arg;
	(void)u;
	seen[*(const uint32_t *)(uintptr_t)key_arg]++;
	return 0;
}

KTEST(bpf_maptypes, for_each_keys)
{
	for (size_t t = 0; t < NTYPES; t++) {
		struct bpf_map *m = fe_map(all_types[t]);
		ASSERT_NONNULL(m);
		uint32_t seen[8] = {0};
		int rcu = rcu_read_lock();
		EXPECT_EQ(bpf_map_for_each_elem(m, key_cb, seen, 0), 8);
		rcu_read_unlock(rcu);
		for (int i = 0; i < 8; i++)
			EXPECT_EQ(seen[i], 1);
		bpf_map_put(m);
	}
}

/* ---------------------------------------------------------------------------------------------
 * Lookup-and-delete
 */

KTEST(bpf_maptypes, lookup_and_delete)
{
	for (size_t t = 0; t < NTYPES; t++) {
		uint32_t type = all_types[t];
		struct bpf_map *m = make_map(type, 4, 8, 4);
		ASSERT_NONNULL(m);
		uint32_t k = 2;
		uint64_t v[HOST_POSSIBLE_CPUS] = {77, 78, 79, 80}, o[HOST_POSSIBLE_CPUS] = {0};
		ASSERT_EQ(update(m, &k, v, BPF_ANY), 0);
		if (is_array(type)) {
			EXPECT_EQ(bpf_map_sys_lookup_and_delete(m, RW, &k, o, 0), -ENOTSUPP);
			EXPECT_EQ(lookup(m, &k, o), 0);
		} else {
			EXPECT_EQ(bpf_map_sys_lookup_and_delete(m, RW, &k, o, BPF_F_LOCK), -EINVAL);
			EXPECT_EQ(bpf_map_sys_lookup_and_delete(m, RW, &k, o, 0), 0);
			EXPECT_EQ(memcmp(o, v, bpf_map_sys_value_size(m)), 0);
			EXPECT_EQ(lookup(m, &k, o), -ENOENT);
			EXPECT_EQ(bpf_map_sys_lookup_and_delete(m, RW, &k, o, 0), -ENOENT);
		}
		CHECK_MAP(m);
		bpf_map_put(m);
	}
}
