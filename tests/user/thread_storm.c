/*
 * Spawn/exit storm across CPUs (issue 11): the parent keeps two children alive at a time for
 * CHILDREN children in all; each child starts 1 to 4 threads that touch memory of their own and
 * of the task, and the task ends by a seeded choice: exit from some thread, every thread calling
 * thread_exit, or the first thread's return while the others still run. The parent checks each
 * child's status, and at the end that the free frames and the task count are back at baseline.
 */
#include <stdlib.h>
#include <sys_stat.h>

#include "thread_util.h"
#include "vm_util.h"

#define CHILDREN 40

static char shared[16 * PG];
static volatile int ending;

static void *worker(void *arg)
{
	long how = (long)arg;
	char *mine = (char *)anon(0, 4 * PG, 0);
	if ((long)mine > 0)
		for (int i = 0; i < 4; i++)
			mine[i * PG] = (char)i;
	for (int i = 0; i < 16; i++)
		__atomic_add_fetch(&shared[i * PG], 1, __ATOMIC_RELAXED);
	if (how == 1)
		exit(7);
	if (how == 2)
		thread_exit(0);
	while (!ending)
		sched_yield();
	return NULL;
}

static int child(uint64_t seed)
{
	int n = 1 + (int)(rng_next(&seed) % 4), how = (int)(rng_next(&seed) % 3);
	pthread_t t;
	for (int i = 0; i < n; i++)
		pthread_create(&t, NULL, worker,
			       (void *)(long)(how == 0                 ? 0
					      : how == 1 && i == n - 1 ? 1
								       : 2));
	if (how == 2)
		thread_exit(3); /* the last worker's thread_exit ends the task: status 0 */
	if (how == 1) {
		for (;;)
			sched_yield(); /* a worker's exit(7) ends us */
	}
	return 0; /* exit(0) from the first thread, workers still running */
}

static uint64_t tasks_now(void)
{
	struct sys_stat st;
	memset(&st, 0, sizeof(st));
	CHECK_EQ(sys_stat(&st), 0);
	return st.tasks;
}

int main(int argc, char **argv)
{
	if (argc >= 3)
		return child(strtoul(argv[2], NULL, 0));
	uint64_t seed = 0x5707a, frames = vm_free_frames(), tasks = tasks_now();
	long pids[2] = {0, 0};
	int expect[2] = {0, 0};
	for (int i = 0; i < CHILDREN + 2; i++) {
		int slot = i % 2;
		if (pids[slot] > 0) {
			int st = -1;
			CHECK_EQ(waitpid((pid_t)pids[slot], &st, 0), pids[slot]);
			CHECK(WIFEXITED(st) && WEXITSTATUS(st) == expect[slot]);
			pids[slot] = 0;
		}
		if (i >= CHILDREN)
			continue;
		uint64_t s = rng_next(&seed), copy = s;
		int how = (rng_next(&copy), (int)(rng_next(&copy) % 3));
		char arg[24];
		snprintf(arg, sizeof(arg), "%#lx", (unsigned long)s);
		pids[slot] = spawn_self(argv[0], "child", arg);
		CHECK(pids[slot] > 0);
		expect[slot] = how == 1 ? 7 : 0;
	}
	CHECK_EQ(tasks_now(), tasks);
	CHECK_EQ(vm_free_frames(), frames);
	return utest_result("thread_storm");
}
