/*
 * The open-coded task VMA iterator's kernel state (kernel/bpf/task_vma_iter.c) checked by its
 * invariant checker, bpf_iter_task_vma_check, at every step of a walk over a real task's map made
 * through the kfuncs as a program calls them: after _new, after each _next (which must visit
 * exactly the map's entries, in order), after _destroy, and after a _new that failed. The checker
 * must also see the iterator's map lock dropped behind its back. The programs that call these
 * kfuncs run in tests/user/bpf_iter_task_vma.c.
 */
#include "kernel/bpf/kfunc.h"
#include "kernel/ktest.h"
#include "kernel/task.h"
#include "kernel/task_btf.h"
#include "mm/vm_map.h"
#include "uapi/errno.h"
#include "uapi/kestrel_btf_types.h"

#define PROG "bin/sleep"

#define U64(p) ((uint64_t)(uintptr_t)(p))

KTEST(task_vma_iter, checker_holds_at_every_step)
{
	char *argv[] = {PROG, "1"};
	struct bpf_iter_task_vma it;
	struct task *t, *z;

	/* kmain is never preempted: the child exists, with its image mapped, but does not run. */
	int pid = task_spawn_here(PROG, 2, argv);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(task_map_get(pid, &t), 0);
	struct task_struct *view = task_btf_view(t);
	ASSERT_NONNULL(view);

	ASSERT_EQ(bpf_iter_task_vma_new_impl(U64(&it), U64(view), 0, 0, 0), 0);
	EXPECT_NULL(bpf_iter_task_vma_check(&it));
	uint64_t prev_end = 0;
	uint32_t n = 0;
	vm_map_entry_t e = t->map->header.next;
	const struct vm_area_struct *v;
	while ((v = (const void *)(uintptr_t)bpf_iter_task_vma_next_impl(U64(&it), 0, 0, 0, 0))) {
		EXPECT_NULL(bpf_iter_task_vma_check(&it));
		EXPECT_TRUE(e != &t->map->header);
		if (e == &t->map->header)
			break;
		EXPECT_EQ(v->vm_start, e->start);
		EXPECT_EQ(v->vm_end, e->end);
		EXPECT_TRUE(v->vm_start >= prev_end);
		prev_end = v->vm_end;
		e = e->next;
		n++;
	}
	EXPECT_EQ(n, (uint32_t)t->map->nentries);
	EXPECT_NULL(bpf_iter_task_vma_check(&it)); /* at the end */

	/* A broken state: the map's lock dropped behind the iterator's back. */
	vm_map_unlock_read(t->map);
	EXPECT_NONNULL(bpf_iter_task_vma_check(&it));
	vm_map_lock_read(t->map);
	EXPECT_NULL(bpf_iter_task_vma_check(&it));

	EXPECT_EQ(bpf_iter_task_vma_destroy_impl(U64(&it), 0, 0, 0, 0), 0);
	EXPECT_NULL(bpf_iter_task_vma_check(&it)); /* holds nothing */

	/* A _new that fails (the map locked for writing: -EBUSY) leaves nothing to check either. */
	vm_map_lock(t->map);
	EXPECT_EQ((int64_t)bpf_iter_task_vma_new_impl(U64(&it), U64(view), 0, 0, 0), -EBUSY);
	EXPECT_NULL(bpf_iter_task_vma_check(&it));
	vm_map_unlock(t->map);

	task_map_put(t);
	task_kill_all_user();
	if (task_wait(pid, 0, 0, &z) == 0 && z)
		task_reap(z);
}
