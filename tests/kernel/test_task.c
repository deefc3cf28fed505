/*
 * Tasks and the scheduler from inside the kernel: kernel threads yield in round-robin order and
 * are preempted when they ask for it, sleeping ends on time, wait's errors, orphans free
 * themselves, and user tasks return every frame when they exit or are killed by a fault (the
 * runner's leak check around each test counts the frames).
 */
#include <machine/timer.h>
#include "arch/x86_64/trap.h"
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "uapi/errno.h"
#include "uapi/wait.h"

/* Reap child t (which must end) and return its wait status. */
static int reap(struct task *t)
{
	struct task *z = NULL;
	int r = task_wait(t->pid, 0, 0, &z);
	if (r || z != t)
		return -1;
	int status = z->exit_status;
	task_reap(z);
	return status;
}

struct rr_log {
	char order[64];
	int n;
};
struct rr_arg {
	struct rr_log *log;
	char id;
};

static int rr_thread(void *p)
{
	struct rr_arg *a = p;
	for (int i = 0; i < 4; i++) {
		a->log->order[a->log->n++] = a->id;
		sched_yield();
	}
	return a->id;
}

KTEST(task, kthreads_yield_in_round_robin_order)
{
	struct rr_log log = {{0}, 0};
	struct rr_arg args[3] = {{&log, 'a'}, {&log, 'b'}, {&log, 'c'}};
	struct task *t[3];

	for (int i = 0; i < 3; i++) {
		/* All on kmain's CPU: round robin is one CPU's order (others would run them at once). */
		t[i] = task_create_kthread("rr", rr_thread, &args[i], TASK_BOUND_HERE);
		ASSERT_NONNULL(t[i]);
	}
	EXPECT_NULL(task_check());
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(reap(t[i]), W_EXITCODE(args[i].id));
	log.order[log.n] = 0;
	EXPECT_EQ(strcmp(log.order, "abcabcabcabc"), 0);
	if (strcmp(log.order, "abcabcabcabc"))
		KT_FAIL("order %s", log.order);
	EXPECT_NULL(task_check());
}

static volatile int flag;

/* Spin (no yield) until flag is set or 100 ticks pass; 1 if the flag came. */
static int spinner(void *p)
{
	uint64_t deadline = timer_ticks + 100;
	(void)p;
	while (!flag && timer_ticks < deadline)
		__asm__ volatile("pause");
	return flag;
}

static int setter(void *p)
{
	(void)p;
	flag = 1;
	return 0;
}

KTEST(task, preemptible_kthread_is_preempted)
{
	flag = 0;
	/* On one CPU: another CPU would run the setter without any preemption. */
	struct task *s =
		task_create_kthread("spinner", spinner, NULL, TASK_PREEMPTIBLE | TASK_BOUND_HERE);
	struct task *f = task_create_kthread("setter", setter, NULL, TASK_BOUND_HERE);
	ASSERT_NONNULL(s);
	ASSERT_NONNULL(f);
	/* The spinner runs first and never yields: the setter runs only if the timer preempts it. */
	EXPECT_EQ(reap(s), W_EXITCODE(1));
	EXPECT_EQ(reap(f), W_EXITCODE(0));
}

KTEST(task, sleep_until_ends_on_time)
{
	uint64_t start = timer_ticks;
	sched_sleep_until(start + 3);
	EXPECT_GE(timer_ticks, start + 3);
	EXPECT_LT(timer_ticks, start + 50);
}

static int exit_with_arg(void *p)
{
	return (int)(uintptr_t)p;
}

KTEST(task, wait_errors_and_wnohang)
{
	struct task *z = (struct task *)1;

	EXPECT_EQ(task_wait(-1, 0, 0, &z), -ECHILD);
	EXPECT_EQ(task_wait(12345, 0, 0, &z), -ECHILD);
	EXPECT_EQ(task_wait(-1, 2, 0, &z), -EINVAL);
	/* Bound to kmain's CPU, it cannot end before kmain sleeps. */
	struct task *t = task_create_kthread("exit5", exit_with_arg, (void *)5, TASK_BOUND_HERE);
	ASSERT_NONNULL(t);
	EXPECT_EQ(task_wait(t->pid, WNOHANG, 0, &z), 0);
	EXPECT_NULL(z);
	EXPECT_EQ(task_wait(0, 0, 0, &z), -ECHILD);
	EXPECT_EQ(reap(t), W_EXITCODE(5));
	EXPECT_EQ(task_wait(t->pid, 0, 0, &z), -ECHILD);
}

KTEST(task, wait_deadline_returns_eagain)
{
	struct task *z;
	flag = 0;
	struct task *t = task_create_kthread("spinner", spinner, NULL, TASK_PREEMPTIBLE);
	ASSERT_NONNULL(t);
	EXPECT_EQ(task_wait(t->pid, 0, timer_ticks + 2, &z), -EAGAIN);
	flag = 1;
	EXPECT_EQ(reap(t), W_EXITCODE(1));
}

static volatile int grandchild_done;

static int grandchild(void *p)
{
	(void)p;
	for (int i = 0; i < 5; i++)
		sched_yield();
	grandchild_done = 1;
	return 0;
}

static int orphaner(void *p)
{
	(void)p;
	/* One child that ends before us (a zombie when we exit), one that outlives us. */
	if (!task_create_kthread("zombie", exit_with_arg, NULL, TASK_BOUND_HERE))
		return 1;
	sched_yield();
	return task_create_kthread("orphan", grandchild, NULL, TASK_BOUND_HERE) ? 0 : 1;
}

KTEST(task, orphans_free_themselves)
{
	grandchild_done = 0;
	/* All on kmain's CPU: its yield below lets the orphan finish dying (freed by that CPU). */
	struct task *t = task_create_kthread("orphaner", orphaner, NULL, TASK_BOUND_HERE);
	ASSERT_NONNULL(t);
	EXPECT_EQ(reap(t), W_EXITCODE(0));
	for (int i = 0; i < 100 && !grandchild_done; i++)
		sched_sleep_until(timer_ticks + 1);
	EXPECT_TRUE(grandchild_done);
	sched_yield(); /* let the orphan finish dying */
	EXPECT_NULL(task_check());
}

/* Spawn test/spawn in a role and reap it; returns its wait status (and fault record). */
static int run_user(char *role, char *arg, struct task_fault *fault)
{
	char *argv[] = {"test/spawn", role, arg};
	int pid = task_spawn("test/spawn", arg ? 3 : 2, argv);
	struct task *z = NULL;

	if (pid < 0)
		return pid;
	if (task_wait(pid, 0, timer_ticks + 10 * TIMER_HZ, &z) || !z)
		return -1;
	int status = z->exit_status;
	if (fault)
		*fault = z->fault;
	task_reap(z);
	return status;
}

KTEST(task, user_task_exit_status_and_frames)
{
	struct task_fault f;
	EXPECT_EQ(run_user("exit", "7", &f), W_EXITCODE(7));
	EXPECT_FALSE(f.killed_by_fault);
	EXPECT_EQ(task_count_user(), 0);
}

KTEST(task, user_task_killed_by_fault_returns_frames)
{
	struct task_fault f;
	/* Role "exit" without its argument: atoi(argv[2]) reads address 0. */
	EXPECT_EQ(run_user("exit", NULL, &f), W_FAULTCODE(T_PF));
	EXPECT_TRUE(f.killed_by_fault);
	EXPECT_EQ(f.vector, T_PF);
	EXPECT_EQ(f.addr, 0);
	EXPECT_EQ(task_count_user(), 0);
}

KTEST(task, spawn_errors)
{
	char *argv[] = {"x"};
	EXPECT_EQ(task_spawn("no/such/module", 1, argv), -ENOENT);
	EXPECT_EQ(task_spawn("", 1, argv), -ENOENT);
	EXPECT_EQ(task_spawn("test/spawn", ARG_COUNT_MAX + 1, argv), -E2BIG);
	EXPECT_EQ(task_count_user(), 0);
}

KTEST(task, killed_user_task_exits_with_killed_status)
{
	char *argv[] = {"test/spawn", "yield_until_killed"};
	int pid = task_spawn("test/spawn", 2, argv);
	struct task *z = NULL;
	ASSERT_GT(pid, 0);
	EXPECT_EQ(task_kill_all_user(), 1);
	EXPECT_EQ(task_wait(pid, 0, timer_ticks + 10 * TIMER_HZ, &z), 0);
	ASSERT_NONNULL(z);
	EXPECT_EQ(z->exit_status, W_EXITCODE(TASK_STATUS_KILLED));
	task_reap(z);
}

KTEST(task, map_pins_hold_off_exit)
{
	char *argv[] = {"test/spawn", "yield_until_killed"};
	struct task *t = NULL, *z = NULL, *k;
	int pid = task_spawn("test/spawn", 2, argv);
	ASSERT_GT(pid, 0);

	EXPECT_EQ(task_map_get(-5, &t), -ESRCH);
	EXPECT_EQ(task_map_get(0, &t), -EPERM); /* kmain is a kernel thread */
	k = task_create_kthread("exit0", exit_with_arg, NULL, 0);
	ASSERT_NONNULL(k);
	EXPECT_EQ(task_map_get(k->pid, &t), -EPERM);
	EXPECT_EQ(reap(k), 0);

	ASSERT_EQ(task_map_get(pid, &t), 0);
	EXPECT_EQ(t->pid, pid);
	EXPECT_NONNULL(t->map);
	/* Killed, it cannot finish exiting while its map is pinned. */
	task_kill(t);
	EXPECT_EQ(task_wait(pid, 0, timer_ticks + 5, &z), -EAGAIN);
	EXPECT_EQ(task_map_get(pid, &k), -ENOENT); /* exiting: no new pins */
	task_map_put(t);
	EXPECT_EQ(task_wait(pid, 0, timer_ticks + 10 * TIMER_HZ, &z), 0);
	ASSERT_NONNULL(z);
	EXPECT_EQ(z->exit_status, W_EXITCODE(TASK_STATUS_KILLED));
	EXPECT_EQ(task_map_get(pid, &k), -ENOENT); /* a zombie */
	task_reap(z);
	EXPECT_EQ(task_map_get(pid, &k), -ESRCH);
	EXPECT_NULL(task_check());
}
