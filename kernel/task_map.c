/*
 * Address spaces of other tasks: pinning a task's map for inspection (task_map_get/put), holding
 * its lock for writing across returns to ring 3 (task_lock_map), and the rule for which tasks the
 * caller may inspect (task_may_inspect_locked). Contracts in kernel/task.h.
 */
#include "kernel/rwlock.h"
#include "kernel/panic.h"
#include "kernel/sched.h"
#include "kernel/task.h"
#include "kernel/task_list.h"
#include "uapi/errno.h"

bool task_may_inspect_locked(const struct task *t, enum task_inspect scope)
{
	const struct task *cur = task_current()->leader;

	if (t == cur)
		return true;
	/* Parents are on the list (task_check), so the chain ends at kmain or an orphan. */
	for (const struct task *a = t->parent; a; a = a->parent) {
		if (a == cur)
			return true;
		if (scope == TASK_INSPECT_CHILDREN)
			break;
	}
	return false;
}

static int lookup_user_locked(int pid, struct task **out)
{
	struct task *t = pid == 0 ? task_current() : task_lookup_locked(pid);

	if (!t)
		return -ESRCH;
	if (!t->user)
		return -EPERM;
	*out = t->leader; /* the task's address space, whichever of its threads tid names */
	return 0;
}

int task_map_get(int pid, struct task **out)
{
	struct task *t;

	spin_lock(&sched_lock);
	int r = lookup_user_locked(pid, &t);
	if (!r && (t->map_gone || !t->map))
		r = -ENOENT;
	if (!r) {
		t->map_users++;
		*out = t;
	}
	sched_unlock();
	return r;
}

static void map_put_locked(struct task *t)
{
	KASSERT(t->map_users > 0, "task_map_put: task %d has no map pin", t->pid);
	if (--t->map_users == 0)
		sched_wakeup_locked(&t->map_users);
}

void task_map_put(struct task *t)
{
	spin_lock(&sched_lock);
	map_put_locked(t);
	sched_unlock();
}

int task_lock_map(int pid, int hold)
{
	struct task *cur = task_current(), *t;

	if (hold != 0 && hold != 1)
		return -EINVAL;
	spin_lock(&sched_lock);
	int r = lookup_user_locked(pid, &t);
	if (!r && !task_may_inspect_locked(t, TASK_INSPECT_CHILDREN))
		r = -EPERM;
	if (!r && hold == 0) {
		if (t->map_locker == cur) {
			/* Under sched_lock: an exiting t must not see the lock free before it is. */
			t->map_locker = NULL;
			if (cur != t && cur->leader == t)
				cur->map_locker = NULL; /* see below */
			vm_map_unlock(t->map);
		} else {
			r = -EINVAL;
		}
	} else if (!r) {
		r = t->map_locker == cur ? -EBUSY : t->map_gone || !t->map ? -ENOENT : 0;
		if (!r)
			t->map_users++;
	}
	sched_unlock();
	if (r || hold == 0)
		return r;

	/* Running a callback under a map lock, the caller may hold this one itself: only try. */
	if (!cur->map_lock_depth) {
		vm_map_lock(t->map);
	} else if (!vm_map_trylock(t->map)) {
		task_map_put(t);
		return -EBUSY;
	}
	/*
	 * Held for t's sake now: whichever of t and cur ends first releases it (thread_end's
	 * release_held_maps_locked, or release_space).
	 */
	rw_wdisown(&t->map->lock);
	spin_lock(&sched_lock);
	t->map_locker = cur;
	/*
	 * A thread holding its own task's lock: its own map_locker says so too, for the calls that
	 * ask whether the running thread holds its map (must not wait for it).
	 */
	if (cur != t && cur->leader == t)
		cur->map_locker = cur;
	map_put_locked(t);
	sched_unlock();
	return 0;
}
