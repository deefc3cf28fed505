/*
 * Preemption of tasks that live in system calls. A child ("hog") makes heavy system calls
 * back to back for a while, creating and closing a 4 MiB BPF array and listing its map of 400
 * entries, so the timer almost never finds it in ring 3. This parent stays runnable (it spins in ring 3, polling waitpid)
 * and then reads its own longest wait for the CPU from SYS_sched_stat: it must be about two
 * slices, however long the hog's calls are. Before system calls could be preempted on their way
 * back to ring 3, a hog like this kept the CPU for most of its run.
 *
 * Role "spin" (for tests/kernel/test_preempt.c): creates and closes 62 MiB BPF arrays forever, so
 * it is almost never in ring 3 when the timer ticks; only preemption in the kernel lets the test
 * runner's time limit end it.
 */
#include <bpf.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <vm_stat.h>

#include "utest.h"

#define HOG_ROUNDS 60
#define HOG_MAPPINGS 400

static int hog(void)
{
	static struct vm_map_ent ents[256];
	char *guards =
		mmap(NULL, HOG_MAPPINGS * 2 * 4096ul, PROT_NONE, MAP_ANON | MAP_PRIVATE, -1, 0);

	if (guards == MAP_FAILED)
		return 2;
	/* Every other page read-only: HOG_MAPPINGS entries that cannot merge. */
	for (int i = 0; i < HOG_MAPPINGS; i++)
		if (mprotect(guards + i * 2 * 4096ul, 4096, PROT_READ))
			return 3;
	for (int round = 0; round < HOG_ROUNDS; round++) {
		int fd = bpf_native_map_create(BPF_MAP_TYPE_ARRAY, 4, 4096, 1024);
		if (fd < 0)
			return 4;
		close(fd);
		for (int pass = 0; pass < 8; pass++) {
			uint64_t from = 0;
			long n;
			while ((n = vm_map_list(0, ents, 256, from)) > 0)
				from = ents[n - 1].end;
		}
	}
	struct sched_stat st;
	if (sched_stat(0, &st) == 0)
		printf("# hog: preempted %lu times\n", (unsigned long)st.preemptions);
	return 0;
}

static _Noreturn void spin(void)
{
	for (;;) {
		int fd = bpf_native_map_create(BPF_MAP_TYPE_ARRAY, 4, 4096, 15872);
		if (fd >= 0)
			close(fd);
	}
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "hog"))
		return hog();
	if (argc >= 2 && !strcmp(argv[1], "spin"))
		spin();

	long pid = spawn_self(argv[0], "hog", NULL);
	CHECK(pid > 0);
	int status = -1;
	unsigned long polls = 0;
	while (pid > 0 && waitpid((pid_t)pid, &status, WNOHANG) == 0)
		polls++;
	CHECK_EQ(status, 0);

	struct sched_stat st;
	CHECK_EQ(sched_stat(0, &st), 0);
	printf("# longest wait for the CPU beside the hog: %lu ticks of %u us (slice %u ticks), %lu polls\n",
	       (unsigned long)st.max_wait, st.tick_us, st.slice_ticks, polls);
	/* Two slices, and one tick for where in its tick each switch falls. */
	CHECK(st.max_wait <= 2 * st.slice_ticks + 1);
	CHECK_EQ(sched_stat(999999, &st), -1);
	CHECK_EQ(errno, ESRCH);
	CHECK_EQ(sched_stat(0, (struct sched_stat *)KERNEL_TEXT), -1);
	CHECK_EQ(errno, EFAULT);
	return utest_result("preempt");
}
