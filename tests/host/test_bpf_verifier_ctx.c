/*
 * Host tests of typed context fields (kernel/bpf/prog_type.h, bpf_ctx_field.btf_id): the context
 * of TRACING programs, whose 8-byte slots hold typed kernel pointers, some of them "or NULL"
 * (iter/task_vma's task and vma, NULL on the last run). The context given to the verifier here is
 * iter/task_vma's shape {meta, task, vma} with fake BTF ids; the loader is faked as in
 * test_bpf_verifier.c.
 */
#include <stdint.h>
#include <string.h>

#include "kernel/bpf/verifier.h"
#include "kernel/ktest.h"
#include "tests/host/bpf_asm.h"
#include "tests/host/testutil.h"
#include "uapi/errno.h"

TEST_LEAK_CHECK_EVERY_TEST()

#define META_ID 30 /* struct bpf_iter_meta: 24 bytes, seq a pointer at 0 */
#define TASK_ID 31 /* struct task_struct: 64 bytes, pid at 0 */
#define VMA_ID 32  /* struct vm_area_struct: 48 bytes */

static uint32_t type_size(uint32_t id)
{
	return id == META_ID ? 24 : id == TASK_ID ? 64 : id == VMA_ID ? 48 : 0;
}

static int fake_btf_access(void *priv, uint32_t btf_id, int32_t off, uint32_t size,
			   struct bpf_verifier_btf_field *out)
{
	(void)priv;
	if (off < 0 || off + size > type_size(btf_id))
		return -EACCES;
	out->btf_id = 0;
	return 0;
}

static const char *fake_btf_name(void *priv, uint32_t btf_id)
{
	(void)priv;
	return btf_id == META_ID   ? "bpf_iter_meta"
	       : btf_id == TASK_ID ? "task_struct"
	       : btf_id == VMA_ID  ? "vm_area_struct"
				   : NULL;
}

static const struct bpf_verifier_ops fake_ops = {.btf_access = fake_btf_access,
						 .btf_name = fake_btf_name};

static uint64_t fake_helper(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a + b + c + d + e;
}

/* iter/task_vma's context as kernel/bpf/tracing.c builds it. */
static const struct bpf_ctx_field iter_fields[] = {
	{.start = 0, .end = 8, .read_sizes = BPF_CTX_SZ8, .btf_id = META_ID},
	{.start = 8,
	 .end = 16,
	 .read_sizes = BPF_CTX_SZ8,
	 .flags = BPF_CTX_PTR_OR_NULL,
	 .btf_id = TASK_ID},
	{.start = 16,
	 .end = 24,
	 .read_sizes = BPF_CTX_SZ8,
	 .flags = BPF_CTX_PTR_OR_NULL,
	 .btf_id = VMA_ID},
	/* a number, as a tracepoint's scalar argument */
	{.start = 24,
	 .end = 32,
	 .read_sizes = BPF_CTX_SZ1 | BPF_CTX_SZ2 | BPF_CTX_SZ4 | BPF_CTX_SZ8},
};

static const struct bpf_prog_type_desc iter_desc = {
	.name = "tracing",
	.ctx_fields = iter_fields,
	.nctx_fields = 4,
	.ctx_size = 32,
};

static struct {
	char log[1 << 14];
	struct bpf_verifier_output out;
} run;

static int verify(const struct bpf_insn *insns, size_t n)
{
	static bpf_func_t fns[__BPF_FUNC_MAX_ID];
	fns[BPF_FUNC_ktime_get_ns] = fake_helper;
	memset(run.log, 0, sizeof(run.log));
	const struct bpf_verifier_input in = {
		.prog_type = BPF_PROG_TYPE_TRACING,
		.desc = &iter_desc,
		.insns = insns,
		.insn_cnt = (uint32_t)n,
		.ops = &fake_ops,
		.helper_fns = fns,
		.nhelper_fns = __BPF_FUNC_MAX_ID,
		.gpl_compatible = true,
		.log_buf = run.log,
		.log_size = sizeof(run.log),
		.log_level = BPF_LOG_LEVEL1,
	};
	return bpf_verify(&in, &run.out);
}

#define NINSNS(a) (sizeof(a) / sizeof((a)[0]))

#define EXPECT_VERDICT(err, msg, ...)                                                            \
	do {                                                                                     \
		static const struct bpf_insn p_[] = {__VA_ARGS__};                               \
		int e_ = verify(p_, NINSNS(p_));                                                 \
		if (e_ != (err))                                                                 \
			KT_FAIL("verify gave %d, expected %d; log:\n%.1500s", e_, err, run.log); \
		if ((msg)[0] && !strstr(run.log, msg))                                           \
			KT_FAIL("log lacks \"%s\"; log:\n%.1500s", msg, run.log);                \
		bpf_verifier_output_free(&run.out);                                              \
	} while (0)

KTEST(bpf_verifier_ctx, typed_field_reads_as_typed_pointer)
{
	/* meta is never NULL: read through it at once, as PROBE_MEM */
	static const struct bpf_insn p[] = {
		ASM_LDX(BPF_DW, 2, 1, 0),
		ASM_LDX(BPF_DW, 0, 2, 8),
		ASM_EXIT(),
	};
	ASSERT_EQ(verify(p, NINSNS(p)), 0);
	EXPECT_EQ(run.out.exec.insns[0].code, BPF_LDX | BPF_MEM | BPF_DW);
	EXPECT_EQ(run.out.exec.insns[1].code, BPF_LDX | BPF_PROBE_MEM | BPF_DW);
	EXPECT_EQ(run.out.max_ctx_offset, 8u);
	bpf_verifier_output_free(&run.out);
	EXPECT_VERDICT(-EACCES, "access beyond struct bpf_iter_meta at off 24 size 8",
		       ASM_LDX(BPF_DW, 2, 1, 0), ASM_LDX(BPF_DW, 0, 2, 24), ASM_EXIT());
	EXPECT_VERDICT(-EACCES, "only read is supported", ASM_LDX(BPF_DW, 2, 1, 0),
		       ASM_ST(BPF_DW, 2, 8, 0), ASM_MOV64_IMM(0, 0), ASM_EXIT());
}

KTEST(bpf_verifier_ctx, or_null_field_needs_a_null_check)
{
	/* task: if (!task) return 0; return task->pid */
	EXPECT_VERDICT(0, "", ASM_LDX(BPF_DW, 2, 1, 8), ASM_JMP_IMM(BPF_JEQ, 2, 0, 2),
		       ASM_LDX(BPF_W, 0, 2, 0), ASM_EXIT(), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* the same through a copy checked instead of the register loaded (ids follow copies) */
	EXPECT_VERDICT(0, "", ASM_LDX(BPF_DW, 2, 1, 16), ASM_MOV64_REG(3, 2),
		       ASM_JMP_IMM(BPF_JNE, 3, 0, 2), ASM_MOV64_IMM(0, 0), ASM_EXIT(),
		       ASM_LDX(BPF_DW, 0, 2, 40), ASM_EXIT());
	/* no check: refused, as Linux refuses ptr_or_null_ dereferences */
	EXPECT_VERDICT(-EACCES, "R2 invalid mem access", ASM_LDX(BPF_DW, 2, 1, 8),
		       ASM_LDX(BPF_W, 0, 2, 0), ASM_EXIT());
	EXPECT_VERDICT(-EACCES, "R2 invalid mem access", ASM_LDX(BPF_DW, 2, 1, 16),
		       ASM_LDX(BPF_DW, 0, 2, 0), ASM_EXIT());
	/* the NULL side of the check may not read either */
	EXPECT_VERDICT(-EACCES, "invalid mem access", ASM_LDX(BPF_DW, 2, 1, 8),
		       ASM_JMP_IMM(BPF_JNE, 2, 0, 2), ASM_LDX(BPF_W, 0, 2, 0), ASM_EXIT(),
		       ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* no arithmetic before the check */
	EXPECT_VERDICT(-EACCES, "", ASM_LDX(BPF_DW, 2, 1, 8), ASM_ALU64_IMM(BPF_ADD, 2, 8),
		       ASM_JMP_IMM(BPF_JEQ, 2, 0, 2), ASM_LDX(BPF_W, 0, 2, 0), ASM_EXIT(),
		       ASM_MOV64_IMM(0, 0), ASM_EXIT());
}

KTEST(bpf_verifier_ctx, typed_field_only_whole_reads)
{
	EXPECT_VERDICT(-EACCES, "invalid bpf_context access off=8 size=4", ASM_LDX(BPF_W, 0, 1, 8),
		       ASM_EXIT());
	EXPECT_VERDICT(-EACCES, "invalid bpf_context access off=12 size=4",
		       ASM_LDX(BPF_W, 0, 1, 12), ASM_EXIT());
	EXPECT_VERDICT(-EACCES, "invalid bpf_context access off=0 size=8", ASM_ST(BPF_DW, 1, 0, 0),
		       ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_VERDICT(-EACCES, "invalid bpf_context access off=8 size=8", ASM_STX(BPF_DW, 1, 1, 8),
		       ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_VERDICT(-EACCES, "invalid bpf_context access off=32 size=8",
		       ASM_LDX(BPF_DW, 0, 1, 32), ASM_EXIT());
	/* the scalar slot: any size, and what it gives is a number */
	EXPECT_VERDICT(0, "", ASM_LDX(BPF_W, 0, 1, 24), ASM_EXIT());
	EXPECT_VERDICT(-EACCES, "invalid mem access 'scalar'", ASM_LDX(BPF_DW, 2, 1, 24),
		       ASM_LDX(BPF_DW, 0, 2, 0), ASM_EXIT());
}
