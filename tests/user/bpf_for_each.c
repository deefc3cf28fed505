/*
 * bpf_for_each_map_elem: acceptance cases M1-M9 (/work/shared/acceptance/bpf_callbacks.md), and
 * what a callback may do to the map it walks (insert, delete, close the fd, scribble on its key
 * copy), large values, and the walk of a big hash against a reference.
 */
#include "bpf_util.h"

#define MAX_SEEN 512

struct walk {
	int calls;
	int stop_at; /* return 1 at this key (-1: never) */
	long sum;
	uint32_t keys[MAX_SEEN];
	uint64_t values[MAX_SEEN];
};

static void walk_init(struct walk *w, int stop_at)
{
	memset(w, 0, sizeof(*w));
	w->stop_at = stop_at;
}

static long record_cb(int fd, const void *key, void *value, void *ctx)
{
	struct walk *w = ctx;
	uint32_t k = *(const uint32_t *)key;
	uint64_t v = *(uint64_t *)value;

	(void)fd;
	if (w->calls < MAX_SEEN) {
		w->keys[w->calls] = k;
		w->values[w->calls] = v;
	}
	w->calls++;
	w->sum += (long)v;
	return (int)k == w->stop_at;
}

static int map_of(enum bpf_map_type type, uint32_t n)
{
	int fd = bpf_native_map_create(type, sizeof(uint32_t), sizeof(uint64_t), n);
	CHECK(fd >= 0);
	return fd;
}

static void put(int fd, uint32_t k, uint64_t v)
{
	CHECK_EQ(bpf_map_update_elem(fd, &k, &v, BPF_ANY), 0);
}

static uint64_t get(int fd, uint32_t k)
{
	uint64_t v = ~0ul;
	CHECK_EQ(bpf_map_lookup_elem(fd, &k, &v), 0);
	return v;
}

/* M1, M2: arrays, in index order, every slot. */
static void test_array(void)
{
	struct walk w;
	int fd = map_of(BPF_MAP_TYPE_ARRAY, 3);

	put(fd, 0, 1);
	put(fd, 1, 2);
	put(fd, 2, 3);
	walk_init(&w, 1);
	CHECK_EQ(bpf_for_each_map_elem(fd, record_cb, &w, 0), 2);
	CHECK_EQ(w.calls, 2);
	CHECK_EQ(w.keys[0], 0);
	CHECK_EQ(w.keys[1], 1);
	CHECK_EQ(w.sum, 3);
	close(fd);

	fd = map_of(BPF_MAP_TYPE_ARRAY, 5);
	put(fd, 2, 42);
	walk_init(&w, -1);
	CHECK_EQ(bpf_for_each_map_elem(fd, record_cb, &w, 0), 5);
	CHECK_EQ(w.calls, 5);
	for (uint32_t i = 0; i < 5; i++) {
		CHECK_EQ(w.keys[i], i);
		CHECK_EQ(w.values[i], i == 2 ? 42 : 0);
	}
	/* A callback that stops at once: one visit. */
	walk_init(&w, 0);
	CHECK_EQ(bpf_for_each_map_elem(fd, record_cb, &w, 0), 1);
	CHECK_EQ(w.calls, 1);
	close(fd);
}

/* M3, M4: hashes, each key once; an empty one calls nothing. */
static void test_hash(void)
{
	struct walk w;
	int fd = map_of(BPF_MAP_TYPE_HASH, 8);

	walk_init(&w, -1);
	CHECK_EQ(bpf_for_each_map_elem(fd, record_cb, &w, 0), 0);
	CHECK_EQ(w.calls, 0);
	put(fd, 0, 1);
	put(fd, 1, 2);
	put(fd, 2, 3);
	walk_init(&w, -1);
	CHECK_EQ(bpf_for_each_map_elem(fd, record_cb, &w, 0), 3);
	CHECK_EQ(w.calls, 3);
	int seen[3] = {0, 0, 0};
	for (int i = 0; i < 3 && i < w.calls; i++) {
		CHECK(w.keys[i] < 3);
		if (w.keys[i] < 3) {
			seen[w.keys[i]]++;
			CHECK_EQ(w.values[i], w.keys[i] + 1);
		}
	}
	CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
	CHECK_EQ(w.sum, 6);
	close(fd);
}

static long delete_cb(int fd, const void *key, void *value, void *ctx)
{
	(void)value;
	++*(int *)ctx;
	return bpf_map_delete_elem(fd, key) == 0 ? 0 : 1;
}

static long reinsert_cb(int fd, const void *key, void *value, void *ctx)
{
	uint64_t v = *(uint64_t *)value;
	int *n = ctx;

	++*n;
	/* a walk that does not terminate: give up, the count shows it */
	if (*n > 10000)
		return 1;
	if (bpf_map_delete_elem(fd, key) || bpf_map_update_elem(fd, key, &v, BPF_NOEXIST))
		return 1;
	return 0;
}

/* M5, M6: deleting the current element; delete + re-insert of the same key. */
static void test_delete_reinsert(void)
{
	int fd = map_of(BPF_MAP_TYPE_HASH, 8), n = 0;
	uint32_t k;

	put(fd, 10, 1);
	put(fd, 20, 2);
	put(fd, 30, 3);
	CHECK_EQ(bpf_for_each_map_elem(fd, delete_cb, &n, 0), 3);
	CHECK_EQ(n, 3);
	CHECK_EQ(bpf_map_get_next_key(fd, NULL, &k), -ENOENT);
	close(fd);

	fd = map_of(BPF_MAP_TYPE_HASH, 128);
	for (uint32_t i = 0; i < 128; i++)
		put(fd, i * 7919, i);
	n = 0;
	CHECK_EQ(bpf_for_each_map_elem(fd, reinsert_cb, &n, 0), 128);
	CHECK_EQ(n, 128);
	for (uint32_t i = 0; i < 128; i++)
		CHECK_EQ(get(fd, i * 7919), i);
	uint32_t cur, next, count = 0;
	for (int r = bpf_map_get_next_key(fd, NULL, &next); r == 0;
	     r = bpf_map_get_next_key(fd, &cur, &next)) {
		cur = next;
		count++;
	}
	CHECK_EQ(count, 128);
	close(fd);
}

static long inc_cb(int fd, const void *key, void *value, void *ctx)
{
	(void)fd;
	(void)ctx;
	*(uint64_t *)value += 100;
	*(uint32_t *)key = 0xdead; /* a copy: lost */
	return 0;
}

static long insert_cb(int fd, const void *key, void *value, void *ctx)
{
	uint32_t k = *(const uint32_t *)key + 1000;

	(void)value;
	++*(int *)ctx;
	return bpf_map_update_elem(fd, &k, value, BPF_NOEXIST) == 0 ? 0 : 1;
}

static long close_cb(int fd, const void *key, void *value, void *ctx)
{
	(void)key;
	(void)value;
	++*(int *)ctx;
	if (*(int *)ctx == 1)
		return close(fd) == 0 ? 0 : 1;
	return 0;
}

static long update_own_cb(int fd, const void *key, void *value, void *ctx)
{
	uint64_t v = *(uint64_t *)value + 1000;

	(void)ctx;
	return bpf_map_update_elem(fd, key, &v, BPF_EXIST) == 0 ? 0 : 1;
}

static long update_and_write_cb(int fd, const void *key, void *value, void *ctx)
{
	*(uint64_t *)value += 100;
	return update_own_cb(fd, key, value, ctx);
}

/* The callback updates its own element through the map and leaves its copy alone: the update stays. */
static void test_update_own(void)
{
	static const enum bpf_map_type types[] = {BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH};

	for (int t = 0; t < 2; t++) {
		int fd = map_of(types[t], 4);
		for (uint32_t i = 0; i < 4; i++)
			put(fd, i, i);
		CHECK_EQ(bpf_for_each_map_elem(fd, update_own_cb, NULL, 0), 4);
		for (uint32_t i = 0; i < 4; i++)
			CHECK_EQ(get(fd, i), i + 1000);
		/* Both: the copy is stored when the callback returns, after the update, and wins. */
		CHECK_EQ(bpf_for_each_map_elem(fd, update_and_write_cb, NULL, 0), 4);
		for (uint32_t i = 0; i < 4; i++)
			CHECK_EQ(get(fd, i), i + 1100);
		close(fd);
	}
}

/* M7-M9, value writes, inserts during the walk, closing the fd from the callback. */
static void test_writes_and_errors(void)
{
	struct walk w;
	int n = 0;
	int fd = map_of(BPF_MAP_TYPE_HASH, 64);

	for (uint32_t i = 0; i < 10; i++)
		put(fd, i, i);
	walk_init(&w, -1);
	CHECK_EQ(bpf_for_each_map_elem(fd, record_cb, &w, 1), -EINVAL); /* M7 */
	CHECK_EQ(raw_for_each(fd, (const void *)record_cb, &w, 1ul << 40), -EINVAL);
	CHECK_EQ(raw_for_each(-1, (const void *)record_cb, &w, 1), -EINVAL);
	CHECK_EQ(w.calls, 0);
	CHECK_EQ(bpf_for_each_map_elem(fd, inc_cb, NULL, 0), 10); /* M8 */
	for (uint32_t i = 0; i < 10; i++)
		CHECK_EQ(get(fd, i), i + 100);
	uint32_t dead = 0xdead;
	uint64_t v;
	CHECK_EQ(bpf_map_lookup_elem(fd, &dead, &v), -ENOENT);

	CHECK_EQ(bpf_for_each_map_elem(fd, insert_cb, &n, 0), 10); /* inserts are not visited */
	CHECK_EQ(n, 10);
	for (uint32_t i = 0; i < 10; i++)
		CHECK_EQ(get(fd, i + 1000), i + 100);

	static const int bad_fds[] = {-1, 40, 63, 64, 1000}; /* M9 */
	for (size_t i = 0; i < sizeof(bad_fds) / sizeof(bad_fds[0]); i++)
		CHECK_EQ(bpf_for_each_map_elem(bad_fds[i], record_cb, &w, 0), -EBADF);
	CHECK_EQ(bpf_for_each_map_elem(1, record_cb, &w, 0), -EINVAL); /* the console: not a map */
	static char data[16];
	CHECK_EQ(raw_for_each(fd, data, NULL, 0), -EFAULT);
	CHECK_EQ(raw_for_each(fd, NULL, NULL, 0), -EFAULT);
	CHECK_EQ(raw_for_each(fd, (const void *)KERNEL_TEXT, NULL, 0), -EFAULT);
	CHECK_EQ(w.calls, 0);

	/* The callback closes the map's fd: the walk still ends normally, then the fd is gone. */
	n = 0;
	CHECK_EQ(bpf_for_each_map_elem(fd, close_cb, &n, 0), 20);
	CHECK_EQ(n, 20);
	CHECK_EQ(bpf_for_each_map_elem(fd, record_cb, &w, 0), -EBADF);
	CHECK_EQ(close(fd), -1);
}

struct big {
	uint64_t words[1024];
};

static long big_cb(int fd, const void *key, void *value, void *ctx)
{
	struct big *b = value;
	uint32_t k = *(const uint32_t *)key;
	int bad = 0;

	(void)fd;
	(void)ctx;
	for (int i = 0; i < 1024; i++)
		bad += b->words[i] != (uint64_t)k * 1024 + (uint64_t)i;
	for (int i = 0; i < 1024; i++)
		b->words[i] = ~b->words[i];
	return bad;
}

/* 8 KiB values through the callback's stack and back. */
static void test_big_values(void)
{
	static struct big b;
	int fd = bpf_native_map_create(BPF_MAP_TYPE_ARRAY, sizeof(uint32_t), sizeof(b), 4);

	CHECK(fd >= 0);
	for (uint32_t k = 0; k < 4; k++) {
		for (int i = 0; i < 1024; i++)
			b.words[i] = (uint64_t)k * 1024 + (uint64_t)i;
		CHECK_EQ(bpf_map_update_elem(fd, &k, &b, BPF_ANY), 0);
	}
	CHECK_EQ(bpf_for_each_map_elem(fd, big_cb, NULL, 0), 4);
	for (uint32_t k = 0; k < 4; k++) {
		CHECK_EQ(bpf_map_lookup_elem(fd, &k, &b), 0);
		int bad = 0;
		for (int i = 0; i < 1024; i++)
			bad += b.words[i] != ~((uint64_t)k * 1024 + (uint64_t)i);
		CHECK_EQ(bad, 0);
	}
	close(fd);
}

/* A hash of 5000 keys: the walk visits each once; values written back; stop in the middle. */
static uint8_t seen_count[5000];

static long count_cb(int fd, const void *key, void *value, void *ctx)
{
	uint32_t k = *(const uint32_t *)key;

	(void)fd;
	(void)ctx;
	if (k < 5000)
		seen_count[k]++;
	*(uint64_t *)value = (uint64_t)k * 2;
	return 0;
}

static void test_large_hash(void)
{
	int fd = map_of(BPF_MAP_TYPE_HASH, 5000);
	struct walk w;

	for (uint32_t k = 0; k < 5000; k++)
		put(fd, k, 0);
	CHECK_EQ(bpf_for_each_map_elem(fd, count_cb, NULL, 0), 5000);
	int bad = 0;
	for (uint32_t k = 0; k < 5000; k++)
		bad += seen_count[k] != 1 || get(fd, k) != (uint64_t)k * 2;
	CHECK_EQ(bad, 0);
	walk_init(&w, 4321);
	long n = bpf_for_each_map_elem(fd, record_cb, &w, 0);
	CHECK(n >= 1 && n <= 5000);
	CHECK_EQ(n, w.calls);
	CHECK_EQ(w.calls <= MAX_SEEN ? w.keys[w.calls - 1] : 4321, 4321);
	close(fd);
}

int main(void)
{
	test_array();
	test_hash();
	test_delete_reinsert();
	test_writes_and_errors();
	test_update_own();
	test_big_values();
	test_large_hash();
	return utest_result("bpf_for_each");
}
