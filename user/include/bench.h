/*
 * What the in-guest benchmarks (user/bin/bench_*.c) share: the getpid round trip every figure is
 * compared with, in TSC cycles read through uptime(), and the median of a set of samples.
 */
#ifndef _BENCH_H
#define _BENCH_H

#include <stdint.h>
#include <unistd.h>

/* The cheapest of rounds rounds of calls getpid calls each, per call; *mean (if not NULL) their mean. */
static inline uint64_t bench_getpid_cycles(int rounds, int calls, uint64_t *mean)
{
	uint64_t best = ~0ul, total = 0;

	for (int round = 0; round < rounds; round++) {
		uint64_t t0 = uptime();
		for (int i = 0; i < calls; i++)
			(void)getpid();
		uint64_t t = (uptime() - t0) / (uint64_t)calls;
		total += t;
		if (t < best)
			best = t;
	}
	if (mean)
		*mean = total / (uint64_t)rounds;
	return best;
}

/* The median of n > 0 values (sorts them ascending in place: v[0] is then the best). */
static inline uint64_t bench_median(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int k = i; k > 0 && v[k - 1] > v[k]; k--) {
			uint64_t x = v[k];
			v[k] = v[k - 1];
			v[k - 1] = x;
		}
	return v[n / 2];
}

#endif
