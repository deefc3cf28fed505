/*
 * Bounds checks that hold under speculation (Spectre variant 1). A bounds check is a branch, and
 * a CPU that mispredicts it runs the load after it with the out-of-bounds index anyway, leaving
 * a trace in the cache. array_index_nospec(i, n) is i when i < n and 0 otherwise, computed
 * without a branch (cmp and sbb: Linux's x86 array_index_mask_nospec), so that the load an index
 * feeds after its bounds check is in bounds on every path, predicted or not. Use it on an index
 * that came from outside (a BPF program, a user) after the ordinary check, before the load.
 * Host builds compute the same with the same instructions.
 */
#ifndef MACHINE_NOSPEC_H
#define MACHINE_NOSPEC_H

#include <stdint.h>

/* ~0 when i < n, else 0. */
static inline uint64_t array_index_mask_nospec(uint64_t i, uint64_t n)
{
	uint64_t mask;

	__asm__("cmp %2, %1\n\tsbb %0, %0" : "=r"(mask) : "r"(i), "r"(n) : "cc");
	return mask;
}

/* i when i < n, else 0 (n > 0 makes 0 a valid index). */
static inline uint64_t array_index_nospec(uint64_t i, uint64_t n)
{
	return i & array_index_mask_nospec(i, n);
}

#endif
