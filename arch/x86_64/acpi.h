/*
 * ACPI, as far as SMP bring-up needs it: from the loader's RSDP to the RSDT (ACPI 1.0) or XSDT
 * (2.0+), and from there to the MADT ("APIC"), which lists the local APICs (one per logical CPU),
 * the I/O APICs, the ISA interrupt source overrides and the local APIC address.
 *
 * Tables are reached through the direct map and only inside it (pa + len <= dmap_size): a pointer
 * outside it is an error, never a fault. Every length is checked before anything under it is read:
 * a table's header length against the direct map, its checksum, and each MADT entry's own length
 * (at least its structure's size, within the table) before its fields are read. Layouts and field
 * meanings: the ACPI specification, 5.2.5 (RSDP), 5.2.7/5.2.8 (RSDT/XSDT), 5.2.12 (MADT).
 */
#ifndef ARCH_X86_64_ACPI_H
#define ARCH_X86_64_ACPI_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/types.h"

#define ACPI_CPUS_MAX 64 /* local APICs recorded; the rest are counted in cpus_dropped */
#define ACPI_IOAPICS_MAX 8
#define ACPI_OVERRIDES_MAX 16     /* one per ISA IRQ */
#define ACPI_TABLE_MAX (1u << 20) /* longer "tables" are refused: no MADT is near this */

/* MADT local APIC flags (Processor Local APIC and Local x2APIC structures). */
#define ACPI_LAPIC_ENABLED 0x1        /* usable now */
#define ACPI_LAPIC_ONLINE_CAPABLE 0x2 /* not enabled, but may be enabled at run time (hot add) */

struct acpi_cpu {
	/* 8-bit from a Processor Local APIC entry, 32-bit from a Local x2APIC one */
	uint32_t apic_id;
	uint32_t uid;   /* the ACPI processor UID */
	uint32_t flags; /* ACPI_LAPIC_* */
};

struct acpi_ioapic {
	uint8_t id;
	uint32_t addr;     /* physical address of its registers */
	uint32_t gsi_base; /* first global system interrupt it serves */
};

/* An ISA IRQ wired to another GSI, or with other polarity/trigger than ISA's active-high edge. */
struct acpi_override {
	uint8_t irq; /* ISA IRQ (the bus-relative source; bus is always 0, ISA) */
	uint32_t gsi;
	uint16_t flags; /* MPS INTI flags: polarity in bits 1:0, trigger mode in bits 3:2 */
};

/*
 * What the MADT said. cpus[] keeps the order of the table (the first is the boot CPU on most
 * firmware, but the boot CPU is whichever runs this: match by APIC id). Entries marked neither
 * enabled nor online-capable are unusable and left out; so are broadcast ids (0xff, 0xffffffff)
 * and an id seen before (cpus_ignored counts them). Overrides of a bus other than ISA or an IRQ
 * above 15 are ignored the same way.
 */
struct acpi_madt_info {
	uint64_t lapic_addr; /* the table's address, or its Local APIC Address Override's */
	bool lapic_addr_override;
	bool pcat_compat; /* the machine also has the two 8259s (they must be masked) */
	unsigned ncpus, cpus_dropped, cpus_ignored;
	struct acpi_cpu cpus[ACPI_CPUS_MAX];
	unsigned nioapics;
	struct acpi_ioapic ioapics[ACPI_IOAPICS_MAX];
	unsigned noverrides, overrides_ignored;
	struct acpi_override overrides[ACPI_OVERRIDES_MAX];
};

/*
 * Find the MADT from the RSDP at physical address rsdp (v2: the ACPI 2.0+ structure, whose XSDT is
 * used when its address is not 0; otherwise the RSDT) and parse it into *out (cleared first).
 * Returns 0; -ENOENT if the root table lists no MADT; -EINVAL if the RSDP, the root table or the
 * MADT is malformed (signature, checksum, a length too short, too long or not a whole number of
 * entries, a table outside the direct map). Root-table entries that point outside the direct map
 * are skipped. Boot, single-threaded; reads only.
 */
int acpi_find_madt(vm_paddr_t rsdp, bool v2, struct acpi_madt_info *out);

/*
 * Parse the MADT at physical address pa into *out (cleared first): the header is checked (signature
 * "APIC", length at least 44 and at most ACPI_TABLE_MAX, inside the direct map, checksum), then
 * every entry (length at least 2, within the table, at least its structure's size for the types
 * read). Returns 0 or -EINVAL.
 */
int acpi_parse_madt(vm_paddr_t pa, struct acpi_madt_info *out);

#endif
