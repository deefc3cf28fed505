/*
 * Multiboot2 parsing on synthetic information structures (the BIOS and the UEFI shapes GRUB
 * gives), and what this boot's loader passed: a memory map that keeps its invariant and an RSDP.
 */
#include "kernel/ktest.h"
#include "kernel/multiboot.h"
#include "kernel/string.h"
#include "mm/memlayout.h"
#include "uapi/errno.h"

#define FAKE_PHYS 0x1000000 /* where the synthetic structure claims to lie */
#define EFI_DESC_SIZE 48    /* OVMF's descriptor stride: larger than the 40-byte structure */

static uint8_t mbi[4096] __attribute__((aligned(8)));
static size_t mbi_len;
static struct boot_info parsed;

static void mbi_begin(void)
{
	memset(mbi, 0, sizeof(mbi));
	mbi_len = 8;
}

/* Append a tag of size bytes (header included); returns it. */
static uint8_t *mbi_tag(uint32_t type, uint32_t size)
{
	uint8_t *t = mbi + mbi_len;
	memcpy(t, &type, 4);
	memcpy(t + 4, &size, 4);
	mbi_len += (size + 7) & ~7u;
	return t;
}

/* Parse what was built so far, as is: the total size covers the tags, no end tag is added. */
static int mbi_parse_raw(void)
{
	uint32_t total = (uint32_t)mbi_len;
	memcpy(mbi, &total, 4);
	return multiboot_parse_info(&parsed, mbi, FAKE_PHYS);
}

static int mbi_parse(void)
{
	mbi_tag(0, 8);
	return mbi_parse_raw();
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void basic_mmap(const uint64_t (*e)[3], size_t n)
{
	uint8_t *t = mbi_tag(6, 16 + 24 * n);
	put32(t + 8, 24);
	for (size_t i = 0; i < n; i++) {
		put64(t + 16 + 24 * i, e[i][0]);
		put64(t + 24 + 24 * i, e[i][1]);
		put32(t + 32 + 24 * i, (uint32_t)e[i][2]);
	}
}

/* e[i] = {EFI type, physical start, pages} */
static void efi_mmap(const uint64_t (*e)[3], size_t n)
{
	uint8_t *t = mbi_tag(17, 16 + EFI_DESC_SIZE * n);
	put32(t + 8, EFI_DESC_SIZE);
	put32(t + 12, 1);
	for (size_t i = 0; i < n; i++) {
		uint8_t *d = t + 16 + EFI_DESC_SIZE * i;
		put32(d, (uint32_t)e[i][0]);
		put64(d + 8, e[i][1]);
		put64(d + 24, e[i][2]);
		memset(d + 40, 0xee, EFI_DESC_SIZE - 40); /* fields a newer firmware may append */
	}
}

static void fix_sum(uint8_t *p, size_t n, uint8_t *sum)
{
	uint8_t s = 0;
	*sum = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	*sum = (uint8_t)-s;
}

/* An RSDP tag: 14 with the 20-byte ACPI 1.0 structure, 15 with the 36-byte 2.0 one. */
static uint8_t *rsdp_tag(uint32_t type, bool good)
{
	uint32_t len = type == 15 ? 36 : 20;
	uint8_t *r = mbi_tag(type, 8 + len) + 8;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "KESTRL", 6);
	r[15] = type == 15 ? 2 : 0;
	put32(r + 16, 0x7fe0000);
	fix_sum(r, 20, &r[8]);
	if (type == 15) {
		put32(r + 20, 36);
		put64(r + 24, 0x7fe1000);
		fix_sum(r, 36, &r[32]);
	}
	if (!good)
		r[16] ^= 1;
	return r;
}

/* Whether the parsed map is want[0..n): {base, len, type} each; failures recorded in kt. */
static void check_map(struct ktest_state *kt, const uint64_t (*want)[3], size_t n)
{
	EXPECT_TRUE(boot_mmap_check(&parsed));
	EXPECT_EQ(parsed.nmmap, n);
	for (size_t i = 0; i < n && i < parsed.nmmap; i++) {
		EXPECT_EQ(parsed.mmap[i].base, want[i][0]);
		EXPECT_EQ(parsed.mmap[i].len, want[i][1]);
		EXPECT_EQ(parsed.mmap[i].type, want[i][2]);
	}
}

static const uint64_t bios_map[][3] = {
	{0x100000, 0x7ee0000, MB2_MEM_AVAILABLE}, {0, 0x9fc00, MB2_MEM_AVAILABLE},
	{0x9fc00, 0x400, MB2_MEM_RESERVED},       {0xa0000, 0x60000, MB2_MEM_RESERVED},
	{0xfffc0000, 0x40000, MB2_MEM_RESERVED},
};

KTEST(multiboot, basic_map_sorted_without_efi)
{
	mbi_begin();
	basic_mmap(bios_map, 5);
	ASSERT_EQ(mbi_parse(), 0);
	EXPECT_FALSE(parsed.efi);
	EXPECT_FALSE(parsed.mmap_from_efi);
	EXPECT_TRUE(boot_mmap_check(&parsed));
	ASSERT_EQ(parsed.nmmap, 4); /* the two reserved ranges below 1 MiB touch: one entry */
	EXPECT_EQ(parsed.mmap[0].base, 0);
	EXPECT_EQ(parsed.mmap[0].len, 0x9fc00);
	EXPECT_EQ(parsed.mmap[1].base, 0x9fc00);
	EXPECT_EQ(parsed.mmap[1].len, 0x60400);
	EXPECT_EQ(parsed.mmap[1].type, MB2_MEM_RESERVED);
	EXPECT_EQ(parsed.mmap[2].base, 0x100000);
	EXPECT_EQ(parsed.mmap[2].type, MB2_MEM_AVAILABLE);
	EXPECT_EQ(parsed.mmap[3].base, 0xfffc0000);
	EXPECT_EQ(parsed.acpi_rsdp, 0);
}

KTEST(multiboot, efi_map_wins_and_is_converted)
{
	static const uint64_t efi[][3] = {
		{7, 0x200000, 0x100},  /* conventional */
		{4, 0x100000, 0x100},  /* boot services data: free after ExitBootServices */
		{6, 0x300000, 1},      /* runtime services data */
		{9, 0x301000, 1},      /* ACPI reclaimable */
		{2, 0x302000, 2},      /* loader data */
		{10, 0x304000, 1},     /* ACPI NVS */
		{8, 0x305000, 1},      /* unusable */
		{11, 0xffe00000, 512}, /* MMIO */
		{3, 0x306000, 0x7fa},  /* boot services code */
	};
	mbi_begin();
	basic_mmap(bios_map, 5); /* GRUB's derived map comes first; the EFI one must win anyway */
	mbi_tag(12, 16);
	efi_mmap(efi, 9);
	ASSERT_EQ(mbi_parse(), 0);
	EXPECT_TRUE(parsed.efi);
	EXPECT_TRUE(parsed.mmap_from_efi);
	static const uint64_t want[][3] = {
		{0x100000, 0x200000, MB2_MEM_AVAILABLE},
		{0x300000, 0x1000, MB2_MEM_RESERVED},
		{0x301000, 0x1000, MB2_MEM_ACPI_RECLAIMABLE},
		{0x302000, 0x2000, MB2_MEM_AVAILABLE},
		{0x304000, 0x1000, MB2_MEM_NVS},
		{0x305000, 0x1000, MB2_MEM_BAD},
		{0x306000, 0x7fa000, MB2_MEM_AVAILABLE},
		{0xffe00000, 0x200000, MB2_MEM_RESERVED},
	};
	check_map(kt, want, 8);
}

/* Overlapping BIOS entries: whatever the order, memory any entry calls not RAM is not available. */
KTEST(multiboot, overlapping_entries_reserved_wins)
{
	static const uint64_t avail_first[][3] = {
		{0x100000, 0x400000, MB2_MEM_AVAILABLE},
		{0x200000, 0x100000, MB2_MEM_RESERVED},
		{0x480000, 0x100000, MB2_MEM_NVS},
		{0x180000, 0x10000, MB2_MEM_AVAILABLE},
	};
	static const uint64_t reserved_first[][3] = {
		{0x480000, 0x100000, MB2_MEM_NVS},
		{0x200000, 0x100000, MB2_MEM_RESERVED},
		{0x180000, 0x10000, MB2_MEM_AVAILABLE},
		{0x100000, 0x400000, MB2_MEM_AVAILABLE},
	};
	static const uint64_t want[][3] = {
		{0x100000, 0x100000, MB2_MEM_AVAILABLE},
		{0x200000, 0x100000, MB2_MEM_RESERVED},
		{0x300000, 0x180000, MB2_MEM_AVAILABLE},
		{0x480000, 0x100000, MB2_MEM_NVS},
	};
	mbi_begin();
	basic_mmap(avail_first, 4);
	ASSERT_EQ(mbi_parse(), 0);
	check_map(kt, want, 4);

	mbi_begin();
	basic_mmap(reserved_first, 4);
	ASSERT_EQ(mbi_parse(), 0);
	check_map(kt, want, 4);
}

KTEST(multiboot, efi_system_table_tags)
{
	uint8_t *t;

	mbi_begin();
	ASSERT_EQ(mbi_parse(), 0);
	EXPECT_FALSE(parsed.efi);
	EXPECT_EQ(parsed.efi_system_table, 0);

	mbi_begin();
	t = mbi_tag(12, 16);
	put64(t + 8, 0x1f9ee018);
	ASSERT_EQ(mbi_parse(), 0);
	EXPECT_TRUE(parsed.efi);
	EXPECT_EQ(parsed.efi_system_table, 0x1f9ee018);

	mbi_begin();
	t = mbi_tag(11, 12);
	put32(t + 8, 0x7f9ee018);
	ASSERT_EQ(mbi_parse(), 0);
	EXPECT_TRUE(parsed.efi);
	EXPECT_EQ(parsed.efi_system_table, 0x7f9ee018);
}

KTEST(multiboot, full_map_drops_ranges_keeps_invariant)
{
	static uint64_t efi[BOOT_MMAP_MAX + 8][3];
	for (size_t i = 0; i < BOOT_MMAP_MAX + 8; i++) {
		efi[i][0] = i % 2 ? 7 : 0; /* conventional and reserved alternate: nothing merges */
		efi[i][1] = 0x100000 + 0x1000 * (BOOT_MMAP_MAX + 8 - i);
		efi[i][2] = 1;
	}
	mbi_begin();
	efi_mmap(efi, BOOT_MMAP_MAX + 8);
	ASSERT_EQ(mbi_parse(), 0);
	EXPECT_EQ(parsed.nmmap, BOOT_MMAP_MAX);
	EXPECT_TRUE(boot_mmap_check(&parsed));
}

KTEST(multiboot, new_rsdp_wins_in_either_order)
{
	mbi_begin();
	uint8_t *r = rsdp_tag(15, true);
	rsdp_tag(14, true);
	ASSERT_EQ(mbi_parse(), 0);
	EXPECT_EQ(parsed.acpi_rsdp, FAKE_PHYS + (vm_paddr_t)(r - mbi));
	EXPECT_TRUE(parsed.acpi_rsdp_v2);

	mbi_begin();
	rsdp_tag(14, true);
	r = rsdp_tag(15, true);
	ASSERT_EQ(mbi_parse(), 0);
	EXPECT_EQ(parsed.acpi_rsdp, FAKE_PHYS + (vm_paddr_t)(r - mbi));
	EXPECT_TRUE(parsed.acpi_rsdp_v2);
}

KTEST(multiboot, bad_rsdp_checksum_falls_back_to_old_tag)
{
	mbi_begin();
	uint8_t *old = rsdp_tag(14, true);
	rsdp_tag(15, false);
	ASSERT_EQ(mbi_parse(), 0);
	EXPECT_EQ(parsed.acpi_rsdp, FAKE_PHYS + (vm_paddr_t)(old - mbi));
	EXPECT_FALSE(parsed.acpi_rsdp_v2);

	mbi_begin();
	rsdp_tag(14, false);
	ASSERT_EQ(mbi_parse(), 0);
	EXPECT_EQ(parsed.acpi_rsdp, 0);
}

/* Every tag the parser reads is checked against its layout before a byte of it is used. */
KTEST(multiboot, malformed_structure_is_rejected)
{
	static const uint64_t overflow[][3] = {{7, 0x100000, 1ull << 60}};
	uint8_t *t;

	mbi_begin();
	t = mbi_tag(1, 16);
	put32(t + 4, 4096); /* runs past the end */
	EXPECT_EQ(mbi_parse(), -EINVAL);

	mbi_begin();
	t = mbi_tag(1, 16);
	put32(t + 4, 4); /* shorter than a tag header */
	EXPECT_EQ(mbi_parse(), -EINVAL);

	mbi_begin();
	mbi_tag(1, 16);
	EXPECT_EQ(mbi_parse_raw(), -EINVAL); /* no end tag */

	mbi_begin();
	t = mbi_tag(17, 16);
	put32(t + 8, 8); /* descriptors smaller than EFI's */
	EXPECT_EQ(mbi_parse(), -EINVAL);

	mbi_begin();
	mbi_tag(17, 12); /* shorter than the EFI memory map's header */
	EXPECT_EQ(mbi_parse(), -EINVAL);

	mbi_begin();
	efi_mmap(overflow, 1); /* more pages than 64 bits of address */
	EXPECT_EQ(mbi_parse(), -EINVAL);

	mbi_begin();
	t = mbi_tag(6, 16 + 24);
	put32(t + 8, 16); /* entries smaller than multiboot2's */
	EXPECT_EQ(mbi_parse(), -EINVAL);

	mbi_begin();
	mbi_tag(6, 12); /* shorter than the memory map's header */
	EXPECT_EQ(mbi_parse(), -EINVAL);

	mbi_begin();
	mbi_tag(12, 12); /* a 64-bit system table pointer in 4 bytes */
	EXPECT_EQ(mbi_parse(), -EINVAL);

	mbi_begin();
	mbi_tag(11, 8);
	EXPECT_EQ(mbi_parse(), -EINVAL);

	mbi_begin();
	mbi_tag(3, 12); /* a module without its end address */
	EXPECT_EQ(mbi_parse(), -EINVAL);

	mbi_begin();
	t = mbi_tag(3, 17);
	put32(t + 8, 0x300000);
	put32(t + 12, 0x200000); /* ends before it starts */
	EXPECT_EQ(mbi_parse(), -EINVAL);
}

/* An RSDP tag whose payload is too short for the structure it claims is ignored, not read past. */
KTEST(multiboot, short_rsdp_tags_are_ignored)
{
	mbi_begin();
	uint8_t *r = rsdp_tag(14, true);
	put32(r - 4, 8 + 19);
	ASSERT_EQ(mbi_parse(), 0);
	EXPECT_EQ(parsed.acpi_rsdp, 0);

	mbi_begin();
	r = rsdp_tag(15, true);
	put32(r - 4, 8 + 35);
	ASSERT_EQ(mbi_parse(), 0);
	EXPECT_EQ(parsed.acpi_rsdp, 0);

	mbi_begin();
	r = rsdp_tag(15, true);
	put32(r + 20, 37); /* the length field claims more than the tag holds */
	fix_sum(r, 36, &r[32]);
	ASSERT_EQ(mbi_parse(), 0);
	EXPECT_EQ(parsed.acpi_rsdp, 0);
}

/* What GRUB passed on this boot: QEMU provides ACPI under both firmwares. */
KTEST(multiboot, this_boot_has_a_valid_rsdp_and_map)
{
	EXPECT_TRUE(boot_mmap_check(&boot_info));
	EXPECT_EQ(boot_info.mmap_from_efi, boot_info.efi);
	ASSERT_NE(boot_info.acpi_rsdp, 0);
	EXPECT_GE(boot_info.acpi_rsdp, boot_info.mbi_start);
	EXPECT_LE(boot_info.acpi_rsdp + 20, boot_info.mbi_end);
	const uint8_t *r = phys_to_virt(boot_info.acpi_rsdp);
	uint8_t sum = 0;
	for (size_t i = 0; i < 20; i++)
		sum += r[i];
	EXPECT_EQ(memcmp(r, "RSD PTR ", 8), 0);
	EXPECT_EQ(sum, 0);
	/* OVMF's tables are ACPI 2.0+ */
	if (boot_info.efi)
		EXPECT_TRUE(boot_info.acpi_rsdp_v2);
}
