/*
 * <machine/timer.h>: the system tick, as arch-neutral code reads it (TIMER_HZ, timer_ticks).
 *
 * The system tick: the PIT's channel 0 at TIMER_HZ through ISA IRQ 0 (the PIC's, then the I/O
 * APIC's: arch/x86_64/isa_irq.h), on the boot CPU. Each tick counts in timer_ticks and calls
 * sched_clock_tick (kernel/sched.c), which wakes timed sleepers; it preempts (sched_tick) only
 * where the local APIC timers do not run (arch/x86_64/lapic_timer.h), which otherwise do.
 */
#ifndef MACHINE_TIMER_H
#define MACHINE_TIMER_H

#include <stdint.h>

#define TIMER_HZ 100

/* Ticks since timer_init. Written only by the tick handler; a 64-bit load is atomic. */
extern volatile uint64_t timer_ticks;

/* Program the PIT, install the IRQ 0 handler and unmask it (needs pic_init). Interrupts stay as they are. */
void timer_init(void);

#endif
