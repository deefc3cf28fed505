/*
 * Calls and exits. A helper or kfunc call checks each argument register against its prototype
 * (func_proto.h), then sets r0 from the return kind and makes r1..r5 unreadable. A bpf-to-bpf
 * call opens a frame (r1..r5 passed as they are, r6..r9 kept for the caller); its exit copies r0
 * back. A helper with a callback is walked as a loop: at the call the walk forks into "the helper
 * returns now" (pushed) and "it runs the callback once more" (continued); the callback's exit
 * comes back to the call instruction, where the same fork happens again until the state there
 * stops changing (verifier_state.c). Error texts are Linux's (check_helper_call, check_func_arg,
 * prepare_func_exit).
 */
#include "kernel/bpf/verifier_impl.h"
#include "kernel/string.h"
#include "uapi/errno.h"

/* BPF_MAX_VAR_SIZ: a size argument's largest value. */
#define MAX_VAR_SIZE (1 << 29)

struct call_meta {
	int map;           /* map index of the BPF_ARG_CONST_MAP_PTR argument, or -1 */
	int func_subprog;  /* the callback's subprogram, or -1 */
	int ctx_regno;     /* the BPF_ARG_PTR_TO_STACK_OR_NULL argument's register, or 0 */
	uint32_t kf_flags; /* a kfunc's BPF_KF_* (0 for helpers) */
};

static int type_error(struct venv *env, uint32_t regno, const char *expected)
{
	char name[32];
	vlog(env, "R%u type=%s expected=%s\n", regno,
	     vreg_type_str(env, &cur_regs(env)[regno], name, sizeof(name)), expected);
	return -EACCES;
}

/* The kernel BTF's name of type id, for the log. */
static const char *btf_type_of(struct venv *env, uint32_t id)
{
	const struct bpf_verifier_ops *ops = env->in->ops;
	const char *n = ops && ops->btf_name ? ops->btf_name(env->in->priv, id) : NULL;
	return n ? n : "unknown";
}

static bool is_mem_type(const struct vreg *r)
{
	if (r->flags & VF_MAYBE_NULL)
		return false;
	return r->type == VT_STACK || r->type == VT_MAP_KEY || r->type == VT_MAP_VALUE ||
	       r->type == VT_MEM;
}

#define MEM_TYPES "fp, map_key, map_value, mem"

/* A memory argument and its size argument (the next register). */
static int check_mem_pair(struct venv *env, uint32_t regno, uint8_t kind, uint8_t size_kind)
{
	uint32_t sreg = regno + 1;
	if (!is_mem_type(&cur_regs(env)[regno]))
		return type_error(env, regno, MEM_TYPES);
	int err = vcheck_read(env, sreg);
	if (err)
		return err;
	const struct vreg *sz = &cur_regs(env)[sreg];
	if (sz->type != VT_SCALAR)
		return type_error(env, sreg, "scalar");
	if (sz->smin < 0) {
		vlog(env,
		     "R%u min value is negative, either use unsigned index or do a if (index >=0) check.\n",
		     sreg);
		return -EACCES;
	}
	if (sz->umin == 0 && size_kind != BPF_ARG_CONST_SIZE_OR_ZERO) {
		vlog(env, "R%u invalid zero-sized read: u64=[%llu,%llu]\n", sreg,
		     (unsigned long long)sz->umin, (unsigned long long)sz->umax);
		return -EACCES;
	}
	if (sz->umax >= MAX_VAR_SIZE) {
		vlog(env, "R%u unbounded memory access, use 'var &= const' or 'if (var < const)'\n",
		     sreg);
		return -EACCES;
	}
	return vmem_helper_access(env, regno, sz->umin, sz->umax,
				  kind == BPF_ARG_PTR_TO_UNINIT_MEM ? VACC_WRITE : VACC_READ);
}

static int check_arg(struct venv *env, const struct bpf_func_proto *p, int a,
		     struct call_meta *meta)
{
	uint32_t regno = (uint32_t)a + 1;
	uint8_t kind = p->args[a];
	int err = vcheck_read(env, regno);
	if (err)
		return err;
	const struct vreg *r = &cur_regs(env)[regno];
	switch (kind) {
	case BPF_ARG_ANYTHING:
		return 0;
	case BPF_ARG_SCALAR:
		return r->type == VT_SCALAR ? 0 : type_error(env, regno, "scalar");
	case BPF_ARG_CONST_MAP_PTR:
		if (r->type != VT_MAP_PTR || (r->flags & VF_MAYBE_NULL))
			return type_error(env, regno, "map_ptr");
		meta->map = (int)r->aux;
		return 0;
	case BPF_ARG_PTR_TO_MAP_KEY:
	case BPF_ARG_PTR_TO_MAP_VALUE: {
		if (!is_mem_type(r))
			return type_error(env, regno, MEM_TYPES);
		if (meta->map < 0) {
			vlog(env, "invalid map_ptr to access map->%s\n",
			     kind == BPF_ARG_PTR_TO_MAP_KEY ? "key" : "value");
			return -EACCES;
		}
		const struct bpf_verifier_map *m = &env->maps[meta->map];
		uint32_t size = kind == BPF_ARG_PTR_TO_MAP_KEY ? m->key_size : m->value_size;
		return vmem_helper_access(env, regno, size, size, VACC_READ);
	}
	case BPF_ARG_PTR_TO_MEM:
	case BPF_ARG_PTR_TO_UNINIT_MEM:
		return check_mem_pair(env, regno, kind, a + 1 < 5 ? p->args[a + 1] : BPF_ARG_NONE);
	case BPF_ARG_CONST_SIZE:
	case BPF_ARG_CONST_SIZE_OR_ZERO:
		return 0; /* checked with its memory argument */
	case BPF_ARG_PTR_TO_FUNC:
		if (r->type != VT_FUNC)
			return type_error(env, regno, "func");
		meta->func_subprog = (int)r->aux;
		return 0;
	case BPF_ARG_PTR_TO_STACK_OR_NULL:
		if (!((r->type == VT_STACK && !(r->flags & VF_MAYBE_NULL)) ||
		      (r->type == VT_SCALAR && tnum_equals_const(r->var, 0))))
			return type_error(env, regno, "fp");
		meta->ctx_regno = (int)regno;
		return 0;
	case BPF_ARG_PTR_TO_BTF_ID:
		if (r->type != VT_BTF || (r->flags & VF_MAYBE_NULL))
			return type_error(env, regno, "ptr_");
		if (p->arg_btf_id[a] && r->aux != p->arg_btf_id[a]) {
			vlog(env, "R%u is of type %s but %s is expected\n", regno,
			     btf_type_of(env, r->aux), btf_type_of(env, p->arg_btf_id[a]));
			return -EACCES;
		}
		if ((meta->kf_flags & BPF_KF_TRUSTED_ARGS) && !(r->flags & VF_TRUSTED)) {
			vlog(env, "R%u must be referenced or trusted\n", regno);
			return -EINVAL;
		}
		return 0;
	default:
		return 0;
	}
}

/* r0 after a call of p, in regs; r1..r5 become unreadable. */
static void set_return(struct venv *env, struct vreg *regs, const struct bpf_func_proto *p,
		       const struct call_meta *meta)
{
	struct vreg *r0 = &regs[BPF_REG_0];
	switch (p->ret) {
	case BPF_RET_VOID:
		vreg_mark_not_init(r0);
		break;
	case BPF_RET_MAP_VALUE_OR_NULL:
		vreg_mark_const(r0, 0);
		r0->type = VT_MAP_VALUE;
		r0->flags = VF_MAYBE_NULL;
		r0->aux = (uint32_t)meta->map;
		r0->id = venv_new_id(env);
		break;
	case BPF_RET_BTF_ID:
	case BPF_RET_BTF_ID_OR_NULL:
		vreg_mark_const(r0, 0);
		r0->type = VT_BTF;
		r0->aux = p->ret_btf_id;
		if (p->ret == BPF_RET_BTF_ID)
			r0->flags = VF_TRUSTED;
		if (p->ret == BPF_RET_BTF_ID_OR_NULL) {
			r0->flags = VF_MAYBE_NULL;
			r0->id = venv_new_id(env);
		}
		break;
	default:
		vreg_mark_unknown(r0);
		break;
	}
	for (int r = BPF_REG_1; r <= BPF_REG_5; r++)
		vreg_mark_not_init(&regs[r]);
}

/* Open frame curframe + 1 for subprogram sub, called at insn. */
static int push_frame(struct venv *env, uint32_t insn, uint32_t sub, bool callback)
{
	struct vstate *st = env->cur;
	if (st->curframe + 1 >= BPF_MAX_CALL_DEPTH) {
		vlog(env, "the call stack of %u frames is too deep !\n", st->curframe + 2);
		return -E2BIG;
	}
	struct vframe *f = vframe_alloc(0);
	if (!f)
		return -ENOMEM;
	f->callsite = insn;
	f->subprog = (uint16_t)sub;
	f->frameno = (uint8_t)(st->curframe + 1);
	f->in_callback = callback;
	vreg_mark_const(&f->regs[BPF_REG_FP], 0);
	f->regs[BPF_REG_FP].type = VT_STACK;
	f->regs[BPF_REG_FP].frameno = f->frameno;
	st->frame[++st->curframe] = f;
	st->insn = env->subprogs[sub].start;
	return 0;
}

static void callback_args(const struct bpf_func_proto *p, const struct call_meta *meta,
			  const struct vframe *caller, struct vframe *cb)
{
	for (int a = 0; a < 5; a++) {
		struct vreg *r = &cb->regs[a + 1];
		switch (p->cb_args[a]) {
		case BPF_CB_ARG_MAP:
		case BPF_CB_ARG_MAP_KEY:
		case BPF_CB_ARG_MAP_VALUE:
			vreg_mark_const(r, 0);
			r->type = p->cb_args[a] == BPF_CB_ARG_MAP       ? VT_MAP_PTR
				  : p->cb_args[a] == BPF_CB_ARG_MAP_KEY ? VT_MAP_KEY
									: VT_MAP_VALUE;
			r->aux = (uint32_t)meta->map;
			break;
		case BPF_CB_ARG_CTX:
			*r = caller->regs[meta->ctx_regno];
			break;
		case BPF_CB_ARG_SCALAR:
			vreg_mark_unknown(r);
			break;
		case BPF_CB_ARG_BTF_ID:
			vreg_mark_const(r, 0);
			r->type = VT_BTF;
			r->aux = p->cb_btf_id[a];
			break;
		default:
			break;
		}
	}
}

/*
 * A helper that runs meta->func_subprog: push "the helper returns" at insn + 1, then walk into
 * the callback from the current state.
 */
static int enter_callback(struct venv *env, uint32_t insn, const struct bpf_func_proto *p,
			  const struct call_meta *meta)
{
	for (int a = 0; a < 5; a++) {
		uint8_t k = p->cb_args[a];
		bool needs_map =
			k == BPF_CB_ARG_MAP || k == BPF_CB_ARG_MAP_KEY || k == BPF_CB_ARG_MAP_VALUE;
		if ((needs_map && meta->map < 0) || (k == BPF_CB_ARG_CTX && !meta->ctx_regno)) {
			vlog(env, "invalid callback arguments for %s\n", p->name);
			return -EINVAL;
		}
	}
	struct vstate *ret;
	int err = vstate_push(env, insn + 1, insn, &ret);
	if (err)
		return err;
	struct vframe *caller = ret->frame[ret->curframe];
	set_return(env, caller->regs, p, meta);
	caller->cb_loop = 0;
	ret->cb_reentry = false;

	err = push_frame(env, insn, (uint32_t)meta->func_subprog, true);
	if (err)
		return err;
	callback_args(p, meta, env->cur->frame[env->cur->curframe - 1], cur_frame(env));
	env->cur->cb_reentry = false;
	return 0;
}

int vcall_with_proto(struct venv *env, uint32_t insn, const struct bpf_func_proto *p,
		     uint32_t kf_flags)
{
	struct call_meta meta = {
		.map = -1, .func_subprog = -1, .ctx_regno = 0, .kf_flags = kf_flags};
	bool has_callback = false;
	for (int a = 0; a < 5 && p->args[a] != BPF_ARG_NONE; a++) {
		int err = check_arg(env, p, a, &meta);
		if (err)
			return err;
		has_callback |= p->args[a] == BPF_ARG_PTR_TO_FUNC;
	}
	if (meta.map >= 0) {
		const struct bpf_verifier_map *m = &env->maps[meta.map];
		if (p->map_types && (m->map_type >= 64 || !((p->map_types >> m->map_type) & 1))) {
			vlog(env, "cannot pass map_type %u into func %s#%d\n", m->map_type, p->name,
			     env->insns[insn].imm);
			return -EINVAL;
		}
		if ((p->flags & BPF_PROTO_WRITES_MAP) &&
		    ((m->map_flags & BPF_F_RDONLY_PROG) || m->frozen)) {
			vlog(env, "write into map forbidden\n");
			return -EACCES;
		}
	}
	if (has_callback)
		return enter_callback(env, insn, p, &meta);
	set_return(env, cur_regs(env), p, &meta);
	env->cur->insn = insn + 1;
	return 0;
}

static int call_helper(struct venv *env, uint32_t insn)
{
	int32_t id = env->insns[insn].imm;
	if (id < 0 || id >= __BPF_FUNC_MAX_ID) {
		vlog(env, "invalid func unknown#%d\n", id);
		return -EINVAL;
	}
	const struct bpf_func_proto *p = bpf_helper_proto(id);
	const struct bpf_verifier_input *in = env->in;
	if (!p || !bpf_prog_type_has_helper(env->pt, id) || (uint32_t)id >= in->nhelper_fns ||
	    !in->helper_fns || !in->helper_fns[id]) {
		vlog(env, "program of this type cannot use helper %s#%d\n", p ? p->name : "unknown",
		     id);
		return -EINVAL;
	}
	if ((p->flags & BPF_PROTO_GPL_ONLY) && !in->gpl_compatible) {
		vlog(env, "cannot call GPL-restricted function from non-GPL compatible program\n");
		return -EINVAL;
	}
	if ((p->flags & BPF_PROTO_MIGHT_SLEEP) &&
	    !(env->pt->may_sleep && (in->prog_flags & BPF_F_SLEEPABLE))) {
		vlog(env, "helper call might sleep in a non-sleepable prog\n");
		return -EINVAL;
	}
	if ((uint32_t)id + 1 > env->max_call_index)
		env->max_call_index = (uint32_t)id + 1;
	return vcall_with_proto(env, insn, p, 0);
}

static int call_local(struct venv *env, uint32_t insn)
{
	uint32_t target = insn + (uint32_t)env->insns[insn].imm + 1;
	struct vframe *caller = cur_frame(env);
	int err = push_frame(env, insn, vcfg_subprog_of(env, target), false);
	if (err)
		return err;
	for (int r = BPF_REG_1; r <= BPF_REG_5; r++)
		cur_regs(env)[r] = caller->regs[r];
	return 0;
}

int vcall(struct venv *env, uint32_t insn)
{
	const struct bpf_insn *in = &env->insns[insn];
	if (in->src_reg == BPF_PSEUDO_CALL)
		return call_local(env, insn);
	if (in->src_reg == BPF_PSEUDO_KFUNC_CALL) {
		const struct bpf_verifier_kfunc *k = &vcfg_kfunc(env, insn)->k;
		if (k->flags & BPF_KF_ITER)
			return viter_call(env, insn, k);
		return vcall_with_proto(env, insn, k->proto, k->flags);
	}
	return call_helper(env, insn);
}

/* A frame's stack is gone: pointers to it left in its callers' stacks become plain numbers. */
static void forget_frame(struct vstate *st, uint32_t frameno)
{
	for (uint32_t f = 0; f < frameno; f++) {
		struct vframe *fr = st->frame[f];
		for (uint32_t s = 0; s < fr->nslots; s++) {
			struct vreg *sp = &fr->slots[s].spill;
			if (fr->slots[s].spill_size && sp->type == VT_STACK &&
			    sp->frameno == frameno)
				vreg_mark_unknown(sp);
		}
	}
}

static void pop_frame(struct venv *env)
{
	struct vstate *st = env->cur;
	forget_frame(st, st->curframe);
	vstate_free_frame(st, st->curframe);
	st->curframe--;
}

/* Linux's verbose_invalid_scalar. */
static int bad_return(struct venv *env, const struct vreg *r0, const char *where, int32_t min,
		      int32_t max)
{
	vlog(env, "At %s the register R0 has", where);
	if (r0->smin != S64_MIN)
		vlog(env, " smin=%lld", (long long)r0->smin);
	if (r0->smax != S64_MAX)
		vlog(env, " smax=%lld", (long long)r0->smax);
	if (r0->smin == S64_MIN && r0->smax == S64_MAX)
		vlog(env, " unknown scalar value");
	vlog(env, " should have been in [%d, %d]\n", min, max);
	return -EINVAL;
}

static int check_return_range(struct venv *env, const char *where, int32_t min, int32_t max)
{
	const struct vreg *r0 = &cur_regs(env)[BPF_REG_0];
	if (r0->type != VT_SCALAR) {
		char name[32];
		vlog(env, "At %s the register R0 is not a known value (%s)\n", where,
		     vreg_type_str(env, r0, name, sizeof(name)));
		return -EACCES;
	}
	if (r0->smin < min || r0->smax > max)
		return bad_return(env, r0, where, min, max);
	return 0;
}

int vexit(struct venv *env, uint32_t insn)
{
	(void)insn;
	int err = vcheck_read(env, BPF_REG_0);
	if (err)
		return err;
	struct vstate *st = env->cur;
	struct vframe *fr = cur_frame(env);
	if ((err = viter_check_leaks(env, st->curframe)))
		return err;
	if (st->curframe == 0) {
		if (env->pt->has_ret_range)
			err = check_return_range(env, "program exit", env->pt->ret_min,
						 env->pt->ret_max);
		if (!err)
			vstate_path_done(env);
		return err;
	}
	uint32_t callsite = fr->callsite;
	if (fr->in_callback) {
		const struct bpf_func_proto *p = vcfg_call_proto(env, callsite);
		err = check_return_range(env, "callback return", p->cb_ret_min, p->cb_ret_max);
		if (err)
			return err;
		pop_frame(env);
		st->insn = callsite;
		st->cb_reentry = true;
		st->cb_rounds++;
		return 0;
	}
	struct vreg r0 = fr->regs[BPF_REG_0];
	if (r0.type == VT_STACK) {
		vlog(env, "cannot return stack pointer to the caller\n");
		return -EINVAL;
	}
	pop_frame(env);
	struct vreg *regs = cur_regs(env);
	regs[BPF_REG_0] = r0;
	for (int r = BPF_REG_1; r <= BPF_REG_5; r++)
		vreg_mark_not_init(&regs[r]);
	st->insn = callsite + 1;
	return 0;
}
