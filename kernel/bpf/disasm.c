/* Instruction text (disasm.h). One line per instruction, no trailing newline. */
#include "kernel/bpf/disasm.h"

#include "kernel/bpf/exec.h"
#include "kernel/kprintf.h"

static const char *const alu_ops[16] = {
	[BPF_ADD >> 4] = "+=",    [BPF_SUB >> 4] = "-=",     [BPF_MUL >> 4] = "*=",
	[BPF_DIV >> 4] = "/=",    [BPF_OR >> 4] = "|=",      [BPF_AND >> 4] = "&=",
	[BPF_LSH >> 4] = "<<=",   [BPF_RSH >> 4] = ">>=",    [BPF_NEG >> 4] = "neg",
	[BPF_MOD >> 4] = "%=",    [BPF_XOR >> 4] = "^=",     [BPF_MOV >> 4] = "=",
	[BPF_ARSH >> 4] = "s>>=", [BPF_END >> 4] = "endian",
};

static const char *const jmp_ops[16] = {
	[BPF_JEQ >> 4] = "==",   [BPF_JGT >> 4] = ">",    [BPF_JGE >> 4] = ">=",
	[BPF_JSET >> 4] = "&",   [BPF_JNE >> 4] = "!=",   [BPF_JSGT >> 4] = "s>",
	[BPF_JSGE >> 4] = "s>=", [BPF_JLT >> 4] = "<",    [BPF_JLE >> 4] = "<=",
	[BPF_JSLT >> 4] = "s<",  [BPF_JSLE >> 4] = "s<=",
};

static const char *size_name(uint8_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B:
		return "u8";
	case BPF_H:
		return "u16";
	case BPF_W:
		return "u32";
	default:
		return "u64";
	}
}

static const char *ssize_name(uint8_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B:
		return "s8";
	case BPF_H:
		return "s16";
	case BPF_W:
		return "s32";
	default:
		return "s64";
	}
}

/* "+8" or "-8": Linux's %+d, which kprintf lacks. */
static const char *sign_of(int v)
{
	return v < 0 ? "" : "+";
}

static void disasm_alu(char *buf, size_t size, const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	char r = cls == BPF_ALU64 ? 'r' : 'w';
	const char *name = alu_ops[op >> 4] ? alu_ops[op >> 4] : "?";
	if (op == BPF_END) {
		const char *kind = cls == BPF_ALU64                 ? "bswap"
				   : BPF_SRC(in->code) == BPF_TO_BE ? "be"
								    : "le";
		ksnprintf(buf, size, "(%02x) r%d = %s%d r%d", in->code, in->dst_reg, kind, in->imm,
			  in->dst_reg);
	} else if (op == BPF_NEG) {
		ksnprintf(buf, size, "(%02x) %c%d = -%c%d", in->code, r, in->dst_reg, r,
			  in->dst_reg);
	} else if (op == BPF_MOV && BPF_SRC(in->code) == BPF_X && in->off) {
		ksnprintf(buf, size, "(%02x) %c%d = (s%d)%c%d", in->code, r, in->dst_reg, in->off,
			  r, in->src_reg);
	} else if (BPF_SRC(in->code) == BPF_X) {
		ksnprintf(buf, size, "(%02x) %c%d %s%s %c%d", in->code, r, in->dst_reg,
			  in->off && (op == BPF_DIV || op == BPF_MOD) ? "s" : "", name, r,
			  in->src_reg);
	} else {
		ksnprintf(buf, size, "(%02x) %c%d %s%s %d", in->code, r, in->dst_reg,
			  in->off && (op == BPF_DIV || op == BPF_MOD) ? "s" : "", name, in->imm);
	}
}

static void disasm_atomic(char *buf, size_t size, const struct bpf_insn *in)
{
	const char *w = BPF_SIZE(in->code) == BPF_DW ? "64" : "";
	static const char *const names[16] = {
		[BPF_ADD >> 4] = "add",
		[BPF_OR >> 4] = "or",
		[BPF_AND >> 4] = "and",
		[BPF_XOR >> 4] = "xor",
	};
	int op = in->imm & ~BPF_FETCH;
	const char *name = (op & 0xf) == 0 && op < 0x100 && names[op >> 4] ? names[op >> 4] : NULL;
	if (in->imm == BPF_XCHG)
		ksnprintf(buf, size, "(%02x) r%d = atomic%s_xchg((%s *)(r%d %s%d), r%d)", in->code,
			  in->src_reg, w, size_name(in->code), in->dst_reg, sign_of(in->off),
			  in->off, in->src_reg);
	else if (in->imm == BPF_CMPXCHG)
		ksnprintf(buf, size, "(%02x) r0 = atomic%s_cmpxchg((%s *)(r%d %s%d), r0, r%d)",
			  in->code, w, size_name(in->code), in->dst_reg, sign_of(in->off), in->off,
			  in->src_reg);
	else if (name && (in->imm & BPF_FETCH))
		ksnprintf(buf, size, "(%02x) r%d = atomic%s_fetch_%s((%s *)(r%d %s%d), r%d)",
			  in->code, in->src_reg, w, name, size_name(in->code), in->dst_reg,
			  sign_of(in->off), in->off, in->src_reg);
	else if (name)
		ksnprintf(buf, size, "(%02x) lock *(%s *)(r%d %s%d) %s= r%d", in->code,
			  size_name(in->code), in->dst_reg, sign_of(in->off), in->off,
			  op == BPF_ADD   ? "+"
			  : op == BPF_OR  ? "|"
			  : op == BPF_AND ? "&"
					  : "^",
			  in->src_reg);
	else
		ksnprintf(buf, size, "(%02x) BUG_atomic_%02x", in->code, (unsigned)in->imm);
}

static void disasm_ld_imm64(char *buf, size_t size, const struct bpf_insn *in)
{
	uint64_t v = (uint32_t)in[0].imm | ((uint64_t)(uint32_t)in[1].imm << 32);
	switch (in->src_reg) {
	case BPF_PSEUDO_MAP_FD:
		ksnprintf(buf, size, "(%02x) r%d = map[fd:%d]", in->code, in->dst_reg, in->imm);
		break;
	case BPF_PSEUDO_MAP_IDX:
		ksnprintf(buf, size, "(%02x) r%d = map[idx:%d]", in->code, in->dst_reg, in->imm);
		break;
	case BPF_PSEUDO_MAP_VALUE:
		ksnprintf(buf, size, "(%02x) r%d = map[fd:%d][0]+%d", in->code, in->dst_reg,
			  in->imm, in[1].imm);
		break;
	case BPF_PSEUDO_MAP_IDX_VALUE:
		ksnprintf(buf, size, "(%02x) r%d = map[idx:%d][0]+%d", in->code, in->dst_reg,
			  in->imm, in[1].imm);
		break;
	case BPF_PSEUDO_FUNC:
		ksnprintf(buf, size, "(%02x) r%d = func pc%s%d", in->code, in->dst_reg,
			  sign_of(in->imm), in->imm);
		break;
	case BPF_PSEUDO_BTF_ID:
		ksnprintf(buf, size, "(%02x) r%d = btf_id %d", in->code, in->dst_reg, in->imm);
		break;
	default:
		ksnprintf(buf, size, "(%02x) r%d = 0x%llx", in->code, in->dst_reg,
			  (unsigned long long)v);
		break;
	}
}

static void disasm_jmp(char *buf, size_t size, const struct bpf_insn *in,
		       const char *(*helper_name)(int32_t))
{
	uint8_t op = BPF_OP(in->code);
	char r = BPF_CLASS(in->code) == BPF_JMP32 ? 'w' : 'r';
	if (op == BPF_CALL) {
		if (in->src_reg == BPF_PSEUDO_CALL) {
			ksnprintf(buf, size, "(%02x) call pc%s%d", in->code, sign_of(in->imm),
				  in->imm);
		} else if (in->src_reg == BPF_PSEUDO_KFUNC_CALL) {
			ksnprintf(buf, size, "(%02x) call kernel-function#%d", in->code, in->imm);
		} else {
			const char *name = helper_name ? helper_name(in->imm) : NULL;
			ksnprintf(buf, size, "(%02x) call %s#%d", in->code, name ? name : "unknown",
				  in->imm);
		}
	} else if (op == BPF_EXIT) {
		ksnprintf(buf, size, "(%02x) exit", in->code);
	} else if (op == BPF_JA) {
		int rel = BPF_CLASS(in->code) == BPF_JMP32 ? in->imm : in->off;
		ksnprintf(buf, size, "(%02x) goto%s pc%s%d", in->code,
			  BPF_CLASS(in->code) == BPF_JMP32 ? "l" : "", sign_of(rel), rel);
	} else if (jmp_ops[op >> 4] && BPF_SRC(in->code) == BPF_X) {
		ksnprintf(buf, size, "(%02x) if %c%d %s %c%d goto pc%s%d", in->code, r, in->dst_reg,
			  jmp_ops[op >> 4], r, in->src_reg, sign_of(in->off), in->off);
	} else if (jmp_ops[op >> 4]) {
		ksnprintf(buf, size, "(%02x) if %c%d %s 0x%x goto pc%s%d", in->code, r, in->dst_reg,
			  jmp_ops[op >> 4], (unsigned)in->imm, sign_of(in->off), in->off);
	} else {
		ksnprintf(buf, size, "(%02x) unknown jump", in->code);
	}
}

void bpf_disasm(char *buf, size_t size, const struct bpf_insn *in,
		const char *(*helper_name)(int32_t id))
{
	uint8_t code = in->code, mode = BPF_MODE(code);
	switch (BPF_CLASS(code)) {
	case BPF_ALU:
	case BPF_ALU64:
		disasm_alu(buf, size, in);
		break;
	case BPF_STX:
		if (mode == BPF_ATOMIC)
			disasm_atomic(buf, size, in);
		else
			ksnprintf(buf, size, "(%02x) *(%s *)(r%d %s%d) = r%d", code,
				  size_name(code), in->dst_reg, sign_of(in->off), in->off,
				  in->src_reg);
		break;
	case BPF_ST:
		ksnprintf(buf, size, "(%02x) *(%s *)(r%d %s%d) = %d", code, size_name(code),
			  in->dst_reg, sign_of(in->off), in->off, in->imm);
		break;
	case BPF_LDX:
		ksnprintf(buf, size, "(%02x) r%d = *(%s *)(r%d %s%d)", code, in->dst_reg,
			  mode == BPF_MEMSX || mode == BPF_PROBE_MEMSX ? ssize_name(code)
								       : size_name(code),
			  in->src_reg, sign_of(in->off), in->off);
		break;
	case BPF_LD:
		if (mode == BPF_IMM && BPF_SIZE(code) == BPF_DW)
			disasm_ld_imm64(buf, size, in);
		else if (mode == BPF_ABS)
			ksnprintf(buf, size, "(%02x) r0 = *(%s *)skb[%d]", code, size_name(code),
				  in->imm);
		else if (mode == BPF_IND)
			ksnprintf(buf, size, "(%02x) r0 = *(%s *)skb[r%d + %d]", code,
				  size_name(code), in->src_reg, in->imm);
		else
			ksnprintf(buf, size, "(%02x) BUG_ld_%02x", code, code);
		break;
	default:
		disasm_jmp(buf, size, in, helper_name);
		break;
	}
}
