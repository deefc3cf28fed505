/*
 * bpf_verify (verifier.h): the walk over every path, and the translation into the xlated form.
 * Each instruction's abstract effect is here (ALU, LD_IMM64, jumps) or in the file for its kind
 * (memory: verifier_mem.c, calls and exits: verifier_call.c); verifier_impl.h draws the whole.
 */
#include "kernel/bpf/verifier_impl.h"
#include "kernel/preempt.h"
#include "kernel/string.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

/* Instructions walked between preemption points. */
#define PREEMPT_EVERY 4096

static const char *const alu_names[16] = {
	"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian",
};

int vcheck_read(struct venv *env, uint32_t regno)
{
	if (cur_regs(env)[regno].type == VT_NOT_INIT) {
		vlog(env, "R%u !read_ok\n", regno);
		return -EACCES;
	}
	return 0;
}

static int check_write(struct venv *env, uint32_t regno)
{
	if (regno == BPF_REG_FP) {
		vlog(env, "frame pointer is read only\n");
		return -EACCES;
	}
	return 0;
}

void vfor_each_reg_with_id(struct vstate *st, uint32_t id, void (*fn)(struct vreg *, void *),
			   void *arg)
{
	for (uint32_t f = 0; f <= st->curframe; f++) {
		struct vframe *fr = st->frame[f];
		for (int r = 0; r < MAX_BPF_REG; r++)
			if (fr->regs[r].id == id)
				fn(&fr->regs[r], arg);
		for (uint32_t s = 0; s < fr->nslots; s++)
			if (fr->slots[s].spill_size && fr->slots[s].spill.id == id)
				fn(&fr->slots[s].spill, arg);
	}
}

/* ---- ALU ---- */

static bool is_pointer(const struct vreg *r)
{
	return r->type != VT_SCALAR;
}

/* Linux's check_reg_sane_offset: offsets stay far from overflow. */
static bool sane_offset(struct venv *env, const struct vreg *r, const struct vreg *ptr)
{
	char name[32];
	int64_t val = (int64_t)r->var.value;
	if (vreg_is_const(r) && (val >= BPF_MAX_VAR_OFF || val <= -BPF_MAX_VAR_OFF)) {
		vlog(env, "math between %s pointer and %lld is not allowed\n",
		     vreg_type_str(env, ptr, name, sizeof(name)), (long long)val);
		return false;
	}
	if (r->off >= BPF_MAX_VAR_OFF || r->off <= -BPF_MAX_VAR_OFF) {
		vlog(env, "%s pointer offset %d is not allowed\n",
		     vreg_type_str(env, ptr, name, sizeof(name)), r->off);
		return false;
	}
	if (r->smin == S64_MIN) {
		vlog(env,
		     "math between %s pointer and register with unbounded min value is not allowed\n",
		     vreg_type_str(env, ptr, name, sizeof(name)));
		return false;
	}
	if (r->smin >= BPF_MAX_VAR_OFF || r->smin <= -BPF_MAX_VAR_OFF) {
		vlog(env, "value %lld makes %s pointer be out of bounds\n", (long long)r->smin,
		     vreg_type_str(env, ptr, name, sizeof(name)));
		return false;
	}
	return true;
}

/*
 * dst op= src where one of them is a pointer (Linux's adjust_ptr_min_max_vals, privileged).
 * Pointer plus or minus a scalar moves the pointer: a constant moves its fixed offset, anything
 * else its variable offset (bounds kept in the pointer's own bound fields).
 */
static int ptr_alu(struct venv *env, uint32_t dst, const struct vreg *d, const struct vreg *s,
		   uint8_t op, bool is64, struct vreg *out)
{
	char name[32];
	if (is_pointer(d) && is_pointer(s)) {
		if (op == BPF_SUB && is64) {
			vreg_mark_unknown(out);
			return 0;
		}
		vlog(env, "R%u pointer %s pointer prohibited\n", dst, alu_names[op >> 4]);
		return -EACCES;
	}
	if (!is64) {
		if (op == BPF_SUB) {
			vreg_mark_unknown(out);
			return 0;
		}
		vlog(env, "R%u 32-bit pointer arithmetic prohibited\n", dst);
		return -EACCES;
	}
	const struct vreg *ptr = is_pointer(d) ? d : s, *off = is_pointer(d) ? s : d;
	if (ptr->flags & VF_MAYBE_NULL) {
		vlog(env, "R%u pointer arithmetic on %s prohibited, null-check it first\n", dst,
		     vreg_type_str(env, ptr, name, sizeof(name)));
		return -EACCES;
	}
	if (ptr->type == VT_MAP_PTR || ptr->type == VT_FUNC) {
		vlog(env, "R%u pointer arithmetic on %s prohibited\n", dst,
		     vreg_type_str(env, ptr, name, sizeof(name)));
		return -EACCES;
	}
	if (op == BPF_AND || op == BPF_OR || op == BPF_XOR) {
		vlog(env, "R%u bitwise operator %s on pointer prohibited\n", dst,
		     alu_names[op >> 4]);
		return -EACCES;
	}
	if (op != BPF_ADD && op != BPF_SUB) {
		vlog(env, "R%u pointer arithmetic with %s operator prohibited\n", dst,
		     alu_names[op >> 4]);
		return -EACCES;
	}
	if (op == BPF_SUB && !is_pointer(d)) {
		vlog(env, "R%u tried to subtract pointer from scalar\n", dst);
		return -EACCES;
	}
	if (!sane_offset(env, off, ptr) || !sane_offset(env, ptr, ptr))
		return -EACCES;
	*out = *ptr;
	out->id = 0;
	if (vreg_is_const(off)) {
		int64_t k = (int64_t)off->var.value;
		out->off = (int32_t)(op == BPF_ADD ? ptr->off + k : ptr->off - k);
	} else {
		/* The variable part is a scalar of its own; only its bounds move. */
		struct vreg var = *ptr;
		var.type = VT_SCALAR;
		vscalar_alu(&var, off, op, true, 0);
		out->var = var.var;
		out->smin = var.smin;
		out->smax = var.smax;
		out->umin = var.umin;
		out->umax = var.umax;
	}
	return sane_offset(env, out, out) ? 0 : -EACCES;
}

static int check_alu(struct venv *env, uint32_t i)
{
	const struct bpf_insn *in = &env->insns[i];
	uint8_t op = BPF_OP(in->code);
	bool is64 = BPF_CLASS(in->code) == BPF_ALU64, x = BPF_SRC(in->code) == BPF_X;
	struct vreg *regs = cur_regs(env);
	int err;
	if (op == BPF_END || op == BPF_NEG) {
		if ((err = vcheck_read(env, in->dst_reg)) || (err = check_write(env, in->dst_reg)))
			return err;
		struct vreg *d = &regs[in->dst_reg];
		/* a pointer's bytes swapped or negated: a number */
		if (is_pointer(d))
			vreg_mark_unknown(d);
		else if (op == BPF_NEG)
			vscalar_alu(d, d, BPF_NEG, is64, 0);
		else
			vscalar_end(d, !is64 && BPF_SRC(in->code) == BPF_TO_LE, (unsigned)in->imm);
		return 0;
	}
	if (x && (err = vcheck_read(env, in->src_reg)))
		return err;
	if (op != BPF_MOV && (err = vcheck_read(env, in->dst_reg)))
		return err;
	if ((err = check_write(env, in->dst_reg)))
		return err;
	struct vreg src;
	if (x)
		src = regs[in->src_reg];
	else
		vreg_mark_const(&src, is64 ? (uint64_t)(int64_t)in->imm : (uint32_t)in->imm);
	struct vreg *d = &regs[in->dst_reg];
	if (op == BPF_MOV) {
		if (x && is_pointer(&src)) {
			if (in->off) {
				vlog(env, "R%d sign-extension part of pointer\n", in->src_reg);
				return -EACCES;
			}
			if (is64)
				*d = src;
			else
				vreg_mark_unknown_sized(d, 4,
							false); /* the low half of an address */
			return 0;
		}
		if (x && is64 && !in->off && !vreg_is_const(&src)) {
			/* A copy: both registers now name one value (refining one refines both). */
			if (!regs[in->src_reg].id)
				regs[in->src_reg].id = venv_new_id(env);
			*d = regs[in->src_reg];
			return 0;
		}
		vscalar_alu(d, &src, BPF_MOV, is64, x ? in->off : 0);
		d->id = 0;
		return 0;
	}
	if (is_pointer(d) || is_pointer(&src)) {
		struct vreg out;
		err = ptr_alu(env, in->dst_reg, d, &src, op, is64, &out);
		if (!err)
			*d = out;
		return err;
	}
	vscalar_alu(d, &src, op, is64, in->off);
	return 0;
}

/* ---- LD_IMM64 ---- */

static int check_ld_imm64(struct venv *env, uint32_t i)
{
	const struct bpf_insn *in = &env->insns[i];
	int err = check_write(env, in->dst_reg);
	if (err)
		return err;
	struct vreg *d = &cur_regs(env)[in->dst_reg];
	uint64_t v = (uint32_t)in[0].imm | ((uint64_t)(uint32_t)in[1].imm << 32);
	const struct vldimm *ld = vcfg_ldimm(env, i);
	vreg_mark_const(d, in->src_reg ? 0 : v);
	switch (in->src_reg) {
	case BPF_PSEUDO_MAP_FD:
	case BPF_PSEUDO_MAP_IDX:
		d->type = VT_MAP_PTR;
		d->aux = ld->map;
		break;
	case BPF_PSEUDO_MAP_VALUE:
	case BPF_PSEUDO_MAP_IDX_VALUE:
		d->type = VT_MAP_VALUE;
		d->aux = ld->map;
		d->off = in[1].imm;
		break;
	case BPF_PSEUDO_BTF_ID:
		if (ld->var.btf_id) {
			d->type = VT_BTF;
			d->aux = ld->var.btf_id;
		} else {
			d->type = VT_MEM;
			d->flags = VF_RDONLY;
			d->aux = ld->var.size;
		}
		break;
	case BPF_PSEUDO_FUNC:
		d->type = VT_FUNC;
		d->aux = vcfg_subprog_of(env, i + (uint32_t)in->imm + 1);
		break;
	default:
		break;
	}
	return 0;
}

/* ---- memory instructions ---- */

static int check_ldx(struct venv *env, uint32_t i)
{
	const struct bpf_insn *in = &env->insns[i];
	int err;
	if ((err = vcheck_read(env, in->src_reg)) || (err = check_write(env, in->dst_reg)))
		return err;
	struct vreg value;
	err = vmem_access(env, i, in->src_reg, in->off, bpf_size_bytes(in->code), VACC_READ, &value,
			  BPF_MODE(in->code) == BPF_MEMSX);
	if (!err)
		cur_regs(env)[in->dst_reg] = value;
	return err;
}

static int check_store(struct venv *env, uint32_t i)
{
	const struct bpf_insn *in = &env->insns[i];
	struct vreg value;
	int err;
	if (BPF_CLASS(in->code) == BPF_STX) {
		if ((err = vcheck_read(env, in->src_reg)))
			return err;
		value = cur_regs(env)[in->src_reg];
	} else {
		vreg_mark_const(&value, (uint64_t)(int64_t)in->imm);
	}
	if ((err = vcheck_read(env, in->dst_reg)))
		return err;
	return vmem_access(env, i, in->dst_reg, in->off, bpf_size_bytes(in->code), VACC_WRITE,
			   &value, false);
}

static int check_atomic(struct venv *env, uint32_t i)
{
	const struct bpf_insn *in = &env->insns[i];
	uint32_t size = bpf_size_bytes(in->code);
	int err;
	if ((err = vcheck_read(env, in->src_reg)) || (err = vcheck_read(env, in->dst_reg)))
		return err;
	if (in->imm == BPF_CMPXCHG && (err = vcheck_read(env, BPF_REG_0)))
		return err;
	const struct vreg *base = &cur_regs(env)[in->dst_reg];
	if (base->type == VT_CTX) {
		char name[32];
		vlog(env, "BPF_ATOMIC stores into R%d %s is not allowed\n", in->dst_reg,
		     vreg_type_str(env, base, name, sizeof(name)));
		return -EACCES;
	}
	struct vreg old, result;
	if ((err = vmem_access(env, i, in->dst_reg, in->off, size, VACC_READ, &old, false)))
		return err;
	/* What memory holds afterwards: nothing known (an exchange keeps the source's value). */
	if (in->imm == BPF_XCHG)
		result = cur_regs(env)[in->src_reg];
	else
		vreg_mark_unknown_sized(&result, size, false);
	if ((err = vmem_access(env, i, in->dst_reg, in->off, size, VACC_WRITE, &result, false)))
		return err;
	if (in->imm == BPF_CMPXCHG)
		cur_regs(env)[BPF_REG_0] = old;
	else if (in->imm & BPF_FETCH)
		cur_regs(env)[in->src_reg] = old;
	return 0;
}

/* ---- conditional jumps ---- */

static bool never_null(const struct vreg *r)
{
	return r->type != VT_SCALAR && r->type != VT_BTF && r->type != VT_NOT_INIT &&
	       !(r->flags & VF_MAYBE_NULL);
}

static void set_null(struct vreg *r, void *arg)
{
	(void)arg;
	vreg_mark_const(r, 0);
}

static void set_not_null(struct vreg *r, void *arg)
{
	(void)arg;
	r->flags &= (uint8_t)~VF_MAYBE_NULL;
	r->id = 0;
}

static void copy_bounds(struct vreg *r, void *arg)
{
	const struct vreg *from = arg;
	if (r->type != VT_SCALAR)
		return;
	uint32_t id = r->id;
	*r = *from;
	r->id = id;
}

/* Put refined scalar `value` in register regno of st, and in every copy of it. */
static void refine_reg(struct vstate *st, uint32_t regno, const struct vreg *value)
{
	struct vreg *r = &st->frame[st->curframe]->regs[regno];
	if (r->type != VT_SCALAR)
		return;
	*r = *value;
	if (value->id) {
		struct vreg copy = *value;
		vfor_each_reg_with_id(st, value->id, copy_bounds, &copy);
	}
}

static bool is_zero(const struct vreg *r)
{
	return r->type == VT_SCALAR && tnum_equals_const(r->var, 0);
}

static int check_cond(struct venv *env, uint32_t i)
{
	const struct bpf_insn *in = &env->insns[i];
	uint8_t op = BPF_OP(in->code);
	bool is32 = BPF_CLASS(in->code) == BPF_JMP32, x = BPF_SRC(in->code) == BPF_X;
	uint32_t target = i + (uint32_t)in->off + 1;
	int err;
	if ((err = vcheck_read(env, in->dst_reg)) || (x && (err = vcheck_read(env, in->src_reg))))
		return err;
	struct vreg d = cur_regs(env)[in->dst_reg], s;
	if (x)
		s = cur_regs(env)[in->src_reg];
	else
		vreg_mark_const(&s, (uint64_t)(int64_t)in->imm);
	bool eq = op == BPF_JEQ || op == BPF_JNE;

	if (is_pointer(&d) || is_pointer(&s)) {
		const struct vreg *p = is_pointer(&d) ? &d : &s, *o = is_pointer(&d) ? &s : &d;
		if (!is32 && eq && is_zero(o) && never_null(p)) {
			env->cur->insn = op == BPF_JNE ? target : i + 1;
			return 0;
		}
		struct vstate *other;
		if ((err = vstate_push(env, target, i, &other)))
			return err;
		if (!is32 && eq && is_zero(o) && (p->flags & VF_MAYBE_NULL)) {
			/* The NULL check: the taken side of JEQ (fall-through of JNE) sees NULL. */
			struct vstate *null_side = op == BPF_JEQ ? other : env->cur;
			struct vstate *ok_side = op == BPF_JEQ ? env->cur : other;
			vfor_each_reg_with_id(null_side, p->id, set_null, NULL);
			vfor_each_reg_with_id(ok_side, p->id, set_not_null, NULL);
		}
		env->cur->insn = i + 1;
		return 0;
	}

	struct vreg dt, st, df, sf;
	int taken = vscalar_branch(op, is32, &d, &s, &dt, &st, &df, &sf);
	if (taken >= 0) {
		env->cur->insn = taken ? target : i + 1;
		return 0;
	}
	struct vstate *other;
	if ((err = vstate_push(env, target, i, &other)))
		return err;
	refine_reg(other, in->dst_reg, &dt);
	refine_reg(env->cur, in->dst_reg, &df);
	if (x) {
		refine_reg(other, in->src_reg, &st);
		refine_reg(env->cur, in->src_reg, &sf);
	}
	env->cur->insn = i + 1;
	return 0;
}

/* ---- the walk ---- */

static int check_insn(struct venv *env, uint32_t i)
{
	const struct bpf_insn *in = &env->insns[i];
	int err;
	switch (BPF_CLASS(in->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		err = check_alu(env, i);
		break;
	case BPF_LDX:
		err = check_ldx(env, i);
		break;
	case BPF_ST:
		err = check_store(env, i);
		break;
	case BPF_STX:
		err = BPF_MODE(in->code) == BPF_ATOMIC ? check_atomic(env, i) : check_store(env, i);
		break;
	case BPF_LD:
		err = check_ld_imm64(env, i);
		if (!err)
			env->cur->insn = i + 2;
		return err;
	default:
		env->jmps_processed++;
		switch (BPF_OP(in->code)) {
		case BPF_CALL:
			return vcall(env, i);
		case BPF_EXIT:
			return vexit(env, i);
		case BPF_JA:
			env->cur->insn =
				(uint32_t)((BPF_CLASS(in->code) == BPF_JMP32 ? in->imm : in->off) +
					   (int64_t)i + 1);
			return 0;
		default:
			return check_cond(env, i);
		}
	}
	if (!err)
		env->cur->insn = i + 1;
	return err;
}

static int init_state(struct venv *env)
{
	struct vstate *st = kzalloc(sizeof(*st));
	struct vframe *f = vframe_alloc(0);
	if (!st || !f) {
		kfree(st);
		kfree(f);
		return -ENOMEM;
	}
	vreg_mark_const(&f->regs[BPF_REG_1], 0);
	f->regs[BPF_REG_1].type = VT_CTX;
	vreg_mark_const(&f->regs[BPF_REG_FP], 0);
	f->regs[BPF_REG_FP].type = VT_STACK;
	st->frame[0] = f;
	env->cur = st;
	return 0;
}

static int do_check(struct venv *env)
{
	int err = init_state(env);
	while (!err) {
		if (!env->cur && !vstate_pop(env))
			break;
		struct vstate *st = env->cur;
		uint32_t i = st->insn;
		if (++env->insn_processed > BPF_COMPLEXITY_LIMIT_INSNS) {
			vlog(env, "BPF program is too large. Processed %u insn\n",
			     env->insn_processed);
			return -E2BIG;
		}
		/* A walk may take a million steps: let other tasks run meanwhile. */
		if (!(env->insn_processed % PREEMPT_EVERY))
			preempt_point();
		env->insn_flags[i] |= INSN_SEEN;
		if ((env->insn_flags[i] & INSN_CB_CALL) && !st->cb_reentry)
			cur_frame(env)->cb_loop = venv_new_id(env);
		if (env->insn_flags[i] & INSN_PRUNE) {
			err = vstate_visit(env, i);
			if (err < 0)
				return err;
			if (err == 1) {
				if (env->log.level & BPF_LOG_LEVEL2)
					vlog(env, "%u: safe\n", i);
				vstate_path_done(env);
				err = 0;
				continue;
			}
		}
		if (env->log.level & BPF_LOG_LEVEL2) {
			vlog(env, "%u:", i);
			vlog_state(env, st);
		}
		vlog_insn(env, i);
		st->prev_insn = i;
		err = check_insn(env, i);
	}
	return err;
}

/* ---- the xlated program ---- */

/*
 * Instructions no path reaches (the walk never saw them) become exits: they may name helpers the
 * program type lacks or maps' values as pseudo constants, and the executors need every
 * instruction to make sense. None of them runs.
 */
static void drop_dead_code(struct venv *env)
{
	for (uint32_t i = 0; i < env->len; i++) {
		if (env->insn_flags[i] & INSN_SEEN) {
			if (is_ldimm64(&env->insns[i]))
				i++;
			continue;
		}
		env->insns[i] = (struct bpf_insn){.code = BPF_JMP | BPF_EXIT};
	}
}

static int xlate(struct venv *env, struct bpf_verifier_output *out)
{
	struct bpf_insn *insns = env->insns;
	for (uint32_t k = 0; k < env->nldimms; k++) {
		const struct vldimm *ld = &env->ldimms[k];
		struct bpf_insn *in = &insns[ld->insn];
		if (!(env->insn_flags[ld->insn] & INSN_SEEN))
			continue;
		const struct bpf_verifier_map *m = &env->maps[ld->map];
		uint64_t v = 0;
		switch (in->src_reg) {
		case BPF_PSEUDO_MAP_FD:
		case BPF_PSEUDO_MAP_IDX:
			v = (uint64_t)(uintptr_t)m->map;
			break;
		case BPF_PSEUDO_MAP_VALUE:
		case BPF_PSEUDO_MAP_IDX_VALUE:
			v = m->value_addr + (uint32_t)in[1].imm;
			break;
		case BPF_PSEUDO_BTF_ID:
			v = ld->var.addr;
			break;
		case BPF_PSEUDO_FUNC: {
			uint32_t sub = vcfg_subprog_of(env, ld->insn + (uint32_t)in->imm + 1);
			const struct bpf_verifier_ops *ops = env->in->ops;
			int err = ops && ops->func_value
					  ? ops->func_value(env->in->priv, sub,
							    env->subprogs[sub].start, &v)
					  : -EINVAL;
			if (err)
				return err;
			break;
		}
		default:
			break;
		}
		in[0].src_reg = 0;
		in[0].imm = (int32_t)(uint32_t)v;
		in[1].imm = (int32_t)(uint32_t)(v >> 32);
	}
	drop_dead_code(env);
	out->calls = kzalloc((env->max_call_index ? env->max_call_index : 1) * sizeof(bpf_func_t));
	out->subprog_start = kmalloc(env->nsubprogs * sizeof(uint32_t));
	out->stack_depth = kmalloc(env->nsubprogs * sizeof(uint16_t));
	if (!out->calls || !out->subprog_start || !out->stack_depth)
		return -ENOMEM;
	for (uint32_t i = 0; i < env->len; i++) {
		struct bpf_insn *in = &insns[i];
		if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_KFUNC_CALL) {
			const struct bpf_verifier_kfunc *k = &vcfg_kfunc(env, i)->k;
			out->calls[k->call_index] = k->proto->fn;
			in->src_reg = 0;
			in->off = 0;
			in->imm = (int32_t)k->call_index;
		} else if (in->code == (BPF_JMP | BPF_CALL) && in->src_reg == 0) {
			out->calls[in->imm] = env->in->helper_fns[in->imm];
		} else if (BPF_CLASS(in->code) == BPF_LDX && (env->insn_flags[i] & INSN_PROBE)) {
			uint8_t mode =
				BPF_MODE(in->code) == BPF_MEMSX ? BPF_PROBE_MEMSX : BPF_PROBE_MEM;
			in->code = (uint8_t)(BPF_LDX | BPF_SIZE(in->code) | mode);
		}
	}
	for (uint32_t s = 0; s < env->nsubprogs; s++) {
		out->subprog_start[s] = env->subprogs[s].start;
		out->stack_depth[s] = (uint16_t)((env->subprogs[s].stack_depth + 7) / 8 * 8);
	}
	out->insns = insns;
	env->insns = NULL;
	memcpy(out->maps, env->maps, env->nmaps * sizeof(env->maps[0]));
	out->nmaps = env->nmaps;
	out->max_ctx_offset = env->max_ctx_offset;
	out->exec = (struct bpf_exec_prog){
		.insns = out->insns,
		.len = env->len,
		.nsubprogs = env->nsubprogs,
		.subprog_start = out->subprog_start,
		.stack_depth = out->stack_depth,
		.calls = out->calls,
		.ncalls = env->max_call_index,
	};
	return 0;
}

void bpf_verifier_output_free(struct bpf_verifier_output *out)
{
	kfree(out->insns);
	kfree(out->subprog_start);
	kfree(out->stack_depth);
	kfree(out->calls);
	memset(out, 0, sizeof(*out));
}

static int verify(struct venv *env, struct bpf_verifier_output *out)
{
	const struct bpf_verifier_input *in = env->in;
	env->len = in->insn_cnt;
	env->insns = kmalloc(env->len * sizeof(*env->insns));
	env->insn_flags = kzalloc(env->len);
	env->idmap_cap = 2 * BPF_MAX_CALL_DEPTH * (MAX_BPF_REG + MAX_SLOTS);
	env->idmap = kmalloc(env->idmap_cap * sizeof(*env->idmap));
	if (!env->insns || !env->insn_flags || !env->idmap)
		return -ENOMEM;
	memcpy(env->insns, in->insns, env->len * sizeof(*env->insns));
	int err = vcfg_prepare(env);
	if (!err)
		err = do_check(env);
	if (!err)
		err = vcfg_check_stack(env);
	if (!err)
		err = xlate(env, out);
	return err;
}

/* The closing lines, as Linux's print_verification_stats. */
static void log_stats(struct venv *env)
{
	if (!vlog_on(env))
		return;
	if ((env->log.level & BPF_LOG_STATS) && env->subprogs) {
		vlog(env, "stack depth ");
		for (uint32_t s = 0; s < env->nsubprogs; s++)
			vlog(env, "%s%u", s ? "+" : "", (env->subprogs[s].stack_depth + 7) / 8 * 8);
		vlog(env, "\n");
	}
	vlog(env,
	     "processed %u insns (limit %u) max_states_per_insn %u total_states %u peak_states %u mark_read 0\n",
	     env->insn_processed, BPF_COMPLEXITY_LIMIT_INSNS, env->max_states_per_insn,
	     env->total_states, env->peak_states);
}

static void env_free(struct venv *env)
{
	vstate_free_all(env);
	vcfg_free(env);
	kfree(env->insns);
	kfree(env->insn_flags);
	kfree(env->idmap);
	kfree(env);
}

/*
 * A walk that widened scalars at an iterator's loop head (verifier_state.c) and was rejected for
 * it is walked once more without widening: only that second walk's log and verdict count.
 */
static bool retry_exact(const struct venv *env, int err)
{
	return env->iter_widen && env->iter_widened &&
	       (err == -EINVAL || err == -EACCES || err == -E2BIG);
}

int bpf_verify(const struct bpf_verifier_input *in, struct bpf_verifier_output *out)
{
	uint32_t earlier = 0; /* instructions a first, widening walk processed */

	for (bool widen = true;; widen = false) {
		memset(out, 0, sizeof(*out));
		struct venv *env = kzalloc(sizeof(*env));
		if (!env)
			return -ENOMEM;
		env->in = in;
		env->iter_widen = widen;
		int err = vlog_init(&env->log, in);
		if (!err && !(env->pt = in->desc ? in->desc : bpf_prog_type_desc(in->prog_type)))
			err = -EINVAL;
		if (!err && (in->insn_cnt == 0 || in->insn_cnt > BPF_VERIFIER_MAX_INSNS))
			err = -E2BIG;
		/*
		 * Linux's check_attach_btf_id, before the walk: a type whose runs may not sleep
		 * cannot be loaded sleepable (of Kestrel's, SYSCALL programs and iterators may).
		 */
		if (!err && (in->prog_flags & BPF_F_SLEEPABLE) && !env->pt->may_sleep) {
			vlog(env,
			     "Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops programs "
			     "can be sleepable\n");
			err = -EINVAL;
		}
		if (!err) {
			err = verify(env, out);
			if (retry_exact(env, err)) {
				earlier += env->insn_processed;
				bpf_verifier_output_free(out);
				env_free(env);
				continue;
			}
			log_stats(env);
		}
		if (err)
			bpf_verifier_output_free(out);
		uint32_t true_size;
		int log_err = vlog_finalize(&env->log, &true_size);
		if (log_err)
			err = log_err;
		if (err == -ENOSPC)
			bpf_verifier_output_free(out);
		out->verified_insns = earlier + env->insn_processed;
		out->log_true_size = true_size;
		env_free(env);
		return err;
	}
}
