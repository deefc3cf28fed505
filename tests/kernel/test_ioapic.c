/*
 * The ISA interrupts after boot: on a machine with ACPI (every test machine) the I/O APIC delivers
 * them to the boot CPU and the 8259 PIC lets nothing through; the PIT's tick still arrives.
 */
#include <machine/timer.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/isa_irq.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/pic.h"
#include "kernel/ktest.h"
#include "kernel/ktime.h"
#include "kernel/multiboot.h"

/* Far longer than 2 ticks take even on a loaded host: only a tick that never comes hits it. */
#define TICK_TIMEOUT_NS (10ull * 1000000000ull)

KTEST(ioapic, isa_irqs_go_through_it)
{
	if (!boot_info.acpi_rsdp) {
		EXPECT_FALSE(isa_irq_via_ioapic());
		return;
	}
	ASSERT_TRUE(isa_irq_via_ioapic());
	EXPECT_EQ(pic_unmasked(), 0);
	uint64_t rte = isa_irq_route(0);
	EXPECT_EQ(rte & IOAPIC_RTE_MASKED, 0);
	EXPECT_EQ(rte & IOAPIC_RTE_VECTOR, PIC_VECTOR_BASE + 0);
	EXPECT_EQ(rte >> IOAPIC_RTE_DEST_SHIFT, lapic_id());
}

KTEST(ioapic, the_tick_still_comes)
{
	uint64_t start = timer_ticks;
	uint64_t deadline = ktime_get_ns() + TICK_TIMEOUT_NS;
	while (timer_ticks - start < 2 && ktime_get_ns() < deadline)
		cpu_relax();
	EXPECT_GE(timer_ticks - start, 2);
}
