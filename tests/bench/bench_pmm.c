/*
 * Frame allocator and kernel heap throughput on the host: ns per alloc+free pair, one line per
 * figure. Each figure runs for at least 0.2 s over the shim's default 1 GiB arena.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mm/kmem.h"
#include "mm/pmm.h"
#include "tests/host/testutil.h"

#define MIN_SECONDS 0.2
#define BATCH 256

/* Run `round` (which does BATCH pairs) until MIN_SECONDS have passed; returns ns per pair. */
static double measure(void (*round)(void *), void *arg)
{
	round(arg); /* warm up: free lists, slabs and caches */
	long rounds = 0;
	double t0 = test_now(), t;
	do {
		for (int i = 0; i < 64; i++)
			round(arg);
		rounds += 64;
		t = test_now() - t0;
	} while (t < MIN_SECONDS);
	return t * 1e9 / ((double)rounds * BATCH);
}

static void die(const char *what)
{
	fprintf(stderr, "bench_pmm: %s\n", what);
	exit(1);
}

/* Alternating alloc and free of one block: the common case for a hot free list. */
static void pmm_pairs(void *arg)
{
	unsigned order = *(unsigned *)arg;
	for (int i = 0; i < BATCH; i++) {
		vm_page_t p = pmm_alloc_order(order, 0);
		if (!p)
			die("pmm_alloc_order failed");
		pmm_free(p);
	}
}

/* BATCH allocations, then BATCH frees in the same order: splits and coalesces on the way. */
static void pmm_batch(void *arg)
{
	unsigned order = *(unsigned *)arg;
	static vm_page_t p[BATCH];
	for (int i = 0; i < BATCH; i++)
		if (!(p[i] = pmm_alloc_order(order, 0)))
			die("pmm_alloc_order failed");
	for (int i = 0; i < BATCH; i++)
		pmm_free(p[i]);
}

static void kmalloc_pairs(void *arg)
{
	size_t size = *(size_t *)arg;
	for (int i = 0; i < BATCH; i++) {
		void *p = kmalloc(size);
		if (!p)
			die("kmalloc failed");
		kfree(p);
	}
}

static void kmalloc_batch(void *arg)
{
	size_t size = *(size_t *)arg;
	static void *p[BATCH];
	for (int i = 0; i < BATCH; i++)
		if (!(p[i] = kmalloc(size)))
			die("kmalloc failed");
	for (int i = 0; i < BATCH; i++)
		kfree(p[i]);
}

/*
 * Take every free block of orders 1 to PMM_MAX_ORDER - 1 so that only whole 4 MiB blocks (and
 * single frames) are left: then an order-k alloc+free pair (k >= 1) splits 10 - k times and
 * coalesces as often, the buddy allocator's worst case. Single frames are left alone: they come
 * and go through the CPU's frame cache (mm/pmm.c), whose refill takes 16 at once and splits what
 * it must, so order 0 has no such worst case to set up (and taking them one at a time, with the
 * cache's rest given back by every count, would meet the buddy of the frame just taken each time
 * and never end).
 */
static vm_page_t drained[4096];
static size_t ndrained;

static void drain_small_blocks(void)
{
	for (unsigned k = 1; k < PMM_MAX_ORDER; k++)
		while (pmm_free_blocks(k)) {
			if (ndrained == sizeof(drained) / sizeof(drained[0]))
				die("too many small free blocks");
			drained[ndrained++] = pmm_alloc_order(k, 0);
		}
}

static void undrain(void)
{
	while (ndrained)
		pmm_free(drained[--ndrained]);
}

int main(void)
{
	static unsigned orders[] = {0, 9};
	printf("pmm order 0 alloc+free (the CPU's frame cache): %.1f ns/pair\n",
	       measure(pmm_pairs, &orders[0]));
	drain_small_blocks();
	/* Holding one block of the order leaves its buddy free: pairs neither split nor coalesce. */
	vm_page_t hold = pmm_alloc_order(orders[1], 0);
	printf("pmm order %u alloc+free: %.1f ns/pair\n", orders[1],
	       measure(pmm_pairs, &orders[1]));
	pmm_free(hold);
	printf("pmm order %u alloc+free, split from order %u and coalesced back: %.1f ns/pair\n",
	       orders[1], PMM_MAX_ORDER, measure(pmm_pairs, &orders[1]));
	undrain();
	for (int i = 0; i < 2; i++)
		printf("pmm order %u, %d allocs then %d frees: %.1f ns/pair\n", orders[i], BATCH,
		       BATCH, measure(pmm_batch, &orders[i]));
	static size_t sizes[] = {64, 2048, 16384};
	for (int i = 0; i < 3; i++)
		printf("kmalloc(%zu)+kfree: %.1f ns/pair\n", sizes[i],
		       measure(kmalloc_pairs, &sizes[i]));
	for (int i = 0; i < 3; i++)
		printf("kmalloc(%zu), %d allocs then %d frees: %.1f ns/pair\n", sizes[i], BATCH,
		       BATCH, measure(kmalloc_batch, &sizes[i]));
	const char *err = pmm_check();
	if (err)
		die(err);
	return 0;
}
