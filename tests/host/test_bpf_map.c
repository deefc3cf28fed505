/*
 * Host tests for the BPF maps (kernel/bpf/map.h), the part that the native calls have always used:
 * every error code of HASH and ARRAY through the user-space calls, the for_each_map_elem
 * acceptance cases (M1-M6, M8 of /work/shared/acceptance/bpf_callbacks.md) driven through the
 * copying cursor API by a C callback, a randomized differential test of hash maps against a list of
 * key/value pairs, and kmem leak checks (every test runs under the runner's frame count). The other
 * types, flags and the BPF-program side are in test_bpf_map_types.c; every type against a model in
 * test_bpf_map_diff.c.
 *
 * Randomized tests use a fixed seed, overridable with BPF_MAP_SEED=n, and print it on failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <machine/nospec.h>

#include "kernel/ktest.h"
#include "tests/host/bpf_map_util.h"
#include "tests/host/testutil.h"
#include "uapi/errno.h"

TEST_LEAK_CHECK_EVERY_TEST()

/* ---------------------------------------------------------------------------------------- */
/* Creation. */

KTEST(bpf_map, create_invalid)
{
	struct bpf_map *m = NULL;

	EXPECT_EQ(create(0, 4, 4, 1, &m), -EINVAL);
	EXPECT_EQ(create(3, 4, 4, 1, &m), -EINVAL);
	EXPECT_EQ(create(0xffffffffu, 4, 4, 1, &m), -EINVAL);
	for (uint32_t t = BPF_MAP_TYPE_HASH; t <= BPF_MAP_TYPE_ARRAY; t++) {
		EXPECT_EQ(create(t, 0, 4, 1, &m), -EINVAL);
		EXPECT_EQ(create(t, 4, 0, 1, &m), -EINVAL);
		EXPECT_EQ(create(t, 4, 4, 0, &m), -EINVAL);
	}
	EXPECT_EQ(create(BPF_MAP_TYPE_ARRAY, 8, 4, 1, &m), -EINVAL);
	EXPECT_EQ(create(BPF_MAP_TYPE_ARRAY, 3, 4, 1, &m), -EINVAL);
	/* Linux checks the array's key_size before its size limits: a huge key is -EINVAL there. */
	EXPECT_EQ(create(BPF_MAP_TYPE_ARRAY, 4096, 4, 1, &m), -EINVAL);
	/* Types Linux has and Kestrel does not: LPM_TRIE, RINGBUF, one past the last. */
	EXPECT_EQ(create(BPF_MAP_TYPE_LPM_TRIE, 8, 4, 1, &m), -EINVAL);
	EXPECT_EQ(create(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, &m), -EINVAL);
	EXPECT_EQ(create(__MAX_BPF_MAP_TYPE, 4, 4, 1, &m), -EINVAL);
	static const uint32_t six[] = {BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
				       BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH};
	for (size_t i = 0; i < sizeof(six) / sizeof(six[0]); i++) {
		EXPECT_EQ(create(six[i], 0, 4, 1, &m), -EINVAL);
		EXPECT_EQ(create(six[i], 4, 0, 1, &m), -EINVAL);
		EXPECT_EQ(create(six[i], 4, 4, 0, &m), -EINVAL);
	}
	EXPECT_EQ(create(BPF_MAP_TYPE_PERCPU_ARRAY, 8, 4, 1, &m), -EINVAL);
	EXPECT_NULL(m);
}

KTEST(bpf_map, create_limits)
{
	struct bpf_map *m = NULL;

	EXPECT_EQ(create(BPF_MAP_TYPE_HASH, BPF_MAP_KEY_SIZE_MAX + 1, 4, 1, &m), -E2BIG);
	EXPECT_EQ(create(BPF_MAP_TYPE_HASH, 4, BPF_MAP_VALUE_SIZE_MAX + 1, 1, &m), -E2BIG);
	EXPECT_EQ(create(BPF_MAP_TYPE_ARRAY, 4, BPF_MAP_VALUE_SIZE_MAX + 1, 1, &m), -E2BIG);
	EXPECT_EQ(create(BPF_MAP_TYPE_HASH, 4, 4, BPF_MAP_ENTRIES_MAX + 1, &m), -E2BIG);
	EXPECT_EQ(create(BPF_MAP_TYPE_ARRAY, 4, 4, BPF_MAP_ENTRIES_MAX + 1, &m), -E2BIG);
	EXPECT_EQ(create(BPF_MAP_TYPE_HASH, 4, 4, 0xffffffffu, &m), -E2BIG);
	/* Each field within its limit, the whole over BPF_MAP_MEM_MAX. */
	EXPECT_EQ(create(BPF_MAP_TYPE_ARRAY, 4, BPF_MAP_VALUE_SIZE_MAX, 1025, &m), -ENOMEM);
	EXPECT_EQ(create(BPF_MAP_TYPE_HASH, BPF_MAP_KEY_SIZE_MAX, 4096, 16384, &m), -ENOMEM);
	EXPECT_NULL(m);

	/* Exactly at each per-field limit is accepted. */
	m = make_map(BPF_MAP_TYPE_HASH, BPF_MAP_KEY_SIZE_MAX, BPF_MAP_VALUE_SIZE_MAX, 4);
	ASSERT_NONNULL(m);
	EXPECT_EQ(bpf_map_type(m), BPF_MAP_TYPE_HASH);
	EXPECT_EQ(bpf_map_key_size(m), BPF_MAP_KEY_SIZE_MAX);
	EXPECT_EQ(bpf_map_value_size(m), BPF_MAP_VALUE_SIZE_MAX);
	EXPECT_EQ(bpf_map_max_entries(m), 4);
	static uint8_t key[BPF_MAP_KEY_SIZE_MAX], val[BPF_MAP_VALUE_SIZE_MAX],
		out[BPF_MAP_VALUE_SIZE_MAX];
	memset(key, 0x11, sizeof(key));
	for (size_t i = 0; i < sizeof(val); i++)
		val[i] = (uint8_t)(i * 7);
	EXPECT_EQ(update(m, key, val, BPF_NOEXIST), 0);
	EXPECT_EQ(lookup(m, key, out), 0);
	EXPECT_EQ(memcmp(out, val, sizeof(val)), 0);
	CHECK_MAP(m);
	bpf_map_put(m);

	m = make_map(BPF_MAP_TYPE_ARRAY, 4, 4, BPF_MAP_ENTRIES_MAX);
	ASSERT_NONNULL(m);
	EXPECT_EQ(bpf_map_type(m), BPF_MAP_TYPE_ARRAY);
	EXPECT_EQ(bpf_map_max_entries(m), BPF_MAP_ENTRIES_MAX);
	uint32_t last = BPF_MAP_ENTRIES_MAX - 1, v = 0xdeadbeef, o = 1;
	EXPECT_EQ(lookup(m, &last, &o), 0);
	EXPECT_EQ(o, 0);
	EXPECT_EQ(update(m, &last, &v, BPF_ANY), 0);
	EXPECT_EQ(lookup(m, &last, &o), 0);
	EXPECT_EQ(o, 0xdeadbeef);
	CHECK_MAP(m);
	bpf_map_put(m);
}

KTEST(bpf_map, array_zero_initialised)
{
	/* Value sizes that are not multiples of 8, and chunk boundaries (64 KiB / 24-byte stride). */
	struct bpf_map *m = make_map(BPF_MAP_TYPE_ARRAY, 4, 20, 10000);
	ASSERT_NONNULL(m);
	uint8_t v[20], zero[20] = {0};
	for (uint32_t i = 0; i < 10000; i++) {
		memset(v, 0xff, sizeof(v));
		ASSERT_EQ(lookup(m, &i, v), 0);
		ASSERT_EQ(memcmp(v, zero, sizeof(v)), 0);
	}
	/* Neighbouring slots do not overlap. */
	for (uint32_t i = 0; i < 10000; i++) {
		memset(v, (int)(i & 0xff), sizeof(v));
		ASSERT_EQ(update(m, &i, v, BPF_EXIST), 0);
	}
	for (uint32_t i = 0; i < 10000; i++) {
		ASSERT_EQ(lookup(m, &i, v), 0);
		for (size_t b = 0; b < sizeof(v); b++)
			ASSERT_EQ(v[b], i & 0xff);
	}
	CHECK_MAP(m);
	bpf_map_put(m);
}

/* ---------------------------------------------------------------------------------------- */
/* Element operations: every error code. */

KTEST(bpf_map, array_errors)
{
	struct bpf_map *m = make_map(BPF_MAP_TYPE_ARRAY, 4, 8, 3);
	ASSERT_NONNULL(m);
	uint32_t k;
	uint64_t v = 42, o = 0;

	k = 1;
	EXPECT_EQ(update(m, &k, &v, 3), -EINVAL);
	EXPECT_EQ(update(m, &k, &v, 4), -EINVAL);
	EXPECT_EQ(update(m, &k, &v, ~0ull), -EINVAL);
	EXPECT_EQ(update(m, &k, &v, BPF_NOEXIST), -EEXIST);
	EXPECT_EQ(update(m, &k, &v, BPF_EXIST), 0);
	v = 43;
	EXPECT_EQ(update(m, &k, &v, BPF_ANY), 0);
	EXPECT_EQ(lookup(m, &k, &o), 0);
	EXPECT_EQ(o, 43);
	k = 3;
	EXPECT_EQ(update(m, &k, &v, BPF_ANY), -E2BIG);
	EXPECT_EQ(update(m, &k, &v, BPF_EXIST), -E2BIG);
	/* Linux checks the index before NOEXIST. */
	EXPECT_EQ(update(m, &k, &v, BPF_NOEXIST), -E2BIG);
	EXPECT_EQ(update(m, &k, &v, 3), -EINVAL);
	EXPECT_EQ(lookup(m, &k, &o), -ENOENT);
	k = 0xffffffffu;
	EXPECT_EQ(lookup(m, &k, &o), -ENOENT);
	EXPECT_EQ(update(m, &k, &v, BPF_ANY), -E2BIG);
	k = 1;
	EXPECT_EQ(del(m, &k), -EINVAL);
	k = 7;
	EXPECT_EQ(del(m, &k), -EINVAL);
	k = 1;
	EXPECT_EQ(lookup(m, &k, &o), 0);
	EXPECT_EQ(o, 43);
	CHECK_MAP(m);
	bpf_map_put(m);
}

KTEST(bpf_map, array_get_next_key)
{
	struct bpf_map *m = make_map(BPF_MAP_TYPE_ARRAY, 4, 4, 3);
	ASSERT_NONNULL(m);
	uint32_t k, n = 77;

	EXPECT_EQ(next_key(m, NULL, &n), 0);
	EXPECT_EQ(n, 0);
	k = 0;
	EXPECT_EQ(next_key(m, &k, &n), 0);
	EXPECT_EQ(n, 1);
	k = 1;
	EXPECT_EQ(next_key(m, &k, &n), 0);
	EXPECT_EQ(n, 2);
	k = 2;
	n = 77;
	EXPECT_EQ(next_key(m, &k, &n), -ENOENT);
	EXPECT_EQ(n, 77);
	k = 3;
	EXPECT_EQ(next_key(m, &k, &n), 0);
	EXPECT_EQ(n, 0);
	k = 0xffffffffu;
	EXPECT_EQ(next_key(m, &k, &n), 0);
	EXPECT_EQ(n, 0);
	bpf_map_put(m);

	m = make_map(BPF_MAP_TYPE_ARRAY, 4, 4, 1);
	ASSERT_NONNULL(m);
	EXPECT_EQ(next_key(m, NULL, &n), 0);
	EXPECT_EQ(n, 0);
	k = 0;
	EXPECT_EQ(next_key(m, &k, &n), -ENOENT);
	bpf_map_put(m);
}

KTEST(bpf_map, hash_errors)
{
	struct bpf_map *m = make_map(BPF_MAP_TYPE_HASH, 8, 4, 2);
	ASSERT_NONNULL(m);
	uint64_t k1 = 1, k2 = 2, k3 = 3;
	uint32_t v = 10, o = 0;

	EXPECT_EQ(update(m, &k1, &v, 3), -EINVAL);
	EXPECT_EQ(update(m, &k1, &v, 1ull << 32), -EINVAL);
	EXPECT_EQ(lookup(m, &k1, &o), -ENOENT);
	EXPECT_EQ(del(m, &k1), -ENOENT);
	EXPECT_EQ(update(m, &k1, &v, BPF_EXIST), -ENOENT);
	EXPECT_EQ(lookup(m, &k1, &o), -ENOENT);
	EXPECT_EQ(update(m, &k1, &v, BPF_NOEXIST), 0);
	v = 11;
	EXPECT_EQ(update(m, &k1, &v, BPF_NOEXIST), -EEXIST);
	EXPECT_EQ(lookup(m, &k1, &o), 0);
	EXPECT_EQ(o, 10);
	EXPECT_EQ(update(m, &k1, &v, 3), -EINVAL);
	EXPECT_EQ(update(m, &k2, &v, BPF_ANY), 0);
	CHECK_MAP(m);

	/* Full: inserting fails, overwriting succeeds whatever the flag that allows it. */
	EXPECT_EQ(update(m, &k3, &v, BPF_ANY), -E2BIG);
	EXPECT_EQ(update(m, &k3, &v, BPF_NOEXIST), -E2BIG);
	EXPECT_EQ(update(m, &k3, &v, BPF_EXIST), -ENOENT);
	EXPECT_EQ(update(m, &k1, &v, BPF_NOEXIST), -EEXIST);
	v = 12;
	EXPECT_EQ(update(m, &k1, &v, BPF_ANY), 0);
	v = 13;
	EXPECT_EQ(update(m, &k2, &v, BPF_EXIST), 0);
	EXPECT_EQ(lookup(m, &k1, &o), 0);
	EXPECT_EQ(o, 12);
	EXPECT_EQ(lookup(m, &k2, &o), 0);
	EXPECT_EQ(o, 13);
	EXPECT_EQ(lookup(m, &k3, &o), -ENOENT);
	CHECK_MAP(m);

	/* A delete makes room again. */
	EXPECT_EQ(del(m, &k1), 0);
	EXPECT_EQ(del(m, &k1), -ENOENT);
	EXPECT_EQ(lookup(m, &k1, &o), -ENOENT);
	EXPECT_EQ(update(m, &k3, &v, BPF_NOEXIST), 0);
	EXPECT_EQ(update(m, &k1, &v, BPF_ANY), -E2BIG);
	CHECK_MAP(m);
	bpf_map_put(m);
}

KTEST(bpf_map, hash_get_next_key)
{
	struct bpf_map *m = make_map(BPF_MAP_TYPE_HASH, 4, 4, 16);
	ASSERT_NONNULL(m);
	uint32_t k, n = 0, v = 0;

	EXPECT_EQ(next_key(m, NULL, &n), -ENOENT);
	k = 5;
	EXPECT_EQ(next_key(m, &k, &n), -ENOENT);
	for (k = 100; k < 110; k++)
		ASSERT_EQ(update(m, &k, &v, BPF_NOEXIST), 0);

	uint32_t first;
	EXPECT_EQ(next_key(m, NULL, &first), 0);
	/* A key not in the map gives the first key. */
	k = 5;
	EXPECT_EQ(next_key(m, &k, &n), 0);
	EXPECT_EQ(n, first);

	int seen[10] = {0}, steps = 0;
	int err = next_key(m, NULL, &n);
	while (err == 0) {
		ASSERT_TRUE(n >= 100 && n < 110);
		seen[n - 100]++;
		ASSERT_LE(++steps, 10);
		k = n;
		err = next_key(m, &k, &n);
	}
	EXPECT_EQ(err, -ENOENT);
	EXPECT_EQ(steps, 10);
	for (int i = 0; i < 10; i++)
		EXPECT_EQ(seen[i], 1);
	/* After the last key: -ENOENT, and next_key untouched. */
	n = 12345;
	EXPECT_EQ(next_key(m, &k, &n), -ENOENT);
	EXPECT_EQ(n, 12345);

	/* An undisturbed iteration visits in get_next_key order (for_each is "in next_key order"). */
	struct bpf_map_iter it;
	uint32_t ik;
	int err2 = next_key(m, NULL, &n);
	bpf_map_iter_start(m, &it);
	while (bpf_map_iter_next(m, &it, &ik, &v) == 0) {
		ASSERT_EQ(err2, 0);
		EXPECT_EQ(ik, n);
		k = n;
		err2 = next_key(m, &k, &n);
	}
	EXPECT_EQ(err2, -ENOENT);
	bpf_map_put(m);
}

KTEST(bpf_map, refcount)
{
	struct bpf_map *m = make_map(BPF_MAP_TYPE_HASH, 4, 4, 8);
	ASSERT_NONNULL(m);
	uint32_t k = 1, v = 2, o = 0;
	ASSERT_EQ(update(m, &k, &v, BPF_ANY), 0);
	bpf_map_get(m);
	bpf_map_get(m);
	bpf_map_put(m);
	bpf_map_put(m);
	/* One reference left: the map and its element are still there. */
	EXPECT_EQ(lookup(m, &k, &o), 0);
	EXPECT_EQ(o, 2);
	CHECK_MAP(m);
	bpf_map_put(m);
}

/* Create and destroy maps of both types with elements, and count frames ourselves too. */
KTEST(bpf_map, no_leak)
{
	size_t before = free_frames_after_reap();
	struct bpf_map *a = make_map(BPF_MAP_TYPE_ARRAY, 4, 8, 1u << 20);
	struct bpf_map *h = make_map(BPF_MAP_TYPE_HASH, 16, 100, 20000);
	ASSERT_NONNULL(a);
	ASSERT_NONNULL(h);
	uint8_t key[16] = {0}, val[100];
	memset(val, 0x5a, sizeof(val));
	for (uint32_t i = 0; i < 20000; i++) {
		memcpy(key, &i, sizeof(i));
		ASSERT_EQ(update(h, key, val, BPF_NOEXIST), 0);
	}
	for (uint32_t i = 0; i < 20000; i += 2) {
		memcpy(key, &i, sizeof(i));
		ASSERT_EQ(del(h, key), 0);
	}
	CHECK_MAP(h);
	/* 8 MiB of array values and ~1 MiB of hash elements are really allocated. */
	EXPECT_LT(free_frames_after_reap() + 2048, before);
	bpf_map_put(a);
	bpf_map_put(h);
	EXPECT_EQ(free_frames_after_reap(), before);
}

/*
 * Out of memory: with every free frame taken, see creation fail with -ENOMEM and an insert into a
 * BPF_F_NO_PREALLOC map too (it allocates on insert), give the frames back, and see the map work
 * again. A preallocated map (the default) inserts regardless: its elements exist from creation.
 */
KTEST(bpf_map, out_of_memory)
{
	struct bpf_map *h = make_map_flags(BPF_MAP_TYPE_HASH, 4, 32768, 4, BPF_F_NO_PREALLOC);
	struct bpf_map *p = make_map(BPF_MAP_TYPE_HASH, 4, 32768, 4);
	ASSERT_NONNULL(h);
	ASSERT_NONNULL(p);
	static uint8_t val[32768];
	uint32_t k = 1;

	vm_page_t hoard = hoard_all_frames();
	struct bpf_map *m = NULL;
	EXPECT_EQ(create(BPF_MAP_TYPE_ARRAY, 4, 4096, 64, &m), -ENOMEM);
	EXPECT_EQ(create(BPF_MAP_TYPE_HASH, 4, 4, 65536, &m), -ENOMEM);
	EXPECT_NULL(m);
	EXPECT_EQ(update(h, &k, val, BPF_ANY), -ENOMEM);
	EXPECT_EQ(lookup(h, &k, val), -ENOENT);
	for (k = 0; k < 4; k++)
		EXPECT_EQ(update(p, &k, val, BPF_NOEXIST), 0);
	EXPECT_EQ(update(p, &k, val, BPF_NOEXIST), -E2BIG);
	CHECK_MAP(h);
	CHECK_MAP(p);
	free_hoard(hoard);
	k = 1;
	EXPECT_EQ(update(h, &k, val, BPF_ANY), 0);
	EXPECT_EQ(lookup(h, &k, val), 0);
	CHECK_MAP(h);
	bpf_map_put(h);
	bpf_map_put(p);
}

/* ---------------------------------------------------------------------------------------- */
/*
 * for_each_map_elem as the syscall layer will drive it: copy out, run the callback (which returns
 * 0 to go on, 1 to stop), write the value back, count the elements visited.
 */

#define CB_MAX_KEY 64
#define CB_MAX_VALUE 64

typedef int (*cb_fn)(struct bpf_map *map, const void *key, void *value, void *ctx);

static long sim_for_each(struct bpf_map *map, cb_fn cb, void *ctx)
{
	uint8_t key[CB_MAX_KEY], value[CB_MAX_VALUE];
	struct bpf_map_iter it;
	long n = 0;

	bpf_map_iter_start(map, &it);
	while (bpf_map_iter_next(map, &it, key, value) == 0) {
		n++;
		int stop = cb(map, key, value, ctx);
		bpf_map_iter_writeback(map, &it, value);
		if (stop)
			break;
	}
	return n;
}

struct visit_log {
	uint32_t keys[512];
	int n;
	uint64_t sum;
	uint32_t stop_at; /* callback returns 1 at this key */
};

static int cb_log(struct bpf_map *map, const void *key, void *value, void *ctx)
{
	(void)map;
	struct visit_log *log = ctx;
	uint32_t k, v;
	memcpy(&k, key, 4);
	memcpy(&v, value, 4);
	if (log->n < 512)
		log->keys[log->n] = k;
	log->n++;
	log->sum += v;
	return k == log->stop_at;
}

KTEST(bpf_map, m1_array_stop)
{
	struct bpf_map *m = make_map(BPF_MAP_TYPE_ARRAY, 4, 4, 3);
	ASSERT_NONNULL(m);
	for (uint32_t i = 0; i < 3; i++) {
		uint32_t v = i + 1;
		ASSERT_EQ(update(m, &i, &v, BPF_ANY), 0);
	}
	struct visit_log log = {.stop_at = 1};
	EXPECT_EQ(sim_for_each(m, cb_log, &log), 2);
	EXPECT_EQ(log.n, 2);
	EXPECT_EQ(log.keys[0], 0);
	EXPECT_EQ(log.keys[1], 1);
	EXPECT_EQ(log.sum, 3);
	bpf_map_put(m);
}

KTEST(bpf_map, m2_array_all_slots)
{
	struct bpf_map *m = make_map(BPF_MAP_TYPE_ARRAY, 4, 4, 5);
	ASSERT_NONNULL(m);
	uint32_t k = 2, v = 9;
	ASSERT_EQ(update(m, &k, &v, BPF_ANY), 0);
	struct visit_log log = {.stop_at = 0xffffffffu};
	EXPECT_EQ(sim_for_each(m, cb_log, &log), 5);
	ASSERT_EQ(log.n, 5);
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(log.keys[i], i);
	EXPECT_EQ(log.sum, 9); /* the unset slots are 0 */
	bpf_map_put(m);
}

KTEST(bpf_map, m3_hash_each_once)
{
	struct bpf_map *m = make_map(BPF_MAP_TYPE_HASH, 4, 4, 8);
	ASSERT_NONNULL(m);
	for (uint32_t i = 0; i < 3; i++) {
		uint32_t v = i + 1;
		ASSERT_EQ(update(m, &i, &v, BPF_NOEXIST), 0);
	}
	struct visit_log log = {.stop_at = 0xffffffffu};
	EXPECT_EQ(sim_for_each(m, cb_log, &log), 3);
	ASSERT_EQ(log.n, 3);
	int seen[3] = {0};
	for (int i = 0; i < 3; i++) {
		ASSERT_LT(log.keys[i], 3);
		seen[log.keys[i]]++;
	}
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(seen[i], 1);
	EXPECT_EQ(log.sum, 6);
	bpf_map_put(m);
}

KTEST(bpf_map, m4_empty_hash)
{
	struct bpf_map *m = make_map(BPF_MAP_TYPE_HASH, 4, 4, 8);
	ASSERT_NONNULL(m);
	struct visit_log log = {.stop_at = 0xffffffffu};
	EXPECT_EQ(sim_for_each(m, cb_log, &log), 0);
	EXPECT_EQ(log.n, 0);
	/* The iteration stays over. */
	struct bpf_map_iter it;
	uint32_t k, v;
	bpf_map_iter_start(m, &it);
	EXPECT_EQ(bpf_map_iter_next(m, &it, &k, &v), -ENOENT);
	EXPECT_EQ(bpf_map_iter_next(m, &it, &k, &v), -ENOENT);
	EXPECT_EQ(bpf_map_iter_writeback(m, &it, &v), -ENOENT);
	bpf_map_put(m);
}

static int cb_delete_current(struct bpf_map *map, const void *key, void *value, void *ctx)
{
	(void)value;
	int *errs = ctx;
	if (del(map, key) != 0)
		(*errs)++;
	return 0;
}

KTEST(bpf_map, m5_delete_current)
{
	struct bpf_map *m = make_map(BPF_MAP_TYPE_HASH, 4, 4, 3);
	ASSERT_NONNULL(m);
	for (uint32_t i = 0; i < 3; i++)
		ASSERT_EQ(update(m, &i, &i, BPF_NOEXIST), 0);
	int errs = 0;
	EXPECT_EQ(sim_for_each(m, cb_delete_current, &errs), 3);
	EXPECT_EQ(errs, 0);
	uint32_t n;
	EXPECT_EQ(next_key(m, NULL, &n), -ENOENT);
	CHECK_MAP(m);
	bpf_map_put(m);
}

struct reinsert_ctx {
	int errs;
	int times; /* delete + re-insert this many times per visit */
	uint8_t seen[128];
	int dup;
};

static int cb_delete_reinsert(struct bpf_map *map, const void *key, void *value, void *ctx)
{
	struct reinsert_ctx *c = ctx;
	uint32_t k;
	memcpy(&k, key, 4);
	if (k >= 128 || c->seen[k]++)
		c->dup++;
	for (int i = 0; i < c->times; i++) {
		if (del(map, key) != 0)
			c->errs++;
		if (update(map, key, value, BPF_NOEXIST) != 0)
			c->errs++;
	}
	return 0;
}

KTEST(bpf_map, m6_delete_reinsert)
{
	for (int times = 1; times <= 5; times += 4) {
		struct bpf_map *m = make_map(BPF_MAP_TYPE_HASH, 4, 4, 128);
		ASSERT_NONNULL(m);
		for (uint32_t i = 0; i < 128; i++) {
			uint32_t v = i * 3 + 1;
			ASSERT_EQ(update(m, &i, &v, BPF_NOEXIST), 0);
		}
		struct reinsert_ctx c = {.times = times};
		EXPECT_EQ(sim_for_each(m, cb_delete_reinsert, &c), 128);
		EXPECT_EQ(c.errs, 0);
		EXPECT_EQ(c.dup, 0);
		for (uint32_t i = 0; i < 128; i++) {
			uint32_t v = 0;
			EXPECT_EQ(lookup(m, &i, &v), 0);
			EXPECT_EQ(v, i * 3 + 1);
		}
		uint32_t k = 128, n;
		EXPECT_EQ(lookup(m, &k, &n), -ENOENT);
		CHECK_MAP(m);
		bpf_map_put(m);
	}
}

static int cb_increment(struct bpf_map *map, const void *key, void *value, void *ctx)
{
	(void)map;
	(void)key;
	(void)ctx;
	uint32_t v;
	memcpy(&v, value, 4);
	v += 100;
	memcpy(value, &v, 4);
	return 0;
}

KTEST(bpf_map, m8_writeback_persists)
{
	for (uint32_t type = BPF_MAP_TYPE_HASH; type <= BPF_MAP_TYPE_ARRAY; type++) {
		struct bpf_map *m = make_map(type, 4, 4, 10);
		ASSERT_NONNULL(m);
		for (uint32_t i = 0; i < 10; i++)
			ASSERT_EQ(update(m, &i, &i, BPF_ANY), 0);
		EXPECT_EQ(sim_for_each(m, cb_increment, NULL), 10);
		for (uint32_t i = 0; i < 10; i++) {
			uint32_t v = 0;
			EXPECT_EQ(lookup(m, &i, &v), 0);
			EXPECT_EQ(v, i + 100);
		}
		bpf_map_put(m);
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Iteration under mutation, beyond the acceptance cases. */

KTEST(bpf_map, iter_writeback_after_delete_is_noop)
{
	struct bpf_map *m = make_map(BPF_MAP_TYPE_HASH, 4, 4, 4);
	ASSERT_NONNULL(m);
	uint32_t k = 7, v = 1, o;
	ASSERT_EQ(update(m, &k, &v, BPF_ANY), 0);

	struct bpf_map_iter it;
	bpf_map_iter_start(m, &it);
	ASSERT_EQ(bpf_map_iter_next(m, &it, &k, &o), 0);
	EXPECT_EQ(k, 7);
	EXPECT_EQ(o, 1);
	ASSERT_EQ(del(m, &k), 0);
	o = 50;
	EXPECT_EQ(bpf_map_iter_writeback(m, &it, &o), -ENOENT);
	EXPECT_EQ(lookup(m, &k, &o), -ENOENT);
	/* A re-inserted key is a different element: the old cursor does not write to it. */
	v = 2;
	ASSERT_EQ(update(m, &k, &v, BPF_NOEXIST), 0);
	o = 60;
	EXPECT_EQ(bpf_map_iter_writeback(m, &it, &o), -ENOENT);
	EXPECT_EQ(lookup(m, &k, &o), 0);
	EXPECT_EQ(o, 2);
	/* ...and is not visited: it was inserted after the start. */
	EXPECT_EQ(bpf_map_iter_next(m, &it, &k, &o), -ENOENT);
	CHECK_MAP(m);
	bpf_map_put(m);
}

static int cb_insert_more(struct bpf_map *map, const void *key, void *value, void *ctx)
{
	(void)key;
	(void)value;
	uint32_t *next = ctx;
	for (int i = 0; i < 3; i++, (*next)++)
		update(map, next, next, BPF_NOEXIST);
	return 0;
}

KTEST(bpf_map, iter_skips_inserted)
{
	struct bpf_map *m = make_map(BPF_MAP_TYPE_HASH, 4, 4, 1000);
	ASSERT_NONNULL(m);
	for (uint32_t i = 0; i < 50; i++)
		ASSERT_EQ(update(m, &i, &i, BPF_NOEXIST), 0);
	uint32_t next = 1000;
	EXPECT_EQ(sim_for_each(m, cb_insert_more, &next), 50);
	EXPECT_EQ(next, 1000 + 150);
	CHECK_MAP(m);
	bpf_map_put(m);
}

/* Inserted between bpf_map_iter_start and the first step, in any bucket (the first one included). */
KTEST(bpf_map, iter_skips_inserted_before_first_step)
{
	for (uint32_t trial = 0; trial < 20; trial++) {
		struct bpf_map *m = make_map(BPF_MAP_TYPE_HASH, 4, 4, 4);
		ASSERT_NONNULL(m);
		uint32_t k = trial * 10, v = 1;
		ASSERT_EQ(update(m, &k, &v, BPF_NOEXIST), 0);
		struct bpf_map_iter it;
		bpf_map_iter_start(m, &it);
		for (uint32_t i = 1; i < 4; i++) {
			k = trial * 10 + i;
			ASSERT_EQ(update(m, &k, &v, BPF_NOEXIST), 0);
		}
		int n = 0;
		while (bpf_map_iter_next(m, &it, &k, &v) == 0) {
			EXPECT_EQ(k, trial * 10);
			n++;
		}
		EXPECT_EQ(n, 1);
		bpf_map_put(m);
	}
}

/* Every visit deletes and re-inserts every key: the unvisited ones become new elements. */
static int cb_churn_all(struct bpf_map *map, const void *key, void *value, void *ctx)
{
	(void)key;
	(void)value;
	int *visits = ctx;
	(*visits)++;
	for (uint32_t i = 0; i < 64; i++) {
		del(map, &i);
		update(map, &i, &i, BPF_NOEXIST);
	}
	return 0;
}

KTEST(bpf_map, iter_churn_terminates)
{
	struct bpf_map *m = make_map(BPF_MAP_TYPE_HASH, 4, 4, 64);
	ASSERT_NONNULL(m);
	for (uint32_t i = 0; i < 64; i++)
		ASSERT_EQ(update(m, &i, &i, BPF_NOEXIST), 0);
	int visits = 0;
	EXPECT_EQ(sim_for_each(m, cb_churn_all, &visits), 1);
	EXPECT_EQ(visits, 1);
	for (uint32_t i = 0; i < 64; i++) {
		uint32_t v;
		EXPECT_EQ(lookup(m, &i, &v), 0);
		EXPECT_EQ(v, i);
	}
	CHECK_MAP(m);
	bpf_map_put(m);
}

/*
 * Random mutations between steps, against the contract: a visited key was in the map at the start
 * and never deleted since (so it is visited at most once and never after a delete/re-insert), and
 * every key present at the start and never deleted is visited. Values written back persist unless
 * the element went away in between.
 */
#define RI_KEYS 300
#define RI_MAX 200

struct rand_iter_model {
	bool present[RI_KEYS];
	bool original[RI_KEYS]; /* present at start and not deleted since */
	int visits[RI_KEYS];
	uint32_t value[RI_KEYS];
};

KTEST(bpf_map, iter_random_mutation)
{
	uint64_t seed = test_rng_seed("BPF_MAP_SEED", 0x5eed1234);
	struct test_rng rng;
	test_rng_init(&rng, seed);
	static struct rand_iter_model md;

	for (int round = 0; round < 200; round++) {
		struct bpf_map *m = make_map(BPF_MAP_TYPE_HASH, 4, 4, RI_MAX);
		ASSERT_NONNULL(m);
		memset(&md, 0, sizeof(md));
		int count = 0, target = (int)test_rng_below(&rng, RI_MAX + 1);
		while (count < target) {
			uint32_t k = test_rng_below(&rng, RI_KEYS);
			if (md.present[k])
				continue;
			md.present[k] = md.original[k] = true;
			md.value[k] = (uint32_t)test_rng_next(&rng);
			ASSERT_EQ(update(m, &k, &md.value[k], BPF_NOEXIST), 0);
			count++;
		}

		struct bpf_map_iter it;
		uint32_t k, v;
		int steps = 0, bad = 0;
		bpf_map_iter_start(m, &it);
		while (bpf_map_iter_next(m, &it, &k, &v) == 0) {
			if (++steps > RI_MAX || k >= RI_KEYS || !md.original[k] || md.visits[k]++ ||
			    v != md.value[k]) {
				bad = 1;
				break;
			}
			bool cur_alive = true;
			int muts = (int)test_rng_below(&rng, 6);
			for (int i = 0; i < muts; i++) {
				uint32_t x = test_rng_below(&rng, 4) == 0
						     ? k
						     : test_rng_below(&rng, RI_KEYS);
				if (test_rng_below(&rng, 2) && md.present[x]) {
					EXPECT_EQ(del(m, &x), 0);
					md.present[x] = md.original[x] = false;
					if (x == k)
						cur_alive = false;
				} else if (!md.present[x] && count < RI_MAX) {
					md.value[x] = (uint32_t)test_rng_next(&rng);
					EXPECT_EQ(update(m, &x, &md.value[x], BPF_NOEXIST), 0);
					md.present[x] = true;
				} else if (md.present[x]) {
					md.value[x] = (uint32_t)test_rng_next(&rng);
					EXPECT_EQ(update(m, &x, &md.value[x], BPF_EXIST), 0);
				}
				count = 0;
				for (int j = 0; j < RI_KEYS; j++)
					count += md.present[j];
			}
			uint32_t nv = (uint32_t)test_rng_next(&rng);
			int wb = bpf_map_iter_writeback(m, &it, &nv);
			EXPECT_EQ(wb, cur_alive ? 0 : -ENOENT);
			if (cur_alive)
				md.value[k] = nv;
		}
		for (int j = 0; !bad && j < RI_KEYS; j++)
			if (md.original[j] && md.visits[j] != 1)
				bad = 1;
		for (uint32_t j = 0; !bad && j < RI_KEYS; j++) {
			uint32_t o;
			int err = lookup(m, &j, &o);
			if (err != (md.present[j] ? 0 : -ENOENT) ||
			    (md.present[j] && o != md.value[j]))
				bad = 1;
		}
		const char *why = bpf_map_check(m);
		bpf_map_put(m);
		if (bad || why) {
			KT_FAIL("iteration contract broken in round %d (seed %#llx)%s%s", round,
				(unsigned long long)seed, why ? ": " : "", why ? why : "");
			return;
		}
	}
}

/* ---------------------------------------------------------------------------------------- */
/*
 * Differential test: hash maps of several key and value sizes against a model (an array of
 * key/value pairs), every return code compared, the invariant checker run after every operation,
 * and full get_next_key walks that must return every key exactly once.
 */

#define DT_MAX_KEY 40
#define DT_MAX_VAL 24

struct dt_pair {
	uint8_t key[DT_MAX_KEY];
	uint8_t val[DT_MAX_VAL];
	bool present;
};

struct dt_case {
	uint32_t key_size, value_size, max_entries, universe;
};

static int dt_find_key(const struct dt_pair *u, uint32_t n, const uint8_t *key, uint32_t ks)
{
	for (uint32_t i = 0; i < n; i++)
		if (memcmp(u[i].key, key, ks) == 0)
			return (int)i;
	return -1;
}

/* Returns NULL or what went wrong; *op_out says at which operation. */
static const char *dt_run(const struct dt_case *c, struct test_rng *rng, int ops, int *op_out)
{
	static struct dt_pair u[512];
	static int walk_seen[512];
	struct bpf_map *m = make_map(BPF_MAP_TYPE_HASH, c->key_size, c->value_size, c->max_entries);
	const char *why = NULL;
	uint32_t count = 0, ks = c->key_size, vs = c->value_size;

	if (!m)
		return "create failed";
	/* A universe of distinct keys, larger than max_entries so the map fills up. */
	for (uint32_t i = 0; i < c->universe; i++) {
		do {
			for (uint32_t b = 0; b < ks; b++)
				u[i].key[b] = (uint8_t)test_rng_next(rng);
		} while (dt_find_key(u, i, u[i].key, ks) >= 0);
		u[i].present = false;
	}

	for (int op = 0; op < ops && !why; op++) {
		*op_out = op;
		uint32_t i = test_rng_below(rng, c->universe);
		struct dt_pair *p = &u[i];
		uint8_t out[DT_MAX_VAL], nk[DT_MAX_KEY];
		int r = (int)test_rng_below(rng, 100), err, want;

		if (r < 45) {
			uint64_t flags = test_rng_below(rng, 3);
			uint8_t val[DT_MAX_VAL];
			if (test_rng_below(rng, 50) == 0)
				flags = 3 + test_rng_below(rng, 100);
			for (uint32_t b = 0; b < vs; b++)
				val[b] = (uint8_t)test_rng_next(rng);
			if (flags > BPF_EXIST)
				want = -EINVAL;
			else if (p->present)
				want = flags == BPF_NOEXIST ? -EEXIST : 0;
			else if (flags == BPF_EXIST)
				want = -ENOENT;
			else
				want = count >= c->max_entries ? -E2BIG : 0;
			err = update(m, p->key, val, flags);
			if (err != want)
				why = "update returned the wrong code";
			else if (err == 0) {
				memcpy(p->val, val, vs);
				count += !p->present;
				p->present = true;
			}
		} else if (r < 70) {
			want = p->present ? 0 : -ENOENT;
			err = del(m, p->key);
			if (err != want)
				why = "delete returned the wrong code";
			else if (err == 0) {
				p->present = false;
				count--;
			}
		} else if (r < 95) {
			want = p->present ? 0 : -ENOENT;
			memset(out, 0xee, sizeof(out));
			err = lookup(m, p->key, out);
			if (err != want)
				why = "lookup returned the wrong code";
			else if (err == 0 && memcmp(out, p->val, vs) != 0)
				why = "lookup returned the wrong value";
			else if (vs < DT_MAX_VAL && out[vs] != 0xee)
				why = "lookup wrote past value_size";
		} else if (r < 99) {
			/* get_next_key from a random key: a present key, or the first one for an absent key. */
			uint8_t first[DT_MAX_KEY];
			int ferr = next_key(m, NULL, first);
			err = next_key(m, p->key, nk);
			int j = err == 0 ? dt_find_key(u, c->universe, nk, ks) : -1;
			if (ferr != (count ? 0 : -ENOENT))
				why = "get_next_key(NULL) wrong on an empty/non-empty map";
			else if (err == 0 && (j < 0 || !u[j].present || j == (int)i))
				why = "get_next_key returned a key not in the map";
			else if (!p->present && err != ferr)
				why = "get_next_key of an absent key did not behave as NULL";
			else if (!p->present && err == 0 && memcmp(nk, first, ks) != 0)
				why = "get_next_key of an absent key did not give the first key";
			else if (p->present && count == 1 && err != -ENOENT)
				why = "get_next_key of the only key did not end";
		} else {
			/* A full walk returns each present key exactly once. */
			memset(walk_seen, 0, sizeof(walk_seen));
			uint32_t steps = 0;
			err = next_key(m, NULL, nk);
			while (err == 0 && !why) {
				int j = dt_find_key(u, c->universe, nk, ks);
				if (j < 0 || !u[j].present)
					why = "walk returned a key not in the map";
				else if (walk_seen[j]++)
					why = "walk returned a key twice";
				else if (++steps > count)
					why = "walk longer than the map";
				uint8_t cur[DT_MAX_KEY];
				memcpy(cur, nk, ks);
				err = next_key(m, cur, nk);
			}
			if (!why && (err != -ENOENT || steps != count))
				why = "walk missed keys";
		}
		if (!why)
			why = bpf_map_check(m);
	}
	bpf_map_put(m);
	return why;
}

KTEST(bpf_map, hash_differential)
{
	static const struct dt_case cases[] = {
		{1, 4, 64, 96},    {3, 1, 100, 150}, {4, 8, 16, 24},    {8, 4, 128, 200},
		{13, 20, 64, 128}, {16, 24, 1, 3},   {40, 7, 300, 400}, {5, 3, 200, 220},
	};
	uint64_t seed = test_rng_seed("BPF_MAP_SEED", 0xb9f00d);
	struct test_rng rng;
	test_rng_init(&rng, seed);
	int total = 0;

	for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
		int op = 0, ops = 12500;
		const char *why = dt_run(&cases[ci], &rng, ops, &op);
		total += ops;
		if (why) {
			KT_FAIL("seed %#llx, case %zu (key %u, value %u, max %u), op %d: %s",
				(unsigned long long)seed, ci, cases[ci].key_size,
				cases[ci].value_size, cases[ci].max_entries, op, why);
			return;
		}
	}
	EXPECT_EQ(total, 100000);
}

/* The clamp array maps apply after their bounds check (machine/nospec.h): i below n, else 0. */
KTEST(bpf_map, array_index_nospec_clamps)
{
	static const uint64_t n[] = {1, 5, 1ull << 32, UINT64_MAX};
	for (unsigned k = 0; k < sizeof(n) / sizeof(n[0]); k++) {
		EXPECT_EQ(array_index_nospec(0, n[k]), 0);
		EXPECT_EQ(array_index_nospec(n[k] - 1, n[k]), n[k] - 1);
		EXPECT_EQ(array_index_nospec(n[k], n[k]), 0);
		EXPECT_EQ(array_index_nospec(UINT64_MAX, n[k]), 0);
		EXPECT_EQ(array_index_mask_nospec(n[k] - 1, n[k]), UINT64_MAX);
	}
	EXPECT_EQ(array_index_nospec(4, 5), 4);
	EXPECT_EQ(array_index_nospec(6, 5), 0);
}
