/* The x86-64 side of kernel/random.h: RDSEED, else RDRAND, and the TSC. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpufeat.h"
#include "kernel/random.h"

/* The SDM's advice: a few retries, since either instruction may come back empty under load. */
#define HW_RETRIES 10

static bool rdseed64(uint64_t *out)
{
	for (int i = 0; i < HW_RETRIES; i++) {
		bool ok;
		__asm__ volatile("rdseed %0" : "=r"(*out), "=@ccc"(ok));
		if (ok)
			return true;
	}
	return false;
}

static bool rdrand64(uint64_t *out)
{
	for (int i = 0; i < HW_RETRIES; i++) {
		bool ok;
		__asm__ volatile("rdrand %0" : "=r"(*out), "=@ccc"(ok));
		if (ok)
			return true;
	}
	return false;
}

bool arch_random_hw(uint64_t *out)
{
	if (cpu_features.rdseed && rdseed64(out))
		return true;
	return cpu_features.rdrand && rdrand64(out);
}

uint64_t arch_cycle_counter(void)
{
	return rdtsc();
}
