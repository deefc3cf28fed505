/*
 * Stale TLB entries (issue 11, needs TLB shootdown): a reader thread, running on another CPU,
 * reads a page in a loop; the first thread munmaps the page and then raises a flag. The reader
 * reads the flag before each read of the page, so once it has seen the flag, munmap had returned
 * before its next read: that read must fault (the page fault ends the task, which the parent sees
 * as its wait status). A read that succeeds through a stale TLB entry makes the reader exit(42)
 * instead. Likewise mprotect to read-only with a writer thread. Each case runs in a child task,
 * ROUNDS times. With one CPU there is no other CPU to hold a stale entry: the test says SKIP.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "thread_util.h"
#include "vm_util.h"

#define ROUNDS 6
#define STALE 42

static volatile int *page;
static volatile int flag;
static volatile long accesses;

static void *reader(void *arg)
{
	(void)arg;
	for (;;) {
		int seen = __atomic_load_n(&flag, __ATOMIC_ACQUIRE);
		(void)*page;
		accesses++;
		if (seen)
			exit(STALE);
	}
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	for (;;) {
		int seen = __atomic_load_n(&flag, __ATOMIC_ACQUIRE);
		*page = (int)accesses;
		accesses++;
		if (seen)
			exit(STALE);
	}
	return NULL;
}

static int child(const char *role)
{
	bool unmap = !strcmp(role, "munmap");
	page = (volatile int *)anon(0, PG, 0);
	*page = 1;
	pthread_t t;
	pthread_create(&t, NULL, unmap ? reader : writer, NULL);
	/* The other thread runs and has the page in its TLB. */
	while (accesses < 100000)
		__builtin_ia32_pause();
	if (unmap)
		CHECK_EQ(raw_munmap((uint64_t)page, PG), 0);
	else
		CHECK_EQ(raw_mprotect((uint64_t)page, PG, PROT_READ), 0);
	__atomic_store_n(&flag, 1, __ATOMIC_RELEASE);
	/* The other thread's next access faults and ends us all; if not, say so. */
	yield_for(100, 200000000);
	return utest_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2)
		return child(argv[1]);
	if (cpu_count() < 2) {
		printf("# SKIP thread_tlb: one CPU, no other TLB to go stale\n");
		return 0;
	}
	static const char *const roles[] = {"munmap", "mprotect"};
	for (int r = 0; r < ROUNDS; r++) {
		for (int k = 0; k < 2; k++) {
			int st = run_self(argv[0], roles[k], NULL);
			if (!KILLED_BY_PF(st))
				printf("# round %d, %s: wait status %#x (exit %d: %s)\n", r,
				       roles[k], st, WEXITSTATUS(st),
				       WEXITSTATUS(st) == STALE ? "a stale TLB entry let it through"
								: "no fault");
			CHECK(KILLED_BY_PF(st));
		}
	}
	return utest_result("thread_tlb");
}
