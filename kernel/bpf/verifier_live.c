/*
 * Liveness and precision (what they mean: verifier_impl.h, struct vblock), computed per block
 * backward over the control-flow graph to a fixed point, one function at a time. Both are static
 * over-approximations: a register or slot is live if some path may read it before writing it,
 * precise if some memory access, branch, checked helper argument or checked return value may
 * depend on its value; calls are taken at their most demanding (a bpf-to-bpf call reads and needs
 * r1..r5 precisely, a subprogram's r0 is always precise).
 *
 * Stack slots are reached through pointers too, so the analyses need to know which registers may
 * point into a stack: a forward analysis ("maybe-stack") tracks r10 and what is derived from it,
 * and what a function receives (r1..r5 of a subprogram may be its caller's stack pointers). A read
 * through such a register other than r10 may read any slot: every slot is live there (and precise
 * when the value read is); a store through one may reach a caller's frame, so what it stores is
 * precise.
 */
#include "kernel/bpf/verifier_impl.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

#define RB(r) ((uint16_t)(1u << (r)))
#define ARG_REGS (RB(1) | RB(2) | RB(3) | RB(4) | RB(5))
#define CALLER_SAVED (RB(0) | ARG_REGS)

struct ms_ctx {
	bool spills;
	uint16_t *block_in;
};

static uint16_t ms_step(struct venv *env, uint32_t i, uint16_t ms, struct ms_ctx *c)
{
	const struct bpf_insn *in = &env->insns[i];
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	uint16_t d = RB(in->dst_reg), s = in->src_reg < MAX_BPF_REG ? RB(in->src_reg) : 0;
	bool dw = BPF_SIZE(in->code) == BPF_DW;
	switch (cls) {
	case BPF_ALU64:
		if (op == BPF_MOV && BPF_SRC(in->code) == BPF_X && !in->off)
			return (uint16_t)((ms & ~d) | ((ms & s) ? d : 0));
		if ((op == BPF_ADD || op == BPF_SUB) && BPF_SRC(in->code) == BPF_X)
			return (ms & s) ? (uint16_t)(ms | d) : ms;
		if ((op == BPF_ADD || op == BPF_SUB) && BPF_SRC(in->code) == BPF_K)
			return ms;
		return (uint16_t)(ms & ~d);
	case BPF_ALU:
		return (uint16_t)(ms & ~d);
	case BPF_LDX:
		return (uint16_t)((ms & ~d) |
				  (dw && BPF_MODE(in->code) == BPF_MEM && (ms & s) && c->spills
					   ? d
					   : 0));
	case BPF_STX:
		if (BPF_MODE(in->code) == BPF_ATOMIC) {
			if (dw && (ms & s))
				c->spills = true;
			uint16_t loaded = in->imm == BPF_CMPXCHG  ? RB(0)
					  : (in->imm & BPF_FETCH) ? s
								  : 0;
			return (uint16_t)((ms & ~loaded) |
					  (dw && (ms & d) && c->spills ? loaded : 0));
		}
		if (dw && (ms & s))
			c->spills = true;
		return ms;
	case BPF_LD:
		return is_ldimm64(in) ? (uint16_t)(ms & ~d) : ms;
	case BPF_JMP:
		if (op == BPF_CALL)
			return is_pseudo_call(in) ? (uint16_t)((ms & ~CALLER_SAVED) | RB(0))
						  : (uint16_t)(ms & ~CALLER_SAVED);
		return ms;
	default:
		return ms;
	}
}

/* Walk block b forward from its entry mask; ms[k] is the mask before insn start + k. */
static void ms_block(struct venv *env, uint32_t b, uint16_t *ms, struct ms_ctx *c)
{
	struct vblock *blk = venv_block(env, b);
	uint16_t m = c->block_in[b];
	for (uint32_t i = blk->start; i < blk->end; i++) {
		ms[i - blk->start] = m;
		if (!(env->insn_flags[i] & INSN_LDIMM_HI))
			m = ms_step(env, i, m, c);
	}
	ms[blk->end - blk->start] = m;
}

static int maybe_stack(struct venv *env, struct ms_ctx *c, uint16_t *tmp)
{
	bool changed = true;
	for (uint32_t s = 0; s < env->nsubprogs; s++)
		c->block_in[env->insn_block[env->subprogs[s].start]] =
			s ? (uint16_t)(ARG_REGS | RB(BPF_REG_FP)) : RB(BPF_REG_FP);
	while (changed) {
		bool spills = c->spills;
		changed = false;
		for (uint32_t b = 0; b < env->nblocks; b++) {
			struct vblock *blk = venv_block(env, b);
			uint32_t succ[2];
			ms_block(env, b, tmp, c);
			uint16_t out = tmp[blk->end - blk->start];
			int n = vcfg_block_succs(env, b, succ);
			for (int k = 0; k < n; k++) {
				if ((c->block_in[succ[k]] | out) != c->block_in[succ[k]]) {
					c->block_in[succ[k]] |= out;
					changed = true;
				}
			}
		}
		changed |= spills != c->spills;
	}
	return 0;
}

struct live {
	uint16_t live_regs, prec_regs;
	uint64_t live_stack, prec_stack;
};

/* The slots bytes [off, off + size) of r10's frame touch. */
static uint64_t slot_bits(int32_t off, uint32_t size)
{
	uint64_t bits = 0;
	for (int64_t o = off; o < (int64_t)off + size; o++)
		if (o >= -BPF_STACK_FRAME_MAX && o < 0)
			bits |= (uint64_t)1 << ((-o - 1) / SLOT_SIZE);
	return bits;
}

/* The slot an 8-byte store at off overwrites whole, or 0. */
static uint64_t full_slot(int32_t off, uint32_t size)
{
	if (size != 8 || off % 8 || off < -BPF_STACK_FRAME_MAX || off >= 0)
		return 0;
	return (uint64_t)1 << ((-off - 1) / SLOT_SIZE);
}

static bool arg_needs_precision(uint8_t kind)
{
	return kind != BPF_ARG_NONE && kind != BPF_ARG_ANYTHING && kind != BPF_ARG_SCALAR;
}

static void kill_regs(struct live *l, uint16_t regs)
{
	l->live_regs &= (uint16_t)~regs;
	l->prec_regs &= (uint16_t)~regs;
}

static void live_call(struct venv *env, uint32_t i, struct live *l, uint16_t ms)
{
	const struct bpf_insn *in = &env->insns[i];
	kill_regs(l, CALLER_SAVED);
	if (is_pseudo_call(in)) {
		l->live_regs |= ARG_REGS;
		l->prec_regs |= ARG_REGS;
		if (ms & ARG_REGS)
			l->live_stack = l->prec_stack = STACK_ALL;
		return;
	}
	const struct bpf_func_proto *p = vcfg_call_proto(env, i);
	bool stack_arg = false;
	for (int a = 0; p && a < 5; a++) {
		uint8_t kind = p->args[a];
		if (kind == BPF_ARG_NONE)
			continue;
		l->live_regs |= RB(a + 1);
		if (arg_needs_precision(kind))
			l->prec_regs |= RB(a + 1);
		stack_arg |= !!(ms & RB(a + 1));
	}
	if (stack_arg) {
		l->live_stack = STACK_ALL;
		if (vproto_has_callback(p))
			l->prec_stack = STACK_ALL;
	}
}

static void live_step(struct venv *env, uint32_t i, struct live *l, uint16_t ms, bool main)
{
	const struct bpf_insn *in = &env->insns[i];
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	uint16_t d = RB(in->dst_reg), s = in->src_reg < MAX_BPF_REG ? RB(in->src_reg) : 0;
	bool x = BPF_SRC(in->code) == BPF_X;
	uint32_t size = bpf_size_bytes(in->code);
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (op == BPF_MOV) {
			bool dprec = l->prec_regs & d;
			kill_regs(l, d);
			if (x) {
				l->live_regs |= s;
				if (dprec)
					l->prec_regs |= s;
			}
		} else {
			l->live_regs |= d;
			if (x && op != BPF_NEG && op != BPF_END) {
				l->live_regs |= s;
				if (l->prec_regs & d)
					l->prec_regs |= s;
			}
		}
		break;
	case BPF_LDX: {
		bool dprec = l->prec_regs & d;
		kill_regs(l, d);
		l->live_regs |= s;
		l->prec_regs |= s;
		uint64_t slots = in->src_reg == BPF_REG_FP ? slot_bits(in->off, size)
				 : (ms & s)                ? STACK_ALL
							   : 0;
		l->live_stack |= slots;
		if (dprec)
			l->prec_stack |= slots;
		break;
	}
	case BPF_ST:
		l->live_regs |= d;
		l->prec_regs |= d;
		if (in->dst_reg == BPF_REG_FP) {
			uint64_t full = full_slot(in->off, size);
			l->live_stack &= ~full;
			l->prec_stack &= ~full;
		}
		break;
	case BPF_STX: {
		uint64_t slots = in->dst_reg == BPF_REG_FP ? slot_bits(in->off, size)
				 : (ms & d)                ? STACK_ALL
							   : 0;
		l->live_regs |= d | s;
		l->prec_regs |= d;
		if (BPF_MODE(in->code) == BPF_ATOMIC) {
			uint16_t regs = (uint16_t)(s | (in->imm == BPF_CMPXCHG ? RB(0) : 0));
			l->live_regs |= regs;
			l->live_stack |= slots;
			if ((l->prec_regs & regs) || (l->prec_stack & slots) ||
			    (in->dst_reg != BPF_REG_FP && (ms & d))) {
				l->prec_regs |= regs;
				l->prec_stack |= slots;
			}
			break;
		}
		/* Through another pointer it may land in a caller's frame, whose reader this
		   function's analysis cannot see: the stored value stays precise. */
		if ((l->prec_stack & slots) || (in->dst_reg != BPF_REG_FP && (ms & d)))
			l->prec_regs |= s;
		if (in->dst_reg == BPF_REG_FP) {
			uint64_t full = full_slot(in->off, size);
			l->live_stack &= ~full;
			l->prec_stack &= ~full;
		}
		break;
	}
	case BPF_LD:
		if (is_ldimm64(in))
			kill_regs(l, d);
		break;
	default: /* jumps */
		if (op == BPF_CALL) {
			live_call(env, i, l, ms);
		} else if (op == BPF_EXIT) {
			l->live_regs = RB(0);
			l->prec_regs = main && !env->pt->has_ret_range ? 0 : RB(0);
			l->live_stack = l->prec_stack = 0;
		} else if (op != BPF_JA) {
			uint16_t regs = (uint16_t)(d | (x ? s : 0));
			l->live_regs |= regs;
			l->prec_regs |= regs;
		}
		break;
	}
}

static bool live_merge(struct vblock *blk, const struct live *l)
{
	struct live old = {blk->live_regs, blk->prec_regs, blk->live_stack, blk->prec_stack};
	blk->live_regs |= l->live_regs;
	blk->prec_regs |= l->prec_regs;
	blk->live_stack |= l->live_stack;
	blk->prec_stack |= l->prec_stack;
	return old.live_regs != blk->live_regs || old.prec_regs != blk->prec_regs ||
	       old.live_stack != blk->live_stack || old.prec_stack != blk->prec_stack;
}

static void liveness(struct venv *env, struct ms_ctx *c, uint16_t *tmp)
{
	bool changed = true;
	while (changed) {
		changed = false;
		for (uint32_t b = env->nblocks; b-- > 0;) {
			struct vblock *blk = venv_block(env, b);
			uint32_t succ[2];
			struct live l = {0};
			int n = vcfg_block_succs(env, b, succ);
			for (int k = 0; k < n; k++) {
				struct vblock *sb = venv_block(env, succ[k]);
				l.live_regs |= sb->live_regs;
				l.prec_regs |= sb->prec_regs;
				l.live_stack |= sb->live_stack;
				l.prec_stack |= sb->prec_stack;
			}
			ms_block(env, b, tmp, c);
			bool main = vcfg_subprog_of(env, blk->start) == 0;
			for (uint32_t i = blk->end; i-- > blk->start;)
				if (!(env->insn_flags[i] & INSN_LDIMM_HI))
					live_step(env, i, &l, tmp[i - blk->start], main);
			changed |= live_merge(blk, &l);
		}
	}
}

/* Whether subprogram s reads memory through a stack pointer other than r10. */
static bool reads_through_pointer(struct venv *env, uint32_t s, struct ms_ctx *c, uint16_t *tmp)
{
	uint32_t start = env->subprogs[s].start, end = vcfg_subprog_end(env, s);
	for (uint32_t b = env->insn_block[start]; b < env->nblocks; b++) {
		struct vblock *blk = venv_block(env, b);
		if (blk->start >= end)
			break;
		ms_block(env, b, tmp, c);
		for (uint32_t i = blk->start; i < blk->end; i++) {
			const struct bpf_insn *in = &env->insns[i];
			uint16_t ms = tmp[i - blk->start] & (uint16_t)~RB(BPF_REG_FP);
			uint8_t cls = BPF_CLASS(in->code);
			if (env->insn_flags[i] & INSN_LDIMM_HI)
				continue;
			if (cls == BPF_LDX && (ms & RB(in->src_reg)))
				return true;
			if (cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC &&
			    (ms & RB(in->dst_reg)))
				return true;
			if (in->code == (BPF_JMP | BPF_CALL) && !is_pseudo_call(in) &&
			    (ms & ARG_REGS))
				return true;
		}
	}
	return false;
}

int vlive_analyse(struct venv *env)
{
	uint32_t longest = 0;
	for (uint32_t b = 0; b < env->nblocks; b++) {
		struct vblock *blk = venv_block(env, b);
		if (blk->end - blk->start > longest)
			longest = blk->end - blk->start;
	}
	struct ms_ctx c = {.spills = false};
	uint16_t *tmp = kmalloc((longest + 1) * sizeof(*tmp));
	c.block_in = kzalloc(env->nblocks * sizeof(*c.block_in));
	int err = 0;
	if (!tmp || !c.block_in) {
		err = -ENOMEM;
		goto out;
	}
	maybe_stack(env, &c, tmp);
	liveness(env, &c, tmp);
	for (uint32_t s = 0; s < env->nsubprogs; s++)
		env->subprogs[s].reads_caller_stack = reads_through_pointer(env, s, &c, tmp);
out:
	kfree(tmp);
	kfree(c.block_in);
	return err;
}
