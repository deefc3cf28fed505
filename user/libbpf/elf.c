/*
 * Opening a BPF ELF object (contract in elf.h). Every offset and size in the headers is checked
 * against the buffer with arithmetic that cannot wrap, before anything is read through it.
 */
#include "elf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The ELF64 file and section headers, as the specification lays them out. */
struct elf64_ehdr {
	uint8_t e_ident[16];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

struct elf64_shdr {
	uint32_t sh_name;
	uint32_t sh_type;
	uint64_t sh_flags;
	uint64_t sh_addr;
	uint64_t sh_offset;
	uint64_t sh_size;
	uint32_t sh_link;
	uint32_t sh_info;
	uint64_t sh_addralign;
	uint64_t sh_entsize;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header");
_Static_assert(sizeof(struct elf64_shdr) == 64, "ELF64 section header");
_Static_assert(sizeof(struct elf64_sym) == 24, "ELF64 symbol");
_Static_assert(sizeof(struct elf64_rel) == 16, "ELF64 REL entry");

#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1

/* Whether [off, off + len) lies inside a buffer of size bytes. */
static bool in_buf(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

/* Whether a string table's bytes end in a NUL, so that every offset below its size names a string. */
static bool strtab_ok(const uint8_t *data, uint64_t size)
{
	return size > 0 && data && data[size - 1] == 0;
}

int elf_open(const void *buf, size_t size, struct elf_file *ef, const char **why)
{
	struct elf64_ehdr eh;
	struct elf64_shdr sh;

	memset(ef, 0, sizeof(*ef));
	ef->buf = buf;
	ef->size = size;
	*why = "not an ELF object";
	if (!buf || size < sizeof(eh))
		return -ENOEXEC;
	memcpy(&eh, buf, sizeof(eh));
	if (memcmp(eh.e_ident, "\177ELF", 4))
		return -ENOEXEC;
	*why = "not a 64-bit little-endian BPF relocatable object";
	if (eh.e_ident[4] != ELFCLASS64 || eh.e_ident[5] != ELFDATA2LSB || eh.e_machine != EM_BPF ||
	    eh.e_type != ET_REL || eh.e_version != EV_CURRENT)
		return -ENOEXEC;
	*why = "bad section header table";
	if (eh.e_shentsize != sizeof(sh) || eh.e_shnum == 0 || eh.e_shstrndx == 0 ||
	    eh.e_shstrndx >= eh.e_shnum ||
	    !in_buf(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(sh), size))
		return -EINVAL;

	ef->nr_secs = eh.e_shnum;
	ef->secs = calloc(ef->nr_secs, sizeof(*ef->secs));
	if (!ef->secs)
		return -ENOMEM;
	const uint8_t *b = buf;
	for (uint32_t i = 0; i < ef->nr_secs; i++) {
		struct elf_sec *s = &ef->secs[i];

		memcpy(&sh, b + eh.e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		s->size = sh.sh_size;
		s->link = sh.sh_link;
		s->info = sh.sh_info;
		s->entsize = sh.sh_entsize;
		s->name_off = sh.sh_name;
		if (sh.sh_type == SHT_NOBITS || sh.sh_type == SHT_NULL || sh.sh_size == 0)
			continue;
		*why = "section data outside the file";
		if (!in_buf(sh.sh_offset, sh.sh_size, size))
			goto bad;
		s->data = b + sh.sh_offset;
	}

	const struct elf_sec *shstr = &ef->secs[eh.e_shstrndx];
	*why = "bad section name table";
	if (shstr->type != SHT_STRTAB || !strtab_ok(shstr->data, shstr->size))
		goto bad;
	for (uint32_t i = 0; i < ef->nr_secs; i++) {
		if (ef->secs[i].name_off >= shstr->size)
			goto bad;
		ef->secs[i].name = (const char *)shstr->data + ef->secs[i].name_off;
	}

	for (uint32_t i = 1; i < ef->nr_secs; i++) {
		const struct elf_sec *s = &ef->secs[i];

		if (s->type != SHT_SYMTAB)
			continue;
		*why = "more than one symbol table";
		if (ef->symtab_sec)
			goto bad;
		*why = "bad symbol table";
		if (s->size % sizeof(struct elf64_sym) || s->size == 0 || s->link == 0 ||
		    s->link >= ef->nr_secs || ef->secs[s->link].type != SHT_STRTAB ||
		    !strtab_ok(ef->secs[s->link].data, ef->secs[s->link].size))
			goto bad;
		ef->symtab_sec = i;
	}
	if (!ef->symtab_sec)
		return 0;
	const struct elf_sec *st = &ef->secs[ef->symtab_sec];
	ef->nr_syms = (uint32_t)(st->size / sizeof(struct elf64_sym));
	*why = "symbol table too large";
	if ((uint64_t)ef->nr_syms * sizeof(struct elf64_sym) != st->size)
		goto bad;
	ef->syms = malloc(st->size);
	if (!ef->syms) {
		elf_close(ef);
		return -ENOMEM;
	}
	memcpy(ef->syms, st->data, st->size);
	ef->strtab = (const char *)ef->secs[st->link].data;
	ef->strtab_size = ef->secs[st->link].size;
	*why = "symbol name outside the string table";
	for (uint32_t i = 0; i < ef->nr_syms; i++)
		if (ef->syms[i].st_name >= ef->strtab_size)
			goto bad;
	return 0;
bad:
	elf_close(ef);
	return -EINVAL;
}

void elf_close(struct elf_file *ef)
{
	free(ef->secs);
	free(ef->syms);
	ef->secs = NULL;
	ef->syms = NULL;
	ef->nr_secs = ef->nr_syms = 0;
}

const char *elf_sym_name(const struct elf_file *ef, const struct elf64_sym *sym)
{
	return ef->strtab ? ef->strtab + sym->st_name : "";
}

uint32_t elf_find_sec(const struct elf_file *ef, const char *name)
{
	for (uint32_t i = 1; i < ef->nr_secs; i++)
		if (!strcmp(ef->secs[i].name, name))
			return i;
	return 0;
}
