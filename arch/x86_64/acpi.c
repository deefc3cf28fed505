/* The RSDP, the RSDT or XSDT and the MADT (contract in arch/x86_64/acpi.h). */
#include "arch/x86_64/acpi.h"
#include "kernel/string.h"
#include "mm/memlayout.h"
#include "uapi/errno.h"

#define SDT_HEADER_LEN 36 /* signature, length, revision, checksum, OEM ids, creator */
#define SDT_LENGTH 4
#define RSDP_V1_LEN 20
#define RSDP_RSDT 16
#define RSDP_LENGTH 20
#define RSDP_XSDT 24
#define RSDP_V2_LEN 36
#define MADT_LAPIC_ADDR 36
#define MADT_FLAGS 40
#define MADT_ENTRIES 44
#define MADT_PCAT_COMPAT 0x1

/* MADT entry types and their structures' lengths. */
#define MADT_LAPIC 0 /* uid u8, apic id u8, flags u32 */
#define MADT_LAPIC_LEN 8
#define MADT_IOAPIC 1 /* id u8, reserved u8, address u32, GSI base u32 */
#define MADT_IOAPIC_LEN 12
#define MADT_OVERRIDE 2 /* bus u8, source u8, GSI u32, flags u16 */
#define MADT_OVERRIDE_LEN 10
#define MADT_LAPIC_ADDR_OVR 5 /* reserved u16, address u64 */
#define MADT_LAPIC_ADDR_OVR_LEN 12
#define MADT_X2APIC 9 /* reserved u16, x2APIC id u32, flags u32, uid u32 */
#define MADT_X2APIC_LEN 16

static uint8_t get8(const uint8_t *p)
{
	return *p;
}
static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}
static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}
static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* [pa, pa + len) through the direct map, or NULL if any of it lies outside. */
static const uint8_t *acpi_map(vm_paddr_t pa, uint64_t len)
{
	if (len > dmap_size || pa > dmap_size - len)
		return NULL;
	return phys_to_virt(pa);
}

static bool checksum_ok(const uint8_t *p, uint64_t len)
{
	uint8_t sum = 0;
	for (uint64_t i = 0; i < len; i++)
		sum += p[i];
	return sum == 0;
}

/*
 * The system description table at pa if it has signature sig and a length in [min_len,
 * ACPI_TABLE_MAX], lies in the direct map and sums to 0: its address, its length in *len. Else NULL.
 */
static const uint8_t *sdt_get(vm_paddr_t pa, const char *sig, uint32_t min_len, uint32_t *len)
{
	const uint8_t *h = acpi_map(pa, SDT_HEADER_LEN);
	if (!h || memcmp(h, sig, 4))
		return NULL;
	uint32_t n = get32(h + SDT_LENGTH);
	const uint8_t *t = n >= min_len && n <= ACPI_TABLE_MAX ? acpi_map(pa, n) : NULL;
	if (!t || !checksum_ok(t, n))
		return NULL;
	*len = n;
	return t;
}

static void add_cpu(struct acpi_madt_info *m, uint32_t apic_id, uint32_t uid, uint32_t flags,
		    uint32_t broadcast)
{
	if (!(flags & (ACPI_LAPIC_ENABLED | ACPI_LAPIC_ONLINE_CAPABLE)))
		return;
	bool dup = apic_id == broadcast;
	for (unsigned i = 0; i < m->ncpus && !dup; i++)
		dup = m->cpus[i].apic_id == apic_id;
	if (dup)
		m->cpus_ignored++;
	else if (m->ncpus == ACPI_CPUS_MAX)
		m->cpus_dropped++;
	else
		m->cpus[m->ncpus++] = (struct acpi_cpu){
			apic_id, uid, flags & (ACPI_LAPIC_ENABLED | ACPI_LAPIC_ONLINE_CAPABLE)};
}

/* One MADT entry of length len (at least 2, within the table). */
static int madt_entry(struct acpi_madt_info *m, const uint8_t *e, uint8_t len)
{
	switch (get8(e)) {
	case MADT_LAPIC:
		if (len < MADT_LAPIC_LEN)
			return -EINVAL;
		add_cpu(m, get8(e + 3), get8(e + 2), get32(e + 4), 0xff);
		return 0;
	case MADT_X2APIC:
		if (len < MADT_X2APIC_LEN)
			return -EINVAL;
		add_cpu(m, get32(e + 4), get32(e + 12), get32(e + 8), 0xffffffffu);
		return 0;
	case MADT_IOAPIC:
		if (len < MADT_IOAPIC_LEN)
			return -EINVAL;
		if (m->nioapics < ACPI_IOAPICS_MAX)
			m->ioapics[m->nioapics++] =
				(struct acpi_ioapic){get8(e + 2), get32(e + 4), get32(e + 8)};
		return 0;
	case MADT_OVERRIDE:
		if (len < MADT_OVERRIDE_LEN)
			return -EINVAL;
		if (get8(e + 2) != 0 || get8(e + 3) > 15 || m->noverrides == ACPI_OVERRIDES_MAX)
			m->overrides_ignored++;
		else
			m->overrides[m->noverrides++] =
				(struct acpi_override){get8(e + 3), get32(e + 4), get16(e + 8)};
		return 0;
	case MADT_LAPIC_ADDR_OVR:
		if (len < MADT_LAPIC_ADDR_OVR_LEN)
			return -EINVAL;
		m->lapic_addr = get64(e + 4);
		m->lapic_addr_override = true;
		return 0;
	default: /* NMI sources, SAPICs, GIC and others: nothing SMP bring-up needs */
		return 0;
	}
}

int acpi_parse_madt(vm_paddr_t pa, struct acpi_madt_info *out)
{
	uint32_t len;
	int err;

	memset(out, 0, sizeof(*out));
	const uint8_t *t = sdt_get(pa, "APIC", MADT_ENTRIES, &len);
	if (!t)
		return -EINVAL;
	uint64_t lapic_addr = get32(t + MADT_LAPIC_ADDR);
	out->pcat_compat = get32(t + MADT_FLAGS) & MADT_PCAT_COMPAT;
	for (uint32_t off = MADT_ENTRIES; off < len;) {
		if (len - off < 2)
			return -EINVAL;
		uint8_t elen = get8(t + off + 1);
		if (elen < 2 || elen > len - off)
			return -EINVAL;
		if ((err = madt_entry(out, t + off, elen)))
			return err;
		off += elen;
	}
	/* The override wins wherever it comes in the table. */
	if (!out->lapic_addr_override)
		out->lapic_addr = lapic_addr;
	return 0;
}

int acpi_find_madt(vm_paddr_t rsdp, bool v2, struct acpi_madt_info *out)
{
	memset(out, 0, sizeof(*out));
	const uint8_t *r = acpi_map(rsdp, RSDP_V1_LEN);
	if (!r || memcmp(r, "RSD PTR ", 8) || !checksum_ok(r, RSDP_V1_LEN))
		return -EINVAL;
	vm_paddr_t root = get32(r + RSDP_RSDT);
	unsigned entry = 4;
	const char *sig = "RSDT";
	if (v2) {
		r = acpi_map(rsdp, RSDP_V2_LEN);
		uint32_t rlen = r ? get32(r + RSDP_LENGTH) : 0;
		if (rlen < RSDP_V2_LEN || rlen > ACPI_TABLE_MAX || !(r = acpi_map(rsdp, rlen)) ||
		    !checksum_ok(r, rlen))
			return -EINVAL;
		if (get64(r + RSDP_XSDT)) {
			root = get64(r + RSDP_XSDT);
			entry = 8;
			sig = "XSDT";
		}
	}

	uint32_t len;
	const uint8_t *t = sdt_get(root, sig, SDT_HEADER_LEN, &len);
	if (!t)
		return -EINVAL;
	if ((len - SDT_HEADER_LEN) % entry)
		return -EINVAL;
	for (uint32_t off = SDT_HEADER_LEN; off < len; off += entry) {
		vm_paddr_t pa = entry == 8 ? get64(t + off) : get32(t + off);
		const uint8_t *h = acpi_map(pa, SDT_HEADER_LEN);
		if (h && !memcmp(h, "APIC", 4))
			return acpi_parse_madt(pa, out);
	}
	return -ENOENT;
}
