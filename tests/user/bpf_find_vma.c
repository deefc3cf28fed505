/*
 * bpf_find_vma on the caller's own map: acceptance cases F1-F12 (see
 * /work/shared/acceptance/bpf_callbacks.md), the records the callback gets (task, VMA flags and
 * offsets, where they lie on the stack), the argument errors, and the callback's view of the
 * calling convention.
 */
#include "bpf_util.h"

#define RW (PROT_READ | PROT_WRITE)
#define A_ (MAP_PRIVATE | MAP_ANON)
#define MAY_ALL (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)

__attribute__((noinline)) static int text_fn(int x)
{
	return x * 3 + 1;
}

/* F1, and the records and calling convention the callback sees. */
static void test_own_text(void)
{
	struct seen s;
	uint64_t addr = (uint64_t)text_fn;
	char here;

	memset(&s, 0, sizeof(s));
	CHECK_EQ(raw_find_vma(0, addr, (const void *)seen_cb, &s, 0), 0);
	CHECK_EQ(s.calls, 1);
	CHECK(s.vma.vm_start <= addr && addr < s.vma.vm_end);
	CHECK((s.vma.vm_flags & (VM_READ | VM_WRITE | VM_EXEC)) == (VM_READ | VM_EXEC));
	CHECK_EQ(s.vma.vm_flags & (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC), VM_MAYREAD | VM_MAYEXEC);
	CHECK(s.ctx == &s);
	CHECK_EQ(s.task.pid, getpid());
	CHECK_EQ(s.task.ppid, 0);                       /* started by the kernel's test runner */
	CHECK(!strcmp(s.task.comm, "test/bpf_find_v")); /* "test/bpf_find_vma", cut to 15 + NUL */

	/* System V: rsp + 8 16-byte aligned at entry (so the frame pointer is), records aligned, on
	 * this stack below the caller's red zone, above the callback's own frame. */
	CHECK_EQ(s.frame & 15, 0);
	CHECK_EQ(s.task_at & 15, 0);
	CHECK_EQ(s.vma_at & 15, 0);
	CHECK(s.frame < s.task_at && s.frame < s.vma_at);
	CHECK(s.task_at + sizeof(struct bpf_task) <= (uintptr_t)&here - 128);
	CHECK(s.vma_at + sizeof(struct bpf_vma) <= (uintptr_t)&here - 128);

	/* The same through the library, and pid = our own pid. */
	memset(&s, 0, sizeof(s));
	CHECK_EQ(bpf_find_vma(getpid(), addr, seen_cb, &s, 0), 0);
	CHECK_EQ(s.calls, 1);
	CHECK(s.vma.vm_start <= addr && addr < s.vma.vm_end);
	CHECK_EQ(text_fn(1), 4);
}

static long ret1_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx)
{
	(void)task;
	(void)vma;
	++*(int *)ctx;
	return 1;
}

/* The callback scribbles over everything it was given. */
static long scribble_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx)
{
	(void)ctx;
	memset(task, 0x5a, sizeof(*task));
	vma->vm_start = 0;
	vma->vm_end = ~0ul;
	vma->vm_flags = ~0ul;
	vma->vm_pgoff = 12345;
	return -1;
}

/* F5-F8, F10, F11 and the argument errors. */
static void test_args(void)
{
	uint64_t addr = (uint64_t)text_fn;
	struct bpf_vma v1, v2;
	int n = 0;

	seen_g.calls = 0;
	CHECK_EQ(raw_find_vma(0, 0, (const void *)seen_cb, NULL, 0), -ENOENT); /* F5 */
	CHECK_EQ(raw_find_vma(0, ~0ul, (const void *)seen_cb, NULL, 0), -ENOENT);
	CHECK_EQ(raw_find_vma(0, UNMAPPED_LOW, (const void *)seen_cb, NULL, 0), -ENOENT);
	CHECK_EQ(raw_find_vma(0, addr, (const void *)seen_cb, NULL, 1), -EINVAL); /* F6 */
	CHECK_EQ(raw_find_vma(999999, addr, (const void *)seen_cb, NULL, 1), -EINVAL);
	CHECK_EQ(raw_find_vma(0, addr, (const void *)seen_cb, NULL, 1ul << 63), -EINVAL);
	CHECK_EQ(raw_find_vma(999999, addr, (const void *)seen_cb, NULL, 0), -ESRCH); /* F11 */
	CHECK_EQ(raw_find_vma(-5, addr, (const void *)seen_cb, NULL, 0), -ESRCH);
	CHECK_EQ(raw_find_vma(-1, addr, (const void *)seen_cb, NULL, 0), -ESRCH);

	/* cb must be in an executable mapping of the caller (.rodata shares the text segment). */
	static char data[64];
	char stack[64];
	const uint64_t bad_cbs[] = {0,
				    (uint64_t)data,
				    (uint64_t)stack,
				    KERNEL_TEXT,
				    DIRECT_MAP,
				    UNMAPPED_LOW,
				    USER_TOP,
				    0x800000000000ul,
				    ~0ul,
				    BPF_CB_TRAMPOLINE,
				    BPF_CB_TRAMPOLINE + 8};
	for (size_t i = 0; i < sizeof(bad_cbs) / sizeof(bad_cbs[0]); i++)
		CHECK_EQ(raw_find_vma(0, addr, (const void *)bad_cbs[i], NULL, 0), -EFAULT);
	CHECK_EQ(seen_g.calls, 0);

	CHECK_EQ(raw_find_vma(0, addr, (const void *)ret1_cb, &n, 0), 0); /* F7 */
	CHECK_EQ(n, 1);

	seen_g.calls = 0;
	seen_g.ctx = (void *)1;
	CHECK_EQ(raw_find_vma(0, addr, (const void *)seen_cb, NULL, 0), 0); /* F8 */
	CHECK_EQ(seen_g.calls, 1);
	CHECK(seen_g.ctx == NULL);

	CHECK_EQ(vma_of(0, addr, &v1), 0); /* F10 */
	CHECK_EQ(raw_find_vma(0, addr, (const void *)scribble_cb, NULL, 0), 0);
	CHECK_EQ(vma_of(0, addr, &v2), 0);
	CHECK(vma_eq(&v1, &v2));
	CHECK_EQ(vma_of(0, addr, &v2), 0);
	CHECK(vma_eq(&v1, &v2));
	CHECK_EQ(text_fn(2), 7);
}

/*
 * F2-F4, F9 over a layout made inside a guard reservation so that nothing else can be adjacent:
 *   [g, g+2p) A rw-   [g+2p, g+3p) B r--   [g+3p, g+4p) unmapped   [g+4p, g+8p) guard
 */
static void test_layout(void)
{
	const uint64_t p = PG;
	long g = raw_mmap(0, 8 * p, PROT_NONE, MAP_GUARD, -1, 0);
	struct bpf_vma a, b, v;

	CHECK(g > 0);
	if (g <= 0)
		return;
	CHECK_EQ(raw_mmap((uint64_t)g, 3 * p, RW, A_ | MAP_FIXED, -1, 0), g);
	CHECK_EQ(raw_mprotect((uint64_t)g + 2 * p, p, PROT_READ), 0);
	CHECK_EQ(raw_munmap((uint64_t)g + 3 * p, p), 0);

	CHECK_EQ(vma_of(0, (uint64_t)g, &a), 0); /* F2 */
	CHECK_EQ(a.vm_start, g);
	CHECK_EQ(a.vm_end, g + 2 * p);
	CHECK_EQ(a.vm_flags, VM_READ | VM_WRITE | MAY_ALL);
	CHECK_EQ(vma_of(0, a.vm_end - 1, &v), 0);
	CHECK(vma_eq(&a, &v));
	CHECK_EQ(vma_of(0, a.vm_start + 100, &v), 0);
	CHECK(vma_eq(&a, &v));

	CHECK_EQ(vma_of(0, a.vm_end, &b), 0); /* F4: B starts where A ends */
	CHECK_EQ(b.vm_start, a.vm_end);
	CHECK_EQ(b.vm_end, g + 3 * p);
	CHECK_EQ(b.vm_flags, VM_READ | MAY_ALL);

	seen_g.calls = 0;
	CHECK_EQ(raw_find_vma(0, b.vm_end, (const void *)seen_cb, NULL, 0), -ENOENT); /* F3 */
	CHECK_EQ(raw_find_vma(0, b.vm_end + p - 1, (const void *)seen_cb, NULL, 0), -ENOENT);
	CHECK_EQ(seen_g.calls, 0);

	CHECK_EQ(vma_of(0, (uint64_t)g + 4 * p, &v), 0); /* the rest of the reservation */
	CHECK_EQ(v.vm_start, g + 4 * p);
	CHECK_EQ(v.vm_end, g + 8 * p);
	CHECK_EQ(v.vm_flags, VM_GUARD);

	CHECK_EQ(raw_munmap((uint64_t)g, 2 * p), 0); /* F9 */
	CHECK_EQ(raw_find_vma(0, (uint64_t)g, (const void *)seen_cb, NULL, 0), -ENOENT);
	CHECK_EQ(seen_g.calls, 0);
	CHECK_EQ(raw_mmap((uint64_t)g, 2 * p, RW, A_ | MAP_FIXED, -1, 0), g);
	CHECK_EQ(vma_of(0, (uint64_t)g, &v), 0);
	CHECK_EQ(v.vm_start, g);
	CHECK_EQ(v.vm_end, g + 2 * p);

	CHECK_EQ(raw_munmap((uint64_t)g, 8 * p), 0);
	CHECK_EQ(raw_find_vma(0, (uint64_t)g, (const void *)seen_cb, NULL, 0), -ENOENT);
}

/* The stack, the trampoline page, superpages and offsets. */
static void test_flags(void)
{
	struct bpf_vma v;
	char here;

	CHECK_EQ(vma_of(0, (uint64_t)&here, &v), 0);
	CHECK_EQ(v.vm_flags, VM_STACK | VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE);
	CHECK_EQ(v.vm_end - v.vm_start, 256 * 1024);
	uint64_t stack_start = v.vm_start;
	CHECK_EQ(vma_of(0, stack_start - 1, &v), 0); /* its guard gap right below */
	CHECK_EQ(v.vm_end, stack_start);
	CHECK(v.vm_flags & VM_GUARD);

	CHECK_EQ(vma_of(0, BPF_CB_TRAMPOLINE, &v), 0);
	CHECK_EQ(v.vm_start, BPF_CB_TRAMPOLINE);
	CHECK_EQ(v.vm_end, BPF_CB_TRAMPOLINE + PG);
	CHECK_EQ(v.vm_flags, VM_READ | VM_EXEC | VM_MAYREAD | VM_MAYEXEC);
	/* It cannot be made writable, and it is in the listing. */
	CHECK_EQ(raw_mprotect(BPF_CB_TRAMPOLINE, PG, RW), -EACCES);
	static struct vm_listing l;
	CHECK_EQ(vm_list_all(0, &l), 0);
	const struct vm_map_ent *e = vm_find(&l, BPF_CB_TRAMPOLINE);
	CHECK(e && e->start == BPF_CB_TRAMPOLINE && e->end == BPF_CB_TRAMPOLINE + PG &&
	      e->prot == (PROT_READ | PROT_EXEC) && e->max_prot == (PROT_READ | PROT_EXEC));

	/* 4 MiB aligned to 2 MiB: one byte touched maps a 2 MiB page. */
	long s = raw_mmap(0, 2 * SUPER, RW, A_ | MAP_ALIGNED_SUPER, -1, 0);
	CHECK(s > 0 && s % SUPER == 0);
	if (s > 0) {
		CHECK_EQ(vma_of(0, (uint64_t)s, &v), 0);
		CHECK_EQ(v.vm_flags & VM_SUPERPAGE, 0);
		CHECK_EQ(v.vm_pgoff, 0);
		*(volatile char *)(s + SUPER + 5) = 1;
		CHECK_EQ(vma_of(0, (uint64_t)s, &v), 0);
		CHECK_EQ(v.vm_flags & VM_SUPERPAGE, VM_SUPERPAGE);
		/* Unmapping the first 3 pages leaves the 2 MiB page; the offset moves with the start. */
		CHECK_EQ(raw_munmap((uint64_t)s, 3 * PG), 0);
		CHECK_EQ(vma_of(0, (uint64_t)s + SUPER, &v), 0);
		CHECK_EQ(v.vm_start, s + 3 * PG);
		CHECK_EQ(v.vm_pgoff, 3);
		CHECK_EQ(v.vm_flags & VM_SUPERPAGE, VM_SUPERPAGE);
		CHECK_EQ(raw_munmap((uint64_t)s, 2 * SUPER), 0);
	}
	/* 4 KiB pages only: no VM_SUPERPAGE. */
	long m = anon(0, 8 * PG, 0);
	CHECK(m > 0);
	if (m > 0) {
		*(volatile char *)m = 1;
		CHECK_EQ(vma_of(0, (uint64_t)m, &v), 0);
		CHECK_EQ(v.vm_flags & VM_SUPERPAGE, 0);
		CHECK_EQ(raw_munmap((uint64_t)m, 8 * PG), 0);
	}
}

/* F12: the callback's own map-changing calls fail with EBUSY instead of deadlocking. */
struct busy {
	long mmap_r, munmap_r, mprotect_r, lock_r, list_r, nested_r, fault_ok;
	uint64_t page;
};

static long busy_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx)
{
	struct busy *b = ctx;
	static struct vm_listing l;
	struct bpf_vma v;

	(void)task;
	(void)vma;
	b->mmap_r = anon(0, PG, 0);
	b->munmap_r = raw_munmap(b->page, PG);
	b->mprotect_r = raw_mprotect(b->page, PG, PROT_READ);
	b->lock_r = sys2(SYS_task_lock_map, 0, 1);
	b->list_r = vm_list_all(0, &l);       /* reading the map is fine */
	b->nested_r = vma_of(0, b->page, &v); /* so is another find_vma */
	*(volatile char *)(b->page + 10) = 7; /* and a page fault in the held map is served */
	b->fault_ok = *(volatile char *)(b->page + 10) == 7;
	return 0;
}

static void test_busy(void)
{
	struct busy b;
	long page = anon(0, PG, 0);

	CHECK(page > 0);
	memset(&b, 0, sizeof(b));
	b.page = (uint64_t)page;
	CHECK_EQ(raw_find_vma(0, (uint64_t)text_fn, (const void *)busy_cb, &b, 0), 0);
	CHECK_EQ(b.mmap_r, -EBUSY);
	CHECK_EQ(b.munmap_r, -EBUSY);
	CHECK_EQ(b.mprotect_r, -EBUSY);
	CHECK_EQ(b.lock_r, -EBUSY);
	CHECK_EQ(b.list_r, 0);
	CHECK_EQ(b.nested_r, 0);
	CHECK_EQ(b.fault_ok, 1);
	/* Everything works again once find_vma has returned. */
	long m = anon(0, PG, 0);
	CHECK(m > 0);
	CHECK_EQ(raw_munmap((uint64_t)m, PG), 0);
	CHECK_EQ(raw_munmap((uint64_t)page, PG), 0);
	CHECK_EQ(sys2(SYS_task_lock_map, 0, 1), 0);
	/* Our own map write-locked by ourselves: find_vma cannot have it. */
	CHECK_EQ(raw_find_vma(0, (uint64_t)text_fn, (const void *)seen_cb, NULL, 0), -EBUSY);
	CHECK_EQ(sys2(SYS_task_lock_map, 0, 0), 0);
}

int main(void)
{
	test_own_text();
	test_args();
	test_layout();
	test_flags();
	test_busy();
	CHECK_EQ(vm_check_map(), 0);
	return utest_result("bpf_find_vma");
}
