/*
 * The callback mechanism itself (kernel/callback.h, include/uapi/bpf.h's trampoline protocol):
 * nesting up to BPF_CB_MAX_DEPTH and ELOOP beyond; system calls (blocking ones included) and
 * preemption inside callbacks; a callback that wrecks every register and flag; callbacks on an
 * unusual stack and records that do not fit; SYS_cb_return from the wrong place or depth;
 * longjmp out of a callback (to an outer callback, to the program, many times); and callbacks
 * that fault, exit or misuse the trampoline, run as children (the kernel must release what they
 * held: the children's exits would otherwise hang, and the leak test in tests/kernel/test_bpf.c
 * counts). The roles spin_nested and escape_and_exit are run by that kernel test only.
 */
#include <sched.h>
#include <stdlib.h>

#include "bpf_util.h"

__attribute__((noinline)) static int text_fn(int x)
{
	return x + 1;
}
#define TEXT ((uint64_t)text_fn)

static int map_with(uint32_t n)
{
	int fd = bpf_native_map_create(BPF_MAP_TYPE_ARRAY, sizeof(uint32_t), sizeof(uint64_t), n);
	CHECK(fd >= 0);
	return fd;
}

/* ---------------------------------------------------------------------------------------------
 * Nesting: for_each -> find_vma -> for_each -> find_vma, then both calls fail with ELOOP.
 */
struct nest {
	int fd;
	int depth, max_depth;
	long loop_vma, loop_map;
};

static long nest_vma_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx);

static long nest_map_cb(int fd, const void *key, void *value, void *ctx)
{
	struct nest *n = ctx;

	(void)fd;
	(void)key;
	(void)value;
	if (++n->depth > n->max_depth)
		n->max_depth = n->depth;
	if (n->depth < BPF_CB_MAX_DEPTH) {
		raw_find_vma(0, TEXT, (const void *)nest_vma_cb, n, 0);
	} else {
		n->loop_vma = raw_find_vma(0, TEXT, (const void *)nest_vma_cb, n, 0);
		n->loop_map = raw_for_each(n->fd, (const void *)nest_map_cb, n, 0);
	}
	n->depth--;
	return 0;
}

static long nest_vma_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx)
{
	struct nest *n = ctx;

	(void)task;
	(void)vma;
	if (++n->depth > n->max_depth)
		n->max_depth = n->depth;
	if (n->depth < BPF_CB_MAX_DEPTH) {
		raw_for_each(n->fd, (const void *)nest_map_cb, n, 0);
	} else {
		n->loop_vma = raw_find_vma(0, TEXT, (const void *)nest_vma_cb, n, 0);
		n->loop_map = raw_for_each(n->fd, (const void *)nest_map_cb, n, 0);
	}
	n->depth--;
	return 0;
}

static void test_nesting(void)
{
	struct nest n;

	memset(&n, 0, sizeof(n));
	n.fd = map_with(1);
	CHECK_EQ(raw_for_each(n.fd, (const void *)nest_map_cb, &n, 0), 1);
	CHECK_EQ(n.max_depth, BPF_CB_MAX_DEPTH);
	CHECK_EQ(n.loop_vma, -ELOOP);
	CHECK_EQ(n.loop_map, -ELOOP);
	CHECK_EQ(n.depth, 0);

	memset(&n.depth, 0, sizeof(n) - sizeof(n.fd));
	CHECK_EQ(raw_find_vma(0, TEXT, (const void *)nest_vma_cb, &n, 0), 0);
	CHECK_EQ(n.max_depth, BPF_CB_MAX_DEPTH);
	CHECK_EQ(n.loop_vma, -ELOOP);
	CHECK_EQ(n.loop_map, -ELOOP);
	close(n.fd);
}

/* ---------------------------------------------------------------------------------------------
 * System calls and preemption inside callbacks.
 */
struct calls {
	const char *self;
	long pid, mmap_r, munmap_r, write_r, child_status, spun;
};

static long calls_cb(int fd, const void *key, void *value, void *ctx)
{
	struct calls *c = ctx;
	static const char line[] = "# bpf_callback: written from a callback\n";
	int st = -1;

	(void)fd;
	(void)key;
	(void)value;
	c->pid = getpid();
	c->write_r = write(1, line, sizeof(line) - 1);
	c->mmap_r = anon(0, 4 * PG, 0); /* for_each holds no map lock */
	if (c->mmap_r > 0) {
		*(volatile char *)c->mmap_r = 1;
		c->munmap_r = raw_munmap((uint64_t)c->mmap_r, 4 * PG);
	}
	/* A blocking call: spawn a child and wait for it, then spin long enough to be preempted
	 * (the child yields meanwhile). */
	long child = spawn_self(c->self, "status5", NULL);
	if (child > 0 && waitpid((int)child, &st, 0) == child)
		c->child_status = st;
	long spinner = spawn_self(c->self, "yield", NULL);
	uint64_t t0 = uptime();
	while (uptime() - t0 < 200000000ul)
		c->spun++;
	if (spinner > 0)
		waitpid((int)spinner, NULL, 0);
	return 0;
}

static void test_syscalls_inside(const char *self)
{
	struct calls c;
	int fd = map_with(2);

	memset(&c, 0, sizeof(c));
	c.self = self;
	CHECK_EQ(bpf_for_each_map_elem(fd, calls_cb, &c, 0), 2);
	CHECK_EQ(c.pid, getpid());
	CHECK(c.write_r > 0);
	CHECK(c.mmap_r > 0);
	CHECK_EQ(c.munmap_r, 0);
	CHECK(WIFEXITED(c.child_status) && WEXITSTATUS(c.child_status) == 5);
	CHECK(c.spun > 0);
	close(fd);
}

/* ---------------------------------------------------------------------------------------------
 * Registers: a callback that breaks the ABI (every register, DF) changes nothing for the caller
 * of the system call, which gets all its registers back (rcx, r11 and rax excepted).
 */
uint64_t probe_after[13];
long regs_probe(long nr, long a1, long a2, long a3, long a4);
long clobber_cb(void);
__asm__(".text\n"
	".globl regs_probe\n"
	"regs_probe:\n"
	"	pushq %rbx\n"
	"	pushq %rbp\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rdi, %rax\n"
	"	movq %rsi, %rdi\n"
	"	movq %rdx, %rsi\n"
	"	movq %rcx, %rdx\n"
	"	movq %r8, %r10\n"
	"	xorl %r8d, %r8d\n"
	"	movabs $0x0909090909090909, %r9\n"
	"	movabs $0x1111111111111111, %rbx\n"
	"	movabs $0x2222222222222222, %rbp\n"
	"	movabs $0x3333333333333333, %r12\n"
	"	movabs $0x4444444444444444, %r13\n"
	"	movabs $0x5555555555555555, %r14\n"
	"	movabs $0x6666666666666666, %r15\n"
	"	syscall\n"
	"	movq %rbx, probe_after+0(%rip)\n"
	"	movq %rbp, probe_after+8(%rip)\n"
	"	movq %r12, probe_after+16(%rip)\n"
	"	movq %r13, probe_after+24(%rip)\n"
	"	movq %r14, probe_after+32(%rip)\n"
	"	movq %r15, probe_after+40(%rip)\n"
	"	movq %rdi, probe_after+48(%rip)\n"
	"	movq %rsi, probe_after+56(%rip)\n"
	"	movq %rdx, probe_after+64(%rip)\n"
	"	movq %r10, probe_after+72(%rip)\n"
	"	movq %r8, probe_after+80(%rip)\n"
	"	movq %r9, probe_after+88(%rip)\n"
	"	pushfq\n"
	"	popq probe_after+96(%rip)\n"
	"	cld\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbp\n"
	"	popq %rbx\n"
	"	ret\n"
	"clobber_cb:\n"
	"	movabs $0xbad0bad0bad0bad0, %rax\n"
	"	movq %rax, %rbx\n"
	"	movq %rax, %rbp\n"
	"	movq %rax, %rcx\n"
	"	movq %rax, %rdx\n"
	"	movq %rax, %rsi\n"
	"	movq %rax, %rdi\n"
	"	movq %rax, %r8\n"
	"	movq %rax, %r9\n"
	"	movq %rax, %r10\n"
	"	movq %rax, %r11\n"
	"	movq %rax, %r12\n"
	"	movq %rax, %r13\n"
	"	movq %rax, %r14\n"
	"	movq %rax, %r15\n"
	"	std\n"
	"	xorl %eax, %eax\n"
	"	ret\n");

static void check_probe(long a1, long a2, long a3, const char *what)
{
	static const uint64_t want[12] = {0x1111111111111111ul,
					  0x2222222222222222ul,
					  0x3333333333333333ul,
					  0x4444444444444444ul,
					  0x5555555555555555ul,
					  0x6666666666666666ul,
					  0,
					  0,
					  0,
					  0,
					  0,
					  0x0909090909090909ul};
	uint64_t w[12];

	memcpy(w, want, sizeof(w));
	w[6] = (uint64_t)a1;
	w[7] = (uint64_t)a2;
	w[8] = (uint64_t)a3;
	w[9] = 0;  /* a4: r10 */
	w[10] = 0; /* r8: find_vma's flags */
	for (int i = 0; i < 12; i++) {
		if (probe_after[i] != w[i])
			printf("# %s: register %d is %#lx, want %#lx\n", what, i,
			       (unsigned long)probe_after[i], (unsigned long)w[i]);
		CHECK_EQ(probe_after[i], w[i]);
	}
	CHECK_EQ(probe_after[12] & (1ul << 10), 0); /* DF */
}

static void test_registers(void)
{
	int fd = map_with(3);

	CHECK_EQ(regs_probe(SYS_bpf_find_vma, 0, (long)TEXT, (long)clobber_cb, 0), 0);
	check_probe(0, (long)TEXT, (long)clobber_cb, "find_vma");
	CHECK_EQ(regs_probe(SYS_bpf_for_each_map_elem, fd, (long)clobber_cb, 0, 0), 3);
	check_probe(fd, (long)clobber_cb, 0, "for_each");
	close(fd);
}

/* ---------------------------------------------------------------------------------------------
 * The stack the callback runs on: the caller's, wherever it is; records that do not fit: EFAULT.
 */
long syscall_on_stack(long nr, long a1, long a2, long a3, long a4, uint64_t sp);
__asm__(".text\n"
	".globl syscall_on_stack\n"
	"syscall_on_stack:\n"
	"	pushq %rbx\n"
	"	movq %rsp, %rbx\n"
	"	movq %rdi, %rax\n"
	"	movq %rsi, %rdi\n"
	"	movq %rdx, %rsi\n"
	"	movq %rcx, %rdx\n"
	"	movq %r8, %r10\n"
	"	movq %r9, %rsp\n"
	"	xorl %r8d, %r8d\n"
	"	xorl %r9d, %r9d\n"
	"	syscall\n"
	"	movq %rbx, %rsp\n"
	"	popq %rbx\n"
	"	ret\n");

static void test_stacks(void)
{
	long alt = anon(0, 16 * PG, 0);
	struct seen s;

	CHECK(alt > 0);
	if (alt <= 0)
		return;
	/* An mmap'd stack: the callback runs there, its records below the red zone. */
	uint64_t top = (uint64_t)alt + 16 * PG;
	memset(&s, 0, sizeof(s));
	CHECK_EQ(syscall_on_stack(SYS_bpf_find_vma, 0, (long)TEXT, (long)seen_cb, (long)&s, top),
		 0);
	CHECK_EQ(s.calls, 1);
	CHECK(s.frame > (uint64_t)alt && s.frame < top - 128);
	CHECK(s.vma_at > s.frame && s.vma_at + sizeof(struct bpf_vma) <= top - 128);

	/* No room below rsp: EFAULT and no call. The guard page under alt is unmapped. */
	CHECK_EQ(raw_munmap((uint64_t)alt, PG), 0);
	seen_g.calls = 0;
	CHECK_EQ(syscall_on_stack(SYS_bpf_find_vma, 0, (long)TEXT, (long)seen_cb, 0,
				  (uint64_t)alt + PG + 64),
		 -EFAULT);
	CHECK_EQ(syscall_on_stack(SYS_bpf_find_vma, 0, (long)TEXT, (long)seen_cb, 0, 0x100),
		 -EFAULT);
	CHECK_EQ(syscall_on_stack(SYS_bpf_find_vma, 0, (long)TEXT, (long)seen_cb, 0, KERNEL_TEXT),
		 -EFAULT);
	CHECK_EQ(syscall_on_stack(SYS_bpf_find_vma, 0, (long)TEXT, (long)seen_cb, 0,
				  0x800000000100ul),
		 -EFAULT);
	int fd = map_with(1);
	CHECK_EQ(syscall_on_stack(SYS_bpf_for_each_map_elem, fd, (long)seen_cb, 0, 0,
				  (uint64_t)alt + PG + 160),
		 -EFAULT);
	CHECK_EQ(seen_g.calls, 0);
	close(fd);
	CHECK_EQ(raw_munmap((uint64_t)alt, 16 * PG), 0);
}

/* ---------------------------------------------------------------------------------------------
 * SYS_cb_return from the wrong place.
 */
static long direct_return_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx)
{
	(void)task;
	(void)vma;
	*(long *)ctx = sys1(SYS_cb_return, 77); /* not from the trampoline: refused */
	return 0;
}

static void test_cb_return(void)
{
	long r = 1;

	CHECK_EQ(sys1(SYS_cb_return, 0), -EINVAL); /* no callback running */
	CHECK_EQ(raw_find_vma(0, TEXT, (const void *)direct_return_cb, &r, 0), 0);
	CHECK_EQ(r, -EINVAL);
	CHECK_EQ(sys1(SYS_cb_return, 0), -EINVAL);
}

/* Roles that must die on the trampoline's ud2. */
static long wrong_depth_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx)
{
	(void)task;
	(void)vma;
	(void)ctx;
	/* Into the trampoline with rsp inside this frame, not where the return leaves it. */
	__asm__ volatile("movl $5, %%eax\n\tjmp *%0" ::"r"(BPF_CB_TRAMPOLINE) : "rax", "memory");
	return 0;
}

static int role_wrong_depth(void)
{
	raw_find_vma(0, TEXT, (const void *)wrong_depth_cb, NULL, 0);
	return 1;
}

static int role_trampoline_from_main(void)
{
	((void (*)(void))BPF_CB_TRAMPOLINE)();
	return 1;
}

/* ---------------------------------------------------------------------------------------------
 * longjmp out of callbacks.
 */
static void *jb_main[5];
static void *jb_outer[5];

static long escape_to_main_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx)
{
	(void)task;
	(void)vma;
	(void)ctx;
	__builtin_longjmp(jb_main, 1);
}

static long escape_to_outer_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx)
{
	(void)task;
	(void)vma;
	(void)ctx;
	__builtin_longjmp(jb_outer, 1);
}

struct outer {
	int visits, not_reached, mmap_ok;
};

static long outer_cb(int fd, const void *key, void *value, void *ctx)
{
	struct outer *o = ctx;

	(void)fd;
	(void)key;
	(void)value;
	if (__builtin_setjmp(jb_outer) == 0) {
		raw_find_vma(0, TEXT, (const void *)escape_to_outer_cb, NULL, 0);
		o->not_reached++;
		return 1;
	}
	/* find_vma was left: its map lock must be gone, or mmap would say EBUSY. */
	long m = anon(0, PG, 0);
	if (m > 0) {
		o->mmap_ok++;
		raw_munmap((uint64_t)m, PG);
	}
	o->visits++;
	return 0;
}

static volatile int escapes;

__attribute__((noinline)) static void escape_once(int fd)
{
	if (__builtin_setjmp(jb_main) == 0) {
		long r;
		if (escapes & 1)
			r = raw_find_vma(0, TEXT, (const void *)escape_to_main_cb, NULL, 0);
		else
			r = raw_for_each(fd, (const void *)escape_to_main_cb, NULL, 0);
		printf("# the call returned %ld after its callback jumped out (round %d)\n", r,
		       escapes);
		abort();
	}
	escapes++;
}

static void test_longjmp(void)
{
	struct outer o;
	int fd = map_with(3);
	struct nest n;

	/* Inner callback to outer callback: the outer walk goes on over all 3 elements. */
	memset(&o, 0, sizeof(o));
	CHECK_EQ(raw_for_each(fd, (const void *)outer_cb, &o, 0), 3);
	CHECK_EQ(o.visits, 3);
	CHECK_EQ(o.mmap_ok, 3);
	CHECK_EQ(o.not_reached, 0);

	/* Out to the program, 200 times: nothing piles up (locks, depth, kernel stack). */
	for (int i = 0; i < 200; i++)
		escape_once(fd);
	CHECK_EQ(escapes, 200);
	long m = anon(0, PG, 0);
	CHECK(m > 0);
	CHECK_EQ(raw_munmap((uint64_t)m, PG), 0);
	memset(&n, 0, sizeof(n));
	n.fd = fd;
	CHECK_EQ(raw_for_each(fd, (const void *)nest_map_cb, &n, 0), 3);
	CHECK_EQ(n.max_depth, BPF_CB_MAX_DEPTH);
	close(fd);
}

/* ---------------------------------------------------------------------------------------------
 * Callbacks that end the task.
 */
static long fault_cb(void)
{
	return *(volatile long *)vm_opaque(8);
}

static long exit_cb(void)
{
	_exit(7);
}

static long deep_fault_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx);
static long deep_map_cb(int fd, const void *key, void *value, void *ctx)
{
	(void)fd;
	(void)key;
	(void)value;
	if (++*(int *)ctx == BPF_CB_MAX_DEPTH)
		return fault_cb();
	return raw_find_vma(0, TEXT, (const void *)deep_fault_cb, ctx, 0);
}
static int deep_fd;
static long deep_fault_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx)
{
	(void)task;
	(void)vma;
	if (++*(int *)ctx == BPF_CB_MAX_DEPTH)
		return fault_cb();
	return raw_for_each(deep_fd, (const void *)deep_map_cb, ctx, 0);
}

static int role_fault_self(void)
{
	raw_find_vma(0, TEXT, (const void *)fault_cb, NULL, 0);
	return 1;
}

static int role_fault_map(void)
{
	int fd = map_with(4);
	raw_for_each(fd, (const void *)fault_cb, NULL, 0);
	return 1;
}

static int role_exit_in_cb(void)
{
	int fd = map_with(4);
	raw_find_vma(0, TEXT, (const void *)exit_cb, NULL, 0);
	raw_for_each(fd, (const void *)exit_cb, NULL, 0);
	return 1;
}

static int role_deep_fault(void)
{
	int depth = 0;
	deep_fd = map_with(2);
	raw_for_each(deep_fd, (const void *)deep_map_cb, &depth, 0);
	return 1;
}

/* Holds its child's map (find_vma on it) and faults in the callback; the child must be able to
 * finish without it. */
static int role_fault_on_child(const char *self)
{
	long g = spawn_self(self, "yield", NULL);
	struct bpf_vma v;

	if (g <= 0 || vma_of(g, TEXT, &v))
		return 2;
	/* The child runs on another CPU meanwhile: its own map calls may make find_vma EBUSY. */
	for (int i = 0;
	     i < 1000 && raw_find_vma(g, TEXT, (const void *)fault_cb, NULL, 0) == -EBUSY; i++)
		sched_yield();
	return 1;
}

/* Maps open, two levels deep (for_each, then find_vma on itself), yielding until killed. */
static long spin_cb(void)
{
	while (sched_yield() == 0)
		;
	return 1;
}

static long spin_map_cb(int fd, const void *key, void *value, void *ctx)
{
	(void)fd;
	(void)key;
	(void)value;
	(void)ctx;
	return raw_find_vma(0, TEXT, (const void *)spin_cb, NULL, 0);
}

static int role_spin_nested(void)
{
	int fd = map_with(2);
	map_with(3);
	raw_for_each(fd, (const void *)spin_map_cb, NULL, 0);
	return 1;
}

/* Leaves a for_each (holding its map) and a find_vma (holding its own map) by longjmp, then exits. */
static int role_escape_and_exit(void)
{
	int fd = map_with(2);

	if (__builtin_setjmp(jb_main) == 0)
		raw_for_each(fd, (const void *)escape_to_main_cb, NULL, 0);
	else if (__builtin_setjmp(jb_main) == 0)
		raw_find_vma(0, TEXT, (const void *)escape_to_main_cb, NULL, 0);
	else
		_exit(3);
	return 1;
}

static int role_yield(void)
{
	yield_for(100, 1ull << 27);
	return 0;
}

static void test_endings(const char *self)
{
	static const char *const pf_roles[] = {"fault_self", "fault_map", "deep_fault",
					       "fault_on_child"};
	for (size_t i = 0; i < sizeof(pf_roles) / sizeof(pf_roles[0]); i++) {
		int st = run_self(self, pf_roles[i], NULL);
		if (!KILLED_BY_PF(st))
			printf("# role %s: status %#x\n", pf_roles[i], st);
		CHECK(KILLED_BY_PF(st));
	}
	int st = run_self(self, "exit_in_cb", NULL);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	static const char *const ud_roles[] = {"wrong_depth", "trampoline_from_main"};
	for (size_t i = 0; i < sizeof(ud_roles) / sizeof(ud_roles[0]); i++) {
		st = run_self(self, ud_roles[i], NULL);
		if (!(WIFFAULTED(st) && WFAULTVEC(st) == 6))
			printf("# role %s: status %#x\n", ud_roles[i], st);
		CHECK(WIFFAULTED(st) && WFAULTVEC(st) == 6);
	}
}

int main(int argc, char **argv)
{
	if (argc >= 2) {
		const char *r = argv[1];
		if (!strcmp(r, "status5"))
			return 5;
		if (!strcmp(r, "yield"))
			return role_yield();
		if (!strcmp(r, "fault_self"))
			return role_fault_self();
		if (!strcmp(r, "fault_map"))
			return role_fault_map();
		if (!strcmp(r, "deep_fault"))
			return role_deep_fault();
		if (!strcmp(r, "fault_on_child"))
			return role_fault_on_child(argv[0]);
		if (!strcmp(r, "exit_in_cb"))
			return role_exit_in_cb();
		if (!strcmp(r, "wrong_depth"))
			return role_wrong_depth();
		if (!strcmp(r, "trampoline_from_main"))
			return role_trampoline_from_main();
		if (!strcmp(r, "spin_nested"))
			return role_spin_nested();
		if (!strcmp(r, "escape_and_exit"))
			return role_escape_and_exit();
		return 101;
	}
	test_nesting();
	test_syscalls_inside(argv[0]);
	test_registers();
	test_stacks();
	test_cb_return();
	test_longjmp();
	test_endings(argv[0]);
	return utest_result("bpf_callback");
}
