/*
 * elf_parse with hostile headers: a minimal valid executable is accepted, and each single-field
 * corruption of it is refused with -ENOEXEC; every program in the boot image is accepted; spawn
 * refuses modules that are not programs without leaving anything allocated.
 */
#include "kernel/elf.h"
#include "kernel/ktest.h"
#include "kernel/multiboot.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "uapi/errno.h"

struct ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define NPH 6
struct image {
	struct ehdr h;
	struct phdr ph[NPH];
	uint8_t body[256];
};

/* text R+X at 0x400000 (entry inside), data R+W at 0x401000 with bss, and PT_NOTEs to ignore. */
static void make_valid(struct image *im)
{
	memset(im, 0, sizeof(*im));
	memcpy(im->h.ident,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	im->h.type = 2;
	im->h.machine = 62;
	im->h.version = 1;
	im->h.entry = 0x400010;
	im->h.phoff = offsetof(struct image, ph);
	im->h.ehsize = sizeof(struct ehdr);
	im->h.phentsize = sizeof(struct phdr);
	im->h.phnum = NPH;
	im->ph[0] = (struct phdr){1, 5, 0, 0x400000, 0x400000, sizeof(*im), sizeof(*im), 0x1000};
	im->ph[1] = (struct phdr){
		1, 6, offsetof(struct image, body), 0x401000, 0x401000, 64, 0x3000, 0x1000};
	for (int i = 2; i < NPH; i++)
		im->ph[i] = (struct phdr){4, 4, 0, 0, 0, 0, 0, 4};
}

/* Turn n of the PT_NOTEs into read-only PT_LOADs of one page each, at 0x500000, 0x600000, ... */
static int add_loads(struct image *im, int n)
{
	for (int i = 0; i < n; i++)
		im->ph[2 + i] =
			(struct phdr){1, 4, 0, 0x500000 + 0x100000ul * i, 0, 0, 0x1000, 0x1000};
	return n;
}

static int parse(struct image *im, size_t size)
{
	struct elf_image out;
	return elf_parse(im, size, USER_IMAGE_LIMIT, &out);
}

KTEST(elf, accepts_a_minimal_executable)
{
	struct image im;
	struct elf_image out;
	make_valid(&im);
	ASSERT_EQ(elf_parse(&im, sizeof(im), USER_IMAGE_LIMIT, &out), 0);
	EXPECT_EQ(out.entry, 0x400010);
	EXPECT_EQ(out.nsegs, 2);
	EXPECT_EQ(out.seg[0].prot, VM_PROT_READ | VM_PROT_EXECUTE);
	EXPECT_EQ(out.seg[1].prot, VM_PROT_READ | VM_PROT_WRITE);
	EXPECT_EQ(out.seg[1].memsz, 0x3000);
	add_loads(&im, 2); /* four in all: the most allowed */
	EXPECT_EQ(elf_parse(&im, sizeof(im), USER_IMAGE_LIMIT, &out), 0);
	EXPECT_EQ(out.nsegs, 4);
}

KTEST(elf, refuses_each_corruption)
{
	struct image im;
	/* Each line: one corruption of the valid image; all must be refused. */
#define REFUSE(what, stmt)                                          \
	do {                                                        \
		make_valid(&im);                                    \
		stmt;                                               \
		if (parse(&im, sizeof(im)) != -ENOEXEC)             \
			KT_FAIL("accepted an image with %s", what); \
	} while (0)
	REFUSE("bad magic", im.h.ident[1] = 'X');
	REFUSE("32-bit class", im.h.ident[4] = 1);
	REFUSE("big endian", im.h.ident[5] = 2);
	REFUSE("ident version 0", im.h.ident[6] = 0);
	REFUSE("ET_DYN", im.h.type = 3);
	REFUSE("i386 machine", im.h.machine = 3);
	REFUSE("version 0", im.h.version = 0);
	REFUSE("phentsize 32", im.h.phentsize = 32);
	REFUSE("no program headers", im.h.phnum = 0);
	REFUSE("17 program headers", im.h.phnum = 17);
	REFUSE("phoff past the end", im.h.phoff = sizeof(im));
	REFUSE("phoff wrapping", im.h.phoff = ~0ull - 8);
	REFUSE("headers running off the end", im.h.phoff = sizeof(im) - sizeof(struct phdr));
	REFUSE("PT_INTERP", im.ph[2].type = 3);
	REFUSE("PT_DYNAMIC", im.ph[2].type = 2);
	REFUSE("PT_TLS", im.ph[2].type = 7);
	REFUSE("no PT_LOAD", (im.ph[0].type = 4, im.ph[1].type = 4));
	REFUSE("memsz 0", im.ph[1].memsz = 0);
	REFUSE("filesz > memsz", im.ph[1].filesz = 0x4000);
	REFUSE("file bytes past the end", im.ph[1].filesz = sizeof(im));
	REFUSE("offset past the end", im.ph[1].offset = sizeof(im) + 1);
	REFUSE("offset wrapping", (im.ph[1].offset = ~0ull - 16, im.ph[1].filesz = 64));
	REFUSE("vaddr 0", im.ph[1].vaddr = 0);
	REFUSE("vaddr in page 0", im.ph[1].vaddr = 0xff0);
	REFUSE("segment past the user limit", im.ph[1].vaddr = USER_IMAGE_LIMIT - 0x1000);
	REFUSE("segment in the kernel", im.ph[1].vaddr = KERNEL_BASE);
	REFUSE("segment wrapping", (im.ph[1].vaddr = 0x401000, im.ph[1].memsz = ~0ull - 0x1000));
	REFUSE("write+execute", im.ph[1].flags = 7);
	REFUSE("overlapping pages", im.ph[1].vaddr = 0x400800);
	REFUSE("shared last page", im.ph[1].vaddr = 0x400000 + sizeof(im) + 8);
	REFUSE("entry outside every segment", im.h.entry = 0x500000);
	REFUSE("entry in the data segment", im.h.entry = 0x401008);
	REFUSE("entry at text end", im.h.entry = 0x400000 + sizeof(im));
	REFUSE("five PT_LOADs", (add_loads(&im, 3)));
	EXPECT_EQ(parse(&im, 63), -ENOEXEC);
	make_valid(&im);
	EXPECT_EQ(parse(&im, sizeof(struct ehdr) + sizeof(struct phdr)), -ENOEXEC);
#undef REFUSE
}

KTEST(elf, boot_programs_parse)
{
	size_t n = 0;
	for (size_t i = 0; i < boot_info.nmodules; i++) {
		const struct boot_module *m = &boot_info.modules[i];
		struct elf_image out;
		if (elf_parse(phys_to_virt(m->start), m->end - m->start, USER_IMAGE_LIMIT, &out))
			KT_FAIL("module %s refused", m->name);
		n++;
	}
	EXPECT_GT(n, 0);
}

/* A boot module made up for the test: len bytes of content at a fresh frame. */
static struct boot_module *fake_module(const char *name, const void *content, size_t len)
{
	vm_page_t page = pmm_alloc_order(0, PMM_ZERO);
	if (!page || boot_info.nmodules == BOOT_MODULES_MAX)
		return NULL;
	struct boot_module *m = &boot_info.modules[boot_info.nmodules++];
	m->start = vm_page_to_phys(page);
	m->end = m->start + len;
	memcpy(phys_to_virt(m->start), content, len);
	memcpy(m->name, name, strlen(name) + 1);
	return m;
}

static void drop_fake_module(struct boot_module *m)
{
	pmm_free(phys_to_vm_page(m->start));
	boot_info.nmodules--;
}

KTEST(elf, spawn_refuses_bad_programs_and_leaves_nothing)
{
	static const char garbage[] = "#!/bin/sh\necho not an ELF file\n";
	struct image im;
	char *argv[] = {"x"};

	struct boot_module *m = fake_module("test-only/garbage", garbage, sizeof(garbage));
	ASSERT_NONNULL(m);
	EXPECT_EQ(task_spawn("test-only/garbage", 1, argv), -ENOEXEC);
	drop_fake_module(m);

	make_valid(&im);
	im.ph[1].flags = 7; /* write+execute */
	m = fake_module("test-only/wx", &im, sizeof(im));
	ASSERT_NONNULL(m);
	EXPECT_EQ(task_spawn("test-only/wx", 1, argv), -ENOEXEC);
	drop_fake_module(m);
	EXPECT_EQ(task_count_user(), 0);
}
