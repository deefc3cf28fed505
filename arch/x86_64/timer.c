/* PIT channel 0 as the system tick (contract in <machine/timer.h>). */
#include <machine/timer.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/isa_irq.h"
#include "arch/x86_64/lapic_timer.h"
#include "arch/x86_64/pic.h"
#include "arch/x86_64/trap.h"
#include "kernel/sched.h"

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_CH0_RATE_GEN 0x34 /* channel 0, lobyte/hibyte, mode 2 (rate generator), binary */
#define PIT_HZ 1193182u

volatile uint64_t timer_ticks;

static void timer_irq(struct trapframe *tf)
{
	timer_ticks++;
	isa_irq_eoi(0);
	sched_clock_tick();
	/* Where the local APIC timers run, each CPU's own preempts (lapic_timer.c); else this one does. */
	if (!lapic_timer_period())
		sched_tick(tf);
}

void timer_init(void)
{
	uint16_t divisor = (PIT_HZ + TIMER_HZ / 2) / TIMER_HZ;

	outb(PIT_CMD, PIT_CH0_RATE_GEN);
	outb(PIT_CH0, (uint8_t)divisor);
	outb(PIT_CH0, (uint8_t)(divisor >> 8));
	trap_register(PIC_VECTOR_BASE + 0, timer_irq);
	isa_irq_unmask(0);
}
