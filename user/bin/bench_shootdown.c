/*
 * In-guest benchmark of TLB shootdown (run by `make bench`; meant for -smp 4): the munmap of one
 * touched 4 KiB page in a map active on 1, 2 and 4 CPUs. The map is made active on k CPUs by k - 1
 * threads of this task that spin in ring 3 until told to stop (a thread asleep leaves its CPU to
 * the idle task and the kernel's pmap, so that CPU would not be a target); the munmap must then
 * invalidate the page on each of them and wait for their answers before it returns (issue 11).
 * Each figure is the median (and the best) of CALLS timed munmaps, each of a page mapped and
 * touched before the clock starts; the cost of the shootdown is the difference from one CPU, also
 * given in getpid round trips measured in the same run.
 *
 * Under multi-threaded TCG each vCPU is a host thread: with 4 busy vCPUs on a 2-core host, a
 * target may wait for a host core before it takes the IPI, and the figures include that wait.
 * The spinners do not use x86 pause (which makes QEMU take its global lock at every iteration).
 * TSC cycles read through uptime(); under TCG they are emulated time, so compare the ratios.
 * Exits 1 on a failure.
 */
#include <bench.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define CALLS 1000
#define CPUS_MAX 4
#define PG 4096ul

static volatile int stop;
static uint32_t spinning;
static uint64_t sink[CPUS_MAX];
static uint64_t samples[CALLS];

static void *spinner(void *arg)
{
	uint64_t *mine = arg;

	__atomic_add_fetch(&spinning, 1, __ATOMIC_ACQ_REL);
	while (!stop)
		(*mine)++;
	return NULL;
}

/* The median munmap with the map active on cpus CPUs (best in *best); 0 on a failure. */
static uint64_t munmap_cycles(int cpus, uint64_t *best)
{
	pthread_t th[CPUS_MAX];
	int started = 0, bad = 0;

	stop = 0;
	__atomic_store_n(&spinning, 0, __ATOMIC_RELEASE);
	for (; started < cpus - 1; started++)
		if (pthread_create(&th[started], NULL, spinner, &sink[started + 1])) {
			bad = 1;
			break;
		}
	while (!bad && __atomic_load_n(&spinning, __ATOMIC_ACQUIRE) < (uint32_t)started)
		;
	for (int i = 0; i < CALLS && !bad; i++) {
		volatile char *p =
			mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
		if (p == MAP_FAILED) {
			bad = 1;
			break;
		}
		p[0] = 1;
		uint64_t t0 = uptime();
		int r = munmap((void *)p, PG);
		samples[i] = uptime() - t0;
		bad = r != 0;
	}
	stop = 1;
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (bad) {
		printf("bench_shootdown: %d CPUs: a thread, mmap or munmap failed\n", cpus);
		return 0;
	}
	uint64_t med = bench_median(samples, CALLS);
	*best = samples[0];
	return med;
}

static void ratio(char *buf, size_t size, uint64_t a, uint64_t b)
{
	uint64_t r = b ? a * 100 / b : 0;
	snprintf(buf, size, "%lu.%02lu", (unsigned long)(r / 100), (unsigned long)(r % 100));
}

int main(void)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t getpid_c = bench_getpid_cycles(50, 1000, NULL), one = 0;
	char r1[32], r2[32];

	if (ncpus < 1) {
		printf("bench_shootdown: libbpf_num_possible_cpus: %d\n", ncpus);
		return 1;
	}
	printf("bench_shootdown: getpid round trip: %lu cycles\n", (unsigned long)getpid_c);
	for (int cpus = 1; cpus <= CPUS_MAX && cpus <= ncpus; cpus *= 2) {
		uint64_t best, med = munmap_cycles(cpus, &best);
		if (!med)
			return 1;
		if (cpus == 1)
			one = med;
		ratio(r1, sizeof(r1), med, getpid_c);
		ratio(r2, sizeof(r2), med > one ? med - one : 0, getpid_c);
		printf("bench_shootdown: munmap of one page, map active on %d CPU%s: %lu cycles median "
		       "(%s x getpid; the shootdown %s x getpid), %lu best\n",
		       cpus, cpus == 1 ? "" : "s", (unsigned long)med, r1, r2, (unsigned long)best);
	}
	return 0;
}
