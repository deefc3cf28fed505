/*
 * find_vma, task_vma_batch and the iterator on other tasks: a child's and a grandchild's maps are
 * visible, a parent's and a sibling's are not (EPERM), an exiting or zombie child has none
 * (ENOENT), a map lock held by another task gives EBUSY (SYS_task_lock_map, for real: the child
 * locks its own map, or the parent locks the child's). While a callback holds a child's map, the
 * child can exit (its exit waits for the callback, its struct stays) or block in mmap; neither
 * deadlocks, and the callback's own calls that would wait for that lock fail with EBUSY.
 */
#include <sched.h>
#include <stdlib.h>

#include "bpf_util.h"

__attribute__((noinline)) static int text_fn(int x)
{
	return x * 5;
}
#define TEXT ((uint64_t)text_fn)

static const char *self;

static long spawn_role(const char *role, long arg)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%ld", arg);
	long pid = spawn_self(self, role, buf);
	CHECK(pid > 0);
	return pid;
}

static int wait_status(long pid)
{
	int st = -1;
	CHECK_EQ(sys3(SYS_waitpid, pid, (long)&st, 0), pid);
	return st;
}

static bool exited_0(int st)
{
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Yield until find_vma(pid, TEXT) gives want (at most `tries` times); the last result. */
static long poll_find_vma(long pid, long want, int tries)
{
	struct bpf_vma v;
	long r = vma_of(pid, TEXT, &v);
	/* Other CPUs run the child meanwhile: a yield is no time at all there. Poll for time too. */
	uint64_t t0 = uptime(), cycles = (uint64_t)tries << 18;

	while (r != want && (tries-- > 0 || uptime() - t0 < cycles)) {
		sched_yield();
		r = vma_of(pid, TEXT, &v);
	}
	return r;
}

/* Every way in fails with err for pid: find_vma, the batch, the iterator. */
static int all_fail_with(long pid, long err)
{
	struct bpf_iter_task_vma it;
	struct bpf_vma out[4];
	int bad = 0;

	seen_g.calls = 0;
	bad += raw_find_vma(pid, TEXT, (const void *)seen_cb, NULL, 0) != err;
	bad += raw_vma_batch(pid, 0, out, 4) != err;
	bad += bpf_iter_task_vma_new(&it, (int)pid, 0) != err;
	bad += bpf_iter_task_vma_next(&it) != NULL;
	bpf_iter_task_vma_destroy(&it);
	bad += seen_g.calls != 0;
	return bad;
}

/* A child's map as find_vma, the batch and the iterator show it, against its listing. */
static void test_child_map(void)
{
	long child = spawn_role("idle", 400);
	struct seen s, mine;
	static struct vm_listing l;
	struct bpf_iter_task_vma it;
	struct bpf_vma *v;

	memset(&s, 0, sizeof(s));
	memset(&mine, 0, sizeof(mine));
	CHECK_EQ(raw_find_vma(child, TEXT, (const void *)seen_cb, &s, 0), 0);
	CHECK_EQ(raw_find_vma(0, TEXT, (const void *)seen_cb, &mine, 0), 0);
	CHECK_EQ(s.calls, 1);
	CHECK(vma_eq(&s.vma, &mine.vma)); /* the same program: the same text VMA */
	CHECK_EQ(s.task.pid, child);
	CHECK_EQ(s.task.ppid, getpid());
	CHECK(!strcmp(s.task.comm, "test/bpf_child"));
	CHECK_EQ(mine.task.pid, getpid());

	CHECK_EQ(vm_list_all(child, &l), 0);
	size_t i = 0;
	int bad = 0;
	CHECK_EQ(bpf_iter_task_vma_new(&it, (int)child, 0), 0);
	while ((v = bpf_iter_task_vma_next(&it)) != NULL) {
		bad += i >= l.n || v->vm_start != l.e[i].start || v->vm_end != l.e[i].end ||
		       (v->vm_flags & 7) != l.e[i].prot ||
		       (v->vm_flags >> 4 & 7) != l.e[i].max_prot;
		i++;
	}
	bpf_iter_task_vma_destroy(&it);
	CHECK_EQ(bad, 0);
	CHECK_EQ(i, l.n);
	CHECK(exited_0(wait_status(child)));
	CHECK_EQ(all_fail_with(child, -ESRCH), 0);
}

/* EPERM: the parent and a sibling; a grandchild is fine. */
static void test_relations(void)
{
	CHECK(exited_0(wait_status(spawn_role("probe", getpid()))));
	long a = spawn_role("idle", 400);
	CHECK(exited_0(wait_status(spawn_role("probe", a))));
	CHECK(exited_0(wait_status(a)));

	/* The grandchild gets the next pid after its parent (nothing else spawns meanwhile). */
	long c = spawn_role("spawn_idle", 400);
	CHECK_EQ(poll_find_vma(c + 1, 0, 2000), 0);
	struct seen s;
	memset(&s, 0, sizeof(s));
	CHECK_EQ(raw_find_vma(c + 1, TEXT, (const void *)seen_cb, &s, 0), 0);
	CHECK_EQ(s.task.ppid, c);
	CHECK(exited_0(wait_status(c)));
}

/* ENOENT: a zombie child has no address space; reaped, it is ESRCH. */
static void test_zombie(void)
{
	long child = spawn_role("exit", 0);

	CHECK_EQ(poll_find_vma(child, -ENOENT, 2000), -ENOENT);
	CHECK_EQ(all_fail_with(child, -ENOENT), 0);
	CHECK(exited_0(wait_status(child)));
	CHECK_EQ(all_fail_with(child, -ESRCH), 0);
}

/* EBUSY from a lock another task holds, then the lock's release. */
static void test_busy(void)
{
	long child = spawn_role("lock_self", 300);

	CHECK_EQ(poll_find_vma(child, -EBUSY, 2000), -EBUSY);
	CHECK_EQ(all_fail_with(child, -EBUSY), 0);
	CHECK(exited_0(wait_status(child)));

	child = spawn_role("idle", 300);
	CHECK_EQ(sys2(SYS_task_lock_map, child, 1), 0);
	CHECK_EQ(all_fail_with(child, -EBUSY), 0);
	CHECK_EQ(sys2(SYS_task_lock_map, child, 0), 0);
	CHECK_EQ(poll_find_vma(child, 0, 0), 0);
	CHECK(exited_0(wait_status(child)));
}

/* A callback holding the child's map while the child exits or calls mmap. */
struct hold {
	long child;
	int yields;
	bool until_exiting; /* stop yielding once the child is exiting (its map gone) */
	long nested, lock, mmap_self, wait_nohang, wait_block, wait_any;
};

static long hold_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx)
{
	struct hold *h = ctx;
	struct bpf_vma v;
	int st;

	(void)vma;
	if (task->pid != h->child)
		return 1;
	/* Another CPU may run the child meanwhile: yielding does not mean it has done anything. */
	for (int i = 0; i < h->yields; i++) {
		if (h->until_exiting && vma_of(h->child, TEXT, &v) == -ENOENT)
			break;
		sched_yield();
	}
	h->nested = vma_of(h->child, TEXT, &v);
	h->lock = sys2(SYS_task_lock_map, h->child, 1);
	h->mmap_self = anon(0, PG, 0);
	if (h->mmap_self > 0)
		raw_munmap((uint64_t)h->mmap_self, PG);
	h->wait_nohang = sys3(SYS_waitpid, h->child, (long)&st, WNOHANG);
	/* Waiting for a child whose map this callback pins could never end: EBUSY. */
	h->wait_block = sys3(SYS_waitpid, h->child, (long)&st, 0);
	h->wait_any = sys3(SYS_waitpid, -1, (long)&st, 0);
	return 0;
}

static void test_hold_while_child_acts(void)
{
	struct hold h;

	/* The child exits during the callback: it cannot finish (no new pins: ENOENT), and is
	 * reaped normally afterwards. */
	memset(&h, 0, sizeof(h));
	h.child = spawn_role("idle", 3);
	h.yields = 100000;
	h.until_exiting = true;
	CHECK_EQ(raw_find_vma(h.child, TEXT, (const void *)hold_cb, &h, 0), 0);
	CHECK_EQ(h.nested, -ENOENT);
	CHECK_EQ(h.lock, -ENOENT); /* exiting: nothing to lock */
	CHECK(h.mmap_self > 0);
	CHECK_EQ(h.wait_nohang, 0);
	CHECK_EQ(h.wait_block, -EBUSY);
	CHECK_EQ(h.wait_any, -EBUSY);
	CHECK(exited_0(wait_status(h.child)));

	/* The child calls mmap during the callback: it waits for the lock, then succeeds. */
	memset(&h, 0, sizeof(h));
	h.child = spawn_role("mmap", 0);
	h.yields = 100;
	CHECK_EQ(raw_find_vma(h.child, TEXT, (const void *)hold_cb, &h, 0), 0);
	CHECK_EQ(h.nested, 0);
	CHECK_EQ(h.lock, -EBUSY);
	CHECK(h.mmap_self > 0);
	CHECK_EQ(h.wait_nohang, 0);
	CHECK_EQ(h.wait_block, -EBUSY);
	CHECK_EQ(h.wait_any, -EBUSY);
	CHECK(exited_0(wait_status(h.child)));
}

static int role(const char *name, long arg)
{
	if (!strcmp(name, "idle")) {
		yield_for(arg, (uint64_t)arg << 20);
		return 0;
	}
	if (!strcmp(name, "exit"))
		return 0;
	if (!strcmp(name, "probe"))
		return all_fail_with(arg, -EPERM) == 0 ? 0 : 1;
	if (!strcmp(name, "spawn_idle")) {
		long g = spawn_role("idle", arg);
		return g > 0 && exited_0(wait_status(g)) ? 0 : 1;
	}
	if (!strcmp(name, "lock_self")) {
		if (sys2(SYS_task_lock_map, 0, 1))
			return 1;
		yield_for(arg, (uint64_t)arg << 21);
		return sys2(SYS_task_lock_map, 0, 0) ? 2 : 0;
	}
	if (!strcmp(name, "mmap")) {
		sched_yield();
		long m = anon(0, 16 * PG, 0);
		if (m <= 0)
			return 1;
		*(volatile char *)(m + 5 * PG) = 1;
		return raw_munmap((uint64_t)m, 16 * PG) ? 2 : 0;
	}
	return 101;
}

int main(int argc, char **argv)
{
	self = argv[0];
	if (argc >= 3)
		return role(argv[1], atoi(argv[2]));
	test_child_map();
	test_relations();
	test_zombie();
	test_busy();
	test_hold_while_child_acts();
	return utest_result("bpf_child");
}
