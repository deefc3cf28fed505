/*
 * Differential test of the memory calls against a page-by-page model, from user space: a seeded
 * random sequence of MAP_FIXED (with and without MAP_EXCL, memory and guards), munmap, mprotect,
 * hinted and aligned non-fixed mmap, and writes, inside a 4 MiB window fenced by guard pages.
 * After every operation: each result equals the model's (addresses included), every page of the
 * window has the model's state in the listing (hole, guard, or memory with its protection), every
 * readable page holds the model's value (0 after a fresh mapping, the last write otherwise,
 * through PROT_NONE and back, splits of 2 MiB pages and merges), and the map passes the invariant
 * checks. The seed is printed on failure (VM_MODEL_SEED below).
 */
#include "vm_util.h"

#define VM_MODEL_SEED 0x5eed0005ull
#define OPS 1500
#define WPAGES 1024 /* the window: 4 MiB, 2 MiB aligned */

enum { HOLE, GUARD, MEM };

struct mpage {
	uint8_t state, prot;
	uint64_t value;
};

static struct mpage model[WPAGES];
static struct vm_listing l;
static uint64_t W, seed = VM_MODEL_SEED;
static int op_index;

static uint64_t rnd(uint64_t n)
{
	return vm_rand(&seed) % n;
}

static void set_range(size_t first, size_t n, uint8_t state, uint8_t prot)
{
	for (size_t i = first; i < first + n; i++)
		model[i] = (struct mpage){state, prot, 0};
}

/* The first index >= from with n HOLE pages, aligned to `align` pages; WPAGES if none. */
static size_t model_fit(size_t from, size_t n, size_t align)
{
	for (size_t i = (from + align - 1) / align * align; i + n <= WPAGES; i += align) {
		size_t k = 0;
		while (k < n && model[i + k].state == HOLE)
			k++;
		if (k == n)
			return i;
	}
	return WPAGES;
}

static int fail(const char *what, long got, long want)
{
	printf("# op %d (seed %#lx): %s: got %ld (%#lx), want %ld (%#lx)\n", op_index,
	       (unsigned long)VM_MODEL_SEED, what, got, (unsigned long)got, want,
	       (unsigned long)want);
	utest_failures++;
	return 1;
}

/* Compare the window page by page with the listing and the memory. Returns the failures. */
static int verify(void)
{
	int bad = 0;

	memset(&l, 0, sizeof(l));
	if (vm_list_all(0, &l))
		return fail("listing", -1, 0);
	for (size_t i = 0; i < WPAGES && bad < 3; i++) {
		const struct vm_map_ent *e = vm_find(&l, W + i * PG);
		const struct mpage *m = &model[i];
		int state = !e ? HOLE : e->flags == VM_ENT_GUARD ? GUARD : MEM;
		if (state != m->state)
			bad += fail("page state", state, m->state);
		else if (state == MEM && e->prot != m->prot)
			bad += fail("page protection", e->prot, m->prot);
		else if (state == MEM && (m->prot & PROT_READ) &&
			 *(volatile uint64_t *)(W + i * PG) != m->value)
			bad += fail("page value", (long)*(volatile uint64_t *)(W + i * PG),
				    (long)m->value);
	}
	/* The fences stay. */
	const struct vm_map_ent *lo = vm_find(&l, W - PG), *hi = vm_find(&l, W + WPAGES * PG);
	if (!lo || lo->flags != VM_ENT_GUARD || !hi || hi->flags != VM_ENT_GUARD)
		bad += fail("fences", 0, 1);
	int broken = vm_check_map();
	if (broken)
		bad += fail("map check", broken, 0);
	return bad;
}

/* A random range of the window: mostly small, sometimes whole aligned 2 MiB blocks. */
static void rand_range(size_t *first, size_t *n)
{
	if (rnd(8) == 0) {
		*first = rnd(2) * 512;
		*n = rnd(2) && *first == 0 ? 1024 : 512;
		return;
	}
	*n = 1 + rnd(rnd(4) ? 16 : 256);
	*first = rnd(WPAGES - *n + 1);
}

static long rand_prot(void)
{
	return (long)rnd(8);
}

static void step(void)
{
	size_t first, n;
	long r, want;
	rand_range(&first, &n);
	uint64_t a = W + first * PG;
	long prot = rand_prot();

	switch (rnd(9)) {
	case 0:
	case 1: /* MAP_FIXED memory */
		r = raw_mmap(a, n * PG, prot, MAP_PRIVATE | MAP_ANON | MAP_FIXED, -1, 0);
		if (r != (long)a)
			fail("mmap fixed", r, (long)a);
		set_range(first, n, MEM, (uint8_t)prot);
		break;
	case 2: { /* MAP_FIXED|MAP_EXCL, memory or guard */
		bool guard = rnd(3) == 0, free = model_fit(first, n, 1) == first;
		if (guard)
			r = raw_mmap(a, n * PG, PROT_NONE, MAP_GUARD | MAP_FIXED | MAP_EXCL, -1, 0);
		else
			r = raw_mmap(a, n * PG, prot, MAP_PRIVATE | MAP_ANON | MAP_FIXED | MAP_EXCL,
				     -1, 0);
		want = free ? (long)a : -EEXIST;
		if (r != want)
			fail("mmap fixed excl", r, want);
		if (free)
			set_range(first, n, guard ? GUARD : MEM, guard ? 0 : (uint8_t)prot);
		break;
	}
	case 3: /* MAP_FIXED guard */
		r = raw_mmap(a, n * PG, PROT_NONE, MAP_GUARD | MAP_FIXED, -1, 0);
		if (r != (long)a)
			fail("guard fixed", r, (long)a);
		set_range(first, n, GUARD, 0);
		break;
	case 4:
		r = raw_munmap(a, n * PG);
		if (r)
			fail("munmap", r, 0);
		set_range(first, n, HOLE, 0);
		break;
	case 5:
		r = raw_mprotect(a, n * PG, prot);
		if (r)
			fail("mprotect", r, 0);
		for (size_t i = first; i < first + n; i++)
			if (model[i].state == MEM)
				model[i].prot = (uint8_t)prot;
		break;
	case 6: { /* non-fixed, hinted, maybe aligned: the model knows the answer inside the window */
		size_t k = 1 + rnd(32), align = rnd(3) ? 1 : (size_t)1 << (1 + rnd(4));
		long flags = MAP_PRIVATE | MAP_ANON |
			     (align > 1 ? MAP_ALIGNED(12 + __builtin_ctzl(align)) : 0);
		uint64_t off = rnd(4) == 0 ? rnd(PG) : 0; /* an unaligned hint is rounded up */
		size_t fit = model_fit(first + (off != 0), k, align);
		r = raw_mmap(a + off, k * PG, prot, flags, -1, 0);
		if (fit < WPAGES) {
			if (r != (long)(W + fit * PG))
				fail("mmap hint", r, (long)(W + fit * PG));
			set_range(fit, k, MEM, (uint8_t)prot);
		} else if (r < 0 ||
			   ((uint64_t)r + k * PG > W - PG && (uint64_t)r < W + (WPAGES + 1) * PG)) {
			fail("mmap hint outside the window", r, 0);
		} else {
			raw_munmap((uint64_t)r, k * PG);
		}
		break;
	}
	default: /* writes to writable memory */
		for (int w = 0; w < 8; w++) {
			size_t i = rnd(WPAGES);
			if (model[i].state == MEM && (model[i].prot & PROT_WRITE)) {
				model[i].value = vm_rand(&seed);
				*(volatile uint64_t *)(W + i * PG) = model[i].value;
			}
		}
		break;
	}
}

int main(void)
{
	struct vm_stat s0, s1;

	/* The window with a guard page on each side, 2 MiB aligned. */
	long g = raw_mmap(0, (WPAGES + 2 * 512) * PG, PROT_NONE, MAP_GUARD | MAP_ALIGNED_SUPER, -1,
			  0);
	CHECK(g > 0);
	if (g <= 0)
		return utest_result("vm_model");
	W = (uint64_t)g + SUPER;
	CHECK_EQ(raw_munmap((uint64_t)g, SUPER - PG), 0);
	CHECK_EQ(raw_munmap(W + (WPAGES + 1) * PG, SUPER - PG), 0);
	CHECK_EQ(raw_munmap(W, WPAGES * PG), 0);
	verify();
	memset(&s1, 0, sizeof(s1));
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s0), 0);

	for (op_index = 0; op_index < OPS && utest_failures == 0; op_index++) {
		step();
		verify();
	}
	CHECK_EQ(raw_munmap(W - PG, (WPAGES + 2) * PG), 0);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s1), 0);
	CHECK_EQ(s1.resident_4k, s0.resident_4k);
	CHECK_EQ(s1.resident_2m, s0.resident_2m);
	CHECK(s1.free_frames + 64 >= s0.free_frames);
	printf("# vm_model: %d operations, %lu faults (%lu of 2 MiB)\n", op_index,
	       (unsigned long)(s1.faults - s0.faults),
	       (unsigned long)(s1.faults_2m - s0.faults_2m));
	return utest_result("vm_model");
}
