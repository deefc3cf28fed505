/* A task as BPF programs see it (contract in kernel/task_btf.h). */
#include "kernel/task_btf.h"

#include "kernel/image_btf.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"
#include "uapi/errno.h"
#include "uapi/kestrel_btf_types.h"

/* One allocation: the task, the address space it points to, and the image the mm comes from. */
struct task_view {
	struct task_struct task;
	struct mm_struct mm;
	const struct image_btf *image;
};

static struct task_view *view_of(struct task *t)
{
	return __atomic_load_n((struct task_view **)&t->btf_view, __ATOMIC_ACQUIRE);
}

/*
 * The top of t's stack entry, found from the top of the map down (it lies above every other
 * entry but the callback trampoline); 0 when the lock is taken for writing or there is none.
 */
static unsigned long stack_top(vm_map_t map)
{
	unsigned long top = 0;

	if (!vm_map_trylock_read(map))
		return 0;
	for (vm_map_entry_t e = map->header.prev; e != &map->header && e->end > USER_IMAGE_LIMIT;
	     e = e->prev) {
		if (e->eflags & MAP_ENTRY_STACK) {
			top = e->end;
			break;
		}
	}
	vm_map_unlock_read(map);
	return top;
}

static struct task_view *view_make(struct task *t)
{
	const struct image_btf *img = image_btf_of_task(t);
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
	if (img && t->map) {
		v->image = img;
		v->mm.exe_file = image_btf_file(img);
		image_btf_text(img, &v->mm.start_code, &v->mm.end_code);
	}
	struct task_view *old = NULL;
	if (!__atomic_compare_exchange_n((struct task_view **)&t->btf_view, &old, v, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		kfree(v);
		return old;
	}
	return v;
}

/* The first hand-out of a view, or one whose stack was not found yet: rare, kept out of line. */
static __attribute__((noinline)) struct task_struct *view_first(struct task *t)
{
	struct task_view *v = view_of(t);

	if (!v && !(v = view_make(t)))
		return NULL;
	vm_map_t map = t->map;
	if (map) {
		v->mm.map_count = (int)__atomic_load_n(&map->nentries, __ATOMIC_RELAXED);
		if (!__atomic_load_n(&v->mm.start_stack, __ATOMIC_RELAXED))
			__atomic_store_n(&v->mm.start_stack, stack_top(map), __ATOMIC_RELAXED);
	}
	return &v->task;
}

/* Every tracepoint hit hands out a view: the common case refreshes one field. */
struct task_struct *task_btf_view(struct task *t)
{
	struct task_view *v = view_of(t);
	vm_map_t map = t->map;

	if (__builtin_expect(!v || (map && !__atomic_load_n(&v->mm.start_stack, __ATOMIC_RELAXED)),
			     0))
		return view_first(t);
	if (map)
		v->mm.map_count = (int)__atomic_load_n(&map->nentries, __ATOMIC_RELAXED);
	return &v->task;
}

struct task_struct *task_btf_peek(struct task *t)
{
	struct task_view *v = view_of(t);

	return v ? &v->task : NULL;
}

const struct image_btf *task_btf_image(struct task *t)
{
	struct task_view *v = view_of(t);

	return v ? v->image : NULL;
}

int task_btf_pid(const struct task_struct *view)
{
	int pid = -ESRCH;

	if (!view)
		return pid;
	spin_lock(&sched_lock);
	for (struct task *t = task_list; t; t = t->next) {
		struct task_view *v = view_of(t);
		if (v && &v->task == view) {
			pid = t->pid;
			break;
		}
	}
	sched_unlock();
	return pid;
}

void task_btf_free(struct task *t)
{
	kfree(t->btf_view);
	t->btf_view = NULL;
}

void task_btf_init(void)
{
	task_release_hook = task_btf_free;
}
