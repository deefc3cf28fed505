/*
 * Open-coded iterators (verifier.h, struct bpf_verifier_kfunc): the iterator's stack bytes as an
 * object with a state, as Linux tracks STACK_ITER slots. A _NEW call turns unused bytes into an
 * active iterator holding a reference (an id); _NEXT forks the walk into "it returned NULL" (the
 * iterator drained) and "it returned an element" (still active, one level deeper); _DESTROY
 * releases the reference, frees the bytes and turns what _NEXT returned into numbers. A frame that
 * ends with an iterator on its stack leaks it. Error texts are Linux's (process_iter_arg,
 * check_reference_leak).
 *
 * Why the loop ends: the _NEXT call is a forced checkpoint (verifier_cfg.c); once the state coming
 * round the loop is covered by the checkpoint taken there on an earlier pass, with the iterator
 * still active, nothing new can happen on a further pass (verifier_state.c). Scalars nothing
 * depends on are ignored by the comparison (the static precision analysis), so a counter only
 * stored does not keep the loop open; a precise one is widened on a first walk, and if that walk
 * fails, a second one keeps it exact and goes round as often as the program's own bound on it
 * allows (bpf_verify).
 */
#include "kernel/bpf/verifier_impl.h"
#include "kernel/string.h"
#include "uapi/errno.h"

/* Where an iterator argument points: a frame and its first (highest) slot. */
struct iter_loc {
	struct vframe *fr;
	uint32_t slot; /* slot index of the iterator's highest-addressed 8 bytes */
	uint32_t nslots;
};

static const char *iter_name(const struct bpf_verifier_kfunc *k)
{
	return k->iter_name;
}

/* r1 must be a pointer to the program's stack at a fixed, slot-aligned offset with room for it. */
static int iter_arg(struct venv *env, const struct bpf_verifier_kfunc *k, struct iter_loc *loc)
{
	int err = vcheck_read(env, BPF_REG_1);
	if (err)
		return err;
	/* A copy: growing the frame below moves the registers. */
	const struct vreg reg = cur_regs(env)[BPF_REG_1], *r = &reg;
	if (r->type != VT_STACK || (r->flags & VF_MAYBE_NULL)) {
		vlog(env, "arg#0 expected pointer to an iterator on stack\n");
		return -EINVAL;
	}
	if (!vreg_is_const(r)) {
		char tn[48];
		tnum_str(tn, sizeof(tn), r->var);
		vlog(env, "R1 variable stack access prohibited for iter_%s, var_off=%s\n",
		     iter_name(k), tn);
		return -EACCES;
	}
	int64_t off = (int64_t)r->off + (int64_t)r->var.value;
	if (off % SLOT_SIZE) {
		vlog(env, "cannot pass in iter_%s at an offset=%lld\n", iter_name(k),
		     (long long)off);
		return -EINVAL;
	}
	if (off < -BPF_STACK_FRAME_MAX || off + (int64_t)k->iter_size > 0) {
		vlog(env, "invalid indirect access to stack R1 off=%lld size=%u\n", (long long)off,
		     k->iter_size);
		return -EACCES;
	}
	if ((err = vmem_stack_reach(env, r->frameno, off)))
		return err;
	loc->fr = vmem_stack_frame(env, r);
	loc->nslots = k->iter_size / SLOT_SIZE;
	/* The slot holding byte off + size - 1; slot s covers [fp - 8 s - 8, fp - 8 s). */
	loc->slot = (uint32_t)((-off - (int64_t)k->iter_size) / SLOT_SIZE);
	return 0;
}

static struct vslot *loc_slot(const struct iter_loc *loc, uint32_t i)
{
	return &loc->fr->slots[loc->slot + i];
}

/* Every slot is an iterator of k's type (the same one: same reference). */
static bool iter_valid_init(const struct iter_loc *loc, const struct bpf_verifier_kfunc *k)
{
	const struct vslot *first = loc_slot(loc, 0);
	for (uint32_t i = 0; i < loc->nslots; i++) {
		const struct vslot *s = loc_slot(loc, i);
		if (!s->iter_state || s->iter_btf_id != k->iter_btf_id ||
		    s->iter_ref != first->iter_ref)
			return false;
	}
	/* An iterator that starts inside these bytes but is larger than them is another object. */
	if (loc->slot > 0) {
		const struct vslot *below = &loc->fr->slots[loc->slot - 1];
		if (below->iter_state && below->iter_ref == first->iter_ref)
			return false;
	}
	uint32_t above = loc->slot + loc->nslots;
	if (above < loc->fr->nslots) {
		const struct vslot *s = &loc->fr->slots[above];
		if (s->iter_state && s->iter_ref == first->iter_ref)
			return false;
	}
	return true;
}

static bool iter_valid_uninit(const struct iter_loc *loc)
{
	for (uint32_t i = 0; i < loc->nslots; i++)
		if (loc_slot(loc, i)->iter_state)
			return false;
	return true;
}

static void set_slots(const struct iter_loc *loc, const struct vslot *model)
{
	for (uint32_t i = 0; i < loc->nslots; i++)
		*loc_slot(loc, i) = *model;
}

static void invalidate_ref(struct vreg *r, void *arg)
{
	(void)arg;
	vreg_mark_unknown(r);
}

/* Every register and spill in st holding a pointer of reference ref becomes a number. */
static void release_pointers(struct vstate *st, uint32_t ref)
{
	for (uint32_t f = 0; f <= st->curframe; f++) {
		struct vframe *fr = st->frame[f];
		for (int r = 0; r < MAX_BPF_REG; r++)
			if (fr->regs[r].ref_obj_id == ref)
				invalidate_ref(&fr->regs[r], NULL);
		for (uint32_t s = 0; s < fr->nslots; s++)
			if (fr->slots[s].spill_size && fr->slots[s].spill.ref_obj_id == ref)
				invalidate_ref(&fr->slots[s].spill, NULL);
	}
}

/* The same loc in another state (a copy of the current one). */
static struct iter_loc loc_in(const struct vstate *st, const struct iter_loc *loc)
{
	struct iter_loc l = *loc;
	l.fr = st->frame[loc->fr->frameno];
	return l;
}

static int iter_next(struct venv *env, uint32_t insn, const struct iter_loc *loc)
{
	struct vslot s = *loc_slot(loc, 0);
	if (s.iter_state == ITER_ACTIVE) {
		/* "It returned an element": walked later, one level deeper, r0 not NULL. */
		struct vstate *elem;
		int err = vstate_push(env, insn + 1, insn, &elem);
		if (err)
			return err;
		struct vslot deeper = s;
		deeper.iter_depth++;
		struct iter_loc l = loc_in(elem, loc);
		set_slots(&l, &deeper);
		struct vreg *r0 = &elem->frame[elem->curframe]->regs[BPF_REG_0];
		r0->flags = (uint8_t)((r0->flags & ~VF_MAYBE_NULL) | VF_TRUSTED);
		r0->id = 0;
		r0->ref_obj_id = s.iter_ref;
	}
	/* "It returned NULL": the iterator is drained for good; the depth stays. */
	s.iter_state = ITER_DRAINED;
	set_slots(loc, &s);
	vreg_mark_const(&cur_regs(env)[BPF_REG_0], 0);
	return 0;
}

int viter_call(struct venv *env, uint32_t insn, const struct bpf_verifier_kfunc *k)
{
	struct iter_loc loc;
	int err = iter_arg(env, k, &loc);
	if (err)
		return err;
	if (k->flags & BPF_KF_ITER_NEW) {
		if (!iter_valid_uninit(&loc)) {
			vlog(env, "expected uninitialized iter_%s as arg #1\n", iter_name(k));
			return -EINVAL;
		}
	} else if (!iter_valid_init(&loc, k)) {
		vlog(env, "expected an initialized iter_%s as arg #1\n", iter_name(k));
		return -EINVAL;
	}
	uint32_t frameno = loc.fr->frameno;
	if ((err = vcall_with_proto(env, insn, k->proto, k->flags)))
		return err;
	/* Checking the other arguments may have grown (moved) the frame. */
	loc.fr = env->cur->frame[frameno];
	if (k->flags & BPF_KF_ITER_NEW) {
		struct vslot s;
		memset(&s, 0, sizeof(s));
		memset(s.kind, SLOT_ITER, sizeof(s.kind));
		s.iter_state = ITER_ACTIVE;
		s.iter_btf_id = k->iter_btf_id;
		s.iter_ref = venv_new_id(env);
		s.iter_insn = insn;
		set_slots(&loc, &s);
		return 0;
	}
	if (k->flags & BPF_KF_ITER_NEXT)
		return iter_next(env, insn, &loc);
	uint32_t ref = loc_slot(&loc, 0)->iter_ref;
	struct vslot empty;
	memset(&empty, 0, sizeof(empty));
	set_slots(&loc, &empty);
	release_pointers(env->cur, ref);
	return 0;
}

int viter_check_leaks(struct venv *env, uint32_t f)
{
	const struct vframe *fr = env->cur->frame[f];
	for (uint32_t s = 0; s < fr->nslots; s++) {
		if (fr->slots[s].iter_state) {
			vlog(env, "Unreleased reference id=%u alloc_insn=%u\n",
			     fr->slots[s].iter_ref, fr->slots[s].iter_insn);
			return -EINVAL;
		}
	}
	return 0;
}

bool viter_active_at(struct venv *env, const struct vstate *st)
{
	const struct vreg *r = &st->frame[st->curframe]->regs[BPF_REG_1];
	if (r->type != VT_STACK || !vreg_is_const(r))
		return false;
	int64_t off = (int64_t)r->off + (int64_t)r->var.value;
	if (off >= 0 || off % SLOT_SIZE)
		return false;
	const struct vframe *fr = st->frame[r->frameno];
	uint32_t slot = (uint32_t)((-off - 1) / SLOT_SIZE);
	(void)env;
	return slot < fr->nslots && fr->slots[slot].iter_state == ITER_ACTIVE;
}
