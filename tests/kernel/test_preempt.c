/*
 * A user task that never leaves its system calls (tests/user/preempt.c, role "spin": 62 MiB BPF
 * arrays created and closed forever) still lets kmain run, so the test runner's time limit can
 * end it: kmain waits with a deadline, kills it, and reaps a task killed by the kernel.
 */
#include <machine/timer.h>
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/task.h"
#include "uapi/errno.h"
#include "uapi/wait.h"

#define PROG "test/preempt"

KTEST(preempt, runner_time_limit_ends_a_task_spinning_in_system_calls)
{
	char *argv[] = {PROG, "spin"};
	struct task *z = NULL;
	int pid = task_spawn(PROG, 2, argv);

	ASSERT_GT(pid, 0);
	uint64_t start = timer_ticks;
	EXPECT_EQ(task_wait(pid, 0, start + TIMER_HZ / 2, &z), -EAGAIN);
	/* The deadline was met on time: kmain got the CPU back within a few slices of it. */
	EXPECT_LE(timer_ticks - start, TIMER_HZ / 2 + 3 * SCHED_SLICE_TICKS);
	EXPECT_EQ(task_kill_all_user(), 1);
	ASSERT_EQ(task_wait(pid, 0, timer_ticks + 10 * TIMER_HZ, &z), 0);
	ASSERT_NONNULL(z);
	EXPECT_EQ(z->exit_status, W_EXITCODE(TASK_STATUS_KILLED));
	task_reap(z);
}
