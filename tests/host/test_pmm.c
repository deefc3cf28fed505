/*
 * Host tests of the buddy allocator (mm/pmm.c): a differential test against a shadow model over
 * layouts with holes, reserved ranges, unaligned ends and memory above 4 GiB, plus the edge cases
 * (out of memory, alignment, PMM_ZERO, pmm_split, misuse panics, the checker catching corruption).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel/kprintf.h"
#include "kernel/ktest.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "tests/host/shim.h"
#include "tests/host/testutil.h"

#define KiB ((vm_paddr_t)1 << 10)
#define MiB ((vm_paddr_t)1 << 20)
#define GiB ((vm_paddr_t)1 << 30)
#define NORDERS (PMM_MAX_ORDER + 1)

#define CHECK_PMM()                                     \
	do {                                            \
		const char *err_ = pmm_check();         \
		if (err_)                               \
			KT_FAIL("pmm_check: %s", err_); \
	} while (0)

struct layout {
	const char *name;
	size_t arena;
	struct pmm_range usable[4];
	size_t nusable;
	struct pmm_range reserved[4];
	size_t nreserved;
};

/* Holes between ranges, unaligned starts and ends, reserved ranges in the middle of usable ones. */
static const struct layout holes_layout = {
	.name = "holes",
	.arena = 64 * MiB,
	.usable = {{1 * MiB, 20 * MiB + 0x123},
		   {20 * MiB + 3 * PAGE_SIZE + 0x10, 40 * MiB},
		   {44 * MiB, 64 * MiB - 3 * PAGE_SIZE + 1}},
	.nusable = 3,
	.reserved = {{1 * MiB, 1 * MiB + 0x1800},
		     {30 * MiB + 5, 30 * MiB + 100 * KiB},
		     {50 * MiB, 54 * MiB + PAGE_SIZE}},
	.nreserved = 3,
};

/*
 * Memory above 4 GiB: the arena must cover [0, max phys), so it is 5 GiB of MAP_NORESERVE address
 * space of which only what the test touches becomes real memory.
 */
static const struct layout high_layout = {
	.name = "high",
	.arena = 5 * GiB,
	.usable = {{1 * MiB, 40 * MiB}, {4 * GiB + 5 * PAGE_SIZE, 4 * GiB + 48 * MiB + 0x777}},
	.nusable = 2,
	.reserved = {{1 * MiB, 2 * MiB + 0x10}},
	.nreserved = 1,
};

static void setup(const struct layout *l)
{
	host_arena_init(l->arena);
	pmm_init(l->usable, l->nusable, l->reserved, l->nreserved);
}

/* Is frame pfn usable according to the layout alone (inside a usable range, outside every reserved one)? */
static bool layout_usable(const struct layout *l, uint64_t pfn)
{
	vm_paddr_t s = pfn << PAGE_SHIFT, e = s + PAGE_SIZE;
	bool in = false;
	for (size_t i = 0; i < l->nusable; i++)
		in |= l->usable[i].start <= s && e <= l->usable[i].end;
	for (size_t i = 0; i < l->nreserved && in; i++)
		in = e <= l->reserved[i].start || s >= l->reserved[i].end;
	return in;
}

/* ------------------------------------------------------------------------------------------- */
/* The shadow model: which frames are free, and for every order how many aligned windows are wholly free. */

struct model {
	const struct layout *l;
	uint64_t nframes;       /* frames [0, nframes) of the arena */
	uint8_t *state;         /* per frame: 0 never handed out, 1 free, 2 allocated */
	uint32_t *cnt[NORDERS]; /* free frames in each aligned window of 2^k frames */
	size_t full[NORDERS];   /* windows of order k that are wholly free */
	size_t free_frames;
	size_t init_blocks[NORDERS];
	uint64_t held_frames; /* usable frames pmm keeps for itself (its vm_page array) */
};

#define M_NONE 0
#define M_FREE 1
#define M_ALLOC 2

/*
 * Account for the block of 2^o frames at pfn turning free (delta +1) or allocated (delta -1); all
 * of its frames were in the other state before.
 */
static void model_count(struct model *m, uint64_t pfn, unsigned o, int delta)
{
	for (unsigned k = 0; k < NORDERS; k++) {
		if (k <= o) {
			uint64_t w0 = pfn >> k, nw = (uint64_t)1 << (o - k);
			for (uint64_t w = w0; w < w0 + nw; w++)
				m->cnt[k][w] = delta > 0 ? 1u << k : 0;
			m->full[k] = delta > 0 ? m->full[k] + nw : m->full[k] - nw;
			continue;
		}
		uint32_t *c = &m->cnt[k][pfn >> k];
		if (*c == (1u << k))
			m->full[k]--;
		*c = delta > 0 ? *c + (1u << o) : *c - (1u << o);
		if (*c == (1u << k))
			m->full[k]++;
	}
}

/* Free blocks of order k that a fully coalescing buddy allocator must have in the model's state. */
static size_t model_blocks(const struct model *m, unsigned k)
{
	return k == PMM_MAX_ORDER ? m->full[k] : m->full[k] - 2 * m->full[k + 1];
}

static void model_free(struct model *m)
{
	free(m->state);
	for (unsigned k = 0; k < NORDERS; k++)
		free(m->cnt[k]);
}

/*
 * Build the model from the allocator's initial state, checking it against the layout: only
 * layout-usable frames are free, and the only usable frames held back form the vm_page array.
 */
static void model_init(struct ktest_state *kt, struct model *m, const struct layout *l)
{
	memset(m, 0, sizeof(*m));
	m->l = l;
	m->nframes = l->arena >> PAGE_SHIFT;
	m->state = calloc(m->nframes, 1);
	for (unsigned k = 0; k < NORDERS; k++)
		m->cnt[k] = calloc((m->nframes >> k) + 1, sizeof(uint32_t));
	uint64_t held_first = UINT64_MAX, held_last = 0, held_n = 0;
	for (uint64_t pfn = 0; pfn < m->nframes; pfn++) {
		vm_page_t pg = phys_to_vm_page(pfn << PAGE_SHIFT);
		bool usable = layout_usable(l, pfn);
		if (pg && !(pg->flags & VM_PAGE_RESERVED)) {
			if (!usable)
				KT_FAIL("%s: frame %#llx is managed but not usable", l->name,
					(unsigned long long)pfn << PAGE_SHIFT);
			m->state[pfn] = M_FREE;
			m->free_frames++;
			model_count(m, pfn, 0, 1);
		} else if (usable) {
			held_first = pfn < held_first ? pfn : held_first;
			held_last = pfn;
			held_n++;
		}
	}
	/*
	 * The only usable frames held back are the vm_page array's: it starts where the entry of the
	 * span's first frame is, it spans at most 24 bytes per frame of the span (rounded out to
	 * 4 MiB) plus the chunk map, and frames holding only entries of holes are handed out.
	 */
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < l->nusable; i++) {
		uint64_t s = round_page(l->usable[i].start) >> PAGE_SHIFT,
			 e = l->usable[i].end >> PAGE_SHIFT;
		lo = s < lo ? s : lo;
		hi = e > hi ? e : hi;
	}
	lo &= ~(uint64_t)1023;
	hi = (hi + 1023) & ~(uint64_t)1023;
	uint64_t whole = round_page((hi - lo) * sizeof(struct vm_page) + PAGE_SIZE) >> PAGE_SHIFT;
	EXPECT_LE(held_n, whole);
	EXPECT_LT(held_last - held_first, whole);
	vm_page_t first = phys_to_vm_page(lo << PAGE_SHIFT);
	ASSERT_NONNULL(first);
	EXPECT_EQ((uintptr_t)first, (uintptr_t)phys_to_virt(held_first << PAGE_SHIFT));
	m->held_frames = held_n;
	EXPECT_EQ(pmm_free_count(), m->free_frames);
	EXPECT_EQ(pmm_total_count(), m->free_frames);
	for (unsigned k = 0; k < NORDERS; k++) {
		m->init_blocks[k] = model_blocks(m, k);
		EXPECT_EQ(pmm_free_blocks(k), m->init_blocks[k]);
	}
}

/* Compare per-order free-block counts and the free count; returns false (after reporting) on a mismatch. */
static bool model_compare(struct ktest_state *kt, const struct model *m, const char *when)
{
	bool ok = pmm_free_count() == m->free_frames;
	if (!ok)
		KT_FAIL("%s: pmm_free_count %zu, model %zu", when, pmm_free_count(),
			m->free_frames);
	for (unsigned k = 0; k < NORDERS && ok; k++)
		if (pmm_free_blocks(k) != model_blocks(m, k)) {
			KT_FAIL("%s: %zu free blocks of order %u, model says %zu", when,
				pmm_free_blocks(k), k, model_blocks(m, k));
			ok = false;
		}
	return ok;
}

/* Record an allocation in the model after checking it: aligned, usable, overlapping nothing live. */
static bool model_take(struct ktest_state *kt, struct model *m, vm_page_t pg, unsigned k,
		       const char *when)
{
	vm_paddr_t pa = vm_page_to_phys(pg);
	uint64_t pfn = pa >> PAGE_SHIFT, n = (uint64_t)1 << k;
	if (phys_to_vm_page(pa) != pg || pa & ((PAGE_SIZE << k) - 1) || pfn + n > m->nframes) {
		KT_FAIL("%s: order-%u block at %#llx is misaligned or outside the arena", when, k,
			(unsigned long long)pa);
		return false;
	}
	if (pg->ref_count != 1 || !(pg->flags & VM_PAGE_ALLOC) || pg->order != k) {
		KT_FAIL("%s: order-%u block at %#llx has ref %u flags %#x order %u", when, k,
			(unsigned long long)pa, pg->ref_count, pg->flags, pg->order);
		return false;
	}
	for (uint64_t i = 0; i < n; i++) {
		if (m->state[pfn + i] != M_FREE) {
			KT_FAIL("%s: order-%u block at %#llx: frame %#llx is %s", when, k,
				(unsigned long long)pa, (unsigned long long)(pfn + i) << PAGE_SHIFT,
				m->state[pfn + i] == M_ALLOC ? "already allocated"
							     : "not usable memory");
			return false;
		}
	}
	memset(&m->state[pfn], M_ALLOC, n);
	model_count(m, pfn, k, -1);
	m->free_frames -= n;
	return true;
}

static void model_give(struct model *m, uint64_t pfn, unsigned k)
{
	memset(&m->state[pfn], M_FREE, (size_t)1 << k);
	model_count(m, pfn, k, 1);
	m->free_frames += (size_t)1 << k;
}

/* ------------------------------------------------------------------------------------------- */

struct live {
	vm_page_t page;
	unsigned order;
};

/* Mark the first word of every frame of the block, so that PMM_ZERO has something to clear. */
static void dirty(vm_page_t pg, unsigned k)
{
	for (size_t i = 0; i < ((size_t)1 << k); i++)
		*(uint64_t *)phys_to_virt(vm_page_to_phys(pg) + i * PAGE_SIZE) =
			0xdeadbeefcafef00dull;
}

static bool zeroed(vm_page_t pg, unsigned k, bool whole)
{
	for (size_t i = 0; i < ((size_t)1 << k); i++) {
		const uint64_t *w = phys_to_virt(vm_page_to_phys(pg) + i * PAGE_SIZE);
		size_t words = whole ? PAGE_SIZE / 8 : 1;
		for (size_t j = 0; j < words; j++)
			if (w[j] || w[PAGE_SIZE / 8 - 1])
				return false;
	}
	return true;
}

static unsigned random_order(struct test_rng *rng)
{
	return test_rng_below(rng, 5) < 2 ? 0 : 1 + (unsigned)test_rng_below(rng, PMM_MAX_ORDER);
}

/*
 * Random allocations (orders 0..10, some zeroed), frees in random order and pmm_split followed by
 * piecewise frees, checked against the model after every operation and with pmm_check every
 * `check_every` operations; at the end everything is freed and the initial state must be back.
 */
static void random_run(struct ktest_state *kt, const struct layout *l, uint64_t seed, long ops,
		       long check_every)
{
	struct model m;
	setup(l);
	CHECK_PMM();
	model_init(kt, &m, l);
	struct test_rng rng;
	test_rng_init(&rng, seed);
	enum { CAP = 6000 };
	static struct live live[CAP];
	size_t nlive = 0, allocs = 0, nulls = 0, splits = 0, max_live = 0;
	char when[96];
	bool ok = true;
	long op;
	for (op = 0; op < ops && ok; op++) {
		snprintf(when, sizeof(when), "layout %s seed %#llx op %ld", l->name,
			 (unsigned long long)seed, op);
		/* Phases of filling up, steady churn and draining, so that both full and sparse states occur. */
		static const int free_pct[] = {45, 30, 70, 50};
		int r = (int)test_rng_below(&rng, 100);
		if (nlive && (r < free_pct[(op / 50000) % 4] || nlive == CAP)) {
			size_t i = (size_t)test_rng_below(&rng, nlive);
			struct live b = live[i];
			live[i] = live[--nlive];
			if (test_rng_below(&rng, 4) == 0)
				dirty(b.page, b.order);
			pmm_free(b.page);
			model_give(&m, vm_page_to_phys(b.page) >> PAGE_SHIFT, b.order);
		} else {
			unsigned k = random_order(&rng);
			bool zero = test_rng_below(&rng, 8) == 0;
			vm_page_t pg = pmm_alloc_order(k, zero ? PMM_ZERO : 0);
			if (!pg) {
				nulls++;
				if (m.full[k]) {
					KT_FAIL("%s: order-%u allocation failed with %zu wholly free windows",
						when, k, m.full[k]);
					ok = false;
				}
				continue;
			}
			allocs++;
			ok = model_take(kt, &m, pg, k, when);
			if (ok && zero && !zeroed(pg, k, k <= 2)) {
				KT_FAIL("%s: PMM_ZERO block of order %u is not zeroed", when, k);
				ok = false;
			}
			if (ok &&
			    pmm_block_head(pg + test_rng_below(&rng, (uint64_t)1 << k)) != pg) {
				KT_FAIL("%s: pmm_block_head inside the order-%u block is wrong",
					when, k);
				ok = false;
			}
			if (k && test_rng_below(&rng, 16) == 0 && nlive + ((size_t)1 << k) <= CAP) {
				pmm_split(pg);
				splits++;
				for (size_t j = 0; j < ((size_t)1 << k); j++)
					live[nlive++] = (struct live){pg + j, 0};
			} else {
				live[nlive++] = (struct live){pg, k};
			}
		}
		max_live = nlive > max_live ? nlive : max_live;
		if (ok)
			ok = model_compare(kt, &m, when);
		if (ok && op % check_every == 0) {
			const char *err = pmm_check();
			if (err) {
				KT_FAIL("%s: pmm_check: %s", when, err);
				ok = false;
			}
		}
	}
	kprintf("# layout %s: %ld ops, %zu allocations, %zu refused, %zu splits, at most %zu blocks live\n",
		l->name, op, allocs, nulls, splits, max_live);
	/* Free what is left in random order. */
	while (nlive) {
		size_t i = (size_t)test_rng_below(&rng, nlive);
		pmm_free(live[i].page);
		model_give(&m, vm_page_to_phys(live[i].page) >> PAGE_SHIFT, live[i].order);
		live[i] = live[--nlive];
	}
	snprintf(when, sizeof(when), "layout %s seed %#llx after freeing everything", l->name,
		 (unsigned long long)seed);
	CHECK_PMM();
	model_compare(kt, &m, when);
	EXPECT_EQ(pmm_free_count(), pmm_total_count());
	for (unsigned k = 0; k < NORDERS; k++)
		EXPECT_EQ(pmm_free_blocks(k), m.init_blocks[k]);
	if (kt->failures)
		KT_FAIL("layout %s: replay with PMM_SEED=%#llx", l->name, (unsigned long long)seed);
	model_free(&m);
}

KTEST(pmm, random_million_ops_against_model)
{
	random_run(kt, &holes_layout, test_rng_seed("PMM_SEED", 0x5eed0001), 1000000, 1000);
}

KTEST(pmm, random_ops_above_4gib)
{
	random_run(kt, &high_layout, test_rng_seed("PMM_SEED", 0x5eed0002), 100000, 10000);
}

/* The 4 GiB hole must not cost its 24 MiB of vm_pages: those array frames are handed out. */
KTEST(pmm, holes_cost_no_array_frames)
{
	setup(&high_layout);
	struct model m;
	model_init(kt, &m, &high_layout);
	/* Entries of the present chunks: 10 below 40 MiB, 12 above 4 GiB, 24 KiB each, plus the map. */
	EXPECT_LE(m.held_frames, 22 * 6 + 2 + 1);
	EXPECT_NULL(phys_to_vm_page(40 * MiB));
	EXPECT_NULL(phys_to_vm_page(2 * GiB));
	EXPECT_NULL(phys_to_vm_page(4 * GiB - 1));
	EXPECT_NONNULL(phys_to_vm_page(40 * MiB - 1));
	EXPECT_NONNULL(phys_to_vm_page(4 * GiB));
	CHECK_PMM();
	model_free(&m);
}

/* ------------------------------------------------------------------------------------------- */

KTEST(pmm, high_memory_is_handed_out_and_usable)
{
	setup(&high_layout);
	CHECK_PMM();
	size_t total = pmm_total_count(), above = 0, n = 0;
	static vm_page_t pages[200];
	vm_page_t pg;
	while ((pg = pmm_alloc_order(8, 0))) {
		vm_paddr_t pa = vm_page_to_phys(pg);
		ASSERT_LT(n, 200);
		pages[n++] = pg;
		ASSERT_EQ((uintptr_t)phys_to_vm_page(pa), (uintptr_t)pg);
		if (pa >= 4 * GiB) {
			above++;
			memset(phys_to_virt(pa), 0x77, PAGE_SIZE << 8);
		}
	}
	EXPECT_EQ(above, 47); /* 48 MiB above 4 GiB, less the unaligned start */
	EXPECT_NULL(phys_to_vm_page(5 * GiB));
	EXPECT_NONNULL(phys_to_vm_page(4 * GiB + 40 * MiB));
	EXPECT_EQ(phys_to_vm_page(4 * GiB)->flags, VM_PAGE_RESERVED);
	while (n)
		pmm_free(pages[--n]);
	EXPECT_EQ(pmm_free_count(), total);
	CHECK_PMM();
}

KTEST(pmm, order9_blocks_are_2mib_aligned)
{
	host_pmm_init(HOST_DEFAULT_ARENA);
	size_t before = pmm_free_count();
	static vm_page_t pages[512];
	size_t n = 0;
	vm_page_t pg;
	while ((pg = pmm_alloc_order(SUPERPAGE_ORDER, 0))) {
		ASSERT_LT(n, 512);
		pages[n++] = pg;
		EXPECT_EQ(vm_page_to_phys(pg) & SUPERPAGE_MASK, 0);
	}
	EXPECT_EQ(n, 508); /* the first MiB and the 6 MiB vm_page array above it spoil [0, 8 MiB) */
	CHECK_PMM();
	while (n)
		pmm_free(pages[--n]);
	EXPECT_EQ(pmm_free_count(), before);
	CHECK_PMM();
}

KTEST(pmm, out_of_memory_returns_null)
{
	setup(&holes_layout);
	size_t total = pmm_total_count();
	EXPECT_NULL(pmm_alloc_order(PMM_MAX_ORDER + 1, 0));
	EXPECT_NULL(pmm_alloc_order(200, PMM_ZERO));
	static vm_page_t pages[20000];
	size_t n = 0;
	for (int k = PMM_MAX_ORDER; k >= 0; k--) {
		vm_page_t pg;
		while ((pg = pmm_alloc_order((unsigned)k, 0)))
			pages[n++] = pg;
	}
	EXPECT_EQ(pmm_free_count(), 0);
	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++)
		EXPECT_NULL(pmm_alloc_order(k, PMM_ZERO));
	CHECK_PMM();
	while (n)
		pmm_free(pages[--n]);
	EXPECT_EQ(pmm_free_count(), total);
	CHECK_PMM();
}

KTEST(pmm, zero_flag_zeroes)
{
	setup(&holes_layout);
	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++) {
		vm_page_t pg = pmm_alloc_order(k, 0);
		ASSERT_NONNULL(pg);
		memset(phys_to_virt(vm_page_to_phys(pg)), 0xee, PAGE_SIZE << k);
		pmm_free(pg);
		/* LIFO free lists: the same block comes back. */
		vm_page_t z = pmm_alloc_order(k, PMM_ZERO);
		ASSERT_EQ((uintptr_t)z, (uintptr_t)pg);
		if (!zeroed(z, k, true))
			KT_FAIL("order-%u PMM_ZERO block is not zeroed", k);
		pmm_free(z);
	}
	CHECK_PMM();
}

KTEST(pmm, split_frees_piecewise_and_coalesces)
{
	setup(&holes_layout);
	size_t blocks[NORDERS];
	for (unsigned k = 0; k < NORDERS; k++)
		blocks[k] = pmm_free_blocks(k);
	size_t before = pmm_free_count();
	vm_page_t pg = pmm_alloc_order(SUPERPAGE_ORDER, 0);
	ASSERT_NONNULL(pg);
	pg->flags |= VM_PAGE_PT;
	pmm_split(pg);
	for (size_t i = 0; i < 512; i++) {
		EXPECT_EQ(pg[i].ref_count, 1);
		EXPECT_EQ(pg[i].order, 0);
		EXPECT_EQ(pg[i].flags, VM_PAGE_ALLOC | VM_PAGE_PT);
		EXPECT_EQ((uintptr_t)pmm_block_head(&pg[i]), (uintptr_t)&pg[i]);
	}
	CHECK_PMM();
	/* Free the pieces in a scrambled order (211 is odd, so i * 211 % 512 visits all). */
	for (size_t i = 0; i < 512; i++) {
		pmm_free(&pg[(i * 211) % 512]);
		EXPECT_EQ(pmm_free_count(), before - 511 + i);
		if (i % 64 == 0)
			CHECK_PMM();
	}
	EXPECT_EQ(pmm_free_count(), before);
	for (unsigned k = 0; k < NORDERS; k++)
		EXPECT_EQ(pmm_free_blocks(k), blocks[k]);
	CHECK_PMM();
}

KTEST(pmm, array_goes_to_lowest_range_that_holds_it)
{
	/* The first range is too small for the 384 KiB array, the second starts with a reserved range. */
	static const struct layout l = {
		.name = "placement",
		.arena = 64 * MiB,
		.usable = {{40 * MiB, 64 * MiB},
			   {1 * MiB, 1 * MiB + 64 * KiB},
			   {4 * MiB, 16 * MiB}},
		.nusable = 3,
		.reserved = {{4 * MiB, 5 * MiB + 1}},
		.nreserved = 1,
	};
	setup(&l);
	vm_page_t first = phys_to_vm_page(0);
	ASSERT_NONNULL(first);
	EXPECT_EQ(virt_to_phys(first), 5 * MiB + PAGE_SIZE);
	EXPECT_EQ(first->flags, VM_PAGE_RESERVED);
	/*
	 * 16 chunks: 96 frames of entries and one for the chunk map. Chunks 4..9 (16..40 MiB) are a
	 * hole: their entries fill array frames 24..59, which are handed out.
	 */
	vm_paddr_t array = 5 * MiB + PAGE_SIZE;
	EXPECT_EQ(phys_to_vm_page(array)->flags, VM_PAGE_RESERVED);
	EXPECT_EQ(phys_to_vm_page(array + 23 * PAGE_SIZE)->flags, VM_PAGE_RESERVED);
	EXPECT_NE(phys_to_vm_page(array + 24 * PAGE_SIZE)->flags, VM_PAGE_RESERVED);
	EXPECT_NE(phys_to_vm_page(array + 59 * PAGE_SIZE)->flags, VM_PAGE_RESERVED);
	EXPECT_EQ(phys_to_vm_page(array + 60 * PAGE_SIZE)->flags, VM_PAGE_RESERVED);
	EXPECT_EQ(phys_to_vm_page(array + 96 * PAGE_SIZE)->flags, VM_PAGE_RESERVED);
	EXPECT_NE(phys_to_vm_page(array + 97 * PAGE_SIZE)->flags, VM_PAGE_RESERVED);
	EXPECT_NULL(phys_to_vm_page(64 * MiB));
	EXPECT_NULL(phys_to_vm_page(16 * MiB));
	/* [1 MiB, +64 KiB) + [4 MiB, 16 MiB) less the reservation and the array + [40 MiB, 64 MiB) */
	EXPECT_EQ(pmm_total_count(), 16 + (3072 - 257 - (97 - 36)) + 6144);
	CHECK_PMM();
	struct model m;
	model_init(kt, &m, &l);
	model_free(&m);
}

KTEST(pmm, vm_page_phys_round_trip)
{
	setup(&high_layout);
	static const vm_paddr_t pas[] = {0,
					 1 * MiB,
					 2 * MiB + 0x10,
					 39 * MiB + 123,
					 4 * GiB,
					 4 * GiB + 5 * PAGE_SIZE,
					 4 * GiB + 48 * MiB - 1};
	for (size_t i = 0; i < sizeof(pas) / sizeof(pas[0]); i++) {
		vm_page_t pg = phys_to_vm_page(pas[i]);
		ASSERT_NONNULL(pg);
		EXPECT_EQ(vm_page_to_phys(pg), trunc_page(pas[i]));
	}
	EXPECT_NULL(phys_to_vm_page(4 * GiB + 48 * MiB));
	EXPECT_NULL(phys_to_vm_page(4 * GiB - PAGE_SIZE));
	EXPECT_NULL(phys_to_vm_page(~(vm_paddr_t)0));
}

/*
 * Physical addresses up to 64 GiB: 512 MiB low and 1 GiB just below 64 GiB. The arena is 64 GiB
 * of MAP_NORESERVE address space; pmm touches only the entries of present chunks.
 */
KTEST(pmm, span_reaching_64gib)
{
	static const struct layout l = {
		.name = "64gib",
		.arena = 64 * GiB,
		.usable = {{1 * MiB, 512 * MiB}, {63 * GiB, 64 * GiB}},
		.nusable = 2,
		.reserved = {{1 * MiB, 3 * MiB}},
		.nreserved = 1,
	};
	/* The arena needs 64 GiB of address space; say so rather than die if the host refuses it. */
	void *probe =
		mmap(NULL, l.arena, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (probe == MAP_FAILED) {
		KT_FAIL("cannot reserve a 64 GiB arena on this host");
		return;
	}
	munmap(probe, l.arena);
	setup(&l);
	CHECK_PMM();
	size_t total = pmm_total_count();
	/* The array spans 384 MiB at 3 MiB, but only the 384 chunks' entries (9 MiB) stay reserved. */
	EXPECT_GT(total, (509 + 1024 - 10) * 256);
	EXPECT_EQ(virt_to_phys(phys_to_vm_page(0)), 3 * MiB);
	static vm_page_t pages[400];
	size_t n = 0, high = 0;
	vm_page_t pg;
	while ((pg = pmm_alloc_order(PMM_MAX_ORDER, 0))) {
		ASSERT_LT(n, 400);
		pages[n++] = pg;
		vm_paddr_t pa = vm_page_to_phys(pg);
		EXPECT_EQ(pa & ((PAGE_SIZE << PMM_MAX_ORDER) - 1), 0);
		EXPECT_TRUE(pa < 512 * MiB || (pa >= 63 * GiB && pa < 64 * GiB));
		if (pa >= 63 * GiB) {
			high++;
			*(volatile uint64_t *)phys_to_virt(pa + (PAGE_SIZE << PMM_MAX_ORDER) - 8) =
				pa;
		}
	}
	EXPECT_EQ(high, 256);
	EXPECT_EQ(vm_page_to_phys(phys_to_vm_page(64 * GiB - 1)), 64 * GiB - PAGE_SIZE);
	EXPECT_NULL(phys_to_vm_page(32 * GiB));
	CHECK_PMM();
	while (n)
		pmm_free(pages[--n]);
	EXPECT_EQ(pmm_free_count(), total);
	CHECK_PMM();
}

/*
 * pmm_alloc_order_below, as pmap_bootstrap uses it: arch/x86_64/boot/entry.S maps only the first
 * 16 GiB, and the top of memory ends in small blocks just above that (QEMU -m 17G with
 * max-ram-below-4g=0xbfc20000 faulted zeroing one as the kernel's first page table). Every block
 * handed out ends at or below the limit, all of that memory can be had, and nothing above it.
 */
KTEST(pmm, alloc_below_stays_below_limit)
{
	const vm_paddr_t limit = 16 * GiB, above = 0x3e0000;
	static const struct layout l = {
		.name = "below",
		.arena = 16 * GiB + 4 * MiB,
		.usable = {{1 * MiB, 128 * MiB}, {16 * GiB - 8 * MiB, 16 * GiB + 0x3e0000}},
		.nusable = 2,
		.reserved = {{1 * MiB, 4 * MiB}},
		.nreserved = 1,
	};
	setup(&l);
	CHECK_PMM();
	size_t total = pmm_free_count();
	EXPECT_NULL(pmm_alloc_order_below(0, PMM_ZERO, 1 * MiB));
	EXPECT_NULL(pmm_alloc_order_below(PMM_MAX_ORDER + 1, 0, limit));
	EXPECT_EQ(pmm_free_count(), total);

	static vm_page_t pages[20000];
	size_t n = 0;
	/* Order 5 until none is left below, then order 0: the blocks above the limit are of orders 5 to 9. */
	for (unsigned k = 5;; k = 0) {
		vm_page_t pg;
		while ((pg = pmm_alloc_order_below(k, PMM_ZERO, limit))) {
			ASSERT_LT(n, 20000);
			pages[n++] = pg;
			vm_paddr_t pa = vm_page_to_phys(pg);
			if (pa + (PAGE_SIZE << k) > limit || pa & ((PAGE_SIZE << k) - 1) ||
			    pg->order != k) {
				KT_FAIL("order-%u block at %#llx: not wholly below 16 GiB or misaligned",
					k, (unsigned long long)pa);
				return;
			}
			if (!zeroed(pg, k, false)) {
				KT_FAIL("PMM_ZERO block at %#llx is not zeroed",
					(unsigned long long)pa);
				return;
			}
			if (n % 500 == 0)
				CHECK_PMM();
		}
		if (k == 0)
			break;
	}
	/* What is left free is the memory above the limit, in whatever order pmm keeps it. */
	EXPECT_EQ(pmm_free_count(), above >> PAGE_SHIFT);
	EXPECT_NULL(pmm_alloc_order_below(0, 0, limit));
	vm_page_t high = pmm_alloc_order(0, 0);
	ASSERT_NONNULL(high);
	EXPECT_GE(vm_page_to_phys(high), limit);
	pmm_free(high);
	CHECK_PMM();
	while (n)
		pmm_free(pages[--n]);
	EXPECT_EQ(pmm_free_count(), total);
	CHECK_PMM();
}

/* ------------------------------------------------------------------------------------------- */

static void double_free(void)
{
	vm_page_t pg = pmm_alloc_order(3, 0);
	pmm_free(pg);
	pmm_free(pg);
}

static void free_coalesced_frame(void)
{
	vm_page_t a = pmm_alloc_order(0, 0), b = pmm_alloc_order(0, 0);
	pmm_free(b);
	pmm_free(a);
	pmm_free(b); /* no longer a head: inside the block it coalesced into */
}

static void free_tail(void)
{
	vm_page_t pg = pmm_alloc_order(4, 0);
	pmm_free(pg + 5);
}

static void free_reserved(void)
{
	pmm_free(phys_to_vm_page(0x1000));
}

static void split_free_block(void)
{
	vm_page_t pg = pmm_alloc_order(2, 0);
	pmm_free(pg);
	pmm_split(pg);
}

KTEST(pmm, misuse_panics)
{
	setup(&holes_layout);
	EXPECT_DIES(double_free, "pmm_free: double free");
	EXPECT_DIES(free_coalesced_frame, "pmm_free: double free");
	EXPECT_DIES(free_tail, "is a tail page of the order-4 block");
	EXPECT_DIES(free_reserved, "frame 0x1000 is reserved");
	EXPECT_DIES(split_free_block, "pmm_split: double free");
}

/* pmm_check must notice each kind of corruption; every one is undone before the next. */
KTEST(pmm, check_catches_corruption)
{
	setup(&holes_layout);
	vm_page_t a = pmm_alloc_order(3, 0), b = pmm_alloc_order(0, 0);
	ASSERT_NONNULL(a);
	ASSERT_NONNULL(b);
	CHECK_PMM();

	a[2].flags |= VM_PAGE_FREE;
	EXPECT_NONNULL(pmm_check());
	a[2].flags &= (uint16_t)~VM_PAGE_FREE;

	vm_page_t f = pmm_alloc_order(0, 0);
	pmm_free(f);
	/* I6: a frame in a CPU's cache must look cached, and the caches must hold what is marked. */
	EXPECT_EQ(f->flags, VM_PAGE_ALLOC | VM_PAGE_CACHED);
	f->ref_count = 1;
	EXPECT_NONNULL(pmm_check());
	f->ref_count = 0;
	f->flags = VM_PAGE_ALLOC;
	EXPECT_NONNULL(pmm_check()); /* in a cache, not marked */
	f->flags = VM_PAGE_ALLOC | VM_PAGE_CACHED;
	b->flags |= VM_PAGE_CACHED;
	b->ref_count = 0;
	EXPECT_NONNULL(pmm_check()); /* marked, in no cache */
	b->flags = VM_PAGE_ALLOC;
	b->ref_count = 1;
	CHECK_PMM();
	(void)pmm_free_blocks(0); /* drains the caches: f goes back to the buddy lists */
	EXPECT_EQ(f->flags & VM_PAGE_CACHED, 0);
	f = pmm_block_head(f); /* the free block f went back into */
	f->flags = VM_PAGE_ALLOC;
	EXPECT_NONNULL(pmm_check());
	f->flags = VM_PAGE_FREE;

	f->order++;
	EXPECT_NONNULL(pmm_check());
	f->order--;

	f->ref_count = 3;
	EXPECT_NONNULL(pmm_check());
	f->ref_count = 0;

	vm_page_t saved_next = f->next;
	f->next = f;
	EXPECT_NONNULL(pmm_check());
	f->next = saved_next;

	b->flags = 0;
	EXPECT_NONNULL(pmm_check());
	b->flags = VM_PAGE_ALLOC;

	/* Two free buddies left apart: free b's buddy by hand without coalescing. */
	CHECK_PMM();
	pmm_free(a);
	pmm_free(b);
	CHECK_PMM();
	vm_page_t x = pmm_alloc_order(1, 0);
	pmm_split(x);
	pmm_free(x);
	x[1].flags = VM_PAGE_FREE;
	x[1].ref_count = 0;
	EXPECT_NONNULL(pmm_check()); /* free_frames and the lists do not know about x[1] */
	x[1].flags = VM_PAGE_ALLOC;
	x[1].ref_count = 1;
	pmm_free(&x[1]);
	CHECK_PMM();
}
