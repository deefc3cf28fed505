/*
 * SYS_task_list and SYS_kill (ABI in include/uapi/task_info.h), and the pid lookups they share with
 * the console's foreground (contract in kernel/task_list.h).
 */
#include "kernel/task_list.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/task.h"
#include "kernel/usercopy.h"
#include "mm/kmem.h"
#include "mm/vm_map.h"
#include "uapi/errno.h"
#include "uapi/task_info.h"

_Static_assert(TASK_KILLED_STATUS == TASK_STATUS_KILLED, "the uapi names the kernel's kill status");
_Static_assert(TASK_INFO_RUNNABLE == TASK_RUNNABLE && TASK_INFO_RUNNING == TASK_RUNNING &&
		       TASK_INFO_SLEEPING == TASK_SLEEPING && TASK_INFO_ZOMBIE == TASK_ZOMBIE,
	       "task_info.state is enum task_state");
_Static_assert(sizeof(((struct task_info *)0)->name) == TASK_NAME_MAX, "names fit whole");

struct task *task_lookup_locked(int pid)
{
	for (struct task *t = task_list; t; t = t->next)
		if (t->pid == pid)
			return t;
	return NULL;
}

int task_descendant_locked(int pid, bool self_ok, bool zombie_ok, struct task **out)
{
	struct task *cur = task_current()->leader, *t = task_lookup_locked(pid);

	/* An ended thread other than the first names nothing any more (Linux frees its tid at once). */
	if (!t || t->state == TASK_DEAD || (t != t->leader && t->state == TASK_ZOMBIE))
		return -ESRCH;
	/*
	 * Any thread's tid names its task, which the first thread stands for (state, parent and
	 * children are its), even after that thread ended: it is a ZOMBIE with thread_done then, and
	 * the task has ended only once it is a ZOMBIE without.
	 */
	t = t->leader;
	if (t->state == TASK_DEAD || (t->state == TASK_ZOMBIE && !t->thread_done && !zombie_ok))
		return -ESRCH;
	if (!t->user)
		return -EPERM;
	if ((t == cur && !self_ok) || !task_may_inspect_locked(t, TASK_INSPECT_DESCENDANTS))
		return -EPERM;
	*out = t;
	return 0;
}

static void fill_info(const struct task *t, struct task_info *ti)
{
	memset(ti, 0, sizeof(*ti));
	ti->pid = t->pid;
	ti->ppid = t->parent ? t->parent->pid : -1;
	ti->state = (uint32_t)t->state;
	ti->flags = (t->user ? TASK_INFO_USER : 0) | (t->killed ? TASK_INFO_KILLED : 0);
	/* Under sched_lock, a map kernel/task.c has not yet taken from its task is not destroyed. */
	if (t->map) {
		struct vm_map_stats st;
		vm_map_get_stats(t->map, &st);
		ti->resident_4k = st.resident_4k;
		ti->resident_2m = st.resident_2m;
	}
	memcpy(ti->name, t->name, sizeof(ti->name));
	ti->name[sizeof(ti->name) - 1] = '\0';
	ti->cpu = t->cpu;
}

/* The (up to max) lowest pids above from, ascending, into buf; how many. sched_lock held. */
static size_t snapshot_locked(int from, struct task_info *buf, size_t max)
{
	size_t n = 0;

	for (struct task *t = task_list; t; t = t->next) {
		if (t->pid <= from || t->state == TASK_DEAD)
			continue;
		size_t i = n;
		while (i > 0 && buf[i - 1].pid > t->pid)
			i--;
		if (i == max)
			continue;
		memmove(&buf[i + 1], &buf[i], ((n < max ? n : max - 1) - i) * sizeof(*buf));
		fill_info(t, &buf[i]);
		if (n < max)
			n++;
	}
	return n;
}

long sys_task_list(struct trapframe *tf)
{
	uint64_t uout = syscall_arg(tf, 0), max = syscall_arg(tf, 1);
	int from = (int)syscall_arg(tf, 2);

	if (max == 0)
		return 0;
	if (max > TASK_LIST_BATCH)
		max = TASK_LIST_BATCH;
	struct task_info *buf = kmalloc(max * sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	spin_lock(&sched_lock);
	size_t n = snapshot_locked(from, buf, max);
	sched_unlock();
	long r = copyout(buf, (void *)uout, n * sizeof(*buf));
	kfree(buf);
	return r ? r : (long)n;
}

long sys_kill(struct trapframe *tf)
{
	int pid = (int)syscall_arg(tf, 0);
	struct task *t;

	if (pid <= 0)
		return -EINVAL;
	spin_lock(&sched_lock);
	int r = task_descendant_locked(pid, false, true, &t);
	/* Not after the task ended (nothing happens then); its first thread may have ended before. */
	if (!r && t->nthreads)
		task_kill_locked(t);
	sched_unlock();
	return r;
}
