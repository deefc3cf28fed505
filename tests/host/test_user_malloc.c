/*
 * Host tests of the heap under the user library's malloc (user/uheap.c, compiled into this program
 * as it is), over a page source made of host mmap calls that counts what it hands out and can be
 * told to fail. uheap_check runs after every operation; a seeded randomized test compares the
 * heap with a model of the live blocks (contents, no overlap).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel/ktest.h"
#include "tests/host/testutil.h"
#include "user/uheap.c"

static size_t src_live_bytes; /* mapped by the page source and not unmapped */
static long src_fail_after;   /* maps that still succeed; -1: all */
static bool src_bad_len;      /* a request was not a whole number of pages */

static void *src_map(size_t len)
{
	void *p;

	if (len % UHEAP_PAGE)
		src_bad_len = true;
	if (src_fail_after == 0)
		return NULL;
	if (src_fail_after > 0)
		src_fail_after--;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	src_live_bytes += len;
	return p;
}

static void src_unmap(void *p, size_t len)
{
	munmap(p, len);
	src_live_bytes -= len;
}

/* A fresh heap and page source for each test. */
static struct uheap fresh_heap(void)
{
	src_live_bytes = 0;
	src_fail_after = -1;
	src_bad_len = false;
	return (struct uheap){.map = src_map, .unmap = src_unmap};
}

/* Gives back every arena (the heap itself never does), so the page source ends at 0. */
static void release_heap(struct uheap *h)
{
	while (h->arenas) {
		struct uheap_arena *a = h->arenas;

		h->arenas = a->next;
		src_unmap(a, a->size);
	}
	h->free_list = NULL;
}

#define CHECK_HEAP(h, st)                                 \
	do {                                              \
		const char *why_ = uheap_check(h, st);    \
		if (why_) {                               \
			KT_FAIL("uheap_check: %s", why_); \
			return;                           \
		}                                         \
	} while (0)

/* After everything is freed: no used chunk, each arena one free chunk, no large mapping. */
#define EXPECT_ALL_FREE(h)                                                               \
	do {                                                                             \
		struct uheap_stats st_;                                                  \
		CHECK_HEAP(h, &st_);                                                     \
		EXPECT_EQ(st_.used_chunks, 0);                                           \
		EXPECT_EQ(st_.large, 0);                                                 \
		EXPECT_EQ(st_.free_chunks, st_.arenas);                                  \
		EXPECT_EQ(st_.free_bytes, st_.arenas *(UHEAP_ARENA_SIZE - UHEAP_ALIGN)); \
		EXPECT_EQ(src_live_bytes, st_.arenas *UHEAP_ARENA_SIZE);                 \
	} while (0)

KTEST(user_malloc, sizes_alignment_and_reuse)
{
	static const size_t sizes[] = {0, 1, 15, 16, 17, 100, 4095, 4096, 65535, 65536, 300000};
	struct uheap h = fresh_heap();
	void *p[sizeof(sizes) / sizeof(sizes[0])];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p[i] = uheap_alloc(&h, sizes[i]);
		ASSERT_NONNULL(p[i]);
		EXPECT_EQ((uintptr_t)p[i] % 16, 0);
		EXPECT_GE(uheap_usable_size(p[i]), sizes[i]);
		memset(p[i], (int)i, sizes[i]);
		CHECK_HEAP(&h, NULL);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t j = 0; j < sizes[i]; j++)
			if (((unsigned char *)p[i])[j] != i) {
				KT_FAIL("block %zu byte %zu overwritten", i, j);
				break;
			}
		EXPECT_EQ(uheap_free(&h, p[i]), 0);
		CHECK_HEAP(&h, NULL);
	}
	EXPECT_ALL_FREE(&h);
	EXPECT_FALSE(src_bad_len);
	release_heap(&h);
	EXPECT_EQ(src_live_bytes, 0);
}

KTEST(user_malloc, zero_size_blocks_are_unique)
{
	struct uheap h = fresh_heap();
	void *a = uheap_alloc(&h, 0), *b = uheap_alloc(&h, 0);

	ASSERT_NONNULL(a);
	ASSERT_NONNULL(b);
	EXPECT_NE((uintptr_t)a, (uintptr_t)b);
	EXPECT_EQ(uheap_free(&h, a), 0);
	EXPECT_EQ(uheap_free(&h, b), 0);
	EXPECT_EQ(uheap_free(&h, NULL), 0);
	EXPECT_ALL_FREE(&h);
	release_heap(&h);
}

KTEST(user_malloc, first_fit_reuses_and_splits)
{
	struct uheap h = fresh_heap();
	struct uheap_stats st;
	char *a = uheap_alloc(&h, 1000), *guard = uheap_alloc(&h, 16), *b, *c;

	ASSERT_NONNULL(a);
	ASSERT_NONNULL(guard);
	EXPECT_EQ(uheap_free(&h, a), 0);
	/* The hole a left is the first fit for anything that fits in it, and is split. */
	b = uheap_alloc(&h, 100);
	EXPECT_EQ((uintptr_t)b, (uintptr_t)a);
	c = uheap_alloc(&h, 100);
	EXPECT_EQ((uintptr_t)c, (uintptr_t)(a + 128));
	CHECK_HEAP(&h, &st);
	EXPECT_EQ(st.used_chunks, 3);
	EXPECT_EQ(uheap_free(&h, b), 0);
	EXPECT_EQ(uheap_free(&h, c), 0);
	EXPECT_EQ(uheap_free(&h, guard), 0);
	EXPECT_ALL_FREE(&h);
	release_heap(&h);
}

KTEST(user_malloc, free_coalesces_both_sides)
{
	struct uheap h = fresh_heap();
	struct uheap_stats st;
	void *p[5];

	for (int i = 0; i < 5; i++)
		ASSERT_NONNULL(p[i] = uheap_alloc(&h, 64));
	/* Free 1 and 3, then 2 between them: one chunk from 1 to 3. */
	EXPECT_EQ(uheap_free(&h, p[1]), 0);
	EXPECT_EQ(uheap_free(&h, p[3]), 0);
	CHECK_HEAP(&h, &st);
	EXPECT_EQ(st.free_chunks, 3); /* 1, 3, and the rest of the arena */
	EXPECT_EQ(uheap_free(&h, p[2]), 0);
	CHECK_HEAP(&h, &st);
	EXPECT_EQ(st.free_chunks, 2);
	EXPECT_EQ((uintptr_t)uheap_alloc(&h, 3 * 80 - 16), (uintptr_t)p[1]);
	EXPECT_EQ(uheap_free(&h, p[1]), 0);
	EXPECT_EQ(uheap_free(&h, p[0]), 0);
	EXPECT_EQ(uheap_free(&h, p[4]), 0);
	EXPECT_ALL_FREE(&h);
	release_heap(&h);
}

KTEST(user_malloc, misuse_is_refused)
{
	struct uheap h = fresh_heap();
	char *a = uheap_alloc(&h, 100), *keep = uheap_alloc(&h, 100),
	     *big = uheap_alloc(&h, 1 << 20);

	ASSERT_NONNULL(a);
	ASSERT_NONNULL(keep);
	ASSERT_NONNULL(big);
	EXPECT_EQ(uheap_free(&h, a + 16), -1); /* inside a block */
	EXPECT_EQ(uheap_free(&h, a + 1), -1);  /* misaligned */
	EXPECT_EQ(uheap_usable_size(a + 32), 0);
	CHECK_HEAP(&h, NULL);
	EXPECT_EQ(uheap_free(&h, a), 0);
	EXPECT_EQ(uheap_free(&h, a), -1); /* double free */
	EXPECT_EQ(uheap_usable_size(a), 0);
	CHECK_HEAP(&h, NULL);
	EXPECT_EQ(uheap_free(&h, keep), 0);
	EXPECT_EQ(uheap_free(&h, big), 0);
	EXPECT_ALL_FREE(&h);
	release_heap(&h);
}

KTEST(user_malloc, large_blocks_are_mapped_alone)
{
	struct uheap h = fresh_heap();
	struct uheap_stats st;
	size_t before;
	char *big;

	ASSERT_NONNULL(uheap_alloc(&h, 10)); /* one arena, so the large one is counted alone */
	before = src_live_bytes;
	big = uheap_alloc(&h, UHEAP_LARGE);
	ASSERT_NONNULL(big);
	EXPECT_EQ(src_live_bytes - before, UHEAP_LARGE + UHEAP_PAGE);
	EXPECT_EQ((uintptr_t)big % UHEAP_PAGE, UHEAP_ALIGN);
	CHECK_HEAP(&h, &st);
	EXPECT_EQ(st.large, 1);
	EXPECT_EQ(uheap_free(&h, big), 0);
	EXPECT_EQ(src_live_bytes, before);
	CHECK_HEAP(&h, &st);
	EXPECT_EQ(st.large, 0);
	release_heap(&h);
}

KTEST(user_malloc, realloc_keeps_contents)
{
	struct uheap h = fresh_heap();
	char *p = uheap_realloc(&h, NULL, 10), *q;

	ASSERT_NONNULL(p);
	memcpy(p, "0123456789", 10);
	EXPECT_EQ((uintptr_t)uheap_realloc(&h, p, 5), (uintptr_t)p); /* shrinking stays in place */
	q = uheap_realloc(&h, p, 1000);                              /* small to bigger small */
	ASSERT_NONNULL(q);
	EXPECT_EQ(memcmp(q, "0123456789", 10), 0);
	p = uheap_realloc(&h, q, 200000); /* small to large */
	ASSERT_NONNULL(p);
	EXPECT_EQ(memcmp(p, "0123456789", 10), 0);
	memset(p + 10, 'x', 200000 - 10);
	q = uheap_realloc(&h, p, 500000); /* large to larger */
	ASSERT_NONNULL(q);
	EXPECT_EQ(memcmp(q, "0123456789", 10), 0);
	EXPECT_EQ(q[199999], 'x');
	CHECK_HEAP(&h, NULL);
	EXPECT_EQ(uheap_free(&h, q), 0);
	EXPECT_ALL_FREE(&h);
	release_heap(&h);
}

KTEST(user_malloc, out_of_memory_changes_nothing)
{
	struct uheap h = fresh_heap();
	struct uheap_stats before, after;
	char *p;

	EXPECT_NULL(uheap_alloc(&h, SIZE_MAX));
	EXPECT_NULL(uheap_alloc(&h, SIZE_MAX / 2 + 1));
	EXPECT_EQ(src_live_bytes, 0);

	p = uheap_alloc(&h, 100);
	ASSERT_NONNULL(p);
	memset(p, 'p', 100);
	CHECK_HEAP(&h, &before);
	src_fail_after = 0;
	EXPECT_NULL(uheap_alloc(&h, UHEAP_ARENA_SIZE / 2)); /* needs an arena: none */
	EXPECT_NULL(uheap_alloc(&h, 1 << 20));              /* large: no mapping */
	EXPECT_NULL(uheap_realloc(&h, p, 1 << 20));
	EXPECT_EQ(p[99], 'p');
	CHECK_HEAP(&h, &after);
	EXPECT_EQ(after.used_chunks, before.used_chunks);
	EXPECT_EQ(after.free_bytes, before.free_bytes);
	EXPECT_EQ(after.arenas, before.arenas);
	src_fail_after = -1;
	EXPECT_EQ(uheap_free(&h, p), 0);
	EXPECT_ALL_FREE(&h);
	release_heap(&h);
}

KTEST(user_malloc, checker_catches_corruption)
{
	struct uheap h = fresh_heap();
	char *a = uheap_alloc(&h, 64), *b = uheap_alloc(&h, 64), *c = uheap_alloc(&h, 64);
	struct uheap_chunk *ca = chunk_of(a), *cb = chunk_of(b);
	size_t saved;

	ASSERT_NONNULL(c);
	CHECK_HEAP(&h, NULL);

	saved = cb->size;
	cb->size = 24;
	EXPECT_NONNULL(uheap_check(&h, NULL)); /* below the minimum */
	cb->size = saved + 16;
	EXPECT_NONNULL(uheap_check(&h, NULL)); /* chunks no longer tile the arena */
	cb->size = saved;

	cb->tag = 0;
	EXPECT_NONNULL(uheap_check(&h, NULL)); /* neither USED nor FREE */
	cb->tag = UHEAP_TAG_FREE;
	EXPECT_NONNULL(uheap_check(&h, NULL)); /* FREE but not on the free list */
	cb->tag = UHEAP_TAG_USED;

	EXPECT_EQ(uheap_free(&h, b), 0);
	ca->tag = UHEAP_TAG_FREE;
	ca->next = cb; /* a free chunk right before another: not coalesced */
	h.free_list = ca;
	EXPECT_NONNULL(uheap_check(&h, NULL));
	ca->tag = UHEAP_TAG_USED;
	h.free_list = cb;
	CHECK_HEAP(&h, NULL);

	h.free_list = (struct uheap_chunk *)((char *)cb + 16); /* not a chunk boundary */
	EXPECT_NONNULL(uheap_check(&h, NULL));
	h.free_list = cb;
	cb->next = cb; /* a cycle */
	EXPECT_NONNULL(uheap_check(&h, NULL));
	release_heap(&h);
}

/* Seeded, so a failing run can be replayed. */
static struct test_rng rng;

/* Mostly small blocks, some medium, a few large. */
static size_t rng_size(void)
{
	uint64_t r = test_rng_next(&rng);

	switch (r % 16) {
	case 0:
		return UHEAP_LARGE + (r >> 8) % (3 * UHEAP_LARGE);
	case 1:
	case 2:
		return (r >> 8) % UHEAP_LARGE;
	default:
		return (r >> 8) % 300;
	}
}

#define SLOTS 256

/* The model: each live block, its requested size and the byte pattern it must hold. */
struct slot {
	unsigned char *p;
	size_t n;
	uint32_t id;
};

static unsigned char pattern(uint32_t id, size_t i)
{
	return (unsigned char)(id * 131u + i * 7u + (i >> 8));
}

static void fill(struct slot *s)
{
	for (size_t i = 0; i < s->n; i++)
		s->p[i] = pattern(s->id, i);
}

/* The first n bytes of s hold its pattern. */
static bool intact(const struct slot *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s->p[i] != pattern(s->id, i))
			return false;
	return true;
}

static int by_address(const void *a, const void *b)
{
	const struct slot *x = *(const struct slot *const *)a, *y = *(const struct slot *const *)b;

	return x->p < y->p ? -1 : x->p > y->p;
}

KTEST(user_malloc, random_against_model)
{
	const uint64_t seed = 0x75686561702d3031ull;
	struct uheap h = fresh_heap();
	struct slot slots[SLOTS] = {0};
	uint32_t next_id = 1;
	int op;

	test_rng_init(&rng, seed);
	for (op = 0; op < 40000; op++) {
		struct slot *s = &slots[test_rng_below(&rng, SLOTS)];
		uint64_t what = test_rng_below(&rng, 10);
		const char *why;

		if (!s->p) {
			s->n = rng_size();
			s->id = next_id++;
			s->p = uheap_alloc(&h, s->n);
			if (!s->p || (uintptr_t)s->p % 16 || uheap_usable_size(s->p) < s->n) {
				KT_FAIL("seed %#llx op %d: alloc(%zu) gave %p",
					(unsigned long long)seed, op, s->n, (void *)s->p);
				break;
			}
			fill(s);
		} else if (what < 6) {
			if (!intact(s, s->n)) {
				KT_FAIL("seed %#llx op %d: block %u overwritten before free",
					(unsigned long long)seed, op, s->id);
				break;
			}
			EXPECT_EQ(uheap_free(&h, s->p), 0);
			s->p = NULL;
		} else {
			size_t n = rng_size(), keep = n < s->n ? n : s->n;
			unsigned char *q = uheap_realloc(&h, s->p, n);

			if (!q || !intact(&(struct slot){q, keep, s->id}, keep)) {
				KT_FAIL("seed %#llx op %d: realloc(%u, %zu) lost the contents",
					(unsigned long long)seed, op, s->id, n);
				break;
			}
			s->p = q;
			s->n = n;
			s->id = next_id++;
			fill(s);
		}
		why = uheap_check(&h, NULL);
		if (why) {
			KT_FAIL("seed %#llx op %d: uheap_check: %s", (unsigned long long)seed, op,
				why);
			break;
		}
		if (op % 500 == 0) {
			/* Live blocks are disjoint and hold their patterns. */
			struct slot *live[SLOTS];
			size_t nlive = 0;

			for (int i = 0; i < SLOTS; i++)
				if (slots[i].p)
					live[nlive++] = &slots[i];
			qsort(live, nlive, sizeof(live[0]), by_address);
			for (size_t i = 0; i < nlive; i++) {
				if (!intact(live[i], live[i]->n))
					KT_FAIL("seed %#llx op %d: block %u overwritten",
						(unsigned long long)seed, op, live[i]->id);
				if (i + 1 < nlive && live[i]->p + live[i]->n > live[i + 1]->p)
					KT_FAIL("seed %#llx op %d: blocks %u and %u overlap",
						(unsigned long long)seed, op, live[i]->id,
						live[i + 1]->id);
			}
		}
	}
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].p)
			EXPECT_EQ(uheap_free(&h, slots[i].p), 0);
	EXPECT_ALL_FREE(&h);
	EXPECT_FALSE(src_bad_len);
	release_heap(&h);
	EXPECT_EQ(src_live_bytes, 0);
}
