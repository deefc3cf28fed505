/*
 * Multiboot2 information parsing (the multiboot2 specification, section 3.6), the same under BIOS
 * and UEFI: GRUB's efi platform gives the firmware's EFI memory map (tag 17) beside the basic map
 * it derives from it, and ACPI's RSDP copied from the EFI configuration table instead of found by
 * scanning the BIOS areas.
 */
#include "kernel/multiboot.h"
#include "kernel/string.h"
#include "mm/memlayout.h"
#include "uapi/errno.h"

struct boot_info boot_info;

#define TAG_END 0
#define TAG_CMDLINE 1
#define TAG_LOADER 2
#define TAG_MODULE 3
#define TAG_MMAP 6
#define TAG_EFI32 11 /* the EFI system table's address: present only under UEFI */
#define TAG_EFI64 12
#define TAG_ACPI_OLD 14
#define TAG_ACPI_NEW 15
#define TAG_EFI_MMAP 17

struct mb2_tag {
	uint32_t type, size;
};

struct mb2_module {
	uint32_t type, size, mod_start, mod_end;
	char cmdline[];
};

struct mb2_mmap {
	uint32_t type, size, entry_size, entry_version;
};

struct mb2_mmap_entry {
	uint64_t base, len;
	uint32_t type, reserved;
};

struct mb2_efi_mmap {
	uint32_t type, size, descr_size, descr_version;
};

/* UEFI's EFI_MEMORY_DESCRIPTOR; descr_size may be larger (newer firmware appends fields). */
struct efi_mem_desc {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start, virt_start, npages, attribute;
};

#define EFI_PAGE_SHIFT 12

/* UEFI memory types (EFI_MEMORY_TYPE) that the kernel tells apart. */
enum {
	EFI_LOADER_CODE = 1,
	EFI_LOADER_DATA = 2,
	EFI_BOOT_SERVICES_CODE = 3,
	EFI_BOOT_SERVICES_DATA = 4,
	EFI_CONVENTIONAL = 7,
	EFI_UNUSABLE = 8,
	EFI_ACPI_RECLAIM = 9,
	EFI_ACPI_NVS = 10,
};

/* ACPI's Root System Description Pointer; the 1.0 structure ends at rsdt. */
struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;  /* the first 20 bytes sum to 0 */
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length; /* 2.0+: of the whole structure */
	uint64_t xsdt;
	uint8_t ext_checksum; /* 2.0+: all length bytes sum to 0 */
	uint8_t reserved[3];
} __attribute__((packed));

#define ACPI_RSDP_V1_SIZE 20

static void copy_str(char *dst, size_t size, const char *src, size_t max)
{
	size_t n = 0;
	while (n + 1 < size && n < max && src[n])
		dst[n] = src[n], n++;
	dst[n] = '\0';
}

static void mmap_remove(struct boot_info *bi, size_t i)
{
	memmove(&bi->mmap[i], &bi->mmap[i + 1], (bi->nmmap - i - 1) * sizeof(bi->mmap[0]));
	bi->nmmap--;
}

/*
 * Put [base, end), which overlaps no entry, into the map: sorted by base, merged with a neighbour
 * of its type that it touches. If the map is full the range is dropped; that is safe whatever its
 * type, since only the available entries are ever handed out.
 */
static void mmap_insert(struct boot_info *bi, uint64_t base, uint64_t end, uint32_t type)
{
	size_t i = 0;

	while (i < bi->nmmap && bi->mmap[i].base < base)
		i++;
	struct boot_mmap_entry *prev = i ? &bi->mmap[i - 1] : NULL;
	struct boot_mmap_entry *next = i < bi->nmmap ? &bi->mmap[i] : NULL;
	if (prev && prev->type == type && prev->base + prev->len == base) {
		prev->len += end - base;
		if (next && next->type == type && end == next->base) {
			prev->len += next->len;
			mmap_remove(bi, i);
		}
		return;
	}
	if (next && next->type == type && end == next->base) {
		next->len += next->base - base;
		next->base = base;
		return;
	}
	if (bi->nmmap == BOOT_MMAP_MAX)
		return;
	memmove(&bi->mmap[i + 1], &bi->mmap[i], (bi->nmmap - i) * sizeof(bi->mmap[0]));
	bi->mmap[i] = (struct boot_mmap_entry){base, end - base, type};
	bi->nmmap++;
}

/*
 * Add [base, base + len) of type to the map, keeping the boot_info invariant. EFI maps list every
 * allocation the firmware made and need not be sorted (OVMF with 512 MiB: 122 descriptors, 17
 * entries once merged). BIOS maps may overlap: where they do, the part not available wins
 * (memory is never handed out if any entry says it is not RAM), else the entry already there.
 * Each pass either shrinks the new range or takes an overlap out of an available entry, so the
 * loop ends; n <= BOOT_MMAP_MAX keeps its restarts cheap.
 */
static void mmap_add(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
	uint64_t end = base + len;
	size_t i = 0;

	if (len == 0 || end < base)
		return;
	while (i < bi->nmmap) {
		struct boot_mmap_entry e = bi->mmap[i];
		uint64_t e_end = e.base + e.len;
		if (e_end <= base || e.base >= end) {
			i++;
			continue;
		}
		if (e.type == MB2_MEM_AVAILABLE && type != MB2_MEM_AVAILABLE) {
			mmap_remove(bi, i);
			if (e.base < base)
				mmap_insert(bi, e.base, base, e.type);
			if (e_end > end)
				mmap_insert(bi, end, e_end, e.type);
		} else {
			if (base < e.base)
				mmap_insert(bi, base, e.base, type);
			if (e_end >= end)
				return;
			base = e_end;
		}
		i = 0;
	}
	mmap_insert(bi, base, end, type);
}

bool boot_mmap_check(const struct boot_info *bi)
{
	if (bi->nmmap > BOOT_MMAP_MAX)
		return false;
	for (size_t i = 0; i < bi->nmmap; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i], *p = i ? e - 1 : NULL;
		if (e->len == 0 || e->base + e->len < e->base)
			return false;
		if (p && (p->base + p->len > e->base ||
			  (p->type == e->type && p->base + p->len == e->base)))
			return false;
	}
	return true;
}

static int parse_mmap(struct boot_info *bi, const struct mb2_tag *tag)
{
	const struct mb2_mmap *mm = (const void *)tag;
	if (tag->size < sizeof(*mm) || mm->entry_size < sizeof(struct mb2_mmap_entry))
		return -EINVAL;
	for (size_t e = sizeof(*mm); e + mm->entry_size <= tag->size; e += mm->entry_size) {
		const struct mb2_mmap_entry *me = (const void *)((const uint8_t *)tag + e);
		mmap_add(bi, me->base, me->len, me->type);
	}
	return 0;
}

/*
 * What an EFI memory type is once boot services have exited (GRUB exits them before entering the
 * kernel): the loader's and boot services' memory is free; runtime services, MMIO and anything
 * unknown stay reserved.
 */
static uint32_t efi_type_to_mb2(uint32_t type)
{
	switch (type) {
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
	case EFI_CONVENTIONAL:
		return MB2_MEM_AVAILABLE;
	case EFI_UNUSABLE:
		return MB2_MEM_BAD;
	case EFI_ACPI_RECLAIM:
		return MB2_MEM_ACPI_RECLAIMABLE;
	case EFI_ACPI_NVS:
		return MB2_MEM_NVS;
	default:
		return MB2_MEM_RESERVED;
	}
}

static int parse_efi_mmap(struct boot_info *bi, const struct mb2_tag *tag)
{
	const struct mb2_efi_mmap *em = (const void *)tag;
	if (tag->size < sizeof(*em) || em->descr_size < sizeof(struct efi_mem_desc))
		return -EINVAL;
	for (size_t e = sizeof(*em); e + em->descr_size <= tag->size; e += em->descr_size) {
		const struct efi_mem_desc *d = (const void *)((const uint8_t *)tag + e);
		if (d->npages > (~0ull >> EFI_PAGE_SHIFT))
			return -EINVAL;
		mmap_add(bi, d->phys_start, d->npages << EFI_PAGE_SHIFT, efi_type_to_mb2(d->type));
	}
	return 0;
}

static bool bytes_sum_to_zero(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;
	while (n--)
		sum += *p++;
	return sum == 0;
}

/* Whether the payload of an RSDP tag (len bytes) holds a valid RSDP; v2: the 2.0+ structure. */
static bool rsdp_valid(const struct acpi_rsdp *r, size_t len, bool v2)
{
	if (len < ACPI_RSDP_V1_SIZE || memcmp(r->signature, "RSD PTR ", 8) ||
	    !bytes_sum_to_zero((const uint8_t *)r, ACPI_RSDP_V1_SIZE))
		return false;
	if (!v2)
		return true;
	return len >= sizeof(*r) && r->revision >= 2 && r->length >= sizeof(*r) &&
	       r->length <= len && bytes_sum_to_zero((const uint8_t *)r, r->length);
}

int multiboot_parse_info(struct boot_info *bi, const void *mbi, vm_paddr_t mbi_phys)
{
	const uint8_t *base = mbi;
	uint32_t total = *(const uint32_t *)base;
	const struct mb2_tag *mmap = NULL, *efi_mmap = NULL;
	size_t off = 8;

	memset(bi, 0, sizeof(*bi));
	bi->mbi_start = mbi_phys;
	bi->mbi_end = mbi_phys + total;
	while (off + sizeof(struct mb2_tag) <= total) {
		const struct mb2_tag *tag = (const void *)(base + off);
		if (tag->size < sizeof(*tag) || tag->size > total - off)
			return -EINVAL;
		size_t payload = tag->size - sizeof(*tag);
		switch (tag->type) {
		case TAG_END:
			bi->mmap_from_efi = efi_mmap != NULL;
			if (efi_mmap)
				return parse_efi_mmap(bi, efi_mmap);
			return mmap ? parse_mmap(bi, mmap) : 0;
		case TAG_CMDLINE:
			copy_str(bi->cmdline, sizeof(bi->cmdline), (const char *)(tag + 1),
				 payload);
			break;
		case TAG_LOADER:
			copy_str(bi->loader, sizeof(bi->loader), (const char *)(tag + 1), payload);
			break;
		case TAG_MODULE: {
			const struct mb2_module *m = (const void *)tag;
			if (tag->size < sizeof(*m) || m->mod_end < m->mod_start)
				return -EINVAL;
			if (bi->nmodules < BOOT_MODULES_MAX) {
				struct boot_module *bm = &bi->modules[bi->nmodules++];
				bm->start = m->mod_start;
				bm->end = m->mod_end;
				copy_str(bm->name, sizeof(bm->name), m->cmdline,
					 tag->size - sizeof(*m));
			}
			break;
		}
		case TAG_MMAP:
			mmap = tag;
			break;
		case TAG_EFI_MMAP:
			efi_mmap = tag;
			break;
		case TAG_EFI32:
			if (payload < sizeof(uint32_t))
				return -EINVAL;
			bi->efi = true;
			bi->efi_system_table = *(const uint32_t *)(tag + 1);
			break;
		case TAG_EFI64:
			if (payload < sizeof(uint64_t))
				return -EINVAL;
			bi->efi = true;
			bi->efi_system_table = *(const uint64_t *)(tag + 1);
			break;
		case TAG_ACPI_OLD:
			/* The new tag wins whatever the order: it carries the XSDT. */
			if (!bi->acpi_rsdp_v2 &&
			    rsdp_valid((const void *)(tag + 1), payload, false))
				bi->acpi_rsdp = mbi_phys + off + sizeof(*tag);
			break;
		case TAG_ACPI_NEW:
			if (rsdp_valid((const void *)(tag + 1), payload, true)) {
				bi->acpi_rsdp = mbi_phys + off + sizeof(*tag);
				bi->acpi_rsdp_v2 = true;
			}
			break;
		default:
			break;
		}
		off += (tag->size + 7) & ~7u;
	}
	return -EINVAL;
}

int multiboot_parse(vm_paddr_t mbi)
{
	return multiboot_parse_info(&boot_info, phys_to_virt(mbi), mbi);
}

bool boot_cmdline_get(const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = boot_info.cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		const char *word = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - word) > klen && !strncmp(word, key, klen) && word[klen] == '=') {
			copy_str(buf, size, word + klen + 1, (size_t)(p - word) - klen - 1);
			return true;
		}
	}
	return false;
}
