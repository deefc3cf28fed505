/* A task as BPF programs see it (contract in kernel/task_btf.h). */
#include "kernel/task_btf.h"

#include "kernel/string.h"
#include "kernel/task.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"
#include "uapi/kestrel_btf_types.h"

/* One allocation: the task and the address space it points to. */
struct task_view {
	struct task_struct task;
	struct mm_struct mm;
};

static struct task_view *view_make(struct task *t)
{
	struct task_view *v = kmalloc(sizeof(*v));

	if (!v)
		return NULL;
	memset(v, 0, sizeof(*v));
	v->task.pid = v->task.tgid = t->pid;
	v->task.group_leader = &v->task;
	for (size_t i = 0; i < sizeof(v->task.comm) - 1 && t->name[i]; i++)
		v->task.comm[i] = t->name[i];
	if (t->map) {
		v->mm.task_size = USER_MAX;
		v->task.mm = v->task.active_mm = &v->mm;
	}
	struct task_view *old = NULL;
	if (!__atomic_compare_exchange_n((struct task_view **)&t->btf_view, &old, v, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		kfree(v);
		return old;
	}
	return v;
}

struct task_struct *task_btf_view(struct task *t)
{
	struct task_view *v = __atomic_load_n((struct task_view **)&t->btf_view, __ATOMIC_ACQUIRE);

	if (!v && !(v = view_make(t)))
		return NULL;
	vm_map_t map = t->map;
	if (map)
		v->mm.map_count = (int)__atomic_load_n(&map->nentries, __ATOMIC_RELAXED);
	return &v->task;
}

void task_btf_free(struct task *t)
{
	kfree(t->btf_view);
	t->btf_view = NULL;
}
