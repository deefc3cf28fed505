/*
 * Which controller delivers the ISA interrupts (the PIT's IRQ 0, COM1's IRQ 4): the 8259 PIC from
 * boot (through the boot CPU's LINT0 in virtual wire mode), the I/O APIC once isa_irq_use_ioapic
 * has switched them, after which the PIC and LINT0 stay masked. Either way IRQ n arrives at vector
 * PIC_VECTOR_BASE + n on the boot CPU, and its handler ends with isa_irq_eoi.
 */
#ifndef ARCH_X86_64_ISA_IRQ_H
#define ARCH_X86_64_ISA_IRQ_H

#include <stdbool.h>
#include <stdint.h>
#include "arch/x86_64/acpi.h"

/* Let ISA irq through, on whichever controller delivers. Interrupts off or on. */
void isa_irq_unmask(unsigned irq);

/* The end of ISA irq's handler: EOI to the controller that delivered it. */
void isa_irq_eoi(unsigned irq);

/*
 * Move every ISA IRQ the PIC lets through to the I/O APIC (madt's, which must stay valid: later
 * unmasks read its overrides), delivered to the CPU with APIC id boot_apic_id, then mask the PIC
 * and that CPU's LINT0. Returns false (and changes nothing) if there is no usable I/O APIC or one
 * of those IRQs is not on it. Once, at boot, on the boot CPU, after lapic_init.
 */
bool isa_irq_use_ioapic(const struct acpi_madt_info *madt, uint32_t boot_apic_id);

/* Whether the I/O APIC delivers the ISA IRQs now. */
bool isa_irq_via_ioapic(void);

/* ISA irq's I/O APIC redirection entry (arch/x86_64/ioapic.h); 0 while the PIC delivers. */
uint64_t isa_irq_route(unsigned irq);

#endif
