/*
 * In-guest benchmark of system calls on several CPUs at once (run by `make bench`; meant for
 * -smp 4, where it shows whether the kernel's entry and exit scale): the getpid round trip of
 * one task alone, then of two, then of one task per CPU (libbpf's count of the possible CPUs)
 * measuring at the same time, each child printing its own figure. Under MTTCG each vCPU is a host
 * thread: with more vCPUs busy than host cores, the means include time a vCPU waited for a core. TSC cycles read through uptime(); under TCG they
 * are emulated time, so compare the figures with each other.
 * Exits 1 if a child cannot be started or fails.
 */
#include <bench.h>
#include <bpf/libbpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define GETPID_CALLS 100000
#define CPUS_MAX 64

/* One measuring child: its best round and mean, in cycles per getpid, printed with its label. */
static int measure(const char *label)
{
	uint64_t mean, best = bench_getpid_cycles(10, GETPID_CALLS / 10, &mean);

	printf("bench_smp: %s: getpid round trip %lu cycles (best round; mean %lu)\n", label,
	       (unsigned long)best, (unsigned long)mean);
	return 0;
}

/* n children measuring at once; 0 if each exited 0. */
static int run(const char *self, int n)
{
	pid_t pids[CPUS_MAX];
	char label[32];
	int bad = 0;

	for (int i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "%d tasks, task %d", n, i);
		char *argv[] = {(char *)self, "measure", label, NULL};
		pids[i] = spawn(self, argv);
		if (pids[i] < 0) {
			printf("bench_smp: spawn failed\n");
			return 1;
		}
	}
	for (int i = 0; i < n; i++) {
		int st = -1;
		bad |= waitpid(pids[i], &st, 0) != pids[i] || st != 0;
	}
	return bad;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "measure"))
		return measure(argv[2]);
	int n = libbpf_num_possible_cpus();
	if (n < 1 || n > CPUS_MAX) {
		printf("bench_smp: cannot count the CPUs\n");
		return 1;
	}
	printf("bench_smp: %d CPUs\n", n);
	int bad = run(argv[0], 1);
	if (n > 2)
		bad |= run(argv[0], 2);
	if (n > 1)
		bad |= run(argv[0], n);
	return bad;
}
