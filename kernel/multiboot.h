/*
 * What the boot loader told us, copied out of the multiboot2 information structure so that the
 * structure's memory can be reused.
 */
#ifndef KERNEL_MULTIBOOT_H
#define KERNEL_MULTIBOOT_H

#include "mm/types.h"

#define BOOT_MMAP_MAX 64
#define BOOT_MODULES_MAX 64

#define MB2_MEM_AVAILABLE 1
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

struct boot_info {
	char cmdline[256];
	char loader[64];
	size_t nmmap;
	struct boot_mmap_entry mmap[BOOT_MMAP_MAX];
	size_t nmodules;
	struct boot_module modules[BOOT_MODULES_MAX];
	vm_paddr_t mbi_start, mbi_end; /* the information structure itself */
};

extern struct boot_info boot_info;

/*
 * Parse the multiboot2 information at physical address mbi (reached through the boot direct map)
 * into boot_info. Returns 0, or -EINVAL if the structure is malformed (then boot_info holds what
 * came before the bad tag).
 */
int multiboot_parse(vm_paddr_t mbi);

/*
 * The value of "key=value" on the kernel command line, copied into buf (NUL-terminated, truncated
 * to size); returns false if the key is absent.
 */
bool boot_cmdline_get(const char *key, char *buf, size_t size);

#endif
