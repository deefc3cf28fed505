/*
 * Host tests of the eBPF verifier (kernel/bpf/verifier.h): one test per rejection rule, each
 * checking the error code, the reason in the log and the instruction it names, next to accepted
 * programs that come as close to the rule as it allows; then the translation into the xlated form,
 * the log's truncation, the complexity limit and the time the walk takes.
 *
 * The loader's side is faked here: maps by fd (fake_maps), kfuncs, a BTF type "task_struct"
 * and fake helper implementations. Every test is leak-checked by the runner.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/bpf/disasm.h"
#include "kernel/bpf/verifier.h"
#include "kernel/ktest.h"
#include "tests/host/bpf_asm.h"
#include "tests/host/testutil.h"
#include "tests/host/verifier_log_check.h"
#include "uapi/errno.h"

TEST_LEAK_CHECK_EVERY_TEST()

/* ---- the fake loader ---- */

enum { FD_HASH = 10, FD_ARRAY, FD_RDONLY, FD_PERCPU, FD_FROZEN, FD_WRONLY };
#define TASK_ID 77
#define TASK_SIZE 64

static uint8_t array_values[4 * 64];
static uint8_t small_values[3][8];

static const struct {
	int fd;
	struct bpf_verifier_map m;
} fake_maps[] = {
	{FD_HASH, {(void *)0x1000, BPF_MAP_TYPE_HASH, 8, 16, 64, 0, false, 0}},
	{FD_ARRAY,
	 {(void *)0x2000, BPF_MAP_TYPE_ARRAY, 4, 64, 4, 0, false, (uintptr_t)array_values}},
	{FD_RDONLY,
	 {(void *)0x3000, BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_RDONLY_PROG, false,
	  (uintptr_t)small_values[0]}},
	{FD_PERCPU, {(void *)0x4000, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4, 0, false, 0}},
	{FD_FROZEN,
	 {(void *)0x5000, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0, true, (uintptr_t)small_values[1]}},
	{FD_WRONLY,
	 {(void *)0x6000, BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_WRONLY_PROG, false,
	  (uintptr_t)small_values[2]}},
};

static int fake_map_get(void *priv, uint32_t pseudo, int32_t imm, struct bpf_verifier_map *out)
{
	static const int fd_array[] = {FD_HASH, FD_ARRAY};
	(void)priv;
	int fd = imm;
	if (pseudo == BPF_PSEUDO_MAP_IDX) {
		if (imm < 0 || imm >= 2)
			return -EINVAL;
		fd = fd_array[imm];
	}
	for (size_t i = 0; i < sizeof(fake_maps) / sizeof(fake_maps[0]); i++) {
		if (fake_maps[i].fd == fd) {
			*out = fake_maps[i].m;
			return 0;
		}
	}
	return -EBADF;
}

static int fake_func_value(void *priv, uint32_t subprog, uint32_t start, uint64_t *value)
{
	(void)priv;
	(void)start;
	*value = 0xf00d0000u + subprog;
	return 0;
}

static uint64_t fake_helper(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a + b + c + d + e;
}

static uint64_t kfunc_fn(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a ^ b ^ c ^ d ^ e;
}

static const struct bpf_func_proto kf_scalar = {
	.name = "bpf_test_scalar",
	.fn = kfunc_fn,
	.ret = BPF_RET_INTEGER,
	.args = {BPF_ARG_SCALAR},
};
static const struct bpf_func_proto kf_task = {
	.name = "bpf_test_task",
	.fn = kfunc_fn,
	.ret = BPF_RET_BTF_ID_OR_NULL,
	.ret_btf_id = TASK_ID,
};
static const struct bpf_func_proto kf_denied = {.name = "bpf_denied", .fn = kfunc_fn};

static int fake_kfunc_get(void *priv, uint32_t prog_type, uint32_t btf_id, int16_t off,
			  struct bpf_verifier_kfunc *out)
{
	(void)priv;
	(void)prog_type;
	if (off)
		return -EINVAL;
	switch (btf_id) {
	case 1000:
		out->proto = &kf_scalar;
		out->call_index = 300;
		return 0;
	case 1001:
		out->proto = &kf_task;
		out->call_index = 301;
		return 0;
	case 1002:
		out->proto = &kf_denied;
		return -EACCES;
	default:
		return -ENOENT;
	}
}

static int fake_btf_var_get(void *priv, uint32_t btf_id, int32_t obj,
			    struct bpf_verifier_btf_var *out)
{
	(void)priv;
	(void)obj;
	if (btf_id == 500) {
		*out = (struct bpf_verifier_btf_var){.addr = 0xffffffff80123000ull,
						     .btf_id = TASK_ID};
		return 0;
	}
	if (btf_id == 501) {
		*out = (struct bpf_verifier_btf_var){.addr = 0xffffffff80124000ull, .size = 16};
		return 0;
	}
	return -ENOENT;
}

/* task_struct: pid at 0 (4 bytes), parent at 8 (a task_struct pointer), bytes up to 64. */
static int fake_btf_access(void *priv, uint32_t btf_id, int32_t off, uint32_t size,
			   struct bpf_verifier_btf_field *out)
{
	(void)priv;
	if (btf_id != TASK_ID || off < 0 || off + size > TASK_SIZE)
		return -EACCES;
	out->btf_id = off == 8 && size == 8 ? TASK_ID : 0;
	return 0;
}

static const char *fake_btf_name(void *priv, uint32_t btf_id)
{
	(void)priv;
	return btf_id == TASK_ID ? "task_struct" : NULL;
}

static const struct bpf_verifier_ops fake_ops = {
	.map_get = fake_map_get,
	.func_value = fake_func_value,
	.kfunc_get = fake_kfunc_get,
	.btf_var_get = fake_btf_var_get,
	.btf_access = fake_btf_access,
	.btf_name = fake_btf_name,
};

static bpf_func_t helper_fns[__BPF_FUNC_MAX_ID];
static uint32_t prog_flags; /* for the next verifications */

/* ---- running the verifier ---- */

static struct {
	char log[1 << 16];
	struct bpf_verifier_output out;
	struct bpf_verifier_input in;
} run;

static void setup(uint32_t type, const struct bpf_insn *insns, size_t n)
{
	for (int i = 0; i < __BPF_FUNC_MAX_ID; i++)
		helper_fns[i] = bpf_helper_proto(i) ? fake_helper : NULL;
	memset(run.log, 0, sizeof(run.log));
	run.in = (struct bpf_verifier_input){
		.prog_type = type,
		.prog_flags = prog_flags,
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
}

static int verify(uint32_t type, const struct bpf_insn *insns, size_t n)
{
	setup(type, insns, n);
	return bpf_verify(&run.in, &run.out);
}

#define NINSNS(a) (sizeof(a) / sizeof((a)[0]))

/* Verify the instructions given; expect err, the log to hold msg right after insn's line. */
#define EXPECT_REJECT(type, err, insn, msg, ...)                                                 \
	do {                                                                                     \
		static const struct bpf_insn p_[] = {__VA_ARGS__};                               \
		int e_ = verify(type, p_, NINSNS(p_));                                           \
		if (e_ != (err))                                                                 \
			KT_FAIL("verify gave %d, expected %d; log:\n%.1500s", e_, err, run.log); \
		verifier_check_log(kt, __FILE__, __LINE__, run.log, msg, insn);                  \
		bpf_verifier_output_free(&run.out);                                              \
	} while (0)

#define EXPECT_ACCEPT(type, ...)                                                           \
	do {                                                                               \
		static const struct bpf_insn p_[] = {__VA_ARGS__};                         \
		int e_ = verify(type, p_, NINSNS(p_));                                     \
		if (e_)                                                                    \
			KT_FAIL("verify gave %d, expected 0; log:\n%.2000s", e_, run.log); \
		bpf_verifier_output_free(&run.out);                                        \
	} while (0)

#define SYSCALL BPF_PROG_TYPE_SYSCALL
#define TC BPF_PROG_TYPE_SCHED_CLS

/* r0 = lookup(map fd, key 0 at fp-8 as 8 bytes): insns 0..5. */
#define LOOKUP8(fd)                                                                     \
	ASM_ST(BPF_DW, 10, -8, 0), ASM_MOV64_REG(2, 10), ASM_ALU64_IMM(BPF_ADD, 2, -8), \
		ASM_LD_MAP_FD(1, fd), ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem)
/* The same with a 4-byte key at fp-4. */
#define LOOKUP4(fd)                                                                    \
	ASM_ST(BPF_W, 10, -4, 0), ASM_MOV64_REG(2, 10), ASM_ALU64_IMM(BPF_ADD, 2, -4), \
		ASM_LD_MAP_FD(1, fd), ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem)

/* ---- registers ---- */

KTEST(bpf_verifier, uninit_register)
{
	EXPECT_REJECT(SYSCALL, -EACCES, 0, "R2 !read_ok", ASM_MOV64_REG(0, 2), ASM_EXIT());
	EXPECT_ACCEPT(SYSCALL, ASM_MOV64_IMM(2, 1), ASM_MOV64_REG(0, 2), ASM_EXIT());
}

KTEST(bpf_verifier, r0_unset_at_exit)
{
	EXPECT_REJECT(SYSCALL, -EACCES, 1, "R0 !read_ok", ASM_MOV64_IMM(1, 0), ASM_EXIT());
	/* A helper call clobbers r1..r5 */
	EXPECT_REJECT(SYSCALL, -EACCES, 2, "R1 !read_ok", ASM_CALL_HELPER(BPF_FUNC_ktime_get_ns),
		      ASM_MOV64_IMM(0, 0), ASM_MOV64_REG(0, 1), ASM_EXIT());
	EXPECT_ACCEPT(SYSCALL, ASM_CALL_HELPER(BPF_FUNC_ktime_get_ns), ASM_EXIT());
}

KTEST(bpf_verifier, frame_pointer_read_only)
{
	EXPECT_REJECT(SYSCALL, -EACCES, 1, "frame pointer is read only", ASM_MOV64_IMM(0, 0),
		      ASM_MOV64_IMM(10, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 1, "frame pointer is read only", ASM_MOV64_IMM(0, 0),
		      ASM_ALU64_IMM(BPF_ADD, 10, -8), ASM_EXIT());
	/* a copy of r10 may move */
	EXPECT_ACCEPT(SYSCALL, ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -8),
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
}

/* ---- the control-flow graph ---- */

KTEST(bpf_verifier, jump_out_of_range)
{
	EXPECT_REJECT(SYSCALL, -EINVAL, -1, "jump out of range from insn 1 to 7",
		      ASM_MOV64_IMM(0, 0), ASM_JMP_IMM(BPF_JEQ, 1, 0, 5), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EINVAL, -1, "jump out of range from insn 0 to -1", ASM_JA(-2),
		      ASM_EXIT());
	/* a jump to the last instruction is in range */
	EXPECT_ACCEPT(SYSCALL, ASM_MOV64_IMM(0, 0), ASM_JMP_IMM(BPF_JEQ, 1, 0, 0), ASM_EXIT());
}

KTEST(bpf_verifier, jump_into_ld_imm64)
{
	EXPECT_REJECT(SYSCALL, -EINVAL, -1, "jump into the middle of ldimm64 insn 2",
		      ASM_MOV64_IMM(0, 0), ASM_JMP_IMM(BPF_JEQ, 1, 0, 1), ASM_LD_IMM64(0, 5),
		      ASM_EXIT());
	EXPECT_ACCEPT(SYSCALL, ASM_MOV64_IMM(0, 0), ASM_JMP_IMM(BPF_JEQ, 1, 0, 2),
		      ASM_LD_IMM64(0, 5), ASM_EXIT());
}

KTEST(bpf_verifier, unreachable_insn)
{
	EXPECT_REJECT(SYSCALL, -EINVAL, -1, "unreachable insn 2", ASM_MOV64_IMM(0, 0), ASM_EXIT(),
		      ASM_MOV64_IMM(0, 1), ASM_EXIT());
	EXPECT_ACCEPT(SYSCALL, ASM_MOV64_IMM(0, 0), ASM_JMP_IMM(BPF_JEQ, 0, 1, 1),
		      ASM_MOV64_IMM(0, 1), ASM_EXIT());
}

KTEST(bpf_verifier, falls_off_the_end)
{
	EXPECT_REJECT(SYSCALL, -EINVAL, 1, "last insn is not an exit or jmp", ASM_MOV64_IMM(0, 0),
		      ASM_MOV64_IMM(0, 1));
	EXPECT_REJECT(SYSCALL, -EINVAL, 1, "last insn is not an exit or jmp", ASM_MOV64_IMM(0, 0),
		      ASM_JMP_IMM(BPF_JEQ, 0, 0, -2));
	/* ... a subprogram's end too: no falling into the next one */
	EXPECT_REJECT(SYSCALL, -EINVAL, 1, "last insn is not an exit or jmp", ASM_CALL_LOCAL(1),
		      ASM_MOV64_IMM(0, 0), ASM_MOV64_IMM(0, 1), ASM_EXIT());
}

KTEST(bpf_verifier, bad_encodings)
{
	EXPECT_REJECT(SYSCALL, -EINVAL, 0, "unknown opcode 41",
		      ASM_INSN(BPF_LDX | BPF_IND | BPF_W, 0, 1, 0, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EINVAL, 1, "BPF_EXIT uses reserved fields", ASM_MOV64_IMM(0, 0),
		      ASM_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 1));
	EXPECT_REJECT(SYSCALL, -EINVAL, 0, "invalid bpf_ld_imm64 insn",
		      ASM_INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EINVAL, 0, "unknown opcode 00", ASM_INSN(0, 0, 0, 0, 0),
		      ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EINVAL, 0, "div by zero", ASM_ALU64_IMM(BPF_DIV, 0, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EINVAL, 0, "invalid shift 64", ASM_ALU64_IMM(BPF_LSH, 0, 64),
		      ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EINVAL, 0, "R11 is invalid", ASM_MOV64_IMM(11, 0), ASM_EXIT());
	EXPECT_REJECT(TC, -EINVAL, 0, "BPF_LD_[ABS|IND] instructions not allowed",
		      ASM_INSN(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 0), ASM_EXIT());
	/* division by a register that is 0 at run time is fine: the RFC defines it */
	EXPECT_ACCEPT(SYSCALL, ASM_MOV64_IMM(0, 1), ASM_MOV64_IMM(1, 0),
		      ASM_ALU64_REG(BPF_DIV, 0, 1), ASM_ALU32_REG(BPF_MOD, 0, 1), ASM_EXIT());
	/* every RFC 9669 form the checks let through */
	EXPECT_ACCEPT(SYSCALL, ASM_MOV64_IMM(0, 7), ASM_MOV64_IMM(1, 3),
		      ASM_ALU64_REG_OFF(BPF_DIV, 1, 0, 1), ASM_ALU32_REG_OFF(BPF_MOD, 1, 0, 1),
		      ASM_MOVSX64(2, 0, 8), ASM_MOVSX32(3, 0, 16), ASM_LE(0, 16), ASM_BE(0, 32),
		      ASM_BSWAP(0, 64), ASM_NEG32(0), ASM_ALU64_IMM(BPF_ARSH, 0, 3), ASM_GOTOL(0),
		      ASM_JMP32_REG(BPF_JSLT, 0, 1, 0), ASM_EXIT());
}

/* ---- the stack ---- */

KTEST(bpf_verifier, stack_bounds)
{
	EXPECT_REJECT(SYSCALL, -EACCES, 0, "invalid write to stack R10 off=-520 size=8",
		      ASM_ST(BPF_DW, 10, -520, 1), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 0, "invalid write to stack R10 off=-4 size=8",
		      ASM_ST(BPF_DW, 10, -4, 1), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 2, "invalid read from stack R1 off=-516 size=8",
		      ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -516),
		      ASM_LDX(BPF_DW, 0, 1, 0), ASM_EXIT());
	/* the deepest 8 bytes of the frame */
	EXPECT_ACCEPT(SYSCALL, ASM_ST(BPF_DW, 10, -512, 1), ASM_LDX(BPF_DW, 0, 10, -512),
		      ASM_EXIT());
}

KTEST(bpf_verifier, stack_uninit_read)
{
	EXPECT_REJECT(SYSCALL, -EACCES, 0, "invalid read from stack off -8+0 size 8",
		      ASM_LDX(BPF_DW, 0, 10, -8), ASM_EXIT());
	/* per byte: the upper half was never written */
	EXPECT_REJECT(SYSCALL, -EACCES, 1, "invalid read from stack off -8+4 size 8",
		      ASM_ST(BPF_W, 10, -8, 1), ASM_LDX(BPF_DW, 0, 10, -8), ASM_EXIT());
	EXPECT_ACCEPT(SYSCALL, ASM_ST(BPF_W, 10, -8, 1), ASM_ST(BPF_W, 10, -4, 2),
		      ASM_LDX(BPF_DW, 0, 10, -8), ASM_EXIT());
	/* a variable offset reads only if every byte it may reach was written */
	EXPECT_REJECT(SYSCALL, -EACCES, 6, "invalid read from stack R1 var_off",
		      ASM_ST(BPF_DW, 10, -8, 0), ASM_LDX(BPF_DW, 2, 1, 0),
		      ASM_ALU64_IMM(BPF_AND, 2, 8), ASM_MOV64_REG(1, 10),
		      ASM_ALU64_IMM(BPF_ADD, 1, -16), ASM_ALU64_REG(BPF_ADD, 1, 2),
		      ASM_LDX(BPF_DW, 0, 1, 0), ASM_EXIT());
	EXPECT_ACCEPT(SYSCALL, ASM_ST(BPF_DW, 10, -8, 0), ASM_ST(BPF_DW, 10, -16, 0),
		      ASM_LDX(BPF_DW, 2, 1, 0), ASM_ALU64_IMM(BPF_AND, 2, 8), ASM_MOV64_REG(1, 10),
		      ASM_ALU64_IMM(BPF_ADD, 1, -16), ASM_ALU64_REG(BPF_ADD, 1, 2),
		      ASM_LDX(BPF_DW, 0, 1, 0), ASM_EXIT());
}

KTEST(bpf_verifier, spilled_pointer_kept)
{
	/* ctx spilled with 8 bytes comes back a ctx pointer */
	EXPECT_ACCEPT(TC, ASM_STX(BPF_DW, 10, 1, -8), ASM_MOV64_IMM(1, 0),
		      ASM_LDX(BPF_DW, 2, 10, -8), ASM_LDX(BPF_W, 0, 2, 0), ASM_EXIT());
	/* half of it is only a number */
	EXPECT_REJECT(TC, -EACCES, 3, "R2 invalid mem access 'scalar'", ASM_STX(BPF_W, 10, 1, -8),
		      ASM_ST(BPF_W, 10, -4, 0), ASM_LDX(BPF_DW, 2, 10, -8), ASM_LDX(BPF_W, 0, 2, 0),
		      ASM_EXIT());
	/* a spilled bounded scalar keeps its bounds: it may index a map value */
	EXPECT_ACCEPT(SYSCALL, LOOKUP8(FD_HASH), ASM_JMP_IMM(BPF_JEQ, 0, 0, 7),
		      ASM_LDX(BPF_DW, 1, 0, 0), ASM_ALU64_IMM(BPF_AND, 1, 7),
		      ASM_STX(BPF_DW, 10, 1, -16), ASM_LDX(BPF_DW, 3, 10, -16),
		      ASM_ALU64_REG(BPF_ADD, 0, 3), ASM_LDX(BPF_B, 0, 0, 8), ASM_EXIT(),
		      ASM_EXIT());
}

/* ---- the context ---- */

KTEST(bpf_verifier, ctx_sched_cls)
{
	EXPECT_REJECT(TC, -EACCES, 0, "invalid bpf_context access off=0 size=4",
		      ASM_ST(BPF_W, 1, 0, 5), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_REJECT(TC, -EACCES, 0, "invalid bpf_context access off=76 size=4",
		      ASM_LDX(BPF_W, 0, 1, offsetof(struct __sk_buff, data)), ASM_EXIT());
	EXPECT_REJECT(TC, -EACCES, 0, "invalid bpf_context access off=8 size=2",
		      ASM_ST(BPF_H, 1, 8, 5), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* mark, priority and cb[] are writable; len narrowly readable */
	EXPECT_ACCEPT(TC, ASM_ST(BPF_W, 1, offsetof(struct __sk_buff, mark), 1),
		      ASM_ST(BPF_W, 1, offsetof(struct __sk_buff, priority), 1),
		      ASM_ST(BPF_DW, 1, offsetof(struct __sk_buff, cb), 1),
		      ASM_STX(BPF_W, 1, 1, offsetof(struct __sk_buff, cb[4])),
		      ASM_LDX(BPF_B, 0, 1, 1), ASM_LDX(BPF_H, 0, 1, 2),
		      ASM_LDX(BPF_DW, 0, 1, offsetof(struct __sk_buff, tstamp)), ASM_EXIT());
}

KTEST(bpf_verifier, ctx_syscall)
{
	EXPECT_REJECT(SYSCALL, -EACCES, 0, "invalid bpf_context access off=4 size=8",
		      ASM_LDX(BPF_DW, 0, 1, 4), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 0, "invalid bpf_context access off=-1 size=1",
		      ASM_LDX(BPF_B, 0, 1, -1), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 0, "invalid bpf_context access off=-8 size=8",
		      ASM_LDX(BPF_DW, 0, 1, -8), ASM_EXIT());
	/* the furthest byte touched is reported */
	static const struct bpf_insn p[] = {
		ASM_LDX(BPF_DW, 0, 1, 16),
		ASM_STX(BPF_W, 1, 0, 4),
		ASM_EXIT(),
	};
	ASSERT_EQ(verify(SYSCALL, p, NINSNS(p)), 0);
	EXPECT_EQ(run.out.max_ctx_offset, 24);
	bpf_verifier_output_free(&run.out);
	/* the furthest an instruction's 16-bit offset reaches */
	static const struct bpf_insn far[] = {ASM_LDX(BPF_DW, 0, 1, 32760), ASM_EXIT()};
	ASSERT_EQ(verify(SYSCALL, far, NINSNS(far)), 0);
	EXPECT_EQ(run.out.max_ctx_offset, 32768);
	bpf_verifier_output_free(&run.out);
}

KTEST(bpf_verifier, ctx_modified)
{
	EXPECT_REJECT(TC, -EACCES, 1, "dereference of modified ctx ptr R1 off=4 disallowed",
		      ASM_ALU64_IMM(BPF_ADD, 1, 4), ASM_LDX(BPF_W, 0, 1, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 4, "variable ctx access var_off=(0x0; 0x4) disallowed",
		      ASM_LDX(BPF_W, 2, 1, 0), ASM_ALU64_IMM(BPF_AND, 2, 4),
		      ASM_ALU64_REG(BPF_ADD, 1, 2), ASM_MOV64_IMM(0, 0), ASM_LDX(BPF_W, 0, 1, 0),
		      ASM_EXIT());
	/* the offset in the instruction is the way */
	EXPECT_ACCEPT(TC, ASM_LDX(BPF_W, 0, 1, 4), ASM_EXIT());
	/* moved and moved back is the context again */
	EXPECT_ACCEPT(TC, ASM_ALU64_IMM(BPF_ADD, 1, 4), ASM_ALU64_IMM(BPF_ADD, 1, -4),
		      ASM_LDX(BPF_W, 0, 1, 0), ASM_EXIT());
}

/* ---- map values ---- */

KTEST(bpf_verifier, null_check)
{
	EXPECT_REJECT(SYSCALL, -EACCES, 6, "R0 invalid mem access 'map_value_or_null'",
		      LOOKUP8(FD_HASH), ASM_LDX(BPF_DW, 0, 0, 0), ASM_EXIT());
	/* a copy is checked with the original */
	EXPECT_ACCEPT(SYSCALL, LOOKUP8(FD_HASH), ASM_MOV64_REG(6, 0), ASM_JMP_IMM(BPF_JNE, 0, 0, 1),
		      ASM_EXIT(), ASM_LDX(BPF_DW, 0, 6, 8), ASM_EXIT());
	/* in the NULL branch it is the number 0 */
	EXPECT_REJECT(SYSCALL, -EACCES, 7, "R0 invalid mem access 'scalar'", LOOKUP8(FD_HASH),
		      ASM_JMP_IMM(BPF_JNE, 0, 0, 2), ASM_LDX(BPF_DW, 0, 0, 0), ASM_EXIT(),
		      ASM_EXIT());
}

KTEST(bpf_verifier, map_value_bounds)
{
	EXPECT_REJECT(SYSCALL, -EACCES, 7,
		      "invalid access to map value, value_size=16 off=12 size=8", LOOKUP8(FD_HASH),
		      ASM_JMP_IMM(BPF_JEQ, 0, 0, 2), ASM_LDX(BPF_DW, 0, 0, 12), ASM_EXIT(),
		      ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 7, "R0 min value is outside of the allowed memory range",
		      LOOKUP8(FD_HASH), ASM_JMP_IMM(BPF_JEQ, 0, 0, 2), ASM_LDX(BPF_DW, 0, 0, -8),
		      ASM_EXIT(), ASM_EXIT());
	/* value_size - 8 with 8 bytes is the last word */
	EXPECT_ACCEPT(SYSCALL, LOOKUP8(FD_HASH), ASM_JMP_IMM(BPF_JEQ, 0, 0, 2),
		      ASM_LDX(BPF_DW, 0, 0, 8), ASM_EXIT(), ASM_EXIT());
}

KTEST(bpf_verifier, map_value_variable_index)
{
	/* index & 7, then a byte at +8: at most 15 of 16 */
	EXPECT_ACCEPT(SYSCALL, LOOKUP8(FD_HASH), ASM_JMP_IMM(BPF_JEQ, 0, 0, 5),
		      ASM_LDX(BPF_DW, 1, 0, 0), ASM_ALU64_IMM(BPF_AND, 1, 7),
		      ASM_ALU64_REG(BPF_ADD, 0, 1), ASM_LDX(BPF_B, 0, 0, 8), ASM_EXIT(),
		      ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 10, "R0 max value is outside of the allowed memory range",
		      LOOKUP8(FD_HASH), ASM_JMP_IMM(BPF_JEQ, 0, 0, 5), ASM_LDX(BPF_DW, 1, 0, 0),
		      ASM_ALU64_IMM(BPF_AND, 1, 15), ASM_ALU64_REG(BPF_ADD, 0, 1),
		      ASM_LDX(BPF_B, 0, 0, 8), ASM_EXIT(), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 10,
		      "invalid access to map value, value_size=16 off=23 size=1", LOOKUP8(FD_HASH),
		      ASM_JMP_IMM(BPF_JEQ, 0, 0, 5), ASM_LDX(BPF_DW, 1, 0, 0),
		      ASM_ALU64_IMM(BPF_AND, 1, 15), ASM_ALU64_REG(BPF_ADD, 0, 1),
		      ASM_LDX(BPF_B, 0, 0, 8), ASM_EXIT(), ASM_EXIT());
	/* a bounds check instead of a mask, on a 32-bit register */
	EXPECT_ACCEPT(SYSCALL, LOOKUP8(FD_HASH), ASM_JMP_IMM(BPF_JEQ, 0, 0, 5),
		      ASM_LDX(BPF_W, 1, 0, 0), ASM_JMP32_IMM(BPF_JGT, 1, 8, 3),
		      ASM_ALU64_REG(BPF_ADD, 0, 1), ASM_LDX(BPF_DW, 0, 0, 0), ASM_EXIT(),
		      ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 10, "R0 max value is outside of the allowed memory range",
		      LOOKUP8(FD_HASH), ASM_JMP_IMM(BPF_JEQ, 0, 0, 5), ASM_LDX(BPF_W, 1, 0, 0),
		      ASM_JMP32_IMM(BPF_JGT, 1, 9, 3), ASM_ALU64_REG(BPF_ADD, 0, 1),
		      ASM_LDX(BPF_DW, 0, 0, 0), ASM_EXIT(), ASM_EXIT());
	/* unbounded */
	EXPECT_REJECT(SYSCALL, -EACCES, 9,
		      "R0 unbounded memory access, make sure to bounds check any such access",
		      LOOKUP8(FD_HASH), ASM_JMP_IMM(BPF_JEQ, 0, 0, 4), ASM_LDX(BPF_W, 1, 0, 0),
		      ASM_ALU64_REG(BPF_ADD, 0, 1), ASM_LDX(BPF_B, 0, 0, 0), ASM_EXIT(),
		      ASM_EXIT());
	EXPECT_REJECT(
		SYSCALL, -EACCES, 8,
		"math between map_value pointer and register with unbounded min value is not allowed",
		LOOKUP8(FD_HASH), ASM_JMP_IMM(BPF_JEQ, 0, 0, 4), ASM_LDX(BPF_DW, 1, 0, 0),
		ASM_ALU64_REG(BPF_ADD, 0, 1), ASM_LDX(BPF_B, 0, 0, 0), ASM_EXIT(), ASM_EXIT());
	/* signed: a negative index is refused */
	EXPECT_REJECT(SYSCALL, -EACCES, 10, "R0 min value is negative", LOOKUP8(FD_HASH),
		      ASM_JMP_IMM(BPF_JEQ, 0, 0, 5), ASM_LDXS(BPF_B, 1, 0, 0),
		      ASM_JMP_IMM(BPF_JSGT, 1, 8, 3), ASM_ALU64_REG(BPF_ADD, 0, 1),
		      ASM_LDX(BPF_DW, 0, 0, 0), ASM_EXIT(), ASM_EXIT());
}

KTEST(bpf_verifier, read_only_maps)
{
	EXPECT_REJECT(SYSCALL, -EACCES, 7, "write into map forbidden, value_size=8 off=0 size=8",
		      LOOKUP4(FD_RDONLY), ASM_JMP_IMM(BPF_JEQ, 0, 0, 1), ASM_ST(BPF_DW, 0, 0, 1),
		      ASM_EXIT());
	EXPECT_ACCEPT(SYSCALL, LOOKUP4(FD_RDONLY), ASM_JMP_IMM(BPF_JEQ, 0, 0, 1),
		      ASM_LDX(BPF_DW, 0, 0, 0), ASM_EXIT());
	/* direct value access (BPF_PSEUDO_MAP_VALUE) */
	EXPECT_REJECT(SYSCALL, -EACCES, 2, "write into map forbidden, value_size=8 off=0 size=8",
		      ASM_LD_PSEUDO(1, BPF_PSEUDO_MAP_VALUE, FD_RDONLY, 0), ASM_ST(BPF_DW, 1, 0, 1),
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 2, "write into map forbidden, value_size=8 off=0 size=8",
		      ASM_LD_PSEUDO(1, BPF_PSEUDO_MAP_VALUE, FD_FROZEN, 0), ASM_ST(BPF_DW, 1, 0, 1),
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_ACCEPT(SYSCALL, ASM_LD_PSEUDO(1, BPF_PSEUDO_MAP_VALUE, FD_FROZEN, 0),
		      ASM_LDX(BPF_DW, 0, 1, 0), ASM_EXIT());
	/* helpers that write */
	EXPECT_REJECT(SYSCALL, -EACCES, 9, "write into map forbidden", ASM_ST(BPF_W, 10, -4, 0),
		      ASM_ST(BPF_DW, 10, -16, 0), ASM_MOV64_REG(2, 10),
		      ASM_ALU64_IMM(BPF_ADD, 2, -4), ASM_MOV64_REG(3, 10),
		      ASM_ALU64_IMM(BPF_ADD, 3, -16), ASM_LD_MAP_FD(1, FD_RDONLY),
		      ASM_MOV64_IMM(4, 0), ASM_CALL_HELPER(BPF_FUNC_map_update_elem), ASM_EXIT());
	/* write-only: no reads */
	EXPECT_REJECT(SYSCALL, -EACCES, 2, "read from map forbidden, value_size=8 off=0 size=8",
		      ASM_LD_PSEUDO(1, BPF_PSEUDO_MAP_VALUE, FD_WRONLY, 0),
		      ASM_LDX(BPF_DW, 0, 1, 0), ASM_EXIT());
}

KTEST(bpf_verifier, direct_map_value)
{
	/* 8 + 48 + 8 = 64: the last word of a 64-byte value */
	EXPECT_ACCEPT(SYSCALL, ASM_LD_PSEUDO(1, BPF_PSEUDO_MAP_VALUE, FD_ARRAY, 8),
		      ASM_ST(BPF_DW, 1, 48, 1), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 2,
		      "invalid access to map value, value_size=64 off=64 size=8",
		      ASM_LD_PSEUDO(1, BPF_PSEUDO_MAP_VALUE, FD_ARRAY, 8), ASM_ST(BPF_DW, 1, 56, 1),
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EINVAL, 0, "direct value offset of 64 is not allowed",
		      ASM_LD_PSEUDO(1, BPF_PSEUDO_MAP_VALUE, FD_ARRAY, 64), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EINVAL, 0, "no direct value access support for this map type",
		      ASM_LD_PSEUDO(1, BPF_PSEUDO_MAP_VALUE, FD_HASH, 0), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EBADF, 0, "fd 99 is not pointing to valid bpf_map",
		      ASM_LD_MAP_FD(1, 99), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* fd_array indexes */
	EXPECT_ACCEPT(SYSCALL, ASM_LD_PSEUDO(1, BPF_PSEUDO_MAP_IDX_VALUE, 1, 0),
		      ASM_LDX(BPF_DW, 0, 1, 56), ASM_EXIT());
}

KTEST(bpf_verifier, pointer_arithmetic)
{
	EXPECT_REJECT(SYSCALL, -EACCES, 2, "R1 pointer arithmetic on map_ptr prohibited",
		      ASM_LD_MAP_FD(1, FD_HASH), ASM_ALU64_IMM(BPF_ADD, 1, 8), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 6,
		      "R0 pointer arithmetic on map_value_or_null prohibited, null-check it first",
		      LOOKUP8(FD_HASH), ASM_ALU64_IMM(BPF_ADD, 0, 8), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 1, "R1 32-bit pointer arithmetic prohibited",
		      ASM_MOV64_REG(1, 10), ASM_ALU32_IMM(BPF_ADD, 1, 8), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 1, "R1 bitwise operator &= on pointer prohibited",
		      ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_AND, 1, -8), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 2, "R2 tried to subtract pointer from scalar",
		      ASM_MOV64_REG(1, 10), ASM_MOV64_IMM(2, 0), ASM_ALU64_REG(BPF_SUB, 2, 1),
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* privileged: pointers may become numbers (subtracted, returned, compared) */
	EXPECT_ACCEPT(SYSCALL, ASM_MOV64_REG(0, 10), ASM_ALU64_REG(BPF_SUB, 0, 1),
		      ASM_JMP_REG(BPF_JGT, 1, 10, 0), ASM_EXIT());
	EXPECT_ACCEPT(SYSCALL, ASM_MOV64_REG(0, 10), ASM_EXIT());
}

/* ---- helpers ---- */

KTEST(bpf_verifier, helper_unknown)
{
	EXPECT_REJECT(SYSCALL, -EINVAL, 0, "invalid func unknown#999", ASM_CALL_HELPER(999),
		      ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EINVAL, 0, "program of this type cannot use helper unknown#4",
		      ASM_CALL_HELPER(BPF_FUNC_probe_read), ASM_EXIT());
	/* known to the verifier, but the loader has no implementation for it */
	static const struct bpf_insn p[] = {ASM_CALL_HELPER(BPF_FUNC_ktime_get_ns), ASM_EXIT()};
	setup(SYSCALL, p, NINSNS(p));
	run.in.nhelper_fns = BPF_FUNC_ktime_get_ns;
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -EINVAL);
	verifier_check_log(kt, __FILE__, __LINE__, run.log,
			   "program of this type cannot use helper bpf_ktime_get_ns#5", 0);
}

KTEST(bpf_verifier, helper_argument_kinds)
{
	EXPECT_REJECT(SYSCALL, -EACCES, 3, "R1 type=scalar expected=map_ptr", ASM_MOV64_IMM(1, 0),
		      ASM_MOV64_REG(2, 10), ASM_ALU64_IMM(BPF_ADD, 2, -8),
		      ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 3, "R2 type=scalar expected=fp, map_key, map_value, mem",
		      ASM_LD_MAP_FD(1, FD_HASH), ASM_MOV64_IMM(2, 0),
		      ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 4, "invalid indirect read from stack R2 off -8+0 size 8",
		      ASM_MOV64_REG(2, 10), ASM_ALU64_IMM(BPF_ADD, 2, -8),
		      ASM_LD_MAP_FD(1, FD_HASH), ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		      ASM_EXIT());
	/* a 4-byte key on the stack for an 8-byte-key map: half uninitialised */
	EXPECT_REJECT(SYSCALL, -EACCES, 5, "invalid indirect read from stack R2 off -8+4 size 8",
		      ASM_ST(BPF_W, 10, -8, 0), ASM_MOV64_REG(2, 10), ASM_ALU64_IMM(BPF_ADD, 2, -8),
		      ASM_LD_MAP_FD(1, FD_HASH), ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		      ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 5, "invalid indirect access to stack R2 off=-4 size=8",
		      ASM_ST(BPF_W, 10, -4, 0), ASM_MOV64_REG(2, 10), ASM_ALU64_IMM(BPF_ADD, 2, -4),
		      ASM_LD_MAP_FD(1, FD_HASH), ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		      ASM_EXIT());
	/* the value of one map as the key of another */
	EXPECT_ACCEPT(SYSCALL, LOOKUP8(FD_HASH), ASM_JMP_IMM(BPF_JEQ, 0, 0, 4), ASM_MOV64_REG(2, 0),
		      ASM_LD_MAP_FD(1, FD_HASH), ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		      ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EINVAL, 6,
		      "cannot pass map_type 1 into func bpf_map_lookup_percpu_elem#195",
		      ASM_ST(BPF_DW, 10, -8, 0), ASM_MOV64_REG(2, 10),
		      ASM_ALU64_IMM(BPF_ADD, 2, -8), ASM_LD_MAP_FD(1, FD_HASH), ASM_MOV64_IMM(3, 0),
		      ASM_CALL_HELPER(BPF_FUNC_map_lookup_percpu_elem), ASM_EXIT());
	EXPECT_ACCEPT(SYSCALL, ASM_ST(BPF_W, 10, -4, 0), ASM_MOV64_REG(2, 10),
		      ASM_ALU64_IMM(BPF_ADD, 2, -4), ASM_LD_MAP_FD(1, FD_PERCPU),
		      ASM_MOV64_IMM(3, 0), ASM_CALL_HELPER(BPF_FUNC_map_lookup_percpu_elem),
		      ASM_EXIT());
}

KTEST(bpf_verifier, helper_memory_and_size)
{
	/* get_current_comm fills uninitialised stack, which may then be read */
	EXPECT_ACCEPT(SYSCALL, ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -16),
		      ASM_MOV64_IMM(2, 16), ASM_CALL_HELPER(BPF_FUNC_get_current_comm),
		      ASM_LDX(BPF_DW, 0, 10, -16), ASM_LDX(BPF_DW, 0, 10, -8), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 3, "R2 invalid zero-sized read", ASM_MOV64_REG(1, 10),
		      ASM_ALU64_IMM(BPF_ADD, 1, -16), ASM_MOV64_IMM(2, 0),
		      ASM_CALL_HELPER(BPF_FUNC_get_current_comm), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 3, "invalid indirect access to stack R1 off=-16 size=17",
		      ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -16), ASM_MOV64_IMM(2, 17),
		      ASM_CALL_HELPER(BPF_FUNC_get_current_comm), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 3, "R2 invalid zero-sized read: u64=[0,4294967295]",
		      ASM_LDX(BPF_W, 2, 1, 0), ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -16),
		      ASM_CALL_HELPER(BPF_FUNC_get_current_comm), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 4, "R2 unbounded memory access", ASM_LDX(BPF_W, 2, 1, 0),
		      ASM_ALU64_IMM(BPF_OR, 2, 1), ASM_MOV64_REG(1, 10),
		      ASM_ALU64_IMM(BPF_ADD, 1, -16), ASM_CALL_HELPER(BPF_FUNC_get_current_comm),
		      ASM_EXIT());
	EXPECT_ACCEPT(SYSCALL, ASM_LDX(BPF_W, 2, 1, 0), ASM_ALU64_IMM(BPF_AND, 2, 15),
		      ASM_ALU64_IMM(BPF_ADD, 2, 1), ASM_MOV64_REG(1, 10),
		      ASM_ALU64_IMM(BPF_ADD, 1, -16), ASM_CALL_HELPER(BPF_FUNC_get_current_comm),
		      ASM_EXIT());
	/* trace_printk's format must be readable: written stack, r3.. unchecked */
	EXPECT_ACCEPT(SYSCALL, ASM_ST(BPF_DW, 10, -8, 0x216968), ASM_MOV64_REG(1, 10),
		      ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_MOV64_IMM(2, 8),
		      ASM_CALL_HELPER(BPF_FUNC_trace_printk), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 3, "invalid indirect read from stack R1 off -8+0 size 8",
		      ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_MOV64_IMM(2, 8),
		      ASM_CALL_HELPER(BPF_FUNC_trace_printk), ASM_EXIT());
	/* a map value of 64 bytes as the buffer: size up to 64 */
	EXPECT_ACCEPT(SYSCALL, LOOKUP4(FD_ARRAY), ASM_JMP_IMM(BPF_JEQ, 0, 0, 3),
		      ASM_MOV64_REG(1, 0), ASM_MOV64_IMM(2, 64),
		      ASM_CALL_HELPER(BPF_FUNC_get_current_comm), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 9,
		      "invalid access to map value, value_size=64 off=0 size=65", LOOKUP4(FD_ARRAY),
		      ASM_JMP_IMM(BPF_JEQ, 0, 0, 3), ASM_MOV64_REG(1, 0), ASM_MOV64_IMM(2, 65),
		      ASM_CALL_HELPER(BPF_FUNC_get_current_comm), ASM_EXIT());
}

/* ---- bpf-to-bpf calls ---- */

/* Frames chained: each function calls the next, the last returns 0. */
static int verify_chain(uint32_t frames, struct bpf_insn *p)
{
	uint32_t n = 0;
	for (uint32_t f = 0; f + 1 < frames; f++) {
		p[n++] = ASM_CALL_LOCAL(1);
		p[n++] = ASM_EXIT();
	}
	p[n++] = ASM_MOV64_IMM(0, 0);
	p[n++] = ASM_EXIT();
	return verify(SYSCALL, p, n);
}

KTEST(bpf_verifier, call_depth)
{
	struct bpf_insn p[32];
	EXPECT_EQ(verify_chain(8, p), 0);
	bpf_verifier_output_free(&run.out);
	EXPECT_EQ(verify_chain(9, p), -E2BIG);
	verifier_check_log(kt, __FILE__, __LINE__, run.log,
			   "the call stack of 9 frames is too deep !", -1);
}

KTEST(bpf_verifier, recursion)
{
	EXPECT_REJECT(SYSCALL, -EINVAL, 2, "back-edge from insn 2 to 2", ASM_CALL_LOCAL(1),
		      ASM_EXIT(), ASM_CALL_LOCAL(-1), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EINVAL, 4, "back-edge from insn 4 to 2", ASM_CALL_LOCAL(1),
		      ASM_EXIT(), ASM_CALL_LOCAL(1), ASM_EXIT(), ASM_CALL_LOCAL(-3), ASM_EXIT());
}

KTEST(bpf_verifier, combined_stack)
{
	/* 256 + 288 bytes along one chain */
	EXPECT_REJECT(SYSCALL, -EACCES, -1, "combined stack size of 2 calls is 544. Too large",
		      ASM_ST(BPF_DW, 10, -256, 0), ASM_CALL_LOCAL(1), ASM_EXIT(),
		      ASM_ST(BPF_DW, 10, -288, 0), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_ACCEPT(SYSCALL, ASM_ST(BPF_DW, 10, -256, 0), ASM_CALL_LOCAL(1), ASM_EXIT(),
		      ASM_ST(BPF_DW, 10, -256, 0), ASM_MOV64_IMM(0, 0), ASM_EXIT());
}

KTEST(bpf_verifier, call_arguments_and_results)
{
	/* a pointer to the caller's stack: the callee reads what the caller wrote */
	EXPECT_ACCEPT(SYSCALL, ASM_ST(BPF_DW, 10, -8, 7), ASM_MOV64_REG(1, 10),
		      ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_CALL_LOCAL(1), ASM_EXIT(),
		      ASM_LDX(BPF_DW, 0, 1, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 4, "invalid read from stack off -8+0 size 8",
		      ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_CALL_LOCAL(1),
		      ASM_EXIT(), ASM_LDX(BPF_DW, 0, 1, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EINVAL, 3, "cannot return stack pointer to the caller",
		      ASM_CALL_LOCAL(1), ASM_EXIT(), ASM_MOV64_REG(0, 10), ASM_EXIT());
	/* r6..r9 survive a call; r1..r5 do not */
	EXPECT_ACCEPT(SYSCALL, ASM_MOV64_IMM(6, 1), ASM_CALL_LOCAL(2), ASM_MOV64_REG(0, 6),
		      ASM_EXIT(), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 2, "R1 !read_ok", ASM_MOV64_IMM(1, 1), ASM_CALL_LOCAL(2),
		      ASM_MOV64_REG(0, 1), ASM_EXIT(), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* the callee cannot see the caller's r6 */
	EXPECT_REJECT(SYSCALL, -EACCES, 3, "R6 !read_ok", ASM_MOV64_IMM(6, 1), ASM_CALL_LOCAL(1),
		      ASM_EXIT(), ASM_MOV64_REG(0, 6), ASM_EXIT());
}

/* ---- callbacks ---- */

/*
 * for_each over FD_HASH summing values into a u64 at the caller's fp-8; the callback (insns
 * 10..) gets map, key, value and that context. RET is the callback's return instruction(s).
 */
#define FOR_EACH_PROG(fd, ...)                                                                    \
	ASM_ST(BPF_DW, 10, -8, 0), ASM_LD_MAP_FD(1, fd), ASM_LD_FUNC(2, 6), ASM_MOV64_REG(3, 10), \
		ASM_ALU64_IMM(BPF_ADD, 3, -8), ASM_MOV64_IMM(4, 0),                               \
		ASM_CALL_HELPER(BPF_FUNC_for_each_map_elem), ASM_EXIT(), __VA_ARGS__

KTEST(bpf_verifier, for_each_callback)
{
	/* values summed into the caller's stack; returns 0, or 1 to stop */
	EXPECT_ACCEPT(SYSCALL,
		      FOR_EACH_PROG(FD_HASH, ASM_LDX(BPF_DW, 5, 3, 0), ASM_LDX(BPF_DW, 6, 4, 0),
				    ASM_ALU64_REG(BPF_ADD, 6, 5), ASM_STX(BPF_DW, 4, 6, 0),
				    ASM_MOV64_IMM(0, 0), ASM_JMP_IMM(BPF_JGT, 6, 100, 1),
				    ASM_EXIT(), ASM_MOV64_IMM(0, 1), ASM_EXIT()));
	/* the value may be written, the key not */
	EXPECT_ACCEPT(SYSCALL, FOR_EACH_PROG(FD_HASH, ASM_ST(BPF_DW, 3, 8, 1), ASM_MOV64_IMM(0, 0),
					     ASM_EXIT()));
	EXPECT_REJECT(
		SYSCALL, -EACCES, 10, "write to change key R2 not allowed",
		FOR_EACH_PROG(FD_HASH, ASM_ST(BPF_W, 2, 0, 1), ASM_MOV64_IMM(0, 0), ASM_EXIT()));
	EXPECT_REJECT(
		SYSCALL, -EACCES, 10, "invalid access to map key, key_size=8 off=8 size=1",
		FOR_EACH_PROG(FD_HASH, ASM_LDX(BPF_B, 0, 2, 8), ASM_MOV64_IMM(0, 0), ASM_EXIT()));
	EXPECT_REJECT(
		SYSCALL, -EACCES, 10, "write into map forbidden, value_size=8 off=0 size=8",
		FOR_EACH_PROG(FD_RDONLY, ASM_ST(BPF_DW, 3, 0, 1), ASM_MOV64_IMM(0, 0), ASM_EXIT()));
	/* return values other than 0 and 1 */
	EXPECT_REJECT(
		SYSCALL, -EINVAL, 11,
		"At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]",
		FOR_EACH_PROG(FD_HASH, ASM_MOV64_IMM(0, 2), ASM_EXIT()));
	EXPECT_REJECT(
		SYSCALL, -EINVAL, 11,
		"At callback return the register R0 has unknown scalar value should have been in [0, 1]",
		FOR_EACH_PROG(FD_HASH, ASM_LDX(BPF_DW, 0, 3, 0), ASM_EXIT()));
	EXPECT_ACCEPT(SYSCALL, FOR_EACH_PROG(FD_HASH, ASM_LDX(BPF_DW, 0, 3, 0),
					     ASM_ALU64_IMM(BPF_AND, 0, 1), ASM_EXIT()));
	/* a loop inside the callback is still a loop */
	EXPECT_REJECT(SYSCALL, -EINVAL, -1, "infinite loop detected at insn 12",
		      FOR_EACH_PROG(FD_HASH, ASM_MOV64_IMM(0, 0), ASM_JMP_IMM(BPF_JEQ, 0, 1, 1),
				    ASM_JA(-1), ASM_EXIT()));
	/* the callback context must be the stack (or NULL) */
	EXPECT_REJECT(SYSCALL, -EACCES, 7, "R3 type=ctx expected=fp", ASM_ST(BPF_DW, 10, -8, 0),
		      ASM_MOV64_REG(3, 1), ASM_LD_MAP_FD(1, FD_HASH), ASM_LD_FUNC(2, 4),
		      ASM_MOV64_IMM(4, 0), ASM_CALL_HELPER(BPF_FUNC_for_each_map_elem), ASM_EXIT(),
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 7, "R2 type=scalar expected=func",
		      ASM_LD_MAP_FD(1, FD_HASH), ASM_MOV64_IMM(2, 0), ASM_MOV64_IMM(3, 0),
		      ASM_MOV64_IMM(4, 0), ASM_LD_FUNC(5, 3),
		      ASM_CALL_HELPER(BPF_FUNC_for_each_map_elem), ASM_EXIT(), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
}

KTEST(bpf_verifier, bpf_loop_callback)
{
	/* bpf_loop(1000, cb, &counter, 0) with cb incrementing the counter: converges fast */
	static const struct bpf_insn p[] = {
		ASM_ST(BPF_DW, 10, -8, 0),
		ASM_MOV64_IMM(1, 1000),
		ASM_LD_FUNC(2, 7),
		ASM_MOV64_REG(3, 10),
		ASM_ALU64_IMM(BPF_ADD, 3, -8),
		ASM_MOV64_IMM(4, 0),
		ASM_CALL_HELPER(BPF_FUNC_loop),
		ASM_LDX(BPF_DW, 0, 10, -8),
		ASM_EXIT(),
		/* cb(index, ctx) at 10 */
		ASM_LDX(BPF_DW, 3, 2, 0),
		ASM_ALU64_IMM(BPF_ADD, 3, 1),
		ASM_STX(BPF_DW, 2, 3, 0),
		ASM_MOV64_IMM(0, 0),
		ASM_EXIT(),
	};
	ASSERT_EQ(verify(SYSCALL, p, NINSNS(p)), 0);
	EXPECT_LT(run.out.verified_insns, 200);
	EXPECT_EQ(run.out.exec.nsubprogs, 2);
	bpf_verifier_output_free(&run.out);
	/* the callback's writes through its context must stay inside the caller's frame */
	EXPECT_REJECT(SYSCALL, -EACCES, 11, "invalid write to stack R2 off=0 size=8",
		      ASM_ST(BPF_DW, 10, -8, 0), ASM_MOV64_IMM(1, 10), ASM_LD_FUNC(2, 7),
		      ASM_MOV64_REG(3, 10), ASM_ALU64_IMM(BPF_ADD, 3, -8), ASM_MOV64_IMM(4, 0),
		      ASM_CALL_HELPER(BPF_FUNC_loop), ASM_MOV64_IMM(0, 0), ASM_EXIT(),
		      ASM_ALU64_IMM(BPF_ADD, 2, 8), ASM_ST(BPF_DW, 2, 0, 1), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
	/* a value the callback leaves in the context is anything after the call */
	EXPECT_REJECT(
		SYSCALL, -EACCES, 16,
		"math between map_value pointer and register with unbounded min value is not allowed",
		ASM_ST(BPF_DW, 10, -16, 0), ASM_MOV64_IMM(1, 10), ASM_LD_FUNC(2, 16),
		ASM_MOV64_REG(3, 10), ASM_ALU64_IMM(BPF_ADD, 3, -16), ASM_MOV64_IMM(4, 0),
		ASM_CALL_HELPER(BPF_FUNC_loop), LOOKUP8(FD_HASH), ASM_JMP_IMM(BPF_JEQ, 0, 0, 3),
		ASM_LDX(BPF_DW, 1, 10, -16), ASM_ALU64_REG(BPF_ADD, 0, 1), ASM_LDX(BPF_B, 0, 0, 0),
		ASM_EXIT(), ASM_LDX(BPF_DW, 3, 2, 0), ASM_ALU64_IMM(BPF_ADD, 3, 1),
		ASM_STX(BPF_DW, 2, 3, 0), ASM_MOV64_IMM(0, 0), ASM_EXIT());
}

KTEST(bpf_verifier, nested_callbacks)
{
	/* for_each whose callback runs bpf_loop: three frames, each callback its own loop */
	EXPECT_ACCEPT(SYSCALL,
		      FOR_EACH_PROG(FD_HASH,
				    /* 10 */ ASM_MOV64_REG(6, 4), ASM_MOV64_IMM(1, 4),
				    ASM_LD_FUNC(2, 6),
				    /* 13 */ ASM_MOV64_REG(3, 6), ASM_MOV64_IMM(4, 0),
				    ASM_CALL_HELPER(BPF_FUNC_loop),
				    /* 16 */ ASM_MOV64_IMM(0, 0), ASM_EXIT(),
				    /* 18: loop callback(index, ctx = the outer caller's fp-8) */
				    ASM_LDX(BPF_DW, 3, 2, 0), ASM_ALU64_REG(BPF_ADD, 3, 1),
				    ASM_STX(BPF_DW, 2, 3, 0), ASM_MOV64_IMM(0, 0), ASM_EXIT()));
}

KTEST(bpf_verifier, atomics)
{
	EXPECT_ACCEPT(SYSCALL, ASM_ST(BPF_DW, 10, -8, 1), ASM_MOV64_IMM(1, 2),
		      ASM_ATOMIC(BPF_DW, BPF_ADD | BPF_FETCH, 10, 1, -8), ASM_MOV64_REG(0, 1),
		      ASM_ATOMIC(BPF_W, BPF_XCHG, 10, 0, -8),
		      ASM_ATOMIC(BPF_DW, BPF_CMPXCHG, 10, 1, -8), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 1, "invalid read from stack off -8+0 size 8",
		      ASM_MOV64_IMM(1, 2), ASM_ATOMIC(BPF_DW, BPF_ADD, 10, 1, -8),
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 1, "BPF_ATOMIC stores into R1 ctx is not allowed",
		      ASM_MOV64_IMM(2, 2), ASM_ATOMIC(BPF_W, BPF_ADD, 1, 2, 0), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 2, "R0 !read_ok", ASM_ST(BPF_DW, 10, -8, 1),
		      ASM_MOV64_IMM(1, 2), ASM_ATOMIC(BPF_DW, BPF_CMPXCHG, 10, 1, -8), ASM_EXIT());
	/* on a map value: read and written, so not on a read-only map */
	EXPECT_ACCEPT(SYSCALL, LOOKUP8(FD_HASH), ASM_JMP_IMM(BPF_JEQ, 0, 0, 2), ASM_MOV64_IMM(1, 1),
		      ASM_ATOMIC(BPF_DW, BPF_OR, 0, 1, 8), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 8, "write into map forbidden", LOOKUP4(FD_RDONLY),
		      ASM_JMP_IMM(BPF_JEQ, 0, 0, 2), ASM_MOV64_IMM(1, 1),
		      ASM_ATOMIC(BPF_DW, BPF_OR, 0, 1, 0), ASM_EXIT());
}

/* ---- pruning must not lose a path ---- */

KTEST(bpf_verifier, pruning_keeps_precise_values)
{
	/*
	 * Two paths meet at insn 10 with r6 0 (walked first, safe) or 100 (walked second, out of
	 * the 16-byte value). A checkpoint at every prune point (BPF_F_TEST_STATE_FREQ) must not take
	 * the second for the first.
	 */
	prog_flags = BPF_F_TEST_STATE_FREQ;
	EXPECT_REJECT(SYSCALL, -EACCES, 13,
		      "invalid access to map value, value_size=16 off=100 size=1",
		      ASM_LDX(BPF_B, 7, 1, 0), LOOKUP8(FD_HASH), ASM_MOV64_IMM(6, 100),
		      ASM_JMP_IMM(BPF_JEQ, 7, 0, 1), ASM_MOV64_IMM(6, 0),
		      /* 10 */ ASM_JMP_IMM(BPF_JEQ, 0, 0, 3), ASM_ALU64_REG(BPF_ADD, 0, 6),
		      ASM_MOV64_IMM(1, 0), ASM_LDX(BPF_B, 0, 0, 0), ASM_EXIT());
	/* the same through a stack slot */
	EXPECT_REJECT(SYSCALL, -EACCES, 15,
		      "invalid access to map value, value_size=16 off=100 size=1",
		      ASM_LDX(BPF_B, 7, 1, 0), LOOKUP8(FD_HASH), ASM_ST(BPF_DW, 10, -16, 100),
		      ASM_JMP_IMM(BPF_JEQ, 7, 0, 1), ASM_ST(BPF_DW, 10, -16, 0),
		      /* 10 */ ASM_JMP_IMM(BPF_JEQ, 0, 0, 5), ASM_LDX(BPF_DW, 6, 10, -16),
		      ASM_ALU64_REG(BPF_ADD, 0, 6), ASM_MOV64_IMM(1, 0), ASM_MOV64_IMM(2, 0),
		      ASM_LDX(BPF_B, 0, 0, 0), ASM_EXIT());
	/* ... and through a callee that writes its caller's stack */
	EXPECT_REJECT(SYSCALL, -EACCES, 14,
		      "invalid access to map value, value_size=16 off=100 size=1",
		      /* 0 */ ASM_LDX(BPF_B, 7, 1, 0), ASM_MOV64_REG(1, 10),
		      ASM_ALU64_IMM(BPF_ADD, 1, -16), ASM_MOV64_REG(2, 7), ASM_CALL_LOCAL(11),
		      LOOKUP8(FD_HASH),
		      /* 11 */ ASM_JMP_IMM(BPF_JEQ, 0, 0, 3), ASM_LDX(BPF_DW, 6, 10, -16),
		      ASM_ALU64_REG(BPF_ADD, 0, 6), ASM_LDX(BPF_B, 0, 0, 0), ASM_EXIT(),
		      /* 16: f(p, x) { *p = x ? 0 : 100; } */
		      ASM_MOV64_IMM(3, 100), ASM_JMP_IMM(BPF_JEQ, 2, 0, 1), ASM_MOV64_IMM(3, 0),
		      ASM_STX(BPF_DW, 1, 3, 0), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* values nothing depends on do not keep paths apart: both paths end in one */
	EXPECT_ACCEPT(SYSCALL, ASM_LDX(BPF_B, 7, 1, 0), ASM_MOV64_IMM(6, 100),
		      ASM_JMP_IMM(BPF_JEQ, 7, 0, 1), ASM_MOV64_IMM(6, 0), ASM_MOV64_REG(0, 6),
		      ASM_EXIT());
	prog_flags = 0;
}

KTEST(bpf_verifier, dangling_stack_pointer)
{
	/* a callee leaves a pointer to its own stack in its caller's: after the return it is a number */
	EXPECT_REJECT(SYSCALL, -EACCES, 5, "R2 invalid mem access 'scalar'", ASM_MOV64_REG(1, 10),
		      ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_CALL_LOCAL(4), ASM_LDX(BPF_DW, 2, 10, -8),
		      ASM_MOV64_IMM(0, 0), ASM_LDX(BPF_DW, 0, 2, 0), ASM_EXIT(),
		      /* 7 */ ASM_ST(BPF_DW, 10, -8, 5), ASM_MOV64_REG(2, 10),
		      ASM_ALU64_IMM(BPF_ADD, 2, -8), ASM_STX(BPF_DW, 1, 2, 0), ASM_MOV64_IMM(0, 0),
		      ASM_EXIT());
}

/* ---- loops ---- */

KTEST(bpf_verifier, bounded_loop)
{
	/* for (i = 0; i < 1000; i++) sum += i */
	static const struct bpf_insn p[] = {
		ASM_MOV64_IMM(0, 0),
		ASM_MOV64_IMM(1, 0),
		ASM_ALU64_REG(BPF_ADD, 0, 1),
		ASM_ALU64_IMM(BPF_ADD, 1, 1),
		ASM_JMP_IMM(BPF_JLT, 1, 1000, -3),
		ASM_EXIT(),
	};
	ASSERT_EQ(verify(SYSCALL, p, NINSNS(p)), 0);
	EXPECT_GE(run.out.verified_insns, 3000);
	EXPECT_LT(run.out.verified_insns, 4000);
	bpf_verifier_output_free(&run.out);
	/* a loop indexing a map value with its counter, bounded by the value size */
	EXPECT_ACCEPT(SYSCALL, LOOKUP8(FD_HASH), ASM_JMP_IMM(BPF_JEQ, 0, 0, 8), ASM_MOV64_IMM(1, 0),
		      ASM_MOV64_REG(2, 0), ASM_ALU64_REG(BPF_ADD, 2, 1), ASM_ST(BPF_B, 2, 0, 1),
		      ASM_ALU64_IMM(BPF_ADD, 1, 1), ASM_JMP_IMM(BPF_JLT, 1, 16, -5),
		      ASM_MOV64_IMM(0, 0), ASM_EXIT(), ASM_EXIT());
	/* ... and one iteration too many */
	EXPECT_REJECT(SYSCALL, -EACCES, 10,
		      "invalid access to map value, value_size=16 off=16 size=1", LOOKUP8(FD_HASH),
		      ASM_JMP_IMM(BPF_JEQ, 0, 0, 8), ASM_MOV64_IMM(1, 0), ASM_MOV64_REG(2, 0),
		      ASM_ALU64_REG(BPF_ADD, 2, 1), ASM_ST(BPF_B, 2, 0, 1),
		      ASM_ALU64_IMM(BPF_ADD, 1, 1), ASM_JMP_IMM(BPF_JLE, 1, 16, -5),
		      ASM_MOV64_IMM(0, 0), ASM_EXIT(), ASM_EXIT());
}

KTEST(bpf_verifier, infinite_loop)
{
	EXPECT_REJECT(SYSCALL, -EINVAL, -1, "infinite loop detected at insn 2", ASM_MOV64_IMM(0, 0),
		      ASM_JMP_IMM(BPF_JEQ, 0, 1, 1), ASM_JA(-1), ASM_EXIT());
	/* waiting for a value that cannot change */
	EXPECT_REJECT(SYSCALL, -EINVAL, -1, "infinite loop detected at insn 2",
		      ASM_LDX(BPF_W, 0, 1, 0), ASM_MOV64_IMM(2, 0), ASM_ALU64_IMM(BPF_ADD, 2, 0),
		      ASM_JMP_IMM(BPF_JNE, 0, 0, -2), ASM_EXIT());
}

KTEST(bpf_verifier, loop_too_long)
{
	/* 10^7 iterations: past the 10^6 instructions a walk may take */
	static const struct bpf_insn p[] = {
		ASM_MOV64_IMM(0, 0),
		ASM_MOV64_IMM(1, 0),
		ASM_ALU64_IMM(BPF_ADD, 1, 1),
		ASM_JMP_IMM(BPF_JLT, 1, 10000000, -2),
		ASM_EXIT(),
	};
	setup(SYSCALL, p, NINSNS(p));
	run.in.log_level = 0;
	run.in.log_buf = NULL;
	run.in.log_size = 0;
	double t0 = test_now();
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -E2BIG);
	printf("    # 10^6 loop iterations walked in %.1f ms\n", (test_now() - t0) * 1e3);
	EXPECT_EQ(run.out.verified_insns, 1000001);
	/* with a log, the reason comes last; the log of every instruction walked overflows */
	EXPECT_EQ(verify(SYSCALL, p, NINSNS(p)), -ENOSPC);
	verifier_check_log(kt, __FILE__, __LINE__, run.log,
			   "BPF program is too large. Processed 1000001 insn", 3);
}

/* ---- pruning and the complexity limit ---- */

/*
 * n diamonds on unknown values. With `keep` the path's choices add up in r6, which is then used to
 * index a map value, so no two paths are alike: 2^n paths. Without it r6 only reaches r0, and
 * the walk merges every diamond.
 */
static uint32_t build_diamonds(struct bpf_insn *p, uint32_t n, bool indexed)
{
	uint32_t k = 0;
	p[k++] = ASM_MOV64_REG(9, 1);
	p[k++] = ASM_MOV64_IMM(6, 0);
	for (uint32_t i = 0; i < n; i++) {
		p[k++] = ASM_LDX(BPF_B, 2, 9, (int16_t)i);
		p[k++] = ASM_JMP_IMM(BPF_JEQ, 2, 0, 1);
		p[k++] = ASM_ALU64_IMM(BPF_ADD, 6, (int32_t)(1u << (i % 30)));
	}
	if (indexed) {
		struct bpf_insn tail[] = {
			LOOKUP8(FD_HASH),
			ASM_JMP_IMM(BPF_JEQ, 0, 0, 4),
			ASM_ALU64_IMM(BPF_AND, 6, 7),
			ASM_ALU64_REG(BPF_ADD, 0, 6),
			ASM_LDX(BPF_B, 0, 0, 0),
			ASM_EXIT(),
			ASM_EXIT(),
		};
		memcpy(&p[k], tail, sizeof(tail));
		k += NINSNS(tail);
	} else {
		p[k++] = ASM_MOV64_REG(0, 6);
		p[k++] = ASM_EXIT();
	}
	return k;
}

KTEST(bpf_verifier, pruning_many_branches)
{
	static struct bpf_insn p[3 * 64 + 32];
	uint32_t n = build_diamonds(p, 64, false);
	double t0 = test_now();
	ASSERT_EQ(verify(SYSCALL, p, n), 0);
	double t = test_now() - t0;
	printf("    # 64 diamonds: %u insns processed in %.1f ms\n", run.out.verified_insns,
	       t * 1e3);
	EXPECT_LT(run.out.verified_insns, 2000);
	bpf_verifier_output_free(&run.out);
}

KTEST(bpf_verifier, complexity_limit)
{
	static struct bpf_insn p[3 * 32 + 32];
	uint32_t n = build_diamonds(p, 32, true);
	double t0 = test_now();
	EXPECT_EQ(verify(SYSCALL, p, n), -E2BIG);
	double t = test_now() - t0;
	verifier_check_log(kt, __FILE__, __LINE__, run.log,
			   "BPF program is too large. Processed 1000001 insn", -1);
	printf("    # 2^32 paths: stopped after %u insns in %.1f ms\n", run.out.verified_insns,
	       t * 1e3);
	EXPECT_LT(t, 20.0);
}

/* ---- typed kernel pointers and kfuncs ---- */

KTEST(bpf_verifier, typed_kernel_pointer)
{
	/* task = btf var; pid = task->pid; parent = task->parent; parent->pid */
	static const struct bpf_insn p[] = {
		ASM_LD_PSEUDO(1, BPF_PSEUDO_BTF_ID, 500, 0),
		ASM_LDX(BPF_W, 0, 1, 0),
		ASM_LDX(BPF_DW, 2, 1, 8),
		ASM_LDXS(BPF_W, 0, 2, 0),
		ASM_EXIT(),
	};
	ASSERT_EQ(verify(SYSCALL, p, NINSNS(p)), 0);
	const struct bpf_insn *x = run.out.exec.insns;
	EXPECT_EQ(x[0].src_reg, 0);
	EXPECT_EQ((uint32_t)x[0].imm | ((uint64_t)(uint32_t)x[1].imm << 32), 0xffffffff80123000ull);
	EXPECT_EQ(x[2].code, BPF_LDX | BPF_PROBE_MEM | BPF_W);
	EXPECT_EQ(x[3].code, BPF_LDX | BPF_PROBE_MEM | BPF_DW);
	EXPECT_EQ(x[4].code, BPF_LDX | BPF_PROBE_MEMSX | BPF_W);
	bpf_verifier_output_free(&run.out);
	EXPECT_REJECT(SYSCALL, -EACCES, 2, "only read is supported",
		      ASM_LD_PSEUDO(1, BPF_PSEUDO_BTF_ID, 500, 0), ASM_ST(BPF_W, 1, 0, 1),
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 2, "access beyond struct task_struct at off 64 size 4",
		      ASM_LD_PSEUDO(1, BPF_PSEUDO_BTF_ID, 500, 0), ASM_LDX(BPF_W, 0, 1, 64),
		      ASM_EXIT());
	/* a plain kernel variable is read-only memory of its size */
	EXPECT_ACCEPT(SYSCALL, ASM_LD_PSEUDO(1, BPF_PSEUDO_BTF_ID, 501, 0),
		      ASM_LDX(BPF_DW, 0, 1, 8), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -EACCES, 2, "R1 cannot write into rdonly_mem",
		      ASM_LD_PSEUDO(1, BPF_PSEUDO_BTF_ID, 501, 0), ASM_ST(BPF_DW, 1, 8, 0),
		      ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_REJECT(SYSCALL, -ENOENT, 0, "ldimm64 insn specifies invalid btf_id 502",
		      ASM_LD_PSEUDO(1, BPF_PSEUDO_BTF_ID, 502, 0), ASM_MOV64_IMM(0, 0), ASM_EXIT());
}

KTEST(bpf_verifier, kfuncs)
{
	static const struct bpf_insn p[] = {
		ASM_MOV64_IMM(1, 5),           ASM_CALL_KFUNC(1000),    ASM_CALL_KFUNC(1001),
		ASM_JMP_IMM(BPF_JEQ, 0, 0, 1), ASM_LDX(BPF_W, 0, 0, 0), ASM_EXIT(),
	};
	ASSERT_EQ(verify(TC, p, NINSNS(p)), 0);
	const struct bpf_exec_prog *e = &run.out.exec;
	EXPECT_EQ(e->insns[1].src_reg, 0);
	EXPECT_EQ(e->insns[1].imm, 300);
	EXPECT_EQ(e->insns[2].imm, 301);
	EXPECT_EQ(e->ncalls, 302);
	EXPECT_TRUE(e->calls[300] == kfunc_fn);
	EXPECT_EQ(e->insns[4].code, BPF_LDX | BPF_PROBE_MEM | BPF_W);
	bpf_verifier_output_free(&run.out);
	EXPECT_REJECT(TC, -EACCES, 1, "R0 invalid mem access 'ptr_or_null_'", ASM_CALL_KFUNC(1001),
		      ASM_LDX(BPF_W, 0, 0, 0), ASM_EXIT());
	EXPECT_REJECT(TC, -EACCES, 1, "R1 type=ctx expected=scalar", ASM_MOV64_IMM(0, 0),
		      ASM_CALL_KFUNC(1000), ASM_EXIT());
	EXPECT_REJECT(TC, -ENOENT, 0, "kernel btf_id 9999 is not a function", ASM_CALL_KFUNC(9999),
		      ASM_EXIT());
	EXPECT_REJECT(TC, -EACCES, 0, "calling kernel function bpf_denied is not allowed",
		      ASM_CALL_KFUNC(1002), ASM_EXIT());
}

/* ---- the xlated program ---- */

KTEST(bpf_verifier, xlated_output)
{
	static const struct bpf_insn p[] = {
		/* 0 */ ASM_ST(BPF_DW, 10, -8, 0),
		/* 1 */ ASM_ST(BPF_W, 10, -12, 0),
		/* 2 */ ASM_MOV64_REG(2, 10),
		/* 3 */ ASM_ALU64_IMM(BPF_ADD, 2, -8),
		/* 4 */ ASM_LD_MAP_FD(1, FD_HASH),
		/* 6 */ ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		/* 7 */ ASM_LD_FUNC(2, 5),
		/* 9 */ ASM_CALL_LOCAL(3),
		/* 10 */ ASM_LD_PSEUDO(3, BPF_PSEUDO_MAP_IDX, 1, 0),
		/* 12 */ ASM_EXIT(),
		/* 13: subprogram 1, used as a value only */ ASM_ST(BPF_DW, 10, -24, 0),
		/* 14 */ ASM_MOV64_IMM(0, 0),
		/* 15 */ ASM_EXIT(),
	};
	ASSERT_EQ(verify(SYSCALL, p, NINSNS(p)), 0);
	const struct bpf_verifier_output *o = &run.out;
	const struct bpf_insn *x = o->exec.insns;
	EXPECT_EQ(o->exec.len, NINSNS(p));
	/* the map fd became the map, the function its loader-made value, the fd_array index too */
	EXPECT_EQ(x[4].src_reg, 0);
	EXPECT_EQ((uint32_t)x[4].imm | ((uint64_t)(uint32_t)x[5].imm << 32), 0x1000);
	EXPECT_EQ(x[7].src_reg, 0);
	EXPECT_EQ((uint32_t)x[7].imm | ((uint64_t)(uint32_t)x[8].imm << 32), 0xf00d0001u);
	EXPECT_EQ((uint32_t)x[10].imm | ((uint64_t)(uint32_t)x[11].imm << 32), 0x2000);
	/* a helper call keeps its number, src 0, and calls[number] is the implementation */
	EXPECT_EQ(x[6].src_reg, 0);
	EXPECT_EQ(x[6].imm, BPF_FUNC_map_lookup_elem);
	EXPECT_TRUE(o->exec.calls[BPF_FUNC_map_lookup_elem] == fake_helper);
	EXPECT_EQ(o->exec.ncalls, BPF_FUNC_map_lookup_elem + 1);
	/* bpf-to-bpf calls stay */
	EXPECT_EQ(x[9].src_reg, BPF_PSEUDO_CALL);
	/* subprograms and their stack depths, rounded up to 8 */
	ASSERT_EQ(o->exec.nsubprogs, 2);
	EXPECT_EQ(o->exec.subprog_start[0], 0);
	EXPECT_EQ(o->exec.subprog_start[1], 13);
	EXPECT_EQ(o->exec.stack_depth[0], 16);
	EXPECT_EQ(o->exec.stack_depth[1], 24);
	/* the maps used, once each */
	ASSERT_EQ(o->nmaps, 2);
	EXPECT_TRUE(o->maps[0].map == (void *)0x1000);
	EXPECT_TRUE(o->maps[1].map == (void *)0x2000);
	/* the input is untouched */
	EXPECT_EQ(p[4].src_reg, BPF_PSEUDO_MAP_FD);
	bpf_verifier_output_free(&run.out);
}

KTEST(bpf_verifier, dead_code_dropped)
{
	/* r0 is 0, so the call of a helper the program type lacks is never made */
	static const struct bpf_insn p[] = {
		ASM_MOV64_IMM(0, 0),
		ASM_JMP_IMM(BPF_JEQ, 0, 0, 1),
		ASM_CALL_HELPER(BPF_FUNC_probe_read),
		ASM_STX(BPF_DW, 10, 0, -8),
		ASM_EXIT(),
	};
	ASSERT_EQ(verify(SYSCALL, p, NINSNS(p)), 0);
	const struct bpf_insn *x = run.out.exec.insns;
	EXPECT_EQ(x[2].code, BPF_JMP | BPF_EXIT);
	EXPECT_EQ(x[2].imm, 0);
	EXPECT_EQ(x[3].code, BPF_STX | BPF_MEM | BPF_DW);
	bpf_verifier_output_free(&run.out);
	/* with BPF_LOG_STATS the stack depths close the log */
	setup(SYSCALL, p, NINSNS(p));
	run.in.log_level = BPF_LOG_LEVEL1 | BPF_LOG_STATS;
	ASSERT_EQ(bpf_verify(&run.in, &run.out), 0);
	EXPECT_NONNULL(strstr(run.log, "stack depth 8\nprocessed 4 insns"));
	bpf_verifier_output_free(&run.out);
	/* BPF_LOG_STATS alone, as Linux: the statistics, not the walk */
	setup(SYSCALL, p, NINSNS(p));
	run.in.log_level = BPF_LOG_STATS;
	ASSERT_EQ(bpf_verify(&run.in, &run.out), 0);
	EXPECT_NULL(strstr(run.log, "0: ("));
	EXPECT_NONNULL(strstr(run.log, "stack depth 8\nprocessed 4 insns"));
	bpf_verifier_output_free(&run.out);
}

KTEST(bpf_verifier, gpl_only_helper_needs_a_gpl_license)
{
	static const struct bpf_insn printk[] = {
		ASM_ST(BPF_DW, 10, -8, 0x216968),       ASM_MOV64_REG(1, 10),
		ASM_ALU64_IMM(BPF_ADD, 1, -8),          ASM_MOV64_IMM(2, 8),
		ASM_CALL_HELPER(BPF_FUNC_trace_printk), ASM_EXIT(),
	};
	static const struct bpf_insn comm[] = {
		ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -16),
		ASM_MOV64_IMM(2, 16), ASM_CALL_HELPER(BPF_FUNC_get_current_comm),
		ASM_EXIT(),
	};

	setup(SYSCALL, printk, NINSNS(printk));
	run.in.gpl_compatible = false;
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -EINVAL);
	verifier_check_log(kt, __FILE__, __LINE__, run.log,
			   "cannot call GPL-restricted function from non-GPL compatible program",
			   4);
	/* a helper that is not GPL-only is fine under any license */
	setup(SYSCALL, comm, NINSNS(comm));
	run.in.gpl_compatible = false;
	ASSERT_EQ(bpf_verify(&run.in, &run.out), 0);
	bpf_verifier_output_free(&run.out);
}

/* ---- the log ---- */

KTEST(bpf_verifier, log_truncation)
{
	static struct bpf_insn p[3 * 64 + 32];
	uint32_t n = build_diamonds(p, 64, false);
	/* the whole log, for reference */
	ASSERT_EQ(verify(SYSCALL, p, n), 0);
	uint32_t full = run.out.log_true_size;
	static char whole[1 << 16];
	memcpy(whole, run.log, sizeof(whole));
	bpf_verifier_output_free(&run.out);
	/*
	 * The walk keeps the log of the path it is on (a branch taken back drops its lines), so the
	 * true size is the most the log ever held, and the final log can be shorter.
	 */
	size_t final = strlen(whole);
	EXPECT_LT(final + 1, full);
	/* rotating (default): the end of the log, at most log_size - 1 bytes, NUL-terminated */
	setup(SYSCALL, p, n);
	run.in.log_size = 200;
	memset(run.log, 'x', 300);
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -ENOSPC);
	EXPECT_EQ(run.out.log_true_size, full);
	size_t kept = strlen(run.log);
	EXPECT_LT(kept, 200);
	EXPECT_GT(kept, 0);
	EXPECT_EQ(run.log[200], 'x');
	EXPECT_EQ(strcmp(run.log, whole + final - kept), 0);
	EXPECT_NULL(run.out.exec.insns);
	/* BPF_LOG_FIXED: the first bytes */
	setup(SYSCALL, p, n);
	run.in.log_size = 200;
	run.in.log_level = BPF_LOG_LEVEL1 | BPF_LOG_FIXED;
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -ENOSPC);
	EXPECT_EQ(strlen(run.log), 199);
	EXPECT_EQ(strncmp(run.log, whole, 199), 0);
	/* exactly enough room, and one byte less */
	setup(SYSCALL, p, n);
	run.in.log_size = full;
	EXPECT_EQ(bpf_verify(&run.in, &run.out), 0);
	EXPECT_EQ(strcmp(run.log, whole), 0);
	bpf_verifier_output_free(&run.out);
	setup(SYSCALL, p, n);
	run.in.log_size = full - 1;
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -ENOSPC);
	/* a rejection whose log does not fit is ENOSPC too, with the reason at the end */
	static struct bpf_insn bad[12];
	for (int i = 0; i < 10; i++)
		bad[i] = ASM_MOV64_IMM(3, i);
	bad[10] = ASM_MOV64_REG(0, 2);
	bad[11] = ASM_EXIT();
	setup(SYSCALL, bad, NINSNS(bad));
	run.in.log_size = 128;
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -ENOSPC);
	EXPECT_NONNULL(strstr(run.log, "R2 !read_ok\nprocessed 11 insns"));
	/* no log at all: the verdict alone */
	setup(SYSCALL, bad, NINSNS(bad));
	run.in.log_level = 0;
	run.in.log_buf = NULL;
	run.in.log_size = 0;
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -EACCES);
	EXPECT_EQ(run.out.log_true_size, 0);
	/* a level with no buffer measures the log (Linux 6.4+): the verdict and the size it needs */
	setup(SYSCALL, p, n);
	run.in.log_buf = NULL;
	run.in.log_size = 0;
	EXPECT_EQ(bpf_verify(&run.in, &run.out), 0);
	EXPECT_EQ(run.out.log_true_size, full);
	bpf_verifier_output_free(&run.out);
	setup(SYSCALL, bad, NINSNS(bad));
	run.in.log_buf = NULL;
	run.in.log_size = 0;
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -EACCES);
	EXPECT_GT(run.out.log_true_size, 1);
	/* a one-byte buffer holds just the NUL */
	setup(SYSCALL, p, n);
	run.in.log_size = 1;
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -ENOSPC);
	EXPECT_EQ(run.log[0], 0);
	EXPECT_EQ(run.out.log_true_size, full);
}

KTEST(bpf_verifier, bad_attributes)
{
	static const struct bpf_insn p[] = {ASM_MOV64_IMM(0, 0), ASM_EXIT()};
	setup(SYSCALL, p, NINSNS(p));
	run.in.log_size = 0; /* a buffer without a size */
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -EINVAL);
	setup(SYSCALL, p, NINSNS(p));
	run.in.log_buf = NULL; /* a size without a buffer */
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -EINVAL);
	setup(SYSCALL, p, NINSNS(p));
	run.in.log_size = BPF_LOG_SIZE_MAX + 1;
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -EINVAL);
	setup(SYSCALL, p, NINSNS(p));
	run.in.log_level = 16;
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -EINVAL);
	setup(SYSCALL, p, NINSNS(p));
	run.in.log_level = 0;
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -EINVAL); /* a buffer without a level */
	setup(BPF_PROG_TYPE_XDP, p, NINSNS(p));
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -EINVAL);
	setup(SYSCALL, p, 0);
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -E2BIG);
	setup(SYSCALL, p, BPF_VERIFIER_MAX_INSNS + 1);
	EXPECT_EQ(bpf_verify(&run.in, &run.out), -E2BIG);
	setup(SYSCALL, p, NINSNS(p));
	EXPECT_EQ(bpf_verify(&run.in, &run.out), 0);
	bpf_verifier_output_free(&run.out);
}

KTEST(bpf_verifier, disasm_text)
{
	char buf[96];
	const struct bpf_insn in[] = {
		ASM_ALU64_IMM(BPF_ADD, 2, -8),
		ASM_STX(BPF_DW, 10, 1, -8),
		ASM_JMP_IMM(BPF_JEQ, 0, 0, 3),
		ASM_LD_MAP_FD(1, 4),
		ASM_ATOMIC(BPF_DW, BPF_ADD | BPF_FETCH, 10, 2, -16),
	};
	bpf_disasm(buf, sizeof(buf), &in[0], NULL);
	EXPECT_EQ(strcmp(buf, "(07) r2 += -8"), 0);
	bpf_disasm(buf, sizeof(buf), &in[1], NULL);
	EXPECT_EQ(strcmp(buf, "(7b) *(u64 *)(r10 -8) = r1"), 0);
	bpf_disasm(buf, sizeof(buf), &in[2], NULL);
	EXPECT_EQ(strcmp(buf, "(15) if r0 == 0x0 goto pc+3"), 0);
	bpf_disasm(buf, sizeof(buf), &in[3], NULL);
	EXPECT_EQ(strcmp(buf, "(18) r1 = map[fd:4]"), 0);
	bpf_disasm(buf, sizeof(buf), &in[5], NULL);
	EXPECT_EQ(strcmp(buf, "(db) r2 = atomic64_fetch_add((u64 *)(r10 -16), r2)"), 0);
}
