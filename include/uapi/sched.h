/*
 * Scheduling statistics of a task (shared by the kernel and user/).
 *
 * SYS_sched_stat(int pid, struct sched_stat *out) -> 0; pid 0 means the caller. Errors (negated):
 * ESRCH no task has that pid; EFAULT `out` is not writable user memory. Kernel threads may be
 * inspected too.
 *
 * Time is counted in timer ticks (tick_us microseconds each) of the guest's own clock, so a host
 * that stalls the whole machine does not show up as waiting.
 */
#ifndef UAPI_SCHED_H
#define UAPI_SCHED_H

#include <stdint.h>

struct sched_stat {
	uint64_t max_wait;    /* longest stretch the task was runnable without running, in ticks */
	uint64_t preemptions; /* times it was switched out still runnable with its slice used up */
	uint32_t tick_us;     /* microseconds per tick */
	uint32_t slice_ticks; /* ticks a task may run before another runnable one gets the CPU */
	/* times it was switched in on another CPU than the one it last ran on */
	uint64_t migrations;
};
_Static_assert(sizeof(struct sched_stat) == 32, "struct sched_stat is ABI");

#endif
