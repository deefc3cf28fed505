/*
 * Static ELF64 executables for x86_64 (the System V gABI and its x86_64 supplement), checked as
 * hostile input: the loader trusts no field until it has been checked here.
 */
#ifndef KERNEL_ELF_H
#define KERNEL_ELF_H

#include <stddef.h>
#include <stdint.h>
#include "mm/types.h"

#define ELF_MAX_PHDRS 16 /* program headers a file may have */
#define ELF_MAX_LOADS 4  /* PT_LOAD segments a file may have */

/* One PT_LOAD segment as checked: file bytes [offset, offset + filesz) go to vaddr, then zeroes to memsz. */
struct elf_segment {
	vm_offset_t vaddr;
	vm_size_t memsz;
	uint64_t offset, filesz;
	vm_prot_t prot; /* VM_PROT_* from p_flags; never both WRITE and EXECUTE */
};

struct elf_image {
	vm_offset_t entry;
	unsigned nsegs;
	struct elf_segment seg[ELF_MAX_LOADS];
};

/*
 * Check that file[0, size) is an executable Kestrel can load and describe its segments in *out.
 * Returns 0 or -ENOEXEC when anything is off: not ELF64 little-endian x86_64 ET_EXEC of the current
 * version; program headers not 56 bytes each, more than ELF_MAX_PHDRS of them, or outside the file;
 * PT_INTERP, PT_DYNAMIC or PT_TLS present; no PT_LOAD or more than ELF_MAX_LOADS; a PT_LOAD with
 * memsz 0 or memsz < filesz, file bytes outside the file, an address range outside
 * [USER_MIN, limit) or wrapping, both write and execute rights, or a page shared with another
 * PT_LOAD; an entry point outside every executable segment. Other program header types are
 * ignored. Reads only inside file[0, size).
 */
int elf_parse(const void *file, size_t size, vm_offset_t limit, struct elf_image *out);

#endif
