/*
 * Host tests of the x86-64 JIT (arch/x86_64/bpf_jit.c), one or more per instruction class, each
 * checked against a C reference written here: ALU and ALU64 (division by zero and by -1, the
 * 32-bit forms' zero extension, shifts masked to width, sign extensions, byte swaps), jumps at
 * boundary values, rel8 and rel32 jumps, loads and stores of every size, atomics, probing loads,
 * helper calls, bpf-to-bpf calls 8 frames deep with a stack per frame, what the JIT refuses, and
 * W^X of the code memory.
 *
 * Most single-instruction tests run the instruction between a prologue that loads all of r0..r9
 * with known values and an epilogue that dumps r0..r9 through the stack into a buffer, so that a
 * translation that clobbers a register it borrows (rax and rdx for division, rcx for shifts, rax
 * for the atomic loops) fails as surely as one that computes the wrong value.
 */
#include <stdio.h>
#include <string.h>

#include "kernel/bpf/exec.h"
#include "kernel/ktest.h"
#include "mm/kmem.h"
#include "mm/pmm.h"
#include "tests/host/bpf_asm.h"
#include "tests/host/testutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

TEST_LEAK_CHECK_EVERY_TEST()

/* ---------------------------------------------------------------------------------------- */
/* Helpers the programs call (calls[] index = helper number). */

static uint64_t h_weigh(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e;
}

static struct bpf_jit_image *nested_img;

/* Runs nested_img's subprogram 0 with its own arguments: a callback, as a helper would run one. */
static uint64_t h_nested(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return bpf_jit_entry(nested_img, 0)(a, b, c, d, e) + 1000;
}

static const bpf_func_t helpers[] = {NULL, h_weigh, h_nested};

/* ---------------------------------------------------------------------------------------- */
/* Building and running programs. */

#define MAX_INSNS 4096

struct builder {
	struct bpf_insn in[MAX_INSNS];
	uint32_t n;
};

static void put(struct builder *b, struct bpf_insn insn)
{
	if (b->n < MAX_INSNS)
		b->in[b->n++] = insn;
}

static void put_ld64(struct builder *b, int reg, uint64_t v)
{
	put(b, ASM_INSN(BPF_LD | BPF_IMM | BPF_DW, reg, 0, 0, (uint32_t)v));
	put(b, ASM_INSN(0, 0, 0, 0, (uint32_t)(v >> 32)));
}

/* A program of nsub subprograms starting at starts[], each with stack depth depth[]. */
static struct bpf_jit_image *compile_subs(const struct bpf_insn *in, uint32_t n, uint32_t nsub,
					  const uint32_t *starts, const uint16_t *depth)
{
	struct bpf_exec_prog p = {in, n, nsub, starts, depth, helpers, ARRAY_SIZE(helpers)};
	return bpf_jit_compile(&p);
}

/* A one-subprogram program with a 512-byte stack. */
static struct bpf_jit_image *compile(const struct bpf_insn *in, uint32_t n)
{
	static const uint32_t start = 0;
	static const uint16_t depth = BPF_STACK_FRAME_MAX;
	return compile_subs(in, n, 1, &start, &depth);
}

#define RUN_FAILED 0xdeadbeefdeadbeefull

/* Compile and run with r1, r2; returns r0, or RUN_FAILED after recording that it did not compile. */
static uint64_t run2(struct ktest_state *kt, const struct bpf_insn *in, uint32_t n, uint64_t r1,
		     uint64_t r2)
{
	struct bpf_jit_image *img = compile(in, n);
	if (!img) {
		KT_FAIL("bpf_jit_compile refused a %u-instruction program", n);
		return RUN_FAILED;
	}
	uint64_t r0 = bpf_jit_entry(img, 0)(r1, r2, 0, 0, 0);
	bpf_jit_free(img);
	return r0;
}

#define RUN(prog, r1, r2) run2(kt, prog, ARRAY_SIZE(prog), r1, r2)

/*
 * The dump harness: r0..r9 = init[0..9], then ops, then r0..r9 and the stack slot r10 - 88 into
 * out[0..10] (through the stack, so that no register is needed to hold the buffer's address
 * before all are saved). ops may use the stack below r10 - 88 and memory they name themselves.
 */
#define DUMP_SLOT (-88)
static uint64_t dump_out[11];

static bool run_dump(struct ktest_state *kt, const struct bpf_insn *ops, uint32_t nops,
		     const uint64_t init[10], uint64_t out[11])
{
	struct builder b = {.n = 0};
	for (int r = 0; r <= 9; r++)
		put_ld64(&b, r, init[r]);
	put(&b, ASM_ST(BPF_DW, 10, DUMP_SLOT, 0x5107));
	for (uint32_t k = 0; k < nops; k++)
		put(&b, ops[k]);
	for (int r = 0; r <= 9; r++)
		put(&b, ASM_STX(BPF_DW, 10, r, -8 * (r + 1)));
	put_ld64(&b, 1, (uintptr_t)dump_out);
	for (int r = 0; r <= 10; r++) {
		put(&b, ASM_LDX(BPF_DW, 2, 10, -8 * (r + 1)));
		put(&b, ASM_STX(BPF_DW, 1, 2, 8 * r));
	}
	put(&b, ASM_EXIT());
	if (run2(kt, b.in, b.n, 0, 0) == RUN_FAILED)
		return false;
	memcpy(out, dump_out, sizeof(dump_out));
	return true;
}

/* Distinct values for the registers an instruction does not name. */
static void sentinels(uint64_t init[10])
{
	for (int r = 0; r <= 9; r++)
		init[r] = 0x5e5e000000000000ull | (uint64_t)r << 32 | (0xa0 + r);
}

/* Compare out[0..10] with want[0..10], naming the first difference. */
static bool same_regs(struct ktest_state *kt, const char *what, const uint64_t out[11],
		      const uint64_t want[11])
{
	static const char *const names[11] = {"r0", "r1", "r2", "r3", "r4",        "r5",
					      "r6", "r7", "r8", "r9", "stack slot"};
	for (int r = 0; r <= 10; r++) {
		if (out[r] != want[r]) {
			KT_FAIL("%s: %s is %#lx, want %#lx", what, names[r], out[r], want[r]);
			return false;
		}
	}
	return true;
}

/* ---------------------------------------------------------------------------------------- */
/* References. */

static const uint64_t edge_values[] = {
	0,
	1,
	2,
	3,
	7,
	0x7f,
	0x80,
	0xff,
	0x7fff,
	0x8000,
	0xffff,
	0x7fffffff,
	0x80000000,
	0xffffffff,
	0x100000000ull,
	0x123456789abcdefull,
	0x7fffffffffffffffull,
	0x8000000000000000ull,
	0xfffffffffffffffeull,
	0xffffffffffffffffull,
	0xffffffff80000000ull,
	0xfffffffffffffff9ull,
	0x00000001fffffff9ull,
	0x8000000000000001ull,
};

/* The boundaries that matter to comparisons and the simpler operations. */
static const uint64_t boundary_values[] = {
	0,
	1,
	2,
	0x7fffffff,
	0x80000000,
	0xffffffff,
	0x100000000ull,
	0x7fffffffffffffffull,
	0x8000000000000000ull,
	0xfffffffffffffffeull,
	0xffffffffffffffffull,
	0xffffffff80000000ull,
};

static uint64_t ref_alu(unsigned op, bool w, bool sgn, uint64_t a, uint64_t b)
{
	unsigned mask = w ? 63 : 31;
	uint64_t r = 0;
	if (!w) {
		a = (uint32_t)a;
		b = (uint32_t)b;
	}
	switch (op) {
	case BPF_ADD:
		r = a + b;
		break;
	case BPF_SUB:
		r = a - b;
		break;
	case BPF_MUL:
		r = a * b;
		break;
	case BPF_OR:
		r = a | b;
		break;
	case BPF_AND:
		r = a & b;
		break;
	case BPF_XOR:
		r = a ^ b;
		break;
	case BPF_LSH:
		r = a << (b & mask);
		break;
	case BPF_RSH:
		r = a >> (b & mask);
		break;
	case BPF_ARSH:
		r = w ? (uint64_t)((int64_t)a >> (b & mask))
		      : (uint32_t)((int32_t)(uint32_t)a >> (b & mask));
		break;
	case BPF_DIV:
	case BPF_MOD: {
		bool div = op == BPF_DIV;
		bool minus1 = w ? b == UINT64_MAX : b == UINT32_MAX;
		if (b == 0)
			r = div ? 0 : a;
		else if (!sgn)
			r = div ? a / b : a % b;
		else if (minus1)
			r = div ? 0 - a : 0;
		else if (w)
			r = (uint64_t)(div ? (int64_t)a / (int64_t)b : (int64_t)a % (int64_t)b);
		else
			r = (uint32_t)(div ? (int32_t)a / (int32_t)b : (int32_t)a % (int32_t)b);
		break;
	}
	}
	return w ? r : (uint32_t)r;
}

/* ---------------------------------------------------------------------------------------- */
/* ALU and conditional jumps. */

static bool ref_jmp(unsigned op, bool w, uint64_t a, uint64_t b)
{
	uint64_t ua = w ? a : (uint32_t)a, ub = w ? b : (uint32_t)b;
	int64_t sa = w ? (int64_t)a : (int32_t)a, sb = w ? (int64_t)b : (int32_t)b;
	switch (op) {
	case BPF_JEQ:
		return ua == ub;
	case BPF_JNE:
		return ua != ub;
	case BPF_JGT:
		return ua > ub;
	case BPF_JGE:
		return ua >= ub;
	case BPF_JLT:
		return ua < ub;
	case BPF_JLE:
		return ua <= ub;
	case BPF_JSET:
		return (ua & ub) != 0;
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

/*
 * One ALU or conditional-jump operation (cls: BPF_ALU64 or BPF_JMP; the 32-bit class is checked
 * too) for every a in as and b in bs, in the register form on each pair of pairs[] (b = a when the
 * pair names one register twice) and in the immediate form on r1 with b as the imm. An ALU result
 * must be ref_alu's in dst; a jump must be taken exactly when ref_jmp says; every other register
 * must keep its value.
 */
struct binop {
	uint8_t cls, op;
	int16_t off;
	const int (*pairs)[2];
	size_t npairs;
	const uint64_t *as, *bs;
	size_t nas, nbs;
};

static void check_binop(struct ktest_state *kt, const struct binop *t)
{
	bool jump = t->cls == BPF_JMP;
	for (int w = 0; w <= 1; w++)
		for (size_t i = 0; i < t->nas; i++)
			for (size_t k = 0; k < t->nbs; k++)
				for (size_t pr = 0; pr <= t->npairs; pr++) {
					bool x = pr < t->npairs;
					int dst = x ? t->pairs[pr][0] : 1,
					    src = x ? t->pairs[pr][1] : 0;
					uint64_t a = t->as[i], b = x && dst == src ? a : t->bs[k];
					uint8_t cls = jump ? (w ? BPF_JMP : BPF_JMP32)
							   : (w ? BPF_ALU64 : BPF_ALU);
					uint64_t init[10], out[11], want[11];
					sentinels(init);
					init[dst] = a;
					if (x)
						init[src] = b;
					else /* the operation sees the immediate as its class widens it */
						b = w || jump ? (uint64_t)(int64_t)(int32_t)b
							      : (uint32_t)b;
					struct bpf_insn ops[] = {
						ASM_INSN(cls | (x ? BPF_X : BPF_K) | t->op, dst,
							 src, jump ? 2 : t->off,
							 x ? 0 : (int32_t)b),
						ASM_ST(BPF_DW, 10, DUMP_SLOT, 1),
						ASM_JA(1),
						ASM_ST(BPF_DW, 10, DUMP_SLOT, 2),
					};
					if (!run_dump(kt, ops, jump ? 4 : 1, init, out))
						return;
					memcpy(want, init, sizeof(init));
					if (jump) {
						want[10] = ref_jmp(t->op, w, a, b) ? 2 : 1;
					} else {
						want[10] = 0x5107;
						want[dst] = ref_alu(t->op, w, t->off == 1, a, b);
					}
					char what[96];
					snprintf(what, sizeof(what),
						 "class %#x op %#x off %d r%d %#lx, %s %#lx", cls,
						 t->op, t->off, dst, a, x ? "reg" : "imm", b);
					if (!same_regs(kt, what, out, want))
						return;
				}
}

#define BINOP(cls_, op_, off_, pairs_, as_, bs_)                                               \
	check_binop(kt, &(struct binop){cls_, op_, off_, pairs_, ARRAY_SIZE(pairs_), as_, bs_, \
					ARRAY_SIZE(as_), ARRAY_SIZE(bs_)})

static const int plain_pairs[][2] = {{1, 2}, {6, 9}, {0, 5}, {7, 7}};

KTEST(bpf_jit, alu_add_sub_mul_logic)
{
	static const uint8_t ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_OR, BPF_AND, BPF_XOR};
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		BINOP(BPF_ALU64, ops[i], 0, plain_pairs, boundary_values, boundary_values);
}

/* Pairs that put dst or src in rax (r0), rdx (r3) or both, which division borrows. */
static const int div_pairs[][2] = {{1, 2}, {0, 2}, {3, 2}, {2, 0}, {2, 3},
				   {0, 3}, {3, 0}, {4, 4}, {9, 5}};

KTEST(bpf_jit, div_mod_unsigned)
{
	BINOP(BPF_ALU64, BPF_DIV, 0, div_pairs, edge_values, edge_values);
	BINOP(BPF_ALU64, BPF_MOD, 0, div_pairs, edge_values, edge_values);
}

KTEST(bpf_jit, div_mod_signed)
{
	BINOP(BPF_ALU64, BPF_DIV, 1, div_pairs, edge_values, edge_values);
	BINOP(BPF_ALU64, BPF_MOD, 1, div_pairs, edge_values, edge_values);
}

/* The RFC's named cases, spelled out once more as programs of their own. */
KTEST(bpf_jit, div_edge_cases_spelled_out)
{
	static const struct bpf_insn sdiv_min[] = {
		ASM_LD_IMM64(0, 0x8000000000000000ull),
		ASM_MOV64_IMM(1, -1),
		ASM_ALU64_REG_OFF(BPF_DIV, 1, 0, 1),
		ASM_EXIT(),
	};
	static const struct bpf_insn smod_min[] = {
		ASM_LD_IMM64(0, 0x8000000000000000ull),
		ASM_ALU64_IMM_OFF(BPF_MOD, 1, 0, -1),
		ASM_EXIT(),
	};
	static const struct bpf_insn sdiv32_min[] = {
		ASM_LD_IMM64(0, 0xffffffff80000000ull),
		ASM_MOV64_IMM(2, -1),
		ASM_ALU32_REG_OFF(BPF_DIV, 1, 0, 2),
		ASM_EXIT(),
	};
	static const struct bpf_insn div0[] = {
		ASM_MOV64_IMM(0, 77),
		ASM_MOV64_IMM(2, 0),
		ASM_ALU64_REG(BPF_DIV, 0, 2),
		ASM_EXIT(),
	};
	static const struct bpf_insn mod0_32[] = {
		ASM_LD_IMM64(0, 0xabcdef0012345678ull),
		ASM_ALU32_IMM(BPF_MOD, 0, 0),
		ASM_EXIT(),
	};
	static const struct bpf_insn mod0_64[] = {
		ASM_LD_IMM64(0, 0xabcdef0012345678ull),
		ASM_MOV64_IMM(5, 0),
		ASM_ALU64_REG(BPF_MOD, 0, 5),
		ASM_EXIT(),
	};
	EXPECT_EQ(RUN(sdiv_min, 0, 0), 0x8000000000000000ull);
	EXPECT_EQ(RUN(smod_min, 0, 0), 0);
	EXPECT_EQ(RUN(sdiv32_min, 0, 0), 0x80000000u);
	EXPECT_EQ(RUN(div0, 0, 0), 0);
	EXPECT_EQ(RUN(mod0_32, 0, 0), 0x12345678u);
	EXPECT_EQ(RUN(mod0_64, 0, 0), 0xabcdef0012345678ull);
}

/* Shifts: counts at and past the width, the count in r4 (rcx) or dst in r4, or both. */
KTEST(bpf_jit, shifts)
{
	static const int pairs[][2] = {{1, 2}, {4, 2}, {2, 4}, {4, 4}, {0, 3}, {3, 3}};
	static const uint64_t counts[] = {
		0, 1, 2, 7, 31, 32, 33, 63, 64, 65, 0xffffffffffffffffull, 0x100000020ull};
	BINOP(BPF_ALU64, BPF_LSH, 0, pairs, edge_values, counts);
	BINOP(BPF_ALU64, BPF_RSH, 0, pairs, edge_values, counts);
	BINOP(BPF_ALU64, BPF_ARSH, 0, pairs, edge_values, counts);
}

KTEST(bpf_jit, conditional_jumps)
{
	static const uint8_t ops[] = {BPF_JEQ,  BPF_JNE,  BPF_JGT,  BPF_JGE,  BPF_JLT, BPF_JLE,
				      BPF_JSET, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE};
	static const int pairs[][2] = {{1, 2}, {0, 9}, {8, 8}};
	for (size_t o = 0; o < ARRAY_SIZE(ops); o++)
		BINOP(BPF_JMP, ops[o], 0, pairs, boundary_values, boundary_values);
}

/*
 * Run insns with r[reg] = a and the other registers at their sentinels: the first instruction's
 * dst must end up as result, every other register unchanged.
 */
static bool check_one(struct ktest_state *kt, const struct bpf_insn *insns, uint32_t n, int reg,
		      uint64_t a, uint64_t result)
{
	uint64_t init[10], out[11], want[11];
	sentinels(init);
	init[reg] = a;
	if (!run_dump(kt, insns, n, init, out))
		return false;
	memcpy(want, init, sizeof(init));
	want[10] = 0x5107;
	want[insns[0].dst_reg] = result;
	char what[80];
	snprintf(what, sizeof(what), "code %#x dst r%d src r%d off %d imm %d, r%d = %#lx",
		 insns[0].code, insns[0].dst_reg, insns[0].src_reg, insns[0].off, insns[0].imm, reg,
		 a);
	return same_regs(kt, what, out, want);
}

KTEST(bpf_jit, neg_mov_movsx)
{
	for (size_t i = 0; i < ARRAY_SIZE(edge_values); i++) {
		uint64_t a = edge_values[i];
		/* r1 and r2 are rdi and rsi: their low bytes exist only with a REX prefix. */
		for (int src = 1; src <= 2; src++) {
			struct {
				struct bpf_insn insn;
				uint64_t want;
			} cases[] = {
				{ASM_NEG64(src), 0 - a},
				{ASM_NEG32(src), (uint32_t)(0 - (uint32_t)a)},
				{ASM_MOV64_REG(6, src), a},
				{ASM_MOV32_REG(6, src), (uint32_t)a},
				{ASM_MOV32_REG(src, src), (uint32_t)a},
				{ASM_MOVSX64(6, src, 8), (uint64_t)(int8_t)a},
				{ASM_MOVSX64(6, src, 16), (uint64_t)(int16_t)a},
				{ASM_MOVSX64(6, src, 32), (uint64_t)(int32_t)a},
				{ASM_MOVSX32(6, src, 8), (uint32_t)(int8_t)a},
				{ASM_MOVSX32(6, src, 16), (uint32_t)(int16_t)a},
				{ASM_MOVSX64(src, src, 8), (uint64_t)(int8_t)a},
				{ASM_MOV64_IMM(src, (int32_t)a), (uint64_t)(int64_t)(int32_t)a},
				{ASM_MOV32_IMM(src, (int32_t)a), (uint32_t)a},
			};
			for (size_t c = 0; c < ARRAY_SIZE(cases); c++)
				ASSERT_TRUE(
					check_one(kt, &cases[c].insn, 1, src, a, cases[c].want));
		}
	}
}

KTEST(bpf_jit, byte_swaps)
{
	const uint64_t a = 0x0123456789abcdefull;
	for (int reg = 0; reg <= 9; reg++) {
		struct {
			struct bpf_insn insn;
			uint64_t want;
		} cases[] = {
			{ASM_LE(reg, 16), 0xcdef},
			{ASM_LE(reg, 32), 0x89abcdef},
			{ASM_LE(reg, 64), a},
			{ASM_BE(reg, 16), 0xefcd},
			{ASM_BE(reg, 32), 0xefcdab89},
			{ASM_BE(reg, 64), 0xefcdab8967452301ull},
			{ASM_BSWAP(reg, 16), 0xefcd},
			{ASM_BSWAP(reg, 32), 0xefcdab89},
			{ASM_BSWAP(reg, 64), 0xefcdab8967452301ull},
		};
		for (size_t c = 0; c < ARRAY_SIZE(cases); c++)
			ASSERT_TRUE(check_one(kt, &cases[c].insn, 1, reg, a, cases[c].want));
	}
}

KTEST(bpf_jit, ld_imm64)
{
	for (size_t i = 0; i < ARRAY_SIZE(edge_values); i++)
		for (int reg = 0; reg <= 9; reg++) {
			struct bpf_insn insns[] = {ASM_LD_IMM64(reg, edge_values[i])};
			ASSERT_TRUE(check_one(kt, insns, 2, reg, 0, edge_values[i]));
		}
}

/* ---------------------------------------------------------------------------------------- */
/* Jumps. */

/*
 * Jumps over n fillers forward and backward, for n on both sides of what a rel8 reaches (the
 * filler, r0 += 1, is 4 bytes): the path taken must be the right one either way.
 */
KTEST(bpf_jit, jump_distances)
{
	for (uint32_t n = 0; n < 100; n++) {
		struct builder b = {.n = 0};
		/* forward: r0 = 0; if r1 == 7 skip n fillers; fillers; r0 += 1000 */
		put(&b, ASM_MOV64_IMM(0, 0));
		put(&b, ASM_JMP_IMM(BPF_JEQ, 1, 7, (int16_t)n));
		for (uint32_t k = 0; k < n; k++)
			put(&b, ASM_ALU64_IMM(BPF_ADD, 0, 1));
		put(&b, ASM_ALU64_IMM(BPF_ADD, 0, 1000));
		put(&b, ASM_EXIT());
		EXPECT_EQ(run2(kt, b.in, b.n, 7, 0), 1000);
		EXPECT_EQ(run2(kt, b.in, b.n, 8, 0), 1000 + n);

		/* backward: a loop of n fillers run r1 times (gotol for the back-edge when n is odd) */
		b.n = 0;
		put(&b, ASM_MOV64_IMM(0, 0));
		for (uint32_t k = 0; k < n; k++)
			put(&b, ASM_ALU64_IMM(BPF_ADD, 0, 1));
		put(&b, ASM_ALU64_IMM(BPF_ADD, 1, -1));
		put(&b, ASM_JMP_IMM(BPF_JEQ, 1, 0, 1));
		put(&b, n % 2 ? ASM_GOTOL(-(int32_t)n - 3) : ASM_JA(-(int16_t)n - 3));
		put(&b, ASM_EXIT());
		EXPECT_EQ(run2(kt, b.in, b.n, 3, 0), 3 * n);
	}
}

/* A bounded loop through the first 64 bytes of a buffer, the benchmark's shape. */
KTEST(bpf_jit, loop_sums_buffer)
{
	uint64_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	static const struct bpf_insn prog[] = {
		ASM_MOV64_IMM(0, 0),
		ASM_MOV64_IMM(3, 8),
		ASM_LDX(BPF_DW, 4, 1, 0), /* loop: */
		ASM_ALU64_REG(BPF_ADD, 0, 4),
		ASM_ALU64_IMM(BPF_LSH, 4, 1),
		ASM_STX(BPF_DW, 1, 4, 0),
		ASM_ALU64_IMM(BPF_ADD, 1, 8),
		ASM_ALU64_IMM(BPF_ADD, 3, -1),
		ASM_JMP_IMM(BPF_JNE, 3, 0, -7),
		ASM_EXIT(),
	};
	EXPECT_EQ(RUN(prog, (uintptr_t)buf, 0), 36);
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(buf[i], 2 * (i + 1));
}

/* ---------------------------------------------------------------------------------------- */
/* Memory. */

KTEST(bpf_jit, loads_all_sizes_and_sign_extension)
{
	uint8_t mem[512];
	for (int i = 0; i < 512; i++)
		mem[i] = (uint8_t)(0x80 + i * 7);
	static const int16_t offs[] = {0, 1, 127, 128, 255, 300, 504};
	static const uint8_t sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};
	for (size_t o = 0; o < ARRAY_SIZE(offs); o++)
		for (size_t s = 0; s < ARRAY_SIZE(sizes); s++)
			for (int sx = 0; sx <= 1; sx++)
				for (int base = 0; base <= 9; base++) {
					unsigned bytes = sizes[s] == BPF_B   ? 1
							 : sizes[s] == BPF_H ? 2
							 : sizes[s] == BPF_W ? 4
									     : 8;
					if (sx && bytes == 8)
						continue;
					uint64_t v = 0;
					memcpy(&v, mem + offs[o], bytes);
					if (sx)
						v = bytes == 1   ? (uint64_t)(int8_t)v
						    : bytes == 2 ? (uint64_t)(int16_t)v
								 : (uint64_t)(int32_t)v;
					int dst = (base + 3) % 10;
					/* the base register points 256 bytes in; the offset is relative to it */
					uint64_t init[10], out[11], want[11];
					sentinels(init);
					init[base] = (uintptr_t)mem + 256;
					struct bpf_insn insn =
						sx ? ASM_LDXS(sizes[s], dst, base, offs[o] - 256)
						   : ASM_LDX(sizes[s], dst, base, offs[o] - 256);
					ASSERT_TRUE(run_dump(kt, &insn, 1, init, out));
					memcpy(want, init, sizeof(init));
					want[10] = 0x5107;
					want[dst] = v;
					char what[64];
					snprintf(what, sizeof(what),
						 "load size %#x sx %d base r%d off %d", sizes[s],
						 sx, base, offs[o] - 256);
					ASSERT_TRUE(same_regs(kt, what, out, want));
				}
}

KTEST(bpf_jit, stores_all_sizes)
{
	static const uint8_t sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};
	const uint64_t v = 0xf1e2d3c4b5a69788ull;
	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++)
		for (int base = 0; base <= 9; base++)
			for (int src = 0; src <= 9; src++) {
				if (src == base)
					continue;
				uint8_t mem[64], want_mem[64];
				memset(mem, 0x11, sizeof(mem));
				memcpy(want_mem, mem, sizeof(mem));
				unsigned bytes = sizes[s] == BPF_B   ? 1
						 : sizes[s] == BPF_H ? 2
						 : sizes[s] == BPF_W ? 4
								     : 8;
				memcpy(want_mem + 40, &v, bytes);
				uint64_t init[10], out[11];
				sentinels(init);
				init[base] = (uintptr_t)mem + 50;
				init[src] = v;
				struct bpf_insn insn = ASM_STX(sizes[s], base, src, -10);
				ASSERT_TRUE(run_dump(kt, &insn, 1, init, out));
				if (memcmp(mem, want_mem, sizeof(mem)) != 0) {
					KT_FAIL("stx size %#x base r%d src r%d", sizes[s], base,
						src);
					return;
				}

				/* the immediate form: a 32-bit imm, sign-extended for DW */
				memset(mem, 0x11, sizeof(mem));
				memcpy(want_mem, mem, sizeof(mem));
				uint64_t imm = (uint64_t)(int64_t)(int32_t)0x8badf00d;
				memcpy(want_mem + 40, &imm, bytes);
				insn = ASM_ST(sizes[s], base, -10, (int32_t)0x8badf00d);
				ASSERT_TRUE(run_dump(kt, &insn, 1, init, out));
				if (memcmp(mem, want_mem, sizeof(mem)) != 0) {
					KT_FAIL("st size %#x base r%d", sizes[s], base);
					return;
				}
			}
}

/* Stack accesses through r10 at every size, down to the frame's last byte. */
KTEST(bpf_jit, stack_all_sizes)
{
	static const struct bpf_insn prog[] = {
		ASM_ST(BPF_DW, 10, -512, 0x01020304),
		ASM_ST(BPF_B, 10, -1, 0x7f),
		ASM_STX(BPF_H, 10, 1, -4),
		ASM_STX(BPF_W, 10, 1, -12),
		ASM_LDX(BPF_DW, 0, 10, -512),
		ASM_LDX(BPF_B, 2, 10, -1),
		ASM_ALU64_REG(BPF_ADD, 0, 2),
		ASM_LDXS(BPF_H, 2, 10, -4),
		ASM_ALU64_REG(BPF_ADD, 0, 2),
		ASM_LDX(BPF_W, 2, 10, -12),
		ASM_ALU64_REG(BPF_ADD, 0, 2),
		ASM_EXIT(),
	};
	uint64_t r1 = 0xfffffffffffff000ull;
	EXPECT_EQ(RUN(prog, r1, 0),
		  0x01020304ull + 0x7f + (uint64_t)(int16_t)0xf000 + 0xfffff000ull);
}

/* Probing loads: what a good pointer holds; 0 from the NULL page (caught before the load). */
KTEST(bpf_jit, probe_loads)
{
	uint64_t cell = 0x8877665544332211ull;
	static const uint8_t sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};
	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++)
		for (int sx = 0; sx <= 1; sx++) {
			if (sx && sizes[s] == BPF_DW)
				continue;
			unsigned bytes = sizes[s] == BPF_B   ? 1
					 : sizes[s] == BPF_H ? 2
					 : sizes[s] == BPF_W ? 4
							     : 8;
			uint64_t v = 0;
			memcpy(&v, (uint8_t *)&cell + 8 - bytes, bytes);
			if (sx)
				v = bytes == 1   ? (uint64_t)(int8_t)v
				    : bytes == 2 ? (uint64_t)(int16_t)v
						 : (uint64_t)(int32_t)v;
			struct bpf_insn good[] = {
				sx ? ASM_PROBES(sizes[s], 0, 1, 8 - (int)bytes)
				   : ASM_PROBE(sizes[s], 0, 1, 8 - (int)bytes),
				ASM_EXIT(),
			};
			/* dst == src, and a NULL base with an offset inside the NULL page */
			struct bpf_insn null[] = {
				ASM_MOV64_IMM(0, -1),
				sx ? ASM_PROBES(sizes[s], 1, 1, 16) : ASM_PROBE(sizes[s], 1, 1, 16),
				ASM_ALU64_REG(BPF_ADD, 0, 1),
				ASM_EXIT(),
			};
			EXPECT_EQ(RUN(good, (uintptr_t)&cell, 0), v);
			EXPECT_EQ(RUN(null, 0, 0), UINT64_MAX);
			EXPECT_EQ(RUN(null, UINT64_MAX - 7, 0),
				  UINT64_MAX); /* wraps into the NULL page */
		}
}

/* ---------------------------------------------------------------------------------------- */
/* Atomics. */

static uint64_t ref_atomic(int op, uint64_t old, uint64_t v)
{
	switch (op & ~BPF_FETCH) {
	case BPF_ADD:
		return old + v;
	case BPF_OR:
		return old | v;
	case BPF_AND:
		return old & v;
	case BPF_XOR:
		return old ^ v;
	}
	return v; /* XCHG */
}

KTEST(bpf_jit, atomics)
{
	static const int ops[] = {BPF_ADD,
				  BPF_OR,
				  BPF_AND,
				  BPF_XOR,
				  BPF_ADD | BPF_FETCH,
				  BPF_OR | BPF_FETCH,
				  BPF_AND | BPF_FETCH,
				  BPF_XOR | BPF_FETCH,
				  BPF_XCHG,
				  BPF_CMPXCHG};
	/* base and value registers: rax (r0) as either or both is what the loops must work around */
	static const int pairs[][2] = {{1, 2}, {0, 2}, {1, 0}, {0, 0}, {4, 3}, {9, 6}};
	static const uint64_t olds[] = {0xff00ff00f0f0f0f0ull, 0x5e5e0000000000a0ull};
	const uint64_t v = 0x0ff00ff00ff00ff0ull;
	for (size_t o = 0; o < ARRAY_SIZE(ops); o++)
		for (int w = 0; w <= 1; w++)
			for (size_t pr = 0; pr < ARRAY_SIZE(pairs); pr++)
				for (size_t k = 0; k < ARRAY_SIZE(olds); k++) {
					int base = pairs[pr][0], src = pairs[pr][1], op = ops[o];
					/* the fetch would overwrite the pointer: pointless */
					if (base == src && (op == BPF_CMPXCHG || op & BPF_FETCH))
						continue;
					uint64_t mem[4] = {0, olds[k], 0, 0};
					uint64_t init[10], out[11], want[11];
					sentinels(init);
					init[base] = (uintptr_t)&mem[2];
					if (src != base)
						init[src] = v;
					uint64_t val = init[src];
					struct bpf_insn insn =
						ASM_ATOMIC(w ? BPF_DW : BPF_W, op, base, src, -8);
					ASSERT_TRUE(run_dump(kt, &insn, 1, init, out));

					uint64_t old = w ? olds[k] : (uint32_t)olds[k];
					uint64_t operand = w ? val : (uint32_t)val, now;
					memcpy(want, init, sizeof(init));
					want[10] = 0x5107;
					if (op == BPF_CMPXCHG) {
						uint64_t cmp = w ? init[0] : (uint32_t)init[0];
						now = cmp == old ? operand : old;
						want[0] = old;
					} else {
						now = ref_atomic(op, old, operand);
						if (op & BPF_FETCH)
							want[src] = old;
					}
					if (!w)
						now = (olds[k] & 0xffffffff00000000ull) |
						      (uint32_t)now;
					char what[80];
					snprintf(what, sizeof(what),
						 "atomic %#x w%d base r%d src r%d old %#lx", op, w,
						 base, src, olds[k]);
					ASSERT_TRUE(same_regs(kt, what, out, want));
					if (mem[1] != now || mem[0] || mem[2] || mem[3]) {
						KT_FAIL("%s: memory %#lx, want %#lx", what, mem[1],
							now);
						return;
					}
				}
}

/* CMPXCHG both ways, and the 32-bit form's r0 zero-extended even when the exchange succeeds. */
KTEST(bpf_jit, cmpxchg_success_and_failure)
{
	uint64_t cell = 0x1111111122222222ull;
	static const struct bpf_insn swap64[] = {
		ASM_LD_IMM64(0, 0x1111111122222222ull),
		ASM_MOV64_IMM(2, 5),
		ASM_ATOMIC(BPF_DW, BPF_CMPXCHG, 1, 2, 0),
		ASM_EXIT(),
	};
	EXPECT_EQ(RUN(swap64, (uintptr_t)&cell, 0), 0x1111111122222222ull);
	EXPECT_EQ(cell, 5);
	EXPECT_EQ(RUN(swap64, (uintptr_t)&cell, 0), 5); /* fails: memory unchanged */
	EXPECT_EQ(cell, 5);
	static const struct bpf_insn swap32[] = {
		ASM_LD_IMM64(0, 0xabcdef0000000005ull),
		ASM_MOV64_IMM(2, 9),
		ASM_ATOMIC(BPF_W, BPF_CMPXCHG, 1, 2, 0),
		ASM_EXIT(),
	};
	EXPECT_EQ(RUN(swap32, (uintptr_t)&cell, 0), 5);
	EXPECT_EQ(cell, 9);
}

/* ---------------------------------------------------------------------------------------- */
/* Calls. */

KTEST(bpf_jit, helper_arguments_and_preserved_registers)
{
	static const struct bpf_insn prog[] = {
		ASM_MOV64_IMM(6, 60),
		ASM_MOV64_IMM(7, 70),
		ASM_MOV64_IMM(8, 80),
		ASM_MOV64_IMM(9, 90),
		ASM_ST(BPF_DW, 10, -8, 123),
		ASM_MOV64_IMM(1, 1),
		ASM_MOV64_IMM(2, 10),
		ASM_MOV64_IMM(3, 100),
		ASM_MOV64_IMM(4, 1000),
		ASM_LD_IMM64(5, 10000000000ull),
		ASM_CALL_HELPER(1),
		/* r0 = weigh(...) + r6 + r7 + r8 + r9 + stack */
		ASM_ALU64_REG(BPF_ADD, 0, 6),
		ASM_ALU64_REG(BPF_ADD, 0, 7),
		ASM_ALU64_REG(BPF_ADD, 0, 8),
		ASM_ALU64_REG(BPF_ADD, 0, 9),
		ASM_LDX(BPF_DW, 1, 10, -8),
		ASM_ALU64_REG(BPF_ADD, 0, 1),
		ASM_EXIT(),
	};
	EXPECT_EQ(RUN(prog, 0, 0), 1 + 20 + 300 + 4000 + 50000000000ull + 300 + 123);
}

/* A helper that runs another JIT program (a callback) from inside a JIT program. */
KTEST(bpf_jit, helper_runs_a_callback)
{
	static const struct bpf_insn inner[] = {
		ASM_ST(BPF_DW, 10, -8, 5),
		ASM_LDX(BPF_DW, 0, 10, -8),
		ASM_ALU64_REG(BPF_ADD, 0, 1),
		ASM_ALU64_REG(BPF_MUL, 0, 2),
		ASM_EXIT(),
	};
	static const struct bpf_insn outer[] = {
		ASM_MOV64_IMM(6, 7),
		ASM_ST(BPF_DW, 10, -8, 11),
		ASM_MOV64_IMM(1, 3),
		ASM_MOV64_IMM(2, 4),
		ASM_CALL_HELPER(2),
		ASM_ALU64_REG(BPF_ADD, 0, 6),
		ASM_LDX(BPF_DW, 1, 10, -8),
		ASM_ALU64_REG(BPF_ADD, 0, 1),
		ASM_EXIT(),
	};
	nested_img = compile(inner, ARRAY_SIZE(inner));
	ASSERT_NONNULL(nested_img);
	EXPECT_EQ(RUN(outer, 0, 0), (5 + 3) * 4 + 1000 + 7 + 11);
	bpf_jit_free(nested_img);
	nested_img = NULL;
}

/*
 * A chain of nframes subprograms, each calling the next: each fills its whole stack (depth[k]
 * bytes) with its own pattern and sets r6..r9, calls down with r1 + 1 and a pointer to its stack
 * in r2 (the callee adds 1 to that slot), and checks on return that its stack, r6..r9 and the
 * slot are as they must be. Returns the leaf's r1 plus 1000 per good frame.
 */
static struct bpf_jit_image *compile_chain(uint32_t nframes, uint32_t *starts, uint16_t *depth)
{
	static struct builder b;
	b.n = 0;
	for (uint32_t k = 0; k < nframes; k++) {
		uint16_t d = depth[k];
		starts[k] = b.n;
		put(&b, ASM_MOV64_IMM(6, (int32_t)(k * 4 + 1)));
		put(&b, ASM_MOV64_IMM(7, (int32_t)(k * 4 + 2)));
		put(&b, ASM_MOV64_IMM(8, (int32_t)(k * 4 + 3)));
		put(&b, ASM_MOV64_IMM(9, (int32_t)(k * 4 + 4)));
		if (k > 0) { /* bump the caller's slot through the pointer it passed */
			put(&b, ASM_LDX(BPF_DW, 3, 2, 0));
			put(&b, ASM_ALU64_IMM(BPF_ADD, 3, 1));
			put(&b, ASM_STX(BPF_DW, 2, 3, 0));
		}
		/* fill [r10 - d, r10) with k * 0x100 + slot */
		for (int32_t off = 8; off <= d; off += 8)
			put(&b, ASM_ST(BPF_DW, 10, -off, (int32_t)(k * 0x100 + off)));
		if (k + 1 == nframes) {
			put(&b, ASM_MOV64_REG(0, 1));
			put(&b, ASM_EXIT());
			continue;
		}
		put(&b, ASM_ALU64_IMM(BPF_ADD, 1, 1));
		put(&b, ASM_MOV64_REG(2, 10));
		put(&b, ASM_ALU64_IMM(BPF_ADD, 2, -8));
		uint32_t call_at = b.n;
		put(&b, ASM_CALL_LOCAL(0)); /* aimed below, once the callee's start is known */
		/* r1 = 1000 if everything held, else 0 */
		put(&b, ASM_MOV64_IMM(1, 1000));
		for (int32_t off = 8; off <= d; off += 8) {
			int32_t want = (int32_t)(k * 0x100 + off) + (off == 8 ? 1 : 0);
			put(&b, ASM_LDX(BPF_DW, 3, 10, -off));
			put(&b, ASM_JMP_IMM(BPF_JEQ, 3, want, 1));
			put(&b, ASM_MOV64_IMM(1, 0));
		}
		for (int r = 6; r <= 9; r++) {
			put(&b, ASM_JMP_IMM(BPF_JEQ, r, (int32_t)(k * 4 + (uint32_t)r - 5), 1));
			put(&b, ASM_MOV64_IMM(1, 0));
		}
		put(&b, ASM_ALU64_REG(BPF_ADD, 0, 1));
		put(&b, ASM_EXIT());
		b.in[call_at].imm = (int32_t)(b.n - call_at - 1);
	}
	return compile_subs(b.in, b.n, nframes, starts, depth);
}

KTEST(bpf_jit, nested_calls_depth_8_with_a_stack_per_frame)
{
	static const uint16_t depths[][BPF_MAX_CALL_DEPTH] = {
		{8, 8, 8, 8, 8, 8, 8, 8},
		{512, 512, 512, 512, 512, 512, 512, 512},
		{8, 24, 512, 16, 40, 8, 504, 64},
	};
	for (size_t t = 0; t < ARRAY_SIZE(depths); t++) {
		uint32_t starts[BPF_MAX_CALL_DEPTH];
		uint16_t depth[BPF_MAX_CALL_DEPTH];
		memcpy(depth, depths[t], sizeof(depth));
		struct bpf_jit_image *img = compile_chain(BPF_MAX_CALL_DEPTH, starts, depth);
		ASSERT_NONNULL(img);
		EXPECT_EQ(bpf_jit_entry(img, 0)(100, 0, 0, 0, 0),
			  100 + BPF_MAX_CALL_DEPTH - 1 + 1000 * (BPF_MAX_CALL_DEPTH - 1));
		/* every subprogram is an entry of its own: a chain from the middle, with a slot to bump */
		uint64_t slot = 0;
		EXPECT_EQ(bpf_jit_entry(img, 5)(100, (uintptr_t)&slot, 0, 0, 0),
			  100 + 2 + 1000 * 2);
		EXPECT_EQ(slot, 1);
		bpf_jit_free(img);
	}
}

KTEST(bpf_jit, refuses_too_deep_or_recursive_calls)
{
	uint32_t starts[BPF_MAX_CALL_DEPTH + 1];
	uint16_t depth[BPF_MAX_CALL_DEPTH + 1];
	for (int k = 0; k <= BPF_MAX_CALL_DEPTH; k++)
		depth[k] = 8;
	EXPECT_NULL(compile_chain(BPF_MAX_CALL_DEPTH + 1, starts, depth));

	static const struct bpf_insn self[] = {ASM_CALL_LOCAL(-1), ASM_EXIT()};
	EXPECT_NULL(compile(self, ARRAY_SIZE(self)));
}

/* ---------------------------------------------------------------------------------------- */
/* What the JIT refuses, and the code memory. */

KTEST(bpf_jit, refuses_what_it_cannot_run)
{
	static const struct bpf_insn bad_opcode[] = {ASM_INSN(0x8f, 0, 0, 0, 0), ASM_EXIT()};
	static const struct bpf_insn jump_out[] = {ASM_JA(5), ASM_EXIT()};
	static const struct bpf_insn jump_back_out[] = {ASM_JA(-2), ASM_EXIT()};
	static const struct bpf_insn into_ld_imm64[] = {ASM_JA(1), ASM_LD_IMM64(0, 1), ASM_EXIT()};
	static const struct bpf_insn unknown_helper[] = {ASM_CALL_HELPER(3), ASM_EXIT()};
	static const struct bpf_insn null_helper[] = {ASM_CALL_HELPER(0), ASM_EXIT()};
	static const struct bpf_insn kfunc_call[] = {
		ASM_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 1), ASM_EXIT()};
	static const struct bpf_insn bad_reg[] = {ASM_MOV64_IMM(11, 0), ASM_EXIT()};
	static const struct bpf_insn falls_off[] = {ASM_MOV64_IMM(0, 0)};
	static const struct bpf_insn bad_div_off[] = {ASM_ALU64_IMM_OFF(BPF_DIV, 2, 0, 3),
						      ASM_EXIT()};
	static const struct bpf_insn movsx32_32[] = {ASM_MOVSX32(0, 1, 32), ASM_EXIT()};
	static const struct bpf_insn jcond[] = {ASM_INSN(BPF_JMP | BPF_JCOND, 0, 0, 0, 0),
						ASM_EXIT()};
	static const struct bpf_insn atomic_b[] = {ASM_ATOMIC(BPF_B, BPF_ADD, 1, 2, 0), ASM_EXIT()};
	static const struct bpf_insn half_ld_imm64[] = {
		ASM_INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 0)};
	static const struct bpf_insn legacy_abs[] = {ASM_INSN(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 0),
						     ASM_EXIT()};
#define REFUSED(prog) EXPECT_NULL(compile(prog, ARRAY_SIZE(prog)))
	REFUSED(bad_opcode);
	REFUSED(jump_out);
	REFUSED(jump_back_out);
	REFUSED(into_ld_imm64);
	REFUSED(unknown_helper);
	REFUSED(null_helper);
	REFUSED(kfunc_call);
	REFUSED(bad_reg);
	REFUSED(falls_off);
	REFUSED(bad_div_off);
	REFUSED(movsx32_32);
	REFUSED(jcond);
	REFUSED(atomic_b);
	REFUSED(half_ld_imm64);
	REFUSED(legacy_abs);
#undef REFUSED

	/* a jump from one subprogram into another */
	static const struct bpf_insn cross[] = {ASM_JA(1), ASM_EXIT(), ASM_EXIT()};
	static const uint32_t starts[] = {0, 2};
	static const uint16_t depth[] = {8, 8};
	EXPECT_NULL(compile_subs(cross, 3, 2, starts, depth));
	static const uint32_t starts2[] = {0, 1};
	static const uint16_t too_deep[] = {8, BPF_STACK_FRAME_MAX + 8};
	static const struct bpf_insn two_exits[] = {ASM_EXIT(), ASM_EXIT()};
	EXPECT_NULL(compile_subs(two_exits, 2, 2, starts2, too_deep));
	struct bpf_jit_image *img = compile_subs(two_exits, 2, 2, starts2, depth);
	EXPECT_NONNULL(img);
	bpf_jit_free(img);
}

/* The permissions of the mapping that holds addr, from /proc/self/maps ("" if none does). */
static void maps_perms(uintptr_t addr, char perms[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi;
	char p[5];
	perms[0] = 0;
	if (!f)
		return;
	while (fscanf(f, "%lx-%lx %4s%*[^\n]", &lo, &hi, p) == 3)
		if (addr >= lo && addr < hi) {
			memcpy(perms, p, 5);
			break;
		}
	fclose(f);
}

static const struct bpf_insn ret42[] = {ASM_MOV64_IMM(0, 42), ASM_EXIT()};
static volatile uint8_t *code_to_write;

static void write_code(void)
{
	code_to_write[0] = 0xc3;
}

KTEST(bpf_jit, code_is_read_execute_then_gone)
{
	struct bpf_jit_image *img = compile(ret42, ARRAY_SIZE(ret42));
	ASSERT_NONNULL(img);
	uintptr_t entry = (uintptr_t)bpf_jit_entry(img, 0);
	char perms[5];
	maps_perms(entry, perms);
	EXPECT_EQ(strcmp(perms, "r-xp"), 0);
	EXPECT_EQ(bpf_jit_entry(img, 0)(0, 0, 0, 0, 0), 42);
	code_to_write = (volatile uint8_t *)entry;
	EXPECT_DIES(write_code, "SEGV");
	bpf_jit_free(img);
	maps_perms(entry, perms);
	EXPECT_EQ(perms[0], 0);
}

/* Short jumps where they reach: a JA over one filler adds 2 bytes and the filler's 4. */
KTEST(bpf_jit, jumps_are_short_where_they_reach)
{
	static const struct bpf_insn skip1[] = {ASM_MOV64_IMM(0, 42), ASM_JA(1),
						ASM_ALU64_IMM(BPF_ADD, 0, 1), ASM_EXIT()};
	struct bpf_jit_image *img = compile(skip1, ARRAY_SIZE(skip1));
	struct bpf_jit_image *base = compile(ret42, ARRAY_SIZE(ret42));
	ASSERT_NONNULL(img);
	ASSERT_NONNULL(base);
	EXPECT_EQ(bpf_jit_size(img), bpf_jit_size(base) + 2 + 4);
	EXPECT_EQ(bpf_jit_entry(img, 0)(0, 0, 0, 0, 0), 42);
	bpf_jit_free(img);
	bpf_jit_free(base);
}

/*
 * bpf_map_lookup_elem on an array the JIT knows is inlined (bpf_jit_compile_arrays): keys below
 * max_entries give base + key * stride, the others NULL; and the code has no branch to
 * mispredict: the compare's carry becomes a mask that clamps the key and clears the address
 * (sbb r11, r11; and eax, r11d ... and rax, r11), so no key computes an address past the array
 * (Spectre variant 1). No helper is called: the calls table has no lookup.
 */
KTEST(bpf_jit, inlined_array_lookup_bounds_and_clamp)
{
	static uint64_t values[4];
	const uint64_t map = 0xfeedf00d12345678ull;
	const struct bpf_exec_array arr = {map, (uint64_t)(uintptr_t)values, sizeof(values[0]), 4};
	/* r0 = lookup(map, &key) with key = r1 (its low 32 bits); r0 - base, or ~0 for NULL */
	const struct bpf_insn prog[] = {
		ASM_STX(BPF_W, 10, 1, -4),
		ASM_MOV64_REG(2, 10),
		ASM_ALU64_IMM(BPF_ADD, 2, -4),
		ASM_LD_IMM64(1, map),
		ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		ASM_JMP_IMM(BPF_JEQ, 0, 0, 4), /* over the two-slot LD_IMM64, SUB and EXIT */
		ASM_LD_IMM64(1, (uint64_t)(uintptr_t)values),
		ASM_ALU64_REG(BPF_SUB, 0, 1),
		ASM_EXIT(),
		ASM_MOV64_IMM(0, -1),
		ASM_EXIT(),
	};
	static const uint32_t start = 0;
	static const uint16_t depth = 8;
	struct bpf_exec_prog p = {prog,    ARRAY_SIZE(prog),   1, &start, &depth,
				  helpers, ARRAY_SIZE(helpers)};
	struct bpf_jit_image *img = bpf_jit_compile_arrays(&p, &arr, 1);
	ASSERT_NONNULL(img);
	bpf_func_t f = bpf_jit_entry(img, 0);
	for (uint64_t key = 0; key < 4; key++)
		EXPECT_EQ(f(key, 0, 0, 0, 0), key * sizeof(values[0]));
	EXPECT_EQ(f(4, 0, 0, 0, 0), UINT64_MAX);
	EXPECT_EQ(f(0xffffffffu, 0, 0, 0, 0), UINT64_MAX);
	EXPECT_EQ(f(0x100000000ull, 0, 0, 0, 0), 0); /* only the low 32 bits are the key */
	static const uint8_t cmp_clamp[] = {0x83, 0xf8, 0x04, 0x4d, 0x19, 0xdb, 0x44, 0x21, 0xd8},
			     imul[] = {0x48, 0x69, 0xc0},
			     clear[] = {0x48, 0x01, 0xf0, 0x4c, 0x21, 0xd8};
	const uint8_t *code = (const uint8_t *)f;
	size_t n = bpf_jit_size(img), at = 0;
	/* cmp eax, 4 and at once the clamp (no bounds branch between) */
	while (at + sizeof(cmp_clamp) <= n && memcmp(code + at, cmp_clamp, sizeof(cmp_clamp)))
		at++;
	ASSERT_TRUE(at + sizeof(cmp_clamp) <= n);
	/* then imul, the base's mov, add and the address's mask, with no jump among them */
	const uint8_t *body = code + at + sizeof(cmp_clamp);
	EXPECT_EQ(memcmp(body, imul, sizeof(imul)), 0);
	size_t mov_len = 10; /* movabs rsi, base; mov esi, base when it fits in 32 bits */
	if ((uintptr_t)values <= UINT32_MAX)
		mov_len = 5;
	EXPECT_EQ(memcmp(body + sizeof(imul) + 4 + mov_len, clear, sizeof(clear)), 0);
	bpf_jit_free(img);
}
