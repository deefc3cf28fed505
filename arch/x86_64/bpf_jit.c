/*
 * The x86-64 BPF JIT (contract in kernel/bpf/exec.h; the fault hook in arch/x86_64/bpf_jit.h).
 *
 * Registers. Every BPF register lives in one x86 register for the whole run, so no instruction
 * spills; r1..r5 are System V's argument registers and r0 its return register, so a helper call
 * is a plain call, and r6..r9 are callee-saved there as in BPF:
 *
 *   BPF  r0  r1  r2  r3  r4  r5  r6  r7  r8  r9  r10
 *   x86  rax rdi rsi rdx rcx r8  rbx r13 r14 r15 rbp
 *
 * r11, r10 and r9 are the JIT's scratch registers (AUX, AUX2, AUX3 below; caller-saved, so calls
 * may clobber them); r12 is unused. Three instructions need fixed registers: a shift by a register
 * needs its count in cl (r4's rcx is parked in r11 meanwhile), division needs rdx:rax (r0 and r3
 * are parked in r10 and r9), and the compare-exchange loops of the fetching atomics need rax (r0
 * is parked in r10).
 *
 * Frames. Each subprogram is a System V function of its own; a bpf-to-bpf call is a native call:
 *
 *   push rbp; mov rbp, rsp             r10 = rbp: the frame's BPF stack is [rbp - depth, rbp)
 *   sub rsp, N                         N: depth rounded up so that rsp is 16-byte aligned at calls
 *   push rbx / r13 / r14 / r15         only those of r6..r9 the subprogram names
 *   ...
 *   pop ...; leave; ret                at every exit
 *
 * Jumps are rel8 where they reach and rel32 elsewhere. The whole program is emitted repeatedly:
 * the first pass (which writes nothing) measures it with every jump rel32; each later pass makes
 * short every jump whose distance, measured on the layout of the pass before, fits in a rel8.
 * Code only shrinks from pass to pass, so a jump found short stays short; a pass that shortens
 * nothing lays the code out exactly as the pass before it did, so its displacements are exact,
 * and it is the output. After MAX_SHRINK_PASSES passes the JIT stops shortening, which ends it.
 *
 * Probing loads (BPF_PROBE_MEM, BPF_PROBE_MEMSX): dst is zeroed, then the load runs only if the
 * address is at least PROBE_MIN (in the kernel: in the kernel half; below it lie user memory and
 * non-canonical addresses, never a kernel object, so the load can only page-fault). A page fault
 * on the load is fixed up (bpf_jit_fixup) by resuming after it, dst still 0: the code's block
 * starts with a header and a table of the probing loads, sorted by offset, saying where each load
 * is and where to resume.
 *
 *   block: [struct jit_header][struct jit_fixup x nfix][code, 16-byte aligned]
 */
#include "kernel/bpf/exec.h"

#include "arch/x86_64/bpf_jit.h"
#include "kernel/bpf/jit_mem.h"
#include "kernel/string.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"

#ifndef KESTREL_HOST
#include "arch/x86_64/trap.h"
#endif

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
#define AUX R11
#define AUX2 R10
#define AUX3 R9

static const uint8_t reg_of[MAX_BPF_REG] = {RAX, RDI, RSI, RDX, RCX, R8, RBX, R13, R14, R15, RBP};

#ifdef KESTREL_HOST
/* A host process cannot fix up its own faults: only NULL-page pointers are caught. */
#define PROBE_MIN PAGE_SIZE
#else
#define PROBE_MIN DMAP_BASE
#endif

/* Passes that may shorten jumps; a program needing more keeps the rest of its jumps rel32. */
#define MAX_SHRINK_PASSES 16

/* x86 condition codes (the low nibble of jcc). */
#define CC_B 0x2
#define CC_E 0x4
#define CC_NE 0x5

/* At the start of the block. Offsets are from the block's start (code_off) or the code's. */
struct jit_header {
	uint32_t code_off, code_len, nfix, pad;
};

/* One probing load: at code offset insn; a fault on it resumes at code offset resume. */
struct jit_fixup {
	uint32_t insn, resume;
};

struct bpf_jit_image {
	void *block; /* from bpf_jit_mem_alloc(block_len), sealed */
	size_t block_len;
	const uint8_t *code;
	uint32_t code_len;
	uint32_t nsubprogs;
	uint32_t entry[]; /* code offset of each subprogram's prologue */
};

/* Per-instruction flags. */
#define F_SHORT 0x1  /* this jump is rel8 (sticky: once short, short in every later pass) */
#define F_HALF 0x2   /* the second half of an LD_IMM64: no instruction */
#define F_TARGET 0x4 /* some jump of the program lands here */

struct jit {
	const struct bpf_exec_prog *p;
	uint8_t *buf;       /* NULL while the first pass measures */
	uint32_t cap, pos;  /* buf's size; the offset being emitted */
	uint32_t *addr;     /* len + 1: where each insn's code starts ([len]: the end) */
	uint32_t *sub_addr; /* nsubprogs: where each subprogram's prologue starts */
	uint8_t *flags;     /* len: F_* */
	uint8_t *saves;     /* nsubprogs: bit k set if the subprogram names r(6 + k) */
	struct jit_fixup *fix;
	uint32_t nfix;
	const struct bpf_exec_array *arrays; /* narrays lookups to inline (exec.h) */
	uint32_t narrays;
	bool shrink; /* this pass may shorten jumps */
	bool shrunk; /* and it did */
};

/* ------------------------------------------------------------------------------------------ */
/* Encoding. */

static void emit1(struct jit *j, uint8_t b)
{
	if (j->buf && j->pos < j->cap)
		j->buf[j->pos] = b;
	j->pos++;
}

static void emit2(struct jit *j, uint16_t v)
{
	emit1(j, (uint8_t)v);
	emit1(j, (uint8_t)(v >> 8));
}

static void emit4(struct jit *j, uint32_t v)
{
	emit2(j, (uint16_t)v);
	emit2(j, (uint16_t)(v >> 16));
}

static void emit8(struct jit *j, uint64_t v)
{
	emit4(j, (uint32_t)v);
	emit4(j, (uint32_t)(v >> 32));
}

/* Operand flags of one instruction. */
#define OP_W 0x1    /* REX.W: 64-bit operands */
#define OP_16 0x2   /* 0x66: 16-bit operands */
#define OP_BREG 0x4 /* the ModRM reg operand is a byte register */
#define OP_BRM 0x8  /* the ModRM r/m operand is a byte register */
#define OP_LOCK 0x10

/* Prefixes and opcode (one byte, or 0x0fxx for two) of an instruction with operands reg and rm. */
static void emit_head(struct jit *j, unsigned f, unsigned opc, int reg, int rm)
{
	if (f & OP_LOCK)
		emit1(j, 0xf0);
	if (f & OP_16)
		emit1(j, 0x66);
	uint8_t rex = (f & OP_W ? 8 : 0) | (reg & 8 ? 4 : 0) | (rm & 8 ? 1 : 0);
	/* Byte registers 4..7 are spl..dil only with a REX prefix; without one they are ah..bh. */
	bool low_byte = ((f & OP_BREG) && reg >= RSP && reg <= RDI) ||
			((f & OP_BRM) && rm >= RSP && rm <= RDI);
	if (rex || low_byte)
		emit1(j, 0x40 | rex);
	if (opc > 0xff)
		emit1(j, (uint8_t)(opc >> 8));
	emit1(j, (uint8_t)opc);
}

/* An instruction on two registers (ModRM mod 11); reg is a register or an opcode extension. */
static void emit_rr(struct jit *j, unsigned f, unsigned opc, int reg, int rm)
{
	emit_head(j, f, opc, reg, rm);
	emit1(j, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* An instruction on reg and memory at [base + disp]. */
static void emit_rm(struct jit *j, unsigned f, unsigned opc, int reg, int base, int32_t disp)
{
	emit_head(j, f, opc, reg, base);
	/* mod 00 with base rbp/r13 means rip-relative: those take a disp8 of 0 instead. */
	unsigned mod = disp == 0 && (base & 7) != RBP ? 0 : disp >= -128 && disp < 128 ? 1 : 2;
	emit1(j, (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7)));
	/* rsp/r12 as a base need a SIB byte: base alone, no index */
	if ((base & 7) == RSP)
		emit1(j, 0x24);
	if (mod == 1)
		emit1(j, (uint8_t)disp);
	else if (mod == 2)
		emit4(j, (uint32_t)disp);
}

static void mov_rr(struct jit *j, bool w, int dst, int src)
{
	emit_rr(j, w ? OP_W : 0, 0x89, src, dst);
}

/* dst = imm: sign-extended to 64 bits if w, else zero-extended from 32. Clobbers flags. */
static void mov_imm32(struct jit *j, bool w, int dst, int32_t imm)
{
	if (imm == 0) {
		emit_rr(j, 0, 0x31, dst, dst); /* xor r32, r32 */
	} else if (!w || imm > 0) {
		emit_head(j, 0, 0xb8 | (dst & 7), 0, dst); /* mov r32, imm32 */
		emit4(j, (uint32_t)imm);
	} else {
		emit_rr(j, OP_W, 0xc7, 0, dst); /* mov r/m64, simm32 */
		emit4(j, (uint32_t)imm);
	}
}

static void mov_imm64(struct jit *j, int dst, uint64_t v)
{
	if (v <= UINT32_MAX) {
		mov_imm32(j, false, dst, (int32_t)(uint32_t)v);
	} else if ((int64_t)v == (int32_t)v) {
		mov_imm32(j, true, dst, (int32_t)v);
	} else {
		emit_head(j, OP_W, 0xb8 | (dst & 7), 0, dst); /* movabs */
		emit8(j, v);
	}
}

/* A group-1 operation (digit: 0 add, 1 or, 4 and, 5 sub, 6 xor, 7 cmp) of dst with imm. */
static void alu_imm(struct jit *j, unsigned f, int digit, int dst, int32_t imm)
{
	if (imm >= -128 && imm < 128) {
		emit_rr(j, f, 0x83, digit, dst);
		emit1(j, (uint8_t)imm);
	} else {
		emit_rr(j, f, 0x81, digit, dst);
		emit4(j, (uint32_t)imm);
	}
}

static void push(struct jit *j, int r)
{
	emit_head(j, 0, 0x50 | (r & 7), 0, r);
}

static void pop(struct jit *j, int r)
{
	emit_head(j, 0, 0x58 | (r & 7), 0, r);
}

/* A short forward jcc (cc) or jmp (cc < 0) inside one instruction's code; patch8 aims it. */
static uint32_t jump8_fwd(struct jit *j, int cc)
{
	emit1(j, cc < 0 ? 0xeb : (uint8_t)(0x70 | cc));
	emit1(j, 0);
	return j->pos - 1;
}

static void patch8(struct jit *j, uint32_t at)
{
	if (j->buf && at < j->cap)
		j->buf[at] = (uint8_t)(j->pos - (at + 1));
}

/* ------------------------------------------------------------------------------------------ */
/* Instructions. Operation tables are indexed by BPF_OP(code) >> 4 (atomics: imm >> 4). */

/* group-1 digit; the same operation of r/m with a register is opcode digit << 3 | 1 */
static const uint8_t alu_digit[16] = {
	[BPF_ADD >> 4] = 0, [BPF_SUB >> 4] = 5, [BPF_OR >> 4] = 1,
	[BPF_AND >> 4] = 4, [BPF_XOR >> 4] = 6,
};
static unsigned alu_rr_opcode(unsigned op)
{
	return (unsigned)alu_digit[op >> 4] << 3 | 1;
}

/* group-2 digit */
static const uint8_t shift_digit[16] = {
	[BPF_LSH >> 4] = 4, [BPF_RSH >> 4] = 5, [BPF_ARSH >> 4] = 7};
/* condition code of the jump taken when the comparison holds; 0 for no conditional jump */
static const uint8_t jcc_cc[16] = {
	[BPF_JEQ >> 4] = CC_E,   [BPF_JGT >> 4] = 0x7,   [BPF_JGE >> 4] = 0x3,
	[BPF_JSET >> 4] = CC_NE, [BPF_JNE >> 4] = CC_NE, [BPF_JSGT >> 4] = 0xf,
	[BPF_JSGE >> 4] = 0xd,   [BPF_JLT >> 4] = CC_B,  [BPF_JLE >> 4] = 0x6,
	[BPF_JSLT >> 4] = 0xc,   [BPF_JSLE >> 4] = 0xe,
};

static void emit_shift(struct jit *j, const struct bpf_insn *in, bool w, int dst)
{
	unsigned f = w ? OP_W : 0;
	int digit = shift_digit[BPF_OP(in->code) >> 4];

	if (BPF_SRC(in->code) == BPF_K) {
		unsigned n = (unsigned)in->imm & (w ? 63 : 31);
		if (n == 0) {
			if (!w)
				mov_rr(j, false, dst,
				       dst); /* the 32-bit result still clears the upper half */
		} else if (n == 1) {
			emit_rr(j, f, 0xd1, digit, dst);
		} else {
			emit_rr(j, f, 0xc1, digit, dst);
			emit1(j, (uint8_t)n);
		}
		return;
	}
	int src = reg_of[in->src_reg];
	if (src == RCX && dst != RCX) {
		emit_rr(j, f, 0xd3, digit, dst);
		return;
	}
	/* The count must be in cl, which is r4's: park r4 in AUX meanwhile (and shift it there). */
	mov_rr(j, true, AUX, RCX);
	if (src != RCX)
		mov_rr(j, true, RCX, src);
	emit_rr(j, f, 0xd3, digit, dst == RCX ? AUX : dst);
	mov_rr(j, true, RCX, AUX);
}

/*
 * dst = dst / AUX or dst % AUX (is_signed: idiv), AUX neither 0 nor, when signed, -1, so that the
 * CPU cannot raise #DE. rax and rdx hold r0 and r3: parked in AUX2 and AUX3 unless dst is one.
 */
static void emit_divide(struct jit *j, bool w, bool is_signed, bool mod, int dst)
{
	int res = mod ? RDX : RAX;

	if (dst != RAX) {
		mov_rr(j, true, AUX2, RAX);
		mov_rr(j, true, RAX, dst);
	}
	if (dst != RDX)
		mov_rr(j, true, AUX3, RDX);
	/* cqo / cdq */
	if (is_signed)
		emit_head(j, w ? OP_W : 0, 0x99, 0, 0);
	else
		emit_rr(j, 0, 0x31, RDX, RDX);
	emit_rr(j, w ? OP_W : 0, 0xf7, is_signed ? 7 : 6, AUX);
	if (dst != res)
		mov_rr(j, true, dst, res);
	if (dst != RAX)
		mov_rr(j, true, RAX, AUX2);
	if (dst != RDX)
		mov_rr(j, true, RDX, AUX3);
}

/* The RFC 9669 results of dividing dst by 0: quotient 0, remainder dst (32 bits of it in ALU). */
static void emit_div_by_zero(struct jit *j, bool w, bool mod, int dst)
{
	if (!mod)
		mov_imm32(j, false, dst, 0);
	else if (!w)
		mov_rr(j, false, dst, dst);
}

/* Signed, by -1: quotient -dst (LLONG_MIN stays LLONG_MIN, as neg leaves it), remainder 0. */
static void emit_div_by_minus1(struct jit *j, bool w, bool mod, int dst)
{
	/* neg */
	if (!mod)
		emit_rr(j, w ? OP_W : 0, 0xf7, 3, dst);
	else
		mov_imm32(j, false, dst, 0);
}

/* DIV and MOD: the two divisors idiv would fault on (0 always, -1 when signed) never reach it. */
static void emit_div(struct jit *j, const struct bpf_insn *in, bool w, int dst)
{
	unsigned f = w ? OP_W : 0;
	bool is_signed = in->off == 1, mod = BPF_OP(in->code) == BPF_MOD;

	if (BPF_SRC(in->code) == BPF_K) {
		if (in->imm == 0) {
			emit_div_by_zero(j, w, mod, dst);
		} else if (is_signed && in->imm == -1) {
			emit_div_by_minus1(j, w, mod, dst);
		} else {
			mov_imm32(j, w, AUX, in->imm);
			emit_divide(j, w, is_signed, mod, dst);
		}
		return;
	}

	int src = reg_of[in->src_reg];
	uint32_t to_zero, to_minus1 = 0;
	emit_rr(j, f, 0x85, src, src); /* test */
	to_zero = jump8_fwd(j, CC_E);
	if (is_signed) {
		alu_imm(j, f, 7, src, -1);
		to_minus1 = jump8_fwd(j, CC_E);
	}
	mov_rr(j, true, AUX, src);
	emit_divide(j, w, is_signed, mod, dst);
	uint32_t done = jump8_fwd(j, -1);
	patch8(j, to_zero);
	emit_div_by_zero(j, w, mod, dst);
	if (is_signed) {
		uint32_t done2 = jump8_fwd(j, -1);
		patch8(j, to_minus1);
		emit_div_by_minus1(j, w, mod, dst);
		patch8(j, done2);
	}
	patch8(j, done);
}

static bool emit_alu(struct jit *j, const struct bpf_insn *in)
{
	bool w = BPF_CLASS(in->code) == BPF_ALU64, x = BPF_SRC(in->code) == BPF_X;
	unsigned f = w ? OP_W : 0, op = BPF_OP(in->code);
	int dst = reg_of[in->dst_reg], src = reg_of[in->src_reg];

	switch (op) {
	case BPF_ADD:
	case BPF_SUB:
	case BPF_OR:
	case BPF_AND:
	case BPF_XOR:
		if (x)
			emit_rr(j, f, alu_rr_opcode(op), src, dst);
		else
			alu_imm(j, f, alu_digit[op >> 4], dst, in->imm);
		return true;
	case BPF_MUL:
		if (x) {
			emit_rr(j, f, 0x0faf, dst, src);
		} else if (in->imm >= -128 && in->imm < 128) {
			emit_rr(j, f, 0x6b, dst, dst);
			emit1(j, (uint8_t)in->imm);
		} else {
			emit_rr(j, f, 0x69, dst, dst);
			emit4(j, (uint32_t)in->imm);
		}
		return true;
	case BPF_DIV:
	case BPF_MOD:
		if (in->off != 0 && in->off != 1)
			return false;
		emit_div(j, in, w, dst);
		return true;
	case BPF_LSH:
	case BPF_RSH:
	case BPF_ARSH:
		emit_shift(j, in, w, dst);
		return true;
	case BPF_NEG:
		if (x)
			return false;
		emit_rr(j, f, 0xf7, 3, dst);
		return true;
	case BPF_MOV:
		if (!x) {
			if (in->off != 0)
				return false;
			mov_imm32(j, w, dst, in->imm);
			return true;
		}
		switch (in->off) {
		case 0:
			if (!w || dst != src)
				mov_rr(j, w, dst,
				       src); /* mov r32, r32 also clears the upper half */
			return true;
		case 8:
			emit_rr(j, f | OP_BRM, 0x0fbe, dst, src); /* movsx */
			return true;
		case 16:
			emit_rr(j, f, 0x0fbf, dst, src);
			return true;
		case 32:
			if (!w)
				return false;
			emit_rr(j, OP_W, 0x63, dst, src); /* movsxd */
			return true;
		}
		return false;
	case BPF_END: {
		/* ALU64 | END is an unconditional swap; ALU | END swaps to big-endian only. */
		if (w && x)
			return false;
		bool swap = w || BPF_SRC(in->code) == BPF_TO_BE;
		switch (in->imm) {
		case 16:
			if (swap) {
				emit_rr(j, OP_16, 0xc1, 0, dst); /* rol r16, 8 */
				emit1(j, 8);
			}
			emit_rr(j, 0, 0x0fb7, dst, dst); /* movzx r32, r16 */
			return true;
		case 32:
			/* bswap r32 */
			if (swap)
				emit_head(j, 0, 0x0fc8 | (dst & 7), 0, dst);
			else
				mov_rr(j, false, dst, dst);
			return true;
		case 64:
			if (swap)
				emit_head(j, OP_W, 0x0fc8 | (dst & 7), 0, dst);
			return true;
		}
		return false;
	}
	}
	return false;
}

/* Load (opcode, flags) by BPF size index (BPF_SIZE >> 3: W, H, B, DW) and sign extension. */
static const struct {
	uint16_t opc;
	uint8_t f;
} ld_ops[2][4] = {
	{{0x8b, 0}, {0x0fb7, 0}, {0x0fb6, 0}, {0x8b, OP_W}},    /* mov, movzx */
	{{0x63, OP_W}, {0x0fbf, OP_W}, {0x0fbe, OP_W}, {0, 0}}, /* movsxd, movsx */
};
/* Store flags by size index; the opcode is 0x88 (byte) or 0x89 from a register, 0xc6/0xc7 of an immediate. */
static const uint8_t st_f[4] = {0, OP_16, OP_BREG, OP_W};

/* The load that began at insn and ends here may fault. */
static void record_fixup(struct jit *j, uint32_t insn)
{
	if (j->fix)
		j->fix[j->nfix] = (struct jit_fixup){insn, j->pos};
	j->nfix++;
}

static bool emit_ldx(struct jit *j, const struct bpf_insn *in)
{
	unsigned mode = BPF_MODE(in->code), sz = BPF_SIZE(in->code) >> 3;
	bool sx = mode == BPF_MEMSX || mode == BPF_PROBE_MEMSX;
	int dst = reg_of[in->dst_reg], src = reg_of[in->src_reg];

	if (mode != BPF_MEM && mode != BPF_MEMSX && mode != BPF_PROBE_MEM &&
	    mode != BPF_PROBE_MEMSX)
		return false;
	if (!ld_ops[sx][sz].opc)
		return false;
	if (mode == BPF_MEM || mode == BPF_MEMSX) {
		emit_rm(j, ld_ops[sx][sz].f, ld_ops[sx][sz].opc, dst, src, in->off);
		return true;
	}
	/* The address goes to AUX first: dst may be src, and is zeroed before the load. */
	emit_rm(j, OP_W, 0x8d, AUX, src, in->off); /* lea */
	mov_imm32(j, false, dst, 0);
	mov_imm64(j, AUX2, PROBE_MIN);
	emit_rr(j, OP_W, 0x39, AUX2, AUX); /* cmp AUX, AUX2 */
	uint32_t skip = jump8_fwd(j, CC_B);
	uint32_t at = j->pos;
	emit_rm(j, ld_ops[sx][sz].f, ld_ops[sx][sz].opc, dst, AUX, 0);
	record_fixup(j, at);
	patch8(j, skip);
	return true;
}

static bool emit_store(struct jit *j, const struct bpf_insn *in)
{
	unsigned sz = BPF_SIZE(in->code) >> 3;
	int dst = reg_of[in->dst_reg], src = reg_of[in->src_reg];
	bool byte = BPF_SIZE(in->code) == BPF_B;

	if (BPF_MODE(in->code) != BPF_MEM)
		return false;
	if (BPF_CLASS(in->code) == BPF_STX) {
		emit_rm(j, st_f[sz], byte ? 0x88 : 0x89, src, dst, in->off);
		return true;
	}
	emit_rm(j, st_f[sz] & ~OP_BREG, byte ? 0xc6 : 0xc7, 0, dst, in->off);
	if (byte)
		emit1(j, (uint8_t)in->imm);
	else if (BPF_SIZE(in->code) == BPF_H)
		emit2(j, (uint16_t)in->imm);
	else
		emit4(j, (uint32_t)in->imm);
	return true;
}

static bool emit_atomic(struct jit *j, const struct bpf_insn *in)
{
	bool w = BPF_SIZE(in->code) == BPF_DW;
	unsigned f = w ? OP_W : 0;
	int dst = reg_of[in->dst_reg], src = reg_of[in->src_reg];

	if (BPF_CLASS(in->code) != BPF_STX || (!w && BPF_SIZE(in->code) != BPF_W))
		return false;
	switch (in->imm) {
	case BPF_ADD:
	case BPF_OR:
	case BPF_AND:
	case BPF_XOR:
		emit_rm(j, f | OP_LOCK, alu_rr_opcode((unsigned)in->imm), src, dst, in->off);
		return true;
	case BPF_ADD | BPF_FETCH:
		emit_rm(j, f | OP_LOCK, 0x0fc1, src, dst, in->off); /* xadd */
		return true;
	case BPF_XCHG:
		emit_rm(j, f, 0x87, src, dst, in->off); /* xchg with memory locks by itself */
		return true;
	case BPF_CMPXCHG:
		emit_rm(j, f | OP_LOCK, 0x0fb1, src, dst, in->off);
		/* A cmpxchg r32 that succeeds writes nothing to rax, so its upper half must go. */
		if (!w)
			mov_rr(j, false, RAX, RAX);
		return true;
	case BPF_OR | BPF_FETCH:
	case BPF_AND | BPF_FETCH:
	case BPF_XOR | BPF_FETCH:
		break;
	default:
		return false;
	}
	/*
	 * No x86 instruction ors, ands or xors and returns the old value: a compare-exchange loop,
	 * which needs rax; r0 is parked in AUX2, which stands in for r0 as address or operand.
	 */
	int base = dst == RAX ? AUX2 : dst, val = src == RAX ? AUX2 : src;
	mov_rr(j, true, AUX2, RAX);
	emit_rm(j, f, 0x8b, RAX, base, in->off);
	uint32_t loop = j->pos;
	mov_rr(j, w, AUX, RAX);
	emit_rr(j, f, alu_rr_opcode((unsigned)in->imm & ~BPF_FETCH), val, AUX);
	emit_rm(j, f | OP_LOCK, 0x0fb1, AUX, base, in->off);
	emit1(j, 0x70 | CC_NE);
	emit1(j, (uint8_t)(loop - (j->pos + 1)));
	/* rax is the old value, zero-extended in the 32-bit form; src == r0 keeps it there. */
	if (src != RAX) {
		mov_rr(j, true, src, RAX);
		mov_rr(j, true, RAX, AUX2);
	}
	return true;
}

/* Where a JA or conditional jump at insn i goes (gotol, JMP32 | JA, has its offset in imm). */
static int64_t jump_target(const struct bpf_insn *in, uint32_t i)
{
	return (int64_t)i + 1 + (in->code == (BPF_JMP32 | BPF_JA) ? in->imm : in->off);
}

/* The subprogram that starts at insn pc, or -1 if none does. */
static int64_t subprog_at(const struct bpf_exec_prog *p, int64_t pc)
{
	uint32_t lo = 0, hi = p->nsubprogs;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (p->subprog_start[mid] < pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->nsubprogs && p->subprog_start[lo] == pc ? (int64_t)lo : -1;
}

/* The jump of insn i to insn t: jmp if cc < 0, else jcc cc. */
static void emit_jump(struct jit *j, uint32_t i, uint32_t t, int cc)
{
	if (j->shrink && !(j->flags[i] & F_SHORT)) {
		int64_t d = (int64_t)j->addr[t] - (j->pos + 2);
		if (d >= -128 && d < 128) {
			j->flags[i] |= F_SHORT;
			j->shrunk = true;
		}
	}
	if (j->flags[i] & F_SHORT) {
		emit1(j, cc < 0 ? 0xeb : (uint8_t)(0x70 | cc));
		emit1(j, (uint8_t)(j->addr[t] - (j->pos + 1)));
		return;
	}
	if (cc < 0) {
		emit1(j, 0xe9);
	} else {
		emit1(j, 0x0f);
		emit1(j, (uint8_t)(0x80 | cc));
	}
	emit4(j, j->addr[t] - (j->pos + 4));
}

/* The callee-saved x86 registers of BPF r6..r9. */
static const uint8_t saved_reg[4] = {RBX, R13, R14, R15};

/* What the prologue subtracts from rsp: the stack rounded so that calls see rsp 16-byte aligned. */
static uint32_t frame_size(const struct jit *j, uint32_t s)
{
	uint32_t n = (j->p->stack_depth[s] + 7u) & ~7u;
	uint32_t pushed = 0;
	for (unsigned k = 0; k < 4; k++) /* no popcount: the kernel links without libgcc */
		pushed += j->saves[s] & 1u << k ? 8 : 0;
	/* At entry rsp is 8 past a 16-byte boundary; push rbp made it aligned. */
	return (n + pushed) % 16 ? n + 8 : n;
}

static void emit_prologue(struct jit *j, uint32_t s)
{
	uint32_t n = frame_size(j, s);
	push(j, RBP);
	mov_rr(j, true, RBP, RSP);
	if (n)
		alu_imm(j, OP_W, 5, RSP, (int32_t)n);
	for (int k = 0; k < 4; k++)
		if (j->saves[s] & 1u << k)
			push(j, saved_reg[k]);
}

static void emit_epilogue(struct jit *j, uint32_t s)
{
	for (int k = 3; k >= 0; k--)
		if (j->saves[s] & 1u << k)
			pop(j, saved_reg[k]);
	emit1(j, 0xc9); /* leave */
	emit1(j, 0xc3); /* ret */
}

/*
 * The array (of bpf_jit_compile_arrays') that r1 names at the helper call insn i of subprogram s: r1
 * was set by an LD_IMM64 of its address at most 8 instructions before, in a straight run that
 * nothing jumps into and in which nothing else writes r1 (ALU, loads and stores only). NULL when
 * that cannot be seen, and the JIT calls the helper.
 */
static const struct bpf_exec_array *array_at_call(const struct jit *j, uint32_t s, uint32_t i)
{
	const struct bpf_exec_prog *p = j->p;
	uint32_t start = p->subprog_start[s];

	if (!j->narrays || (j->flags[i] & F_TARGET))
		return NULL;
	for (uint32_t k = i; k > start && i - k < 8;) {
		const struct bpf_insn *in = &p->insns[--k];
		if (j->flags[k] & F_HALF) {
			/* the LD_IMM64 itself (check_insn) */
			const struct bpf_insn *ld = &p->insns[--k];
			if ((j->flags[k] & F_TARGET) && ld->dst_reg != BPF_REG_1)
				return NULL;
			if (ld->dst_reg != BPF_REG_1)
				continue;
			uint64_t v = (uint32_t)ld->imm | (uint64_t)(uint32_t)in->imm << 32;
			for (uint32_t a = 0; a < j->narrays; a++)
				if (j->arrays[a].map == v)
					return &j->arrays[a];
			return NULL;
		}
		unsigned cls = BPF_CLASS(in->code);
		if (j->flags[k] & F_TARGET)
			return NULL;
		if ((cls == BPF_ALU || cls == BPF_ALU64 || cls == BPF_LDX) &&
		    in->dst_reg != BPF_REG_1)
			continue;
		if (cls == BPF_ST || (cls == BPF_STX && BPF_MODE(in->code) != BPF_ATOMIC))
			continue;
		return NULL;
	}
	return NULL;
}

/*
 * bpf_map_lookup_elem on array a, inline (Linux's array_map_gen_lookup): r0 = *(u32 *)r2 <
 * max_entries ? base + key * stride : 0, without a branch. The compare's carry becomes a mask
 * (sbb: ~0 when the key is below max_entries, else 0, as machine/nospec.h's array_index_nospec)
 * that clamps the key before the multiply and clears the address after it: with no branch there
 * is no misprediction to compute an address past the array under (Spectre variant 1), and TCG
 * runs the lookup as one block. r1..r5 are dead after a call: this clobbers r2's rsi and AUX.
 *	mov eax, [rsi]; cmp eax, max_entries; sbb r11, r11; and eax, r11d;
 *	imul rax, rax, stride; mov rsi, base; add rax, rsi; and rax, r11
 */
static void emit_array_lookup(struct jit *j, const struct bpf_exec_array *a)
{
	emit_rm(j, 0, 0x8b, RAX, RSI, 0);               /* mov eax, [rsi]: the key */
	alu_imm(j, 0, 7, RAX, (int32_t)a->max_entries); /* cmp eax, max_entries */
	emit_rr(j, OP_W, 0x19, AUX, AUX);               /* sbb r11, r11: the mask */
	emit_rr(j, 0, 0x21, AUX, RAX);                  /* and eax, r11d: the key, or 0 */
	emit_rr(j, OP_W, 0x69, RAX, RAX);               /* imul rax, rax, stride */
	emit4(j, a->stride);
	mov_imm64(j, RSI, a->base);       /* mov rsi, base */
	emit_rr(j, OP_W, 0x01, RSI, RAX); /* add rax, rsi */
	emit_rr(j, OP_W, 0x21, AUX, RAX); /* and rax, r11: the address, or NULL */
}

static bool emit_jmp(struct jit *j, uint32_t s, uint32_t i)
{
	const struct bpf_insn *in = &j->p->insns[i];
	bool w = BPF_CLASS(in->code) == BPF_JMP;
	unsigned f = w ? OP_W : 0, op = BPF_OP(in->code);
	int dst = reg_of[in->dst_reg], src = reg_of[in->src_reg];
	const struct bpf_exec_array *a;

	switch (op) {
	case BPF_JA:
		emit_jump(j, i, (uint32_t)jump_target(in, i), -1);
		return true;
	case BPF_EXIT:
		emit_epilogue(j, s);
		return true;
	case BPF_CALL:
		if (in->src_reg == BPF_PSEUDO_CALL) {
			int64_t callee = subprog_at(j->p, (int64_t)i + 1 + in->imm);
			emit1(j, 0xe8);
			emit4(j, j->sub_addr[callee] - (j->pos + 4));
		} else if (in->imm == BPF_FUNC_map_lookup_elem && (a = array_at_call(j, s, i))) {
			emit_array_lookup(j, a);
		} else {
			/* Helpers are too far from the JIT range for a rel32 call: call through AUX. */
			mov_imm64(j, AUX, (uint64_t)(uintptr_t)j->p->calls[in->imm]);
			emit_rr(j, 0, 0xff, 2, AUX);
		}
		return true;
	}
	if (!jcc_cc[op >> 4])
		return false;
	if (BPF_SRC(in->code) == BPF_X) {
		emit_rr(j, f, op == BPF_JSET ? 0x85 : 0x39, src, dst); /* test / cmp dst, src */
	} else if (op == BPF_JSET) {
		emit_rr(j, f, 0xf7, 0, dst); /* test dst, imm */
		emit4(j, (uint32_t)in->imm);
	} else if (in->imm == 0) {
		emit_rr(j, f, 0x85, dst, dst); /* test dst, dst: the flags of cmp dst, 0 */
	} else {
		alu_imm(j, f, 7, dst, in->imm);
	}
	emit_jump(j, i, (uint32_t)jump_target(in, i), jcc_cc[op >> 4]);
	return true;
}

static bool emit_insn(struct jit *j, uint32_t s, uint32_t i)
{
	const struct bpf_insn *in = &j->p->insns[i];

	switch (BPF_CLASS(in->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		return emit_alu(j, in);
	case BPF_LDX:
		return emit_ldx(j, in);
	case BPF_ST:
		return emit_store(j, in);
	case BPF_STX:
		return BPF_MODE(in->code) == BPF_ATOMIC ? emit_atomic(j, in) : emit_store(j, in);
	case BPF_LD: /* LD_IMM64: check_prog saw its shape */
		mov_imm64(j, reg_of[in->dst_reg],
			  (uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32);
		return true;
	case BPF_JMP:
	case BPF_JMP32:
		return emit_jmp(j, s, i);
	}
	return false;
}

/* One pass over the whole program. False if some instruction has no translation. */
static bool emit_prog(struct jit *j)
{
	const struct bpf_exec_prog *p = j->p;

	j->pos = 0;
	j->nfix = 0;
	for (uint32_t s = 0; s < p->nsubprogs; s++) {
		uint32_t end = s + 1 < p->nsubprogs ? p->subprog_start[s + 1] : p->len;
		j->sub_addr[s] = j->pos;
		emit_prologue(j, s);
		for (uint32_t i = p->subprog_start[s]; i < end; i++) {
			j->addr[i] = j->pos;
			if (!(j->flags[i] & F_HALF) && !emit_insn(j, s, i))
				return false;
		}
	}
	j->addr[p->len] = j->pos;
	return true;
}

/* ------------------------------------------------------------------------------------------ */
/* Check insn i of subprogram s = [start, end) and note the registers it names. */
static bool check_insn(struct jit *j, uint32_t s, uint32_t start, uint32_t end, uint32_t i)
{
	const struct bpf_exec_prog *p = j->p;
	const struct bpf_insn *in = &p->insns[i];
	unsigned cls = BPF_CLASS(in->code), op = BPF_OP(in->code);

	if (in->dst_reg >= MAX_BPF_REG || in->src_reg >= MAX_BPF_REG)
		return false;
	for (unsigned r = BPF_REG_6; r <= BPF_REG_9; r++)
		if (in->dst_reg == r || in->src_reg == r)
			j->saves[s] |= (uint8_t)(1u << (r - BPF_REG_6));
	if (cls == BPF_LD)
		return in->code == (BPF_LD | BPF_IMM | BPF_DW) && in->src_reg == 0 && i + 1 < end;
	if (cls == BPF_LDX &&
	    (BPF_MODE(in->code) == BPF_PROBE_MEM || BPF_MODE(in->code) == BPF_PROBE_MEMSX))
		j->nfix++;
	if (cls != BPF_JMP && cls != BPF_JMP32)
		return true;
	if (op == BPF_EXIT)
		return cls == BPF_JMP;
	if (op == BPF_CALL) {
		if (cls != BPF_JMP || BPF_SRC(in->code) != BPF_K)
			return false;
		if (in->src_reg == BPF_PSEUDO_CALL)
			return subprog_at(p, (int64_t)i + 1 + in->imm) >= 0;
		return in->src_reg == 0 && in->imm >= 0 && p->calls &&
		       (uint32_t)in->imm < p->ncalls && p->calls[in->imm];
	}
	int64_t t = jump_target(in, i);
	return t >= start && t < end && !(j->flags[t] & F_HALF);
}

/*
 * Whether every call chain from subprogram s, called at frame level, stays within
 * BPF_MAX_CALL_DEPTH frames; frames[s] memoizes the frames of s's deepest chain (0: unknown).
 * Recursion never fits, and the C recursion here stops at the same depth.
 */
static bool depth_ok(const struct jit *j, uint8_t *frames, uint32_t s, unsigned level)
{
	const struct bpf_exec_prog *p = j->p;
	if (level > BPF_MAX_CALL_DEPTH)
		return false;
	if (!frames[s]) {
		uint32_t end = s + 1 < p->nsubprogs ? p->subprog_start[s + 1] : p->len;
		unsigned most = 1;
		for (uint32_t i = p->subprog_start[s]; i < end; i++) {
			const struct bpf_insn *in = &p->insns[i];
			if (in->code != (BPF_JMP | BPF_CALL) || in->src_reg != BPF_PSEUDO_CALL ||
			    (j->flags[i] & F_HALF))
				continue;
			uint32_t callee = (uint32_t)subprog_at(p, (int64_t)i + 1 + in->imm);
			if (!depth_ok(j, frames, callee, level + 1))
				return false;
			if (frames[callee] + 1u > most)
				most = frames[callee] + 1u;
		}
		frames[s] = (uint8_t)most;
	}
	return level - 1 + frames[s] <= BPF_MAX_CALL_DEPTH;
}

static bool check_prog(struct jit *j)
{
	const struct bpf_exec_prog *p = j->p;
	bool ok = true;

	for (uint32_t i = 0; i + 1 < p->len; i++)
		if (p->insns[i].code == (BPF_LD | BPF_IMM | BPF_DW))
			j->flags[++i] |= F_HALF;
	for (uint32_t s = 0; s < p->nsubprogs && ok; s++) {
		uint32_t start = p->subprog_start[s],
			 end = s + 1 < p->nsubprogs ? p->subprog_start[s + 1] : p->len;
		if (j->flags[start] & F_HALF)
			return false;
		for (uint32_t i = start; i < end && ok; i++)
			ok = (j->flags[i] & F_HALF) || check_insn(j, s, start, end, i);
	}
	for (uint32_t i = 0; i < p->len && ok; i++) {
		const struct bpf_insn *in = &p->insns[i];
		unsigned cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		if (!(j->flags[i] & F_HALF) && (cls == BPF_JMP || cls == BPF_JMP32) &&
		    op != BPF_CALL && op != BPF_EXIT)
			/* inside the program: check_insn */
			j->flags[jump_target(in, i)] |= F_TARGET;
	}
	uint8_t *frames = ok ? kzalloc(p->nsubprogs) : NULL;
	if (!frames)
		return false;
	for (uint32_t s = 0; s < p->nsubprogs && ok; s++)
		ok = depth_ok(j, frames, s, 1);
	kfree(frames);
	return ok;
}

/* ------------------------------------------------------------------------------------------ */

/* Put the final pass's code and fixups into a sealed block. */
static struct bpf_jit_image *make_image(const struct jit *j)
{
	const struct bpf_exec_prog *p = j->p;
	uint32_t code_off =
		(uint32_t)((sizeof(struct jit_header) + j->nfix * sizeof(struct jit_fixup) + 15) &
			   ~15ul);
	size_t block_len = code_off + (size_t)j->pos;
	struct bpf_jit_image *img = kmalloc(sizeof(*img) + p->nsubprogs * sizeof(uint32_t));
	uint8_t *block = img ? bpf_jit_mem_alloc(block_len) : NULL;
	if (!block) {
		kfree(img);
		return NULL;
	}
	*(struct jit_header *)block = (struct jit_header){code_off, j->pos, j->nfix, 0};
	memcpy(block + sizeof(struct jit_header), j->fix, j->nfix * sizeof(struct jit_fixup));
	memcpy(block + code_off, j->buf, j->pos);
	if (bpf_jit_mem_seal(block, block_len) != 0) {
		bpf_jit_mem_free(block, block_len);
		kfree(img);
		return NULL;
	}
	img->block = block;
	img->block_len = block_len;
	img->code = block + code_off;
	img->code_len = j->pos;
	img->nsubprogs = p->nsubprogs;
	memcpy(img->entry, j->sub_addr, p->nsubprogs * sizeof(uint32_t));
	return img;
}

struct bpf_jit_image *bpf_jit_compile(const struct bpf_exec_prog *p)
{
	return bpf_jit_compile_arrays(p, NULL, 0);
}

struct bpf_jit_image *bpf_jit_compile_arrays(const struct bpf_exec_prog *p,
					     const struct bpf_exec_array *arrays, uint32_t narrays)
{
	struct jit j = {.p = p, .arrays = arrays, .narrays = arrays ? narrays : 0};
	struct bpf_jit_image *img = NULL;

	if (!bpf_exec_shape_ok(p))
		return NULL;
	j.addr = kmalloc(((size_t)p->len + 1) * sizeof(uint32_t));
	j.flags = kzalloc(p->len);
	j.sub_addr = kmalloc(p->nsubprogs * sizeof(uint32_t));
	j.saves = kzalloc(p->nsubprogs);
	if (!j.addr || !j.flags || !j.sub_addr || !j.saves || !check_prog(&j))
		goto out;
	j.fix = kmalloc((j.nfix ? j.nfix : 1) * sizeof(struct jit_fixup));
	if (!j.fix || !emit_prog(&j))
		goto out;
	j.cap = j.pos;
	j.buf = kmalloc(j.cap ? j.cap : 1);
	if (!j.buf)
		goto out;
	for (unsigned pass = 0;; pass++) {
		j.shrink = pass < MAX_SHRINK_PASSES;
		j.shrunk = false;
		emit_prog(&j);
		if (!j.shrunk)
			break;
	}
	img = make_image(&j);
out:
	kfree(j.buf);
	kfree(j.fix);
	kfree(j.saves);
	kfree(j.sub_addr);
	kfree(j.flags);
	kfree(j.addr);
	return img;
}

bpf_func_t bpf_jit_entry(const struct bpf_jit_image *img, uint32_t subprog)
{
	return (bpf_func_t)(uintptr_t)(img->code + img->entry[subprog]);
}

size_t bpf_jit_size(const struct bpf_jit_image *img)
{
	return img->code_len;
}

void bpf_jit_free(struct bpf_jit_image *img)
{
	if (!img)
		return;
	bpf_jit_mem_free(img->block, img->block_len);
	kfree(img);
}

#ifndef KESTREL_HOST
bool bpf_jit_fixup(struct trapframe *tf)
{
	const struct jit_header *h = bpf_jit_mem_block(tf->rip);
	if (!h)
		return false;
	const struct jit_fixup *fix = (const struct jit_fixup *)(h + 1);
	uint64_t off = tf->rip - ((uintptr_t)h + h->code_off);
	uint32_t lo = 0, hi = h->nfix;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (fix[mid].insn < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == h->nfix || fix[lo].insn != off)
		return false;
	tf->rip = (uintptr_t)h + h->code_off + fix[lo].resume;
	return true;
}
#endif
