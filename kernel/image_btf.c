/* Program images as BPF programs see them (contract in kernel/image_btf.h). */
#include "kernel/image_btf.h"

#include "kernel/elf.h"
#include "kernel/multiboot.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"
#include "uapi/kestrel_btf_types.h"

#define MODE_REG_RX 0100555 /* S_IFREG | r-xr-xr-x */
#define MODE_DIR_RX 0040555 /* S_IFDIR | r-xr-xr-x */
#define NAME_LEN sizeof(((struct boot_module *)0)->name)

static struct super_block modules_sb = {.s_dev = IMAGE_BTF_DEV};
static struct inode root_inode = {.i_mode = MODE_DIR_RX, .i_ino = 1, .i_sb = &modules_sb};
static struct dentry root_dentry = {
	.d_parent = &root_dentry,
	.d_name = {.len = 1, .name = root_dentry.d_shortname.string},
	.d_inode = &root_inode,
	.d_shortname = {.string = "/"},
	.d_sb = &modules_sb,
};
static struct vfsmount modules_mnt = {.mnt_root = &root_dentry, .mnt_sb = &modules_sb};

struct image_seg {
	vm_offset_t start, end; /* the segment's pages */
	uint64_t pgoff;         /* start's offset in the file, in pages */
	vm_prot_t prot;
};

/*
 * Invariants (image_btf_check): dentry[ndentries - 1] is the file's (file.f_path.dentry), each
 * dentry's parent is the one before it and the first's is the root; every name is one non-empty
 * path component, NUL-terminated at d_name.len, in d_shortname when it fits (d_name.name then
 * points there) and in path otherwise; inode.i_ino is IMAGE_BTF_INO_BASE + the module's index.
 */
struct image_btf {
	struct btf_file file;
	struct inode inode;
	char path[NAME_LEN]; /* the module's name, '/' replaced by NUL: long components' names */
	unsigned nsegs;
	struct image_seg seg[ELF_MAX_LOADS];
	unsigned ndentries;
	struct dentry dentry[];
};

/* By module index; written at boot only, never freed. */
static struct image_btf *views[BOOT_MODULES_MAX];

/* task_spawn's rule: the module named name, else "bin/<name>"; its index or -1. */
static int module_index(const char *name)
{
	static const char prefix[] = "bin/";

	for (size_t i = 0; i < boot_info.nmodules; i++)
		if (!strcmp(boot_info.modules[i].name, name))
			return (int)i;
	for (size_t i = 0; i < boot_info.nmodules; i++) {
		const char *m = boot_info.modules[i].name;
		if (!strncmp(m, prefix, sizeof(prefix) - 1) &&
		    !strcmp(m + sizeof(prefix) - 1, name))
			return (int)i;
	}
	return -1;
}

static unsigned count_components(const char *path)
{
	unsigned n = 0;

	for (size_t i = 0; path[i]; i++)
		if (path[i] != '/' && (i == 0 || path[i - 1] == '/'))
			n++;
	return n;
}

static void name_dentry(struct dentry *d, struct dentry *parent, const char *name)
{
	size_t len = strlen(name);

	d->d_parent = parent;
	d->d_sb = &modules_sb;
	d->d_name.len = (u32)len;
	if (len < sizeof(d->d_shortname.string)) {
		memcpy(d->d_shortname.string, name, len + 1);
		d->d_name.name = d->d_shortname.string;
	} else {
		d->d_name.name = (const unsigned char *)name;
	}
}

static void read_segments(struct image_btf *img, const struct boot_module *m)
{
	struct elf_image elf;

	/* The task was started from this module, so it parses; if not, the image has no segments. */
	if (elf_parse(phys_to_virt(m->start), m->end - m->start, USER_IMAGE_LIMIT, &elf))
		return;
	for (unsigned i = 0; i < elf.nsegs; i++) {
		const struct elf_segment *s = &elf.seg[i];
		uint64_t in_page = s->vaddr & PAGE_MASK;
		img->seg[i] = (struct image_seg){
			.start = trunc_page(s->vaddr),
			.end = round_page(s->vaddr + s->memsz),
			.pgoff = s->offset >= in_page ? (s->offset - in_page) >> PAGE_SHIFT : 0,
			.prot = s->prot,
		};
	}
	img->nsegs = elf.nsegs;
}

static struct image_btf *view_make(int index)
{
	const struct boot_module *m = &boot_info.modules[index];
	unsigned n = count_components(m->name);
	struct image_btf *img;

	if (!n)
		return NULL;
	img = kzalloc(sizeof(*img) + n * sizeof(struct dentry));
	if (!img)
		return NULL;
	memcpy(img->path, m->name, NAME_LEN);
	img->path[NAME_LEN - 1] = 0;
	size_t len = strlen(img->path);
	for (size_t i = 0; i < len; i++)
		if (img->path[i] == '/')
			img->path[i] = 0;
	struct dentry *parent = &root_dentry;
	for (size_t i = 0; i < len; i++) {
		if (img->path[i] && (i == 0 || !img->path[i - 1])) {
			struct dentry *d = &img->dentry[img->ndentries++];
			name_dentry(d, parent, &img->path[i]);
			parent = d;
		}
	}
	img->inode = (struct inode){
		.i_mode = MODE_REG_RX,
		.i_ino = IMAGE_BTF_INO_BASE + (unsigned long)index,
		.i_sb = &modules_sb,
		.i_size = (loff_t)(m->end - m->start),
	};
	parent->d_inode = &img->inode;
	img->file = (struct btf_file){
		.f_path = {.mnt = &modules_mnt, .dentry = parent},
		.f_inode = &img->inode,
		.f_mode = 0x1 | 0x4, /* FMODE_READ | FMODE_LSEEK */
	};
	read_segments(img, m);
	return img;
}

void image_btf_init(void)
{
	for (size_t i = 0; i < boot_info.nmodules; i++)
		views[i] = view_make((int)i);
}

const struct image_btf *image_btf_of_task(const struct task *t)
{
	int i = t->user ? module_index(t->name) : -1;

	return i < 0 ? NULL : views[i];
}

struct btf_file *image_btf_file(const struct image_btf *img)
{
	/* Linux's types give vm_file and exe_file no const; programs only read through them. */
	return (struct btf_file *)(uintptr_t)&img->file;
}

bool image_btf_segment(const struct image_btf *img, vm_offset_t start, vm_offset_t end,
		       uint64_t *pgoff)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct image_seg *s = &img->seg[i];
		if (start >= s->start && end <= s->end) {
			*pgoff = s->pgoff + ((start - s->start) >> PAGE_SHIFT);
			return true;
		}
	}
	return false;
}

void image_btf_text(const struct image_btf *img, vm_offset_t *start, vm_offset_t *end)
{
	*start = *end = 0;
	for (unsigned i = 0; i < img->nsegs; i++) {
		if (img->seg[i].prot & VM_PROT_EXECUTE) {
			*start = img->seg[i].start;
			*end = img->seg[i].end;
			return;
		}
	}
}

static const char *check_dentry(const struct dentry *d)
{
	const char *name = (const char *)d->d_name.name;

	if (!name || !d->d_name.len || strlen(name) != d->d_name.len || strchr(name, '/'))
		return "a dentry's name is not one path component of d_name.len bytes";
	if ((d->d_name.len < sizeof(d->d_shortname.string)) !=
	    (name == (const char *)d->d_shortname.string))
		return "a short name is not in d_shortname, or a long one is";
	if (d->d_sb != &modules_sb)
		return "a dentry is not on the modules' file system";
	return NULL;
}

const char *image_btf_check(void)
{
	if (root_dentry.d_parent != &root_dentry || root_dentry.d_name.len != 1)
		return "the root dentry is not \"/\" and its own parent";
	for (size_t i = 0; i < BOOT_MODULES_MAX; i++) {
		const struct image_btf *img = views[i];
		if (!img)
			continue;
		if (i >= boot_info.nmodules ||
		    img->ndentries != count_components(boot_info.modules[i].name))
			return "a view has not one dentry per component of its module's name";
		const struct dentry *parent = &root_dentry;
		for (unsigned k = 0; k < img->ndentries; k++) {
			const char *err = check_dentry(&img->dentry[k]);
			if (err)
				return err;
			if (img->dentry[k].d_parent != parent)
				return "a dentry's parent is not the directory before it";
			parent = &img->dentry[k];
		}
		if (img->file.f_path.dentry != parent || img->file.f_inode != &img->inode ||
		    parent->d_inode != &img->inode || img->file.f_path.mnt != &modules_mnt)
			return "the file is not its last dentry's, with its inode, on the modules' mount";
		if (img->inode.i_ino != IMAGE_BTF_INO_BASE + i || img->inode.i_sb != &modules_sb)
			return "an inode number is not the module's";
	}
	return NULL;
}
