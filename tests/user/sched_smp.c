/*
 * Tasks on every CPU, seen from ring 3: four children spinning at once show up in the task list
 * (include/uapi/task_info.h, its cpu field) RUNNING on different CPUs in one snapshot, every
 * task's cpu is -1 or a CPU that exists, and sched_stat's migration count is readable. With one
 * CPU (libbpf's probe of the possible CPUs) the parallel part is skipped, said in a diagnostic.
 */
#include <bpf/libbpf.h>
#include <sched.h>
#include <stdlib.h>
#include <task_info.h>

#include "uapi/sched.h"
#include "utest.h"

#define CHILDREN 4
/* Snapshots before giving up: each waits for a yield, a few slices (20 ms) at most. */
#define SNAPSHOTS_MAX 100

/* Bits set in v (no libgcc for __builtin_popcountll). */
static int popcount(uint64_t v)
{
	int n = 0;
	for (; v; v &= v - 1)
		n++;
	return n;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "spin")) {
		for (;;)
			__asm__ volatile("pause");
	}

	int ncpus = libbpf_num_possible_cpus();
	CHECK(ncpus >= 1 && ncpus <= 64);
	/*
	 * This task holds a CPU while it takes its snapshot: the children seen RUNNING then are on the
	 * other CPUs, so one CPU sees none, two CPUs at most one, three or more at least two.
	 */
	int want = ncpus >= 3 ? 2 : ncpus - 1;
	long pids[CHILDREN];
	for (int i = 0; i < CHILDREN; i++) {
		pids[i] = spawn_self(argv[0], "spin", NULL);
		CHECK(pids[i] > 0);
	}

	static struct task_info ti[TASK_LIST_BATCH];
	uint64_t ever = 0;
	int together_max = 0, snapshots = 0, bad_cpu = 0;
	while (snapshots < SNAPSHOTS_MAX && (together_max < want || snapshots < 5)) {
		ssize_t n = task_list(ti, TASK_LIST_BATCH, -1);
		CHECK(n > 0);
		uint64_t together = 0;
		for (ssize_t i = 0; i < n; i++) {
			bad_cpu += ti[i].cpu < -1 || ti[i].cpu >= ncpus;
			bool mine = false;
			for (int c = 0; c < CHILDREN; c++)
				mine |= ti[i].pid == pids[c];
			if (!mine || ti[i].state != TASK_INFO_RUNNING || ti[i].cpu < 0)
				continue;
			CHECK(!(together & (1ull << ti[i].cpu))); /* one task per CPU at a time */
			together |= 1ull << ti[i].cpu;
		}
		ever |= together;
		if (popcount(together) > together_max)
			together_max = popcount(together);
		snapshots++;
		sched_yield();
	}
	CHECK_EQ(bad_cpu, 0);
	printf("# %d spinning children: at most %d running at once, on CPUs %llx, %d CPUs, %d snapshots\n",
	       CHILDREN, together_max, (unsigned long long)ever, ncpus, snapshots);
	if (ncpus == 1)
		printf("# one CPU: the children cannot run in parallel; not checked\n");
	CHECK(together_max >= want);

	struct sched_stat st;
	CHECK_EQ(sched_stat((int)pids[0], &st), 0);
	for (int i = 0; i < CHILDREN; i++) {
		int status = -1;
		CHECK_EQ(kill((int)pids[i]), 0);
		CHECK_EQ(waitpid((int)pids[i], &status, 0), pids[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == TASK_KILLED_STATUS);
	}
	return utest_result("sched_smp");
}
