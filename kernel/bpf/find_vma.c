/*
 * bpf_find_vma for BPF programs (contract in kernel/bpf/helpers.h). The task argument is a typed
 * task_struct pointer the verifier proved to be one, but not which: a task's view handed out
 * by bpf_get_current_task_btf, a tracepoint or an iterator, a field loaded through such a
 * pointer (possibly NULL), or the view of a task that has exited since. So the pointer is never
 * dereferenced: it is matched against the current task's view, then against every living task's
 * (task_btf_pid), and the task found is pinned and checked again before its map is touched.
 *
 * The current task needs no pin: its map lives until its own exit releases it, and no program
 * runs in that part of task_exit.
 */
#include "kernel/bpf/helpers.h"

#include "kernel/task.h"
#include "kernel/task_btf.h"
#include "kernel/vma_btf.h"
#include "uapi/errno.h"

#define PTR(x) ((void *)(uintptr_t)(x))

/* The task whose view is view, with a map: the current task, or another one pinned (*pinned). */
static struct task *task_of_view(const struct task_struct *view, bool *pinned)
{
	struct task *cur = task_current(), *t;

	*pinned = false;
	if (!view)
		return NULL;
	if (view == task_btf_peek(cur))
		return cur->map && !cur->map_gone ? cur : NULL;
	int pid = task_btf_pid(view);
	if (pid <= 0 || task_map_get(pid, &t))
		return NULL;
	if (task_btf_peek(t) != view) { /* the pid went to another task meanwhile */
		task_map_put(t);
		return NULL;
	}
	*pinned = true;
	return t;
}

/*
 * The VMA record lives on this stack for the callback's run. The views it points to exist: the
 * task's view is the one the program passed, and the program image's was made with it.
 */
uint64_t bpf_helper_find_vma(uint64_t task, uint64_t addr, uint64_t callback, uint64_t ctx,
			     uint64_t flags)
{
	const struct bpf_exec_func *f = PTR(callback);
	struct vma_btf v;
	vm_map_entry_t e;
	bool pinned;
	long r = -ENOENT;

	if (flags)
		return (uint64_t)-EINVAL;
	struct task *t = task_of_view(PTR(task), &pinned);
	if (!t)
		return (uint64_t)-ENOENT;
	vm_map_t map = t->map;
	if (!vm_map_trylock_read(map)) {
		r = -EBUSY;
	} else {
		if (vm_map_lookup_entry(map, addr, &e)) {
			vma_btf_fill(&v, t, e);
			(void)bpf_exec_call_func(f, task, (uint64_t)(uintptr_t)&v.vma, ctx, 0, 0);
			r = 0;
		}
		vm_map_unlock_read(map);
	}
	if (pinned)
		task_map_put(t);
	return (uint64_t)r;
}
