/*
 * ACPI table parsing (arch/x86_64/acpi.h) on hand-built tables: an RSDP, RSDT or XSDT and MADT in a
 * buffer of the kernel image, which the direct map also reaches at its physical address, then the
 * same tables broken one way at a time (checksums, lengths, entries, pointers out of the direct map,
 * hostile ids); and the tables this machine's firmware gave.
 */
#include "arch/x86_64/acpi.h"
#include "kernel/ktest.h"
#include "kernel/multiboot.h"
#include "kernel/string.h"
#include "mm/memlayout.h"
#include "uapi/errno.h"

#define RSDP_OFF 0
#define ROOT_OFF 64
#define OTHER_OFF 192 /* a table that is not the MADT, listed first */
#define MADT_OFF 256
#define BUF_SIZE 4096

static uint8_t buf[BUF_SIZE] __attribute__((aligned(16)));
static size_t madt_len;
static struct acpi_madt_info info;

static vm_paddr_t pa_of(size_t off)
{
	return kimg_to_phys(buf + off);
}

static void put16(size_t off, uint16_t v)
{
	memcpy(buf + off, &v, 2);
}
static void put32(size_t off, uint32_t v)
{
	memcpy(buf + off, &v, 4);
}
static void put64(size_t off, uint64_t v)
{
	memcpy(buf + off, &v, 8);
}

/* Set the byte at off so that [start, start + len) sums to 0. */
static void fix_sum(size_t start, size_t len, size_t off)
{
	uint8_t s = 0;
	buf[off] = 0;
	for (size_t i = 0; i < len; i++)
		s += buf[start + i];
	buf[off] = (uint8_t)-s;
}

static void sdt_header(size_t off, const char *sig, uint32_t len)
{
	memcpy(buf + off, sig, 4);
	put32(off + 4, len);
	buf[off + 8] = 1;
	memcpy(buf + off + 10, "KESTRL", 6);
}

static void sdt_seal(size_t off)
{
	uint32_t len;
	memcpy(&len, buf + off + 4, 4);
	fix_sum(off, len, off + 9);
}

/* An RSDP for the root table at ROOT_OFF: ACPI 1.0 (RSDT) or 2.0 (XSDT). */
static void rsdp(bool v2)
{
	memcpy(buf + RSDP_OFF, "RSD PTR ", 8);
	memcpy(buf + RSDP_OFF + 9, "KESTRL", 6);
	buf[RSDP_OFF + 15] = v2 ? 2 : 0;
	put32(RSDP_OFF + 16, v2 ? 0 : (uint32_t)pa_of(ROOT_OFF));
	put32(RSDP_OFF + 20, 36);
	put64(RSDP_OFF + 24, v2 ? pa_of(ROOT_OFF) : 0);
	fix_sum(RSDP_OFF, 20, RSDP_OFF + 8);
	fix_sum(RSDP_OFF, 36, RSDP_OFF + 32);
}

/* A root table listing a "FACP" table, then the MADT (entry: 4 or 8 bytes). */
static void root(bool xsdt)
{
	unsigned entry = xsdt ? 8 : 4;
	sdt_header(ROOT_OFF, xsdt ? "XSDT" : "RSDT", 36 + 2 * entry);
	if (xsdt) {
		put64(ROOT_OFF + 36, pa_of(OTHER_OFF));
		put64(ROOT_OFF + 44, pa_of(MADT_OFF));
	} else {
		put32(ROOT_OFF + 36, (uint32_t)pa_of(OTHER_OFF));
		put32(ROOT_OFF + 40, (uint32_t)pa_of(MADT_OFF));
	}
	sdt_seal(ROOT_OFF);
	sdt_header(OTHER_OFF, "FACP", 36);
	sdt_seal(OTHER_OFF);
}

static void madt_begin(void)
{
	memset(buf + MADT_OFF, 0, BUF_SIZE - MADT_OFF);
	madt_len = 44;
	sdt_header(MADT_OFF, "APIC", 0);
	put32(MADT_OFF + 36, 0xfee00000u);
	put32(MADT_OFF + 40, 1); /* PCAT_COMPAT */
}

static size_t madt_entry(uint8_t type, uint8_t len)
{
	size_t off = MADT_OFF + madt_len;
	buf[off] = type;
	buf[off + 1] = len;
	madt_len += len;
	return off;
}

static void lapic(uint8_t uid, uint8_t id, uint32_t flags)
{
	size_t e = madt_entry(0, 8);
	buf[e + 2] = uid;
	buf[e + 3] = id;
	put32(e + 4, flags);
}

static void madt_end(void)
{
	put32(MADT_OFF + 4, (uint32_t)madt_len);
	sdt_seal(MADT_OFF);
}

/* A QEMU-like MADT: four CPUs, one I/O APIC, overrides for IRQ 0 and 9, a disabled CPU. */
static void standard_madt(void)
{
	madt_begin();
	for (uint8_t i = 0; i < 4; i++)
		lapic(i, i, ACPI_LAPIC_ENABLED);
	lapic(4, 4, 0); /* neither enabled nor online-capable: unusable */
	lapic(5, 7, ACPI_LAPIC_ONLINE_CAPABLE);
	size_t e = madt_entry(1, 12);
	buf[e + 2] = 2;
	put32(e + 4, 0xfec00000u);
	put32(e + 8, 0);
	e = madt_entry(2, 10);
	buf[e + 3] = 0;
	put32(e + 4, 2);
	e = madt_entry(2, 10);
	buf[e + 3] = 9;
	put32(e + 4, 9);
	put16(e + 8, 0xd);
	madt_entry(4, 6); /* a local APIC NMI entry: skipped */
	madt_end();
}

static int find(bool v2)
{
	return acpi_find_madt(pa_of(RSDP_OFF), v2, &info);
}

KTEST(acpi, rsdt_and_madt)
{
	rsdp(false);
	root(false);
	standard_madt();
	ASSERT_EQ(find(false), 0);
	EXPECT_EQ(info.lapic_addr, 0xfee00000u);
	EXPECT_FALSE(info.lapic_addr_override);
	EXPECT_TRUE(info.pcat_compat);
	ASSERT_EQ(info.ncpus, 5);
	for (unsigned i = 0; i < 4; i++) {
		EXPECT_EQ(info.cpus[i].apic_id, i);
		EXPECT_EQ(info.cpus[i].uid, i);
		EXPECT_EQ(info.cpus[i].flags, ACPI_LAPIC_ENABLED);
	}
	EXPECT_EQ(info.cpus[4].apic_id, 7);
	EXPECT_EQ(info.cpus[4].flags, ACPI_LAPIC_ONLINE_CAPABLE);
	EXPECT_EQ(info.cpus_ignored, 0);
	ASSERT_EQ(info.nioapics, 1);
	EXPECT_EQ(info.ioapics[0].id, 2);
	EXPECT_EQ(info.ioapics[0].addr, 0xfec00000u);
	EXPECT_EQ(info.ioapics[0].gsi_base, 0);
	ASSERT_EQ(info.noverrides, 2);
	EXPECT_EQ(info.overrides[0].irq, 0);
	EXPECT_EQ(info.overrides[0].gsi, 2);
	EXPECT_EQ(info.overrides[1].irq, 9);
	EXPECT_EQ(info.overrides[1].gsi, 9);
	EXPECT_EQ(info.overrides[1].flags, 0xd);
}

KTEST(acpi, xsdt_x2apic_and_address_override)
{
	rsdp(true);
	root(true);
	madt_begin();
	lapic(0, 0, ACPI_LAPIC_ENABLED);
	size_t e = madt_entry(9, 16);
	put32(e + 4, 300);
	put32(e + 8, ACPI_LAPIC_ENABLED);
	put32(e + 12, 77);
	e = madt_entry(5, 12);
	put64(e + 4, 0x123456789000ull);
	madt_end();
	ASSERT_EQ(find(true), 0);
	EXPECT_EQ(info.lapic_addr, 0x123456789000ull);
	EXPECT_TRUE(info.lapic_addr_override);
	ASSERT_EQ(info.ncpus, 2);
	EXPECT_EQ(info.cpus[1].apic_id, 300);
	EXPECT_EQ(info.cpus[1].uid, 77);
	/* A 2.0 RSDP read as 1.0 has no RSDT (address 0, outside the test buffer): refused. */
	EXPECT_EQ(find(false), -EINVAL);
}

KTEST(acpi, bad_checksums_are_refused)
{
	rsdp(false);
	root(false);
	standard_madt();
	buf[RSDP_OFF + 8]++;
	EXPECT_EQ(find(false), -EINVAL);
	rsdp(true);
	root(true);
	buf[RSDP_OFF + 32]++; /* the extended checksum */
	EXPECT_EQ(find(true), -EINVAL);
	rsdp(false);
	root(false);
	buf[ROOT_OFF + 20]++;
	EXPECT_EQ(find(false), -EINVAL);
	root(false);
	buf[MADT_OFF + 50]++;
	EXPECT_EQ(find(false), -EINVAL);
	buf[MADT_OFF + 50]--;
	EXPECT_EQ(find(false), 0);
}

/* The MADT as built so far with its length field set to len and its checksum fixed. */
static int madt_with_length(uint32_t len)
{
	put32(MADT_OFF + 4, len);
	if (len <= BUF_SIZE - MADT_OFF)
		fix_sum(MADT_OFF, len, MADT_OFF + 9);
	return acpi_parse_madt(pa_of(MADT_OFF), &info);
}

KTEST(acpi, table_lengths_are_not_trusted)
{
	standard_madt();
	EXPECT_EQ(madt_with_length((uint32_t)madt_len), 0);
	EXPECT_EQ(madt_with_length(43), -EINVAL); /* shorter than the MADT's fixed fields */
	EXPECT_EQ(madt_with_length(0), -EINVAL);
	EXPECT_EQ(madt_with_length(ACPI_TABLE_MAX + 1), -EINVAL);
	EXPECT_EQ(madt_with_length(0xffffffffu), -EINVAL);
	/* One byte into the next entry's header: an entry cut short by the table's end. */
	EXPECT_EQ(madt_with_length((uint32_t)madt_len - 5), -EINVAL);

	/* A root table whose length is not a whole number of entries. */
	rsdp(false);
	root(false);
	put32(ROOT_OFF + 4, 36 + 2 * 4 + 2);
	sdt_seal(ROOT_OFF);
	EXPECT_EQ(find(false), -EINVAL);
	rsdp(true);
	root(true);
	put32(ROOT_OFF + 4, 36 + 12);
	sdt_seal(ROOT_OFF);
	EXPECT_EQ(find(true), -EINVAL);
	/* A v2 RSDP whose length is shorter than its own structure. */
	rsdp(true);
	put32(RSDP_OFF + 20, 20);
	fix_sum(RSDP_OFF, 36, RSDP_OFF + 32);
	EXPECT_EQ(find(true), -EINVAL);
}

KTEST(acpi, malformed_entries_are_refused)
{
	static const struct {
		uint8_t type, len;
	} bad[] = {
		{0, 0},  /* length 0 would never advance */
		{0, 1},  /* shorter than an entry header */
		{0, 7},  /* Processor Local APIC is 8 bytes */
		{1, 11}, /* I/O APIC is 12 */
		{2, 9},  /* Interrupt Source Override is 10 */
		{5, 11}, /* Local APIC Address Override is 12 */
		{9, 15}, /* Local x2APIC is 16 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		madt_begin();
		lapic(0, 0, ACPI_LAPIC_ENABLED);
		size_t e = madt_entry(bad[i].type, 0);
		buf[e + 1] = bad[i].len;
		madt_len += bad[i].len < 2 ? 2 : bad[i].len;
		madt_end();
		if (acpi_parse_madt(pa_of(MADT_OFF), &info) != -EINVAL)
			KT_FAIL("MADT entry type %u with length %u was accepted", bad[i].type,
				bad[i].len);
	}
	/* An entry that claims more than the table has left. */
	madt_begin();
	lapic(0, 0, ACPI_LAPIC_ENABLED);
	size_t e = madt_entry(1, 12);
	buf[e + 1] = 200;
	madt_end();
	EXPECT_EQ(acpi_parse_madt(pa_of(MADT_OFF), &info), -EINVAL);
	/* An unknown type of a plausible length is skipped. */
	madt_begin();
	madt_entry(0x7f, 20);
	lapic(0, 0, ACPI_LAPIC_ENABLED);
	madt_end();
	EXPECT_EQ(acpi_parse_madt(pa_of(MADT_OFF), &info), 0);
	EXPECT_EQ(info.ncpus, 1);
}

KTEST(acpi, hostile_ids_and_counts)
{
	madt_begin();
	lapic(0, 0, ACPI_LAPIC_ENABLED);
	lapic(1, 0, ACPI_LAPIC_ENABLED);    /* the same APIC id again */
	lapic(2, 0xff, ACPI_LAPIC_ENABLED); /* the xAPIC broadcast id */
	size_t e = madt_entry(9, 16);       /* the x2APIC broadcast id */
	put32(e + 4, 0xffffffffu);
	put32(e + 8, ACPI_LAPIC_ENABLED);
	for (unsigned i = 0; i < ACPI_CPUS_MAX + 3; i++) { /* more CPUs than are recorded */
		e = madt_entry(9, 16);
		put32(e + 4, 1000 + i);
		put32(e + 8, ACPI_LAPIC_ENABLED);
	}
	e = madt_entry(2, 10); /* an override of bus 1: not ISA */
	buf[e + 2] = 1;
	e = madt_entry(2, 10); /* IRQ 16: not an ISA IRQ */
	buf[e + 3] = 16;
	madt_end();
	ASSERT_LE(madt_len, BUF_SIZE - MADT_OFF);
	ASSERT_EQ(acpi_parse_madt(pa_of(MADT_OFF), &info), 0);
	EXPECT_EQ(info.ncpus, ACPI_CPUS_MAX);
	EXPECT_EQ(info.cpus_ignored, 3);
	EXPECT_EQ(info.cpus_dropped, 4);
	EXPECT_EQ(info.noverrides, 0);
	EXPECT_EQ(info.overrides_ignored, 2);
}

KTEST(acpi, pointers_outside_the_direct_map)
{
	rsdp(false);
	root(false);
	standard_madt();
	/* The root table's MADT entry points past the direct map: skipped, so no MADT. */
	put32(ROOT_OFF + 40, (uint32_t)(dmap_size < 0xfffff000u ? dmap_size : 0xfffff000u));
	sdt_seal(ROOT_OFF);
	if (dmap_size < 0xfffff000u)
		EXPECT_EQ(find(false), -ENOENT);
	/* An XSDT entry at the top of the physical address space. */
	rsdp(true);
	root(true);
	put64(ROOT_OFF + 44, ~0ull - 8);
	sdt_seal(ROOT_OFF);
	EXPECT_EQ(find(true), -ENOENT);
	/* The root table itself out of reach, or an RSDP whose header straddles the end. */
	put64(RSDP_OFF + 24, dmap_size - 8);
	fix_sum(RSDP_OFF, 36, RSDP_OFF + 32);
	EXPECT_EQ(find(true), -EINVAL);
	EXPECT_EQ(acpi_find_madt(dmap_size - 10, false, &info), -EINVAL);
	EXPECT_EQ(acpi_parse_madt(~0ull - 40, &info), -EINVAL);
}

KTEST(acpi, no_madt)
{
	rsdp(false);
	root(false);
	put32(ROOT_OFF + 40, (uint32_t)pa_of(OTHER_OFF));
	sdt_seal(ROOT_OFF);
	EXPECT_EQ(find(false), -ENOENT);
}

KTEST(acpi, this_machine)
{
	if (!boot_info.acpi_rsdp)
		return;
	ASSERT_EQ(acpi_find_madt(boot_info.acpi_rsdp, boot_info.acpi_rsdp_v2, &info), 0);
	EXPECT_GE(info.ncpus, 1);
	EXPECT_NE(info.lapic_addr, 0);
	EXPECT_GE(info.nioapics, 1);
}
