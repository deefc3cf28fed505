/*
 * What the boot loader told us, copied out of the multiboot2 information structure so that the
 * structure's memory can be reused.
 */
#ifndef KERNEL_MULTIBOOT_H
#define KERNEL_MULTIBOOT_H

#include "mm/types.h"

#define BOOT_MMAP_MAX 64
#define BOOT_MODULES_MAX 128

#define MB2_MEM_AVAILABLE 1
#define MB2_MEM_RESERVED 2
#define MB2_MEM_ACPI_RECLAIMABLE 3
#define MB2_MEM_NVS 4
#define MB2_MEM_BAD 5

struct boot_mmap_entry {
	vm_paddr_t base;
	uint64_t len;
	uint32_t type; /* MB2_MEM_* */
};

struct boot_module {
	vm_paddr_t start, end; /* [start, end) physical */
	char name[64];         /* the module's command line: its name */
};

/*
 * Invariant: mmap[0..nmmap) is sorted by base, entries do not overlap, and no two neighbours of the
 * same type touch (they are merged), whichever map the loader gave; where the loader's entries
 * overlapped, memory is available only if none of them said otherwise. boot_mmap_check() checks.
 */
struct boot_info {
	char cmdline[256];
	char loader[64];
	bool efi;           /* the loader passed an EFI system table: the firmware is UEFI */
	bool mmap_from_efi; /* mmap[] is the firmware's EFI memory map, converted to MB2_MEM_* */
	/*
	 * The EFI system table's physical address (0 under BIOS), for reference only: GRUB has exited
	 * boot services, and the runtime services it leads to are not set up for calls from here.
	 */
	vm_paddr_t efi_system_table;
	size_t nmmap;
	struct boot_mmap_entry mmap[BOOT_MMAP_MAX];
	size_t nmodules;
	struct boot_module modules[BOOT_MODULES_MAX];
	vm_paddr_t mbi_start, mbi_end; /* the information structure itself */
	/*
	 * ACPI's root pointer: the physical address of the loader's copy of the RSDP (inside
	 * [mbi_start, mbi_end), which stays reserved), its checksum verified; 0 if none. acpi_rsdp_v2:
	 * the copy is the ACPI 2.0+ structure (with the XSDT's address and its length field); otherwise
	 * only the 20-byte ACPI 1.0 part (the RSDT's address) may be read.
	 */
	vm_paddr_t acpi_rsdp;
	bool acpi_rsdp_v2;
};

extern struct boot_info boot_info;

/*
 * Parse the multiboot2 information at physical address mbi (reached through the boot direct map)
 * into boot_info. Returns 0, or -EINVAL if the structure is malformed (then boot_info holds what
 * came before the bad tag).
 */
int multiboot_parse(vm_paddr_t mbi);

/*
 * The same into *bi (cleared first) from the structure at mbi, which lies at physical address
 * mbi_phys (recorded as mbi_start and as the base of acpi_rsdp). The memory map comes from the EFI
 * memory map tag if there is one, else from the basic one; the RSDP from the new (ACPI 2.0+) tag
 * if its checksums hold, else from the old one (an RSDP that fails them is ignored). Returns 0, or
 * -EINVAL if a tag runs past the structure's end, one this parser reads is shorter than its
 * layout (or its entries shorter than theirs), a module ends before it starts, or no end tag comes.
 */
int multiboot_parse_info(struct boot_info *bi, const void *mbi, vm_paddr_t mbi_phys);

/* Whether the boot_info invariant above holds for bi's memory map. */
bool boot_mmap_check(const struct boot_info *bi);

/*
 * The value of "key=value" on the kernel command line, copied into buf (NUL-terminated, truncated
 * to size); returns false if the key is absent.
 */
bool boot_cmdline_get(const char *key, char *buf, size_t size);

#endif
