/*
 * A program image as BPF programs see it: Linux's struct file (struct btf_file in kernel C,
 * include/uapi/kestrel_btf_types.h) for each boot module a task is started from, which the VMAs
 * of its segments (vm_file) and its task's mm (exe_file) point to.
 *
 * Boot modules form one read-only file system, mounted at "/", on device IMAGE_BTF_DEV: module
 * "test/find_vma" is the file /test/find_vma, whose dentry is named "find_vma" (d_name and
 * d_shortname, as Linux names an executable's dentry) under a dentry "test" under the root "/"
 * (d_parent is itself at the root). Its inode number is the module's index plus IMAGE_BTF_INO_BASE
 * (unique per module, fixed for the boot), i_size the module's size, i_mode a regular file
 * r-xr-xr-x. The view also knows where the module's PT_LOAD segments lie, to tell which map
 * entries are the image's.
 *
 * Every module's view is made at boot (image_btf_init) and never freed (modules live as long as
 * the kernel), so the pointers in it may be handed to any program run and stay valid, and no
 * test sees memory taken for good in the middle of its run.
 */
#ifndef KERNEL_IMAGE_BTF_H
#define KERNEL_IMAGE_BTF_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/types.h"

struct task;
struct btf_file;
struct image_btf;

/* Linux's new_encode_dev(MKDEV(0, 1)): an anonymous device, as Linux gives in-memory file systems. */
#define IMAGE_BTF_DEV 1u
/* Inode numbers: 1 is the root directory's. */
#define IMAGE_BTF_INO_BASE 16ul

/*
 * Make every boot module's view. Once, at boot, after the heap is up and before any task is
 * spawned; a module whose view cannot be allocated (or whose name has no component) has none.
 */
void image_btf_init(void);

/*
 * The view of the boot module task t was started from, by task_spawn's rule (kernel/task.h: the
 * module named t->name, else "bin/<t->name>"), or NULL for a kernel thread or a module without
 * one. No lock needed, never sleeps, allocates nothing.
 */
const struct image_btf *image_btf_of_task(const struct task *t);

/* The image's file. */
struct btf_file *image_btf_file(const struct image_btf *img);

/*
 * Whether [start, end) lies inside one PT_LOAD segment's pages: true and *pgoff = start's offset
 * in the module file, in pages (Linux's vm_pgoff for a file mapping), else false.
 */
bool image_btf_segment(const struct image_btf *img, vm_offset_t start, vm_offset_t end,
		       uint64_t *pgoff);

/* The pages of the executable segment (Linux's start_code and end_code); both 0 without one. */
void image_btf_text(const struct image_btf *img, vm_offset_t *start, vm_offset_t *end);

/* Check every made view: NULL, or what is broken (names, parents, inode numbers). For tests. */
const char *image_btf_check(void);

#endif
