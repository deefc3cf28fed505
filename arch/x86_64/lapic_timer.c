/* Per-CPU local APIC timers (contract in arch/x86_64/lapic_timer.h). */
#include "arch/x86_64/lapic_timer.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/smp.h"
#include <machine/timer.h>
#include "arch/x86_64/trap.h"
#include "kernel/kprintf.h"
#include "kernel/ktime.h"
#include "kernel/sched.h"

#define NS_PER_SEC 1000000000ull
/* Long enough that the two brackets' read latency is noise; short enough for every boot. */
#define CALIBRATE_NS 10000000ull
#define CALIBRATE_TRIES 5

/* Written only by the CPU it counts for (its own tick handler); read by any. A line each. */
static struct {
	uint64_t n;
} __attribute__((aligned(64))) ticks[SMP_CPUS_MAX];

/* Set once by lapic_timer_init, before any AP starts: the APs read it as they come up. */
static uint32_t period;

static void tick(struct trapframe *tf)
{
	unsigned id = smp_this_cpu();
	__atomic_store_n(&ticks[id].n, ticks[id].n + 1, __ATOMIC_RELAXED);
	lapic_eoi();
	sched_tick(tf);
}

/* A timer count and the time it was read, together: no interrupt between the two reads. */
static void sample(uint32_t *count, uint64_t *ns)
{
	unsigned long f = irq_save();
	*ns = ktime_get_ns();
	*count = lapic_timer_current();
	irq_restore(f);
}

/* The count of one TIMER_HZ period, or 0 if no try measured one. */
static uint32_t calibrate(void)
{
	for (int i = 0; i < CALIBRATE_TRIES; i++) {
		uint32_t c0, c1;
		uint64_t t0, t1;

		lapic_timer_arm(LAPIC_TIMER_MASKED, UINT32_MAX);
		sample(&c0, &t0);
		while (ktime_get_ns() - t0 < CALIBRATE_NS)
			cpu_relax();
		sample(&c1, &t1);
		lapic_timer_arm(LAPIC_TIMER_MASKED, 0);
		/* A count that ran out (a very fast bus clock) or time standing still: retry. */
		if (c1 == 0 || c1 >= c0 || t1 <= t0)
			continue;
		uint64_t per = (uint64_t)(c0 - c1) * (NS_PER_SEC / TIMER_HZ) / (t1 - t0);
		if (per >= 1 && per <= UINT32_MAX)
			return (uint32_t)per;
	}
	return 0;
}

bool lapic_timer_init(void)
{
	trap_register(LAPIC_TIMER_VECTOR, tick);
	uint32_t p = calibrate();
	if (!p) {
		kprintf("lapic: the APIC timer could not be measured: no per-CPU timers\n");
		return false;
	}
	__atomic_store_n(&period, p, __ATOMIC_RELEASE);
	kprintf("lapic: timer %u Hz, %u counts (bus clock / 16) a tick\n", TIMER_HZ, p);
	lapic_timer_arm(LAPIC_TIMER_VECTOR | LAPIC_TIMER_PERIODIC, p);
	return true;
}

void lapic_timer_start_ap(void)
{
	uint32_t p = lapic_timer_period();
	if (p)
		lapic_timer_arm(LAPIC_TIMER_VECTOR | LAPIC_TIMER_PERIODIC, p);
}

uint32_t lapic_timer_period(void)
{
	return __atomic_load_n(&period, __ATOMIC_ACQUIRE);
}

uint64_t lapic_timer_ticks(unsigned cpu)
{
	return __atomic_load_n(&ticks[cpu].n, __ATOMIC_RELAXED);
}
