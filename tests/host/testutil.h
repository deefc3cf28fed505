/*
 * Helpers shared by the host tests and the benchmarks (tests/host/testutil.c): one seeded random
 * generator, a monotonic clock and fork-based death tests. Host only: it uses the C library.
 */
#ifndef TESTS_HOST_TESTUTIL_H
#define TESTS_HOST_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/ktest.h"
#include "mm/pmm.h"

/*
 * xorshift64*: fast, 2^64 - 1 states, good enough to pick operations and sizes; not for anything
 * that must be unpredictable. The whole sequence follows from the seed, which is why every
 * randomized test prints the seed it ran with.
 */
struct test_rng {
	uint64_t s; /* never 0: 0 is xorshift's fixed point */
};

/*
 * The seed of a randomized test: the environment variable env_name (any base strtoull accepts)
 * if it is set, else fallback. Prints it as a KTAP diagnostic, with how to replay the run, so that
 * even a run that crashes leaves its seed behind.
 */
uint64_t test_rng_seed(const char *env_name, uint64_t fallback);
/* Start r's sequence at seed; a seed of 0 behaves as 1. */
void test_rng_init(struct test_rng *r, uint64_t seed);
/* The next 64 random bits of r's sequence. */
uint64_t test_rng_next(struct test_rng *r);
/*
 * A value in [0, n): the next value modulo n, whose bias is below n / 2^64. Returns 0 for n == 0
 * without advancing r.
 */
uint64_t test_rng_below(struct test_rng *r, uint64_t n);

/* Seconds on CLOCK_MONOTONIC, for timing benchmarks. */
double test_now(void);

/*
 * Run fn in a forked child with its stderr captured into out (outsz >= 1 bytes, always
 * terminated, truncated if longer), so that an expected death does not clutter the output.
 * Returns true if the child did not exit with status 0 (panic, sanitizer report, signal) and
 * the captured stderr contains needle; false also if pipe or fork fails.
 */
bool test_dies_with(void (*fn)(void), const char *needle, char *out, size_t outsz);

/* Inside a KTEST: fail unless fn() dies with needle in its stderr, and show that stderr. */
#define EXPECT_DIES(fn, needle)                                                                \
	do {                                                                                   \
		static char out_[8192];                                                        \
		if (!test_dies_with(fn, needle, out_, sizeof(out_)))                           \
			KT_FAIL("%s did not die with \"%s\"; its stderr: %.300s", #fn, needle, \
				out_);                                                         \
	} while (0)

/* Free frames once kmem has given back its empty slabs: what a leak check compares. */
size_t free_frames_after_reap(void);

/*
 * Every free frame of pmm, taken so that a test reaches the out-of-memory paths: fill with
 * test_take_all_frames (afterwards pmm_free_count() is 0), give back with test_give_back_frames.
 * Big: make it static.
 */
struct test_hoard {
	vm_page_t pages[PMM_MAX_ORDER + 1][512];
	size_t counts[PMM_MAX_ORDER + 1];
};
void test_take_all_frames(struct test_hoard *h);
void test_give_back_frames(struct test_hoard *h);

/*
 * In a test file: leak-check every test of the file (kernel/ktest.c compares free frames after
 * reaping, before and after each test).
 */
#define TEST_LEAK_CHECK_EVERY_TEST()                                      \
	__attribute__((constructor)) static void install_leak_check(void) \
	{                                                                 \
		ktest_free_frames = free_frames_after_reap;               \
	}

#endif
