/*
 * Memory accesses: a load or store through a pointer register, or a helper's memory argument,
 * is allowed only inside the object the pointer's type names, for every offset its bounds allow:
 *   stack      [-BPF_STACK_FRAME_MAX, 0) from its frame's r10; reads only of written bytes;
 *              8-byte stores at 8-aligned offsets keep the register (spill), so pointers survive
 *   map value  [0, value_size), not written if the map is read-only for programs, not read if
 *              write-only
 *   map key    [0, key_size), read-only
 *   context    per the program type's layout (prog_type.h), from the unmodified pointer only;
 *              a typed field reads as a typed kernel pointer (NULL-checked first if OR_NULL)
 *   memory     [0, size) of a record or kernel variable, writes unless read-only
 *   kernel obj reads of fields the loader's BTF knows, as PROBE_MEM loads
 * Error texts and codes are Linux's (check_mem_access and friends).
 */
#include "kernel/bpf/verifier_impl.h"
#include "kernel/string.h"
#include "uapi/errno.h"

struct vframe *vmem_stack_frame(struct venv *env, const struct vreg *r)
{
	return env->cur->frame[r->frameno];
}

int vmem_stack_reach(struct venv *env, uint32_t f, int64_t off)
{
	uint32_t depth = (uint32_t)-off;
	int err = vframe_grow(env->cur, f, (depth + SLOT_SIZE - 1) / SLOT_SIZE);
	if (err)
		return err;
	struct vsubprog *sp = &env->subprogs[env->cur->frame[f]->subprog];
	if (depth > sp->stack_depth)
		sp->stack_depth = depth;
	return 0;
}

static uint8_t *byte_kind(struct vframe *fr, int64_t o)
{
	uint32_t idx = (uint32_t)(-o - 1);
	return &fr->slots[idx / SLOT_SIZE].kind[idx % SLOT_SIZE];
}

static struct vslot *slot_of(struct vframe *fr, int64_t o)
{
	return &fr->slots[(uint32_t)(-o - 1) / SLOT_SIZE];
}

/* The slot's spill, if any, becomes plain written bytes. */
static void scrub(struct vslot *s)
{
	if (!s->spill_size)
		return;
	for (int b = 0; b < SLOT_SIZE; b++)
		if (s->kind[b] == SLOT_SPILL)
			s->kind[b] = SLOT_MISC;
	s->spill_size = 0;
	s->spill_off = 0;
	memset(&s->spill, 0, sizeof(s->spill));
}

static const char *reg_str(struct venv *env, const struct vreg *r, char *buf, size_t n)
{
	return vreg_type_str(env, r, buf, n);
}

/* Bytes [lo, hi) of frame fr: the first never written (or an iterator's), or hi. */
static int64_t first_invalid(struct vframe *fr, int64_t lo, int64_t hi)
{
	for (int64_t o = lo; o < hi; o++)
		if (*byte_kind(fr, o) == SLOT_INVALID || *byte_kind(fr, o) == SLOT_ITER)
			return o;
	return hi;
}

/*
 * An iterator's bytes hold the kernel's state: nothing but its kfuncs may change them. 0, or
 * -EACCES logged when [lo, hi) of frame fr touches one.
 */
static int check_iter_overwrite(struct venv *env, struct vframe *fr, int64_t lo, int64_t hi)
{
	for (int64_t o = lo; o < hi; o++) {
		if (*byte_kind(fr, o) == SLOT_ITER) {
			vlog(env, "cannot overwrite referenced iterator at fp%lld\n", (long long)o);
			return -EACCES;
		}
	}
	return 0;
}

static void stack_write_fixed(struct vframe *fr, int64_t o, uint32_t size, const struct vreg *v)
{
	for (int64_t b = o; b < o + size; b += SLOT_SIZE)
		scrub(slot_of(fr, b));
	scrub(slot_of(fr, o + size - 1));
	bool whole = size == SLOT_SIZE && o % SLOT_SIZE == 0;
	bool small = v && v->type == VT_SCALAR && size < SLOT_SIZE && o % (int64_t)size == 0;
	if (v && (whole || small)) {
		struct vslot *s = slot_of(fr, o);
		s->spill = *v;
		if (small && v->umax >> (size * 8)) {
			/* Truncated, it is no longer the value its copies hold. */
			vreg_cast(&s->spill, size);
			s->spill.id = 0;
		}
		s->spill_off = (int16_t)o;
		s->spill_size = (uint8_t)size;
		for (int64_t b = o; b < o + size; b++)
			*byte_kind(fr, b) = SLOT_SPILL;
		return;
	}
	for (int64_t b = o; b < o + size; b++)
		*byte_kind(fr, b) = SLOT_MISC;
}

static int stack_access(struct venv *env, uint32_t regno, const struct vreg *reg, int32_t off,
			uint32_t size, enum vaccess t, struct vreg *value, bool sx)
{
	struct vframe *fr = vmem_stack_frame(env, reg);
	int64_t base = (int64_t)reg->off + off;
	const char *what = t == VACC_READ ? " read from" : " write to";
	bool fixed = vreg_is_const(reg);
	bool wild = reg->smin < -BPF_MAX_VAR_OFF || reg->smax > BPF_MAX_VAR_OFF;
	int64_t lo = wild ? 0 : base + (fixed ? (int64_t)reg->var.value : reg->smin);
	int64_t hi = wild ? 1 : base + (fixed ? (int64_t)reg->var.value : reg->smax) + size;
	if (lo < -BPF_STACK_FRAME_MAX || hi > 0) {
		if (fixed) {
			vlog(env, "invalid%s stack R%u off=%lld size=%u\n", what, regno,
			     (long long)(base + (int64_t)reg->var.value), size);
		} else {
			char tn[48];
			tnum_str(tn, sizeof(tn), reg->var);
			vlog(env, "invalid variable-offset%s stack R%u var_off=%s off=%d size=%u\n",
			     what, regno, tn, off, size);
		}
		return -EACCES;
	}
	int err = vmem_stack_reach(env, reg->frameno, lo);
	if (err)
		return err;
	fr = vmem_stack_frame(env, reg);
	if (t == VACC_WRITE) {
		if ((err = check_iter_overwrite(env, fr, lo, hi)))
			return err;
		if (fixed) {
			stack_write_fixed(fr, lo, size, value);
		} else {
			/* Any byte may be written or not: spills go, unwritten bytes stay so. */
			for (int64_t o = lo; o < hi; o++)
				scrub(slot_of(fr, o));
		}
		return 0;
	}
	int64_t bad = first_invalid(fr, lo, hi);
	if (bad < hi) {
		if (fixed) {
			vlog(env, "invalid read from stack off %lld+%lld size %u\n", (long long)lo,
			     (long long)(bad - lo), size);
		} else {
			char tn[48];
			tnum_str(tn, sizeof(tn), reg->var);
			vlog(env, "invalid read from stack R%u var_off %s+%lld size %u\n", regno,
			     tn, (long long)(bad - lo), size);
		}
		return -EACCES;
	}
	struct vslot *s = slot_of(fr, lo);
	if (fixed && s->spill_size == size && s->spill_off == lo) {
		if (sx && s->spill.type == VT_SCALAR)
			vscalar_alu(value, &s->spill, BPF_MOV, true, (int16_t)(size * 8));
		else
			*value = s->spill;
		return 0;
	}
	vreg_mark_unknown_sized(value, size, sx);
	return 0;
}

/*
 * [off + var, off + var + size) inside [0, limit) for every var the register's bounds allow, as
 * Linux's check_mem_region_access words it. what/limit_name name the object for the log.
 */
static int check_region(struct venv *env, uint32_t regno, const struct vreg *reg, int64_t off,
			uint64_t size, uint32_t limit, const char *what, const char *limit_name,
			bool zero_ok)
{
	if (reg->smin < 0 && (reg->smin == S64_MIN || off + reg->smin < 0)) {
		vlog(env,
		     "R%u min value is negative, either use unsigned index or do a if (index >=0) check.\n",
		     regno);
		return -EACCES;
	}
	int64_t lo = off + reg->smin;
	if (lo < 0 || (size == 0 && !zero_ok) || lo + (int64_t)size > limit) {
		vlog(env, "invalid access to %s, %s=%u off=%lld size=%llu\n", what, limit_name,
		     limit, (long long)lo, (unsigned long long)size);
		vlog(env, "R%u min value is outside of the allowed memory range\n", regno);
		return -EACCES;
	}
	if (reg->umax >= BPF_MAX_VAR_OFF) {
		vlog(env,
		     "R%u unbounded memory access, make sure to bounds check any such access\n",
		     regno);
		return -EACCES;
	}
	int64_t hi = off + (int64_t)reg->umax;
	if (hi + (int64_t)size > limit) {
		vlog(env, "invalid access to %s, %s=%u off=%lld size=%llu\n", what, limit_name,
		     limit, (long long)hi, (unsigned long long)size);
		vlog(env, "R%u max value is outside of the allowed memory range\n", regno);
		return -EACCES;
	}
	return 0;
}

static bool map_rdonly(const struct bpf_verifier_map *m)
{
	return (m->map_flags & BPF_F_RDONLY_PROG) || m->frozen;
}

static int map_value_access(struct venv *env, uint32_t regno, const struct vreg *reg, int64_t off,
			    uint64_t size, enum vaccess t, bool zero_ok)
{
	const struct bpf_verifier_map *m = &env->maps[reg->aux];
	if (t == VACC_WRITE && map_rdonly(m)) {
		vlog(env, "write into map forbidden, value_size=%u off=%lld size=%llu\n",
		     m->value_size, (long long)off, (unsigned long long)size);
		return -EACCES;
	}
	if (t == VACC_READ && (m->map_flags & BPF_F_WRONLY_PROG)) {
		vlog(env, "read from map forbidden, value_size=%u off=%lld size=%llu\n",
		     m->value_size, (long long)off, (unsigned long long)size);
		return -EACCES;
	}
	return check_region(env, regno, reg, off, size, m->value_size, "map value", "value_size",
			    zero_ok);
}

static int map_key_access(struct venv *env, uint32_t regno, const struct vreg *reg, int64_t off,
			  uint64_t size, enum vaccess t, bool zero_ok)
{
	if (t == VACC_WRITE) {
		vlog(env, "write to change key R%u not allowed\n", regno);
		return -EACCES;
	}
	return check_region(env, regno, reg, off, size, env->maps[reg->aux].key_size, "map key",
			    "key_size", zero_ok);
}

static int mem_access(struct venv *env, uint32_t regno, const struct vreg *reg, int64_t off,
		      uint64_t size, enum vaccess t, bool zero_ok)
{
	if (t == VACC_WRITE && (reg->flags & VF_RDONLY)) {
		char name[32];
		vlog(env, "R%u cannot write into %s\n", regno,
		     reg_str(env, reg, name, sizeof(name)));
		return -EACCES;
	}
	return check_region(env, regno, reg, off, size, reg->aux, "memory", "mem_size", zero_ok);
}

/*
 * Whether the access is allowed; *typed is the field when it holds a typed pointer (then only a
 * whole 8-byte read of it is allowed, whatever its sizes say), else NULL.
 */
static bool ctx_allowed(const struct bpf_prog_type_desc *pt, int32_t off, uint32_t size,
			enum vaccess t, const struct bpf_ctx_field **typed)
{
	*typed = NULL;
	if (off < 0 || off % (int32_t)size)
		return false;
	if (!pt->ctx_fields)
		return (uint32_t)off < pt->ctx_size;
	uint8_t bit = size == 1   ? BPF_CTX_SZ1
		      : size == 2 ? BPF_CTX_SZ2
		      : size == 4 ? BPF_CTX_SZ4
				  : BPF_CTX_SZ8;
	for (uint32_t i = 0; i < pt->nctx_fields; i++) {
		const struct bpf_ctx_field *f = &pt->ctx_fields[i];
		if ((uint32_t)off < f->start || (uint32_t)off + size > f->end)
			continue;
		if (f->btf_id) {
			*typed = f;
			return t == VACC_READ && size == 8 && (uint32_t)off == f->start &&
			       f->end - f->start == 8;
		}
		return ((t == VACC_READ ? f->read_sizes : f->write_sizes) & bit) != 0;
	}
	return false;
}

/* The pointer itself must be the context as received: Linux's check_ptr_off_reg. */
static int ctx_ptr_unmodified(struct venv *env, uint32_t regno, const struct vreg *reg)
{
	char name[32];
	if (!tnum_equals_const(reg->var, 0)) {
		char tn[48];
		tnum_str(tn, sizeof(tn), reg->var);
		vlog(env, "variable %s access var_off=%s disallowed\n",
		     reg_str(env, reg, name, sizeof(name)), tn);
		return -EACCES;
	}
	if (reg->off < 0) {
		vlog(env, "negative offset %s ptr R%u off=%d disallowed\n",
		     reg_str(env, reg, name, sizeof(name)), regno, reg->off);
		return -EACCES;
	}
	if (reg->off) {
		vlog(env, "dereference of modified %s ptr R%u off=%d disallowed\n",
		     reg_str(env, reg, name, sizeof(name)), regno, reg->off);
		return -EACCES;
	}
	return 0;
}

static int ctx_access(struct venv *env, uint32_t regno, const struct vreg *reg, int32_t off,
		      uint32_t size, enum vaccess t, struct vreg *value, bool sx)
{
	int err = ctx_ptr_unmodified(env, regno, reg);
	if (err)
		return err;
	const struct bpf_ctx_field *typed;
	if (!ctx_allowed(env->pt, off, size, t, &typed)) {
		vlog(env, "invalid bpf_context access off=%d size=%u\n", off, size);
		return -EACCES;
	}
	if ((uint32_t)off + size > env->max_ctx_offset)
		env->max_ctx_offset = (uint32_t)off + size;
	if (t == VACC_READ && typed) {
		/* The caller of the run put a pointer to a live object of this type there, or NULL
		   where the field says so: loads through it are PROBE_MEM all the same. */
		vreg_mark_const(value, 0);
		value->type = VT_BTF;
		value->aux = typed->btf_id;
		value->flags = VF_TRUSTED; /* as Linux's tracing arguments: kfuncs take them */
		if (typed->flags & BPF_CTX_PTR_OR_NULL) {
			value->flags |= VF_MAYBE_NULL;
			value->id = venv_new_id(env);
		}
	} else if (t == VACC_READ) {
		vreg_mark_unknown_sized(value, size, sx);
	}
	return 0;
}

static const char *btf_name(struct venv *env, uint32_t id)
{
	const struct bpf_verifier_ops *ops = env->in->ops;
	const char *n = ops && ops->btf_name ? ops->btf_name(env->in->priv, id) : NULL;
	return n ? n : "unknown";
}

static int btf_access(struct venv *env, uint32_t insn, uint32_t regno, const struct vreg *reg,
		      int32_t off, uint32_t size, enum vaccess t, struct vreg *value, bool sx)
{
	const char *name = btf_name(env, reg->aux);
	if (t == VACC_WRITE) {
		vlog(env, "only read is supported\n");
		return -EACCES;
	}
	if (!vreg_is_const(reg)) {
		char tn[48];
		tnum_str(tn, sizeof(tn), reg->var);
		vlog(env, "R%u is ptr_%s invalid variable offset: off=%d, var_off=%s\n", regno,
		     name, reg->off, tn);
		return -EACCES;
	}
	int64_t at = (int64_t)reg->off + (int64_t)reg->var.value + off;
	if (at < 0) {
		vlog(env, "R%u is ptr_%s invalid negative access: off=%lld\n", regno, name,
		     (long long)at);
		return -EACCES;
	}
	const struct bpf_verifier_ops *ops = env->in->ops;
	struct bpf_verifier_btf_field field = {0};
	int err = ops && ops->btf_access
			  ? ops->btf_access(env->in->priv, reg->aux, (int32_t)at, size, &field)
			  : -EACCES;
	if (err) {
		vlog(env, "access beyond struct %s at off %lld size %u\n", name, (long long)at,
		     size);
		return -EACCES;
	}
	env->insn_flags[insn] |= INSN_PROBE;
	if (field.btf_id && size == 8) {
		/* A pointer field: a typed pointer again, NULL or not (PROBE_MEM copes). */
		vreg_mark_const(value, 0);
		value->type = VT_BTF;
		value->aux = field.btf_id;
	} else {
		vreg_mark_unknown_sized(value, size, sx);
	}
	return 0;
}

int vmem_access(struct venv *env, uint32_t insn, uint32_t regno, int32_t off, uint32_t size,
		enum vaccess t, struct vreg *value, bool sx)
{
	struct vreg reg = cur_regs(env)[regno];
	char name[32];
	if (reg.flags & VF_MAYBE_NULL)
		goto bad_type;
	int err;
	switch (reg.type) {
	case VT_STACK:
		return stack_access(env, regno, &reg, off, size, t, value, sx);
	case VT_MAP_VALUE:
		err = map_value_access(env, regno, &reg, (int64_t)reg.off + off, size, t, false);
		break;
	case VT_MAP_KEY:
		err = map_key_access(env, regno, &reg, (int64_t)reg.off + off, size, t, false);
		break;
	case VT_MEM:
		err = mem_access(env, regno, &reg, (int64_t)reg.off + off, size, t, false);
		break;
	case VT_CTX:
		return ctx_access(env, regno, &reg, off, size, t, value, sx);
	case VT_BTF:
		return btf_access(env, insn, regno, &reg, off, size, t, value, sx);
	default:
		goto bad_type;
	}
	if (!err && t == VACC_READ)
		vreg_mark_unknown_sized(value, size, sx);
	return err;
bad_type:
	vlog(env, "R%u invalid mem access '%s'\n", regno, reg_str(env, &reg, name, sizeof(name)));
	return -EACCES;
}

/* A helper's view of stack memory: indirect access, Linux's check_stack_range_initialized. */
static int stack_helper_access(struct venv *env, uint32_t regno, const struct vreg *reg,
			       uint64_t size_min, uint64_t size_max, enum vaccess t)
{
	bool fixed = vreg_is_const(reg);
	bool wild = reg->smin < -BPF_MAX_VAR_OFF || reg->smax > BPF_MAX_VAR_OFF ||
		    size_max > BPF_STACK_FRAME_MAX;
	int64_t lo = wild ? 0 : (int64_t)reg->off + (fixed ? (int64_t)reg->var.value : reg->smin);
	int64_t hi = wild ? 1
			  : (int64_t)reg->off + (fixed ? (int64_t)reg->var.value : reg->smax) +
				     (int64_t)size_max;
	if (lo < -BPF_STACK_FRAME_MAX || hi > 0) {
		vlog(env, "invalid indirect access to stack R%u off=%lld size=%llu\n", regno,
		     (long long)lo, (unsigned long long)size_max);
		return -EACCES;
	}
	if (!size_max)
		return 0;
	int err = vmem_stack_reach(env, reg->frameno, lo);
	if (err)
		return err;
	struct vframe *fr = vmem_stack_frame(env, reg);
	if (t == VACC_WRITE) {
		if ((err = check_iter_overwrite(env, fr, lo, hi)))
			return err;
		for (int64_t o = lo; o < hi; o++)
			scrub(slot_of(fr, o));
		if (fixed)
			for (int64_t o = lo; o < lo + (int64_t)size_min; o++)
				*byte_kind(fr, o) = SLOT_MISC;
		return 0;
	}
	int64_t bad = first_invalid(fr, lo, hi);
	if (bad < hi) {
		if (fixed) {
			vlog(env, "invalid indirect read from stack R%u off %lld+%lld size %llu\n",
			     regno, (long long)lo, (long long)(bad - lo),
			     (unsigned long long)size_max);
		} else {
			char tn[48];
			tnum_str(tn, sizeof(tn), reg->var);
			vlog(env,
			     "invalid indirect read from stack R%u var_off %s+%lld size %llu\n",
			     regno, tn, (long long)(bad - lo), (unsigned long long)size_max);
		}
		return -EACCES;
	}
	return 0;
}

int vmem_helper_access(struct venv *env, uint32_t regno, uint64_t size_min, uint64_t size_max,
		       enum vaccess t)
{
	struct vreg reg = cur_regs(env)[regno];
	bool zero_ok = size_min == 0;
	switch (reg.type) {
	case VT_STACK:
		return stack_helper_access(env, regno, &reg, size_min, size_max, t);
	case VT_MAP_VALUE:
		return map_value_access(env, regno, &reg, reg.off, size_max, t, zero_ok);
	case VT_MAP_KEY:
		return map_key_access(env, regno, &reg, reg.off, size_max, t, zero_ok);
	case VT_MEM:
		return mem_access(env, regno, &reg, reg.off, size_max, t, zero_ok);
	default: {
		char name[32];
		vlog(env, "R%u invalid mem access '%s'\n", regno,
		     reg_str(env, &reg, name, sizeof(name)));
		return -EACCES;
	}
	}
}
