/*
 * Each CPU's local APIC timer, periodic at TIMER_HZ, calibrated once on the boot CPU against
 * ktime (the TSC, itself calibrated against the PIT) and started with the same count on every CPU.
 *
 * Each tick is counted per CPU and is that CPU's scheduler tick (kernel/sched.h, sched_tick):
 * preemption on every CPU comes from its own APIC timer. The PIT (<machine/timer.h>) stays the
 * system clock (timer_ticks, timed sleeps), and preempts only if these timers do not run.
 */
#ifndef ARCH_X86_64_LAPIC_TIMER_H
#define ARCH_X86_64_LAPIC_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define LAPIC_TIMER_VECTOR 0xe0

/*
 * On the boot CPU, after lapic_init: route LAPIC_TIMER_VECTOR, measure the APIC timer against
 * ktime and start the boot CPU's timer. Returns false (with a console line) if the measurement
 * failed; then no CPU runs its APIC timer. Once, at boot, with interrupts on or off.
 */
bool lapic_timer_init(void);

/* Start the calling AP's timer with the boot CPU's measure (none if it failed). On the AP, once. */
void lapic_timer_start_ap(void);

/* The count of one TIMER_HZ period (bus clock / 16), 0 if the timers do not run. No lock. */
uint32_t lapic_timer_period(void);

/* Ticks CPU cpu's APIC timer has counted (cpu < SMP_CPUS_MAX). Any CPU may read them. No lock. */
uint64_t lapic_timer_ticks(unsigned cpu);

#endif
