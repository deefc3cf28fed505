/*
 * The I/O APIC that serves the ISA interrupts (the one whose GSI range holds them; ACPI's MADT
 * lists it and the interrupt source overrides). Registers: an index/data window at its MMIO page;
 * redirection entries as in Intel's 82093AA datasheet.
 */
#ifndef ARCH_X86_64_IOAPIC_H
#define ARCH_X86_64_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>
#include "arch/x86_64/acpi.h"

/*
 * Map the registers of the MADT's I/O APIC that serves GSI 0 (the ISA range) and mask every one of
 * its redirection entries. Returns false, with a console line, if there is none or its page cannot
 * be mapped. Once, at boot, on the boot CPU.
 */
bool ioapic_init(const struct acpi_madt_info *madt);

/*
 * Route ISA irq (through madt's override for it, if any: GSI, polarity, trigger) to vector on the
 * CPU with APIC id apic_id, masked or not. Returns false if the GSI is not this I/O APIC's. After
 * ioapic_init; interrupts off or on.
 */
bool ioapic_route_isa(const struct acpi_madt_info *madt, unsigned irq, uint8_t vector,
		      uint32_t apic_id, bool masked);

/* Unmask ISA irq's entry (routed before). */
void ioapic_unmask_isa(const struct acpi_madt_info *madt, unsigned irq);

/* ISA irq's redirection entry as it stands (for the tests); 0 if the GSI is not this I/O APIC's. */
uint64_t ioapic_read_isa(const struct acpi_madt_info *madt, unsigned irq);

#define IOAPIC_RTE_MASKED (1ull << 16)
#define IOAPIC_RTE_LEVEL (1ull << 15)
#define IOAPIC_RTE_ACTIVE_LOW (1ull << 13)
#define IOAPIC_RTE_VECTOR 0xffull
#define IOAPIC_RTE_DEST_SHIFT 56

#endif
