/*
 * In-guest benchmark of first-touch faults from threads of one task (run by `make bench`; meant
 * for -smp 4): 1, 2 and 4 threads, each faulting in a region of its own (2 MiB - 4 KiB, so that
 * every fault maps one 4 KiB page), ROUNDS such regions each, mapped before the clock starts and
 * unmapped after it stops; the threads are released together by a spinning barrier and wait for
 * each other at the end on a futex. Prints the faults per million TSC cycles from the first
 * thread's start to the last one's finish for each thread count and the speedup over one thread:
 * the fault path runs under the map's read lock, so threads on separate regions should not
 * serialize (issue 11's target: 2 threads at least 1.6x). The thread counts take turns, TURNS
 * times, and each figure is the median of its turns, each speedup the median of the turns' own
 * ratios: the host this runs on is shared, and its speed drifts within seconds.
 *
 * Two ways to fault: by touching (a page fault per page: the trap, QEMU's delivery of it and the
 * kernel's handler) and by madvise(MADV_WILLNEED) (the same handler, vm_fault_range, called once
 * per region: no trap). Under multi-threaded TCG each vCPU is a host thread, and QEMU delivers
 * every exception holding its global lock, so the first figure includes that lock and the second
 * measures the kernel's handler alone.
 *
 * The end of a run is a futex wait, not a spin: a thread that finished spinning on x86 pause makes
 * QEMU leave the translated code and take its global lock at every pause, which slowed the thread
 * still faulting (2 threads measured 0.9x of one that way). With more busy vCPUs than host cores
 * (4 on a 2-core machine) the figure includes the time a vCPU waited for a core. Then the same
 * work in 1 and 2 tasks with address spaces of their own, started at one agreed TSC value (the
 * TSC is shared), each printing its own rate, for comparison: what threads of one task share
 * (the map's lock, the pmap's) is the difference, and what QEMU serializes for every fault
 * (exception delivery) is common to both. Exits 1 on a failure.
 */
#include <bench.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/mman.h>
#include <unistd.h>
#include <thread.h>
#include <vm_stat.h>

#define REGION ((2ul << 20) - 4096)
#define PAGES (REGION / 4096)
#define ROUNDS 20
#define THREADS_MAX 4
#define TURNS 5
#define TASKS_LEAD_CYCLES 2000000000ull /* spawning and mapping take far less */

static volatile int failed;
static uint32_t arrived, done; /* barriers' futex words */
enum how { TOUCH, WILLNEED, COMPUTE };
static enum how how; /* how the threads work: see the comment at the top */
static uint64_t started[THREADS_MAX], finished[THREADS_MAX], sink[THREADS_MAX];
static uint64_t start_at; /* a task of the comparison starts touching at this TSC value */

struct job {
	int n, id;
};

/*
 * Wait until n threads have arrived at *word, sleeping on a futex: a thread spinning on x86 pause
 * makes QEMU leave the translated code and take its global lock at every pause, which slows every
 * other vCPU (measured: 2 threads faulting at 0.9x of one while the first to finish spun).
 */
static void barrier(uint32_t *word, int n)
{
	if (__atomic_add_fetch(word, 1, __ATOMIC_ACQ_REL) == (uint32_t)n)
		futex(word, FUTEX_WAKE, THREADS_MAX, 0);
	for (uint32_t d; (d = __atomic_load_n(word, __ATOMIC_ACQUIRE)) < (uint32_t)n;)
		futex(word, FUTEX_WAIT, d, 0);
}

static void *toucher(void *arg)
{
	const struct job *j = arg;
	char *p[ROUNDS];

	/*
	 * Mapped before the clock starts: only the faults are measured, not mmap or munmap. Each
	 * region is followed by a PROT_NONE page, so that neighbouring regions (this thread's or
	 * another's) never merge into one entry that could hold a whole 2 MiB page: every touch is
	 * one 4 KiB fault, and the threads share no object.
	 */
	for (int r = 0; r < ROUNDS; r++) {
		p[r] = mmap(NULL, REGION + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1,
			    0);
		if (p[r] == MAP_FAILED || mprotect(p[r] + REGION, 4096, PROT_NONE))
			failed = 1;
	}
	barrier(&arrived, j->n);
	while (uptime() < start_at) /* tasks: all start at one moment (the TSC is shared) */
		;
	started[j->id] = uptime();
	uint64_t x = (uint64_t)j->id;
	for (int r = 0; r < ROUNDS && !failed; r++)
		if (how == WILLNEED)
			failed |= madvise(p[r], REGION, MADV_WILLNEED) != 0;
		else if (how == TOUCH)
			for (size_t i = 0; i < PAGES; i++)
				p[r][i * 4096] = 1;
		else
			for (size_t i = 0; i < PAGES * 256; i++) {
				x = x * 6364136223846793005ull + 1442695040888963407ull;
				__asm__ volatile("" : "+r"(x)); /* one step per iteration, kept */
			}
	sink[j->id] = x;
	finished[j->id] = uptime();
	/*
	 * munmap takes the map's lock for writing: one thread unmapping while another still faults
	 * would stall that one and measure the unmapping. Wait until every thread is done.
	 */
	barrier(&done, j->n);
	for (int r = 0; r < ROUNDS; r++)
		if (p[r] != MAP_FAILED)
			munmap(p[r], REGION + 4096);
	return NULL;
}

/* Faults per million cycles with n threads at once: from the first start to the last finish. */
static uint64_t run(int n)
{
	pthread_t t[THREADS_MAX];
	struct job jobs[THREADS_MAX];

	struct vm_stat before, after;
	if (vm_stat(0, &before))
		failed = 1;
	arrived = done = 0;
	for (int i = 0; i < n; i++) {
		jobs[i] = (struct job){n, i};
		if (pthread_create(&t[i], NULL, toucher, &jobs[i]))
			failed = 1;
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	uint64_t first = ~0ul, last = 0;
	for (int i = 0; i < n; i++) {
		first = started[i] < first ? started[i] : first;
		last = finished[i] > last ? finished[i] : last;
	}
	uint64_t cycles = last > first ? last - first : 1;
	/* Every touch must have been a 4 KiB fault of its own, or the figure measures something else. */
	if (vm_stat(0, &after) ||
	    (how != COMPUTE && after.faults - before.faults < (uint64_t)n * ROUNDS * PAGES) ||
	    after.faults_2m != before.faults_2m) {
		printf("bench_thread: %d threads: %lu faults (%lu of 2 MiB) for %lu touches\n", n,
		       (unsigned long)(after.faults - before.faults),
		       (unsigned long)(after.faults_2m - before.faults_2m),
		       (unsigned long)(n * ROUNDS * PAGES));
		failed = 1;
	}
	return (uint64_t)n * ROUNDS * PAGES * 1000000 / cycles;
}

/* One task of the comparison: a thread's work from TSC value start, its rate printed. */
static int child(const char *start)
{
	struct job j = {1, 0};

	arrived = done = 0;
	start_at = strtoul(start, NULL, 10);
	toucher(&j);
	uint64_t cycles = finished[0] > started[0] ? finished[0] - started[0] : 1;
	printf("bench_thread: task %d: %lu faults per Mcycle\n", getpid(),
	       (unsigned long)(ROUNDS * PAGES * 1000000 / cycles));
	return failed;
}

/*
 * The same work in n tasks (separate address spaces) at once: each maps its regions, then all
 * start touching at one agreed TSC value, far enough ahead for every spawn; each prints its rate.
 */
static int tasks(const char *self, int n)
{
	pid_t pids[THREADS_MAX];
	char start[24];
	char *argv[] = {(char *)self, "child", start, NULL};
	int bad = 0;

	snprintf(start, sizeof(start), "%lu", (unsigned long)(uptime() + TASKS_LEAD_CYCLES));
	printf("bench_thread: %d tasks at once (own address spaces):\n", n);
	for (int i = 0; i < n; i++)
		pids[i] = spawn(self, argv);
	for (int i = 0; i < n; i++) {
		int st = -1;
		bad |= pids[i] < 0 || waitpid(pids[i], &st, 0) != pids[i] || st != 0;
	}
	return bad;
}

/* 1, 2 and 4 threads taking turns: each count's median rate and median speedup over one thread. */
static void measure(const char *what)
{
	uint64_t rate[3][TURNS], ratio[3][TURNS];

	for (int t = 0; t < TURNS; t++)
		for (int k = 0; k < 3; k++) {
			rate[k][t] = run(1 << k);
			ratio[k][t] = rate[k][t] * 100 / (rate[0][t] ? rate[0][t] : 1);
		}
	for (int k = 0; k < 3; k++) {
		uint64_t x = bench_median(ratio[k], TURNS);
		printf("bench_thread: %s, %d thread%s: %lu %s per Mcycle (%lu.%02lux one thread)\n",
		       what, 1 << k, k ? "s" : "", (unsigned long)bench_median(rate[k], TURNS),
		       how == COMPUTE ? "units" : "faults", (unsigned long)(x / 100),
		       (unsigned long)(x % 100));
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "child"))
		return child(argv[2]);
	int cpus = libbpf_num_possible_cpus();

	printf("bench_thread: %d CPUs, %lu first-touch 4 KiB faults per thread, medians of %d turns\n",
	       cpus, (unsigned long)(ROUNDS * PAGES), TURNS);
	(void)run(1); /* warm-up */
	how = COMPUTE;
	measure("control: computation alone");
	how = TOUCH;
	measure("touch (page faults)");
	how = WILLNEED;
	measure("madvise(MADV_WILLNEED) (no trap)");
	how = TOUCH;
	int bad = tasks(argv[0], 1);
	bad |= tasks(argv[0], 2);
	return failed || bad;
}
