/*
 * Differential test of every BPF map type against a model: 10^5 seeded random operations per type,
 * from both sides (user space and programs), every return code and value compared, bpf_map_check
 * run after every operation, and the RCU side exercised: operations run inside and outside
 * read-side sections, and a value pointer a "program" holds must keep its contents after its
 * element is deleted or evicted, until the section ends.
 *
 * The model: an array of candidate keys (hash types: random distinct keys, more than max_entries
 * so that maps fill up; arrays: the indexes up to a little past max_entries), each with a present
 * flag, its value in the user-space layout, and for LRU types the time of its last use. Inserting
 * into a full LRU map evicts the present key with the oldest last use: the model of the exact LRU
 * order kernel/bpf/hashtab.c promises.
 *
 * Seed: BPF_MAP_SEED=n replays a run.
 */
#include <stdint.h>
#include <string.h>

#include "kernel/ktest.h"
#include "kernel/rcu.h"
#include "tests/host/bpf_map_util.h"
#include "tests/host/shim.h"
#include "tests/host/testutil.h"
#include "uapi/errno.h"

TEST_LEAK_CHECK_EVERY_TEST()

#define DM_KEY_MAX 16
#define DM_VS_MAX 24
#define DM_UNIVERSE 256
#define DM_HELD 64
#define DM_USER_MAX (HOST_POSSIBLE_CPUS * DM_VS_MAX)

struct dm_case {
	uint32_t type, flags, key_size, value_size, max_entries, universe;
};

struct dm_key {
	uint8_t key[DM_KEY_MAX];
	bool present;
	uint8_t val[DM_USER_MAX]; /* the user-space layout */
	uint64_t last_use;
};

/* A value pointer a program got inside the current read-side section. */
struct dm_held {
	uint8_t *ptr;
	uint32_t idx;
	bool deleted; /* its element left the map since: ptr must keep `snap` */
	uint8_t snap[DM_VS_MAX];
};

struct dm {
	const struct dm_case *c;
	struct bpf_map *m;
	struct test_rng *rng;
	struct dm_key u[DM_UNIVERSE];
	uint32_t count, stride, slots, user_size;
	bool array, lru, percpu;
	uint64_t clock;
	bool reading;    /* inside rcu_read_lock */
	int reading_rcu; /* its token */
	struct dm_held held[DM_HELD];
	unsigned nheld;
};

static int dm_find(const struct dm *d, const uint8_t *key)
{
	for (uint32_t i = 0; i < d->c->universe; i++)
		if (memcmp(d->u[i].key, key, d->c->key_size) == 0)
			return (int)i;
	return -1;
}

/* This CPU's value_size bytes of element i in the model. */
static uint8_t *dm_cpu_val(struct dm *d, uint32_t i, unsigned cpu)
{
	return d->u[i].val + (d->percpu ? cpu * d->stride : 0);
}

/* Whether key i is in the map: an array index below max_entries, a hash key inserted. */
static bool dm_present(const struct dm *d, uint32_t i)
{
	return d->array ? i < d->c->max_entries : d->u[i].present;
}

static void dm_touch(struct dm *d, uint32_t i)
{
	d->u[i].last_use = ++d->clock;
}

/* Element i leaves the map: pointers held to it freeze at its current contents. */
static void dm_remove(struct dm *d, uint32_t i)
{
	for (unsigned h = 0; h < d->nheld; h++) {
		struct dm_held *x = &d->held[h];
		if (x->idx == i && !x->deleted) {
			x->deleted = true;
			memcpy(x->snap, x->ptr, d->c->value_size);
		}
	}
	d->u[i].present = false;
	d->count--;
}

/* Make room for an insert: the expected error, evicting the LRU victim in the model if need be. */
static int dm_make_room(struct dm *d)
{
	if (d->count < d->c->max_entries)
		return 0;
	if (!d->lru)
		return -E2BIG;
	int victim = -1;
	for (uint32_t i = 0; i < d->c->universe; i++)
		if (d->u[i].present && (victim < 0 || d->u[i].last_use < d->u[victim].last_use))
			victim = (int)i;
	dm_remove(d, (uint32_t)victim);
	return 0;
}

static void dm_insert(struct dm *d, uint32_t i)
{
	d->u[i].present = true;
	d->count++;
	memset(d->u[i].val, 0, sizeof(d->u[i].val));
	dm_touch(d, i);
}

/* The update's expected result for key i and valid flags; applies it to the model on success. */
static int dm_expect_update(struct dm *d, uint32_t i, uint64_t flags)
{
	if (d->array) {
		if (i >= d->c->max_entries)
			return -E2BIG;
		return flags == BPF_NOEXIST ? -EEXIST : 0;
	}
	if (d->u[i].present) {
		if (flags == BPF_NOEXIST)
			return -EEXIST;
		dm_touch(d, i);
		return 0;
	}
	if (flags == BPF_EXIST)
		return -ENOENT;
	int r = dm_make_room(d);
	if (!r)
		dm_insert(d, i);
	return r;
}

static uint64_t dm_flags(struct dm *d)
{
	static const uint64_t bad[] = {3, BPF_F_LOCK, BPF_F_LOCK | BPF_EXIST, 8, 1ull << 40};
	if (test_rng_below(d->rng, 40) == 0)
		return bad[test_rng_below(d->rng, sizeof(bad) / sizeof(bad[0]))];
	return test_rng_below(d->rng, 3);
}

static void dm_random_bytes(struct dm *d, uint8_t *buf, size_t n)
{
	for (size_t b = 0; b < n; b++)
		buf[b] = (uint8_t)test_rng_next(d->rng);
}

/* An in-place lookup as a program does it, recording the pointer if a section is open. */
static uint8_t *dm_prog_lookup(struct dm *d, uint32_t i, unsigned cpu, bool percpu_call)
{
	uint8_t *p = percpu_call ? bpf_map_lookup_percpu_elem(d->m, d->u[i].key, cpu)
				 : bpf_map_lookup_elem(d->m, d->u[i].key);
	if (p && d->reading && d->nheld < DM_HELD)
		d->held[d->nheld++] = (struct dm_held){.ptr = p, .idx = i};
	return p;
}

struct dm_walk {
	struct dm *d;
	long n;
	const char *why;
	uint32_t stop_after;
};

static uint64_t dm_walk_cb(uint64_t map, uint64_t key, uint64_t value, uint64_t ctx,
			   uint64_t unused)
{
	struct dm_walk *w = (struct dm_walk *)(uintptr_t)ctx;
	int i = dm_find(w->d, (const uint8_t *)(uintptr_t)key);

	(void)map;
	(void)unused;
	w->n++;
	if (i < 0 || !dm_present(w->d, (uint32_t)i))
		w->why = "for_each visited a key not in the map";
	else if (memcmp((const void *)(uintptr_t)value, dm_cpu_val(w->d, (uint32_t)i, host_cpu_id),
			w->d->c->value_size))
		w->why = "for_each gave a value the model does not have";
	return (uint32_t)w->n == w->stop_after;
}

/* One random operation; NULL or what went wrong. */
static const char *dm_step(struct dm *d)
{
	const struct dm_case *c = d->c;
	uint32_t i = (uint32_t)test_rng_below(d->rng, c->universe), vs = c->value_size;
	struct dm_key *k = &d->u[i];
	uint8_t buf[DM_USER_MAX], out[DM_USER_MAX + 8];
	unsigned r = (unsigned)test_rng_below(d->rng, 100);
	int err, want;

	host_cpu_id = (unsigned)test_rng_below(d->rng, HOST_POSSIBLE_CPUS);
	if (r < 22) { /* user-space update */
		uint64_t flags = dm_flags(d);
		dm_random_bytes(d, buf, d->user_size);
		want = flags > BPF_EXIST ? -EINVAL : dm_expect_update(d, i, flags);
		err = update(d->m, k->key, buf, flags);
		if (err != want)
			return "update returned the wrong code";
		if (!err)
			memcpy(k->val, buf, d->user_size);
	} else if (r < 36) { /* a program's update */
		uint64_t flags = dm_flags(d);
		dm_random_bytes(d, buf, vs);
		want = flags > BPF_EXIST ? -EINVAL : dm_expect_update(d, i, flags);
		err = (int)bpf_map_update_elem(d->m, k->key, buf, flags);
		if (err != want)
			return "program update returned the wrong code";
		if (!err)
			memcpy(dm_cpu_val(d, i, host_cpu_id), buf, vs);
	} else if (r < 46) { /* delete, from either side */
		want = d->array ? -EINVAL : k->present ? 0 : -ENOENT;
		err = r < 42 ? del(d->m, k->key) : (int)bpf_map_delete_elem(d->m, k->key);
		if (err != want)
			return "delete returned the wrong code";
		if (!err)
			dm_remove(d, i);
	} else if (r < 60) { /* user-space lookup: not a use */
		bool present = dm_present(d, i);
		memset(out, 0xee, sizeof(out));
		err = lookup(d->m, k->key, out);
		if (err != (present ? 0 : -ENOENT))
			return "lookup returned the wrong code";
		if (!err && memcmp(out, k->val, d->user_size))
			return "lookup returned the wrong value";
		if (out[d->user_size] != 0xee)
			return "lookup wrote past the user value size";
	} else if (r < 72) { /* a program's lookup, sometimes writing through the pointer */
		bool present = dm_present(d, i);
		bool percpu_call = d->percpu && test_rng_below(d->rng, 3) == 0;
		unsigned cpu = percpu_call
				       ? (unsigned)test_rng_below(d->rng, HOST_POSSIBLE_CPUS + 1)
				       : host_cpu_id;
		int rcu = d->reading ? 0 : rcu_read_lock();
		uint8_t *p = dm_prog_lookup(d, i, cpu, percpu_call);
		const char *why = NULL;
		bool hit = present && cpu < HOST_POSSIBLE_CPUS;
		if (!p != !hit)
			why = "program lookup found the wrong thing";
		else if (p && memcmp(p, dm_cpu_val(d, i, cpu), vs))
			why = "program lookup points at the wrong value";
		if (p && !why) {
			if (d->lru)
				dm_touch(d, i);
			if (test_rng_below(d->rng, 2)) {
				dm_random_bytes(d, p, vs);
				memcpy(dm_cpu_val(d, i, cpu), p, vs);
			}
		}
		if (!d->reading)
			rcu_read_unlock(rcu);
		if (why)
			return why;
	} else if (r < 78) { /* lookup-and-delete */
		want = d->array ? -ENOTSUPP : k->present ? 0 : -ENOENT;
		err = bpf_map_sys_lookup_and_delete(d->m, RW, k->key, out, 0);
		if (err != want)
			return "lookup_and_delete returned the wrong code";
		if (!err) {
			if (memcmp(out, k->val, d->user_size))
				return "lookup_and_delete returned the wrong value";
			dm_remove(d, i);
		}
	} else if (r < 88) { /* get_next_key from a random key */
		uint8_t nk[DM_KEY_MAX], first[DM_KEY_MAX];
		int ferr = next_key(d->m, NULL, first);
		err = next_key(d->m, k->key, nk);
		if (d->array) {
			uint32_t idx;
			memcpy(&idx, k->key, 4);
			want = idx == c->max_entries - 1 ? -ENOENT : 0;
			uint32_t got = 0, expect = idx >= c->max_entries ? 0 : idx + 1;
			memcpy(&got, nk, 4);
			if (err != want || ferr != 0 || (!err && got != expect))
				return "array get_next_key wrong";
		} else {
			int j = err == 0 ? dm_find(d, nk) : -1;
			if (ferr != (d->count ? 0 : -ENOENT))
				return "get_next_key(NULL) wrong on an empty/non-empty map";
			if (err == 0 && (j < 0 || !d->u[j].present || j == (int)i))
				return "get_next_key returned a key not in the map";
			if (!k->present &&
			    (err != ferr || (!err && memcmp(nk, first, c->key_size))))
				return "get_next_key of an absent key did not give the first key";
			if (k->present && d->count == 1 && err != -ENOENT)
				return "get_next_key of the only key did not end";
		}
	} else if (r < 92) { /* a whole walk, by get_next_key and by for_each */
		static int seen[DM_UNIVERSE];
		uint8_t nk[DM_KEY_MAX], cur[DM_KEY_MAX];
		uint32_t steps = 0, expect = d->array ? c->max_entries : d->count;
		memset(seen, 0, sizeof(seen));
		err = next_key(d->m, NULL, nk);
		while (err == 0) {
			int j = dm_find(d, nk);
			if (j < 0 || !dm_present(d, (uint32_t)j) || seen[j]++ || ++steps > expect)
				return "walk returned a key not in the map, twice, or too many";
			memcpy(cur, nk, c->key_size);
			err = next_key(d->m, cur, nk);
		}
		if (err != -ENOENT || steps != expect)
			return "walk missed keys";
		struct dm_walk w = {.d = d, .stop_after = ~0u};
		if (test_rng_below(d->rng, 4) == 0 && expect)
			w.stop_after = 1 + (uint32_t)test_rng_below(d->rng, expect);
		int rcu = d->reading ? 0 : rcu_read_lock();
		long n = bpf_map_for_each_elem(d->m, dm_walk_cb, &w, 0);
		if (!d->reading)
			rcu_read_unlock(rcu);
		if (w.why)
			return w.why;
		if (n != w.n || n != (long)(expect < w.stop_after ? expect : w.stop_after))
			return "for_each visited the wrong number of elements";
	} else { /* open or close a read-side section */
		if (!d->reading) {
			d->reading_rcu = rcu_read_lock();
			d->reading = true;
		} else {
			d->reading = false;
			d->nheld = 0;
			rcu_read_unlock(d->reading_rcu);
		}
	}
	for (unsigned h = 0; h < d->nheld; h++)
		if (d->held[h].deleted && memcmp(d->held[h].ptr, d->held[h].snap, vs))
			return "a deleted element's memory changed while a program could hold it";
	if (!d->reading && rcu_pending())
		return "callbacks left waiting with no reader";
	return bpf_map_check(d->m);
}

/* Run ops random operations on a fresh map of case c. NULL or what went wrong; *op_out says where. */
static const char *dm_run(const struct dm_case *c, struct test_rng *rng, int ops, int *op_out)
{
	static struct dm d;
	const char *why = NULL;

	memset(&d, 0, sizeof(d));
	d.c = c;
	d.rng = rng;
	d.array = c->type == BPF_MAP_TYPE_ARRAY || c->type == BPF_MAP_TYPE_PERCPU_ARRAY;
	d.lru = c->type == BPF_MAP_TYPE_LRU_HASH || c->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	d.percpu = c->type == BPF_MAP_TYPE_PERCPU_HASH || c->type == BPF_MAP_TYPE_PERCPU_ARRAY ||
		   c->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	d.stride = (c->value_size + 7) & ~7u;
	d.slots = d.percpu ? HOST_POSSIBLE_CPUS : 1;
	d.user_size = d.percpu ? d.slots * d.stride : c->value_size;
	d.m = make_map_flags(c->type, c->key_size, c->value_size, c->max_entries, c->flags);
	if (!d.m)
		return "create failed";
	if (bpf_map_sys_value_size(d.m) != d.user_size)
		why = "user value size is not the model's";
	for (uint32_t i = 0; i < c->universe; i++) {
		if (d.array) {
			memcpy(d.u[i].key, &i, 4);
			continue;
		}
		do
			dm_random_bytes(&d, d.u[i].key, c->key_size);
		while (dm_find(&d, d.u[i].key) != (int)i);
	}
	for (int op = 0; op < ops && !why; op++) {
		*op_out = op;
		why = dm_step(&d);
	}
	if (d.reading)
		rcu_read_unlock(d.reading_rcu);
	host_cpu_id = 0;
	if (!why)
		why = bpf_map_check(d.m);
	bpf_map_put(d.m);
	if (!why && rcu_pending())
		why = "callbacks left waiting at the end";
	return why;
}

/* 10^5 operations over the cases of one type. */
static void dm_type(struct ktest_state *kt, const struct dm_case *cases, size_t n,
		    uint64_t fallback)
{
	uint64_t seed = test_rng_seed("BPF_MAP_SEED", fallback);
	struct test_rng rng;
	int total = 0;

	test_rng_init(&rng, seed);
	for (size_t ci = 0; ci < n; ci++) {
		int op = 0, ops = (int)(100000 / n) + (ci == 0 ? (int)(100000 % n) : 0);
		const char *why = dm_run(&cases[ci], &rng, ops, &op);
		total += ops;
		if (why) {
			KT_FAIL("seed %#llx, case %zu (type %u flags %#x key %u value %u max %u), op %d: %s",
				(unsigned long long)seed, ci, cases[ci].type, cases[ci].flags,
				cases[ci].key_size, cases[ci].value_size, cases[ci].max_entries, op,
				why);
			return;
		}
	}
	EXPECT_EQ(total, 100000);
}

#define DM_CASES(...)                                        \
	static const struct dm_case cases[] = {__VA_ARGS__}; \
	dm_type(kt, cases, sizeof(cases) / sizeof(cases[0]), __LINE__)

KTEST(bpf_map_diff, hash)
{
	DM_CASES({BPF_MAP_TYPE_HASH, 0, 4, 8, 16, 24},
		 {BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC, 13, 20, 48, 80},
		 {BPF_MAP_TYPE_HASH, BPF_F_ZERO_SEED, 1, 3, 100, 160},
		 {BPF_MAP_TYPE_HASH, 0, 16, 1, 1, 3});
}

KTEST(bpf_map_diff, percpu_hash)
{
	DM_CASES({BPF_MAP_TYPE_PERCPU_HASH, 0, 4, 8, 16, 24},
		 {BPF_MAP_TYPE_PERCPU_HASH, BPF_F_NO_PREALLOC, 7, 12, 40, 64},
		 {BPF_MAP_TYPE_PERCPU_HASH, 0, 5, 20, 2, 5});
}

KTEST(bpf_map_diff, lru_hash)
{
	DM_CASES({BPF_MAP_TYPE_LRU_HASH, 0, 4, 8, 16, 40},
		 {BPF_MAP_TYPE_LRU_HASH, BPF_F_ZERO_SEED, 7, 12, 64, 128},
		 {BPF_MAP_TYPE_LRU_HASH, 0, 1, 1, 2, 6});
}

KTEST(bpf_map_diff, lru_percpu_hash)
{
	DM_CASES({BPF_MAP_TYPE_LRU_PERCPU_HASH, 0, 4, 8, 16, 40},
		 {BPF_MAP_TYPE_LRU_PERCPU_HASH, 0, 9, 4, 48, 100},
		 {BPF_MAP_TYPE_LRU_PERCPU_HASH, 0, 2, 24, 1, 4});
}

KTEST(bpf_map_diff, array)
{
	DM_CASES({BPF_MAP_TYPE_ARRAY, 0, 4, 8, 16, 20},
		 {BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, 4, 12, 50, 54},
		 {BPF_MAP_TYPE_ARRAY, 0, 4, 3, 100, 104}, {BPF_MAP_TYPE_ARRAY, 0, 4, 20, 1, 4});
}

KTEST(bpf_map_diff, percpu_array)
{
	DM_CASES({BPF_MAP_TYPE_PERCPU_ARRAY, 0, 4, 8, 16, 20},
		 {BPF_MAP_TYPE_PERCPU_ARRAY, 0, 4, 5, 40, 44},
		 {BPF_MAP_TYPE_PERCPU_ARRAY, 0, 4, 24, 1, 3});
}
