/*
 * The eBPF interpreter (contract in kernel/bpf/exec.h): a pre-decoded, direct-threaded one.
 *
 * bpf_interp_prepare turns every instruction slot into a struct dinsn: the address of the code
 * that runs it (a label inside interp_exec), its register numbers, its immediate already widened
 * the way the operation reads it, and for a jump or call the slot it goes to. So interp_exec does
 * no decoding and no bounds checks: each handler does its work and ends with its own indirect jump
 * to the next slot's handler (GCC's labels as values), which gives the branch predictor one
 * history per handler instead of the single one of a switch. Slot i is instruction i; the second
 * half of an LD_IMM64 keeps a slot that never runs, so jump targets need no index translation.
 *
 * Because the executed program is trusted (the verifier's, or a test's), prepare checks only what
 * would let interp_exec itself leave its data: every opcode decodes, every jump and call lands on
 * a slot (a call on a subprogram start), the last instruction cannot fall through, no call chain
 * is longer than BPF_MAX_CALL_DEPTH frames (recursion included), every stack depth is at most
 * BPF_STACK_FRAME_MAX, and every helper called exists. A program that breaks one of them makes
 * prepare return NULL, as out of memory does; a verified program never does.
 *
 * Size: the slots (32 bytes an instruction) are one kmalloc block, and kmalloc's largest is a
 * 4 MiB buddy block, so the longest program prepare takes is 131072 instructions (BPF_INTERP_MAX_INSNS
 * below); a longer one gets NULL.
 *
 * Stack: a run's whole stack (all of its frames) lives on the C stack of bpf_interp_run, sized for
 * the deepest call chain that can start at the subprogram run (computed by prepare), in one of two
 * tiers: 512 bytes, Linux's limit for all frames of a program together and what nearly every
 * program needs, or BPF_MAX_CALL_DEPTH * BPF_STACK_FRAME_MAX = 4 KiB. So a run costs its caller
 * about 1 KiB of a 32 KiB kernel stack in the common case, 4.5 KiB at worst, and never allocates
 * (it has no error to return). A nested run (a helper running a callback) takes its own stack, of
 * its own subprogram's need, below its caller's: how deep helpers may nest runs is for the
 * verifier and the helpers to bound (Linux counts a callback's frames in its caller's chain).
 * The bytes of the stack start undefined: the verifier rejects reading a slot before writing it.
 */
#include "kernel/bpf/exec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/bpf/probe.h"
#include "kernel/panic.h"
#include "mm/kmem.h"

/* One decoded instruction slot. */
struct dinsn {
	const void *op;   /* the handler: a label in interp_exec */
	uint8_t dst, src; /* register numbers */
	uint32_t frame;   /* pseudo call: the calling subprogram's stack depth */
	union {
		uint64_t imm;  /* widened as the operation reads it; LD_IMM64: the whole value */
		bpf_func_t fn; /* helper call: the function */
	};
	union {
		/* jumps: where a taken jump goes; pseudo call: the callee */
		const struct dinsn *target;
		int64_t off; /* loads, stores, atomics: the sign-extended offset */
	};
};

struct bpf_interp_image {
	struct dinsn *code; /* one slot per instruction, a separate allocation */
	uint32_t nsubprogs;
	const struct dinsn **entry; /* nsubprogs: each subprogram's first slot */
	uint32_t *stack_need; /* nsubprogs: bytes of stack a run of it may use, callees included */
};

_Static_assert((uint64_t)BPF_INTERP_MAX_INSNS * sizeof(struct dinsn) <= (4u << 20),
	       "the slots of the longest program fit one 4 MiB kmalloc block");

/* subprog_of's mark for the second half of an LD_IMM64, which belongs to no subprogram. */
#define NOT_AN_INSN UINT32_MAX

/* Unaligned, alias-anything access: BPF loads and stores may be misaligned on x86-64. */
typedef uint16_t __attribute__((aligned(1), may_alias)) una_u16;
typedef uint32_t __attribute__((aligned(1), may_alias)) una_u32;
typedef uint64_t __attribute__((aligned(1), may_alias)) una_u64;

/*
 * The handlers, as families of X-macro lists: each list makes the enum of handler numbers, the
 * table of label addresses, the handlers and the decoding, so the four cannot disagree.
 *
 * ALU: name, BPF operation, offset (1 selects the signed division forms), result from a and b
 * (the operands in the width's unsigned type U; S is its signed type, bits its width).
 * Division by zero and signed overflow are RFC 9669's: x / 0 = 0, x % 0 = x, MIN / -1 = MIN
 * (computed as 0 - a, which cannot trap), MIN % -1 = 0.
 */
#define ALU_OPS(X)                                                             \
	X(ADD, BPF_ADD, 0, a + b)                                              \
	X(SUB, BPF_SUB, 0, a - b)                                              \
	X(MUL, BPF_MUL, 0, a *b)                                               \
	X(OR, BPF_OR, 0, a | b)                                                \
	X(AND, BPF_AND, 0, a &b)                                               \
	X(XOR, BPF_XOR, 0, a ^ b)                                              \
	X(LSH, BPF_LSH, 0, a << (b & (bits - 1)))                              \
	X(RSH, BPF_RSH, 0, a >> (b & (bits - 1)))                              \
	X(ARSH, BPF_ARSH, 0, (U)((S)a >> (b & (bits - 1))))                    \
	X(DIV, BPF_DIV, 0, b ? a / b : 0)                                      \
	X(MOD, BPF_MOD, 0, b ? a % b : a)                                      \
	X(SDIV, BPF_DIV, 1, !b ? 0 : (S)b == -1 ? (U)0 - a : (U)((S)a / (S)b)) \
	X(SMOD, BPF_MOD, 1, !b ? a : (S)b == -1 ? 0 : (U)((S)a % (S)b))

/* Conditional jumps: name, BPF operation, comparison type of the 64-bit form, of the 32-bit form, operator. */
#define JCC_OPS(X)                               \
	X(JEQ, BPF_JEQ, uint64_t, uint32_t, ==)  \
	X(JNE, BPF_JNE, uint64_t, uint32_t, !=)  \
	X(JGT, BPF_JGT, uint64_t, uint32_t, >)   \
	X(JGE, BPF_JGE, uint64_t, uint32_t, >=)  \
	X(JLT, BPF_JLT, uint64_t, uint32_t, <)   \
	X(JLE, BPF_JLE, uint64_t, uint32_t, <=)  \
	X(JSET, BPF_JSET, uint64_t, uint32_t, &) \
	X(JSGT, BPF_JSGT, int64_t, int32_t, >)   \
	X(JSGE, BPF_JSGE, int64_t, int32_t, >=)  \
	X(JSLT, BPF_JSLT, int64_t, int32_t, <)   \
	X(JSLE, BPF_JSLE, int64_t, int32_t, <=)

/*
 * Loads: name, BPF mode, its probing mode (exec.h), BPF size, memory type, what dst gets from the
 * loaded value v. Each makes two handlers: LDX_name reads memory directly, PROBE_name through
 * bpf_probe_read_nofault.
 */
#define LOAD_OPS(X)                                                             \
	X(B, BPF_MEM, BPF_PROBE_MEM, BPF_B, uint8_t, v)                         \
	X(H, BPF_MEM, BPF_PROBE_MEM, BPF_H, una_u16, v)                         \
	X(W, BPF_MEM, BPF_PROBE_MEM, BPF_W, una_u32, v)                         \
	X(DW, BPF_MEM, BPF_PROBE_MEM, BPF_DW, una_u64, v)                       \
	X(SB, BPF_MEMSX, BPF_PROBE_MEMSX, BPF_B, uint8_t, (uint64_t)(int8_t)v)  \
	X(SH, BPF_MEMSX, BPF_PROBE_MEMSX, BPF_H, una_u16, (uint64_t)(int16_t)v) \
	X(SW, BPF_MEMSX, BPF_PROBE_MEMSX, BPF_W, una_u32, (uint64_t)(int32_t)v)

/* Stores: name, BPF size, memory type. ST stores the immediate, STX a register. */
#define ST_OPS(X)            \
	X(B, BPF_B, uint8_t) \
	X(H, BPF_H, una_u16) \
	X(W, BPF_W, una_u32) \
	X(DW, BPF_DW, una_u64)

/* Atomic read-modify-writes: name, imm without BPF_FETCH, GCC's fetch-and-op builtin. */
#define ATOMIC_OPS(X)                       \
	X(ADD, BPF_ADD, __atomic_fetch_add) \
	X(OR, BPF_OR, __atomic_fetch_or)    \
	X(AND, BPF_AND, __atomic_fetch_and) \
	X(XOR, BPF_XOR, __atomic_fetch_xor)

/*
 * Register-only operations that set dst from one value: name, the value. CONST is MOV with K
 * (prepare widened the immediate as the width requires); byte order conversions to little-endian
 * are truncations on x86-64 (ZEXT16, and MOV32_X with src = dst).
 */
#define MOVE_OPS(X)                                  \
	X(MOV64_X, SRC)                              \
	X(MOV32_X, (uint32_t)SRC)                    \
	X(CONST, IMM)                                \
	X(MOVSX64_8, (uint64_t)(int8_t)SRC)          \
	X(MOVSX64_16, (uint64_t)(int16_t)SRC)        \
	X(MOVSX64_32, (uint64_t)(int32_t)SRC)        \
	X(MOVSX32_8, (uint32_t)(int8_t)SRC)          \
	X(MOVSX32_16, (uint32_t)(int16_t)SRC)        \
	X(NEG64, 0 - DST)                            \
	X(NEG32, (uint32_t)(0 - (uint32_t)DST))      \
	X(ZEXT16, (uint16_t)DST)                     \
	X(BSWAP16, __builtin_bswap16((uint16_t)DST)) \
	X(BSWAP32, __builtin_bswap32((uint32_t)DST)) \
	X(BSWAP64, __builtin_bswap64(DST))

/* The rest, one handler each. */
#define OTHER_OPS(X) \
	X(LD_IMM64)  \
	X(NOP)       \
	X(XCHG32) X(XCHG64) X(CMPXCHG32) X(CMPXCHG64) X(JA) X(CALL_HELPER) X(CALL_LOCAL) X(EXIT)

/*
 * Handler numbers. An ALU family is four in a row (64-bit K, 64-bit X, 32-bit K, 32-bit X), a jump
 * family likewise, an atomic family four (32, 64, 32 fetch, 64 fetch): decoding adds to the first.
 */
#define ENUM_ALU(name, ...) OP_##name##64_K, OP_##name##64_X, OP_##name##32_K, OP_##name##32_X,
#define ENUM_ONE(name, ...) OP_##name,
#define ENUM_LOAD(name, ...) OP_LDX_##name, OP_PROBE_##name,
#define ENUM_ST(name, ...) OP_ST_##name, OP_STX_##name,
#define ENUM_ATOMIC(name, ...) OP_A_##name##32, OP_A_##name##64, OP_AF_##name##32, OP_AF_##name##64,
enum interp_op {
	ALU_OPS(ENUM_ALU) JCC_OPS(ENUM_ALU) LOAD_OPS(ENUM_LOAD) ST_OPS(ENUM_ST)
		ATOMIC_OPS(ENUM_ATOMIC) MOVE_OPS(ENUM_ONE) OTHER_OPS(ENUM_ONE) OP_COUNT
};

/* The loaded value of a probing load, or 0 if [addr, addr + n) cannot be read. */
static uint64_t probe_load(uintptr_t addr, size_t n)
{
	uint64_t v = 0;
	if (!bpf_probe_read_nofault(&v, (const void *)addr, n))
		return 0;
	return v; /* x86-64 is little-endian: the n bytes are v's low ones */
}

/* A caller's state, kept while a bpf-to-bpf call runs. */
struct frame {
	const struct dinsn *ret;
	uint64_t r6, r7, r8, r9, r10;
};

/*
 * Run from slot pc with r10 = fp and r1..r5 = args; returns r0. Called with table != NULL it only
 * stores its handler table there (indexed by enum interp_op) and returns 0: the label addresses
 * exist only inside this function, and prepare needs them.
 */
static uint64_t interp_exec(const struct dinsn *pc, uint64_t *fp, const uint64_t args[5],
			    const void *const **table)
{
#define LABEL_ALU(name, ...) &&L_##name##64_K, &&L_##name##64_X, &&L_##name##32_K, &&L_##name##32_X,
#define LABEL_ONE(name, ...) &&L_##name,
#define LABEL_LOAD(name, ...) &&L_LDX_##name, &&L_PROBE_##name,
#define LABEL_ST(name, ...) &&L_ST_##name, &&L_STX_##name,
#define LABEL_ATOMIC(name, ...) \
	&&L_A_##name##32, &&L_A_##name##64, &&L_AF_##name##32, &&L_AF_##name##64,
	static const void *const handlers[OP_COUNT] = {
		ALU_OPS(LABEL_ALU) JCC_OPS(LABEL_ALU) LOAD_OPS(LABEL_LOAD) ST_OPS(LABEL_ST)
			ATOMIC_OPS(LABEL_ATOMIC) MOVE_OPS(LABEL_ONE) OTHER_OPS(LABEL_ONE)};
	if (table) {
		*table = handlers;
		return 0;
	}

	uint64_t r[MAX_BPF_REG] = {0,
				   args[0],
				   args[1],
				   args[2],
				   args[3],
				   args[4],
				   0,
				   0,
				   0,
				   0,
				   (uint64_t)(uintptr_t)fp};
	struct frame frames[BPF_MAX_CALL_DEPTH - 1];
	unsigned depth = 0;

#define DST r[pc->dst]
#define SRC r[pc->src]
#define IMM pc->imm
#define ADDR(base) ((uintptr_t)((base) + (uint64_t)pc->off))
#define NEXT                   \
	do {                   \
		pc++;          \
		goto * pc->op; \
	} while (0)
#define JUMP                     \
	do {                     \
		pc = pc->target; \
		goto * pc->op;   \
	} while (0)

	goto * pc->op;

#define ALU_BODY(UNSIGNED, SIGNED, BITS, B, expr)         \
	{                                                 \
		typedef UNSIGNED U;                       \
		typedef SIGNED S __attribute__((unused)); \
		enum { bits = BITS };                     \
		U a = (U)DST, b = (U)(B);                 \
		DST = (U)(expr);                          \
		NEXT;                                     \
	}
#define HANDLE_ALU(name, opc, off, expr)                                           \
	L_##name##64_K : ALU_BODY(uint64_t, int64_t, 64, IMM, expr) L_##name##64_X \
	    : ALU_BODY(uint64_t, int64_t, 64, SRC, expr) L_##name##32_K            \
	    : ALU_BODY(uint32_t, int32_t, 32, IMM, expr) L_##name##32_X            \
	    : ALU_BODY(uint32_t, int32_t, 32, SRC, expr)
	ALU_OPS(HANDLE_ALU)

#define HANDLE_JCC(name, opc, T64, T32, cmp)              \
	L_##name##64_K : if ((T64)DST cmp(T64) IMM) JUMP; \
	NEXT;                                             \
	L_##name##64_X : if ((T64)DST cmp(T64) SRC) JUMP; \
	NEXT;                                             \
	L_##name##32_K : if ((T32)DST cmp(T32) IMM) JUMP; \
	NEXT;                                             \
	L_##name##32_X : if ((T32)DST cmp(T32) SRC) JUMP; \
	NEXT;
	JCC_OPS(HANDLE_JCC)

#define HANDLE_LOAD(name, mode, probe_mode, size, T, result) \
	L_LDX_##name:                                        \
	{                                                    \
		T v = *(const T *)ADDR(SRC);                 \
		DST = (result);                              \
		NEXT;                                        \
	}                                                    \
	L_PROBE_##name:                                      \
	{                                                    \
		T v = (T)probe_load(ADDR(SRC), sizeof(T));   \
		DST = (result);                              \
		NEXT;                                        \
	}
	LOAD_OPS(HANDLE_LOAD)

#define HANDLE_ST(name, size, T)                 \
	L_ST_##name : *(T *)ADDR(DST) = (T)IMM;  \
	NEXT;                                    \
	L_STX_##name : *(T *)ADDR(DST) = (T)SRC; \
	NEXT;
	ST_OPS(HANDLE_ST)

#define HANDLE_ATOMIC(name, opc, fetch_op)                                                        \
	L_A_##name##32 : fetch_op((uint32_t *)ADDR(DST), (uint32_t)SRC, __ATOMIC_SEQ_CST);        \
	NEXT;                                                                                     \
	L_A_##name##64 : fetch_op((uint64_t *)ADDR(DST), SRC, __ATOMIC_SEQ_CST);                  \
	NEXT;                                                                                     \
	L_AF_##name##32 : SRC = fetch_op((uint32_t *)ADDR(DST), (uint32_t)SRC, __ATOMIC_SEQ_CST); \
	NEXT;                                                                                     \
	L_AF_##name##64 : SRC = fetch_op((uint64_t *)ADDR(DST), SRC, __ATOMIC_SEQ_CST);           \
	NEXT;
	ATOMIC_OPS(HANDLE_ATOMIC)

L_XCHG32:
	SRC = __atomic_exchange_n((uint32_t *)ADDR(DST), (uint32_t)SRC, __ATOMIC_SEQ_CST);
	NEXT;
L_XCHG64:
	SRC = __atomic_exchange_n((uint64_t *)ADDR(DST), SRC, __ATOMIC_SEQ_CST);
	NEXT;
L_CMPXCHG32 : {
	/* r0 is the comparand and receives the old value, whether or not the swap happened. */
	uint32_t old = (uint32_t)r[0];
	__atomic_compare_exchange_n((uint32_t *)ADDR(DST), &old, (uint32_t)SRC, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	r[0] = old;
	NEXT;
}
L_CMPXCHG64 : {
	uint64_t old = r[0];
	__atomic_compare_exchange_n((uint64_t *)ADDR(DST), &old, SRC, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	r[0] = old;
	NEXT;
}

#define HANDLE_MOVE(name, value)  \
	L_##name : DST = (value); \
	NEXT;
	MOVE_OPS(HANDLE_MOVE)
L_LD_IMM64:
	DST = IMM;
	pc += 2;
	goto * pc->op;
L_NOP:
	NEXT;
L_JA:
	JUMP;
L_CALL_HELPER:
	r[0] = pc->fn(r[1], r[2], r[3], r[4], r[5]);
	NEXT;
L_CALL_LOCAL : {
	/* prepare proved no chain exceeds BPF_MAX_CALL_DEPTH frames, so frames[] cannot overflow */
	struct frame *f = &frames[depth++];
	*f = (struct frame){pc + 1, r[6], r[7], r[8], r[9], r[10]};
	r[10] -= pc->frame; /* the callee's stack lies just below the caller's */
	JUMP;
}
L_EXIT:
	if (depth == 0)
		return r[0];
	{
		const struct frame *f = &frames[--depth];
		r[6] = f->r6;
		r[7] = f->r7;
		r[8] = f->r8;
		r[9] = f->r9;
		r[10] = f->r10;
		pc = f->ret;
		goto * pc->op;
	}
#undef DST
#undef SRC
#undef IMM
#undef ADDR
#undef NEXT
#undef JUMP
}

/* ------------------------------------------------------------------------------------------ */
/* Decoding. */

/* Round a stack depth up to the 8-byte alignment every frame keeps. */
static uint32_t frame_bytes(uint16_t depth)
{
	return (depth + 7u) & ~7u;
}

/* Decoding state shared by the helpers below. */
struct decoder {
	const struct bpf_exec_prog *p;
	const void *const *handlers;
	struct bpf_interp_image *img;
	const uint32_t *subprog_of; /* for each insn, its subprogram, or NOT_AN_INSN */
};

/* The slot a jump from insn pc with relative offset rel lands on, or NULL if that is no slot. */
static const struct dinsn *jump_target(const struct decoder *dc, uint32_t pc, int64_t rel)
{
	int64_t t = (int64_t)pc + 1 + rel;
	if (t < 0 || t >= (int64_t)dc->p->len || dc->subprog_of[t] == NOT_AN_INSN)
		return NULL;
	return &dc->img->code[t];
}

static bool decode_alu(const struct bpf_insn *in, struct dinsn *d, int *op)
{
	uint8_t code = in->code;
	bool is64 = BPF_CLASS(code) == BPF_ALU64, x = BPF_SRC(code) == BPF_X;
	/* K operands as the RFC reads them: sign-extended in ALU64, the 32 bits in ALU. */
	d->imm = is64 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm;

	switch (BPF_OP(code)) {
	case BPF_MOV:
		if (!x) {
			*op = OP_CONST;
			return in->off == 0;
		}
		switch (in->off) {
		case 0:
			*op = is64 ? OP_MOV64_X : OP_MOV32_X;
			return true;
		case 8:
			*op = is64 ? OP_MOVSX64_8 : OP_MOVSX32_8;
			return true;
		case 16:
			*op = is64 ? OP_MOVSX64_16 : OP_MOVSX32_16;
			return true;
		case 32:
			*op = OP_MOVSX64_32;
			return is64;
		}
		return false;
	case BPF_NEG:
		*op = is64 ? OP_NEG64 : OP_NEG32;
		return !x;
	case BPF_END:
		if (is64) { /* ALU64 | END: unconditional byte swap; the source bit must be clear */
			if (x)
				return false;
		} else if (!x) { /* to little-endian: on x86-64 only a truncation */
			switch (in->imm) {
			case 16:
				*op = OP_ZEXT16;
				return true;
			case 32:
				*op = OP_MOV32_X;
				d->src = d->dst;
				return true;
			case 64:
				*op = OP_NOP;
				return true;
			}
			return false;
		}
		switch (in->imm) {
		case 16:
			*op = OP_BSWAP16;
			return true;
		case 32:
			*op = OP_BSWAP32;
			return true;
		case 64:
			*op = OP_BSWAP64;
			return true;
		}
		return false;
	}
#define DECODE_ALU(name, opc, offset, expr)                 \
	if (BPF_OP(code) == (opc) && in->off == (offset)) { \
		*op = OP_##name##64_K + (is64 ? 0 : 2) + x; \
		return true;                                \
	}
	ALU_OPS(DECODE_ALU)
	return false;
}

static bool decode_jmp(const struct decoder *dc, uint32_t pc, struct dinsn *d, int *op)
{
	const struct bpf_insn *in = &dc->p->insns[pc];
	uint8_t code = in->code;
	bool is64 = BPF_CLASS(code) == BPF_JMP, x = BPF_SRC(code) == BPF_X;

	switch (BPF_OP(code)) {
	case BPF_JA:
		/* JMP | JA jumps by off; JMP32 | JA (gotol) by the 32-bit imm. */
		*op = OP_JA;
		return !x && (d->target = jump_target(dc, pc, is64 ? in->off : in->imm)) != NULL;
	case BPF_EXIT:
		*op = OP_EXIT;
		return is64 && !x;
	case BPF_CALL:
		if (!is64 || x)
			return false;
		if (in->src_reg == 0) {
			const struct bpf_exec_prog *p = dc->p;
			*op = OP_CALL_HELPER;
			if (in->imm < 0 || !p->calls || (uint32_t)in->imm >= p->ncalls ||
			    !p->calls[in->imm])
				return false;
			d->fn = p->calls[in->imm];
			return true;
		}
		if (in->src_reg == BPF_PSEUDO_CALL) {
			*op = OP_CALL_LOCAL;
			d->frame = frame_bytes(dc->p->stack_depth[dc->subprog_of[pc]]);
			d->target = jump_target(dc, pc, in->imm);
			return d->target &&
			       dc->img->entry[dc->subprog_of[d->target - dc->img->code]] ==
				       d->target;
		}
		return false;
	}
	d->imm = is64 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm;
#define DECODE_JCC(name, opc, T64, T32, cmp)                               \
	if (BPF_OP(code) == (opc)) {                                       \
		*op = OP_##name##64_K + (is64 ? 0 : 2) + x;                \
		return (d->target = jump_target(dc, pc, in->off)) != NULL; \
	}
	JCC_OPS(DECODE_JCC)
	return false;
}

static bool decode_mem(const struct bpf_insn *in, struct dinsn *d, int *op)
{
	uint8_t code = in->code, mode = BPF_MODE(code), size = BPF_SIZE(code);
	d->off = in->off;

	switch (BPF_CLASS(code)) {
	case BPF_LDX:
#define DECODE_LOAD(name, m, probe_m, sz, ...)                       \
	if (size == (sz) && (mode == (m) || mode == (probe_m))) {    \
		*op = mode == (m) ? OP_LDX_##name : OP_PROBE_##name; \
		return true;                                         \
	}
		LOAD_OPS(DECODE_LOAD)
		return false;
	case BPF_ST:
	case BPF_STX:
		if (mode == BPF_MEM) {
			/* ST's immediate is sign-extended to the store's size (only DW sees it). */
			d->imm = (uint64_t)(int64_t)in->imm;
#define DECODE_ST(name, sz, T)                                                  \
	if (size == (sz)) {                                                     \
		*op = BPF_CLASS(code) == BPF_ST ? OP_ST_##name : OP_STX_##name; \
		return true;                                                    \
	}
			ST_OPS(DECODE_ST)
		}
		if (mode != BPF_ATOMIC || BPF_CLASS(code) != BPF_STX ||
		    (size != BPF_W && size != BPF_DW))
			return false;
		bool is64 = size == BPF_DW;
		if (in->imm == BPF_XCHG) {
			*op = is64 ? OP_XCHG64 : OP_XCHG32;
			return true;
		}
		if (in->imm == BPF_CMPXCHG) {
			*op = is64 ? OP_CMPXCHG64 : OP_CMPXCHG32;
			return true;
		}
#define DECODE_ATOMIC(name, opc, fn)                                            \
	if ((in->imm & ~BPF_FETCH) == (opc)) {                                  \
		*op = OP_A_##name##32 + is64 + ((in->imm & BPF_FETCH) ? 2 : 0); \
		return true;                                                    \
	}
		ATOMIC_OPS(DECODE_ATOMIC)
		return false;
	}
	return false;
}

/* Decode insn pc into its slot; false if it is not an instruction the executors run. */
static bool decode(const struct decoder *dc, uint32_t pc)
{
	const struct bpf_insn *in = &dc->p->insns[pc];
	struct dinsn *d = &dc->img->code[pc];
	int op = -1;
	bool ok;

	d->dst = in->dst_reg;
	d->src = in->src_reg;
	switch (BPF_CLASS(in->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		ok = decode_alu(in, d, &op);
		break;
	case BPF_JMP:
	case BPF_JMP32:
		ok = decode_jmp(dc, pc, d, &op);
		break;
	case BPF_LD:
		/* Only LD_IMM64 with its pseudo source resolved; legacy ABS/IND loads are not eBPF's. */
		op = OP_LD_IMM64;
		ok = in->code == (BPF_LD | BPF_IMM | BPF_DW) && in->src_reg == 0;
		if (ok)
			d->imm = (uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32;
		break;
	default:
		ok = decode_mem(in, d, &op);
		break;
	}
	if (!ok || in->dst_reg >= MAX_BPF_REG || in->src_reg >= MAX_BPF_REG)
		return false;
	d->op = dc->handlers[op];
	return true;
}

/*
 * Frames and stack bytes the deepest call chain from subprogram s needs, memoized in frames[] and
 * img->stack_need[] (frames[s] == 0: not yet known). level is s's frame number on the chain being
 * followed; a chain longer than BPF_MAX_CALL_DEPTH, which every recursion becomes, returns false.
 * The recursion is bounded by the same limit.
 */
static bool chain_need(const struct decoder *dc, uint8_t *frames, uint32_t s, unsigned level)
{
	const struct bpf_exec_prog *p = dc->p;
	if (level > BPF_MAX_CALL_DEPTH)
		return false;
	if (frames[s])
		return level + frames[s] - 1 <= BPF_MAX_CALL_DEPTH;
	uint32_t end = s + 1 < p->nsubprogs ? p->subprog_start[s + 1] : p->len;
	uint32_t own = dc->img->stack_need[s], need = own;
	unsigned deepest = 1;
	for (uint32_t pc = p->subprog_start[s]; pc < end; pc++) {
		const struct dinsn *d = &dc->img->code[pc];
		if (d->op != dc->handlers[OP_CALL_LOCAL])
			continue;
		uint32_t callee = dc->subprog_of[d->target - dc->img->code];
		if (!chain_need(dc, frames, callee, level + 1))
			return false;
		if (frames[callee] + 1u > deepest)
			deepest = frames[callee] + 1u;
		if (own + dc->img->stack_need[callee] > need)
			need = own + dc->img->stack_need[callee];
	}
	frames[s] = (uint8_t)deepest;
	dc->img->stack_need[s] = need;
	return level + deepest - 1 <= BPF_MAX_CALL_DEPTH;
}

/* Fill subprog_of (the subprogram of each insn, NOT_AN_INSN for LD_IMM64 halves); false if a
 * subprogram starts in the middle of an LD_IMM64 or one is the last insn. */
static bool map_insns(const struct bpf_exec_prog *p, uint32_t *subprog_of)
{
	for (uint32_t s = 0, pc = 0; s < p->nsubprogs; s++) {
		uint32_t end = s + 1 < p->nsubprogs ? p->subprog_start[s + 1] : p->len;
		if (pc > p->subprog_start[s])
			return false;
		while (pc < end) {
			subprog_of[pc] = s;
			if (p->insns[pc++].code == (BPF_LD | BPF_IMM | BPF_DW)) {
				if (pc >= p->len)
					return false;
				subprog_of[pc++] = NOT_AN_INSN;
			}
		}
	}
	return true;
}

struct bpf_interp_image *bpf_interp_prepare(const struct bpf_exec_prog *p)
{
	const void *const *handlers;
	interp_exec(NULL, NULL, NULL, &handlers);

	if (p->len > BPF_INTERP_MAX_INSNS || !bpf_exec_shape_ok(p))
		return NULL;

	struct bpf_interp_image *img =
		kzalloc(sizeof(*img) + p->nsubprogs * (sizeof(struct dinsn *) + sizeof(uint32_t)));
	uint32_t *subprog_of = kmalloc((size_t)p->len * sizeof(uint32_t));
	uint8_t *frames = kzalloc(p->nsubprogs);
	if (!img || !subprog_of || !frames ||
	    !(img->code = kzalloc((size_t)p->len * sizeof(struct dinsn))))
		goto fail;
	if (!map_insns(p, subprog_of))
		goto fail;
	img->nsubprogs = p->nsubprogs;
	img->entry = (const struct dinsn **)(img + 1);
	img->stack_need = (uint32_t *)(img->entry + p->nsubprogs);
	for (uint32_t s = 0; s < p->nsubprogs; s++) {
		img->entry[s] = &img->code[p->subprog_start[s]];
		img->stack_need[s] = frame_bytes(p->stack_depth[s]);
	}

	struct decoder dc = {p, handlers, img, subprog_of};
	for (uint32_t pc = 0; pc < p->len; pc++) {
		/* never run: LD_IMM64 steps over it */
		if (subprog_of[pc] == NOT_AN_INSN)
			img->code[pc].op = handlers[OP_NOP];
		else if (!decode(&dc, pc))
			goto fail;
	}
	for (uint32_t s = 0; s < p->nsubprogs; s++)
		if (!chain_need(&dc, frames, s, 1))
			goto fail;
	kfree(frames);
	kfree(subprog_of);
	return img;

fail:
	kfree(frames);
	kfree(subprog_of);
	bpf_interp_free(img);
	return NULL;
}

/*
 * The two stack tiers (see the top of the file). Separate functions, never inlined, so that a
 * small run does not pay for the large array in its frame.
 */
#define SMALL_STACK 512
#define LARGE_STACK (BPF_MAX_CALL_DEPTH * BPF_STACK_FRAME_MAX)

static __attribute__((noinline)) uint64_t run_small(const struct dinsn *entry,
						    const uint64_t args[5])
{
	uint64_t stack[SMALL_STACK / 8];
	return interp_exec(entry, stack + SMALL_STACK / 8, args, NULL);
}

static __attribute__((noinline)) uint64_t run_large(const struct dinsn *entry,
						    const uint64_t args[5])
{
	uint64_t stack[LARGE_STACK / 8];
	return interp_exec(entry, stack + LARGE_STACK / 8, args, NULL);
}

uint64_t bpf_interp_run(const struct bpf_interp_image *img, uint32_t subprog,
			const uint64_t args[5])
{
	KASSERT(subprog < img->nsubprogs, "bpf_interp_run: subprogram %u of %u", subprog,
		img->nsubprogs);
	if (img->stack_need[subprog] <= SMALL_STACK)
		return run_small(img->entry[subprog], args);
	return run_large(img->entry[subprog], args);
}

void bpf_interp_free(struct bpf_interp_image *img)
{
	if (img)
		kfree(img->code);
	kfree(img);
}
