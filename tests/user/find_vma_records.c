/*
 * The struct vm_area_struct records bpf_find_vma hands BPF callbacks (kernel/vma_btf.h), read by a
 * hand-assembled SYSCALL program at the fixed offsets of include/uapi/kestrel_btf_types.h (no
 * loader, no CO-RE): for every entry of this task's map, start, end, flags and (for anonymous
 * memory) the page offset equal the native find_vma's struct bpf_vma, vm_file is set exactly for
 * the entries the map listing calls the program image (one file for all of them), and vm_mm is
 * the task's mm. The task argument: the current task's view, the same through group_leader, and
 * a NULL pointer loaded from a field the verifier cannot know is NULL (real_parent) gives -ENOENT;
 * flags give -EINVAL, an unmapped address -ENOENT, our own map write-locked -EBUSY; a task
 * argument of another type (an mm_struct, a number) is refused at load.
 */
#include <stddef.h>

#include "bpf_sys_util.h"
#include "bpf_util.h"
/* The kernel's view of the iterator state is opaque; the user library's <bpf.h> has its own. */
#define bpf_iter_task_vma kernel_bpf_iter_task_vma
#include "kestrel_btf_types.h"
#undef bpf_iter_task_vma

/* The program's context (BPF_PROG_TEST_RUN's ctx_in, written back). */
struct rec_ctx {
	/* which: 0 the current task, 1 its group_leader, 2 real_parent */
	uint64_t addr, flags, which;
	int64_t ret;   /* bpf_find_vma's */
	uint64_t f[6]; /* what the callback read, in the order of fields[] */
};

static const int16_t fields[6] = {
	offsetof(struct vm_area_struct, vm_start), offsetof(struct vm_area_struct, vm_end),
	offsetof(struct vm_area_struct, vm_flags), offsetof(struct vm_area_struct, vm_pgoff),
	offsetof(struct vm_area_struct, vm_file),  offsetof(struct vm_area_struct, vm_mm),
};
enum { F_START, F_END, F_FLAGS, F_PGOFF, F_FILE, F_MM };

#define SLOT(i) (-48 + 8 * (i)) /* the callback's record of field i, on the main frame's stack */
#define CB_AT 36                /* the callback's first instruction */
#define LD_FUNC_AT 15

static int load_records_prog(void)
{
	const struct bpf_insn p[] = {
		/* 0 */ ASM_MOV64_REG(6, 1),
		ASM_ST(BPF_DW, 10, SLOT(0), 0),
		ASM_ST(BPF_DW, 10, SLOT(1), 0),
		ASM_ST(BPF_DW, 10, SLOT(2), 0),
		ASM_ST(BPF_DW, 10, SLOT(3), 0),
		ASM_ST(BPF_DW, 10, SLOT(4), 0),
		ASM_ST(BPF_DW, 10, SLOT(5), 0),
		/* 7 */ ASM_CALL_HELPER(BPF_FUNC_get_current_task_btf),
		ASM_LDX(BPF_DW, 7, 6, offsetof(struct rec_ctx, which)),
		ASM_JMP_IMM(BPF_JNE, 7, 1, 1),
		ASM_LDX(BPF_DW, 0, 0, offsetof(struct task_struct, group_leader)),
		ASM_JMP_IMM(BPF_JNE, 7, 2, 1),
		ASM_LDX(BPF_DW, 0, 0, offsetof(struct task_struct, real_parent)),
		/* 13 */ ASM_MOV64_REG(1, 0),
		ASM_LDX(BPF_DW, 2, 6, offsetof(struct rec_ctx, addr)),
		/* 15 */ ASM_LD_FUNC(3, CB_AT - LD_FUNC_AT - 1),
		/* 17 */ ASM_MOV64_REG(4, 10),
		ASM_ALU64_IMM(BPF_ADD, 4, SLOT(0)),
		ASM_LDX(BPF_DW, 5, 6, offsetof(struct rec_ctx, flags)),
		/* 20 */ ASM_CALL_HELPER(BPF_FUNC_find_vma),
		ASM_STX(BPF_DW, 6, 0, offsetof(struct rec_ctx, ret)),
		/* 22 */ ASM_LDX(BPF_DW, 1, 10, SLOT(0)),
		ASM_STX(BPF_DW, 6, 1, offsetof(struct rec_ctx, f[0])),
		ASM_LDX(BPF_DW, 1, 10, SLOT(1)),
		ASM_STX(BPF_DW, 6, 1, offsetof(struct rec_ctx, f[1])),
		ASM_LDX(BPF_DW, 1, 10, SLOT(2)),
		ASM_STX(BPF_DW, 6, 1, offsetof(struct rec_ctx, f[2])),
		ASM_LDX(BPF_DW, 1, 10, SLOT(3)),
		ASM_STX(BPF_DW, 6, 1, offsetof(struct rec_ctx, f[3])),
		ASM_LDX(BPF_DW, 1, 10, SLOT(4)),
		ASM_STX(BPF_DW, 6, 1, offsetof(struct rec_ctx, f[4])),
		ASM_LDX(BPF_DW, 1, 10, SLOT(5)),
		ASM_STX(BPF_DW, 6, 1, offsetof(struct rec_ctx, f[5])),
		/* 34 */ ASM_MOV64_IMM(0, 0),
		ASM_EXIT(),
		/* 36: callback(task r1, vma r2, ctx r3 = the main frame's SLOT(0)) */
		ASM_LDX(BPF_DW, 4, 2, fields[0]),
		ASM_STX(BPF_DW, 3, 4, 0),
		ASM_LDX(BPF_DW, 4, 2, fields[1]),
		ASM_STX(BPF_DW, 3, 4, 8),
		ASM_LDX(BPF_DW, 4, 2, fields[2]),
		ASM_STX(BPF_DW, 3, 4, 16),
		ASM_LDX(BPF_DW, 4, 2, fields[3]),
		ASM_STX(BPF_DW, 3, 4, 24),
		ASM_LDX(BPF_DW, 4, 2, fields[4]),
		ASM_STX(BPF_DW, 3, 4, 32),
		ASM_LDX(BPF_DW, 4, 2, fields[5]),
		ASM_STX(BPF_DW, 3, 4, 40),
		ASM_MOV64_IMM(0, 0),
		ASM_EXIT(),
	};
	static char vlog[16384];
	_Static_assert(NINSNS(p) == CB_AT + 14, "CB_AT is the callback's first instruction");

	int fd = prog_load_log(BPF_PROG_TYPE_SYSCALL, p, NINSNS(p), vlog, sizeof(vlog));
	if (fd < 0)
		printf("# records program: %d\n%s\n", fd, vlog);
	return fd;
}

/* Run the program: find_vma's result; the record in c. */
static long records(int fd, uint64_t addr, uint64_t flags, uint64_t which, struct rec_ctx *c)
{
	uint32_t r0 = 1;

	memset(c, 0, sizeof(*c));
	c->addr = addr;
	c->flags = flags;
	c->which = which;
	c->ret = 12345;
	int r = run_syscall_prog(fd, c, sizeof(*c), 1, &r0);
	CHECK_EQ(r, 0);
	CHECK_EQ(r0, 0);
	return c->ret;
}

static struct vm_listing l;

/* Every entry: the record equals the native one; vm_file exactly on image entries. */
static void test_every_entry(int fd)
{
	struct rec_ctx c;
	struct bpf_vma v;
	uint64_t file = 0, mm = 0;
	size_t images = 0, superpages = 0;

	/* A superpage, so that VM_SUPERPAGE is compared too. */
	long m = anon(0, 2 * SUPER, 0);
	CHECK(m > 0);
	uint64_t sp = ((uint64_t)m + SUPER - 1) & ~(SUPER - 1);
	*(volatile char *)sp = 1;

	CHECK_EQ(vm_list_all(0, &l), 0);
	CHECK(l.n >= 6);
	for (size_t i = 0; i < l.n; i++) {
		const struct vm_map_ent *e = &l.e[i];
		bool image = e->flags & VM_ENT_IMAGE;

		CHECK_EQ(records(fd, e->start, 0, 0, &c), 0);
		memset(&v, 0, sizeof(v));
		CHECK_EQ(vma_of(0, e->start, &v), 0);
		CHECK_EQ(c.f[F_START], v.vm_start);
		CHECK_EQ(c.f[F_END], v.vm_end);
		CHECK_EQ(c.f[F_FLAGS], v.vm_flags);
		if (!image)
			CHECK_EQ(c.f[F_PGOFF], v.vm_pgoff);
		CHECK_EQ(c.f[F_FILE] != 0, image);
		if (image) {
			CHECK(file == 0 || c.f[F_FILE] == file);
			file = c.f[F_FILE];
			images++;
		}
		CHECK(c.f[F_MM] != 0 && (mm == 0 || c.f[F_MM] == mm));
		mm = c.f[F_MM];
		superpages += (c.f[F_FLAGS] & VM_SUPERPAGE) != 0;
	}
	CHECK(images >= 2); /* text and data at least */
	CHECK(superpages >= 1);
	CHECK_EQ(raw_munmap((uint64_t)m, 2 * SUPER), 0);
}

static __attribute__((noinline)) int text_fn(int x)
{
	return x + 1;
}

static void test_tasks_and_errors(int fd)
{
	struct rec_ctx a, b;
	uint64_t addr = (uint64_t)text_fn;

	CHECK_EQ(records(fd, addr, 0, 0, &a), 0);
	CHECK(a.f[F_START] <= addr && addr < a.f[F_END]);
	CHECK(a.f[F_FLAGS] & VM_EXEC);
	CHECK(a.f[F_FILE] != 0);
	CHECK_EQ(records(fd, addr, 0, 1, &b), 0); /* group_leader: the same task */
	CHECK(!memcmp(a.f, b.f, sizeof(a.f)));
	CHECK_EQ(records(fd, addr, 0, 2, &b), -ENOENT); /* real_parent: NULL */
	CHECK_EQ(b.f[F_START], 0);
	CHECK_EQ(records(fd, addr, 1, 0, &b), -EINVAL);
	CHECK_EQ(records(fd, addr, 1ul << 63, 0, &b), -EINVAL);
	CHECK_EQ(records(fd, 0, 0, 0, &b), -ENOENT);
	CHECK_EQ(records(fd, UNMAPPED_LOW, 0, 0, &b), -ENOENT);
	CHECK_EQ(records(fd, ~0ul, 0, 0, &b), -ENOENT);
	CHECK_EQ(b.f[F_START], 0);

	/* Our own map write-locked by ourselves: the program cannot have it. */
	CHECK_EQ(sys2(SYS_task_lock_map, 0, 1), 0);
	long busy = records(fd, addr, 0, 0, &b);
	CHECK_EQ(sys2(SYS_task_lock_map, 0, 0), 0);
	CHECK_EQ(busy, -EBUSY);
	CHECK_EQ(records(fd, addr, 0, 0, &b), 0);
	CHECK_EQ(text_fn(1), 2);
}

/* bpf_find_vma's task must be a task_struct: an mm_struct or a number is refused at load. */
static void test_refused(void)
{
	static char vlog[4096];
	const struct bpf_insn wrong_type[] = {
		ASM_CALL_HELPER(BPF_FUNC_get_current_task_btf),
		ASM_LDX(BPF_DW, 1, 0, offsetof(struct task_struct, mm)),
		ASM_MOV64_IMM(2, 0),
		ASM_LD_FUNC(3, 6),
		ASM_MOV64_IMM(4, 0),
		ASM_MOV64_IMM(5, 0),
		ASM_CALL_HELPER(BPF_FUNC_find_vma),
		ASM_MOV64_IMM(0, 0),
		ASM_EXIT(),
		ASM_MOV64_IMM(0, 0),
		ASM_EXIT(),
	};
	const struct bpf_insn scalar[] = {
		ASM_MOV64_IMM(1, 4096), ASM_MOV64_IMM(2, 0),
		ASM_LD_FUNC(3, 6),      ASM_MOV64_IMM(4, 0),
		ASM_MOV64_IMM(5, 0),    ASM_CALL_HELPER(BPF_FUNC_find_vma),
		ASM_MOV64_IMM(0, 0),    ASM_EXIT(),
		ASM_MOV64_IMM(0, 0),    ASM_EXIT(),
	};
	CHECK_EQ(prog_load_log(BPF_PROG_TYPE_SYSCALL, wrong_type, NINSNS(wrong_type), vlog,
			       sizeof(vlog)),
		 -EACCES);
	CHECK(contains(vlog, "R1 is of type mm_struct but task_struct is expected"));
	CHECK_EQ(prog_load_log(BPF_PROG_TYPE_SYSCALL, scalar, NINSNS(scalar), vlog, sizeof(vlog)),
		 -EACCES);
	CHECK(contains(vlog, "R1 type=scalar"));
}

int main(void)
{
	int fd = load_records_prog();

	CHECK(fd >= 0);
	if (fd >= 0) {
		test_every_entry(fd);
		test_tasks_and_errors(fd);
		close(fd);
	}
	test_refused();
	CHECK_EQ(vm_check_map(), 0);
	return utest_result("find_vma_records");
}
