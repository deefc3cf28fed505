/*
 * A read-only view of a BPF ELF relocatable object (ELF64, little endian, EM_BPF), checked once
 * when it is opened so that nothing read through it afterwards can leave the buffer: every
 * section's bytes, every name and the symbol table are bounds-checked, and string tables must end
 * in a NUL. The buffer need not be aligned (a skeleton embeds it as a string literal), so headers
 * and symbols are copied out rather than read in place.
 *
 * The ELF structures are the ELF64 specification's (field names as <elf.h> spells them); only
 * what a BPF object uses is here. Standard headers only: the host tests compile this file too.
 */
#ifndef USER_LIBBPF_ELF_H
#define USER_LIBBPF_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EM_BPF 247
#define ET_REL 1

#define SHT_NULL 0
#define SHT_PROGBITS 1
#define SHT_SYMTAB 2
#define SHT_STRTAB 3
#define SHT_RELA 4
#define SHT_NOBITS 8
#define SHT_REL 9

#define SHF_WRITE 0x1
#define SHF_ALLOC 0x2
#define SHF_EXECINSTR 0x4

#define SHN_UNDEF 0
#define SHN_LORESERVE 0xff00
#define SHN_ABS 0xfff1
#define SHN_COMMON 0xfff2

#define STB_LOCAL 0
#define STB_GLOBAL 1
#define STB_WEAK 2

#define STT_NOTYPE 0
#define STT_OBJECT 1
#define STT_FUNC 2
#define STT_SECTION 3

#define STV_DEFAULT 0
#define STV_HIDDEN 2

/* BPF relocation types (Linux's Documentation/bpf/llvm_reloc.rst). */
#define R_BPF_NONE 0
#define R_BPF_64_64 1 /* ld_imm64's 64-bit immediate */
#define R_BPF_64_ABS64 2
#define R_BPF_64_ABS32 3
#define R_BPF_64_NODYLD32 4
#define R_BPF_64_32 10 /* a call's imm */

struct elf64_sym {
	uint32_t st_name;
	uint8_t st_info;
	uint8_t st_other;
	uint16_t st_shndx;
	uint64_t st_value;
	uint64_t st_size;
};

#define ELF_ST_BIND(info) ((info) >> 4)
#define ELF_ST_TYPE(info) ((info)&0xf)
#define ELF_ST_VISIBILITY(other) ((other)&0x3)

struct elf64_rel {
	uint64_t r_offset;
	uint64_t r_info;
};

#define ELF_R_SYM(info) ((uint32_t)((info) >> 32))
#define ELF_R_TYPE(info) ((uint32_t)(info))

/* One section. data is NULL for SHT_NOBITS (and for size 0); otherwise size bytes inside the buffer. */
struct elf_sec {
	const char *name;
	uint32_t name_off;
	uint32_t type;
	uint64_t flags;
	const uint8_t *data;
	uint64_t size;
	uint32_t link;
	uint32_t info;
	uint64_t entsize;
};

struct elf_file {
	const uint8_t *buf;
	size_t size;
	struct elf_sec *secs; /* secs[0] is the null section */
	uint32_t nr_secs;
	uint32_t symtab_sec;    /* 0: no symbol table */
	struct elf64_sym *syms; /* copied out, nr_syms of them (syms[0] the null symbol) */
	uint32_t nr_syms;
	const char *strtab; /* the symbol names, strtab_size bytes, NUL-terminated */
	size_t strtab_size;
};

/*
 * Checks and indexes the object in buf (size bytes, which must outlive ef). Returns 0, or -ENOEXEC
 * (not an ELF64 little-endian BPF relocatable object) or -EINVAL (a header, section or symbol
 * table that points outside the buffer or is inconsistent), with why (a static string) in *why;
 * -ENOMEM. On failure nothing is left to free.
 */
int elf_open(const void *buf, size_t size, struct elf_file *ef, const char **why);
/* Frees what elf_open allocated (not buf). */
void elf_close(struct elf_file *ef);
/* The symbol's name ("" for none); always a NUL-terminated string inside the file. */
const char *elf_sym_name(const struct elf_file *ef, const struct elf64_sym *sym);
/* The section with that name, or 0. */
uint32_t elf_find_sec(const struct elf_file *ef, const char *name);

#endif
