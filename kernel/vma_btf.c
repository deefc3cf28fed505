/* A VMA as BPF programs see it (contract in kernel/vma_btf.h). */
#include "kernel/vma_btf.h"

#include "kernel/image_btf.h"
#include "kernel/task.h"
#include "kernel/task_btf.h"
#include "mm/vm_map_pages.h"
#include "uapi/bpf.h"
#include "uapi/errno.h"

_Static_assert(VM_READ == VM_PROT_READ && VM_WRITE == VM_PROT_WRITE && VM_EXEC == VM_PROT_EXECUTE,
	       "vm_flags' protection bits are vm_prot_t's");
_Static_assert(VM_MAYREAD == VM_PROT_READ << 4 && VM_MAYWRITE == VM_PROT_WRITE << 4 &&
		       VM_MAYEXEC == VM_PROT_EXECUTE << 4,
	       "and the VM_MAY* bits are max_protection's, shifted");

/* Whether e is what exec mapped from the program file (the map listing's VM_ENT_IMAGE). */
static bool is_image(const struct vm_map_entry *e)
{
	return e->eflags & MAP_ENTRY_IMAGE;
}

void vma_btf_ctx_init(struct vma_btf_ctx *c, struct task *t)
{
	const struct task_struct *task = task_btf_peek(t);

	c->map = t->map;
	c->mm = task ? task->mm : NULL;
	c->img = task_btf_image(t);
}

_Static_assert(
	sizeof(struct vm_area_struct) == 6 * sizeof(uint64_t),
	"vma_btf_fill_ctx writes every field of the record: a new one must be written there");

/* What only some entries need: the superpage walk, and the file of a program image entry. */
static __attribute__((noinline)) void fill_rare(struct vm_area_struct *v,
						const struct vma_btf_ctx *c,
						const struct vm_map_entry *e)
{
	uint64_t pgoff;

	if (vm_map_entry_has_superpage(c->map, e))
		v->vm_flags |= VM_SUPERPAGE;
	if (c->img && is_image(e) && image_btf_segment(c->img, e->start, e->end, &pgoff)) {
		v->vm_file = image_btf_file(c->img);
		v->vm_pgoff = pgoff;
	}
}

/*
 * Every field is written here, so the record needs no clearing first. The common entry
 * (anonymous, without an aligned 2 MiB slot) is a few stores with no call: an iterator pays this
 * for every VMA it visits.
 */
void vma_btf_fill_ctx(struct vma_btf *out, const struct vma_btf_ctx *c,
		      const struct vm_map_entry *e)
{
	struct vm_area_struct *v = &out->vma;

	v->vm_start = e->start;
	v->vm_end = e->end;
	v->vm_mm = c->mm;
	v->vm_flags = e->protection | (vm_flags_t)e->max_protection << 4 |
		      (e->eflags & MAP_ENTRY_GUARD ? VM_GUARD : 0) |
		      (e->eflags & MAP_ENTRY_STACK ? VM_STACK : 0);
	v->vm_file = NULL;
	v->vm_pgoff = e->offset >> PAGE_SHIFT;
	if (vm_map_entry_superpage_slot(e) || (c->img && is_image(e)))
		fill_rare(v, c, e);
}

void vma_btf_fill(struct vma_btf *out, struct task *t, const struct vm_map_entry *e)
{
	struct vma_btf_ctx c;

	vma_btf_ctx_init(&c, t);
	vma_btf_fill_ctx(out, &c, e);
}

int vma_btf_prepare(struct task *t)
{
	return task_btf_view(t) ? 0 : -ENOMEM;
}
