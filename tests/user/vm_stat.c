/*
 * vm_stat: the caller's counters (pid 0 and its own pid agree), a child's (spawned, mapping
 * known amounts), exact fault and residency deltas for 4 KiB and 2 MiB pages, map_entries against
 * the listing, free frames going down and up. Errors: ESRCH for pids nobody has, ENOENT for a
 * zombie child, EFAULT for NULL, kernel, unmapped, read-only and straddling pointers, with the
 * kernel unharmed and nothing written where it must not be.
 */
#include <stdlib.h>

#include "vm_util.h"

static struct vm_listing l;

static void test_self(void)
{
	struct vm_stat a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&a), 0);
	CHECK_EQ(raw_vm_stat(sys0(SYS_getpid), (uint64_t)&b), 0);
	CHECK(!memcmp(&a, &b, sizeof(a) - sizeof(a.free_frames)));
	CHECK(a.faults >= 1 && a.resident_4k >= 3 && a.map_entries >= 4 && a.free_frames > 1000);
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_list_all(0, &l), 0);
	CHECK_EQ(a.map_entries, l.n);

	/* Exact deltas: 5 small pages, then one 2 MiB page. */
	long p = anon(0, 5 * PG, 0);
	CHECK(p > 0);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&a), 0);
	for (int i = 0; i < 5; i++)
		*(volatile char *)(p + i * (long)PG) = 1;
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&b), 0);
	CHECK_EQ(b.faults - a.faults, 5);
	CHECK_EQ(b.faults_2m - a.faults_2m, 0);
	CHECK_EQ(b.resident_4k - a.resident_4k, 5);
	CHECK(b.free_frames <= a.free_frames - 5);
	long s = anon(0, SUPER, MAP_ALIGNED_SUPER);
	CHECK(s > 0);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&a), 0);
	*(volatile char *)(s + 12345) = 1;
	*(volatile char *)(s + SUPER - 1) = 1;
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&b), 0);
	CHECK_EQ(b.faults - a.faults, 1);
	CHECK_EQ(b.faults_2m - a.faults_2m, 1);
	CHECK_EQ(b.resident_2m - a.resident_2m, 1);
	CHECK_EQ(b.resident_4k, a.resident_4k);
	CHECK(b.free_frames <= a.free_frames - 512);
	CHECK_EQ(raw_munmap((uint64_t)s, SUPER), 0);
	CHECK_EQ(raw_munmap((uint64_t)p, 5 * PG), 0);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&b), 0);
	CHECK(b.free_frames >= a.free_frames);
	CHECK_EQ(vm_check_map(), 0);
}

/* Pages (4 KiB units) a vm_stat shows resident. */
static uint64_t resident_pages(const struct vm_stat *s)
{
	return s->resident_4k + 512 * s->resident_2m;
}

/* Another task: a child that maps and touches 3 MiB, then yields for a while before it exits. */
static void test_child(const char *self)
{
	struct vm_stat c, c2;
	long pid = spawn_self(self, "child", NULL);
	int st = -1;

	CHECK(pid > 0);
	/* Until the child has touched its memory, its resident count is small. */
	for (int i = 0; i < 2000; i++) {
		memset(&c, 0, sizeof(c));
		if (raw_vm_stat(pid, (uint64_t)&c) == 0 && resident_pages(&c) >= 3 * MB / PG)
			break;
		sys0(SYS_sched_yield);
	}
	CHECK(resident_pages(&c) >= 3 * MB / PG);
	CHECK(c.faults >= 3 * MB / SUPER);
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_list_all(pid, &l), 0);
	CHECK_EQ(c.map_entries, l.n);
	memset(&c2, 0, sizeof(c2));
	CHECK_EQ(raw_vm_stat(pid, (uint64_t)&c2), 0);
	CHECK(resident_pages(&c2) >= resident_pages(&c));
	CHECK_EQ(sys3(SYS_waitpid, pid, (long)&st, 0), pid);
	CHECK_EQ(st, 0);
	/* Reaped: nobody has that pid. */
	CHECK_EQ(raw_vm_stat(pid, (uint64_t)&c), -ESRCH);

	/* A zombie has no address space. */
	pid = spawn_self(self, "exit", NULL);
	CHECK(pid > 0);
	for (int i = 0; i < 2000 && raw_vm_stat(pid, (uint64_t)&c) == 0; i++)
		sys0(SYS_sched_yield);
	CHECK_EQ(raw_vm_stat(pid, (uint64_t)&c), -ENOENT);
	CHECK_EQ(sys3(SYS_waitpid, pid, (long)&st, 0), pid);
}

static void test_errors(void)
{
	struct vm_stat s;
	long ro = raw_mmap(0, PG, PROT_READ, MAP_PRIVATE | MAP_ANON, -1, 0);
	long edge = anon(0, 2 * PG, 0);

	CHECK(ro > 0 && edge > 0);
	CHECK_EQ(raw_munmap((uint64_t)edge + PG, PG), 0);
	CHECK_EQ(raw_vm_stat(999999, (uint64_t)&s), -ESRCH);
	CHECK_EQ(raw_vm_stat(-1, (uint64_t)&s), -ESRCH);
	CHECK_EQ(raw_vm_stat(-12345, (uint64_t)&s), -ESRCH);
	CHECK_EQ(raw_vm_stat(0, 0), -EFAULT);
	CHECK_EQ(raw_vm_stat(0, 8), -EFAULT);
	CHECK_EQ(raw_vm_stat(0, KERNEL_TEXT), -EFAULT);
	CHECK_EQ(raw_vm_stat(0, DIRECT_MAP), -EFAULT);
	CHECK_EQ(raw_vm_stat(0, USER_TOP - 8), -EFAULT);
	CHECK_EQ(raw_vm_stat(0, ~0ul - 7), -EFAULT);
	CHECK_EQ(raw_vm_stat(0, 0x0000800000000000ul), -EFAULT);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)ro), -EFAULT);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)vm_opaque((uintptr_t)test_errors)), -EFAULT);
	/* Straddling the end of a mapping: the first part may be written, the call still fails. */
	CHECK_EQ(raw_vm_stat(0, (uint64_t)edge + PG - 16), -EFAULT);
	CHECK_EQ(*(volatile uint64_t *)ro, 0);
	CHECK_EQ(raw_munmap((uint64_t)ro, PG), 0);
	CHECK_EQ(raw_munmap((uint64_t)edge, PG), 0);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s), 0);
	CHECK_EQ(vm_check_map(), 0);
}

int main(int argc, char **argv)
{
	if (argc >= 2) {
		if (!strcmp(argv[1], "child")) {
			long a = anon(0, 3 * MB, 0);
			for (uint64_t off = 0; off < 3 * MB; off += PG)
				*(volatile char *)(a + (long)off) = 1;
			yield_for(20000, 1ull << 28);
			return 0;
		}
		if (!strcmp(argv[1], "exit"))
			return 0;
		return 101;
	}
	test_self();
	test_child(argv[0]);
	test_errors();
	return utest_result("vm_stat");
}
