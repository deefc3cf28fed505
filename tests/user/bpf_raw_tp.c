/*
 * Raw tracepoint programs (BPF_PROG_TYPE_RAW_TRACEPOINT) attached with BPF_RAW_TRACEPOINT_OPEN
 * to sys_enter, sys_exit and vm_fault (kernel/trace.h): they run on this task's system calls and faults with
 * the tracepoint's arguments; the tracing helpers read kernel memory (the registers, the task's
 * BTF view) and user memory; links have ids and info, and BPF_LINK_DETACH or closing the link
 * stops the runs. Attach errors: unknown names, other program types, a context read past the
 * tracepoint's arguments.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "bpf_sys_util.h"

#define SUPER (2ul << 20)
#define PT_REGS_DI 112 /* offsetof(struct pt_regs, di), include/uapi/kestrel_btf_types.h */
#define TASK_PID 8     /* offsetof(struct task_struct, pid) */

/* The value the programs fill: v[0] a count, v[1..3] what the last run read. */
struct rec {
	uint64_t v[4];
};

static int stats_map(void)
{
	return map_create(BPF_MAP_TYPE_ARRAY, 4, sizeof(struct rec), 1, 0);
}

static struct rec stats(int map)
{
	struct rec r;
	uint32_t k = 0;

	memset(&r, 0xee, sizeof(r));
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, map, &k, &r, 0), 0);
	return r;
}

static int raw_tp_open(const char *name, int prog)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (uint64_t)(uintptr_t)name;
	a.raw_tracepoint.prog_fd = (uint32_t)prog;
	return sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
}

/*
 * sys_enter: for getpid (args[1] == SYS_getpid), count it, and keep the caller's rdi (read from
 * the pt_regs at args[0]), the pid of bpf_get_current_task's task_struct, and 8 bytes of user
 * memory at that rdi (probe_read_user; its result if it failed).
 */
static int sys_enter_prog(int map)
{
	const struct bpf_insn p[] = {
		ASM_MOV64_REG(6, 1),
		ASM_LDX(BPF_DW, 2, 6, 8),
		ASM_JMP_IMM(BPF_JNE, 2, 3 /* SYS_getpid */, 29),
		ASM_ST(BPF_W, 10, -4, 0),
		ASM_LD_MAP_FD(1, map),
		ASM_MOV64_REG(2, 10),
		ASM_ALU64_IMM(BPF_ADD, 2, -4),
		ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		ASM_JMP_IMM(BPF_JEQ, 0, 0, 22),
		ASM_MOV64_REG(7, 0),
		ASM_LDX(BPF_DW, 1, 7, 0),
		ASM_ALU64_IMM(BPF_ADD, 1, 1),
		ASM_STX(BPF_DW, 7, 1, 0),
		/* v[1] = regs->di */
		ASM_MOV64_REG(1, 7),
		ASM_ALU64_IMM(BPF_ADD, 1, 8),
		ASM_MOV64_IMM(2, 8),
		ASM_LDX(BPF_DW, 3, 6, 0),
		ASM_ALU64_IMM(BPF_ADD, 3, PT_REGS_DI),
		ASM_CALL_HELPER(BPF_FUNC_probe_read_kernel),
		/* v[2] = bpf_get_current_task()->pid */
		ASM_CALL_HELPER(BPF_FUNC_get_current_task),
		ASM_MOV64_REG(3, 0),
		ASM_ALU64_IMM(BPF_ADD, 3, TASK_PID),
		ASM_MOV64_REG(1, 7),
		ASM_ALU64_IMM(BPF_ADD, 1, 16),
		ASM_MOV64_IMM(2, 4),
		ASM_CALL_HELPER(BPF_FUNC_probe_read_kernel),
		/* v[3] = 8 user bytes at rdi */
		ASM_MOV64_REG(1, 7),
		ASM_ALU64_IMM(BPF_ADD, 1, 24),
		ASM_MOV64_IMM(2, 8),
		ASM_LDX(BPF_DW, 3, 7, 8),
		ASM_CALL_HELPER(BPF_FUNC_probe_read_user),
		ASM_MOV64_IMM(0, 0),
		ASM_EXIT(),
	};
	static char vlog[4096];
	int fd = prog_load_log(BPF_PROG_TYPE_RAW_TRACEPOINT, p, NINSNS(p), vlog, sizeof(vlog));
	if (fd < 0)
		printf("# sys_enter program: %d\n%s\n", fd, vlog);
	return fd;
}

/* vm_fault: v[0] counts 4 KiB pages mapped, v[1] 2 MiB ones, v[2] failed faults (args[3] != 0). */
static int vm_fault_prog(int map)
{
	const struct bpf_insn q[] = {
		ASM_MOV64_REG(6, 1),
		ASM_ST(BPF_W, 10, -4, 0),
		ASM_LD_MAP_FD(1, map),
		ASM_MOV64_REG(2, 10),
		ASM_ALU64_IMM(BPF_ADD, 2, -4),
		ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		ASM_JMP_IMM(BPF_JEQ, 0, 0, 10),
		ASM_LDX(BPF_DW, 2, 6, 32), /* page size */
		ASM_MOV64_IMM(3, 16),      /* anything else: v[2] */
		ASM_JMP_IMM(BPF_JNE, 2, 4096, 1),
		ASM_MOV64_IMM(3, 0),
		ASM_JMP_IMM(BPF_JNE, 2, (int32_t)SUPER, 1),
		ASM_MOV64_IMM(3, 8),
		ASM_ALU64_REG(BPF_ADD, 0, 3),
		ASM_LDX(BPF_DW, 1, 0, 0),
		ASM_ALU64_IMM(BPF_ADD, 1, 1),
		ASM_STX(BPF_DW, 0, 1, 0),
		ASM_MOV64_IMM(0, 0),
		ASM_EXIT(),
	};
	return prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, q, NINSNS(q));
}

static void test_sys_enter(void)
{
	int map = stats_map(), prog = sys_enter_prog(map);
	int links = count_ids(BPF_LINK_GET_NEXT_ID);
	uint64_t secret = 0x5ec2e75ec2e7ull, pid = (uint64_t)getpid();

	CHECK(map >= 0 && prog >= 0);
	int link = raw_tp_open("sys_enter", prog);
	CHECK(link >= 0);
	CHECK_EQ(count_ids(BPF_LINK_GET_NEXT_ID), links + 1);
	for (int i = 0; i < 5; i++)
		__asm__ volatile("syscall"
				 : "=a"(secret)
				 : "a"(3), "D"(&secret)
				 : "rcx", "r11", "memory");
	struct rec r = stats(map);
	CHECK_EQ(r.v[0], 5);
	CHECK_EQ(r.v[1], (uint64_t)(uintptr_t)&secret);
	CHECK_EQ(r.v[2], pid);
	CHECK_EQ(r.v[3], pid); /* the last getpid stored its result in secret */

	/* Link info: the kind, ids and the tracepoint's name (cut to the buffer, with ENOSPC). */
	struct bpf_link_info li;
	char name[32];
	memset(&li, 0, sizeof(li));
	li.raw_tracepoint.tp_name = (uint64_t)(uintptr_t)name;
	li.raw_tracepoint.tp_name_len = sizeof(name);
	CHECK_EQ(obj_info(link, &li, sizeof(li), NULL), 0);
	CHECK_EQ(li.type, BPF_LINK_TYPE_RAW_TRACEPOINT);
	CHECK(li.id > 0 && li.prog_id > 0);
	CHECK(!strcmp(name, "sys_enter") && li.raw_tracepoint.tp_name_len == 10);
	li.raw_tracepoint.tp_name_len = 4;
	CHECK_EQ(obj_info(link, &li, sizeof(li), NULL), -ENOSPC);
	CHECK(!strcmp(name, "sys"));

	/* The id finds the link; BPF_LINK_DETACH stops the runs, the link stays until closed. */
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.link_id = li.id;
	int again = sys_bpf(BPF_LINK_GET_FD_BY_ID, &a);
	CHECK(again >= 0);
	memset(&a, 0, sizeof(a));
	a.link_detach.link_fd = (uint32_t)again;
	CHECK_EQ(sys_bpf(BPF_LINK_DETACH, &a), 0);
	getpid();
	CHECK_EQ(stats(map).v[0], 5);
	CHECK_EQ(count_ids(BPF_LINK_GET_NEXT_ID), links + 1);
	close(again);
	close(link);
	CHECK_EQ(count_ids(BPF_LINK_GET_NEXT_ID), links);

	/* Closing the last fd detaches too. */
	link = raw_tp_open("sys_enter", prog);
	getpid();
	CHECK_EQ(stats(map).v[0], 6);
	close(link);
	getpid();
	CHECK_EQ(stats(map).v[0], 6);
	close(prog);
	close(map);
}

static void test_vm_fault(void)
{
	int map = stats_map(), prog = vm_fault_prog(map);

	CHECK(map >= 0 && prog >= 0);
	int link = raw_tp_open("vm_fault", prog);
	CHECK(link >= 0);
	char *small = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
	char *big = mmap(NULL, 2 * SUPER, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANON | MAP_ALIGNED_SUPER, -1, 0);
	CHECK(small != MAP_FAILED && big != MAP_FAILED);
	small[0] = 1;
	big[0] = 1;
	close(link);
	big[SUPER] = 1; /* after the detach: not counted */
	struct rec r = stats(map);
	CHECK_EQ(r.v[0], 1);
	CHECK_EQ(r.v[1], 1);
	munmap(small, 4096);
	munmap(big, 2 * SUPER);
	close(prog);
	close(map);
}

/* sys_exit: v[0] counts the system calls that returned, v[1] is the last one's result. */
static void test_sys_exit(void)
{
	int map = stats_map();
	const struct bpf_insn p[] = {
		ASM_MOV64_REG(6, 1),           ASM_ST(BPF_W, 10, -4, 0),
		ASM_LD_MAP_FD(1, map),         ASM_MOV64_REG(2, 10),
		ASM_ALU64_IMM(BPF_ADD, 2, -4), ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		ASM_JMP_IMM(BPF_JEQ, 0, 0, 5), ASM_LDX(BPF_DW, 1, 0, 0),
		ASM_ALU64_IMM(BPF_ADD, 1, 1),  ASM_STX(BPF_DW, 0, 1, 0),
		ASM_LDX(BPF_DW, 1, 6, 8),      ASM_STX(BPF_DW, 0, 1, 8),
		ASM_MOV64_IMM(0, 0),           ASM_EXIT(),
	};
	int prog = prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, p, NINSNS(p));

	CHECK(map >= 0 && prog >= 0);
	/* Counted: the bpf(2) call that attached it (its result the link fd) and getpid; not the
	   close that detaches it, whose handler runs first. */
	int link = raw_tp_open("sys_exit", prog);
	CHECK(link >= 0);
	int pid = getpid();
	close(link);
	struct rec r = stats(map);
	CHECK_EQ(r.v[0], 2);
	CHECK_EQ(r.v[1], (uint64_t)pid);
	close(prog);
	close(map);
}

static void test_errors(void)
{
	int map = stats_map();
	int prog = sys_enter_prog(map);
	/* Reads args[2]: fine for vm_fault (5 arguments), past sys_enter's 2. */
	const struct bpf_insn third[] = {ASM_LDX(BPF_DW, 0, 1, 16), ASM_MOV64_IMM(0, 0),
					 ASM_EXIT()};
	int p3 = prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, third, NINSNS(third));
	const struct bpf_insn ret0[] = {ASM_MOV64_IMM(0, 0), ASM_EXIT()};
	int sys = prog_load(BPF_PROG_TYPE_SYSCALL, ret0, NINSNS(ret0));
	/* The context is read-only; it ends after Linux's 12 arguments. */
	const struct bpf_insn write[] = {ASM_ST(BPF_DW, 1, 0, 1), ASM_MOV64_IMM(0, 0), ASM_EXIT()};
	const struct bpf_insn past[] = {ASM_LDX(BPF_DW, 0, 1, 96), ASM_MOV64_IMM(0, 0), ASM_EXIT()};
	char log[512];

	CHECK(prog >= 0 && p3 >= 0 && sys >= 0);
	CHECK_EQ(raw_tp_open("no_such_tracepoint", prog), -ENOENT);
	CHECK_EQ(raw_tp_open("sys_enter", sys), -EINVAL);
	CHECK_EQ(raw_tp_open("sys_enter", map), -EINVAL);
	CHECK_EQ(raw_tp_open("sys_enter", 99), -EBADF);
	CHECK_EQ(raw_tp_open(NULL, prog), -EINVAL);
	CHECK_EQ(raw_tp_open((const char *)KERNEL_TEXT, prog), -EFAULT);
	CHECK_EQ(raw_tp_open("sys_enter", p3), -EINVAL);
	int l = raw_tp_open("vm_fault", p3);
	CHECK(l >= 0);
	close(l);
	CHECK(prog_load_log(BPF_PROG_TYPE_RAW_TRACEPOINT, write, NINSNS(write), log, sizeof(log)) <
	      0);
	CHECK(prog_load_log(BPF_PROG_TYPE_RAW_TRACEPOINT, past, NINSNS(past), log, sizeof(log)) <
	      0);
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.link_detach.link_fd = (uint32_t)prog;
	CHECK_EQ(sys_bpf(BPF_LINK_DETACH, &a), -EINVAL);
	memset(&a, 0, sizeof(a));
	a.link_id = 0x7ffffff0;
	CHECK_EQ(sys_bpf(BPF_LINK_GET_FD_BY_ID, &a), -ENOENT);
	close(prog);
	close(p3);
	close(sys);
	close(map);
}

int main(void)
{
	int progs = count_ids(BPF_PROG_GET_NEXT_ID), maps = count_ids(BPF_MAP_GET_NEXT_ID);

	test_sys_enter();
	test_vm_fault();
	test_sys_exit();
	test_errors();
	CHECK_EQ(count_ids(BPF_PROG_GET_NEXT_ID), progs);
	CHECK_EQ(count_ids(BPF_MAP_GET_NEXT_ID), maps);
	return utest_result("bpf_raw_tp");
}
