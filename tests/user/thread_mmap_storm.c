/*
 * mmap/munmap/mprotect storm in one shared map (issue 11): one thread maps, unmaps and protects
 * seeded random ranges of an arena of its own in a loop (MAP_FIXED over old ones, munmap of
 * ranges that split entries, mprotect down and up) while three others keep writing and checking
 * patterns in mappings of their own that the storm never touches, giving their pages back
 * (MADV_DONTNEED) each round so that they fault them in again while the storm changes the map: a
 * thread sees its own memory change, or faults, only if the map's changes hit the wrong entries or
 * pages. The storm itself checks that memory it maps afresh over old mappings reads zero. At the end:
 * vm_check_map's invariants (entries ordered and in range, resident counts agreeing with vm_stat),
 * and after everything is unmapped the free frames are back at the baseline.
 */
#include <stdlib.h>

#include "thread_util.h"
#include "vm_util.h"

#define TOUCHERS 3
#define OWN_PAGES 32
#define ARENA_PAGES 256
#define STORM_OPS 400

static volatile int stop;
static volatile long wrong[TOUCHERS];
static char *own[TOUCHERS];

static void *toucher(void *arg)
{
	long id = (long)arg;
	char *m = own[id];
	for (unsigned round = 1; !stop; round++) {
		for (int p = 0; p < OWN_PAGES; p++)
			m[p * PG + (size_t)id] = (char)(round + (unsigned)p);
		for (int p = 0; p < OWN_PAGES; p++)
			if (m[p * PG + (size_t)id] != (char)(round + (unsigned)p))
				wrong[id]++;
		/*
		 * Every 4th round, give the pages back: the next round faults them in again, beside
		 * the storm (not every round: each is a shootdown on every CPU, slow under TCG).
		 */
		if (round % 4)
			continue;
		if (madvise(m, OWN_PAGES * PG, MADV_DONTNEED))
			wrong[id]++;
		if (m[(size_t)id] != 0)
			wrong[id]++;
	}
	return NULL;
}

/* Which arena pages are mapped now (mprotect skips holes: only these may be written). */
static bool mapped[ARENA_PAGES];
static long stale;

static void storm(char *arena, uint64_t seed, int ops)
{
	for (int p = 0; p < ARENA_PAGES; p++)
		mapped[p] = true;
	for (int i = 0; i < ops; i++) {
		uint64_t r = rng_next(&seed);
		uint64_t first = r % ARENA_PAGES, n = 1 + (r >> 16) % 16;
		if (first + n > ARENA_PAGES)
			n = ARENA_PAGES - first;
		uint64_t a = (uint64_t)arena + first * PG, len = n * PG;
		switch ((r >> 32) % 4) {
		case 0:
			CHECK_EQ(anon(a, len, MAP_FIXED), (long)a);
			/* Fresh memory reads zero: an old page seen through a stale TLB entry would not. */
			for (uint64_t p = 0; p < n; p++)
				stale += ((volatile char *)a)[p * PG] |
					 ((volatile char *)a)[p * PG + PG - 1];
			((volatile char *)a)[0] = 1;
			for (uint64_t p = first; p < first + n; p++)
				mapped[p] = true;
			break;
		case 1:
			CHECK_EQ(raw_munmap(a, len), 0);
			for (uint64_t p = first; p < first + n; p++)
				mapped[p] = false;
			break;
		case 2:
			CHECK_EQ(raw_mprotect(a, len, PROT_READ), 0);
			break;
		default:
			CHECK_EQ(raw_mprotect(a, len, PROT_READ | PROT_WRITE), 0);
			for (uint64_t p = first; p < first + n; p++)
				if (mapped[p])
					((volatile char *)arena)[p * PG + PG - 1] = 2;
			break;
		}
	}
}

/* The whole storm with its touchers, everything unmapped again at the end. */
static void storm_with_touchers(uint64_t seed, int ops)
{
	char *arena = (char *)anon(0, ARENA_PAGES * PG, 0);
	CHECK((long)arena > 0);
	for (int i = 0; i < TOUCHERS; i++) {
		own[i] = (char *)anon(0, OWN_PAGES * PG, 0);
		CHECK((long)own[i] > 0);
	}
	stop = 0;
	pthread_t t[TOUCHERS];
	for (long i = 0; i < TOUCHERS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, toucher, (void *)i), 0);
	storm(arena, seed, ops);
	stop = 1;
	CHECK_EQ(stale, 0);
	for (int i = 0; i < TOUCHERS; i++) {
		CHECK_EQ(pthread_join(t[i], NULL), 0);
		CHECK_EQ(wrong[i], 0);
	}
	CHECK_EQ(vm_check_map(), 0);
	CHECK_EQ(raw_munmap((uint64_t)arena, ARENA_PAGES * PG), 0);
	for (int i = 0; i < TOUCHERS; i++)
		CHECK_EQ(raw_munmap((uint64_t)own[i], OWN_PAGES * PG), 0);
	CHECK_EQ(vm_check_map(), 0);
}

int main(void)
{
	/* A first storm warms up what stays (the heap arena of pthread records, stack, bss). */
	storm_with_touchers(0x3a7, 50);
	uint64_t base = vm_free_frames();
	uint64_t t0 = uptime();
	storm_with_touchers(0x570a4, STORM_OPS);
	printf("# thread_mmap_storm: %d operations beside %d touchers in %lu Mcycles\n", STORM_OPS,
	       TOUCHERS, (unsigned long)((uptime() - t0) >> 20));
	CHECK_EQ(vm_free_frames(), base);
	return utest_result("thread_mmap_storm");
}
