/*
 * vm_map_list: walking a map in batches of any size gives the same entries as one big call; a
 * `from` inside an entry starts with that entry; past the end gives 0; max 0 gives 0 whatever the
 * pointer; a call stores at most 256 entries (fewer than max is not the end); entry flags (image,
 * stack, guard, anonymous) and per-entry resident counts (4 KiB and 2 MiB) are right; another
 * task's map can be listed (and printed by bin/vmmap); ESRCH, ENOENT and EFAULT (NULL, kernel,
 * unmapped, read-only, straddling buffers) with nothing written out of bounds.
 */
#include <task_info.h>

#include "vm_util.h"

static struct vm_listing full, part;

static void test_batches(void)
{
	static const uint64_t sizes[] = {1, 2, 3, 7, 255, 256, 257, 1000};

	memset(&full, 0, sizeof(full));
	memset(&part, 0, sizeof(part));
	CHECK_EQ(vm_list_all(0, &full), 0);
	CHECK(full.n >= 4);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t from = 0;
		size_t n = 0;
		long r;
		while (n < VM_LIST_MAX &&
		       (r = raw_map_list(0, (uint64_t)&part.e[n], sizes[s], from)) > 0) {
			CHECK(r <= (long)sizes[s]);
			n += (size_t)r;
			from = part.e[n - 1].end;
		}
		CHECK_EQ(r, 0);
		CHECK_EQ(n, full.n);
		CHECK(!memcmp(part.e, full.e, full.n * sizeof(full.e[0])));
	}

	/* Where a walk starts. */
	const struct vm_map_ent *e1 = &full.e[1];
	struct vm_map_ent one;
	CHECK_EQ(raw_map_list(0, (uint64_t)&one, 1, e1->start), 1);
	CHECK(!memcmp(&one, e1, sizeof(one)));
	CHECK_EQ(raw_map_list(0, (uint64_t)&one, 1, e1->end - 1), 1);
	CHECK(!memcmp(&one, e1, sizeof(one)));
	CHECK_EQ(raw_map_list(0, (uint64_t)&one, 1, e1->end), 1);
	CHECK(!memcmp(&one, &full.e[2], sizeof(one)));
	CHECK_EQ(raw_map_list(0, (uint64_t)&one, 1, e1->start - 1), 1);
	CHECK_EQ(one.start, full.e[e1->start - 1 < full.e[0].end ? 0 : 1].start);
	CHECK_EQ(raw_map_list(0, (uint64_t)&one, 1, full.e[full.n - 1].end), 0);
	CHECK_EQ(raw_map_list(0, (uint64_t)&one, 1, USER_TOP), 0);
	CHECK_EQ(raw_map_list(0, (uint64_t)&one, 1, ~0ul), 0);

	/* max 0: nothing to store, nothing checked. */
	CHECK_EQ(raw_map_list(0, 0, 0, 0), 0);
	CHECK_EQ(raw_map_list(0, KERNEL_TEXT, 0, 0), 0);
}

static void test_flags_and_resident(void)
{
	long a = anon(0, 8 * PG, 0);
	long s = anon(0, 2 * SUPER, MAP_ALIGNED_SUPER);
	long g = raw_mmap(0, 4 * PG, PROT_NONE, MAP_GUARD, -1, 0);

	CHECK(a > 0 && s > 0 && g > 0);
	for (int i = 0; i < 3; i++)
		*(volatile char *)(a + i * 2 * (long)PG) = 1;
	*(volatile char *)(s + 5) = 1;
	*(volatile char *)(s + (long)SUPER + 3 * (long)PG) = 1;
	CHECK_EQ(raw_mprotect((uint64_t)s + SUPER + 100 * PG, PG, PROT_READ), 0);
	memset(&full, 0, sizeof(full));
	CHECK_EQ(vm_list_all(0, &full), 0);

	const struct vm_map_ent *e = vm_find(&full, (uint64_t)a);
	CHECK(e && e->flags == VM_ENT_ANON && e->resident_4k == 3 && e->resident_2m == 0);
	e = vm_find(&full, (uint64_t)s);
	CHECK(e && e->start == (uint64_t)s && e->end == (uint64_t)s + SUPER + 100 * PG &&
	      e->resident_2m == 1 && e->resident_4k == 100);
	e = vm_find(&full, (uint64_t)s + SUPER + 100 * PG);
	CHECK(e && e->prot == PROT_READ && e->resident_4k == 1 && e->resident_2m == 0);
	e = vm_find(&full, (uint64_t)s + SUPER + 101 * PG);
	CHECK(e && e->end == (uint64_t)s + 2 * SUPER && e->resident_4k == 411 &&
	      e->resident_2m == 0);
	e = vm_find(&full, (uint64_t)g);
	CHECK(e && e->flags == VM_ENT_GUARD && e->prot == 0 && e->max_prot == 0);
	e = vm_find(&full, (uint64_t)vm_opaque((uintptr_t)test_batches));
	CHECK(e && e->flags == VM_ENT_IMAGE && e->prot == (PROT_READ | PROT_EXEC) &&
	      e->max_prot == e->prot && e->resident_4k >= 1);
	e = vm_find(&full, (uint64_t)&full);
	CHECK(e && e->flags == VM_ENT_IMAGE && e->prot == (PROT_READ | PROT_WRITE) &&
	      e->max_prot == e->prot);
	char here; /* the stack, wherever ASLR put it, with its guard entry right below */
	e = vm_find(&full, (uint64_t)&here);
	CHECK(e && e->flags == (VM_ENT_STACK | VM_ENT_ANON) && e->end - e->start == 256 * 1024 &&
	      e->resident_4k >= 1);
	const struct vm_map_ent *below = e ? vm_find(&full, e->start - 8) : NULL;
	CHECK(below && below->flags == VM_ENT_GUARD && below->end == e->start);
	CHECK_EQ(vm_check_map(), 0);

	CHECK_EQ(raw_munmap((uint64_t)a, 8 * PG), 0);
	CHECK_EQ(raw_munmap((uint64_t)s, 2 * SUPER), 0);
	CHECK_EQ(raw_munmap((uint64_t)g, 4 * PG), 0);
}

/* 600 entries (every other page read-only): a call stores at most 256 of them. */
static void test_many(void)
{
	const size_t pages = 600;
	struct vm_stat st;
	/* Between guards, so that no neighbour merges with the first or last piece. */
	long g = raw_mmap(0, (pages + 2) * PG, PROT_NONE, MAP_GUARD, -1, 0);
	long a = anon((uint64_t)g + PG, pages * PG, MAP_FIXED);

	CHECK(g > 0 && a == g + (long)PG);
	for (size_t i = 1; i < pages; i += 2)
		CHECK_EQ(raw_mprotect((uint64_t)a + i * PG, PG, PROT_READ), 0);
	memset(&part, 0, sizeof(part));
	CHECK_EQ(raw_map_list(0, (uint64_t)part.e, VM_LIST_MAX, (uint64_t)a), 256);
	CHECK_EQ(part.e[0].start, (uint64_t)a);
	CHECK_EQ(part.e[255].end, (uint64_t)a + 256 * PG);
	CHECK_EQ(raw_map_list(0, (uint64_t)part.e, ~0ul, (uint64_t)a), 256);
	memset(&full, 0, sizeof(full));
	CHECK_EQ(vm_list_all(0, &full), 0);
	CHECK_EQ(vm_count_in(&full, (uint64_t)a, (uint64_t)a + pages * PG), pages);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&st), 0);
	CHECK_EQ(st.map_entries, full.n);
	CHECK_EQ(vm_check_map(), 0);
	CHECK_EQ(raw_munmap((uint64_t)g, (pages + 2) * PG), 0);
}

static void test_errors(void)
{
	long ro = raw_mmap(0, PG, PROT_READ, MAP_PRIVATE | MAP_ANON, -1, 0);
	long edge = anon(0, 2 * PG, 0);
	struct vm_map_ent two[2];

	CHECK(ro > 0 && edge > 0);
	CHECK_EQ(raw_munmap((uint64_t)edge + PG, PG), 0);
	CHECK_EQ(raw_map_list(0, 0, 1, 0), -EFAULT);
	CHECK_EQ(raw_map_list(0, 16, 4, 0), -EFAULT);
	CHECK_EQ(raw_map_list(0, KERNEL_TEXT, 1, 0), -EFAULT);
	CHECK_EQ(raw_map_list(0, KERNEL_TEXT, 1ul << 62, 0), -EFAULT);
	CHECK_EQ(raw_map_list(0, DIRECT_MAP, 10, 0), -EFAULT);
	CHECK_EQ(raw_map_list(0, USER_TOP - 40, 2, 0), -EFAULT);
	CHECK_EQ(raw_map_list(0, ~0ul - 39, 1, 0), -EFAULT);
	CHECK_EQ(raw_map_list(0, (uint64_t)ro, 1, 0), -EFAULT);
	CHECK_EQ(raw_map_list(0, (uint64_t)vm_opaque((uintptr_t)test_errors), 1, 0), -EFAULT);
	/* The second entry would cross into the unmapped page. */
	CHECK_EQ(raw_map_list(0, (uint64_t)edge + PG - 40 - 8, 2, 0), -EFAULT);
	CHECK_EQ(*(volatile uint64_t *)ro, 0);
	CHECK_EQ(raw_map_list(999999, (uint64_t)two, 2, 0), -ESRCH);
	CHECK_EQ(raw_map_list(-3, (uint64_t)two, 2, 0), -ESRCH);
	CHECK_EQ(raw_munmap((uint64_t)ro, PG), 0);
	CHECK_EQ(raw_munmap((uint64_t)edge, PG), 0);
	CHECK_EQ(vm_check_map(), 0);
}

static void test_other_task(const char *self)
{
	char pidbuf[16];
	int st = -1;
	long pid = spawn_self(self, "idle", NULL);

	CHECK(pid > 0);
	memset(&full, 0, sizeof(full));
	CHECK_EQ(vm_list_all(pid, &full), 0);
	/* Its image (text and data), a guard and the stack at least. */
	size_t image = 0, stack = 0, guard = 0;
	for (size_t i = 0; i < full.n; i++) {
		image += full.e[i].flags == VM_ENT_IMAGE;
		stack += full.e[i].flags == (VM_ENT_STACK | VM_ENT_ANON);
		guard += full.e[i].flags == VM_ENT_GUARD;
	}
	CHECK(image == 2 && stack == 1 && guard >= 1);
	for (size_t i = 1; i < full.n; i++)
		if (full.e[i].flags & VM_ENT_STACK)
			CHECK(full.e[i - 1].flags == VM_ENT_GUARD &&
			      full.e[i - 1].end == full.e[i].start);

	/* bin/vmmap prints it (exit 0), and fails (exit 1) for a pid nobody has. */
	snprintf(pidbuf, sizeof(pidbuf), "%ld", pid);
	char *argv[] = {"vmmap", pidbuf, NULL};
	long v = sys2(SYS_spawn, (long)"vmmap", (long)argv);
	CHECK(v > 0);
	CHECK_EQ(sys3(SYS_waitpid, v, (long)&st, 0), v);
	CHECK_EQ(st, 0);
	char *bad[] = {"vmmap", "999999", NULL};
	v = sys2(SYS_spawn, (long)"vmmap", (long)bad);
	CHECK(v > 0);
	CHECK_EQ(sys3(SYS_waitpid, v, (long)&st, 0), v);
	CHECK_EQ(st, 1);

	CHECK_EQ(kill((int)pid), 0);
	CHECK_EQ(sys3(SYS_waitpid, pid, (long)&st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == TASK_KILLED_STATUS);
	CHECK_EQ(raw_map_list(pid, (uint64_t)full.e, 1, 0), -ESRCH);

	/* A zombie has no map. */
	pid = spawn_self(self, "exit", NULL);
	CHECK(pid > 0);
	for (int i = 0; i < 2000 && raw_map_list(pid, (uint64_t)full.e, 1, 0) > 0; i++)
		sys0(SYS_sched_yield);
	CHECK_EQ(raw_map_list(pid, (uint64_t)full.e, 1, 0), -ENOENT);
	CHECK_EQ(sys3(SYS_waitpid, pid, (long)&st, 0), pid);
}

int main(int argc, char **argv)
{
	if (argc >= 2) {
		/* Alive until the parent kills it, however many CPUs run beside it. */
		if (!strcmp(argv[1], "idle")) {
			for (;;)
				sys0(SYS_sched_yield);
		}
		if (!strcmp(argv[1], "exit"))
			return 0;
		return 101;
	}
	test_batches();
	test_flags_and_resident();
	test_many();
	test_errors();
	test_other_task(argv[0]);
	return utest_result("vm_map_list");
}
