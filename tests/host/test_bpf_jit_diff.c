/*
 * Differential test of the JIT (arch/x86_64/bpf_jit.c) against the interpreter
 * (kernel/bpf/interp.c): seeded random programs, each run by both from the same memory and
 * arguments, then r0, r0..r9, the stack and the memory compared.
 *
 * A program gets r1 = a buffer (MEM_SIZE bytes, the same address in both runs, so pointer values
 * agree) and random r2..r5. It saves r1 at r10 - 8, sets r0 and r6..r9 and the STACK_USE bytes
 * below that slot, then runs random units:
 *   - ALU and ALU64, every operation and form, with edge-biased immediates (division by 0 and -1
 *     included), MOVSX, byte swaps, LD_IMM64;
 *   - loads (MEM, MEMSX, PROBE_MEM, PROBE_MEMSX), stores and atomics at random offsets of the
 *     stack or of the buffer, whose address is first reloaded from r10 - 8 (probing loads also
 *     through a NULL base); atomics are aligned to their size;
 *   - forward jumps of every condition (JMP and JMP32, K and X), JA and gotol, to any unit start
 *     of the same scope, near and far;
 *   - bounded loops (a counter in r6..r9 that the body never writes, 1..4 rounds, no nesting);
 *   - helper calls and bpf-to-bpf calls to a random subprogram with its own stack, after which
 *     r1..r5 are set again (their values are undefined there).
 * Finally it stores r0..r9 and its stack into the buffer and returns r0. No register ever
 * receives r10 (stack addresses differ between the executors).
 *
 * BPF_JIT_DIFF_SEED replays a run; BPF_JIT_DIFF_PROGRAMS changes the count (default 100000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "kernel/bpf/exec.h"
#include "kernel/ktest.h"
#include "mm/kmem.h"
#include "mm/pmm.h"
#include "tests/host/bpf_asm.h"
#include "tests/host/testutil.h"

#define MEM_DATA 256            /* [0, MEM_DATA): what programs load, store and update */
#define DUMP_OFF MEM_DATA       /* then r0..r9 */
#define STACK_USE 256           /* bytes of [r10 - 8 - STACK_USE, r10 - 8) programs use */
#define STK_OFF (DUMP_OFF + 80) /* then those stack bytes */
#define MEM_SIZE (STK_OFF + STACK_USE)
#define PTR_SLOT (-8)              /* r10 - 8 holds the buffer's address */
#define REG_SPILL (-8 - STACK_USE) /* r0..r9 go below the used stack on the way out */
#define MAX_INSNS 4096
#define MAX_JUMPS 1024
#define TOP_SCOPE 0
#define CALLEE_SCOPE 1

TEST_LEAK_CHECK_EVERY_TEST()

static uint64_t h_mix(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a * 0x9e3779b97f4a7c15ull ^ (b + c) ^ (d << 7) ^ (e >> 3);
}

static const bpf_func_t helpers[] = {NULL, h_mix};

/* ---------------------------------------------------------------------------------------- */
/* The generator. */

struct gen {
	struct test_rng *rng;
	struct bpf_insn in[MAX_INSNS];
	int16_t land[MAX_INSNS]; /* scope a jump may land here from, or -1 */
	uint32_t n;
	uint32_t jumps[MAX_JUMPS]; /* jumps to aim once their scope is complete */
	uint32_t njumps;
	uint32_t calls[MAX_JUMPS]; /* pseudo calls to aim at the callee */
	uint32_t ncalls;
	int scope, next_scope;
	int forbid; /* the running loop's counter, which nothing may write; -1 outside loops */
	bool in_loop, callee;
	bool overflow;
};

static uint64_t rnd(struct gen *g, uint64_t n)
{
	return test_rng_below(g->rng, n);
}

static bool chance(struct gen *g, unsigned percent)
{
	return rnd(g, 100) < percent;
}

static const uint64_t interesting[] = {
	0,
	1,
	2,
	3,
	7,
	8,
	31,
	32,
	63,
	64,
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
	0x7fffffffffffffffull,
	0x8000000000000000ull,
	0xffffffffffffffffull,
	0xfffffffffffffffeull,
	0xffffffff80000000ull,
	0xffffffff00000000ull,
};

/* An edge-biased 64-bit value. */
static uint64_t value(struct gen *g)
{
	switch (rnd(g, 4)) {
	case 0:
		return interesting[rnd(g, sizeof(interesting) / sizeof(interesting[0]))];
	case 1:
		return rnd(g, 64) - 32;
	default:
		return test_rng_next(g->rng) >> rnd(g, 64);
	}
}

static int32_t imm(struct gen *g)
{
	return (int32_t)value(g);
}

/* A register the current scope may write: r0..r9 but the loop counter. */
static int wreg(struct gen *g)
{
	int r;
	do
		r = (int)rnd(g, 10);
	while (r == g->forbid);
	return r;
}

static int rreg(struct gen *g)
{
	return (int)rnd(g, 10);
}

static void put(struct gen *g, struct bpf_insn insn, int16_t land)
{
	if (g->n >= MAX_INSNS) {
		g->overflow = true;
		return;
	}
	g->land[g->n] = land;
	g->in[g->n++] = insn;
}

/* The first instruction of a unit: where jumps of this scope may land. */
static void put_first(struct gen *g, struct bpf_insn insn)
{
	put(g, insn, (int16_t)g->scope);
}

static void put_more(struct gen *g, struct bpf_insn insn)
{
	put(g, insn, -1);
}

static void gen_alu(struct gen *g)
{
	static const uint8_t ops[] = {BPF_ADD, BPF_SUB, BPF_MUL,  BPF_DIV, BPF_OR,
				      BPF_AND, BPF_LSH, BPF_RSH,  BPF_NEG, BPF_MOD,
				      BPF_XOR, BPF_MOV, BPF_ARSH, BPF_END};
	bool w = chance(g, 50), x = chance(g, 50);
	uint8_t op = ops[rnd(g, sizeof(ops))];
	int dst = wreg(g), src = rreg(g);
	int16_t off = 0;
	int32_t k = imm(g);
	uint8_t cls = w ? BPF_ALU64 : BPF_ALU;

	switch (op) {
	case BPF_DIV:
	case BPF_MOD:
		off = (int16_t)rnd(g, 2);
		if (!x && chance(g, 20))
			k = chance(g, 50) ? 0 : -1;
		break;
	case BPF_LSH:
	case BPF_RSH:
	case BPF_ARSH:
		k = (int32_t)rnd(g, w ? 64 : 32);
		break;
	case BPF_NEG:
		x = false;
		break;
	case BPF_MOV:
		if (x) {
			static const int16_t sx[] = {0, 0, 8, 16, 32};
			off = sx[rnd(g, w ? 5 : 4)];
		}
		break;
	case BPF_END:
		k = 16 << rnd(g, 3);
		/* ALU | END picks LE (K) or BE (X); ALU64 | END is the unconditional swap, K only. */
		if (w)
			x = false;
		break;
	}
	if (op == BPF_NEG)
		k = 0;
	bool reg_src = x && op != BPF_END;
	put_first(g, ASM_INSN(cls | (x ? BPF_X : BPF_K) | op, dst, reg_src ? src : 0, off,
			      reg_src ? 0 : k));
}

static void gen_ld_imm64(struct gen *g)
{
	uint64_t v = value(g);
	put_first(g, ASM_INSN(BPF_LD | BPF_IMM | BPF_DW, wreg(g), 0, 0, (uint32_t)v));
	put_more(g, ASM_INSN(0, 0, 0, 0, (uint32_t)(v >> 32)));
}

static const uint8_t sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};
static const int atomic_ops[] = {BPF_ADD,
				 BPF_OR,
				 BPF_AND,
				 BPF_XOR,
				 BPF_ADD | BPF_FETCH,
				 BPF_OR | BPF_FETCH,
				 BPF_AND | BPF_FETCH,
				 BPF_XOR | BPF_FETCH,
				 BPF_XCHG,
				 BPF_CMPXCHG};
#define NATOMIC (sizeof(atomic_ops) / sizeof(atomic_ops[0]))

static int bytes_of(uint8_t size)
{
	return size == BPF_B ? 1 : size == BPF_H ? 2 : size == BPF_W ? 4 : 8;
}

/*
 * A load, store or atomic: on the stack through r10, or on the buffer through a register that
 * first reloads its address (or, for probing loads, holds NULL).
 */
static void gen_mem(struct gen *g)
{
	/* 0-2 load, 3 probe, 4-5 store reg, 6 store imm, 7 atomic */
	unsigned kind = (unsigned)rnd(g, 8);
	uint8_t size = kind == 7 ? (chance(g, 50) ? BPF_W : BPF_DW) : sizes[rnd(g, 4)];
	int n = bytes_of(size);
	bool stack = kind != 3 && chance(g, 40);
	int base = 10;
	int32_t off;

	if (stack) {
		off = -8 - STACK_USE + (int32_t)rnd(g, (uint64_t)(STACK_USE - n + 1));
		if (kind == 7)
			off &= ~(n - 1);
	} else {
		base = wreg(g);
		if (kind == 3 && chance(g, 20)) {
			put_first(g, ASM_MOV64_IMM(base, 0));
			off = (int32_t)rnd(g, 4000);
		} else {
			put_first(g, ASM_LDX(BPF_DW, base, 10, PTR_SLOT));
			off = (int32_t)rnd(g, (uint64_t)(MEM_DATA - n + 1));
			if (kind == 7)
				off &= ~(n - 1);
		}
	}
	void (*emit)(struct gen *, struct bpf_insn) = stack ? put_first : put_more;
	switch (kind) {
	case 0:
	case 1:
	case 2:
	case 3: {
		/* sign-extending forms exist for B, H and W */
		bool sx = size != BPF_DW && chance(g, 40);
		uint8_t mode = kind == 3 ? (sx ? BPF_PROBE_MEMSX : BPF_PROBE_MEM)
					 : (sx ? BPF_MEMSX : BPF_MEM);
		emit(g, ASM_INSN(BPF_LDX | mode | size, wreg(g), base, off, 0));
		break;
	}
	case 4:
	case 5:
		emit(g, ASM_STX(size, base, rreg(g), off));
		break;
	case 6:
		emit(g, ASM_ST(size, base, off, imm(g)));
		break;
	case 7: {
		int op = atomic_ops[rnd(g, NATOMIC)];
		/* a fetch writes src (CMPXCHG writes r0, never a loop counter) */
		int src = op & BPF_FETCH && op != BPF_CMPXCHG ? wreg(g) : rreg(g);
		emit(g, ASM_ATOMIC(size, op, base, src, off));
		break;
	}
	}
}

/* A forward jump, aimed when its scope is complete. */
static void gen_jump(struct gen *g)
{
	static const uint8_t conds[] = {BPF_JEQ,  BPF_JNE,  BPF_JGT,  BPF_JGE,  BPF_JLT, BPF_JLE,
					BPF_JSET, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE};
	if (g->njumps == MAX_JUMPS)
		return;
	g->jumps[g->njumps++] = g->n;
	switch (rnd(g, 10)) {
	case 0:
		put_first(g, ASM_JA(0));
		return;
	case 1:
		put_first(g, ASM_GOTOL(0));
		return;
	}
	uint8_t cls = chance(g, 50) ? BPF_JMP : BPF_JMP32;
	bool x = chance(g, 50);
	int32_t k = chance(g, 30) ? (int32_t)rnd(g, 5) : imm(g);
	put_first(g, ASM_INSN(cls | (x ? BPF_X : BPF_K) | conds[rnd(g, sizeof(conds))], rreg(g),
			      x ? rreg(g) : 0, 0, x ? 0 : k));
}

/* r1..r5 after a call: undefined, so set again. */
static void reset_args(struct gen *g)
{
	for (int r = 1; r <= 5; r++)
		put_more(g, ASM_MOV64_IMM(r, imm(g)));
}

static void gen_helper_call(struct gen *g)
{
	put_first(g, ASM_CALL_HELPER(1));
	reset_args(g);
}

static void gen_local_call(struct gen *g)
{
	if (g->ncalls == MAX_JUMPS)
		return;
	put_first(g, ASM_LDX(BPF_DW, 1, 10, PTR_SLOT));
	g->calls[g->ncalls++] = g->n;
	put_more(g, ASM_CALL_LOCAL(0));
	reset_args(g);
}

static void gen_units(struct gen *g, unsigned count);

/* Aim the jumps made since first_jump at unit starts of scope `scope` after them, or at end. */
static void aim_jumps(struct gen *g, uint32_t first_jump, int scope, uint32_t end)
{
	static uint32_t spots[MAX_INSNS];
	for (uint32_t k = first_jump; k < g->njumps; k++) {
		uint32_t at = g->jumps[k], nspots = 0;
		for (uint32_t t = at + 1; t < end; t++)
			if (g->land[t] == scope)
				spots[nspots++] = t;
		spots[nspots++] = end;
		/* half of them to one of the next few unit starts, the rest anywhere up to end */
		uint32_t pick = (uint32_t)rnd(g, chance(g, 50) && nspots > 4 ? 4 : nspots);
		int32_t rel = (int32_t)(spots[pick] - at - 1);
		if (g->in[at].code == (BPF_JMP32 | BPF_JA))
			g->in[at].imm = rel;
		else
			g->in[at].off = (int16_t)rel;
	}
	g->njumps = first_jump;
}

static void gen_loop(struct gen *g)
{
	int counter = 6 + (int)rnd(g, 4), outer = g->scope;
	uint32_t first_jump = g->njumps;
	put_first(g, ASM_MOV64_IMM(counter, 1 + (int32_t)rnd(g, 4)));
	g->scope = g->next_scope++;
	g->forbid = counter;
	g->in_loop = true;
	uint32_t start = g->n;
	gen_units(g, 1 + (unsigned)rnd(g, 8));
	uint32_t end = g->n;
	put_first(g, ASM_ALU64_IMM(BPF_ADD, counter, -1));
	put_more(g,
		 ASM_JMP_IMM(BPF_JNE, counter, 0, (int16_t)((int32_t)start - (int32_t)g->n - 1)));
	aim_jumps(g, first_jump, g->scope, end);
	g->scope = outer;
	g->forbid = -1;
	g->in_loop = false;
}

static void gen_units(struct gen *g, unsigned count)
{
	for (unsigned u = 0; u < count && !g->overflow; u++) {
		unsigned r = (unsigned)rnd(g, 100);
		if (r < 42)
			gen_alu(g);
		else if (r < 47)
			gen_ld_imm64(g);
		else if (r < 72)
			gen_mem(g);
		else if (r < 90)
			gen_jump(g);
		else if (r < 93 && !g->in_loop)
			gen_loop(g);
		else if (r < 96)
			gen_helper_call(g);
		else if (!g->callee)
			gen_local_call(g);
	}
}

/* The stack and r0, r6..r9 of a new frame get values, so that nothing reads undefined bytes. */
static void gen_frame_setup(struct gen *g)
{
	put_first(g, ASM_STX(BPF_DW, 10, 1, PTR_SLOT));
	for (int r = 0; r <= 9; r = r == 0 ? 6 : r + 1) {
		uint64_t v = value(g);
		put_more(g, ASM_INSN(BPF_LD | BPF_IMM | BPF_DW, r, 0, 0, (uint32_t)v));
		put_more(g, ASM_INSN(0, 0, 0, 0, (uint32_t)(v >> 32)));
	}
	for (int off = 8; off <= STACK_USE; off += 8)
		put_more(g, ASM_ST(BPF_DW, 10, PTR_SLOT - off, imm(g)));
}

/* The body of one scope: units, then its jumps aimed at what follows them. */
static void gen_body(struct gen *g, unsigned count)
{
	uint32_t first_jump = g->njumps;
	gen_units(g, count);
	aim_jumps(g, first_jump, g->scope, g->n);
}

/* r0..r9 and the stack into the buffer, then return r0. */
static void gen_dump(struct gen *g)
{
	for (int r = 0; r <= 9; r++)
		put_first(g, ASM_STX(BPF_DW, 10, r, REG_SPILL - 8 * (r + 1)));
	put_more(g, ASM_LDX(BPF_DW, 1, 10, PTR_SLOT));
	for (int r = 0; r <= 9; r++) {
		put_more(g, ASM_LDX(BPF_DW, 2, 10, REG_SPILL - 8 * (r + 1)));
		put_more(g, ASM_STX(BPF_DW, 1, 2, DUMP_OFF + 8 * r));
	}
	for (int off = 0; off < STACK_USE; off += 8) {
		put_more(g, ASM_LDX(BPF_DW, 2, 10, REG_SPILL + off));
		put_more(g, ASM_STX(BPF_DW, 1, 2, STK_OFF + off));
	}
	put_more(g, ASM_LDX(BPF_DW, 0, 1, DUMP_OFF));
	put_more(g, ASM_EXIT());
}

struct program {
	uint32_t len, nsubprogs;
	uint32_t start[2];
	uint16_t depth[2];
};

static void generate(struct gen *g, struct program *p)
{
	unsigned units = chance(g, 10) ? 60 + (unsigned)rnd(g, 120) : 1 + (unsigned)rnd(g, 40);
	bool with_callee = chance(g, 30);

	g->n = g->njumps = g->ncalls = 0;
	g->scope = TOP_SCOPE;
	g->next_scope = CALLEE_SCOPE + 1;
	g->forbid = -1;
	g->in_loop = g->overflow = false;
	g->callee = !with_callee; /* no local calls without a callee to call */
	gen_frame_setup(g);
	gen_body(g, units);
	gen_dump(g);
	p->nsubprogs = 1;
	p->start[0] = 0;
	/* the frame's size varies the prologue's alignment padding */
	p->depth[0] = (uint16_t)(8 + STACK_USE + 80 + 8 * rnd(g, 3));
	if (with_callee) {
		g->callee = true;
		g->scope = CALLEE_SCOPE;
		p->start[1] = g->n;
		p->depth[1] = (uint16_t)(8 + STACK_USE + 8 * rnd(g, 2));
		p->nsubprogs = 2;
		gen_frame_setup(g);
		gen_body(g, 1 + (unsigned)rnd(g, 30));
		put_first(g, ASM_EXIT());
		for (uint32_t k = 0; k < g->ncalls; k++)
			g->in[g->calls[k]].imm = (int32_t)(p->start[1] - g->calls[k] - 1);
	}
	p->len = g->n;
}

/* ---------------------------------------------------------------------------------------- */
/*
 * Coverage: every instruction form the generator means to make must turn up. A form is the
 * opcode plus what selects a variant: the offset of DIV, MOD and MOV (signed forms, MOVSX), the
 * operation of an atomic.
 */
static unsigned form_of(const struct bpf_insn *in)
{
	unsigned variant = 0, cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	if ((cls == BPF_ALU || cls == BPF_ALU64) && (op == BPF_DIV || op == BPF_MOD))
		variant = (unsigned)in->off;
	else if ((cls == BPF_ALU || cls == BPF_ALU64) && op == BPF_MOV)
		variant = (unsigned)in->off / 8;
	else if (cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC)
		for (unsigned k = 0; k < NATOMIC; k++)
			if (in->imm == atomic_ops[k])
				variant = k;
	return in->code | variant << 8;
}

static unsigned long form_seen[256 * 16];

static void count_forms(const struct bpf_insn *in, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		form_seen[form_of(&in[i])]++;
		if (in[i].code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
	}
}

/* Record a failure for the first form the generator should make that never turned up. */
static void check_coverage(struct ktest_state *kt)
{
	static const uint8_t alu_ops[] = {BPF_ADD, BPF_SUB, BPF_MUL,  BPF_DIV, BPF_OR,
					  BPF_AND, BPF_LSH, BPF_RSH,  BPF_NEG, BPF_MOD,
					  BPF_XOR, BPF_MOV, BPF_ARSH, BPF_END};
	static const uint8_t conds[] = {BPF_JEQ,  BPF_JNE,  BPF_JGT,  BPF_JGE,  BPF_JLT, BPF_JLE,
					BPF_JSET, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE};
	static unsigned want[512];
	unsigned n = 0;
	for (int w = 0; w <= 1; w++) {
		uint8_t alu = w ? BPF_ALU64 : BPF_ALU, jmp = w ? BPF_JMP : BPF_JMP32;
		for (size_t o = 0; o < sizeof(alu_ops); o++)
			for (int x = 0; x <= 1; x++) {
				uint8_t op = alu_ops[o];
				if ((op == BPF_NEG || (w && op == BPF_END)) && x)
					continue;
				want[n++] = alu | op | (x ? BPF_X : BPF_K);
				if (op == BPF_DIV || op == BPF_MOD)
					want[n++] = (alu | op | (x ? BPF_X : BPF_K)) | 1u << 8;
			}
		for (unsigned bits = 8; bits <= (w ? 32u : 16u); bits *= 2)
			want[n++] = (alu | BPF_MOV | BPF_X) | bits / 8 << 8;
		for (size_t c = 0; c < sizeof(conds); c++)
			for (int x = 0; x <= 1; x++)
				want[n++] = jmp | conds[c] | (x ? BPF_X : BPF_K);
		want[n++] = jmp | BPF_JA;
		for (unsigned k = 0; k < NATOMIC; k++)
			want[n++] = (BPF_STX | BPF_ATOMIC | (w ? BPF_DW : BPF_W)) | k << 8;
	}
	want[n++] = BPF_JMP | BPF_CALL;
	want[n++] = BPF_JMP | BPF_EXIT;
	want[n++] = BPF_LD | BPF_IMM | BPF_DW;
	for (size_t s = 0; s < sizeof(sizes); s++) {
		want[n++] = BPF_LDX | BPF_MEM | sizes[s];
		want[n++] = BPF_LDX | BPF_PROBE_MEM | sizes[s];
		want[n++] = BPF_ST | BPF_MEM | sizes[s];
		want[n++] = BPF_STX | BPF_MEM | sizes[s];
		if (sizes[s] != BPF_DW) {
			want[n++] = BPF_LDX | BPF_MEMSX | sizes[s];
			want[n++] = BPF_LDX | BPF_PROBE_MEMSX | sizes[s];
		}
	}
	for (unsigned k = 0; k < n; k++)
		if (!form_seen[want[k]]) {
			KT_FAIL("the generator never made opcode %#x variant %u", want[k] & 0xff,
				want[k] >> 8);
			return;
		}
}

static uint8_t mem[MEM_SIZE] __attribute__((aligned(16)));

static void print_program(const struct gen *g, const struct program *p)
{
	for (uint32_t i = 0; i < p->len; i++) {
		const struct bpf_insn *in = &g->in[i];
		printf("#   %4u: code %02x dst r%u src r%u off %6d imm %d%s\n", i, in->code,
		       in->dst_reg, in->src_reg, in->off, in->imm,
		       p->nsubprogs > 1 && i == p->start[1] ? "   <- subprogram 1" : "");
	}
}

/* Where the two runs' buffers first differ, in words: a register, a stack byte or a data byte. */
static void describe_difference(char *buf, size_t size, const uint8_t *a, const uint8_t *b)
{
	for (size_t i = 0; i < MEM_SIZE; i++) {
		if (a[i] == b[i])
			continue;
		if (i >= DUMP_OFF && i < STK_OFF) {
			size_t r = (i - DUMP_OFF) / 8;
			uint64_t va, vb;
			memcpy(&va, a + DUMP_OFF + 8 * r, 8);
			memcpy(&vb, b + DUMP_OFF + 8 * r, 8);
			snprintf(buf, size, "r%zu: interpreter %#lx, JIT %#lx", r, va, vb);
		} else {
			snprintf(buf, size, "%s byte %zd: interpreter %#x, JIT %#x",
				 i < DUMP_OFF ? "memory" : "stack",
				 i < DUMP_OFF ? (ssize_t)i : (ssize_t)(i - STK_OFF) - 8 - STACK_USE,
				 a[i], b[i]);
		}
		return;
	}
	snprintf(buf, size, "no difference");
}

KTEST(bpf_jit_diff, random_programs_match_the_interpreter)
{
	static struct gen g;
	static uint8_t init_mem[MEM_SIZE], interp_mem[MEM_SIZE];
	struct test_rng rng;
	uint64_t seed = test_rng_seed("BPF_JIT_DIFF_SEED", 0x6a17d1ffull);
	const char *count_env = getenv("BPF_JIT_DIFF_PROGRAMS");
	unsigned long programs = count_env ? strtoul(count_env, NULL, 0) : 100000;
	unsigned long total_insns = 0, with_callee = 0;

	test_rng_init(&rng, seed);
	g.rng = &rng;
	for (unsigned long i = 0; i < programs; i++) {
		struct program p;
		generate(&g, &p);
		ASSERT_FALSE(g.overflow);
		total_insns += p.len;
		count_forms(g.in, p.len);
		with_callee += p.nsubprogs > 1;

		struct bpf_exec_prog xp = {g.in, p.len, p.nsubprogs, p.start, p.depth, helpers, 2};
		struct bpf_interp_image *interp = bpf_interp_prepare(&xp);
		struct bpf_jit_image *jit = bpf_jit_compile(&xp);
		if (!interp || !jit) {
			KT_FAIL("program %lu of seed %#lx: %s refused it", i, seed,
				!interp ? "the interpreter" : "the JIT");
			print_program(&g, &p);
			bpf_interp_free(interp);
			bpf_jit_free(jit);
			return;
		}
		uint64_t args[5] = {(uintptr_t)mem};
		for (int k = 1; k < 5; k++)
			args[k] = value(&g);
		for (size_t k = 0; k < MEM_SIZE; k++)
			init_mem[k] = (uint8_t)test_rng_next(&rng);

		memcpy(mem, init_mem, MEM_SIZE);
		uint64_t r0_interp = bpf_interp_run(interp, 0, args);
		memcpy(interp_mem, mem, MEM_SIZE);
		memcpy(mem, init_mem, MEM_SIZE);
		uint64_t r0_jit =
			bpf_jit_entry(jit, 0)(args[0], args[1], args[2], args[3], args[4]);
		bpf_interp_free(interp);
		bpf_jit_free(jit);

		if (r0_interp != r0_jit || memcmp(interp_mem, mem, MEM_SIZE) != 0) {
			char why[128];
			if (r0_interp != r0_jit)
				snprintf(why, sizeof(why), "r0: interpreter %#lx, JIT %#lx",
					 r0_interp, r0_jit);
			else
				describe_difference(why, sizeof(why), interp_mem, mem);
			KT_FAIL("program %lu of seed %#lx (%u insns) differs: %s", i, seed, p.len,
				why);
			print_program(&g, &p);
			return;
		}
	}
	check_coverage(kt);
	printf("# %lu programs (%lu with a bpf-to-bpf callee), %lu instructions: JIT and interpreter agree\n",
	       programs, with_callee, total_insns);
}
