/*
 * Helpers for the thread tests (tests/user/threads.c, futex.c, thread_*.c): a start barrier, a
 * wait until a thread sleeps, the CPU count, and a seeded generator.
 */
#ifndef TESTS_USER_THREAD_UTIL_H
#define TESTS_USER_THREAD_UTIL_H

#include <bpf/libbpf.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <task_info.h>
#include <thread.h>

#include "utest.h"

/* Every one of n threads calls it; none returns before all have arrived (spinning: no sleep). */
struct barrier {
	volatile int arrived;
};
static inline void barrier_wait(struct barrier *b, int n)
{
	__atomic_add_fetch(&b->arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&b->arrived, __ATOMIC_ACQUIRE) < n)
		__builtin_ia32_pause();
}

/* Wait until thread tid sleeps in the kernel; false if it does not within a while. */
static inline bool wait_sleeping(int tid)
{
	for (int i = 0; i < 100000; i++) {
		struct task_info ti;
		if (task_list(&ti, 1, tid - 1) == 1 && ti.pid == tid &&
		    ti.state == TASK_INFO_SLEEPING)
			return true;
		sched_yield();
	}
	return false;
}

static inline int cpu_count(void)
{
	int n = libbpf_num_possible_cpus();
	return n > 0 ? n : 1;
}

/* splitmix64 */
static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
