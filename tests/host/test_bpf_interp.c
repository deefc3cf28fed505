/*
 * Host tests of the eBPF interpreter (kernel/bpf/interp.c, contract in kernel/bpf/exec.h): every
 * instruction class with its edge cases as RFC 9669 states them, helper and bpf-to-bpf calls,
 * stacks and frames, reentrant runs, probing loads, and the programs bpf_interp_prepare refuses.
 *
 * Expected values are written out by hand from the RFC, except for the jump sweep, whose oracle
 * is a plain C switch over the same boundary values (with hand-written cases beside it for the
 * places where 32- and 64-bit compares differ). Every run is leak-checked by the runner.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel/bpf/exec.h"
#include "kernel/ktest.h"
#include "mm/kmem.h"
#include "mm/pmm.h"
#include "tests/host/bpf_asm.h"
#include "tests/host/testutil.h"

TEST_LEAK_CHECK_EVERY_TEST()

#define NINSNS(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))
/* What the run helpers return when bpf_interp_prepare refused the program: no test program returns it. */
#define NOT_PREPARED 0x6e6f7470726570ull

/* Helpers the test programs call by these numbers. */
enum { H_WEIGH = 1, H_NESTED_RUN = 2, H_NULL = 3, N_HELPERS = 4 };
static uint64_t helper_args[5];

/* Records its arguments; returns r1 + 2 r2 + 3 r3 + 4 r4 + 5 r5, so that order matters. */
static uint64_t h_weigh(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	uint64_t a[5] = {r1, r2, r3, r4, r5};
	memcpy(helper_args, a, sizeof(a));
	return r1 + 2 * r2 + 3 * r3 + 4 * r4 + 5 * r5;
}

/* The image h_nested_run runs: set by the test that uses it. */
static const struct bpf_interp_image *nested_img;
static unsigned nested_max_level, nested_level;

/* As bpf_loop runs a callback: a new run of subprogram r1 of nested_img with r1 = r2. */
static uint64_t h_nested_run(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3, (void)r4, (void)r5;
	uint64_t args[5] = {r2};
	if (++nested_level > nested_max_level)
		nested_max_level = nested_level;
	uint64_t r0 = bpf_interp_run(nested_img, (uint32_t)r1, args);
	nested_level--;
	return r0;
}

static const bpf_func_t helpers[N_HELPERS] = {[H_WEIGH] = h_weigh, [H_NESTED_RUN] = h_nested_run};

/* A program's description for bpf_interp_prepare with the test helpers. */
static struct bpf_exec_prog prog_of(const struct bpf_insn *insns, uint32_t len, uint32_t nsub,
				    const uint32_t *starts, const uint16_t *depths)
{
	return (struct bpf_exec_prog){insns, len, nsub, starts, depths, helpers, N_HELPERS};
}

/* Prepare p, run subprogram sub with r1, r2, free it; NOT_PREPARED (and a failure) if refused. */
static uint64_t run_prog(struct ktest_state *kt, const struct bpf_exec_prog *p, uint32_t sub,
			 uint64_t r1, uint64_t r2)
{
	struct bpf_interp_image *img = bpf_interp_prepare(p);
	if (!img) {
		KT_FAIL("bpf_interp_prepare refused a valid program");
		return NOT_PREPARED;
	}
	uint64_t args[5] = {r1, r2};
	uint64_t r0 = bpf_interp_run(img, sub, args);
	bpf_interp_free(img);
	return r0;
}

/* One subprogram with a 512-byte stack. */
static uint64_t run_insns(struct ktest_state *kt, const struct bpf_insn *insns, uint32_t len,
			  uint64_t r1, uint64_t r2)
{
	static const uint32_t start0[1] = {0};
	static const uint16_t depth512[1] = {BPF_STACK_FRAME_MAX};
	struct bpf_exec_prog p = prog_of(insns, len, 1, start0, depth512);
	return run_prog(kt, &p, 0, r1, r2);
}

#define RUN(r1, r2, ...)                                      \
	run_insns(kt, (const struct bpf_insn[]){__VA_ARGS__}, \
		  NINSNS(((const struct bpf_insn[]){__VA_ARGS__})), r1, r2)

/* ------------------------------------------------------------------------------------------ */
/* ALU and ALU64: r0 = a, r1 = b, then the instruction under test (dst r0, src r1). */

struct alu_case {
	struct bpf_insn insn;
	uint64_t a, b, want;
};

static void check_alu(struct ktest_state *kt, const struct alu_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t got = RUN(0, 0, ASM_LD_IMM64(0, c[i].a), ASM_LD_IMM64(1, c[i].b),
				   c[i].insn, ASM_EXIT());
		if (got != c[i].want)
			KT_FAIL("case %zu (code 0x%02x off %d imm %d): a 0x%llx b 0x%llx gave 0x%llx, want 0x%llx",
				i, c[i].insn.code, c[i].insn.off, c[i].insn.imm,
				(unsigned long long)c[i].a, (unsigned long long)c[i].b,
				(unsigned long long)got, (unsigned long long)c[i].want);
	}
}

#define CHECK_ALU(...)                                                     \
	do {                                                               \
		static const struct alu_case cases_[] = {__VA_ARGS__};     \
		check_alu(kt, cases_, sizeof(cases_) / sizeof(cases_[0])); \
	} while (0)

#define M1 0xffffffffffffffffull /* -1 */
#define MIN64 0x8000000000000000ull
#define HI 0xdeadbeef00000000ull /* upper bits a 32-bit operation must ignore and clear */

KTEST(bpf_interp, alu64_arith)
{
	CHECK_ALU({ASM_ALU64_REG(BPF_ADD, 0, 1), M1, 2, 1},
		  {ASM_ALU64_IMM(BPF_ADD, 0, -7), 5, 0, (uint64_t)-2},
		  {ASM_ALU64_REG(BPF_SUB, 0, 1), 0, 1, M1},
		  {ASM_ALU64_IMM(BPF_SUB, 0, -1), 5, 0, 6},
		  {ASM_ALU64_REG(BPF_MUL, 0, 1), 0x100000000ull, 0x100000000ull, 0},
		  {ASM_ALU64_REG(BPF_MUL, 0, 1), 3, M1, (uint64_t)-3},
		  {ASM_ALU64_IMM(BPF_MUL, 0, -3), 7, 0, (uint64_t)-21},
		  {ASM_ALU64_REG(BPF_OR, 0, 1), 0xf0f0000000000000ull, 0x0f, 0xf0f000000000000full},
		  {ASM_ALU64_IMM(BPF_OR, 0, -256), 0x12, 0, 0xffffffffffffff12ull},
		  {ASM_ALU64_REG(BPF_AND, 0, 1), 0x123456789abcdef0ull, 0xff000000000000ffull,
		   0x12000000000000f0ull},
		  {ASM_ALU64_IMM(BPF_AND, 0, -16), 0x123456789abcdefful, 0, 0x123456789abcdef0ull},
		  {ASM_ALU64_IMM(BPF_AND, 0, 0x7fffffff), M1, 0, 0x7fffffffull},
		  {ASM_ALU64_REG(BPF_XOR, 0, 1), 0xff00ff00ff00ff00ull, M1, 0x00ff00ff00ff00ffull},
		  {ASM_ALU64_IMM(BPF_XOR, 0, -1), 0x0123456789abcdefull, 0, 0xfedcba9876543210ull},
		  {ASM_MOV64_REG(0, 1), 5, 0x8000000000000001ull, 0x8000000000000001ull},
		  {ASM_MOV64_IMM(0, -1), 5, 0, M1},
		  {ASM_MOV64_IMM(0, 0x7fffffff), M1, 0, 0x7fffffffull}, {ASM_NEG64(0), 1, 0, M1},
		  {ASM_NEG64(0), MIN64, 0, MIN64}, {ASM_NEG64(0), 0, 0, 0});
}

KTEST(bpf_interp, alu32_zero_extends)
{
	CHECK_ALU({ASM_ALU32_REG(BPF_ADD, 0, 1), HI | 1, HI | 0xffffffff, 0},
		  {ASM_ALU32_IMM(BPF_ADD, 0, 4), HI | 3, 0, 7},
		  {ASM_ALU32_IMM(BPF_ADD, 0, -1), HI, 0, 0xffffffff},
		  {ASM_ALU32_REG(BPF_SUB, 0, 1), HI, 1, 0xffffffff},
		  {ASM_ALU32_IMM(BPF_SUB, 0, 1), 0, 0, 0xffffffff},
		  {ASM_ALU32_REG(BPF_MUL, 0, 1), 0x10000, 0x10000, 0},
		  {ASM_ALU32_REG(BPF_MUL, 0, 1), HI | 0xffffffff, HI | 0xffffffff, 1},
		  {ASM_ALU32_IMM(BPF_MUL, 0, -1), 5, 0, 0xfffffffb},
		  {ASM_ALU32_REG(BPF_OR, 0, 1), HI | 0xf0, HI | 0x0f, 0xff},
		  {ASM_ALU32_IMM(BPF_OR, 0, -256), HI | 0x12, 0, 0xffffff12},
		  {ASM_ALU32_REG(BPF_AND, 0, 1), HI | 0xff00ff00, M1, 0xff00ff00},
		  {ASM_ALU32_IMM(BPF_AND, 0, -1), M1, 0, 0xffffffff},
		  {ASM_ALU32_REG(BPF_XOR, 0, 1), HI | 0xffff0000, HI | 0xff00ff00, 0x00ffff00},
		  {ASM_ALU32_IMM(BPF_XOR, 0, -1), HI, 0, 0xffffffff},
		  {ASM_MOV32_REG(0, 1), 5, 0x123456789abcdef0ull, 0x9abcdef0},
		  {ASM_MOV32_IMM(0, -1), 5, 0, 0xffffffff}, {ASM_NEG32(0), HI | 1, 0, 0xffffffff},
		  {ASM_NEG32(0), HI | 0x80000000, 0, 0x80000000}, {ASM_NEG32(0), HI, 0, 0});
}

KTEST(bpf_interp, shifts_masked_by_width)
{
	CHECK_ALU({ASM_ALU64_REG(BPF_LSH, 0, 1), 3, 65, 6},
		  {ASM_ALU64_REG(BPF_LSH, 0, 1), 1, 63, MIN64},
		  {ASM_ALU64_IMM(BPF_LSH, 0, 4), 0x0f00000000000001ull, 0, 0xf000000000000010ull},
		  {ASM_ALU64_REG(BPF_RSH, 0, 1), MIN64, 64, MIN64},
		  {ASM_ALU64_REG(BPF_RSH, 0, 1), MIN64, 63, 1},
		  {ASM_ALU64_IMM(BPF_RSH, 0, 60), M1, 0, 0xf},
		  {ASM_ALU64_REG(BPF_ARSH, 0, 1), MIN64, 63, M1},
		  {ASM_ALU64_REG(BPF_ARSH, 0, 1), MIN64, 127, M1},
		  {ASM_ALU64_REG(BPF_ARSH, 0, 1), 0x4000000000000000ull, 62, 1},
		  {ASM_ALU64_IMM(BPF_ARSH, 0, 2), (uint64_t)-16, 0, (uint64_t)-4},
		  {ASM_ALU32_REG(BPF_LSH, 0, 1), HI | 0x80000001, 33, 2},
		  {ASM_ALU32_IMM(BPF_LSH, 0, 31), HI | 1, 0, 0x80000000},
		  {ASM_ALU32_REG(BPF_RSH, 0, 1), HI | 0x80000000, 31, 1},
		  {ASM_ALU32_REG(BPF_RSH, 0, 1), HI | 0x80000000, 32, 0x80000000},
		  {ASM_ALU32_IMM(BPF_RSH, 0, 4), M1, 0, 0x0fffffff},
		  {ASM_ALU32_REG(BPF_ARSH, 0, 1), HI | 0x80000000, 4, 0xf8000000},
		  {ASM_ALU32_REG(BPF_ARSH, 0, 1), HI | 0x80000000, 36, 0xf8000000},
		  {ASM_ALU32_REG(BPF_ARSH, 0, 1), HI | 0x40000000, 30, 1},
		  {ASM_ALU32_IMM(BPF_ARSH, 0, 31), 0x80000000, 0, 0xffffffff});
}

KTEST(bpf_interp, unsigned_div_mod_and_by_zero)
{
	CHECK_ALU(
		{ASM_ALU64_REG(BPF_DIV, 0, 1), 100, 7, 14},
		{ASM_ALU64_REG(BPF_DIV, 0, 1), 100, 0, 0},
		{ASM_ALU64_REG(BPF_DIV, 0, 1), M1, 2, 0x7fffffffffffffffull},
		{ASM_ALU64_IMM(BPF_DIV, 0, -1), 5, 0, 0}, /* imm sign-extends to 2^64 - 1 */
		{ASM_ALU64_IMM(BPF_DIV, 0, -1), M1, 0, 1}, {ASM_ALU64_IMM(BPF_DIV, 0, 0), 5, 0, 0},
		{ASM_ALU64_REG(BPF_MOD, 0, 1), 100, 7, 2},
		{ASM_ALU64_REG(BPF_MOD, 0, 1), 100, 0, 100},
		{ASM_ALU64_REG(BPF_MOD, 0, 1), M1, 0, M1},
		{ASM_ALU64_IMM(BPF_MOD, 0, 0), 0x123456789ull, 0, 0x123456789ull},
		{ASM_ALU64_IMM(BPF_MOD, 0, -2), M1, 0, 1},
		{ASM_ALU32_REG(BPF_DIV, 0, 1), HI | 100, 0x100000007ull, 14},
		{ASM_ALU32_REG(BPF_DIV, 0, 1), HI | 100, 0x100000000ull,
		 0},                                               /* divisor's low half is 0 */
		{ASM_ALU32_IMM(BPF_DIV, 0, -1), 0xffffffff, 0, 1}, /* imm is 0xffffffff, unsigned */
		{ASM_ALU32_IMM(BPF_DIV, 0, 0), HI | 9, 0, 0},
		{ASM_ALU32_REG(BPF_MOD, 0, 1), HI | 100, 7, 2},
		{ASM_ALU32_REG(BPF_MOD, 0, 1), HI | 100, 0x100000000ull,
		 100}, /* upper half cleared */
		{ASM_ALU32_IMM(BPF_MOD, 0, 0), HI | 9, 0, 9});
}

KTEST(bpf_interp, signed_div_mod_and_overflow)
{
	CHECK_ALU({ASM_ALU64_REG_OFF(BPF_DIV, 1, 0, 1), (uint64_t)-7, 2, (uint64_t)-3},
		  {ASM_ALU64_REG_OFF(BPF_DIV, 1, 0, 1), 7, (uint64_t)-2, (uint64_t)-3},
		  {ASM_ALU64_REG_OFF(BPF_DIV, 1, 0, 1), MIN64, M1, MIN64},
		  {ASM_ALU64_REG_OFF(BPF_DIV, 1, 0, 1), (uint64_t)-7, 0, 0},
		  {ASM_ALU64_IMM_OFF(BPF_DIV, 1, 0, -2), (uint64_t)-8, 0, 4},
		  {ASM_ALU64_IMM_OFF(BPF_DIV, 1, 0, -1), MIN64, 0, MIN64},
		  {ASM_ALU64_IMM_OFF(BPF_DIV, 1, 0, 0), 5, 0, 0},
		  {ASM_ALU64_IMM_OFF(BPF_DIV, 1, 0, -1), 7, 0, (uint64_t)-7},
		  {ASM_ALU64_REG_OFF(BPF_DIV, 1, 0, 1), (uint64_t)-7, M1, 7},
		  {ASM_ALU64_REG_OFF(BPF_MOD, 1, 0, 1), (uint64_t)-7, 2,
		   M1}, /* sign of the dividend */
		  {ASM_ALU64_REG_OFF(BPF_MOD, 1, 0, 1), 7, (uint64_t)-2, 1},
		  {ASM_ALU64_REG_OFF(BPF_MOD, 1, 0, 1), MIN64, M1, 0},
		  {ASM_ALU64_REG_OFF(BPF_MOD, 1, 0, 1), (uint64_t)-7, 0, (uint64_t)-7},
		  {ASM_ALU64_IMM_OFF(BPF_MOD, 1, 0, 3), (uint64_t)-7, 0, M1},
		  {ASM_ALU64_IMM_OFF(BPF_MOD, 1, 0, -1), MIN64, 0, 0},
		  {ASM_ALU64_IMM_OFF(BPF_MOD, 1, 0, -1), 7, 0, 0},
		  {ASM_ALU32_REG_OFF(BPF_DIV, 1, 0, 1), HI | 0xfffffff9, 2, 0xfffffffd},
		  {ASM_ALU32_REG_OFF(BPF_DIV, 1, 0, 1), HI | 0x80000000, 0xffffffff, 0x80000000},
		  {ASM_ALU32_REG_OFF(BPF_DIV, 1, 0, 1), HI | 7, 0xffffffff00000000ull, 0},
		  {ASM_ALU32_REG_OFF(BPF_DIV, 1, 0, 1), 100, 0x100000002ull, 50},
		  {ASM_ALU32_IMM_OFF(BPF_DIV, 1, 0, -1), 0x80000000, 0, 0x80000000},
		  {ASM_ALU32_IMM_OFF(BPF_DIV, 1, 0, -3), 9, 0, 0xfffffffd},
		  {ASM_ALU32_IMM_OFF(BPF_DIV, 1, 0, -1), HI | 7, 0, 0xfffffff9},
		  {ASM_ALU32_REG_OFF(BPF_MOD, 1, 0, 1), HI | 0xfffffff9, 2, 0xffffffff},
		  {ASM_ALU32_REG_OFF(BPF_MOD, 1, 0, 1), 0x80000000, 0xffffffff, 0},
		  {ASM_ALU32_REG_OFF(BPF_MOD, 1, 0, 1), M1 - 6, HI, 0xfffffff9},
		  {ASM_ALU32_IMM_OFF(BPF_MOD, 1, 0, 0), HI | 0xfffffff9, 0, 0xfffffff9},
		  {ASM_ALU32_IMM_OFF(BPF_MOD, 1, 0, -2), 7, 0, 1});
}

KTEST(bpf_interp, movsx)
{
	CHECK_ALU({ASM_MOVSX64(0, 1, 8), 0, HI | 0x80, 0xffffffffffffff80ull},
		  {ASM_MOVSX64(0, 1, 8), 0, HI | 0x17f, 0x7f},
		  {ASM_MOVSX64(0, 1, 16), 0, HI | 0x8001, 0xffffffffffff8001ull},
		  {ASM_MOVSX64(0, 1, 16), 0, 0x17fff, 0x7fff},
		  {ASM_MOVSX64(0, 1, 32), 0, HI | 0x80000001, 0xffffffff80000001ull},
		  {ASM_MOVSX64(0, 1, 32), 0, HI | 0x7fffffff, 0x7fffffff},
		  {ASM_MOVSX32(0, 1, 8), 0, HI | 0x80, 0xffffff80},
		  {ASM_MOVSX32(0, 1, 8), 0, 0x17f, 0x7f},
		  {ASM_MOVSX32(0, 1, 16), 0, HI | 0x8001, 0xffff8001},
		  {ASM_MOVSX32(0, 1, 16), 0, 0x17fff, 0x7fff});
}

KTEST(bpf_interp, byte_swaps)
{
	const uint64_t v = 0x1122334455667788ull;
	CHECK_ALU({ASM_LE(0, 16), v, 0, 0x7788}, {ASM_LE(0, 32), v, 0, 0x55667788},
		  {ASM_LE(0, 64), v, 0, v}, {ASM_BE(0, 16), v, 0, 0x8877},
		  {ASM_BE(0, 32), v, 0, 0x88776655}, {ASM_BE(0, 64), v, 0, 0x8877665544332211ull},
		  {ASM_BSWAP(0, 16), v, 0, 0x8877}, {ASM_BSWAP(0, 32), v, 0, 0x88776655},
		  {ASM_BSWAP(0, 64), v, 0, 0x8877665544332211ull});
}

/* The longest program the interpreter takes (its slots fill kmalloc's largest block), run to the end. */
#define LONGEST 131072
KTEST(bpf_interp, longest_program_runs)
{
	static struct bpf_insn insns[LONGEST];
	for (uint32_t i = 0; i < LONGEST - 1; i++)
		insns[i] = ASM_ALU64_IMM(BPF_ADD, 0, 1);
	insns[LONGEST - 1] = ASM_EXIT();
	EXPECT_EQ(run_insns(kt, insns, LONGEST, 0, 0), LONGEST - 1);
}

KTEST(bpf_interp, ld_imm64)
{
	EXPECT_EQ(RUN(0, 0, ASM_LD_IMM64(0, 0x123456789abcdef0ull), ASM_EXIT()),
		  0x123456789abcdef0ull);
	/* The low half's sign bit must not spread into the high half. */
	EXPECT_EQ(RUN(0, 0, ASM_LD_IMM64(0, 0x80000000ull), ASM_EXIT()), 0x80000000ull);
	EXPECT_EQ(RUN(0, 0, ASM_LD_IMM64(0, 0xffffffff00000000ull), ASM_EXIT()),
		  0xffffffff00000000ull);
	/* A jump over an LD_IMM64 skips both of its slots. */
	EXPECT_EQ(RUN(0, 0, ASM_MOV64_IMM(0, 1), ASM_JA(2), ASM_LD_IMM64(0, 7), ASM_EXIT()), 1);
}

/* ------------------------------------------------------------------------------------------ */
/* Jumps. */

/* r0 = 1 if the jump under test (r1 = a against r2 = b, or against its imm) is taken, else 0. */
static uint64_t jump_taken(struct ktest_state *kt, struct bpf_insn j, uint64_t a, uint64_t b)
{
	return RUN(0, 0, ASM_LD_IMM64(1, a), ASM_LD_IMM64(2, b), ASM_MOV64_IMM(0, 0), j, ASM_EXIT(),
		   ASM_MOV64_IMM(0, 1), ASM_EXIT());
}

/* The RFC's conditions, written plainly: the oracle of the sweep below. */
static bool cond_holds(uint8_t op, bool is32, uint64_t a, uint64_t b)
{
	if (is32) {
		a = (uint32_t)a;
		b = (uint32_t)b;
	}
	int64_t sa = is32 ? (int32_t)a : (int64_t)a, sb = is32 ? (int32_t)b : (int64_t)b;
	switch (op) {
	case BPF_JEQ:
		return a == b;
	case BPF_JNE:
		return a != b;
	case BPF_JGT:
		return a > b;
	case BPF_JGE:
		return a >= b;
	case BPF_JLT:
		return a < b;
	case BPF_JLE:
		return a <= b;
	case BPF_JSET:
		return (a & b) != 0;
	case BPF_JSGT:
		return sa > sb;
	case BPF_JSGE:
		return sa >= sb;
	case BPF_JSLT:
		return sa < sb;
	case BPF_JSLE:
		return sa <= sb;
	}
	return false;
}

KTEST(bpf_interp, every_condition_at_boundaries)
{
	static const uint8_t ops[] = {BPF_JEQ,  BPF_JNE,  BPF_JGT,  BPF_JGE,  BPF_JLT, BPF_JLE,
				      BPF_JSET, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE};
	static const uint64_t vals[] = {0,
					1,
					2,
					0x7fffffff,
					0x80000000,
					0xffffffff,
					0x100000000ull,
					0x100000001ull,
					0x7fffffffffffffffull,
					MIN64,
					M1,
					0xffffffff80000000ull};
	unsigned failures = 0;
	for (size_t o = 0; o < sizeof(ops); o++)
		for (int form = 0; form < 4; form++)
			for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
				for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
					bool is32 = form & 2, reg = form & 1;
					uint64_t a = vals[i], b = vals[k];
					uint8_t cls = is32 ? BPF_JMP32 : BPF_JMP;
					struct bpf_insn j =
						ASM_INSN(cls | ops[o] | (reg ? BPF_X : BPF_K), 1,
							 reg ? 2 : 0, 1, (int32_t)b);
					if (!reg) /* an imm is 32 bits, sign-extended for the 64-bit compare */
						b = (uint64_t)(int64_t)(int32_t)b;
					bool want = cond_holds(ops[o], is32, a, b);
					if (jump_taken(kt, j, a, vals[k]) != want &&
					    failures++ < 10)
						KT_FAIL("%s%s op 0x%02x: a 0x%llx b 0x%llx: taken should be %d",
							is32 ? "jmp32" : "jmp",
							reg ? " reg" : " imm", ops[o],
							(unsigned long long)a,
							(unsigned long long)b, want);
				}
	EXPECT_EQ(failures, 0);
}

KTEST(bpf_interp, jmp32_ignores_upper_halves)
{
	const uint64_t big = 0x500000007ull;
	EXPECT_EQ(jump_taken(kt, ASM_JMP32_IMM(BPF_JEQ, 1, 7, 1), big, 0), 1);
	EXPECT_EQ(jump_taken(kt, ASM_JMP_IMM(BPF_JEQ, 1, 7, 1), big, 0), 0);
	EXPECT_EQ(jump_taken(kt, ASM_JMP32_REG(BPF_JGT, 1, 2, 1), 0x100000000ull, 1), 0);
	EXPECT_EQ(jump_taken(kt, ASM_JMP_REG(BPF_JGT, 1, 2, 1), 0x100000000ull, 1), 1);
	EXPECT_EQ(jump_taken(kt, ASM_JMP32_REG(BPF_JSLT, 1, 2, 1), 0x80000000, 0), 1);
	EXPECT_EQ(jump_taken(kt, ASM_JMP_REG(BPF_JSLT, 1, 2, 1), 0x80000000, 0), 0);
	EXPECT_EQ(jump_taken(kt, ASM_JMP32_REG(BPF_JSET, 1, 2, 1), 0x100000000ull, 0x100000000ull),
		  0);
	EXPECT_EQ(jump_taken(kt, ASM_JMP_REG(BPF_JSET, 1, 2, 1), 0x100000000ull, 0x100000000ull),
		  1);
	/* imm -1 is 0xffffffff to JMP32 but 2^64 - 1 to JMP. */
	EXPECT_EQ(jump_taken(kt, ASM_JMP32_IMM(BPF_JNE, 1, -1, 1), 0xffffffff, 0), 0);
	EXPECT_EQ(jump_taken(kt, ASM_JMP_IMM(BPF_JNE, 1, -1, 1), 0xffffffff, 0), 1);
	EXPECT_EQ(jump_taken(kt, ASM_JMP32_IMM(BPF_JSGT, 1, -2, 1), 0xffffffff, 0), 1);
}

KTEST(bpf_interp, ja_and_gotol)
{
	/* Forward over one instruction; JA +0 is a no-op. */
	EXPECT_EQ(RUN(0, 0, ASM_MOV64_IMM(0, 1), ASM_JA(0), ASM_JA(1), ASM_MOV64_IMM(0, 2),
		      ASM_EXIT()),
		  1);
	/* A backward JA as a loop's back-edge: r0 = 5 + 4 + 3 + 2 + 1. */
	EXPECT_EQ(RUN(0, 0, ASM_MOV64_IMM(0, 0), ASM_MOV64_IMM(1, 5), ASM_JMP_IMM(BPF_JEQ, 1, 0, 3),
		      ASM_ALU64_REG(BPF_ADD, 0, 1), ASM_ALU64_IMM(BPF_SUB, 1, 1), ASM_JA(-4),
		      ASM_EXIT()),
		  15);
	/* gotol: JMP32 | JA jumps by imm, not off (off here would go elsewhere). */
	EXPECT_EQ(RUN(0, 0, ASM_MOV64_IMM(0, 1), ASM_INSN(BPF_JMP32 | BPF_JA, 0, 0, 2, 1),
		      ASM_MOV64_IMM(0, 2), ASM_MOV64_IMM(0, 3), ASM_EXIT(), ASM_EXIT()),
		  3);
	EXPECT_EQ(RUN(0, 0, ASM_MOV64_IMM(0, 0), ASM_GOTOL(2), ASM_ALU64_IMM(BPF_ADD, 0, 1),
		      ASM_EXIT(), ASM_JMP_IMM(BPF_JEQ, 0, 0, -3), ASM_EXIT()),
		  1);
}

/* ------------------------------------------------------------------------------------------ */
/* Loads and stores. */

KTEST(bpf_interp, ldx_all_sizes_and_offsets)
{
	uint8_t mem[24];
	for (int i = 0; i < 24; i++)
		mem[i] = (uint8_t)(0x81 + i);
	uint64_t r1 = (uint64_t)(uintptr_t)(mem + 16);
	EXPECT_EQ(RUN(r1, 0, ASM_LDX(BPF_B, 0, 1, -16), ASM_EXIT()), 0x81);
	EXPECT_EQ(RUN(r1, 0, ASM_LDX(BPF_H, 0, 1, -16), ASM_EXIT()), 0x8281);
	EXPECT_EQ(RUN(r1, 0, ASM_LDX(BPF_W, 0, 1, -16), ASM_EXIT()), 0x84838281);
	EXPECT_EQ(RUN(r1, 0, ASM_LDX(BPF_DW, 0, 1, -16), ASM_EXIT()), 0x8887868584838281ull);
	EXPECT_EQ(RUN(r1, 0, ASM_LDX(BPF_DW, 0, 1, 0), ASM_EXIT()), 0x9897969594939291ull);
	/* Misaligned, and the loaded register is also the address register. */
	EXPECT_EQ(RUN(r1, 0, ASM_LDX(BPF_W, 1, 1, -13), ASM_MOV64_REG(0, 1), ASM_EXIT()),
		  0x87868584);
	EXPECT_EQ(RUN(r1, 0, ASM_LDX(BPF_DW, 0, 1, -15), ASM_EXIT()), 0x8988878685848382ull);
}

KTEST(bpf_interp, sign_extending_loads)
{
	uint8_t mem[8] = {0x80, 0xff, 0x01, 0x80, 0x7f, 0x7f, 0xff, 0x7f};
	uint64_t r1 = (uint64_t)(uintptr_t)mem;
	EXPECT_EQ(RUN(r1, 0, ASM_LDXS(BPF_B, 0, 1, 0), ASM_EXIT()), 0xffffffffffffff80ull);
	EXPECT_EQ(RUN(r1, 0, ASM_LDXS(BPF_B, 0, 1, 4), ASM_EXIT()), 0x7f);
	EXPECT_EQ(RUN(r1, 0, ASM_LDXS(BPF_H, 0, 1, 2), ASM_EXIT()), 0xffffffffffff8001ull);
	EXPECT_EQ(RUN(r1, 0, ASM_LDXS(BPF_H, 0, 1, 4), ASM_EXIT()), 0x7f7f);
	EXPECT_EQ(RUN(r1, 0, ASM_LDXS(BPF_W, 0, 1, 0), ASM_EXIT()), 0xffffffff8001ff80ull);
	EXPECT_EQ(RUN(r1, 0, ASM_LDXS(BPF_W, 0, 1, 4), ASM_EXIT()), 0x7fff7f7f);
}

/* Run one store into a 16-byte buffer of 0xaa at offset 4 (r1 = buffer + 8, off -4). */
static void check_store(struct ktest_state *kt, struct bpf_insn st, uint64_t r2,
			const uint8_t want[16])
{
	uint8_t mem[16];
	memset(mem, 0xaa, sizeof(mem));
	RUN((uint64_t)(uintptr_t)(mem + 8), r2, st, ASM_EXIT());
	if (memcmp(mem, want, sizeof(mem)) != 0)
		KT_FAIL("store 0x%02x: bytes 4..11 are %02x %02x %02x %02x %02x %02x %02x %02x",
			st.code, mem[4], mem[5], mem[6], mem[7], mem[8], mem[9], mem[10], mem[11]);
}

#define AA 0xaa, 0xaa, 0xaa, 0xaa
KTEST(bpf_interp, st_and_stx_all_sizes)
{
	const uint64_t v = 0x0807060504030201ull;
	check_store(kt, ASM_STX(BPF_B, 1, 2, -4), v,
		    (const uint8_t[16]){AA, 1, 0xaa, 0xaa, 0xaa, AA, AA});
	check_store(kt, ASM_STX(BPF_H, 1, 2, -4), v,
		    (const uint8_t[16]){AA, 1, 2, 0xaa, 0xaa, AA, AA});
	check_store(kt, ASM_STX(BPF_W, 1, 2, -4), v, (const uint8_t[16]){AA, 1, 2, 3, 4, AA, AA});
	check_store(kt, ASM_STX(BPF_DW, 1, 2, -4), v,
		    (const uint8_t[16]){AA, 1, 2, 3, 4, 5, 6, 7, 8, AA});
	check_store(kt, ASM_ST(BPF_B, 1, -4, 0x1234), 0,
		    (const uint8_t[16]){AA, 0x34, 0xaa, 0xaa, 0xaa, AA, AA});
	check_store(kt, ASM_ST(BPF_H, 1, -4, 0x1234), 0,
		    (const uint8_t[16]){AA, 0x34, 0x12, 0xaa, 0xaa, AA, AA});
	check_store(kt, ASM_ST(BPF_W, 1, -4, -2), 0,
		    (const uint8_t[16]){AA, 0xfe, 0xff, 0xff, 0xff, AA, AA});
	/* ST DW stores the imm sign-extended to 64 bits. */
	check_store(kt, ASM_ST(BPF_DW, 1, -4, -2), 0,
		    (const uint8_t[16]){AA, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, AA});
	check_store(kt, ASM_ST(BPF_DW, 1, -4, 0x7fffffff), 0,
		    (const uint8_t[16]){AA, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, AA});
	/* Misaligned. */
	check_store(kt, ASM_STX(BPF_W, 1, 2, -1), v,
		    (const uint8_t[16]){AA, 0xaa, 0xaa, 0xaa, 1, 2, 3, 4, 0xaa, AA});
}

KTEST(bpf_interp, stack_frame)
{
	/* r10 is 8-aligned, and all 512 bytes below it are the program's. */
	EXPECT_EQ(RUN(0, 0, ASM_MOV64_REG(0, 10), ASM_ALU64_IMM(BPF_AND, 0, 7), ASM_EXIT()), 0);
	EXPECT_EQ(RUN(0, 0, ASM_ST(BPF_DW, 10, -512, 0x11), ASM_ST(BPF_DW, 10, -8, 0x22),
		      ASM_LDX(BPF_DW, 0, 10, -512), ASM_LDX(BPF_DW, 1, 10, -8),
		      ASM_ALU64_IMM(BPF_LSH, 0, 8), ASM_ALU64_REG(BPF_OR, 0, 1), ASM_EXIT()),
		  0x1122);
}

/* ------------------------------------------------------------------------------------------ */
/* Atomics. */

/* The value op leaves in memory, from old and the operand. */
static uint64_t atomic_result(int32_t op, uint64_t old, uint64_t operand)
{
	switch (op & ~BPF_FETCH) {
	case BPF_ADD:
		return old + operand;
	case BPF_OR:
		return old | operand;
	case BPF_AND:
		return old & operand;
	case BPF_XOR:
		return old ^ operand;
	}
	return operand; /* BPF_XCHG */
}

KTEST(bpf_interp, atomic_rmw_with_and_without_fetch)
{
	static const int32_t ops[] = {BPF_ADD,
				      BPF_OR,
				      BPF_AND,
				      BPF_XOR,
				      BPF_ADD | BPF_FETCH,
				      BPF_OR | BPF_FETCH,
				      BPF_AND | BPF_FETCH,
				      BPF_XOR | BPF_FETCH,
				      BPF_XCHG};
	const uint64_t init = 0xaaaaaaaaf0f0ff0full, operand = 0x123456788f0f0ff1ull;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		for (int is64 = 0; is64 < 2; is64++) {
			uint64_t cell[2] = {init, init};
			/* Returns r2 (the operand or, with fetch, the old value) ^ 0x1000 from r0. */
			uint64_t got = RUN((uint64_t)(uintptr_t)&cell[1], operand,
					   ASM_MOV64_IMM(0, 0x1000),
					   ASM_ATOMIC(is64 ? BPF_DW : BPF_W, ops[i], 1, 2, -8),
					   ASM_ALU64_REG(BPF_XOR, 0, 2), ASM_EXIT());
			bool fetch = ops[i] & BPF_FETCH;
			uint64_t old = is64 ? init : (uint32_t)init;
			uint64_t want_mem =
				is64 ? atomic_result(ops[i], init, operand)
				     : (init & ~0xffffffffull) |
						(uint32_t)atomic_result(ops[i], init, operand);
			uint64_t want_r2 = fetch ? old : operand;
			if (cell[0] != want_mem || cell[1] != init || got != (want_r2 ^ 0x1000))
				KT_FAIL("atomic %s imm 0x%x: memory 0x%llx (want 0x%llx), next 0x%llx, src 0x%llx (want 0x%llx)",
					is64 ? "64" : "32", ops[i], (unsigned long long)cell[0],
					(unsigned long long)want_mem, (unsigned long long)cell[1],
					(unsigned long long)(got ^ 0x1000),
					(unsigned long long)want_r2);
		}
	}
}

/* cmpxchg on *r1 with comparand r2 (into r0) and new value r3 (a constant); returns r0 after. */
#define CMPXCHG_PROG(size, newval)                                                            \
	ASM_MOV64_REG(0, 2), ASM_LD_IMM64(3, newval), ASM_ATOMIC(size, BPF_CMPXCHG, 1, 3, 0), \
		ASM_EXIT()

KTEST(bpf_interp, cmpxchg_success_and_failure)
{
	uint64_t cell = 0x1111111122222222ull;
	uint64_t r1 = (uint64_t)(uintptr_t)&cell;
	/* Mismatch: memory kept, r0 gets what memory held. */
	EXPECT_EQ(RUN(r1, 5, CMPXCHG_PROG(BPF_DW, 0x3333333344444444ull)), 0x1111111122222222ull);
	EXPECT_EQ(cell, 0x1111111122222222ull);
	/* Match: memory swapped, r0 gets the old value (equal to the comparand). */
	EXPECT_EQ(RUN(r1, 0x1111111122222222ull, CMPXCHG_PROG(BPF_DW, 0x3333333344444444ull)),
		  0x1111111122222222ull);
	EXPECT_EQ(cell, 0x3333333344444444ull);
	/* 32-bit: compares the low halves only (r0's upper bits set), zero-extends the old value. */
	EXPECT_EQ(RUN(r1, 0xffffffff44444444ull, CMPXCHG_PROG(BPF_W, 0x99999999aaaaaaaaull)),
		  0x44444444);
	EXPECT_EQ(cell, 0x33333333aaaaaaaaull);
	EXPECT_EQ(RUN(r1, 0x44444444, CMPXCHG_PROG(BPF_W, 0x55555555)), 0xaaaaaaaa);
	EXPECT_EQ(cell, 0x33333333aaaaaaaaull);
}

/* ------------------------------------------------------------------------------------------ */
/* Calls. */

KTEST(bpf_interp, helper_gets_r1_to_r5_and_sets_r0)
{
	memset(helper_args, 0, sizeof(helper_args));
	uint64_t r0 =
		RUN(0, 0, ASM_LD_IMM64(1, 0x100000001ull), ASM_MOV64_IMM(2, 2), ASM_MOV64_IMM(3, 3),
		    ASM_MOV64_IMM(4, 4), ASM_LD_IMM64(5, 0x8000000000000005ull),
		    ASM_MOV64_IMM(6, 77), ASM_CALL_HELPER(H_WEIGH), ASM_JMP_IMM(BPF_JEQ, 6, 77, 1),
		    ASM_MOV64_IMM(0, 0), ASM_EXIT());
	EXPECT_EQ(helper_args[0], 0x100000001ull);
	EXPECT_EQ(helper_args[1], 2);
	EXPECT_EQ(helper_args[2], 3);
	EXPECT_EQ(helper_args[3], 4);
	EXPECT_EQ(helper_args[4], 0x8000000000000005ull);
	EXPECT_EQ(r0, 0x100000001ull + 4 + 9 + 16 + 5 * 0x8000000000000005ull);
}

KTEST(bpf_interp, local_call_passes_args_and_keeps_r6_to_r9)
{
	static const struct bpf_insn insns[] = {
		ASM_MOV64_IMM(1, 1),
		ASM_MOV64_IMM(2, 2),
		ASM_MOV64_IMM(3, 3),
		ASM_MOV64_IMM(4, 4),
		ASM_MOV64_IMM(5, 5),
		ASM_MOV64_IMM(6, 6),
		ASM_MOV64_IMM(7, 7),
		ASM_MOV64_IMM(8, 8),
		ASM_MOV64_IMM(9, 9),
		ASM_CALL_LOCAL(9), /* insn 9: to 19 */
		/* r0 = sum from the callee * 10000 + r6 r7 r8 r9 as digits */
		ASM_ALU64_IMM(BPF_MUL, 0, 10),
		ASM_ALU64_REG(BPF_ADD, 0, 6),
		ASM_ALU64_IMM(BPF_MUL, 0, 10),
		ASM_ALU64_REG(BPF_ADD, 0, 7),
		ASM_ALU64_IMM(BPF_MUL, 0, 10),
		ASM_ALU64_REG(BPF_ADD, 0, 8),
		ASM_ALU64_IMM(BPF_MUL, 0, 10),
		ASM_ALU64_REG(BPF_ADD, 0, 9),
		ASM_EXIT(),
		/* 19: r0 = r1 + .. + r5, then clobber r6..r9 */
		ASM_MOV64_REG(0, 1),
		ASM_ALU64_REG(BPF_ADD, 0, 2),
		ASM_ALU64_REG(BPF_ADD, 0, 3),
		ASM_ALU64_REG(BPF_ADD, 0, 4),
		ASM_ALU64_REG(BPF_ADD, 0, 5),
		ASM_MOV64_IMM(6, 0),
		ASM_MOV64_IMM(7, 0),
		ASM_MOV64_IMM(8, 0),
		ASM_MOV64_IMM(9, 0),
		ASM_EXIT(),
	};
	static const uint32_t starts[] = {0, 19};
	static const uint16_t depths[] = {0, 0};
	struct bpf_exec_prog p = prog_of(insns, NINSNS(insns), 2, starts, depths);
	EXPECT_EQ(run_prog(kt, &p, 0, 0, 0), 156789);
}

KTEST(bpf_interp, local_call_gets_its_own_stack)
{
	static const struct bpf_insn prog[] = {
		ASM_ST(BPF_DW, 10, -8, 0x1111),     /* 0 */
		ASM_ST(BPF_DW, 10, -64, 0x2222),    /* 1 */
		ASM_MOV64_REG(6, 10),               /* 2 */
		ASM_CALL_LOCAL(10),                 /* 3: to 14 */
		ASM_MOV64_REG(1, 6),                /* 4 */
		ASM_ALU64_REG(BPF_SUB, 1, 0),       /* 5 */
		ASM_MOV64_REG(0, 1),                /* 6: r0 = caller r10 - callee r10 */
		ASM_LDX(BPF_DW, 2, 10, -8),         /* 7: the caller's slots are intact */
		ASM_JMP_IMM(BPF_JNE, 2, 0x1111, 3), /* 8: to 12 */
		ASM_LDX(BPF_DW, 2, 10, -64),        /* 9 */
		ASM_JMP_IMM(BPF_JNE, 2, 0x2222, 1), /* 10: to 12 */
		ASM_EXIT(),                         /* 11 */
		ASM_MOV64_IMM(0, -1),               /* 12 */
		ASM_EXIT(),                         /* 13 */
		ASM_ST(BPF_DW, 10, -8, 0x3333),     /* 14: the callee fills its 32 bytes */
		ASM_ST(BPF_DW, 10, -32, 0x4444),    /* 15 */
		ASM_MOV64_REG(0, 10),               /* 16 */
		ASM_EXIT(),                         /* 17 */
	};
	static const uint32_t starts[] = {0, 14};
	static const uint16_t depths[] = {64, 32};
	struct bpf_exec_prog p = prog_of(prog, NINSNS(prog), 2, starts, depths);
	/* The callee's stack lies right below the caller's 64 bytes. */
	EXPECT_EQ(run_prog(kt, &p, 0, 0, 0), 64);
}

/*
 * A chain of n subprograms, each calling the next, each with a stack of depth (>= 16) bytes: each
 * marks the top and bottom slots of its stack, calls, then adds to r0 1 plus how much its marks
 * changed. So r0 = n exactly when every frame's stack survived the frames below it. insns has
 * room for CHAIN_INSNS(n); starts and depths for n.
 */
#define CHAIN_STEP 11
#define CHAIN_INSNS(n) ((n)*CHAIN_STEP)
static void build_chain(struct bpf_insn *insns, uint32_t *starts, uint16_t *depths, uint32_t n,
			int16_t depth)
{
	for (uint32_t k = 0; k < n; k++) {
		struct bpf_insn *in = &insns[k * CHAIN_STEP];
		starts[k] = k * CHAIN_STEP;
		depths[k] = (uint16_t)depth;
		in[0] = ASM_ST(BPF_DW, 10, -8, 100 + k);
		in[1] = ASM_ST(BPF_DW, 10, -depth, 200 + k);
		in[2] = k + 1 < n ? ASM_CALL_LOCAL(CHAIN_STEP - 3) : ASM_MOV64_IMM(0, 0);
		in[3] = ASM_LDX(BPF_DW, 1, 10, -8);
		in[4] = ASM_ALU64_IMM(BPF_SUB, 1, 100 + k);
		in[5] = ASM_LDX(BPF_DW, 2, 10, -depth);
		in[6] = ASM_ALU64_IMM(BPF_SUB, 2, 200 + k);
		in[7] = ASM_ALU64_REG(BPF_OR, 1, 2);
		in[8] = ASM_ALU64_REG(BPF_ADD, 0, 1);
		in[9] = ASM_ALU64_IMM(BPF_ADD, 0, 1);
		in[10] = ASM_EXIT();
	}
}

/* Prepare and run a chain of n frames of depth bytes; NOT_PREPARED if prepare refuses it. */
static uint64_t run_chain(uint32_t n, int16_t depth)
{
	struct bpf_insn insns[CHAIN_INSNS(BPF_MAX_CALL_DEPTH + 1)];
	uint32_t starts[BPF_MAX_CALL_DEPTH + 1];
	uint16_t depths[BPF_MAX_CALL_DEPTH + 1];
	build_chain(insns, starts, depths, n, depth);
	struct bpf_exec_prog p = prog_of(insns, CHAIN_INSNS(n), n, starts, depths);
	struct bpf_interp_image *img = bpf_interp_prepare(&p);
	if (!img)
		return NOT_PREPARED;
	uint64_t args[5] = {0};
	uint64_t r0 = bpf_interp_run(img, 0, args);
	bpf_interp_free(img);
	return r0;
}

KTEST(bpf_interp, call_depth_8_and_not_9)
{
	EXPECT_EQ(run_chain(2, 16), 2);
	EXPECT_EQ(run_chain(BPF_MAX_CALL_DEPTH, 16), BPF_MAX_CALL_DEPTH);
	EXPECT_EQ(run_chain(BPF_MAX_CALL_DEPTH + 1, 16), NOT_PREPARED);
}

KTEST(bpf_interp, full_stacks_in_every_frame)
{
	/* 2 x 256 bytes: the small stack tier, exactly full. */
	EXPECT_EQ(run_chain(2, 256), 2);
	/* 8 x 512 bytes: the large tier, exactly full (ASan watches its ends). */
	EXPECT_EQ(run_chain(BPF_MAX_CALL_DEPTH, BPF_STACK_FRAME_MAX), BPF_MAX_CALL_DEPTH);
	EXPECT_EQ(run_chain(3, BPF_STACK_FRAME_MAX), 3);
}

KTEST(bpf_interp, recursion_refused)
{
	static const struct bpf_insn direct[] = {
		ASM_CALL_LOCAL(1),
		ASM_EXIT(),
		ASM_CALL_LOCAL(-1),
		ASM_EXIT(),
	};
	static const struct bpf_insn mutual[] = {
		ASM_CALL_LOCAL(1), ASM_EXIT(),         ASM_CALL_LOCAL(1),
		ASM_EXIT(),        ASM_CALL_LOCAL(-3), ASM_EXIT(),
	};
	static const uint32_t starts[] = {0, 2, 4};
	static const uint16_t depths[] = {8, 8, 8};
	struct bpf_exec_prog p = prog_of(direct, NINSNS(direct), 2, starts, depths);
	EXPECT_NULL(bpf_interp_prepare(&p));
	p = prog_of(mutual, NINSNS(mutual), 3, starts, depths);
	EXPECT_NULL(bpf_interp_prepare(&p));
}

/*
 * A helper that runs a callback subprogram, as bpf_loop does, nested 4 deep: subprogram 1 with r1 = n
 * returns n + (itself run with n - 1), 0 for n = 0, keeping n on its stack across the nested run.
 */
KTEST(bpf_interp, helper_runs_nested_callbacks)
{
	static const struct bpf_insn prog[] = {
		ASM_ST(BPF_DW, 10, -8, 0x5a),     /* 0 */
		ASM_MOV64_IMM(1, 1),              /* 1: subprogram 1 */
		ASM_MOV64_IMM(2, 3),              /* 2: n = 3 */
		ASM_CALL_HELPER(H_NESTED_RUN),    /* 3 */
		ASM_LDX(BPF_DW, 1, 10, -8),       /* 4 */
		ASM_JMP_IMM(BPF_JEQ, 1, 0x5a, 1), /* 5 */
		ASM_MOV64_IMM(0, -1),             /* 6 */
		ASM_EXIT(),                       /* 7 */
		ASM_MOV64_IMM(0, 0),              /* 8: subprogram 1 */
		ASM_JMP_IMM(BPF_JEQ, 1, 0, 7),    /* 9: to 17 */
		ASM_STX(BPF_DW, 10, 1, -8),       /* 10 */
		ASM_MOV64_REG(2, 1),              /* 11 */
		ASM_ALU64_IMM(BPF_SUB, 2, 1),     /* 12 */
		ASM_MOV64_IMM(1, 1),              /* 13 */
		ASM_CALL_HELPER(H_NESTED_RUN),    /* 14 */
		ASM_LDX(BPF_DW, 1, 10, -8),       /* 15 */
		ASM_ALU64_REG(BPF_ADD, 0, 1),     /* 16 */
		ASM_EXIT(),                       /* 17 */
	};
	static const uint32_t starts[] = {0, 8};
	static const uint16_t depths[] = {8, 8};
	struct bpf_exec_prog p = prog_of(prog, NINSNS(prog), 2, starts, depths);
	struct bpf_interp_image *img = bpf_interp_prepare(&p);
	ASSERT_NONNULL(img);
	nested_img = img;
	nested_max_level = nested_level = 0;
	uint64_t args[5] = {0};
	EXPECT_EQ(bpf_interp_run(img, 0, args), 3 + 2 + 1);
	EXPECT_EQ(nested_max_level, 4);
	/* The callback run directly, as a helper starts it. */
	args[0] = 10;
	EXPECT_EQ(bpf_interp_run(img, 1, args), 55);
	bpf_interp_free(img);
}

static void run_missing_subprog(void)
{
	static const struct bpf_insn prog[] = {ASM_EXIT()};
	static const uint32_t start0[1] = {0};
	static const uint16_t depth0[1] = {0};
	struct bpf_exec_prog p = prog_of(prog, 1, 1, start0, depth0);
	uint64_t args[5] = {0};
	bpf_interp_run(bpf_interp_prepare(&p), 1, args);
}

KTEST(bpf_interp, run_of_a_missing_subprogram_panics)
{
	EXPECT_DIES(run_missing_subprog, "bpf_interp_run: subprogram 1 of 1");
}

/* ------------------------------------------------------------------------------------------ */
/* Probing loads. */

KTEST(bpf_interp, probe_loads_read_or_yield_zero)
{
	uint64_t v = 0x8070605040302010ull;
	uint64_t good = (uint64_t)(uintptr_t)&v;
	EXPECT_EQ(RUN(good, 0, ASM_PROBE(BPF_DW, 0, 1, 0), ASM_EXIT()), v);
	EXPECT_EQ(RUN(good, 0, ASM_PROBE(BPF_W, 0, 1, 4), ASM_EXIT()), 0x80706050);
	EXPECT_EQ(RUN(good, 0, ASM_PROBE(BPF_H, 0, 1, 6), ASM_EXIT()), 0x8070);
	EXPECT_EQ(RUN(good, 0, ASM_PROBE(BPF_B, 0, 1, 7), ASM_EXIT()), 0x80);
	EXPECT_EQ(RUN(good, 0, ASM_PROBES(BPF_W, 0, 1, 4), ASM_EXIT()), 0xffffffff80706050ull);
	EXPECT_EQ(RUN(good, 0, ASM_PROBES(BPF_H, 0, 1, 6), ASM_EXIT()), 0xffffffffffff8070ull);
	EXPECT_EQ(RUN(good, 0, ASM_PROBES(BPF_B, 0, 1, 7), ASM_EXIT()), 0xffffffffffffff80ull);
	EXPECT_EQ(RUN(good, 0, ASM_PROBES(BPF_B, 0, 1, 0), ASM_EXIT()), 0x10);

	/* NULL, page 0 and an unmapped page: 0 in dst (set to something else before), no fault. */
	long page = sysconf(_SC_PAGESIZE);
	void *gone = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(gone != MAP_FAILED);
	munmap(gone, (size_t)page);
	const uint64_t bad[] = {0, 8, (uint64_t)(uintptr_t)gone, (uint64_t)(uintptr_t)gone + 0x7f8};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(
			RUN(bad[i], 0, ASM_MOV64_IMM(0, 7), ASM_PROBE(BPF_DW, 0, 1, 0), ASM_EXIT()),
			0);
		EXPECT_EQ(
			RUN(bad[i], 0, ASM_MOV64_IMM(0, 7), ASM_PROBE(BPF_B, 0, 1, 0), ASM_EXIT()),
			0);
		EXPECT_EQ(
			RUN(bad[i], 0, ASM_MOV64_IMM(0, 7), ASM_PROBES(BPF_W, 0, 1, 0), ASM_EXIT()),
			0);
		EXPECT_EQ(
			RUN(bad[i], 0, ASM_MOV64_IMM(0, 7), ASM_PROBES(BPF_H, 0, 1, 0), ASM_EXIT()),
			0);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* What bpf_interp_prepare refuses. */

struct refusal {
	const char *why;
	struct bpf_insn insns[4];
	uint32_t len;
};

KTEST(bpf_interp, prepare_refuses_what_it_cannot_run)
{
	static const struct refusal cases[] = {
		{"unknown ALU operation", {ASM_INSN(BPF_ALU64 | 0xf0, 0, 0, 0, 0), ASM_EXIT()}, 2},
		{"may_goto (not RFC 9669)",
		 {ASM_INSN(BPF_JMP | BPF_JCOND, 0, 0, 0, 0), ASM_EXIT()},
		 2},
		{"legacy LD_ABS", {ASM_INSN(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 0), ASM_EXIT()}, 2},
		{"legacy LD_IND", {ASM_INSN(BPF_LD | BPF_IND | BPF_W, 0, 1, 0, 0), ASM_EXIT()}, 2},
		{"LD_IMM64 with a pseudo source left",
		 {ASM_INSN(BPF_LD | BPF_IMM | BPF_DW, 0, BPF_PSEUDO_MAP_FD, 0, 3),
		  ASM_INSN(0, 0, 0, 0, 0), ASM_EXIT()},
		 3},
		{"LD_IMM64 cut short",
		 {ASM_EXIT(), ASM_INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 3)},
		 2},
		{"jump past the end", {ASM_JA(5), ASM_EXIT()}, 2},
		{"jump before the start", {ASM_JMP_IMM(BPF_JEQ, 0, 0, -3), ASM_EXIT()}, 2},
		{"jump into an LD_IMM64", {ASM_JA(1), ASM_LD_IMM64(0, 1), ASM_EXIT()}, 4},
		{"gotol past the end", {ASM_GOTOL(1), ASM_EXIT()}, 2},
		{"falls off the end", {ASM_MOV64_IMM(0, 0)}, 1},
		{"helper number past the table", {ASM_CALL_HELPER(N_HELPERS), ASM_EXIT()}, 2},
		{"negative helper number", {ASM_CALL_HELPER(-1), ASM_EXIT()}, 2},
		{"helper with a NULL entry", {ASM_CALL_HELPER(H_NULL), ASM_EXIT()}, 2},
		{"kfunc call not resolved",
		 {ASM_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 1), ASM_EXIT()},
		 2},
		{"call to no subprogram start", {ASM_CALL_LOCAL(0), ASM_EXIT()}, 2},
		{"call in JMP32",
		 {ASM_INSN(BPF_JMP32 | BPF_CALL, 0, 0, 0, H_WEIGH), ASM_EXIT()},
		 2},
		{"callx", {ASM_INSN(BPF_JMP | BPF_CALL | BPF_X, 1, 0, 0, 0), ASM_EXIT()}, 2},
		{"exit in JMP32", {ASM_INSN(BPF_JMP32 | BPF_EXIT, 0, 0, 0, 0), ASM_EXIT()}, 2},
		{"byte swap of 8 bits", {ASM_BE(0, 8), ASM_EXIT()}, 2},
		{"ALU64 byte swap with the source bit",
		 {ASM_INSN(BPF_ALU64 | BPF_END | BPF_X, 0, 0, 0, 16), ASM_EXIT()},
		 2},
		{"32-bit MOVSX from 32 bits", {ASM_MOVSX32(0, 1, 32), ASM_EXIT()}, 2},
		{"MOVSX from 24 bits", {ASM_MOVSX64(0, 1, 24), ASM_EXIT()}, 2},
		{"MOV imm with an offset",
		 {ASM_INSN(BPF_ALU64 | BPF_K | BPF_MOV, 0, 0, 8, 1), ASM_EXIT()},
		 2},
		{"division with offset 2", {ASM_ALU64_IMM_OFF(BPF_DIV, 2, 0, 3), ASM_EXIT()}, 2},
		{"NEG with a register source",
		 {ASM_INSN(BPF_ALU64 | BPF_X | BPF_NEG, 0, 1, 0, 0), ASM_EXIT()},
		 2},
		{"atomic on a byte", {ASM_ATOMIC(BPF_B, BPF_ADD, 10, 1, -8), ASM_EXIT()}, 2},
		{"atomic subtract", {ASM_ATOMIC(BPF_DW, BPF_SUB, 10, 1, -8), ASM_EXIT()}, 2},
		{"atomic mode in ST",
		 {ASM_INSN(BPF_ST | BPF_ATOMIC | BPF_DW, 10, 0, -8, BPF_ADD), ASM_EXIT()},
		 2},
		{"sign-extending 64-bit load", {ASM_LDXS(BPF_DW, 0, 10, -8), ASM_EXIT()}, 2},
		{"register 11", {ASM_MOV64_IMM(11, 0), ASM_EXIT()}, 2},
	};
	static const uint32_t start0[1] = {0};
	static const uint16_t depth8[1] = {8};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bpf_exec_prog p = prog_of(cases[i].insns, cases[i].len, 1, start0, depth8);
		struct bpf_interp_image *img = bpf_interp_prepare(&p);
		if (img) {
			KT_FAIL("prepared a program with %s", cases[i].why);
			bpf_interp_free(img);
		}
	}
	/* The control: the same frame with a valid instruction is prepared. */
	EXPECT_EQ(RUN(0, 0, ASM_MOV64_IMM(0, 3), ASM_EXIT()), 3);
}

struct bad_layout {
	const char *why;
	const struct bpf_insn *insns;
	uint32_t len, nsub;
	const uint32_t *starts;
	const uint16_t *depths;
};

KTEST(bpf_interp, prepare_refuses_bad_layouts)
{
	static const struct bpf_insn two[] = {ASM_CALL_LOCAL(0), ASM_EXIT(), ASM_EXIT()};
	static const struct bpf_insn imm64[] = {ASM_LD_IMM64(0, 1), ASM_EXIT()};
	static const struct bpf_insn mid[] = {ASM_CALL_LOCAL(2), ASM_EXIT(), ASM_MOV64_IMM(0, 1),
					      ASM_EXIT()};
	static const uint32_t starts_ok[] = {0, 1}, starts_mid[] = {0, 2};
	static const uint16_t depths_ok[] = {8, 8, 8};
	const struct bad_layout cases[] = {
		{"starts out of order", two, 3, 3, (const uint32_t[]){0, 2, 1}, depths_ok},
		{"a start past the end", two, 3, 2, (const uint32_t[]){0, 3}, depths_ok},
		{"no subprogram at 0", two, 3, 1, (const uint32_t[]){1}, depths_ok},
		{"a frame over 512 bytes", two, 3, 2, starts_ok,
		 (const uint16_t[]){8, BPF_STACK_FRAME_MAX + 8}},
		{"no instructions", two, 0, 1, starts_ok, depths_ok},
		{"a start inside an LD_IMM64", imm64, 3, 2, starts_ok, depths_ok},
		{"a call into the middle of a subprogram", mid, 4, 2, starts_mid, depths_ok},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_layout *c = &cases[i];
		struct bpf_exec_prog p = prog_of(c->insns, c->len, c->nsub, c->starts, c->depths);
		struct bpf_interp_image *img = bpf_interp_prepare(&p);
		if (img) {
			KT_FAIL("prepared a program with %s", c->why);
			bpf_interp_free(img);
		}
	}
	/* The control: two subprograms, the first calling the second. */
	struct bpf_exec_prog p = prog_of(two, 3, 2, starts_ok, depths_ok);
	EXPECT_EQ(run_prog(kt, &p, 0, 0, 0), 0);
}
