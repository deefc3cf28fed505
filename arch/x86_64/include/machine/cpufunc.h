/*
 * <machine/cpufunc.h>: the CPU's cycle counter, the one instruction arch-neutral code reads
 * directly (the uptime system call). Everything else of the CPU is arch/x86_64/cpu.h, for arch/
 * only; the interrupt flag is <machine/intr.h>.
 */
#ifndef MACHINE_CPUFUNC_H
#define MACHINE_CPUFUNC_H

#include <stdint.h>

/* The time-stamp counter: cycles since reset, at a constant rate on CPUs since about 2008. */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#endif
