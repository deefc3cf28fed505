/*
 * The views BPF programs get of VMAs and program images (kernel/vma_btf.h, kernel/image_btf.h):
 * every boot module's file view (names, parents, inode numbers, segments) for the names a task
 * may be spawned by; vma_btf_fill on maps built here, without a task view (vm_mm and vm_file
 * NULL), with one (vm_mm the view's mm, vm_file set exactly on the image's segments and nowhere
 * else), and with a real 2 MiB page mapped (VM_SUPERPAGE).
 */
#include "kernel/elf.h"
#include "kernel/image_btf.h"
#include "kernel/ktest.h"
#include "kernel/multiboot.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "kernel/task_btf.h"
#include "kernel/vma_btf.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"
#include "mm/pmm.h"
#include "uapi/bpf.h"

#define RW (VM_PROT_READ | VM_PROT_WRITE)

/* A user task that never runs: just what the views read (name, user, map). */
static struct task fake;

static void fake_task(const char *name, vm_map_t map)
{
	memset(&fake, 0, sizeof(fake));
	fake.user = true;
	fake.pid = 999999;
	size_t n = strlen(name);
	memcpy(fake.name, name, n < TASK_NAME_MAX - 1 ? n : TASK_NAME_MAX - 1);
	fake.map = map;
}

static size_t idle_frames(void)
{
	kmem_reap();
	return pmm_free_count();
}

static const char *base_name(const char *path)
{
	const char *b = path;

	for (const char *p = path; *p; p++)
		if (*p == '/' && p[1])
			b = p + 1;
	return b;
}

KTEST(image_btf, every_module_by_every_spawn_name)
{
	EXPECT_NULL(image_btf_check());
	for (size_t i = 0; i < boot_info.nmodules; i++) {
		const char *name = boot_info.modules[i].name;
		fake_task(name, NULL);
		const struct image_btf *img = image_btf_of_task(&fake);
		ASSERT_NONNULL(img);
		struct btf_file *f = image_btf_file(img);
		const struct dentry *d = f->f_path.dentry;
		EXPECT_EQ(strcmp((const char *)d->d_name.name, base_name(name)), 0);
		EXPECT_EQ(strcmp((const char *)d->d_shortname.string, base_name(name)), 0);
		EXPECT_EQ(d->d_name.len, strlen(base_name(name)));
		EXPECT_TRUE(f->f_inode == d->d_inode);
		EXPECT_EQ(f->f_inode->i_ino, IMAGE_BTF_INO_BASE + i);
		EXPECT_EQ(f->f_inode->i_sb->s_dev, IMAGE_BTF_DEV);
		EXPECT_EQ(f->f_inode->i_size,
			  boot_info.modules[i].end - boot_info.modules[i].start);
		/* Up the parents to the root, which is its own parent and the mount's root. */
		int depth = 0;
		while (d->d_parent != d && depth < 40) {
			d = d->d_parent;
			depth++;
		}
		EXPECT_TRUE(d == f->f_path.mnt->mnt_root);
		EXPECT_EQ(strcmp((const char *)d->d_name.name, "/"), 0);
		EXPECT_GE(depth, 1);

		/* "bin/X" is spawned as "X" too: the same view. */
		if (!strncmp(name, "bin/", 4)) {
			fake_task(name + 4, NULL);
			EXPECT_TRUE(image_btf_of_task(&fake) == img);
		}

		/* Its segments, page by page, and nothing just outside them. */
		struct elf_image elf;
		ASSERT_EQ(elf_parse(phys_to_virt(boot_info.modules[i].start),
				    boot_info.modules[i].end - boot_info.modules[i].start,
				    USER_IMAGE_LIMIT, &elf),
			  0);
		vm_offset_t text_start, text_end;
		image_btf_text(img, &text_start, &text_end);
		EXPECT_NE(text_start, 0);
		for (unsigned s = 0; s < elf.nsegs; s++) {
			vm_offset_t start = trunc_page(elf.seg[s].vaddr),
				    end = round_page(elf.seg[s].vaddr + elf.seg[s].memsz);
			uint64_t pgoff = ~0ull;
			EXPECT_TRUE(image_btf_segment(img, start, end, &pgoff));
			EXPECT_EQ(pgoff, (elf.seg[s].offset - (elf.seg[s].vaddr & PAGE_MASK)) >>
						 PAGE_SHIFT);
			EXPECT_TRUE(image_btf_segment(img, end - PAGE_SIZE, end, &pgoff));
			EXPECT_FALSE(image_btf_segment(img, start, end + PAGE_SIZE, &pgoff));
			if (elf.seg[s].prot & VM_PROT_EXECUTE) {
				EXPECT_EQ(text_start, start);
				EXPECT_EQ(text_end, end);
			}
		}
	}
	fake_task("no/such/module", NULL);
	EXPECT_NULL(image_btf_of_task(&fake));
	fake_task(boot_info.nmodules ? boot_info.modules[0].name : "x", NULL);
	fake.user = false;
	EXPECT_NULL(image_btf_of_task(&fake));
	EXPECT_NULL(image_btf_check());
}

/* The entry of map containing addr (map lock held by the caller). */
static vm_map_entry_t entry_at(vm_map_t map, vm_offset_t addr)
{
	vm_map_entry_t e = NULL;
	return vm_map_lookup_entry(map, addr, &e) ? e : NULL;
}

KTEST(vma_btf, fill_image_anonymous_guard_stack)
{
	size_t before = idle_frames();
	ASSERT_GT(boot_info.nmodules, 0);
	const char *name = boot_info.modules[0].name;
	struct elf_image elf;
	ASSERT_EQ(elf_parse(phys_to_virt(boot_info.modules[0].start),
			    boot_info.modules[0].end - boot_info.modules[0].start, USER_IMAGE_LIMIT,
			    &elf),
		  0);
	vm_map_t map = vm_map_create(NULL, USER_MIN, USER_MAX);
	ASSERT_NONNULL(map);

	/* The image's segments as exec maps them, an anonymous mmap, the stack and its guard. */
	vm_map_lock(map);
	for (unsigned s = 0; s < elf.nsegs; s++)
		ASSERT_EQ(vm_map_insert(map, NULL, 0, trunc_page(elf.seg[s].vaddr),
					round_page(elf.seg[s].vaddr + elf.seg[s].memsz),
					elf.seg[s].prot, elf.seg[s].prot, MAP_CREATE_IMAGE),
			  KERN_SUCCESS);
	vm_offset_t anon = 0x100000000ull, top = USER_CB_TRAMPOLINE - 16 * PAGE_SIZE;
	vm_offset_t bottom = top - USER_STACK_SIZE;
	ASSERT_EQ(vm_map_insert(map, NULL, 0, anon, anon + 4 * PAGE_SIZE, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	ASSERT_EQ(vm_map_insert(map, NULL, 0, bottom - USER_STACK_GUARD, bottom, VM_PROT_NONE,
				VM_PROT_NONE, MAP_CREATE_GUARD),
		  KERN_SUCCESS);
	ASSERT_EQ(vm_map_insert(map, NULL, 0, bottom, top, RW, RW, MAP_CREATE_STACK), KERN_SUCCESS);
	vm_map_unlock(map);

	fake_task(name, map);
	struct vma_btf v;
	vm_map_lock_read(map);
	/* No view made yet: the bounds and flags, no mm, no file. */
	vm_map_entry_t e = entry_at(map, anon + PAGE_SIZE);
	ASSERT_NONNULL(e);
	vma_btf_fill(&v, &fake, e);
	EXPECT_EQ(v.vma.vm_start, anon);
	EXPECT_EQ(v.vma.vm_end, anon + 4 * PAGE_SIZE);
	EXPECT_EQ(v.vma.vm_flags, VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC);
	EXPECT_EQ(v.vma.vm_pgoff, (anon & SUPERPAGE_MASK) >> PAGE_SHIFT);
	EXPECT_NULL(v.vma.vm_mm);
	EXPECT_NULL(v.vma.vm_file);
	vm_map_unlock_read(map);

	ASSERT_EQ(vma_btf_prepare(&fake), 0);
	struct task_struct *task = task_btf_peek(&fake);
	ASSERT_NONNULL(task);
	const struct image_btf *img = image_btf_of_task(&fake);
	ASSERT_NONNULL(img);
	EXPECT_TRUE(task->mm->exe_file == image_btf_file(img));
	EXPECT_EQ(task->mm->start_stack, top);
	vm_map_lock_read(map);
	vma_btf_fill(&v, &fake, entry_at(map, anon));
	EXPECT_TRUE(v.vma.vm_mm == task->mm);
	EXPECT_NULL(v.vma.vm_file);
	for (unsigned s = 0; s < elf.nsegs; s++) {
		vma_btf_fill(&v, &fake, entry_at(map, elf.seg[s].vaddr));
		EXPECT_TRUE(v.vma.vm_file == image_btf_file(img));
		EXPECT_EQ(v.vma.vm_flags & (VM_READ | VM_WRITE | VM_EXEC), elf.seg[s].prot);
		EXPECT_EQ(v.vma.vm_flags & (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC),
			  (uint64_t)elf.seg[s].prot << 4);
		EXPECT_EQ(v.vma.vm_pgoff,
			  (elf.seg[s].offset - (elf.seg[s].vaddr & PAGE_MASK)) >> PAGE_SHIFT);
		EXPECT_TRUE(v.vma.vm_mm == task->mm);
	}
	vma_btf_fill(&v, &fake, entry_at(map, bottom));
	EXPECT_EQ(v.vma.vm_flags, VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_STACK);
	EXPECT_NULL(v.vma.vm_file);
	vma_btf_fill(&v, &fake, entry_at(map, bottom - 1));
	EXPECT_EQ(v.vma.vm_flags, VM_GUARD);
	EXPECT_NULL(v.vma.vm_file);
	vm_map_unlock_read(map);

	/* An anonymous mapping put over the image's text has no file. */
	vm_offset_t text = trunc_page(elf.seg[0].vaddr);
	ASSERT_EQ(vm_map_fixed(map, NULL, 0, text, PAGE_SIZE, RW, VM_PROT_ALL, 0), KERN_SUCCESS);
	vm_map_lock_read(map);
	vma_btf_fill(&v, &fake, entry_at(map, text));
	EXPECT_NULL(v.vma.vm_file);
	vm_map_unlock_read(map);

	task_btf_free(&fake);
	vm_map_destroy(map);
	EXPECT_EQ(idle_frames(), before);
}

/* VM_SUPERPAGE of the entry at addr. */
static uint64_t superpage_of(vm_map_t map, vm_offset_t addr)
{
	struct vma_btf v;

	vm_map_lock_read(map);
	vma_btf_fill(&v, &fake, entry_at(map, addr));
	vm_map_unlock_read(map);
	return v.vma.vm_flags & VM_SUPERPAGE;
}

KTEST(vma_btf, superpage_flag)
{
	size_t before = idle_frames();
	vm_map_t map = vm_map_create(pmap_kernel(), KVA_SCRATCH, KVA_SCRATCH + KVA_SCRATCH_SIZE);
	ASSERT_NONNULL(map);
	fake_task("no/such/module", map);

	/* 3 MiB from 3 MiB past a 1 GiB boundary: only [4 MiB, 6 MiB) can be a 2 MiB page. */
	vm_offset_t a = KVA_SCRATCH + 3 * SUPERPAGE_SIZE / 2,
		    small = KVA_SCRATCH + 4 * SUPERPAGE_SIZE;
	ASSERT_EQ(
		vm_map_find(map, NULL, 0, &a, 3 * SUPERPAGE_SIZE / 2, 0, VMFS_NO_SPACE, RW, RW, 0),
		KERN_SUCCESS);
	ASSERT_EQ(
		vm_map_find(map, NULL, 0, &small, SUPERPAGE_SIZE / 2, 0, VMFS_NO_SPACE, RW, RW, 0),
		KERN_SUCCESS);
	EXPECT_EQ(superpage_of(map, a), 0); /* nothing resident */
	ASSERT_EQ(vm_fault(map, a + 0x1000, VM_PROT_WRITE), KERN_SUCCESS);
	ASSERT_EQ(vm_fault(map, small, VM_PROT_WRITE), KERN_SUCCESS);
	EXPECT_EQ(superpage_of(map, a), 0); /* a 4 KiB page below the slot */
	EXPECT_EQ(superpage_of(map, small), 0);

	vm_offset_t slot = KVA_SCRATCH + 2 * SUPERPAGE_SIZE;
	ASSERT_EQ(vm_fault(map, slot + 0x5000, VM_PROT_WRITE), KERN_SUCCESS);
	vm_size_t size = 0;
	ASSERT_TRUE(pmap_query(pmap_kernel(), slot, NULL, NULL, &size));
	EXPECT_EQ(size, SUPERPAGE_SIZE);
	EXPECT_NE(superpage_of(map, a), 0);
	EXPECT_EQ(superpage_of(map, small), 0);

	vm_map_destroy(map);
	EXPECT_EQ(idle_frames(), before);
}
