/*
 * Looking tasks up by pid for other tasks: the task list and kill system calls
 * (include/uapi/task_info.h) and the descendant rule that kill and the console's foreground share.
 */
#ifndef KERNEL_TASK_LIST_H
#define KERNEL_TASK_LIST_H

#include <stdbool.h>

struct task;

/* The task with that pid on the task list, or NULL. sched_lock held. */
struct task *task_lookup_locked(int pid);

/*
 * Task pid as a target of the caller's: 0 with *out = the task's first thread (its leader, which
 * stands for the task: pid may be the tid of any of its threads, and the first thread may have
 * ended while others run, as Linux's kill takes a thread group); -ESRCH no task has that pid (or
 * it is DEAD, or an ended thread other than the first, or, unless zombie_ok, the task has ended);
 * -EPERM it is a kernel thread, or neither a descendant of the caller's task nor (if self_ok) the
 * caller's task itself (task_may_inspect_locked, TASK_INSPECT_DESCENDANTS). sched_lock held; *out
 * stays valid while it is.
 */
int task_descendant_locked(int pid, bool self_ok, bool zombie_ok, struct task **out);

#endif
