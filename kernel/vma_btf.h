/*
 * A VMA as BPF programs see it: Linux's struct vm_area_struct (include/uapi/kestrel_btf_types.h)
 * filled from a vm_map entry, for the pointers programs are handed (bpf_find_vma's callback, the
 * task_vma iterator kfuncs, iter/task_vma programs). The record is a snapshot in memory the
 * caller provides (its stack, an iterator's state): it stays valid however the map changes.
 *
 * vm_flags uses include/uapi/bpf.h's VM_* bits (as the native struct bpf_vma: protection,
 * VM_MAY* from max_protection, VM_GUARD, VM_STACK, VM_SUPERPAGE); vm_mm points to the task's mm
 * view (kernel/task_btf.h); vm_file points to the program image's file view
 * (kernel/image_btf.h: a struct file whose f_path.dentry names the program, as Linux names the
 * executable: d_shortname "find_vma" for a program spawned as find_vma; these views live as long
 * as the kernel) for an entry exec mapped from the program file (text and data: the map
 * listing's VM_ENT_IMAGE entries, which lie inside the pages of the image's PT_LOAD segments; an
 * anonymous or shared mapping placed there has none), and is NULL for anonymous memory, guards,
 * the stack and the trampoline. vm_pgoff is a file entry's offset in
 * the module file in pages, else the entry's object offset in pages (as struct bpf_vma).
 */
#ifndef KERNEL_VMA_BTF_H
#define KERNEL_VMA_BTF_H

#include "mm/vm_map.h"
#include "uapi/kestrel_btf_types.h"

struct image_btf;
struct task;

struct vma_btf {
	struct vm_area_struct vma;
};

/*
 * What every record of one task's map shares, looked up once for a walk or a call rather than per
 * entry: the task's map, its mm view and its program image's view (NULL when the task has no view
 * yet: see vma_btf_prepare). Valid while the task is alive and its view unchanged (a view, once
 * made, lives as long as the task).
 */
struct vma_btf_ctx {
	vm_map_t map;
	struct mm_struct *mm;
	const struct image_btf *img;
};

/* Fill c for task t (alive). Never sleeps, takes no lock, allocates nothing. */
void vma_btf_ctx_init(struct vma_btf_ctx *c, struct task *t);

/*
 * Fill out from entry e of the map c was made for. That map's lock held (read is enough); never
 * sleeps, allocates nothing (without the views vm_mm and vm_file are NULL). Takes e's object's
 * lock (a spinlock) for VM_SUPERPAGE, so the caller must not hold it.
 */
void vma_btf_fill_ctx(struct vma_btf *out, const struct vma_btf_ctx *c,
		      const struct vm_map_entry *e);

/*
 * vma_btf_fill_ctx with a context made for t on the spot, for a single record of t's map (t alive,
 * its map lock held). A walk over many entries makes the context once instead.
 */
void vma_btf_fill(struct vma_btf *out, struct task *t, const struct vm_map_entry *e);

/*
 * Make sure the views vma_btf_fill points to exist for t (its task view and its program image's
 * file view, task_btf_view): 0, or -ENOMEM. Call with no spinlock held, before taking the map
 * lock (it may try the lock for reading, never waits); never sleeps, so a program run may call it.
 */
int vma_btf_prepare(struct task *t);

#endif
