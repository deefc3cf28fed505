/* ISA interrupt delivery, PIC or I/O APIC (contract in arch/x86_64/isa_irq.h). */
#include "arch/x86_64/isa_irq.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/pic.h"
#include "kernel/kprintf.h"

#define CASCADE_IRQ 2 /* the PIC's own: no device behind it */

/* Set once, with interrupts off, by isa_irq_use_ioapic; only the boot CPU reads them. */
static const struct acpi_madt_info *via;
static uint32_t dest_apic_id;

bool isa_irq_via_ioapic(void)
{
	return via != NULL;
}

uint64_t isa_irq_route(unsigned irq)
{
	return via ? ioapic_read_isa(via, irq) : 0;
}

void isa_irq_unmask(unsigned irq)
{
	uint8_t vector = (uint8_t)(PIC_VECTOR_BASE + irq);

	if (via) {
		if (!ioapic_route_isa(via, irq, vector, dest_apic_id, false))
			kprintf("ioapic: ISA IRQ %u is not on the I/O APIC: it stays off\n", irq);
	} else
		pic_unmask(irq);
}

void isa_irq_eoi(unsigned irq)
{
	if (via)
		lapic_eoi();
	else
		pic_eoi(irq);
}

bool isa_irq_use_ioapic(const struct acpi_madt_info *madt, uint32_t boot_apic_id)
{
	if (!ioapic_init(madt))
		return false;
	unsigned long f = irq_save();
	uint16_t open = pic_unmasked() & (uint16_t) ~(1u << CASCADE_IRQ);
	/* Every entry first, masked: a refusal leaves the PIC in charge and nothing half-moved. */
	for (unsigned irq = 0; irq < PIC_IRQS; irq++) {
		uint8_t vector = (uint8_t)(PIC_VECTOR_BASE + irq);
		if ((open & (1u << irq)) &&
		    !ioapic_route_isa(madt, irq, vector, boot_apic_id, true)) {
			irq_restore(f);
			kprintf("ioapic: ISA IRQ %u is not on the I/O APIC: PIC kept\n", irq);
			return false;
		}
	}
	pic_mask_all();
	lapic_mask_lint0();
	via = madt;
	dest_apic_id = boot_apic_id;
	for (unsigned irq = 0; irq < PIC_IRQS; irq++)
		if (open & (1u << irq))
			ioapic_unmask_isa(madt, irq);
	irq_restore(f);
	kprintf("ioapic: the ISA IRQs go through the I/O APIC; the 8259 PIC is masked\n");
	return true;
}
