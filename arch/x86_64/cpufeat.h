#ifndef ARCH_X86_64_CPUFEAT_H
#define ARCH_X86_64_CPUFEAT_H

#include <stdbool.h>

/* What CPUID reported and what the kernel turned on. */
struct cpu_features {
	bool nx, pdpe1gb, pge, smep, smap, umip, invariant_tsc, rdrand, rdseed;
};
extern struct cpu_features cpu_features;

/*
 * Read CPUID and enable what the kernel uses when the CPU has it: SMEP, SMAP and UMIP in CR4
 * (SMAP: the kernel touches user memory only between stac and clac, in the user-copy routines).
 * Prints one line naming every feature found and enabled. NX is required (the boot code already set
 * EFER.NXE): panics without it.
 */
void cpu_features_init(void);

#endif
