/*
 * Before the walk: everything the verifier can learn from the instructions alone.
 *   1. encodings: every opcode known, reserved fields zero, LD_IMM64 pairs whole;
 *   2. pseudo sources: map fds and indexes, map values, BTF variables, functions and kfunc calls
 *      resolved through the loader's callbacks;
 *   3. subprograms (insn 0, every bpf-to-bpf call target, every BPF_PSEUDO_FUNC target), jumps
 *      inside their own subprogram, each subprogram ending in exit or goto;
 *   4. the control-flow graph: every instruction reachable, no jump into an LD_IMM64;
 *   5. blocks and prune points (liveness and precision per block: verifier_live.c);
 *   6. the call graph: no recursion; after the walk, the combined stack along every chain.
 */
#include <stdarg.h>

#include "kernel/bpf/verifier_impl.h"
#include "kernel/kprintf.h"
#include "kernel/string.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

#define MAX_SUBPROGS 256

/* Log insn i and then the reason; returns err. */
static int reject_at(struct venv *env, uint32_t i, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int reject_at(struct venv *env, uint32_t i, int err, const char *fmt, ...)
{
	vlog_insn(env, i);
	if (vlog_on(env)) {
		char line[192];
		va_list ap;
		va_start(ap, fmt);
		kvsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		vlog(env, "%s", line);
	}
	return err;
}

/* The prototype a call insn reaches, known before the walk (NULL: none, or a bpf-to-bpf call). */
const struct bpf_func_proto *vcfg_call_proto(struct venv *env, uint32_t i)
{
	const struct bpf_insn *in = &env->insns[i];
	if (is_helper_call(in))
		return bpf_helper_proto(in->imm);
	if (is_kfunc_call(in)) {
		const struct vkfunc *k = vcfg_kfunc(env, i);
		return k ? k->k.proto : NULL;
	}
	return NULL;
}

bool vproto_has_callback(const struct bpf_func_proto *p)
{
	for (int a = 0; p && a < 5; a++)
		if (p->args[a] == BPF_ARG_PTR_TO_FUNC)
			return true;
	return false;
}

/* ---- 1. encodings ---- */

static bool alu_op_valid(uint8_t op)
{
	return op <= BPF_END && op != 0xe0 && op != 0xf0;
}

static int check_alu(struct venv *env, uint32_t i, const struct bpf_insn *in)
{
	uint8_t op = BPF_OP(in->code);
	bool is64 = BPF_CLASS(in->code) == BPF_ALU64;
	bool x = BPF_SRC(in->code) == BPF_X;
	if (!alu_op_valid(op))
		return reject_at(env, i, -EINVAL, "invalid BPF_ALU opcode %x\n", op);
	if (op == BPF_END) {
		if (in->src_reg || in->off || (in->imm != 16 && in->imm != 32 && in->imm != 64) ||
		    (is64 && x))
			return reject_at(env, i, -EINVAL, "BPF_END uses reserved fields\n");
		return 0;
	}
	if (op == BPF_NEG) {
		if (x || in->src_reg || in->off || in->imm)
			return reject_at(env, i, -EINVAL, "BPF_NEG uses reserved fields\n");
		return 0;
	}
	if (op == BPF_MOV) {
		bool sx_ok = x && (in->off == 8 || in->off == 16 || (is64 && in->off == 32));
		if (x ? (in->imm || (in->off && !sx_ok)) : (in->src_reg || in->off))
			return reject_at(env, i, -EINVAL, "BPF_MOV uses reserved fields\n");
		return 0;
	}
	bool off_ok = in->off == 0 || ((op == BPF_DIV || op == BPF_MOD) && in->off == 1);
	if ((x ? in->imm != 0 : in->src_reg != 0) || !off_ok)
		return reject_at(env, i, -EINVAL, "BPF_ALU uses reserved fields\n");
	if (!x && (op == BPF_DIV || op == BPF_MOD) && in->imm == 0)
		return reject_at(env, i, -EINVAL, "div by zero\n");
	if (!x && (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) &&
	    (in->imm < 0 || in->imm >= (is64 ? 64 : 32)))
		return reject_at(env, i, -EINVAL, "invalid shift %d\n", in->imm);
	return 0;
}

static bool atomic_imm_valid(int32_t imm)
{
	switch (imm) {
	case BPF_ADD:
	case BPF_ADD | BPF_FETCH:
	case BPF_OR:
	case BPF_OR | BPF_FETCH:
	case BPF_AND:
	case BPF_AND | BPF_FETCH:
	case BPF_XOR:
	case BPF_XOR | BPF_FETCH:
	case BPF_XCHG:
	case BPF_CMPXCHG:
		return true;
	default:
		return false;
	}
}

static int check_mem_insn(struct venv *env, uint32_t i, const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code), mode = BPF_MODE(in->code), size = BPF_SIZE(in->code);
	if (cls == BPF_LDX) {
		if (mode != BPF_MEM && !(mode == BPF_MEMSX && size != BPF_DW))
			return reject_at(env, i, -EINVAL, "unknown opcode %02x\n", in->code);
		if (in->imm)
			return reject_at(env, i, -EINVAL, "BPF_LDX uses reserved fields\n");
		return 0;
	}
	if (cls == BPF_ST) {
		if (mode != BPF_MEM)
			return reject_at(env, i, -EINVAL, "unknown opcode %02x\n", in->code);
		if (in->src_reg)
			return reject_at(env, i, -EINVAL, "BPF_ST uses reserved fields\n");
		return 0;
	}
	/* BPF_STX */
	if (mode == BPF_ATOMIC) {
		if (size != BPF_W && size != BPF_DW)
			return reject_at(env, i, -EINVAL, "unknown opcode %02x\n", in->code);
		if (!atomic_imm_valid(in->imm))
			return reject_at(env, i, -EINVAL,
					 "BPF_ATOMIC uses invalid atomic opcode %02x\n",
					 (unsigned)in->imm);
		return 0;
	}
	if (mode != BPF_MEM)
		return reject_at(env, i, -EINVAL, "unknown opcode %02x\n", in->code);
	if (in->imm)
		return reject_at(env, i, -EINVAL, "BPF_STX uses reserved fields\n");
	return 0;
}

static int check_jmp(struct venv *env, uint32_t i, const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	bool x = BPF_SRC(in->code) == BPF_X;
	switch (op) {
	case BPF_CALL:
		if (cls == BPF_JMP32 || x)
			return reject_at(env, i, -EINVAL, "unknown opcode %02x\n", in->code);
		if (in->dst_reg ||
		    (in->src_reg != 0 && in->src_reg != BPF_PSEUDO_CALL &&
		     in->src_reg != BPF_PSEUDO_KFUNC_CALL) ||
		    (in->off && in->src_reg != BPF_PSEUDO_KFUNC_CALL))
			return reject_at(env, i, -EINVAL, "BPF_CALL uses reserved fields\n");
		return 0;
	case BPF_EXIT:
		if (cls == BPF_JMP32 || x)
			return reject_at(env, i, -EINVAL, "unknown opcode %02x\n", in->code);
		if (in->imm || in->src_reg || in->dst_reg || in->off)
			return reject_at(env, i, -EINVAL, "BPF_EXIT uses reserved fields\n");
		return 0;
	case BPF_JA:
		if (x)
			return reject_at(env, i, -EINVAL, "unknown opcode %02x\n", in->code);
		if (in->src_reg || in->dst_reg || (cls == BPF_JMP ? in->imm != 0 : in->off != 0))
			return reject_at(env, i, -EINVAL, "BPF_JA uses reserved fields\n");
		return 0;
	case BPF_JEQ:
	case BPF_JGT:
	case BPF_JGE:
	case BPF_JSET:
	case BPF_JNE:
	case BPF_JSGT:
	case BPF_JSGE:
	case BPF_JLT:
	case BPF_JLE:
	case BPF_JSLT:
	case BPF_JSLE:
		if (x ? in->imm != 0 : in->src_reg != 0)
			return reject_at(env, i, -EINVAL, "BPF_JMP/JMP32 uses reserved fields\n");
		return 0;
	default:
		return reject_at(env, i, -EINVAL, "unknown opcode %02x\n", in->code);
	}
}

/* Registers an instruction names as registers must exist. */
static int check_regnos(struct venv *env, uint32_t i, const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code);
	bool src_is_reg =
		cls == BPF_LDX || cls == BPF_STX ||
		((cls == BPF_ALU || cls == BPF_ALU64 || cls == BPF_JMP || cls == BPF_JMP32) &&
		 BPF_SRC(in->code) == BPF_X);
	if (in->dst_reg >= MAX_BPF_REG)
		return reject_at(env, i, -EINVAL, "R%d is invalid\n", in->dst_reg);
	if (src_is_reg && in->src_reg >= MAX_BPF_REG)
		return reject_at(env, i, -EINVAL, "R%d is invalid\n", in->src_reg);
	return 0;
}

static int check_encodings(struct venv *env)
{
	for (uint32_t i = 0; i < env->len; i++) {
		const struct bpf_insn *in = &env->insns[i];
		int err = 0;
		switch (BPF_CLASS(in->code)) {
		case BPF_ALU:
		case BPF_ALU64:
			err = check_alu(env, i, in);
			break;
		case BPF_LDX:
		case BPF_ST:
		case BPF_STX:
			err = check_mem_insn(env, i, in);
			break;
		case BPF_JMP:
		case BPF_JMP32:
			err = check_jmp(env, i, in);
			break;
		default: /* BPF_LD */
			if (BPF_MODE(in->code) == BPF_ABS || BPF_MODE(in->code) == BPF_IND) {
				err = reject_at(
					env, i, -EINVAL,
					"BPF_LD_[ABS|IND] instructions not allowed for this program type\n");
			} else if (!is_ldimm64(in)) {
				err = reject_at(env, i, -EINVAL, "unknown opcode %02x\n", in->code);
			} else if (i + 1 >= env->len || in[1].code || in[1].dst_reg ||
				   in[1].src_reg || in[1].off || in->off) {
				err = reject_at(env, i, -EINVAL, "invalid bpf_ld_imm64 insn\n");
			} else {
				env->insn_flags[i + 1] |= INSN_LDIMM_HI;
				i++;
			}
			break;
		}
		if (!err)
			err = check_regnos(env, i, in);
		if (err)
			return err;
	}
	return 0;
}

/* ---- 2. pseudo sources ---- */

static int add_map(struct venv *env, uint32_t i, const struct bpf_insn *in, uint16_t *index)
{
	struct bpf_verifier_map m;
	uint32_t pseudo = in->src_reg == BPF_PSEUDO_MAP_VALUE       ? BPF_PSEUDO_MAP_FD
			  : in->src_reg == BPF_PSEUDO_MAP_IDX_VALUE ? BPF_PSEUDO_MAP_IDX
								    : in->src_reg;
	if (!env->in->ops || !env->in->ops->map_get)
		return reject_at(env, i, -EBADF, "fd %d is not pointing to valid bpf_map\n",
				 in->imm);
	memset(&m, 0, sizeof(m));
	int err = env->in->ops->map_get(env->in->priv, pseudo, in->imm, &m);
	if (err)
		return reject_at(env, i, err, "fd %d is not pointing to valid bpf_map\n", in->imm);
	for (uint32_t k = 0; k < env->nmaps; k++) {
		if (env->maps[k].map == m.map) {
			*index = (uint16_t)k;
			return 0;
		}
	}
	if (env->nmaps >= BPF_VERIFIER_MAX_MAPS)
		return reject_at(env, i, -E2BIG, "too many maps used\n");
	env->maps[env->nmaps] = m;
	*index = (uint16_t)env->nmaps++;
	return 0;
}

static int resolve_ldimm(struct venv *env, uint32_t i, struct vldimm *out)
{
	const struct bpf_insn *in = &env->insns[i];
	memset(out, 0, sizeof(*out));
	out->insn = i;
	switch (in->src_reg) {
	case BPF_PSEUDO_MAP_FD:
	case BPF_PSEUDO_MAP_IDX:
		if (in[1].imm)
			return reject_at(env, i, -EINVAL, "unrecognized bpf_ld_imm64 insn\n");
		return add_map(env, i, in, &out->map);
	case BPF_PSEUDO_MAP_VALUE:
	case BPF_PSEUDO_MAP_IDX_VALUE: {
		int err = add_map(env, i, in, &out->map);
		if (err)
			return err;
		const struct bpf_verifier_map *m = &env->maps[out->map];
		if (!m->value_addr)
			return reject_at(env, i, -EINVAL,
					 "no direct value access support for this map type\n");
		if ((uint32_t)in[1].imm >= m->value_size)
			return reject_at(env, i, -EINVAL,
					 "direct value offset of %u is not allowed\n",
					 (uint32_t)in[1].imm);
		return 0;
	}
	case BPF_PSEUDO_BTF_ID: {
		const struct bpf_verifier_ops *ops = env->in->ops;
		int err = ops && ops->btf_var_get
				  ? ops->btf_var_get(env->in->priv, (uint32_t)in->imm, in[1].imm,
						     &out->var)
				  : -ENOENT;
		if (err)
			return reject_at(env, i, err, "ldimm64 insn specifies invalid btf_id %d.\n",
					 in->imm);
		return 0;
	}
	case BPF_PSEUDO_FUNC:
		if (in[1].imm)
			return reject_at(env, i, -EINVAL, "unrecognized bpf_ld_imm64 insn\n");
		return 0;
	default:
		return reject_at(env, i, -EINVAL, "unrecognized bpf_ld_imm64 insn\n");
	}
}

static int resolve_kfunc(struct venv *env, uint32_t i, struct vkfunc *out)
{
	const struct bpf_insn *in = &env->insns[i];
	const struct bpf_verifier_ops *ops = env->in->ops;
	struct bpf_verifier_kfunc *k = &out->k;
	out->insn = i;
	memset(k, 0, sizeof(*k));
	int err = ops && ops->kfunc_get ? ops->kfunc_get(env->in->priv, env->in->prog_type,
							 (uint32_t)in->imm, in->off, k)
					: -ENOENT;
	if (err == -EACCES)
		return reject_at(env, i, err, "calling kernel function %s is not allowed\n",
				 k->name                      ? k->name
				 : k->proto && k->proto->name ? k->proto->name
							      : "unknown");
	if (err || !k->proto || k->call_index < __BPF_FUNC_MAX_ID)
		return reject_at(env, i, err ? err : -EINVAL,
				 "kernel btf_id %u is not a function\n", (uint32_t)in->imm);
	uint32_t iter = k->flags & BPF_KF_ITER;
	if (iter && ((iter & (iter - 1)) || !k->iter_size || k->iter_size % SLOT_SIZE ||
		     k->iter_size > 64 || !k->iter_name))
		return reject_at(env, i, -EINVAL, "kernel function %s is a bad iterator\n",
				 k->proto->name ? k->proto->name : "unknown");
	if (k->call_index + 1 > env->max_call_index)
		env->max_call_index = k->call_index + 1;
	return 0;
}

static int resolve_pseudo(struct venv *env)
{
	uint32_t nld = 0, nk = 0;
	for (uint32_t i = 0; i < env->len; i++) {
		if (is_ldimm64(&env->insns[i]) && env->insns[i].src_reg)
			nld++;
		if (is_kfunc_call(&env->insns[i]))
			nk++;
	}
	env->ldimms = kzalloc((nld + 1) * sizeof(*env->ldimms));
	env->kfuncs = kzalloc((nk + 1) * sizeof(*env->kfuncs));
	if (!env->ldimms || !env->kfuncs)
		return -ENOMEM;
	for (uint32_t i = 0; i < env->len; i++) {
		const struct bpf_insn *in = &env->insns[i];
		int err = 0;
		if (is_ldimm64(in) && in->src_reg)
			err = resolve_ldimm(env, i, &env->ldimms[env->nldimms++]);
		else if (is_kfunc_call(in))
			err = resolve_kfunc(env, i, &env->kfuncs[env->nkfuncs++]);
		if (err)
			return err;
	}
	return 0;
}

/* The record for insn in an array sorted by insn whose records start with their uint32_t insn. */
static const void *find_by_insn(const void *base, uint32_t n, size_t stride, uint32_t insn)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (*(const uint32_t *)((const char *)base + mid * stride) < insn)
			lo = mid + 1;
		else
			hi = mid;
	}
	const void *rec = (const char *)base + lo * stride;
	return lo < n && *(const uint32_t *)rec == insn ? rec : NULL;
}

const struct vldimm *vcfg_ldimm(struct venv *env, uint32_t insn)
{
	return find_by_insn(env->ldimms, env->nldimms, sizeof(*env->ldimms), insn);
}

const struct vkfunc *vcfg_kfunc(struct venv *env, uint32_t insn)
{
	return find_by_insn(env->kfuncs, env->nkfuncs, sizeof(*env->kfuncs), insn);
}

/* ---- 3. subprograms ---- */

static int add_subprog(struct venv *env, uint32_t *starts, uint32_t *n, uint32_t i, int64_t t)
{
	if (t < 0 || t >= env->len || (env->insn_flags[t] & INSN_LDIMM_HI))
		return reject_at(env, i, -EINVAL, "call to invalid destination\n");
	for (uint32_t k = 0; k < *n; k++)
		if (starts[k] == t)
			return 0;
	if (*n >= MAX_SUBPROGS)
		return reject_at(env, i, -E2BIG, "too many subprograms\n");
	starts[(*n)++] = (uint32_t)t;
	return 0;
}

static int find_subprogs(struct venv *env)
{
	uint32_t *starts = kmalloc(MAX_SUBPROGS * sizeof(*starts));
	uint32_t n = 1;
	int err = 0;
	if (!starts)
		return -ENOMEM;
	starts[0] = 0;
	for (uint32_t i = 0; i < env->len && !err; i++) {
		const struct bpf_insn *in = &env->insns[i];
		if (env->insn_flags[i] & INSN_LDIMM_HI)
			continue;
		if (is_pseudo_call(in) || (is_ldimm64(in) && in->src_reg == BPF_PSEUDO_FUNC))
			err = add_subprog(env, starts, &n, i, (int64_t)i + in->imm + 1);
	}
	if (!err) {
		/* insertion sort: at most MAX_SUBPROGS entries */
		for (uint32_t a = 1; a < n; a++)
			for (uint32_t b = a; b > 0 && starts[b - 1] > starts[b]; b--) {
				uint32_t t = starts[b];
				starts[b] = starts[b - 1];
				starts[b - 1] = t;
			}
		env->subprogs = kzalloc(n * sizeof(*env->subprogs));
		if (!env->subprogs)
			err = -ENOMEM;
	}
	if (!err) {
		env->nsubprogs = n;
		for (uint32_t k = 0; k < n; k++)
			env->subprogs[k].start = starts[k];
	}
	kfree(starts);
	return err;
}

uint32_t vcfg_subprog_of(struct venv *env, uint32_t i)
{
	uint32_t lo = 0, hi = env->nsubprogs;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (env->subprogs[mid].start <= i)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

uint32_t vcfg_subprog_end(struct venv *env, uint32_t s)
{
	return s + 1 < env->nsubprogs ? env->subprogs[s + 1].start : env->len;
}

static int check_subprogs(struct venv *env)
{
	for (uint32_t s = 0; s < env->nsubprogs; s++) {
		uint32_t start = env->subprogs[s].start, end = vcfg_subprog_end(env, s);
		for (uint32_t i = start; i < end; i++) {
			const struct bpf_insn *in = &env->insns[i];
			if (env->insn_flags[i] & INSN_LDIMM_HI)
				continue;
			if (is_jump(in)) {
				int64_t t = jump_target(in, i);
				if (t < start || t >= end)
					return reject_at(env, i, -EINVAL,
							 "jump out of range from insn %u to %lld\n",
							 i, (long long)t);
			}
		}
		const struct bpf_insn *last = &env->insns[end - 1];
		if ((env->insn_flags[end - 1] & INSN_LDIMM_HI) ||
		    (last->code != (BPF_JMP | BPF_EXIT) && last->code != (BPF_JMP | BPF_JA) &&
		     last->code != (BPF_JMP32 | BPF_JA)))
			return reject_at(env, end - 1, -EINVAL,
					 "last insn is not an exit or jmp\n");
	}
	return 0;
}

/* ---- 4. reachability ---- */

static int check_reachable(struct venv *env)
{
	uint8_t *seen = kzalloc(env->len);
	uint32_t *work = kmalloc(env->len * sizeof(*work));
	uint32_t nwork = 0;
	int err = 0;
	if (!seen || !work) {
		err = -ENOMEM;
		goto out;
	}
#define VISIT(t)                             \
	do {                                 \
		uint32_t t_ = (uint32_t)(t); \
		if (!seen[t_]) {             \
			seen[t_] = 1;        \
			work[nwork++] = t_;  \
		}                            \
	} while (0)
	VISIT(0);
	while (nwork) {
		uint32_t i = work[--nwork];
		const struct bpf_insn *in = &env->insns[i];
		/* reached by a jump: reported below */
		if (env->insn_flags[i] & INSN_LDIMM_HI)
			continue;
		if (is_ldimm64(in)) {
			if (in->src_reg == BPF_PSEUDO_FUNC)
				VISIT(i + in->imm + 1);
			VISIT(i + 2);
		} else if (is_jump(in)) {
			VISIT(jump_target(in, i));
			if (is_cond_jump(in))
				VISIT(i + 1);
		} else if (is_exit(in)) {
			continue;
		} else {
			if (is_pseudo_call(in))
				VISIT(i + in->imm + 1);
			VISIT(i + 1);
		}
	}
#undef VISIT
	for (uint32_t i = 0; i < env->len; i++) {
		if (!seen[i]) {
			vlog(env, "unreachable insn %u\n", i);
			err = -EINVAL;
			break;
		}
		if (is_ldimm64(&env->insns[i])) {
			if (seen[i + 1]) {
				vlog(env, "jump into the middle of ldimm64 insn %u\n", i);
				err = -EINVAL;
				break;
			}
			i++;
		}
	}
out:
	kfree(seen);
	kfree(work);
	return err;
}

/* ---- 5. blocks, liveness, precision ---- */

static void mark_leader(struct venv *env, int64_t i)
{
	if (i >= 0 && i < env->len)
		env->insn_flags[i] |= INSN_LEADER;
}

static int build_blocks(struct venv *env)
{
	for (uint32_t s = 0; s < env->nsubprogs; s++)
		mark_leader(env, env->subprogs[s].start);
	for (uint32_t i = 0; i < env->len; i++) {
		const struct bpf_insn *in = &env->insns[i];
		if (env->insn_flags[i] & INSN_LDIMM_HI)
			continue;
		if (is_jump(in)) {
			int64_t t = jump_target(in, i);
			mark_leader(env, t);
			env->insn_flags[t] |= INSN_PRUNE;
			mark_leader(env, i + 1);
			if (is_cond_jump(in))
				env->insn_flags[i + 1] |= INSN_PRUNE;
		} else if (is_exit(in)) {
			mark_leader(env, i + 1);
		} else if (is_pseudo_call(in)) {
			mark_leader(env, i + 1);
		} else if (BPF_OP(in->code) == BPF_CALL && BPF_CLASS(in->code) == BPF_JMP &&
			   vproto_has_callback(vcfg_call_proto(env, i))) {
			env->insn_flags[i] |= INSN_CB_CALL | INSN_PRUNE | INSN_FORCE_CP;
			mark_leader(env, i);
			mark_leader(env, i + 1);
		} else if (is_kfunc_call(in) && (vcfg_kfunc(env, i)->k.flags & BPF_KF_ITER_NEXT)) {
			env->insn_flags[i] |= INSN_ITER_NEXT | INSN_PRUNE | INSN_FORCE_CP;
			mark_leader(env, i);
			mark_leader(env, i + 1);
		}
	}
	uint32_t n = 0;
	for (uint32_t i = 0; i < env->len; i++)
		n += !!(env->insn_flags[i] & INSN_LEADER);
	uint32_t nchunks = (n + VBLOCK_CHUNK - 1) / VBLOCK_CHUNK;
	env->block_chunks = kzalloc(nchunks * sizeof(*env->block_chunks));
	env->insn_block = kmalloc(env->len * sizeof(*env->insn_block));
	if (!env->block_chunks || !env->insn_block)
		return -ENOMEM;
	env->nblocks = n;
	for (uint32_t c = 0; c < nchunks; c++) {
		env->block_chunks[c] = kzalloc(VBLOCK_CHUNK * sizeof(struct vblock));
		if (!env->block_chunks[c])
			return -ENOMEM;
	}
	uint32_t b = 0;
	for (uint32_t i = 0; i < env->len; i++) {
		if (env->insn_flags[i] & INSN_LEADER) {
			if (b)
				venv_block(env, b - 1)->end = i;
			venv_block(env, b)->start = i;
			b++;
		}
		env->insn_block[i] = b - 1;
	}
	venv_block(env, b - 1)->end = env->len;
	return 0;
}

int vcfg_block_succs(struct venv *env, uint32_t b, uint32_t succ[2])
{
	struct vblock *blk = venv_block(env, b);
	uint32_t last = blk->end - 1;
	if (env->insn_flags[last] & INSN_LDIMM_HI)
		last--;
	const struct bpf_insn *in = &env->insns[last];
	int n = 0;
	if (is_jump(in)) {
		succ[n++] = env->insn_block[jump_target(in, last)];
		if (is_cond_jump(in))
			succ[n++] = env->insn_block[blk->end];
	} else if (!is_exit(in)) {
		if (blk->end < env->len)
			succ[n++] = env->insn_block[blk->end];
	}
	return n;
}

/* Global fact for the maybe-stack analysis: some function stores a stack pointer in memory. */
/* ---- 6. the call graph ---- */

/* The subprogram insn i calls or names as a callback, or -1. */
static int64_t callee_at(struct venv *env, uint32_t i)
{
	const struct bpf_insn *in = &env->insns[i];
	if (env->insn_flags[i] & INSN_LDIMM_HI)
		return -1;
	if (is_pseudo_call(in) || (is_ldimm64(in) && in->src_reg == BPF_PSEUDO_FUNC))
		return vcfg_subprog_of(env, i + in->imm + 1);
	return -1;
}

enum { CG_NEW, CG_ACTIVE, CG_DONE };

/*
 * Depth-first over the call graph from s, frames deep: a callee still active is recursion; a
 * chain of more than BPF_MAX_CALL_DEPTH frames is refused here (which also bounds this
 * recursion). Spreads reads_caller_stack from callees to callers.
 */
static int walk_calls(struct venv *env, uint32_t s, uint8_t *state, uint32_t frames)
{
	if (frames > BPF_MAX_CALL_DEPTH) {
		vlog(env, "the call stack of %u frames is too deep !\n", frames);
		return -E2BIG;
	}
	state[s] = CG_ACTIVE;
	for (uint32_t i = env->subprogs[s].start; i < vcfg_subprog_end(env, s); i++) {
		int64_t t = callee_at(env, i);
		if (t < 0)
			continue;
		if (state[t] == CG_ACTIVE) {
			vlog_insn(env, i);
			vlog(env, "back-edge from insn %u to %u\n", i, env->subprogs[t].start);
			return -EINVAL;
		}
		if (state[t] == CG_NEW) {
			int err = walk_calls(env, (uint32_t)t, state, frames + 1);
			if (err)
				return err;
		}
		env->subprogs[s].reads_caller_stack |= env->subprogs[t].reads_caller_stack;
	}
	state[s] = CG_DONE;
	return 0;
}

static int check_call_graph(struct venv *env)
{
	uint8_t *state = kzalloc(env->nsubprogs);
	if (!state)
		return -ENOMEM;
	int err = walk_calls(env, 0, state, 1);
	kfree(state);
	return err;
}

/* The worst chain of calls starting at a subprogram: its stack (as Linux rounds) and frames. */
struct chain {
	uint32_t total, frames;
	bool known;
};

static struct chain worst_chain(struct venv *env, uint32_t s, struct chain *memo)
{
	if (memo[s].known)
		return memo[s];
	struct chain below = {0, 0, true};
	for (uint32_t i = env->subprogs[s].start; i < vcfg_subprog_end(env, s); i++) {
		int64_t t = callee_at(env, i);
		if (t < 0)
			continue;
		struct chain c = worst_chain(env, (uint32_t)t, memo);
		if (c.total > below.total)
			below = c;
	}
	uint32_t depth = env->subprogs[s].stack_depth;
	memo[s] = (struct chain){below.total + ((depth ? depth : 1) + 31) / 32 * 32,
				 below.frames + 1, true};
	return memo[s];
}

/*
 * Linux's check_max_stack_depth: along every chain of calls from the main program (callbacks
 * included: they run on top of their caller), the stack sizes rounded up to 32 bytes (at least 32
 * a frame) add up to at most BPF_STACK_FRAME_MAX. The call graph is acyclic and at most
 * BPF_MAX_CALL_DEPTH deep by now (check_call_graph), which bounds the recursion.
 */
int vcfg_check_stack(struct venv *env)
{
	struct chain *memo = kzalloc(env->nsubprogs * sizeof(*memo));
	if (!memo)
		return -ENOMEM;
	struct chain c = worst_chain(env, 0, memo);
	kfree(memo);
	if (c.total > BPF_STACK_FRAME_MAX) {
		vlog(env, "combined stack size of %u calls is %u. Too large\n", c.frames, c.total);
		return -EACCES;
	}
	return 0;
}

int vcfg_prepare(struct venv *env)
{
	int err = check_encodings(env);
	if (!err)
		err = resolve_pseudo(env);
	if (!err)
		err = find_subprogs(env);
	if (!err)
		err = check_subprogs(env);
	if (!err)
		err = check_reachable(env);
	if (!err)
		err = build_blocks(env);
	if (!err)
		err = vlive_analyse(env);
	if (!err)
		err = check_call_graph(env);
	return err;
}

void vcfg_free(struct venv *env)
{
	if (env->block_chunks)
		for (uint32_t c = 0; c < (env->nblocks + VBLOCK_CHUNK - 1) / VBLOCK_CHUNK; c++)
			kfree(env->block_chunks[c]);
	kfree(env->block_chunks);
	kfree(env->insn_block);
	kfree(env->subprogs);
	kfree(env->ldimms);
	kfree(env->kfuncs);
}
