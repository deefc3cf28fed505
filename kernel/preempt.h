/*
 * Preemption points for long kernel work (Linux's cond_resched). A system call is preempted on its
 * way back to ring 3 once its task's slice is used up (task_return_to_user); work that may run for
 * many ticks inside one call (freeing or zeroing large ranges, tearing down big maps) calls
 * preempt_point every bounded amount of work so that it is preempted there too.
 */
#ifndef KERNEL_PREEMPT_H
#define KERNEL_PREEMPT_H

#include <stdbool.h>

/*
 * If the caller is a user task whose slice is used up and another task is runnable, let the others
 * run first. Does nothing with interrupts off (a spinlock is held, or an interrupt is being handled)
 * and in kernel threads, which keep kernel/sched.h's rule of switching only when they ask to.
 * Sleeping locks (kernel/rwlock.h) may be held. Implemented by kernel/sched.c (the host build: a
 * no-op in tests/host/shim.c).
 */
void preempt_point(void);

/*
 * Whether preempt_point would let others run now. For loops that want to leave something
 * (a timed interval, BPF_PROG_TEST_RUN's) before they call it; a hint, as any such check is.
 */
bool preempt_due(void);

#endif
