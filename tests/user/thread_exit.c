/*
 * How a task with threads ends (include/uapi/thread.h, kernel/task.h), each case in a child of
 * its own that the parent waits for, checking the wait status and that the system's free frames
 * and task count come back once the child is reaped:
 *   fault     one thread dereferences an unmapped address while the others spin in ring 3, sleep
 *             in a futex, in nanosleep and in thread_join: the whole task ends, reported as that
 *             page fault, every other thread killed
 *   lastexit  the first thread calls thread_exit while another runs on and later calls exit(3):
 *             the parent sees nothing to reap until then, and then status 3
 *   allexit   every thread ends with thread_exit: status 0
 *   exit      exit(4) from a thread other than the first while the others sleep and spin
 *   kill      the parent kills the task by its pid while every thread sleeps or spins
 *   killtid   the same, by the tid of a thread other than the first (Linux's kill on a thread
 *             group: the tid names the whole task)
 *   killgone  the first thread has ended (thread_exit) while another sleeps and would exit(6) after
 *             a while: the parent kills the task by its pid, and it ends killed
 * and, first, that any thread's tid names its task for the BPF calls that take a task
 * (bpf_task_vma_batch, the rule kill uses too): the first thread names another by its tid, and
 * that one names its task by the pid.
 */
#include <bpf.h>
#include <stdlib.h>
#include <sys_stat.h>
#include <time.h>
#include <unistd.h>

#include "thread_util.h"
#include "vm_util.h"

#define BAD_ADDR 0xdead0000ul

static uint32_t never; /* nobody wakes a wait on it */
static volatile int started;

static void *spinner(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
	for (;;)
		__builtin_ia32_pause();
	return NULL;
}

static void *futex_sleeper(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
	for (;;)
		futex(&never, FUTEX_WAIT, 0, 0);
	return NULL;
}

static void *nap(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
	struct timespec ts = {30, 0};
	nanosleep(&ts, NULL);
	return NULL;
}

/* Start the three kinds of bystanders and wait until they run. */
static void bystanders(void)
{
	pthread_t t;
	pthread_create(&t, NULL, spinner, NULL);
	pthread_create(&t, NULL, futex_sleeper, NULL);
	pthread_create(&t, NULL, nap, NULL);
	while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < 3)
		sched_yield();
}

static void *faulter(void *arg)
{
	(void)arg;
	yield_for(10, 1000000);
	return (void *)(long)*(volatile int *)BAD_ADDR;
}

static void *exit_later(void *arg)
{
	struct timespec ts = {0, 200 * 1000 * 1000};
	nanosleep(&ts, NULL);
	exit((int)(long)arg);
}

static void *nap_then_exit_6(void *arg)
{
	(void)arg;
	struct timespec ts = {5, 0};
	nanosleep(&ts, NULL);
	exit(6);
}

static void *thread_exit_9(void *arg)
{
	(void)arg;
	thread_exit(9);
}

static int child(const char *role)
{
	if (!strcmp(role, "fault")) {
		bystanders();
		pthread_t f;
		pthread_create(&f, NULL, faulter, NULL);
		pthread_join(f, NULL); /* the first thread sleeps in thread_join meanwhile */
		return 1;
	}
	if (!strcmp(role, "lastexit")) {
		pthread_t t;
		pthread_create(&t, NULL, exit_later, (void *)3);
		thread_exit(0);
	}
	if (!strcmp(role, "allexit")) {
		pthread_t t;
		pthread_create(&t, NULL, thread_exit_9, NULL);
		thread_exit(5);
	}
	if (!strcmp(role, "exit")) {
		bystanders();
		pthread_t t;
		pthread_create(&t, NULL, exit_later, (void *)4);
		pthread_join(t, NULL);
		return 1;
	}
	if (!strcmp(role, "killgone")) {
		pthread_t t;
		pthread_create(&t, NULL, nap_then_exit_6, NULL);
		thread_exit(0);
	}
	if (!strcmp(role, "kill") || !strcmp(role, "killtid")) {
		bystanders();
		printf("# kill: threads started\n");
		pthread_t t;
		pthread_create(&t, NULL, nap, NULL);
		pthread_join(t, NULL);
		return 1;
	}
	return 2;
}

static uint64_t tasks_now(void)
{
	struct sys_stat st;
	memset(&st, 0, sizeof(st));
	CHECK_EQ(sys_stat(&st), 0);
	return st.tasks;
}

static volatile int sibling_tid, sibling_go;

/* Waits until told, then lists the first VMA of its task by the task's pid: the count, or < 0. */
static void *sibling(void *arg)
{
	(void)arg;
	struct bpf_vma v[1];
	__atomic_store_n(&sibling_tid, gettid(), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&sibling_go, __ATOMIC_ACQUIRE))
		sched_yield();
	return (void *)(long)bpf_task_vma_batch(getpid(), 0, v, 1);
}

/* A thread's tid names its task, and a thread other than the first may name its task by the pid. */
static void tid_names_task(void)
{
	struct bpf_vma v[1];
	pthread_t t;
	void *ret = NULL;

	CHECK_EQ(pthread_create(&t, NULL, sibling, NULL), 0);
	while (!__atomic_load_n(&sibling_tid, __ATOMIC_ACQUIRE))
		sched_yield();
	CHECK_EQ(bpf_task_vma_batch(sibling_tid, 0, v, 1), 1);
	__atomic_store_n(&sibling_go, 1, __ATOMIC_RELEASE);
	CHECK_EQ(pthread_join(t, &ret), 0);
	CHECK_EQ((long)ret, 1);
}

/* How run kills its child: not, by its pid, by the tid of another thread, after the first ended. */
enum kill_how { KILL_NONE, KILL_PID, KILL_TID, KILL_FIRST_GONE };

/*
 * The tid the parent kills the child pid by once it is ready (its threads run and some sleep; for
 * KILL_FIRST_GONE its first thread has ended and the other sleeps), or -1 if it never is. Its
 * threads have tids above its pid.
 */
static long victim_of(long pid, enum kill_how how)
{
	for (int tries = 0; tries < 100000; tries++) {
		struct task_info ti[8];
		ssize_t n = task_list(ti, 8, (int)pid - 1);
		int sleeping = 0;
		long other = -1;
		bool first_gone = false;
		for (ssize_t i = 0; i < n; i++) {
			if (ti[i].pid == pid) {
				first_gone = ti[i].state == TASK_INFO_ZOMBIE;
				continue;
			}
			if (ti[i].ppid != -1)
				continue; /* not a thread of the child (threads have no parent) */
			sleeping += ti[i].state == TASK_INFO_SLEEPING;
			other = ti[i].pid;
		}
		if (how == KILL_FIRST_GONE ? first_gone && sleeping >= 1 : sleeping >= 2 && n >= 5)
			return how == KILL_TID ? other : pid;
		sched_yield();
	}
	return -1;
}

/* Run role in a child; its wait status. */
static int run(const char *self, const char *role, enum kill_how how, bool check_early)
{
	uint64_t frames = vm_free_frames(), tasks = tasks_now();
	int status = -1;
	long pid = spawn_self(self, role, NULL);

	CHECK(pid > 0);
	if (pid <= 0)
		return -1;
	if (check_early) {
		/* The first thread has ended (thread_exit) but the task runs on: nothing to reap. */
		yield_for(20, 20000000);
		CHECK_EQ(waitpid((pid_t)pid, &status, WNOHANG), 0);
	}
	if (how != KILL_NONE) {
		long victim = victim_of(pid, how);
		CHECK(victim > 0 && (how == KILL_TID) == (victim != pid));
		CHECK_EQ(kill((pid_t)victim), 0);
		/* Killed already: 0, nothing more happens (and should the tid have failed, it ends). */
		if (how == KILL_TID)
			CHECK_EQ(kill((pid_t)pid), 0);
	}
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK_EQ(vm_free_frames(), frames);
	CHECK_EQ(tasks_now(), tasks);
	return status;
}

int main(int argc, char **argv)
{
	if (argc >= 2)
		return child(argv[1]);

	tid_names_task();
	/* Warm-up: what the checks themselves allocate, once. */
	(void)run(argv[0], "allexit", KILL_NONE, false);

	int st = run(argv[0], "fault", KILL_NONE, false);
	CHECK(KILLED_BY_PF(st));
	st = run(argv[0], "lastexit", KILL_NONE, true);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	st = run(argv[0], "allexit", KILL_NONE, false);
	CHECK_EQ(st, 0);
	st = run(argv[0], "exit", KILL_NONE, false);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 4);
	st = run(argv[0], "kill", KILL_PID, false);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == TASK_KILLED_STATUS);
	st = run(argv[0], "killtid", KILL_TID, false);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == TASK_KILLED_STATUS);
	st = run(argv[0], "killgone", KILL_FIRST_GONE, false);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == TASK_KILLED_STATUS);
	return utest_result("thread_exit");
}
