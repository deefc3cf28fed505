/* A VMA as BPF programs see it (contract in kernel/vma_btf.h). */
#include "kernel/vma_btf.h"

#include "kernel/image_btf.h"
#include "kernel/task.h"
#include "kernel/task_btf.h"
#include "uapi/bpf.h"
#include "uapi/errno.h"

_Static_assert(VM_READ == VM_PROT_READ && VM_WRITE == VM_PROT_WRITE && VM_EXEC == VM_PROT_EXECUTE,
	       "vm_flags' protection bits are vm_prot_t's");
_Static_assert(VM_MAYREAD == VM_PROT_READ << 4 && VM_MAYWRITE == VM_PROT_WRITE << 4 &&
		       VM_MAYEXEC == VM_PROT_EXECUTE << 4,
	       "and the VM_MAY* bits are max_protection's, shifted");

/*
 * Whether a 2 MiB page is mapped inside e (VM_SUPERPAGE). Only a resident page of e's object can
 * be mapped, so the walk jumps from one resident page's 2 MiB slot to the next: a huge entry
 * costs what is resident in it, and one too small for an aligned slot costs nothing.
 */
static bool has_superpage(vm_map_t map, const struct vm_map_entry *e)
{
	vm_object_t obj = __atomic_load_n(&e->object, __ATOMIC_ACQUIRE);
	vm_offset_t slot = (e->start + SUPERPAGE_MASK) & ~SUPERPAGE_MASK;
	uint64_t last = (e->offset + (e->end - e->start)) >> PAGE_SHIFT;

	if (e->end - e->start < SUPERPAGE_SIZE || !obj || !map->pmap || slot < e->start)
		return false;
	while (slot < e->end && e->end - slot >= SUPERPAGE_SIZE) {
		uint64_t pindex;
		vm_size_t size;

		vm_object_lock(obj);
		vm_page_t p = vm_object_page_next(obj, (e->offset + (slot - e->start)) >> PAGE_SHIFT, last, &pindex);
		vm_object_unlock(obj);
		if (!p)
			return false;
		slot = (e->start + ((pindex << PAGE_SHIFT) - e->offset)) & ~SUPERPAGE_MASK;
		if (e->end - slot >= SUPERPAGE_SIZE && pmap_query(map->pmap, slot, NULL, NULL, &size) &&
		    size == SUPERPAGE_SIZE)
			return true;
		slot += SUPERPAGE_SIZE;
	}
	return false;
}

/*
 * Whether e is what exec mapped from the program file, by the map listing's rule (VM_ENT_IMAGE,
 * kernel/vm_syscalls.c): its max_protection is its own W^X one, never the VM_PROT_ALL of every
 * anonymous mmap, and it is neither guard, stack nor a shared kernel object's mapping.
 */
static bool is_image(const struct vm_map_entry *e)
{
	vm_object_t obj = __atomic_load_n(&e->object, __ATOMIC_ACQUIRE);

	return !(e->eflags & (MAP_ENTRY_GUARD | MAP_ENTRY_STACK)) && e->max_protection != VM_PROT_ALL &&
	       !(obj && obj->type == OBJT_SG);
}

void vma_btf_fill(struct vma_btf *out, struct task *t, const struct vm_map_entry *e)
{
	struct vm_area_struct *v = &out->vma;
	const struct task_struct *task = task_btf_peek(t);
	const struct image_btf *img = task_btf_image(t);
	uint64_t pgoff;

	*v = (struct vm_area_struct){
		.vm_start = e->start,
		.vm_end = e->end,
		.vm_mm = task ? task->mm : NULL,
		.vm_flags = e->protection | (vm_flags_t)e->max_protection << 4 |
			    (e->eflags & MAP_ENTRY_GUARD ? VM_GUARD : 0) |
			    (e->eflags & MAP_ENTRY_STACK ? VM_STACK : 0) |
			    (has_superpage(t->map, e) ? VM_SUPERPAGE : 0),
		.vm_pgoff = e->offset >> PAGE_SHIFT,
	};
	if (img && is_image(e) && image_btf_segment(img, e->start, e->end, &pgoff)) {
		v->vm_file = image_btf_file(img);
		v->vm_pgoff = pgoff;
	}
}

int vma_btf_prepare(struct task *t)
{
	return task_btf_view(t) ? 0 : -ENOMEM;
}
