/*
 * SYS_kill's rules (include/uapi/task_info.h) from kmain: descendants only, EINVAL before ESRCH
 * before EPERM, a zombie is 0; and the descendant rule kill shares with the console's foreground.
 */
#include <machine/timer.h>
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/syscall.h"
#include "kernel/task.h"
#include "kernel/task_list.h"
#include "uapi/errno.h"
#include "uapi/wait.h"

#define SLEEPER "bin/sleep"

static long kill_pid(int pid)
{
	struct trapframe tf = {0};

	tf.rdi = (uint64_t)pid;
	return sys_kill(&tf);
}

static int descendant(int pid, bool self_ok, bool zombie_ok)
{
	struct task *t;

	spin_lock(&sched_lock);
	int r = task_descendant_locked(pid, self_ok, zombie_ok, &t);
	sched_unlock();
	return r;
}

static int kthread_main(void *arg)
{
	(void)arg;
	return 0;
}

KTEST(task_list, kill_descendants_only)
{
	char *argv[] = {SLEEPER, "600"};
	struct task *z = NULL;

	EXPECT_EQ(kill_pid(0), -EINVAL);
	EXPECT_EQ(kill_pid(-1), -EINVAL);
	EXPECT_EQ(kill_pid(1 << 30), -ESRCH);
	/* kmain is a kernel thread, and the caller itself. */
	EXPECT_EQ(descendant(0, true, false), -EPERM);
	struct task *k = task_create_kthread("kill target", kthread_main, NULL, 0);
	ASSERT_NONNULL(k);
	int kpid = k->pid;
	EXPECT_EQ(kill_pid(kpid), -EPERM);
	ASSERT_EQ(task_wait(kpid, 0, 0, &z), 0);
	task_reap(z);

	int pid = task_spawn(SLEEPER, 2, argv);
	ASSERT_GT(pid, 0);
	EXPECT_EQ(descendant(pid, false, false), 0);
	EXPECT_EQ(kill_pid(pid), 0);
	ASSERT_EQ(task_wait(pid, 0, timer_ticks + 30 * TIMER_HZ, &z), 0);
	ASSERT_NONNULL(z);
	EXPECT_EQ(z->exit_status, W_EXITCODE(TASK_STATUS_KILLED));
	/* A zombie is still there to kill (nothing happens), but no longer a foreground task. */
	EXPECT_EQ(kill_pid(pid), 0);
	EXPECT_EQ(descendant(pid, false, false), -ESRCH);
	task_reap(z);
	EXPECT_EQ(kill_pid(pid), -ESRCH);
}
