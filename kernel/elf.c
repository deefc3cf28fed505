/* ELF64 executable checking (contract in kernel/elf.h). */
#include "kernel/elf.h"
#include "kernel/string.h"
#include "mm/memlayout.h"
#include "mm/vm_map.h"
#include "uapi/errno.h"

#define EI_NIDENT 16
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_TLS 7
#define PF_X 0x1
#define PF_W 0x2
#define PF_R 0x4

struct elf64_ehdr {
	uint8_t e_ident[EI_NIDENT];
	uint16_t e_type, e_machine;
	uint32_t e_version;
	uint64_t e_entry, e_phoff, e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header");

struct elf64_phdr {
	uint32_t p_type, p_flags;
	uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header");

static bool header_ok(const struct elf64_ehdr *h, size_t size)
{
	static const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};

	return !memcmp(h->e_ident, magic, 4) && h->e_ident[4] == ELFCLASS64 &&
	       h->e_ident[5] == ELFDATA2LSB && h->e_ident[6] == EV_CURRENT &&
	       h->e_type == ET_EXEC && h->e_machine == EM_X86_64 && h->e_version == EV_CURRENT &&
	       h->e_phentsize == sizeof(struct elf64_phdr) && h->e_phnum >= 1 &&
	       h->e_phnum <= ELF_MAX_PHDRS && h->e_phoff <= size &&
	       (uint64_t)h->e_phnum * sizeof(struct elf64_phdr) <= size - h->e_phoff;
}

static bool segment_ok(const struct elf64_phdr *p, size_t size, vm_offset_t limit)
{
	return p->p_memsz > 0 && p->p_filesz <= p->p_memsz && p->p_offset <= size &&
	       p->p_filesz <= size - p->p_offset && p->p_vaddr >= USER_MIN && p->p_vaddr < limit &&
	       p->p_memsz <= limit - p->p_vaddr && (p->p_flags & (PF_W | PF_X)) != (PF_W | PF_X);
}

static vm_prot_t segment_prot(uint32_t flags)
{
	return (flags & PF_R ? VM_PROT_READ : 0) | (flags & PF_W ? VM_PROT_WRITE : 0) |
	       (flags & PF_X ? VM_PROT_EXECUTE : 0);
}

/* Whether the pages of a and b overlap (both checked: no wrap). */
static bool pages_overlap(const struct elf_segment *a, const struct elf_segment *b)
{
	return trunc_page(a->vaddr) < round_page(b->vaddr + b->memsz) &&
	       trunc_page(b->vaddr) < round_page(a->vaddr + a->memsz);
}

int elf_parse(const void *file, size_t size, vm_offset_t limit, struct elf_image *out)
{
	struct elf64_ehdr h;
	bool entry_ok = false;

	if (size < sizeof(h))
		return -ENOEXEC;
	memcpy(&h, file, sizeof(h));
	if (!header_ok(&h, size))
		return -ENOEXEC;
	out->entry = h.e_entry;
	out->nsegs = 0;
	for (unsigned i = 0; i < h.e_phnum; i++) {
		struct elf64_phdr p;
		memcpy(&p, (const uint8_t *)file + h.e_phoff + i * sizeof(p), sizeof(p));
		if (p.p_type == PT_INTERP || p.p_type == PT_DYNAMIC || p.p_type == PT_TLS)
			return -ENOEXEC;
		if (p.p_type != PT_LOAD)
			continue;
		if (out->nsegs == ELF_MAX_LOADS || !segment_ok(&p, size, limit))
			return -ENOEXEC;
		struct elf_segment *s = &out->seg[out->nsegs];
		*s = (struct elf_segment){p.p_vaddr, p.p_memsz, p.p_offset, p.p_filesz,
					  segment_prot(p.p_flags)};
		for (unsigned j = 0; j < out->nsegs; j++)
			if (pages_overlap(s, &out->seg[j]))
				return -ENOEXEC;
		if ((s->prot & VM_PROT_EXECUTE) && h.e_entry >= s->vaddr &&
		    h.e_entry - s->vaddr < s->memsz)
			entry_ok = true;
		out->nsegs++;
	}
	return out->nsegs && entry_ok ? 0 : -ENOEXEC;
}
