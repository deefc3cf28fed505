/*
 * The open-coded task VMA iterator (bpf_iter_task_vma_new/_next/_destroy, kernel/bpf/kfunc.h)
 * through bpftool's skeletons, as Linux's selftests use it:
 *   - the example of bpf_iter_task_vma_new.md unchanged (tests/bpf/iter_task_vma_example.bpf.c,
 *     SEC("raw_tp/sys_enter")): attached, it runs on this task's next system call, vm_map_list's
 *     own; vmas_seen and vm_ranges equal that call's listing, entry for entry (guards and the
 *     callback trampoline included), and with more than 1000 entries it stops at 1000, the bound
 *     the verifier proved by walking the loop (Linux rejects this object: "invalid access to map
 *     value, off=16008");
 *   - syscall programs run by BPF_PROG_TEST_RUN (tests/bpf/task_vma_iter.bpf.c): the walk starts
 *     at the VMA containing addr, or the first above it, or yields nothing past the last; -EBUSY
 *     when this task's map is locked for writing (SYS_task_lock_map), and nothing to iterate;
 *     the typed fields (vm_flags) are the kernel's;
 *   - an iter/task_vma program walks each task it is shown (this one, and a child asleep: a task
 *     that is not the one running) with the open-coded iterator: as many VMAs as vm_map_list lists;
 *   - refused at load, with the verifier's reason: a kernel function that is no kfunc, an iterator
 *     never destroyed, a store through the element;
 * and at the end no program or map left in the kernel.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <task_info.h>
#include <time.h>
#include <unistd.h>
#include <vm_stat.h>

#include "iter_task_vma_example.skel.h"
#include "libbpf_util.h"
#include "task_vma_iter.skel.h"
#include "uapi/bpf.h"
#include "uapi/syscall.h"

#define SELF "test/bpf_iter_task_vma"
#define PG 4096ul
#define MAXENT 1300
#define MANY 1100 /* mappings added to pass the example's bound of 1000 */

static struct vm_map_ent ents[MAXENT];

/* Task pid's (0: this one's) map, every entry (vm_map_list in batches): how many, or -1. */
static int list_map_of(int pid)
{
	size_t n = 0;

	for (;;) {
		ssize_t k = vm_map_list(pid, ents + n, MAXENT - n, n ? ents[n - 1].end : 0);
		if (k < 0)
			return -1;
		if (k == 0 || n + (size_t)k == MAXENT)
			return (int)(n + (size_t)k);
		n += (size_t)k;
	}
}

static int list_map(void)
{
	return list_map_of(0);
}

/* The example, attached to sys_enter; the listing taken by the system call it runs on. */
static void run_example(int *listed, struct iter_task_vma_example **out)
{
	struct iter_task_vma_example *skel = iter_task_vma_example__open_and_load();

	*out = NULL;
	*listed = -1;
	CHECK(skel != NULL);
	if (!skel)
		return;
	skel->bss->target_pid = getpid();
	CHECK_EQ(iter_task_vma_example__attach(skel), 0);
	*listed = list_map();
	iter_task_vma_example__detach(skel);
	*out = skel;
}

static void check_example(int listed, const struct iter_task_vma_example *skel)
{
	unsigned int want = listed > 1000 ? 1000 : (unsigned int)listed;

	printf("# example: %u VMAs seen, %d listed\n", skel->bss->vmas_seen, listed);
	CHECK(listed > 0);
	CHECK_EQ(skel->bss->vmas_seen, want);
	unsigned int bad = 0;
	for (unsigned int i = 0; i < want && i < skel->bss->vmas_seen; i++)
		bad += skel->bss->vm_ranges[i].vm_start != ents[i].start ||
		       skel->bss->vm_ranges[i].vm_end != ents[i].end;
	CHECK_EQ(bad, 0);
}

static void test_example(void)
{
	struct iter_task_vma_example *skel;
	int listed;

	run_example(&listed, &skel);
	if (!skel)
		return;
	/* The trampoline page and the stack's guard are among them. */
	bool guard = false;
	for (int i = 0; i < listed; i++)
		guard |= (ents[i].flags & VM_ENT_GUARD) != 0;
	CHECK(guard);
	check_example(listed, skel);
	iter_task_vma_example__destroy(skel);
}

/* MANY more one-page mappings that cannot merge (alternate protections): the loop's break. */
static void test_example_bound(void)
{
	long g = (long)mmap(NULL, MANY * PG, PROT_NONE, MAP_GUARD, -1, 0);

	CHECK(g != -1);
	if (g == -1)
		return;
	for (uint64_t i = 0; i < MANY; i++)
		CHECK(mmap((void *)(g + i * PG), PG, i & 1 ? PROT_READ : PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANON | MAP_FIXED, -1, 0) != MAP_FAILED);
	struct iter_task_vma_example *skel;
	int listed;
	run_example(&listed, &skel);
	if (skel) {
		CHECK(listed > 1000);
		check_example(listed, skel);
		iter_task_vma_example__destroy(skel);
	}
	munmap((void *)g, MANY * PG);
}

static long walk_from(struct task_vma_iter *skel, uint64_t addr)
{
	skel->bss->start_addr = addr;
	skel->data->new_ret = 1;
	skel->bss->count = 12345;
	return run_syscall(skel->progs.walk);
}

static void test_walks(void)
{
	struct task_vma_iter *skel = task_vma_iter__open_and_load();

	CHECK(skel != NULL);
	if (!skel)
		return;
	/* A gap: a guard-free hole between two mappings, to start in. */
	long g = (long)mmap(NULL, 4 * PG, PROT_READ, MAP_PRIVATE | MAP_ANON, -1, 0);
	CHECK(g != -1);
	CHECK_EQ(munmap((void *)(g + PG), 2 * PG), 0);

	/* From 0: everything, as vm_map_list lists it. */
	CHECK_EQ(walk_from(skel, 0), 0);
	int n = list_map();
	CHECK_EQ(skel->data->new_ret, 0);
	CHECK_EQ((int)skel->bss->count, n);
	CHECK_EQ(skel->bss->first_start, ents[0].start);
	CHECK_EQ(skel->bss->first_end, ents[0].end);
	CHECK_EQ(skel->bss->last_end, ents[n - 1].end);
	CHECK((skel->bss->flags_or & (VM_READ | VM_EXEC)) == (VM_READ | VM_EXEC));

	/* Inside a VMA: from that one. */
	CHECK_EQ(walk_from(skel, (uint64_t)g + 100), 0);
	CHECK_EQ(skel->data->new_ret, 0);
	CHECK_EQ(skel->bss->first_start, (uint64_t)g);
	CHECK_EQ(skel->bss->first_end, (uint64_t)g + PG);
	int before = 0;
	while (before < n && ents[before].start != (uint64_t)g)
		before++;
	CHECK_EQ((int)skel->bss->count, n - before);

	/* In the gap: the first VMA above. */
	CHECK_EQ(walk_from(skel, (uint64_t)g + PG), 0);
	CHECK_EQ(skel->bss->first_start, (uint64_t)g + 3 * PG);
	CHECK_EQ((int)skel->bss->count, n - before - 1);

	/* Past the last: nothing, and no error. */
	CHECK_EQ(walk_from(skel, ents[n - 1].end), 0);
	CHECK_EQ(skel->data->new_ret, 0);
	CHECK_EQ(skel->bss->count, 0);

	/* The map locked for writing: -EBUSY at once, and an iterator that yields nothing. */
	CHECK_EQ(sys2(SYS_task_lock_map, 0, 1), 0);
	long r = walk_from(skel, 0);
	CHECK_EQ(sys2(SYS_task_lock_map, 0, 0), 0);
	CHECK_EQ(r, 0);
	CHECK_EQ(skel->data->new_ret, -EBUSY);
	CHECK_EQ(skel->bss->count, 0);

	/* The benchmark's loop: bpf_for_each, every VMA. */
	CHECK_EQ(run_syscall(skel->progs.count_all), 0);
	CHECK_EQ((int)skel->bss->count, list_map());

	munmap((void *)g, 4 * PG);
	task_vma_iter__destroy(skel);
}

/*
 * An iter/task_vma program walks each task it is shown with the open-coded iterator: this task
 * and a child asleep in another program, which is not the running task.
 */
static void test_other_task(void)
{
	char *argv[] = {SELF, "sleep", NULL};
	pid_t child = spawn(SELF, argv);
	struct timespec ts = {0, 200000000};

	CHECK(child > 0);
	if (child <= 0)
		return;
	nanosleep(&ts, NULL); /* until it sleeps: its map no longer changes */
	struct task_vma_iter *skel = task_vma_iter__open();
	CHECK(skel != NULL);
	if (skel) {
		CHECK_EQ(bpf_program__set_autoload(skel->progs.count_each_task, true), 0);
		CHECK_EQ(task_vma_iter__load(skel), 0);
	}
	struct bpf_link *link =
		skel ? bpf_program__attach_iter(skel->progs.count_each_task, NULL) : NULL;
	CHECK(link != NULL);
	if (link) {
		int fd = bpf_iter_create(bpf_link__fd(link));
		char buf[256];
		CHECK(fd >= 0);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		int pids[] = {getpid(), child};
		for (int i = 0; i < 2; i++) {
			unsigned int n = 0;
			CHECK_EQ(
				bpf_map_lookup_elem(bpf_map__fd(skel->maps.per_task), &pids[i], &n),
				0);
			CHECK_EQ((int)n, list_map_of(pids[i]));
		}
		bpf_link__destroy(link);
	}
	task_vma_iter__destroy(skel);
	CHECK_EQ(kill(child), 0);
	int status;
	CHECK_EQ(waitpid(child, &status, 0), child);
}

/* Each refused program, loaded alone: the error and the verifier's reason. */
static void test_refused(void)
{
	static const struct {
		const char *prog, *why;
		int err;
	} cases[] = {
		{"not_a_kfunc", "calling kernel function bpf_iter_task_vma is not allowed",
		 -EACCES},
		{"no_destroy", "Unreleased reference", -EINVAL},
		{"write_vma", "only read is supported", -EACCES},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct task_vma_iter *skel = task_vma_iter__open();
		CHECK(skel != NULL);
		if (!skel)
			return;
		struct bpf_program *p = bpf_object__find_program_by_name(skel->obj, cases[i].prog);
		CHECK(p != NULL && bpf_program__set_autoload(p, true) == 0);
		capture_begin();
		int r = task_vma_iter__load(skel);
		capture_end();
		CHECK_EQ(r, cases[i].err);
		CHECK(captured(cases[i].why));
		if (!captured(cases[i].why))
			capture_show();
		task_vma_iter__destroy(skel);
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "sleep")) {
		struct timespec ts = {60, 0};
		nanosleep(&ts, NULL);
		return 0;
	}
	int progs = count_progs(), maps = count_maps();

	test_example();
	test_example_bound();
	test_walks();
	test_other_task();
	test_refused();
	CHECK_EQ(count_progs(), progs);
	CHECK_EQ(count_maps(), maps);
	return utest_result("bpf_iter_task_vma");
}
