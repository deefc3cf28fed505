/* The possible-CPU count (contract in kernel/cpu.h); cpu_this_id is the arch's. */
#include "kernel/cpu.h"
#include "kernel/panic.h"

/* 0 until the arch fixes it; then in [1, CPU_MAX] and never written again. */
static unsigned possible;

void cpu_possible_set(unsigned n)
{
	KASSERT(!possible, "cpu: the possible count is fixed already (%u, now %u)", possible, n);
	KASSERT(n >= 1 && n <= CPU_MAX, "cpu: %u possible CPUs is out of range", n);
	__atomic_store_n(&possible, n, __ATOMIC_RELEASE);
}

unsigned cpu_possible_count(void)
{
	unsigned n = __atomic_load_n(&possible, __ATOMIC_ACQUIRE);
	KASSERT(n, "cpu: the possible count is read before the arch fixed it");
	return n;
}
