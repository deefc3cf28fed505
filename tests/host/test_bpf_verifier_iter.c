/*
 * Host tests of the verifier's open-coded iterators and kfuncs (kernel/bpf/verifier.h, struct
 * bpf_verifier_kfunc): hand-assembled programs over a fake kfunc table shaped like the kernel's
 * task_vma iterator (kernel/bpf/kfunc.c). Accepted loops (one that converges, one whose counter is
 * widened, one whose bound the walk proves: the shape clang 14 gives the seed's example, which
 * takes the second, exact walk), and one test per rejection rule with
 * the error code and the log's reason: a missing destroy (on one path, or in a callee), a second
 * new, next and destroy on an uninitialised iterator, use after destroy, writes through the
 * element pointer, writes and reads of the iterator's bytes, an untrusted task (a tracing
 * context's task is trusted, a field of it is not), a drained iterator's endless loop. Every test
 * is leak-checked by the runner.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bpf/verifier.h"
#include "kernel/ktest.h"
#include "tests/host/bpf_asm.h"
#include "tests/host/testutil.h"
#include "tests/host/verifier_log_check.h"
#include "uapi/errno.h"

TEST_LEAK_CHECK_EVERY_TEST()

/* ---- the fake loader: the task_vma iterator's kfuncs and the types they name ---- */

enum { TASK_ID = 77, ITER_ID = 88, VMA_ID = 99 };
enum { KF_NEW = 2000, KF_NEXT, KF_DESTROY, KF_GET_TASK, KF_NOT_KFUNC };
#define FD_RANGES 10 /* an array map of one 16000-byte value: the seed's vm_ranges */
#define VMA_SIZE 48
#define TASK_SIZE 64

static uint8_t ranges_value[16000];

static uint64_t kfunc_fn(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a ^ b ^ c ^ d ^ e;
}

static const struct bpf_func_proto p_new = {
	.name = "bpf_iter_task_vma_new",
	.fn = kfunc_fn,
	.ret = BPF_RET_INTEGER,
	.args = {BPF_ARG_ANYTHING, BPF_ARG_PTR_TO_BTF_ID, BPF_ARG_SCALAR},
	.arg_btf_id = {0, TASK_ID},
};
static const struct bpf_func_proto p_next = {
	.name = "bpf_iter_task_vma_next",
	.fn = kfunc_fn,
	.ret = BPF_RET_BTF_ID_OR_NULL,
	.ret_btf_id = VMA_ID,
	.args = {BPF_ARG_ANYTHING},
};
static const struct bpf_func_proto p_destroy = {
	.name = "bpf_iter_task_vma_destroy",
	.fn = kfunc_fn,
	.ret = BPF_RET_VOID,
	.args = {BPF_ARG_ANYTHING},
};
/* A trusted task, as bpf_get_current_task_btf gives it. */
static const struct bpf_func_proto p_get_task = {
	.name = "bpf_test_get_task",
	.fn = kfunc_fn,
	.ret = BPF_RET_BTF_ID,
	.ret_btf_id = TASK_ID,
};

static int fake_kfunc_get(void *priv, uint32_t prog_type, uint32_t btf_id, int16_t off,
			  struct bpf_verifier_kfunc *out)
{
	(void)priv;
	(void)prog_type;
	if (off)
		return -EINVAL;
	uint32_t iter = 0;
	switch (btf_id) {
	case KF_NEW:
		out->proto = &p_new;
		iter = BPF_KF_ITER_NEW | BPF_KF_TRUSTED_ARGS;
		break;
	case KF_NEXT:
		out->proto = &p_next;
		iter = BPF_KF_ITER_NEXT;
		break;
	case KF_DESTROY:
		out->proto = &p_destroy;
		iter = BPF_KF_ITER_DESTROY;
		break;
	case KF_GET_TASK:
		out->proto = &p_get_task;
		break;
	case KF_NOT_KFUNC:
		out->name = "bpf_iter_task_vma";
		return -EACCES;
	default:
		return -EINVAL;
	}
	out->name = out->proto->name;
	out->call_index = 300 + (btf_id - KF_NEW);
	out->flags = iter;
	if (iter & BPF_KF_ITER) {
		out->iter_btf_id = ITER_ID;
		out->iter_size = 8;
		out->iter_name = "task_vma";
	}
	return 0;
}

static int fake_map_get(void *priv, uint32_t pseudo, int32_t imm, struct bpf_verifier_map *out)
{
	(void)priv;
	(void)pseudo;
	if (imm != FD_RANGES)
		return -EBADF;
	*out = (struct bpf_verifier_map){
		(void *)0x1000, BPF_MAP_TYPE_ARRAY,     4, sizeof(ranges_value), 1, 0,
		false,          (uintptr_t)ranges_value};
	return 0;
}

/* vm_area_struct: vm_start at 0, vm_end at 8, ...; task_struct: pid at 0, parent at 8. */
static int fake_btf_access(void *priv, uint32_t btf_id, int32_t off, uint32_t size,
			   struct bpf_verifier_btf_field *out)
{
	(void)priv;
	uint32_t limit = btf_id == VMA_ID ? VMA_SIZE : btf_id == TASK_ID ? TASK_SIZE : 0;
	if (off < 0 || (uint32_t)off + size > limit)
		return -EACCES;
	out->btf_id = btf_id == TASK_ID && off == 8 && size == 8 ? TASK_ID : 0;
	return 0;
}

static const char *fake_btf_name(void *priv, uint32_t btf_id)
{
	(void)priv;
	return btf_id == TASK_ID ? "task_struct" : btf_id == VMA_ID ? "vm_area_struct" : NULL;
}

static const struct bpf_verifier_ops fake_ops = {
	.map_get = fake_map_get,
	.kfunc_get = fake_kfunc_get,
	.btf_access = fake_btf_access,
	.btf_name = fake_btf_name,
};

/* ---- running the verifier ---- */

static struct {
	char log[1 << 20]; /* the example's failing path is 16000 instructions long */
	struct bpf_verifier_output out;
} run;

static uint32_t prog_flags; /* for the next verifications */

/* An iter/task_vma-like context: ctx->task at 8, a typed pointer or NULL (prog_type.h). */
static const struct bpf_ctx_field task_ctx_fields[] = {
	{.start = 8,
	 .end = 16,
	 .read_sizes = BPF_CTX_SZ8,
	 .flags = BPF_CTX_PTR_OR_NULL,
	 .btf_id = TASK_ID},
};
static const struct bpf_prog_type_desc task_ctx_desc = {
	.name = "tracing",
	.ctx_fields = task_ctx_fields,
	.nctx_fields = 1,
	.ctx_size = 24,
};
static const struct bpf_prog_type_desc *desc; /* NULL: the syscall type's */

static int verify(const struct bpf_insn *insns, size_t n)
{
	static bpf_func_t helper_fns[__BPF_FUNC_MAX_ID];
	for (int i = 0; i < __BPF_FUNC_MAX_ID; i++)
		helper_fns[i] = kfunc_fn;
	memset(run.log, 0, sizeof(run.log));
	const struct bpf_verifier_input in = {
		.prog_type = BPF_PROG_TYPE_SYSCALL,
		.prog_flags = prog_flags,
		.desc = desc,
		.insns = insns,
		.insn_cnt = (uint32_t)n,
		.ops = &fake_ops,
		.helper_fns = helper_fns,
		.nhelper_fns = __BPF_FUNC_MAX_ID,
		.gpl_compatible = true,
		.log_buf = run.log,
		.log_size = sizeof(run.log),
		.log_level = BPF_LOG_LEVEL1,
	};
	return bpf_verify(&in, &run.out);
}

#define NINSNS(a) (sizeof(a) / sizeof((a)[0]))

#define EXPECT_REJECT(err, insn, msg, ...)                                                       \
	do {                                                                                     \
		static const struct bpf_insn p_[] = {__VA_ARGS__};                               \
		int e_ = verify(p_, NINSNS(p_));                                                 \
		if (e_ != (err))                                                                 \
			KT_FAIL("verify gave %d, expected %d; log:\n%.3000s", e_, err, run.log); \
		verifier_check_log(kt, __FILE__, __LINE__, run.log, msg, insn);                  \
		bpf_verifier_output_free(&run.out);                                              \
	} while (0)

/* Accepted, within max_insns processed instructions. */
#define EXPECT_ACCEPT(max_insns, ...)                                                       \
	do {                                                                                \
		static const struct bpf_insn p_[] = {__VA_ARGS__};                          \
		int e_ = verify(p_, NINSNS(p_));                                            \
		if (e_)                                                                     \
			KT_FAIL("verify gave %d, expected 0; log:\n%.3000s", e_, run.log);  \
		else if (run.out.verified_insns > (max_insns))                              \
			KT_FAIL("%u insns processed, more than %u", run.out.verified_insns, \
				(unsigned)(max_insns));                                     \
		bpf_verifier_output_free(&run.out);                                         \
	} while (0)

/* r6 = a trusted task; r1 = fp-8, r2 = r6, r3 = 0; new: insns 0..6 (new at 6). */
#define PROLOGUE                                                                         \
	ASM_CALL_KFUNC(KF_GET_TASK), ASM_MOV64_REG(6, 0), ASM_MOV64_REG(1, 10),          \
		ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_MOV64_REG(2, 6), ASM_MOV64_IMM(3, 0), \
		ASM_CALL_KFUNC(KF_NEW)
/* r1 = fp-8; call k: 3 insns. */
#define ITER_CALL(k) ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_CALL_KFUNC(k)

/* ---- accepted ---- */

/* bpf_for_each(task_vma, vma, task, 0) { n++; sum += vma->vm_start; }: converges in a few passes. */
KTEST(bpf_verifier_iter, loop_converges)
{
	EXPECT_ACCEPT(200, PROLOGUE,                 /* 0-6 */
		      ASM_MOV64_IMM(7, 0),           /* 7: n */
		      ITER_CALL(KF_NEXT),            /* 8-10: the loop head */
		      ASM_JMP_IMM(BPF_JEQ, 0, 0, 3), /* 11 */
		      ASM_LDX(BPF_DW, 1, 0, 0),      /* 12: vma->vm_start */
		      ASM_ALU64_IMM(BPF_ADD, 7, 1),  /* 13 */
		      ASM_JA(-7),                    /* 14 */
		      ITER_CALL(KF_DESTROY),         /* 15-17 */
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* The xlated calls name the kfuncs' call indexes. */
	static const struct bpf_insn p[] = {PROLOGUE, ITER_CALL(KF_DESTROY), ASM_MOV64_IMM(0, 0),
					    ASM_EXIT()};
	ASSERT_EQ(verify(p, NINSNS(p)), 0);
	EXPECT_EQ(run.out.insns[6].src_reg, 0);
	EXPECT_EQ(run.out.insns[6].imm, 300);
	EXPECT_EQ(run.out.insns[9].imm, 302);
	EXPECT_TRUE(run.out.calls[300] == kfunc_fn);
	bpf_verifier_output_free(&run.out);
}

/* A counter tested after the loop (precise): widened at the loop head, as Linux's converges. */
KTEST(bpf_verifier_iter, counter_tested_after_loop)
{
	EXPECT_ACCEPT(500, PROLOGUE,                 /* 0-6 */
		      ASM_MOV64_IMM(7, 0),           /* 7 */
		      ITER_CALL(KF_NEXT),            /* 8-10 */
		      ASM_JMP_IMM(BPF_JEQ, 0, 0, 2), /* 11: -> 14 */
		      ASM_ALU64_IMM(BPF_ADD, 7, 1),  /* 12 */
		      ASM_JA(-6),                    /* 13: -> 8 */
		      ITER_CALL(KF_DESTROY),         /* 14-16 */
		      ASM_MOV64_IMM(0, 0),           /* 17 */
		      ASM_JMP_IMM(BPF_JGT, 7, 3, 1), /* 18 */
		      ASM_MOV64_IMM(0, 1),           /* 19 */
		      ASM_EXIT());                   /* 20 */
}

/*
 * The seed's example as clang 14 -O2 compiles it: the store pointer r6 runs ahead of the counter
 * r7, and only the copy r9 of the counter is checked against 999. The walk keeps the precise
 * counter exact on every pass, so it proves every store lands in the value; with the bound one
 * too high the last pass stores past the end and the program is rejected, as Linux rejects the
 * original (its widening loses the counter).
 */
#define EXAMPLE(bound)                                                                   \
	PROLOGUE,                                                     /* 0-6 */          \
		ASM_MOV64_IMM(7, 0),                                  /* 7 */            \
		ITER_CALL(KF_NEXT),                                   /* 8-10 */         \
		ASM_JMP_IMM(BPF_JEQ, 0, 0, 17),                       /* 11: -> 29 */    \
		ASM_LD_PSEUDO(6, BPF_PSEUDO_MAP_VALUE, FD_RANGES, 0), /* 12-13 */        \
		ASM_ALU64_IMM(BPF_ADD, 6, 8),                         /* 14 */           \
		ASM_MOV64_IMM(8, bound),                              /* 15 */           \
		ASM_MOV64_REG(9, 7),                                  /* 16: the loop */ \
		ASM_LDX(BPF_DW, 1, 0, 0),                             /* 17 */           \
		ASM_STX(BPF_DW, 6, 1, -8),                            /* 18 */           \
		ASM_LDX(BPF_DW, 1, 0, 8),                             /* 19 */           \
		ASM_STX(BPF_DW, 6, 1, 0),                             /* 20 */           \
		ITER_CALL(KF_NEXT),                                   /* 21-23 */        \
		ASM_ALU64_IMM(BPF_ADD, 7, 1),                         /* 24 */           \
		ASM_JMP_IMM(BPF_JEQ, 0, 0, 2),                        /* 25: -> 28 */    \
		ASM_ALU64_IMM(BPF_ADD, 6, 16),                        /* 26 */           \
		ASM_JMP_REG(BPF_JGT, 8, 9, -12),                      /* 27: -> 16 */    \
		ASM_JA(0),                                            /* 28 */           \
		ITER_CALL(KF_DESTROY),                                /* 29-31 */        \
		ASM_MOV64_REG(0, 7), ASM_EXIT()

KTEST(bpf_verifier_iter, bound_proved_by_walk)
{
	EXPECT_ACCEPT(100000, EXAMPLE(999));
	EXPECT_REJECT(-EACCES, 18, "invalid access to map value, value_size=16000 off=16000 size=8",
		      EXAMPLE(1000));
}

/* ---- rejected ---- */

KTEST(bpf_verifier_iter, missing_destroy)
{
	EXPECT_REJECT(-EINVAL, 8, "Unreleased reference id=", PROLOGUE, ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
	EXPECT_REJECT(-EINVAL, -1, "alloc_insn=6", PROLOGUE, ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* Destroyed on the fall-through path only: the join must not let the other path through,
	   though nothing reads the stack after it (a checkpoint at every prune point). */
	prog_flags = BPF_F_TEST_STATE_FREQ;
	EXPECT_REJECT(-EINVAL, 13, "Unreleased reference", PROLOGUE, /* 0-6 */
		      ASM_JMP_IMM(BPF_JNE, 0, 0, 3),                 /* 7: -> 11 */
		      ITER_CALL(KF_DESTROY),                         /* 8-10 */
		      ASM_MOV64_IMM(0, 0),                           /* 11 */
		      ASM_MOV64_IMM(1, 0),                           /* 12 */
		      ASM_EXIT());                                   /* 13 */
	prog_flags = 0;
	/* Started in a callee that returns without destroying it. */
	EXPECT_REJECT(-EINVAL, 11, "Unreleased reference", ASM_CALL_LOCAL(2), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT(), PROLOGUE,             /* 3-9 */
		      ASM_MOV64_IMM(0, 0), ASM_EXIT()); /* 10-11 */
}

KTEST(bpf_verifier_iter, double_new)
{
	EXPECT_REJECT(-EINVAL, 11, "expected uninitialized iter_task_vma as arg #1", PROLOGUE,
		      ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_MOV64_REG(2, 6),
		      ASM_MOV64_IMM(3, 0), ASM_CALL_KFUNC(KF_NEW), ITER_CALL(KF_DESTROY),
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
}

KTEST(bpf_verifier_iter, next_or_destroy_uninit)
{
	EXPECT_REJECT(-EINVAL, 2, "expected an initialized iter_task_vma as arg #1",
		      ITER_CALL(KF_NEXT), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_REJECT(-EINVAL, 2, "expected an initialized iter_task_vma as arg #1",
		      ITER_CALL(KF_DESTROY), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* Destroyed twice. */
	EXPECT_REJECT(-EINVAL, 12, "expected an initialized iter_task_vma as arg #1", PROLOGUE,
		      ITER_CALL(KF_DESTROY), ITER_CALL(KF_DESTROY), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
	/* Plain data on the stack is no iterator. */
	EXPECT_REJECT(-EINVAL, 3, "expected an initialized iter_task_vma as arg #1",
		      ASM_ST(BPF_DW, 10, -8, 0), ITER_CALL(KF_NEXT), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
}

KTEST(bpf_verifier_iter, use_after_destroy)
{
	EXPECT_REJECT(-EACCES, 15, "R8 invalid mem access 'scalar'", PROLOGUE, /* 0-6 */
		      ITER_CALL(KF_NEXT),                                      /* 7-9 */
		      ASM_MOV64_REG(8, 0),                                     /* 10 */
		      ITER_CALL(KF_DESTROY),                                   /* 11-13 */
		      ASM_JMP_IMM(BPF_JEQ, 8, 0, 1),                           /* 14 */
		      ASM_LDX(BPF_DW, 0, 8, 0),                                /* 15 */
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* A spilled copy goes too. */
	EXPECT_REJECT(-EACCES, 17, "R8 invalid mem access 'scalar'", PROLOGUE, /* 0-6 */
		      ITER_CALL(KF_NEXT),                                      /* 7-9 */
		      ASM_JMP_IMM(BPF_JEQ, 0, 0, 7),                           /* 10: -> 18 */
		      ASM_STX(BPF_DW, 10, 0, -16),                             /* 11 */
		      ITER_CALL(KF_DESTROY),                                   /* 12-14 */
		      ASM_LDX(BPF_DW, 8, 10, -16),                             /* 15 */
		      ASM_JA(0),                                               /* 16 */
		      ASM_LDX(BPF_DW, 0, 8, 0),                                /* 17 */
		      ITER_CALL(KF_DESTROY),                                   /* 18-20 */
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
}

KTEST(bpf_verifier_iter, element_is_read_only_and_maybe_null)
{
	EXPECT_REJECT(-EACCES, 11, "only read is supported", PROLOGUE, ITER_CALL(KF_NEXT),
		      ASM_JMP_IMM(BPF_JEQ, 0, 0, 1), ASM_ST(BPF_DW, 0, 0, 1), ITER_CALL(KF_DESTROY),
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_REJECT(-EACCES, 10, "R0 invalid mem access 'scalar'", PROLOGUE, ITER_CALL(KF_NEXT),
		      ASM_LDX(BPF_DW, 1, 0, 0), ITER_CALL(KF_DESTROY), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
	EXPECT_REJECT(-EACCES, 11, "access beyond struct vm_area_struct at off 48 size 8", PROLOGUE,
		      ITER_CALL(KF_NEXT), ASM_JMP_IMM(BPF_JEQ, 0, 0, 1),
		      ASM_LDX(BPF_DW, 1, 0, VMA_SIZE), ITER_CALL(KF_DESTROY), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
}

KTEST(bpf_verifier_iter, iterator_bytes_are_the_kernels)
{
	EXPECT_REJECT(-EACCES, 7, "cannot overwrite referenced iterator at fp-8", PROLOGUE,
		      ASM_ST(BPF_DW, 10, -8, 0), ITER_CALL(KF_DESTROY), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
	EXPECT_REJECT(-EACCES, 7, "cannot overwrite referenced iterator at fp-5", PROLOGUE,
		      ASM_ST(BPF_B, 10, -5, 0), ITER_CALL(KF_DESTROY), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
	EXPECT_REJECT(-EACCES, 7, "invalid read from stack off -8+0 size 8", PROLOGUE,
		      ASM_LDX(BPF_DW, 0, 10, -8), ITER_CALL(KF_DESTROY), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
	/* A helper may neither fill nor read them: bpf_get_current_comm(fp-16, 16). */
	EXPECT_REJECT(-EACCES, 10, "cannot overwrite referenced iterator at fp-8", PROLOGUE,
		      ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -16), ASM_MOV64_IMM(2, 16),
		      ASM_CALL_HELPER(BPF_FUNC_get_current_comm), ITER_CALL(KF_DESTROY),
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* After destroy the bytes are the program's again. */
	EXPECT_ACCEPT(100, PROLOGUE, ITER_CALL(KF_DESTROY), ASM_ST(BPF_DW, 10, -8, 0),
		      ASM_LDX(BPF_DW, 0, 10, -8), ASM_EXIT());
}

KTEST(bpf_verifier_iter, arguments)
{
	/* A task loaded from a field is not trusted. */
	EXPECT_REJECT(-EINVAL, 7, "R2 must be referenced or trusted", ASM_CALL_KFUNC(KF_GET_TASK),
		      ASM_LDX(BPF_DW, 6, 0, 8), ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -8),
		      ASM_MOV64_REG(2, 6), ASM_MOV64_IMM(3, 0), ASM_MOV64_IMM(0, 0),
		      ASM_CALL_KFUNC(KF_NEW), ASM_EXIT());
	EXPECT_REJECT(-EACCES, 4, "R2 type=scalar expected=ptr_", ASM_MOV64_REG(1, 10),
		      ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_MOV64_IMM(2, 0), ASM_MOV64_IMM(3, 0),
		      ASM_CALL_KFUNC(KF_NEW), ASM_EXIT());
	EXPECT_REJECT(-EINVAL, 5, "arg#0 expected pointer to an iterator on stack",
		      ASM_CALL_KFUNC(KF_GET_TASK), ASM_MOV64_REG(1, 0), ASM_MOV64_REG(2, 0),
		      ASM_MOV64_IMM(3, 0), ASM_MOV64_IMM(0, 0), ASM_CALL_KFUNC(KF_NEW), ASM_EXIT());
	EXPECT_REJECT(-EINVAL, 6, "cannot pass in iter_task_vma at an offset=-12",
		      ASM_CALL_KFUNC(KF_GET_TASK), ASM_MOV64_REG(2, 0), ASM_MOV64_REG(1, 10),
		      ASM_ALU64_IMM(BPF_ADD, 1, -12), ASM_MOV64_IMM(3, 0), ASM_MOV64_IMM(0, 0),
		      ASM_CALL_KFUNC(KF_NEW), ASM_EXIT());
	EXPECT_REJECT(-EACCES, 0, "calling kernel function bpf_iter_task_vma is not allowed",
		      ASM_CALL_KFUNC(KF_NOT_KFUNC), ASM_EXIT());
	EXPECT_REJECT(-EINVAL, 0, "kernel btf_id 12345 is not a function", ASM_CALL_KFUNC(12345),
		      ASM_EXIT());
}

/* A tracing context's task argument is trusted once NULL-checked; a field loaded from it is not. */
KTEST(bpf_verifier_iter, context_task)
{
	desc = &task_ctx_desc;
	EXPECT_ACCEPT(100, ASM_LDX(BPF_DW, 6, 1, 8), /* 0: ctx->task */
		      ASM_JMP_IMM(BPF_JEQ, 6, 0, 8), /* 1: -> 10 */
		      ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_MOV64_REG(2, 6),
		      ASM_MOV64_IMM(3, 0), ASM_CALL_KFUNC(KF_NEW), /* 2-6 */
		      ITER_CALL(KF_DESTROY),                       /* 7-9 */
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_REJECT(-EACCES, 5, "R2 type=ptr_or_null_ expected=ptr_", ASM_LDX(BPF_DW, 6, 1, 8),
		      ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_MOV64_REG(2, 6),
		      ASM_MOV64_IMM(3, 0), ASM_CALL_KFUNC(KF_NEW), ASM_EXIT());
	EXPECT_REJECT(-EINVAL, 7, "R2 must be referenced or trusted", ASM_LDX(BPF_DW, 6, 1, 8),
		      ASM_JMP_IMM(BPF_JEQ, 6, 0, 6), ASM_LDX(BPF_DW, 6, 6, 8), /* task->parent */
		      ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_MOV64_REG(2, 6),
		      ASM_MOV64_IMM(3, 0), ASM_CALL_KFUNC(KF_NEW), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	desc = NULL;
}

/* A drained iterator returns NULL for ever: calling next again and again is an endless loop. */
KTEST(bpf_verifier_iter, drained_loop_is_infinite)
{
	EXPECT_REJECT(-EINVAL, -1, "infinite loop detected at insn", PROLOGUE, /* 0-6 */
		      ITER_CALL(KF_NEXT),                                      /* 7-9 */
		      ASM_JMP_IMM(BPF_JNE, 0, 0, 1),                           /* 10: -> 12 */
		      ASM_JA(-5),                                              /* 11: -> 7 */
		      ITER_CALL(KF_DESTROY),                                   /* 12-14 */
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
}
