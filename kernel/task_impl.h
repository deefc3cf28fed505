/*
 * Internal to the task files (kernel/task.c: life cycle and threads; kernel/spawn.c: user tasks
 * from boot modules; kernel/fault.c: the user fault path; kernel/task_map.c: other tasks'
 * address spaces). Nothing outside them includes this; the public contract is kernel/task.h.
 */
#ifndef KERNEL_TASK_IMPL_H
#define KERNEL_TASK_IMPL_H

#include <stdbool.h>
#include <stdint.h>

struct task;
struct trapframe;

/* switch.S: where a new task's first context_switch "returns" to reach ring 3 (a user task). */
void task_user_start(void);

/*
 * A new task struct named name (truncated to TASK_NAME_MAX - 1) with its kernel stack (canary
 * set) and, if user, its FPU area, with an empty fd table, leader itself, one thread. On no list
 * and without a pid: the caller owns it until task_publish, or frees it with task_free. NULL when
 * out of memory (nothing left allocated). No spinlock held.
 */
struct task *task_alloc(const char *name, bool user);

/*
 * Give t (from task_alloc, fully prepared) a pid, make it a child of the caller's task (its
 * leader) and put it on the task list, runnable. t is the scheduler's from then on. Returns its
 * pid. Takes sched_lock: call with no spinlock held.
 */
int task_publish(struct task *t);

/*
 * Lay out t's first context just below address below on its kernel stack, so that its first
 * context_switch "returns" into start with r12 and r13 set (task_kthread_start's fn and arg).
 * t has not run yet.
 */
void task_set_initial_context(struct task *t, uint64_t below, void (*start)(void), uint64_t r12,
			      uint64_t r13);

/*
 * Kill the current task t for a CPU exception described by tf (addr: the fault address, or 0),
 * logging why (a suffix for the console line, "" for none): records t->fault and exits the whole
 * task with W_FAULTCODE(tf->vector). Never returns; no spinlock held.
 */
__attribute__((noreturn)) void task_kill_by_fault(struct task *t, const struct trapframe *tf,
						  uint64_t addr, const char *why);

#endif
