/*
 * Concurrent faults (issue 11): 4 threads (on different CPUs where the machine has them) touch the
 * same fresh pages at once, released together by a spinning barrier, in 8 seeded rounds: a 4 KiB
 * region (64 pages; not 2 MiB-eligible) and a 2 MiB-aligned 8 MiB region. Each thread writes its
 * own byte into every page: a page that two racing faults gave two frames loses one thread's byte
 * in the frame that did not stay. Afterwards: every byte is there; vm_stat says exactly 64 4 KiB
 * pages and 4 2 MiB pages more (one frame per page, one 2 MiB page per block); mincore reports the
 * big region as 2 MiB pages; vm_check_map's invariants hold; and after munmap the free frame count
 * is back where it was.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "thread_util.h"
#include "vm_util.h"

#define THREADS 4
#define SMALL_PAGES 64
#define BIG (8 * MB)
#define ROUNDS 8

static char *small, *big;
static struct barrier start;
static uint64_t seed;

static void touch(long id, char *base, size_t pages)
{
	/* Each thread starts at a seeded page and wraps: collisions on every page, in varied order. */
	size_t first = (size_t)(seed % pages), step = (seed >> 32) & 1 ? 1 : pages - 1;
	for (size_t k = 0, i = first; k < pages; k++, i = (i + step) % pages)
		base[i * PG + (size_t)id * 64] = (char)(id + 1);
}

static void *toucher(void *arg)
{
	long id = (long)arg;

	barrier_wait(&start, THREADS);
	touch(id, small, SMALL_PAGES);
	touch(id, big, BIG / PG);
	return NULL;
}

static void round_once(int round)
{
	struct vm_stat before, after;

	small = (char *)anon(0, SMALL_PAGES * PG, 0);
	big = (char *)anon(0, BIG, MAP_ALIGNED_SUPER);
	CHECK((long)small > 0 && (long)big > 0);
	CHECK_EQ((uint64_t)big % SUPER, 0);
	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&before), 0);
	start.arrived = 0;
	seed = rng_next(&seed) ^ (uint64_t)round;

	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, toucher, (void *)i), 0);
	for (int i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);

	CHECK_EQ(raw_vm_stat(0, (uint64_t)&after), 0);
	/* The thread stacks were unmapped by pthread_join: only our regions remain resident. */
	CHECK_EQ(after.resident_4k - before.resident_4k, SMALL_PAGES);
	CHECK_EQ(after.resident_2m - before.resident_2m, BIG / SUPER);
	int lost = 0;
	for (size_t p = 0; p < SMALL_PAGES; p++)
		for (long id = 0; id < THREADS; id++)
			lost += small[p * PG + (size_t)id * 64] != (char)(id + 1);
	for (size_t p = 0; p < BIG / PG; p++)
		for (long id = 0; id < THREADS; id++)
			lost += big[p * PG + (size_t)id * 64] != (char)(id + 1);
	CHECK_EQ(lost, 0);
	static char vec[BIG / PG];
	CHECK_EQ(mincore(big, BIG, vec), 0);
	int not_super = 0;
	for (size_t p = 0; p < BIG / PG; p++)
		not_super += !(vec[p] & MINCORE_INCORE) || !(vec[p] & MINCORE_PSIND(1));
	CHECK_EQ(not_super, 0);
	CHECK_EQ(vm_check_map(), 0);
	CHECK_EQ(raw_munmap((uint64_t)small, SMALL_PAGES * PG), 0);
	CHECK_EQ(raw_munmap((uint64_t)big, BIG), 0);
	if (utest_failures)
		printf("# round %d (seed %#lx) failed\n", round, (unsigned long)seed);
}

static void *nothing(void *arg)
{
	return arg;
}

int main(void)
{
	seed = 0x7e57ab1e;
	/* Warm up what the checks and pthreads use (heap, listings), so the baseline is stable. */
	pthread_t w;
	CHECK_EQ(pthread_create(&w, NULL, nothing, NULL), 0);
	CHECK_EQ(pthread_join(w, NULL), 0);
	CHECK_EQ(vm_check_map(), 0);
	uint64_t base = vm_free_frames();
	for (int r = 0; r < ROUNDS && !utest_failures; r++)
		round_once(r);
	CHECK_EQ(vm_free_frames(), base);
	return utest_result("thread_faults");
}
