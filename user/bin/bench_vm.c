/*
 * In-guest benchmark of the memory system calls (run by `make bench`; one line per figure).
 * Times are TSC cycles read through uptime(); under QEMU's TCG they are emulated time, so compare
 * figures with each other rather than with real hardware.
 *
 *   getpid round trip                   the cost of entering and leaving the kernel
 *   mmap+munmap 2 MiB, N entries        placement and removal with N = 10, 1000, 10000 other
 *                                       mappings in the map (plain and MAP_ALIGNED_SUPER)
 *   first touch of 64 MiB               one write per 4 KiB page: faults, of them 2 MiB ones, and
 *                                       cycles per MiB, for MAP_ALIGNED_SUPER memory (32 faults
 *                                       expected), for memory placed without hints on a fragmented
 *                                       map, and for memory whose entries are split every 1 MiB
 *                                       so that only 4 KiB pages can be used
 * Exits 1 if a call fails or the MAP_ALIGNED_SUPER touch does not take exactly 32 faults.
 */
#include <bench.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vm_stat.h>

#define PG 4096ul
#define MIB (1ul << 20)
#define TOUCH_LEN (64 * MIB)
#define GETPID_CALLS 100000
#define MAP_ROUNDS 1000
#define TOUCH_ROUNDS 3

static int failed;

static void fail(const char *what)
{
	printf("bench_vm: %s failed: %s\n", what, strerror(errno));
	failed = 1;
}

static void bench_getpid(void)
{
	uint64_t mean, best = bench_getpid_cycles(10, GETPID_CALLS / 10, &mean);

	printf("bench_vm: getpid round trip: %lu cycles (best round; mean %lu)\n",
	       (unsigned long)best, (unsigned long)mean);
}

/*
 * Grow the population of small mappings to n entries: one page each, protections alternating so
 * that neighbours never merge. Returns 0, or -1 after reporting.
 */
static int populate(void **pages, size_t *have, size_t n)
{
	for (; *have < n; (*have)++) {
		int prot = *have % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
		pages[*have] = mmap(NULL, PG, prot, MAP_PRIVATE | MAP_ANON, -1, 0);
		if (pages[*have] == MAP_FAILED) {
			fail("mmap (population)");
			return -1;
		}
	}
	return 0;
}

/* Best of 3 batches of MAP_ROUNDS mmap+munmap pairs of 2 MiB. */
static void bench_map_unmap(size_t entries, int flags, const char *label)
{
	uint64_t best = ~0ul;

	for (int batch = 0; batch < 3; batch++) {
		uint64_t t0 = uptime();
		for (int i = 0; i < MAP_ROUNDS; i++) {
			void *p = mmap(NULL, 2 * MIB, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANON | flags, -1, 0);
			if (p == MAP_FAILED || munmap(p, 2 * MIB)) {
				fail("mmap+munmap");
				return;
			}
		}
		uint64_t t = (uptime() - t0) / MAP_ROUNDS;
		if (t < best)
			best = t;
	}
	printf("bench_vm: mmap+munmap 2 MiB%-18s with %5lu mappings: %6lu cycles\n", label,
	       (unsigned long)entries, (unsigned long)best);
}

/*
 * Touch one byte per page of the 64 MiB at p; store the faults, the 2 MiB faults and the cycles
 * per MiB through the pointers. Returns 0, or -1 after reporting.
 */
static int touch(volatile char *p, uint64_t *faults, uint64_t *faults_2m, uint64_t *cycles_per_mib)
{
	struct vm_stat a, b;

	if (vm_stat(0, &a)) {
		fail("vm_stat");
		return -1;
	}
	uint64_t t0 = uptime();
	for (size_t off = 0; off < TOUCH_LEN; off += PG)
		p[off] = 1;
	uint64_t t = uptime() - t0;
	if (vm_stat(0, &b)) {
		fail("vm_stat");
		return -1;
	}
	*faults = b.faults - a.faults;
	*faults_2m = b.faults_2m - a.faults_2m;
	*cycles_per_mib = t / (TOUCH_LEN / MIB);
	return 0;
}

enum layout { ALIGNED, FRAGMENTED, SPLIT };

/* A fresh 64 MiB laid out as `how` says; MAP_FAILED after reporting. */
static volatile char *map_for_touch(enum layout how)
{
	int flags = MAP_PRIVATE | MAP_ANON | (how == FRAGMENTED ? 0 : MAP_ALIGNED_SUPER);
	volatile char *p = mmap(NULL, TOUCH_LEN, PROT_READ | PROT_WRITE, flags, -1, 0);

	if (p == MAP_FAILED) {
		fail("mmap (touch)");
		return p;
	}
	/* Entries split every 1 MiB (alternating rw- and rwx): no entry holds an aligned 2 MiB. */
	for (size_t off = MIB; how == SPLIT && off < TOUCH_LEN; off += 2 * MIB)
		if (mprotect((void *)(p + off), MIB, PROT_READ | PROT_WRITE | PROT_EXEC))
			fail("mprotect");
	return p;
}

/* Best of TOUCH_ROUNDS first touches of a 64 MiB mapping laid out as `how`; returns the faults. */
static uint64_t bench_touch_one(enum layout how, const char *label)
{
	uint64_t faults = 0, faults_2m = 0, best = ~0ul;
	uintptr_t at = 0;

	for (int round = 0; round < TOUCH_ROUNDS; round++) {
		uint64_t cycles;
		volatile char *p = map_for_touch(how);
		if (p == MAP_FAILED)
			return 0;
		at = (uintptr_t)p;
		if (touch(p, &faults, &faults_2m, &cycles))
			return 0;
		if (cycles < best)
			best = cycles;
		munmap((void *)p, TOUCH_LEN);
	}
	char where[64];
	snprintf(where, sizeof(where), "%s (+%lu KiB)", label,
		 (unsigned long)((at % (2 * MIB)) / 1024));
	printf("bench_vm: first touch 64 MiB, %-40s: %5lu faults (%2lu of 2 MiB), %8lu cycles/MiB\n",
	       where, (unsigned long)faults, (unsigned long)faults_2m, (unsigned long)best);
	return faults;
}

/*
 * QEMU gives the guest's RAM host memory at its first write, which costs far more than the fault
 * being measured: write every page of 3 x 64 MiB once, so that the runs below get frames the host
 * has already backed (pmm hands freed frames out again first).
 */
static void warm_up(void)
{
	size_t len = 3 * TOUCH_LEN;
	volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANON | MAP_ALIGNED_SUPER, -1, 0);

	if (p == MAP_FAILED) {
		fail("mmap (warm-up)");
		return;
	}
	for (size_t off = 0; off < len; off += PG)
		p[off] = 1;
	munmap((void *)p, len);
}

static void bench_touch(void **pages, size_t npages)
{
	warm_up();
	uint64_t faults = bench_touch_one(ALIGNED, "MAP_ALIGNED_SUPER");
	if (faults != TOUCH_LEN / (2 * MIB)) {
		printf("bench_vm: MAP_ALIGNED_SUPER took %lu faults, expected %lu\n",
		       (unsigned long)faults, (unsigned long)(TOUCH_LEN / (2 * MIB)));
		failed = 1;
	}
	bench_touch_one(SPLIT, "4 KiB pages only");

	/*
	 * No hint on a fragmented map: free every third small mapping (holes too small for 64 MiB)
	 * and take one more page, so that the 64 MiB land after the population off 2 MiB alignment.
	 */
	for (size_t i = 0; i < npages; i += 3)
		munmap(pages[i], PG);
	if (mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANON, -1, 0) == MAP_FAILED)
		fail("mmap (skew)");
	bench_touch_one(FRAGMENTED, "no hint, fragmented map");
}

int main(void)
{
	static void *pages[10000];
	static const size_t sizes[] = {10, 1000, 10000};
	size_t have = 0;

	bench_getpid();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (populate(pages, &have, sizes[i]))
			return 1;
		bench_map_unmap(sizes[i], 0, "");
		bench_map_unmap(sizes[i], MAP_ALIGNED_SUPER, " MAP_ALIGNED_SUPER");
	}
	bench_touch(pages, have);
	return failed;
}
