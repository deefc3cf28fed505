/*
 * Abstract states: copies for branches, checkpoints at prune points, and the comparison that
 * prunes.
 *
 * Pruning rule: a checkpoint old covers the current state cur when every concrete state cur
 * stands for is one old stands for, as far as the rest of the program can tell: registers and
 * stack slots dead from here are ignored, scalars whose value nothing safety-relevant depends on
 * (imprecise) only need to be scalars, an old register or stack byte that was never written covers
 * anything (a later read of it would have failed old's walk, so none happens). When old's every
 * path has been walked (branches == 0) and found safe, cur's paths are safe too.
 *
 * Loops: a checkpoint still being walked is an ancestor of the current state. Finding the current
 * state equal to it (the stricter "exact" comparison) means the walk would go round forever:
 * "infinite loop detected". Bounded loops differ in some precise scalar every iteration and are
 * walked out, within the complexity limit.
 *
 * Callbacks: a callback-calling helper is walked as a loop "call the callback again, or return"
 * (verifier_call.c). That loop ends because the helper ends it, not because of anything the walk
 * can see, so there coverage by the loop's own in-progress checkpoint is enough to stop; to get
 * there quickly, scalars that changed since the previous round are widened to unknown.
 *
 * Iterators: a loop over an iterator's _NEXT ends because the iterator ends it. There coverage by
 * an in-progress checkpoint of the same _NEXT call is enough to stop when the iterator is still
 * active (Linux's iterator convergence: the state is the same up to the iterator's depth); the
 * exact comparison counts the depth, so going deeper is never an infinite loop. Imprecise scalars
 * already compare equal; precise ones are widened as a callback's are (a counter the program
 * tests after the loop then converges, as in Linux, whose precision is found later), but only on
 * a first attempt: when that fails, bpf_verify walks the program again without it, keeping every
 * precise scalar exact on every pass, so that a bound the program checks inside the loop (the
 * seed's `seen >= 1000`, however clang arranges it) is proved pass by pass.
 */
#include "kernel/bpf/verifier_impl.h"
#include "kernel/string.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

/*
 * Checkpoints kept at once, and at one prune point; past them the walk goes on storing fewer
 * (which only costs pruning). The per-point bound keeps every visit's comparisons few: a long loop
 * would otherwise pile up one checkpoint per few iterations at its head.
 */
#define MAX_STORED_STATES 32768
#define MAX_STATES_PER_INSN 64

#define RB(r) ((uint16_t)(1u << (r)))
#define CALLER_SAVED (RB(0) | RB(1) | RB(2) | RB(3) | RB(4) | RB(5))

struct vframe *vframe_alloc(uint32_t nslots)
{
	struct vframe *f = kzalloc(sizeof(*f) + nslots * sizeof(struct vslot));
	if (f)
		f->nslots = (uint16_t)nslots;
	return f;
}

int vframe_grow(struct vstate *st, uint32_t fi, uint32_t nslots)
{
	struct vframe *old = st->frame[fi];
	if (old->nslots >= nslots)
		return 0;
	/* Grow in steps so a stack walked downwards is not copied at every slot. */
	uint32_t want = old->nslots * 2 > nslots ? old->nslots * 2 : nslots;
	if (want > MAX_SLOTS)
		want = MAX_SLOTS;
	struct vframe *f = vframe_alloc(want);
	if (!f)
		return -ENOMEM;
	memcpy(f, old, sizeof(*old) + old->nslots * sizeof(struct vslot));
	f->nslots = (uint16_t)want;
	kfree(old);
	st->frame[fi] = f;
	return 0;
}

static struct vframe *frame_copy(const struct vframe *src)
{
	struct vframe *f = vframe_alloc(src->nslots);
	if (f)
		memcpy(f, src, sizeof(*src) + src->nslots * sizeof(struct vslot));
	return f;
}

void vstate_free_frame(struct vstate *st, uint32_t f)
{
	kfree(st->frame[f]);
	st->frame[f] = NULL;
}

void vstate_free(struct vstate *st)
{
	if (!st)
		return;
	for (uint32_t i = 0; i < BPF_MAX_CALL_DEPTH; i++)
		kfree(st->frame[i]);
	kfree(st);
}

struct vstate *vstate_copy(const struct vstate *src)
{
	struct vstate *st = kzalloc(sizeof(*st));
	if (!st)
		return NULL;
	*st = *src;
	st->next = NULL;
	st->branches = st->hits = st->misses = 0;
	for (uint32_t i = 0; i < BPF_MAX_CALL_DEPTH; i++) {
		st->frame[i] = NULL;
		if (i <= src->curframe && !(st->frame[i] = frame_copy(src->frame[i]))) {
			vstate_free(st);
			return NULL;
		}
	}
	return st;
}

int vstate_push(struct venv *env, uint32_t insn, uint32_t prev_insn, struct vstate **out)
{
	if (env->npending >= BPF_COMPLEXITY_LIMIT_JMP_SEQ) {
		vlog(env, "The sequence of %u jumps is too complex.\n", env->npending);
		return -E2BIG;
	}
	if (env->npending == env->pending_cap) {
		uint32_t cap = env->pending_cap ? env->pending_cap * 2 : 64;
		struct vstate **p = kmalloc(cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		if (env->npending)
			memcpy(p, env->pending, env->npending * sizeof(*p));
		kfree(env->pending);
		env->pending = p;
		env->pending_cap = cap;
	}
	struct vstate *st = vstate_copy(env->cur);
	if (!st)
		return -ENOMEM;
	st->insn = insn;
	st->prev_insn = prev_insn;
	st->log_pos = (uint32_t)env->log.end;
	if (st->parent)
		st->parent->branches++;
	env->pending[env->npending++] = st;
	if (out)
		*out = st;
	return 0;
}

void vstate_path_done(struct venv *env)
{
	for (struct vstate *p = env->cur->parent; p; p = p->parent)
		if (--p->branches)
			break;
	vstate_free(env->cur);
	env->cur = NULL;
}

bool vstate_pop(struct venv *env)
{
	if (!env->npending)
		return false;
	env->cur = env->pending[--env->npending];
	if (env->log.level & BPF_LOG_LEVEL2) {
		vlog(env, "from %u to %u:", env->cur->prev_insn, env->cur->insn);
		vlog_state(env, env->cur);
	} else {
		vlog_reset(&env->log, env->cur->log_pos);
	}
	return true;
}

/* ---- comparison ---- */

/* Old and cur ids must correspond one to one (a NULL check or refinement of one pair). */
static bool check_ids(struct venv *env, uint32_t old_id, uint32_t cur_id)
{
	if (!old_id)
		return true;
	if (!cur_id)
		return false;
	for (uint32_t i = 0; i < env->idmap_len; i += 2) {
		if (env->idmap[i] == old_id)
			return env->idmap[i + 1] == cur_id;
		if (env->idmap[i + 1] == cur_id)
			return false;
	}
	if (env->idmap_len + 2 > env->idmap_cap)
		return false;
	env->idmap[env->idmap_len++] = old_id;
	env->idmap[env->idmap_len++] = cur_id;
	return true;
}

static bool bounds_equal(const struct vreg *a, const struct vreg *b)
{
	return a->umin == b->umin && a->umax == b->umax && a->smin == b->smin &&
	       a->smax == b->smax && a->var.value == b->var.value && a->var.mask == b->var.mask;
}

static bool bounds_within(const struct vreg *old, const struct vreg *cur)
{
	return old->umin <= cur->umin && old->umax >= cur->umax && old->smin <= cur->smin &&
	       old->smax >= cur->smax && tnum_in(old->var, cur->var);
}

static bool regsafe(struct venv *env, const struct vreg *old, const struct vreg *cur, bool precise,
		    bool exact)
{
	if (old->type == VT_NOT_INIT)
		return !exact || cur->type == VT_NOT_INIT;
	if (old->type != cur->type || old->flags != cur->flags)
		return false;
	if (old->type == VT_SCALAR) {
		if (!precise)
			return true;
		if (!(exact ? bounds_equal(old, cur) : bounds_within(old, cur)))
			return false;
		return check_ids(env, old->id, cur->id);
	}
	if (old->off != cur->off || old->aux != cur->aux || old->frameno != cur->frameno)
		return false;
	/* A pointer an iterator's destruction invalidates is only covered by another such one. */
	if (!old->ref_obj_id != !cur->ref_obj_id ||
	    (old->ref_obj_id && !check_ids(env, old->ref_obj_id, cur->ref_obj_id)))
		return false;
	if (!(exact ? bounds_equal(old, cur) : bounds_within(old, cur)))
		return false;
	return !(old->flags & VF_MAYBE_NULL) || check_ids(env, old->id, cur->id);
}

static const struct vslot empty_slot;

/* What a stack byte holds, as coverage sees it. */
enum { BYTE_INVALID, BYTE_DATA, BYTE_PTR };

static int byte_class(const struct vslot *s, int b, bool precise)
{
	if (s->kind[b] == SLOT_INVALID)
		return BYTE_INVALID;
	if (s->kind[b] == SLOT_MISC || (s->spill.type == VT_SCALAR && !precise))
		return BYTE_DATA;
	return BYTE_PTR;
}

/*
 * Iterator slots match only iterator slots of the same type, state and (corresponding) reference:
 * an iterator old never had is one cur must still destroy. The depth counts only for the exact
 * comparison, so that a loop going deeper is not taken for an infinite one.
 */
static bool iter_slot_safe(struct venv *env, const struct vslot *old, const struct vslot *cur,
			   bool exact)
{
	return old->iter_state == cur->iter_state && old->iter_btf_id == cur->iter_btf_id &&
	       (!exact || old->iter_depth == cur->iter_depth) &&
	       check_ids(env, old->iter_ref, cur->iter_ref) && cur->iter_ref;
}

static bool slot_safe(struct venv *env, const struct vslot *old, const struct vslot *cur,
		      bool precise, bool exact)
{
	if (old->iter_state || cur->iter_state)
		return iter_slot_safe(env, old, cur, exact);
	if (exact) {
		if (memcmp(old->kind, cur->kind, SLOT_SIZE))
			return false;
	} else {
		for (int b = 0; b < SLOT_SIZE; b++) {
			int oc = byte_class(old, b, precise), cc = byte_class(cur, b, precise);
			if (oc != BYTE_INVALID && cc != oc)
				return false;
		}
	}
	/* A spill that matters (a pointer, or a precise scalar) must be the same spill. */
	if (!old->spill_size || (!exact && old->spill.type == VT_SCALAR && !precise))
		return true;
	if (old->spill_off != cur->spill_off || old->spill_size != cur->spill_size)
		return false;
	return regsafe(env, &old->spill, &cur->spill, precise, exact);
}

struct frame_live {
	uint16_t regs, prec;
	uint64_t stack, stack_prec;
};

/* What of frame f matters while the state runs at insn. */
static struct frame_live frame_liveness(struct venv *env, const struct vstate *st, uint32_t f,
					uint32_t insn)
{
	struct frame_live fl;
	uint32_t at = insn;
	bool returning = false;
	if (f < st->curframe) {
		const struct vframe *callee = st->frame[f + 1];
		at = callee->in_callback ? callee->callsite : callee->callsite + 1;
		returning = !callee->in_callback;
	}
	const struct vblock *b = venv_block(env, env->insn_block[at]);
	fl.regs = b->live_regs;
	fl.prec = b->prec_regs;
	fl.stack = b->live_stack;
	fl.stack_prec = b->prec_stack;
	if (returning) {
		/* The call's return writes r0 and clobbers r1..r5. */
		fl.regs &= (uint16_t)~CALLER_SAVED;
		fl.prec &= (uint16_t)~CALLER_SAVED;
	}
	for (uint32_t g = f + 1; g <= st->curframe; g++) {
		if (env->subprogs[st->frame[g]->subprog].reads_caller_stack) {
			fl.stack = fl.stack_prec = STACK_ALL;
			break;
		}
	}
	return fl;
}

static bool states_cover(struct venv *env, const struct vstate *old, const struct vstate *cur,
			 uint32_t insn, bool exact)
{
	if (old->curframe != cur->curframe)
		return false;
	env->idmap_len = 0;
	for (uint32_t f = 0; f <= cur->curframe; f++) {
		const struct vframe *of = old->frame[f], *cf = cur->frame[f];
		if (of->callsite != cf->callsite || of->subprog != cf->subprog ||
		    of->in_callback != cf->in_callback)
			return false;
	}
	for (uint32_t f = cur->curframe + 1; f-- > 0;) {
		const struct vframe *of = old->frame[f], *cf = cur->frame[f];
		struct frame_live fl = frame_liveness(env, cur, f, insn);
		for (int r = 0; r < BPF_REG_FP; r++) {
			if (!(fl.regs & RB(r)))
				continue;
			if (!regsafe(env, &of->regs[r], &cf->regs[r], fl.prec & RB(r), exact))
				return false;
		}
		uint32_t n = of->nslots > cf->nslots ? of->nslots : cf->nslots;
		for (uint32_t s = 0; s < n; s++) {
			const struct vslot *os = s < of->nslots ? &of->slots[s] : &empty_slot;
			const struct vslot *cs = s < cf->nslots ? &cf->slots[s] : &empty_slot;
			/* Iterators count even where dead: they must still be destroyed. */
			if (!((fl.stack >> s) & 1) && !os->iter_state && !cs->iter_state)
				continue;
			if (!slot_safe(env, os, cs, (fl.stack_prec >> s) & 1, exact))
				return false;
		}
	}
	return true;
}

/* ---- callback loops: widening ---- */

static void widen_reg(struct vreg *cur, const struct vreg *old)
{
	if (cur->type == VT_SCALAR && old->type == VT_SCALAR && !bounds_equal(cur, old))
		vreg_mark_unknown(cur);
}

/* Forget what changed in scalars between the previous round (old) and this one (cur). */
static void widen(struct vstate *cur, const struct vstate *old)
{
	for (uint32_t f = 0; f <= cur->curframe; f++) {
		struct vframe *cf = cur->frame[f];
		const struct vframe *of = old->frame[f];
		for (int r = 0; r < BPF_REG_FP; r++)
			widen_reg(&cf->regs[r], &of->regs[r]);
		for (uint32_t s = 0; s < cf->nslots; s++) {
			struct vslot *cs = &cf->slots[s];
			const struct vslot *os = s < of->nslots ? &of->slots[s] : &empty_slot;
			if (!cs->spill_size || cs->spill.type != VT_SCALAR)
				continue;
			if (os->spill_size == cs->spill_size && os->spill_off == cs->spill_off &&
			    os->spill.type == VT_SCALAR && bounds_equal(&os->spill, &cs->spill))
				continue;
			vreg_mark_unknown_sized(&cs->spill, cs->spill_size, false);
		}
	}
}

static bool same_callback_loop(const struct vstate *old, const struct vstate *cur)
{
	const struct vframe *cf = cur->frame[cur->curframe];
	return old->curframe == cur->curframe && cf->cb_loop &&
	       old->frame[old->curframe]->cb_loop == cf->cb_loop;
}

/* ---- checkpoints ---- */

static void evict(struct venv *env, struct vblock *blk, struct vstate **link)
{
	struct vstate *s = *link;
	*link = s->next;
	blk->nstates--;
	env->stored_states--;
	vstate_free(s);
}

/* Make room at a full prune point: drop its oldest finished checkpoint. False if none is. */
static bool evict_oldest_done(struct venv *env, struct vblock *blk)
{
	struct vstate **victim = NULL;
	for (struct vstate **link = &blk->states; *link; link = &(*link)->next)
		if (!(*link)->branches)
			victim = link;
	if (!victim)
		return false;
	evict(env, blk, victim);
	return true;
}

int vstate_visit(struct venv *env, uint32_t insn)
{
	struct vstate *cur = env->cur;
	struct vblock *blk = venv_block(env, env->insn_block[insn]);
	uint8_t flags = env->insn_flags[insn];
	bool cb_round = (flags & INSN_CB_CALL) && cur->cb_reentry;
	/* At an iterator's _NEXT with the iterator active, a state covered by the loop's own
	   checkpoint from an earlier pass adds nothing a further pass could reach (verifier_iter.c). */
	bool iter_round = (flags & INSN_ITER_NEXT) && viter_active_at(env, cur);
	bool force = flags & INSN_FORCE_CP;
	bool add = force || (env->in->prog_flags & BPF_F_TEST_STATE_FREQ) ||
		   (env->jmps_processed - env->prev_jmps_processed >= 2 &&
		    env->insn_processed - env->prev_insn_processed >= 8);
	const struct vstate *prev_round = NULL;

	for (struct vstate **link = &blk->states; *link;) {
		struct vstate *s = *link;
		if (s->branches) {
			if (iter_round && states_cover(env, s, cur, insn, false)) {
				s->hits++;
				return 1;
			}
			if (iter_round && env->iter_widen && !prev_round &&
			    s->curframe == cur->curframe)
				prev_round = s;
			if (cb_round && same_callback_loop(s, cur)) {
				if (states_cover(env, s, cur, insn, false)) {
					s->hits++;
					return 1;
				}
				if (!prev_round)
					prev_round = s;
			} else if (!cb_round && s->cb_rounds == cur->cb_rounds &&
				   states_cover(env, s, cur, insn, true)) {
				vlog(env, "infinite loop detected at insn %u\n", insn);
				return -EINVAL;
			}
			if (!force && env->jmps_processed - env->prev_jmps_processed < 20 &&
			    env->insn_processed - env->prev_insn_processed < 100)
				add = false;
			link = &s->next;
			continue;
		}
		if (states_cover(env, s, cur, insn, false)) {
			s->hits++;
			return 1;
		}
		s->misses++;
		if (s->misses > s->hits * 3 + 3) {
			evict(env, blk, link);
			continue;
		}
		link = &s->next;
	}
	if (prev_round) {
		widen(cur, prev_round);
		env->iter_widened |= iter_round;
	}
	if (add && blk->nstates >= MAX_STATES_PER_INSN)
		add = evict_oldest_done(env, blk);
	if (!add || env->stored_states >= MAX_STORED_STATES)
		return 0;
	struct vstate *cp = vstate_copy(cur);
	if (!cp)
		return -ENOMEM;
	cp->insn = insn;
	cp->branches = 1;
	cp->parent = cur->parent;
	cur->parent = cp;
	cp->next = blk->states;
	blk->states = cp;
	blk->nstates++;
	env->stored_states++;
	env->total_states++;
	if (env->stored_states > env->peak_states)
		env->peak_states = env->stored_states;
	if (blk->nstates > env->max_states_per_insn)
		env->max_states_per_insn = blk->nstates;
	env->prev_jmps_processed = env->jmps_processed;
	env->prev_insn_processed = env->insn_processed;
	return 0;
}

void vstate_free_all(struct venv *env)
{
	vstate_free(env->cur);
	env->cur = NULL;
	while (env->npending)
		vstate_free(env->pending[--env->npending]);
	kfree(env->pending);
	env->pending = NULL;
	for (uint32_t b = 0; env->block_chunks && b < env->nblocks; b++) {
		struct vblock *blk = venv_block(env, b);
		while (blk->states)
			evict(env, blk, &blk->states);
	}
}
