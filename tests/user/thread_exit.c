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
 *   kill      the parent kills the task (its pid: SYS_kill takes a descendant, and threads have no
 *             parent) while every thread sleeps or spins
 */
#include <stdlib.h>
#include <sys_stat.h>
#include <time.h>

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
	if (!strcmp(role, "kill")) {
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

/* Run role in a child; its wait status. kill_it: kill it once its threads run and sleep. */
static int run(const char *self, const char *role, bool kill_it, bool check_early)
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
	if (kill_it) {
		/* Its threads have tids above its pid: wait until they run. */
		long victim = -1;
		for (int tries = 0; tries < 100000 && victim < 0; tries++) {
			struct task_info ti[8];
			ssize_t n = task_list(ti, 8, (int)pid);
			int sleeping = 0;
			for (ssize_t i = 0; i < n; i++)
				sleeping += ti[i].ppid == -1 && ti[i].state == TASK_INFO_SLEEPING;
			if (sleeping >= 2 && n >= 4)
				victim = pid;
			else
				sched_yield();
		}
		CHECK_EQ(victim, pid);
		CHECK_EQ(kill((pid_t)victim), 0);
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

	/* Warm-up: what the checks themselves allocate, once. */
	(void)run(argv[0], "allexit", false, false);

	int st = run(argv[0], "fault", false, false);
	CHECK(KILLED_BY_PF(st));
	st = run(argv[0], "lastexit", false, true);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	st = run(argv[0], "allexit", false, false);
	CHECK_EQ(st, 0);
	st = run(argv[0], "exit", false, false);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 4);
	st = run(argv[0], "kill", true, false);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == TASK_KILLED_STATUS);
	return utest_result("thread_exit");
}
