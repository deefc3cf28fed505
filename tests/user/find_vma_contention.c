/*
 * bpf_find_vma on another task's map while that task changes it (issue 11: the contract under real
 * contention). The child maps, touches and unmaps memory in a loop; the parent calls find_vma on
 * the child's text meanwhile. On a machine with several CPUs they run at once, so some calls meet
 * the child's map lock held (or wanted) for writing. Every call must either find the right VMA
 * (the child's text: r-x, containing the address) or fail with EBUSY; never another error, a
 * wrong VMA, a wait for the writer or a hang. How many were busy is printed, not asserted (on one
 * CPU the child's short write holds never overlap the parent's calls).
 */
#include <stdlib.h>
#include <sys/wait.h>

#include "bpf_util.h"

#define CHURN_ROUNDS 20000
#define MAX_CALLS 400000

__attribute__((noinline)) static int text_fn(int x)
{
	return x * 5 + 2;
}

/* The child: CHURN_ROUNDS of mmap, touch, munmap; 0 if every call worked. */
static int churn(void)
{
	for (int i = 0; i < CHURN_ROUNDS; i++) {
		char *p =
			mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		p[4096] = (char)i;
		if (munmap(p, 3 * 4096))
			return 2;
	}
	return text_fn(0) == 2 ? 0 : 3;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "churn"))
		return churn();

	long child = spawn_self(argv[0], "churn", NULL);
	CHECK(child > 0);
	if (child <= 0)
		return utest_result("find_vma_contention");

	uint64_t addr = (uint64_t)text_fn;
	long calls = 0, found = 0, busy = 0, gone = 0, bad = 0, wrong = 0;
	int st = -1;
	while (calls < MAX_CALLS) {
		struct seen s;
		memset(&s, 0, sizeof(s));
		long r = raw_find_vma(child, addr, (const void *)seen_cb, &s, 0);
		calls++;
		if (r == 0) {
			found++;
			if (s.calls != 1 || !(s.vma.vm_start <= addr && addr < s.vma.vm_end) ||
			    (s.vma.vm_flags & (VM_READ | VM_WRITE | VM_EXEC)) !=
				    (VM_READ | VM_EXEC) ||
			    s.task.pid != child)
				wrong++;
		} else if (r == -EBUSY) {
			busy++;
		} else if (r == -ESRCH || r == -ENOENT) {
			gone++; /* the child is exiting: its map is going or gone */
		} else {
			bad++;
			if (bad == 1)
				printf("# find_vma_contention: find_vma gave %ld\n", r);
		}
		if (calls % 64 == 0 && waitpid((pid_t)child, &st, WNOHANG) == child) {
			child = 0;
			break;
		}
	}
	if (child > 0) /* MAX_CALLS reached first: let it finish */
		CHECK_EQ(waitpid((pid_t)child, &st, 0), child);
	CHECK_EQ(st, 0);
	CHECK_EQ(bad, 0);
	CHECK_EQ(wrong, 0);
	CHECK(found > 0);
	printf("# find_vma_contention: %ld calls: %ld found, %ld busy, %ld while the child exited\n",
	       calls, found, busy, gone);
	return utest_result("find_vma_contention");
}
