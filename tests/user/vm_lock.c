/*
 * The map lock and the memory calls. A task holding its own map's lock for writing
 * (SYS_task_lock_map) gets EBUSY from mmap, munmap, mprotect, vm_stat and vm_map_list instead of
 * waiting for itself forever, and everything works again once it lets go. A task whose map its
 * parent holds simply waits in mmap until the parent lets go (no EBUSY), while the parent's
 * vm_stat and vm_map_list of that child say EBUSY rather than wait behind a hold that may last.
 * A thread that holds its own task's map and then takes and lets go of a child's still knows it
 * holds its own (EBUSY again, not a wait for itself).
 */
#include <pthread.h>

#include "vm_util.h"

/*
 * Runs in a child. No page may be faulted in while the lock is held (the fault would need the
 * lock): everything used in that window is touched before.
 */
static int role_self_locked(void)
{
	struct vm_stat st;
	struct vm_map_ent ent[2];
	long r[6];
	long a = anon(0, 4 * PG, 0);

	*(volatile char *)a = 1;
	memset(r, 0, sizeof(r));
	if (raw_vm_stat(0, (uint64_t)&st) || raw_map_list(0, (uint64_t)ent, 2, 0) != 2 ||
	    raw_mprotect((uint64_t)a, PG, PROT_READ | PROT_WRITE))
		return 2;
	if (sys2(SYS_task_lock_map, 0, 1))
		return 3;
	r[0] = anon(0, PG, 0);
	r[1] = raw_munmap((uint64_t)a, PG);
	r[2] = raw_mprotect((uint64_t)a, PG, PROT_READ);
	r[3] = raw_vm_stat(0, (uint64_t)&st);
	r[4] = raw_map_list(0, (uint64_t)ent, 2, 0);
	r[5] = anon((uint64_t)a, PG, MAP_FIXED);
	if (sys2(SYS_task_lock_map, 0, 0))
		return 4;
	for (int i = 0; i < 6; i++) {
		if (r[i] != -EBUSY) {
			printf("# self_locked: call %d returned %ld, expected EBUSY\n", i, r[i]);
			return 5;
		}
	}
	/* Nothing happened meanwhile; now everything works. */
	if (*(volatile char *)a != 1 || raw_mprotect((uint64_t)a, PG, PROT_READ) ||
	    raw_munmap((uint64_t)a, 4 * PG) || anon(0, PG, 0) <= 0 ||
	    raw_vm_stat(0, (uint64_t)&st) || raw_map_list(0, (uint64_t)ent, 2, 0) != 2)
		return 6;
	return 0;
}

/* Runs in a child whose map the parent may hold: mmap must succeed, however long it waits. */
static int role_mmap(void)
{
	/* The parent, perhaps on another CPU, locks this map first: then mmap waits for it. */
	yield_for(1, 1ull << 27);
	long a = anon(0, 16 * PG, 0);
	if (a <= 0)
		return 3;
	*(volatile char *)(a + 5 * (long)PG) = 1;
	return raw_munmap((uint64_t)a, 16 * PG) ? 4 : 0;
}

/*
 * A second thread of a child holds its own task's map, takes and lets go of the map of its own
 * child (a grandchild waiting in mmap), then calls mmap: EBUSY, as before it took the other one.
 * (Letting go of the other map once cleared the thread's "holds its own" mark too; this mmap then
 * waited for the thread itself, forever.) Nothing here may fault while the own map is held: the
 * stack the thread uses is touched first.
 */
static const char *marker_self;
static long marker_r[4];

static void *marker_thread(void *arg)
{
	volatile char stack[8192];
	long gpid = (long)arg;

	for (size_t i = 0; i < sizeof(stack); i += 512)
		stack[i] = 1;
	marker_r[0] = sys2(SYS_task_lock_map, 0, 1);
	marker_r[1] = sys2(SYS_task_lock_map, gpid, 1);
	if (!marker_r[1])
		marker_r[1] = sys2(SYS_task_lock_map, gpid, 0);
	marker_r[2] = anon(0, PG, 0);
	if (!marker_r[0])
		marker_r[3] = sys2(SYS_task_lock_map, 0, 0);
	return NULL;
}

static int role_thread_marker(void)
{
	pthread_t th;
	int status = -1;
	long gpid = spawn_self(marker_self, "mmap", NULL);

	if (gpid <= 0)
		return 2;
	if (pthread_create(&th, NULL, marker_thread, (void *)gpid) || pthread_join(th, NULL))
		return 3;
	if (sys3(SYS_waitpid, gpid, (long)&status, 0) != gpid || status != 0)
		return 4;
	if (marker_r[0] || marker_r[1] || marker_r[2] != -EBUSY || marker_r[3]) {
		printf("# thread_marker: lock own %ld, child lock/unlock %ld, mmap %ld (expected EBUSY), "
		       "unlock own %ld\n",
		       marker_r[0], marker_r[1], marker_r[2], marker_r[3]);
		return 5;
	}
	return 0;
}

static void test_parent_holds(const char *self)
{
	struct vm_stat st;
	struct vm_map_ent ent[2];
	int status = -1;
	long pid = spawn_self(self, "mmap", NULL);

	CHECK(pid > 0);
	CHECK_EQ(sys2(SYS_task_lock_map, pid, 1), 0);
	CHECK_EQ(raw_vm_stat(pid, (uint64_t)&st), -EBUSY);
	CHECK_EQ(raw_map_list(pid, (uint64_t)ent, 2, 0), -EBUSY);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&st), 0);
	for (int i = 0; i < 100; i++)
		sys0(SYS_sched_yield);
	/* Still there: it waits for the lock. */
	CHECK_EQ(sys3(SYS_waitpid, pid, (long)&status, WNOHANG), 0);
	CHECK_EQ(sys2(SYS_task_lock_map, pid, 0), 0);
	CHECK_EQ(sys3(SYS_waitpid, pid, (long)&status, 0), pid);
	CHECK_EQ(status, 0);
}

int main(int argc, char **argv)
{
	if (argc >= 2) {
		if (!strcmp(argv[1], "self_locked"))
			return role_self_locked();
		if (!strcmp(argv[1], "mmap"))
			return role_mmap();
		marker_self = argv[0];
		if (!strcmp(argv[1], "thread_marker"))
			return role_thread_marker();
		return 101;
	}
	int st = run_self(argv[0], "self_locked", NULL);
	CHECK_EQ(st, 0);
	test_parent_holds(argv[0]);
	CHECK_EQ(run_self(argv[0], "thread_marker", NULL), 0);
	CHECK_EQ(vm_check_map(), 0);
	return utest_result("vm_lock");
}
