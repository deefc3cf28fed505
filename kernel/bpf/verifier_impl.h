/*
 * The verifier's internals, shared by its files (not for other callers; verifier.h is the
 * interface):
 *   verifier.c         the walk: every path, instruction by instruction, on abstract states
 *   verifier_mem.c     memory accesses: stack, context, map values and keys, records, kernel objects
 *   verifier_call.c    helper, kfunc and bpf-to-bpf calls, callbacks, exits
 *   verifier_iter.c    open-coded iterators: their stack objects, _new/_next/_destroy, leaks
 *   verifier_bounds.c  scalar arithmetic on bounds and tnums, branch refinement
 *   verifier_state.c   abstract states: copies, comparison, checkpoints and pruning
 *   verifier_cfg.c     before the walk: instruction checks, subprograms, the control-flow graph,
 *                      the call graph and stack sizes
 *   verifier_live.c    before the walk: liveness and precision
 *   verifier_log.c     the log buffer (Linux's rotating log) and state printing
 *   disasm.c           instructions as text
 *
 * Mechanism in one paragraph: the walk keeps one current state (registers and stack bytes of
 * every frame, each register a type plus bounds) and a stack of states waiting at the other side
 * of branches. At prune points (jump targets, branch fall-throughs, callback call sites) it
 * compares the current state with checkpoints stored there: when a checkpoint whose every path
 * was walked to the end covers the current state, the current path is safe and dropped. Coverage
 * ignores registers and stack slots that are dead from that point (a static liveness analysis) and
 * the values of scalars that no memory access, branch or checked argument can depend on (a static
 * precision analysis); both analyses are over-approximations computed before the walk, so pruning
 * never depends on how far the walk has got.
 */
#ifndef KERNEL_BPF_VERIFIER_IMPL_H
#define KERNEL_BPF_VERIFIER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/bpf/prog_type.h"
#include "kernel/bpf/tnum.h"
#include "kernel/bpf/verifier.h"

#define S64_MAX ((int64_t)0x7fffffffffffffffLL)
#define S64_MIN (-S64_MAX - 1)
#define U64_MAX (~(uint64_t)0)
#define U32_MAX 0xffffffffu
#define S32_MAX 0x7fffffff
#define S32_MIN (-S32_MAX - 1)

/* Pointer offsets stay within +-BPF_MAX_VAR_OFF so no offset arithmetic can overflow. */
#define BPF_MAX_VAR_OFF (1 << 29)
#define BPF_REG_FP BPF_REG_10
#define SLOT_SIZE 8
#define MAX_SLOTS (BPF_STACK_FRAME_MAX / SLOT_SIZE)

/* The bytes a load or store of this opcode's size moves. */
static inline uint32_t bpf_size_bytes(uint8_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B:
		return 1;
	case BPF_H:
		return 2;
	case BPF_W:
		return 4;
	default:
		return 8;
	}
}

/* Instruction shapes. */
static inline bool is_ldimm64(const struct bpf_insn *in)
{
	return in->code == (BPF_LD | BPF_IMM | BPF_DW);
}

static inline bool is_pseudo_call(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
}

static inline bool is_helper_call(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_CALL) && in->src_reg == 0;
}

static inline bool is_kfunc_call(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_KFUNC_CALL;
}

/* A jump with a target (not a call or an exit). */
static inline bool is_jump(const struct bpf_insn *in)
{
	uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
	return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT;
}

static inline bool is_cond_jump(const struct bpf_insn *in)
{
	return is_jump(in) && BPF_OP(in->code) != BPF_JA;
}

static inline bool is_exit(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_EXIT);
}

/* Where jump insn (at index i) goes. */
static inline int64_t jump_target(const struct bpf_insn *in, uint32_t i)
{
	if (in->code == (BPF_JMP32 | BPF_JA))
		return (int64_t)i + in->imm + 1;
	return (int64_t)i + in->off + 1;
}

/* ---- registers ---- */

enum vtype {
	VT_NOT_INIT = 0, /* never written (or clobbered by a call): unreadable */
	VT_SCALAR,       /* a number: bounds below */
	VT_CTX,          /* the program's context (r1 at entry) */
	VT_MAP_PTR,      /* a map object (aux: map index) */
	VT_MAP_VALUE,    /* a map value (aux: map index) */
	VT_MAP_KEY,      /* a map key handed to a callback, read-only (aux: map index) */
	VT_STACK,        /* a frame's stack (frameno): r10 is off 0 */
	VT_MEM,          /* aux bytes of memory (a kernel variable, a record) */
	VT_BTF,          /* a typed kernel pointer (aux: BTF id), read with PROBE_MEM */
	VT_FUNC,         /* a BPF function (aux: subprogram) */
};

#define VF_MAYBE_NULL 0x1 /* may be NULL: no access, no arithmetic until a NULL check */
#define VF_RDONLY 0x2     /* VT_MEM: read-only */
#define VF_TRUSTED 0x4    /* VT_BTF: a trusted pointer (verifier.h), for BPF_KF_TRUSTED_ARGS */

/*
 * One register. Scalars keep their value's bounds in var/smin/smax/umin/umax; pointers keep a
 * fixed offset in off and the variable part of their offset in the same bound fields (a pointer
 * to base + off + x, with x within the bounds). Invariant after every operation: the bounds and
 * the tnum agree (umin <= umax, smin <= smax, and the tnum holds a value in range).
 * id: nonzero when other registers or spilled slots hold the very same value: refining one refines
 * all (scalars); a NULL check of one checks all (VF_MAYBE_NULL pointers).
 * ref_obj_id: nonzero for a pointer into an iterator's kernel state (what its _NEXT returned): the
 * iterator's reference; destroying the iterator makes every such register a scalar.
 */
struct vreg {
	uint8_t type;
	uint8_t flags;
	uint8_t frameno; /* VT_STACK: whose frame */
	uint32_t id;
	uint32_t ref_obj_id;
	int32_t off;
	uint32_t aux;
	struct tnum var;
	int64_t smin, smax;
	uint64_t umin, umax;
};

/* ---- stack ---- */

enum slot_kind {
	SLOT_INVALID = 0, /* never written: unreadable */
	SLOT_MISC,        /* written, value unknown */
	SLOT_SPILL,       /* part of the spilled register `spill` */
	SLOT_ITER,        /* part of an iterator (verifier.h): neither readable nor writable */
};

/* An iterator's state (Linux's BPF_ITER_STATE_*). */
enum { ITER_ACTIVE = 1, ITER_DRAINED = 2 };

/*
 * 8 bytes of a frame's stack. Byte b of slot s is at fp - 8 * s - 1 - b (slot 0 is just below
 * r10). A spill keeps a whole register: 8 bytes at an 8-aligned offset (any type), or a scalar of
 * 1, 2 or 4 bytes at an offset aligned to its size; its bytes are SLOT_SPILL and it starts at
 * fp + spill_off. Invariant: spill_size is 0 when the slot holds no spill, and kind[b] ==
 * SLOT_SPILL exactly for the spill's bytes.
 * Iterator slots: every byte of each of an iterator's slots is SLOT_ITER, and each of them holds
 * the same iter_* fields (iter_state nonzero); other slots have iter_state 0.
 */
struct vslot {
	uint8_t kind[SLOT_SIZE];
	int16_t spill_off;
	uint8_t spill_size;
	uint8_t iter_state;   /* ITER_ACTIVE, ITER_DRAINED, or 0 */
	uint32_t iter_btf_id; /* struct bpf_iter_<name> */
	uint32_t iter_ref;    /* the reference the iterator is (an id, as vreg.id) */
	uint32_t iter_insn;   /* where _NEW started it, for the log */
	uint32_t iter_depth;  /* _NEXT calls that returned an element on this path (exact comparison
			         only: two states differing in it are not an infinite loop) */
	struct vreg spill;
};

/* One call frame: a BPF function's registers and stack. */
struct vframe {
	struct vreg regs[MAX_BPF_REG];
	uint32_t callsite; /* insn of the call that made the frame (frame 0: none) */
	uint32_t cb_loop;  /* nonzero while this frame is at a callback-calling helper: names
			       that call's loop over its callback (see verifier_call.c) */
	uint16_t subprog;
	uint8_t frameno;
	bool in_callback; /* made by a helper running a callback: its exit goes back to the
			       helper call at callsite */
	uint16_t nslots;  /* slots[0..nslots) exist; deeper ones are SLOT_INVALID */
	struct vslot slots[];
};

/*
 * A whole state: the frames of the call chain, frame[curframe] running. The walk's current state
 * and the waiting branches are states; so are checkpoints, stored at prune points.
 * Checkpoint invariant: branches counts the walked or waiting paths that started at this
 * checkpoint and have not ended; 0 means every path from here was proven safe, and only then may
 * the checkpoint prune another state (except at a callback's own loop, see verifier_state.c).
 */
struct vstate {
	struct vframe *frame[BPF_MAX_CALL_DEPTH];
	uint32_t curframe;
	uint32_t insn;         /* the next instruction (checkpoints: where taken) */
	uint32_t prev_insn;    /* the instruction before it, for the log */
	bool cb_reentry;       /* back at a callback-calling helper after the callback ran */
	uint32_t cb_rounds;    /* callback runs finished on this path: equal states in different
				   rounds are the helper's bounded loop, not an infinite one */
	struct vstate *parent; /* latest checkpoint on this path, or NULL */
	uint32_t branches;
	uint32_t hits, misses; /* checkpoints: prune successes and failures, for eviction */
	uint32_t log_pos;      /* waiting branches: the log's length when pushed */
	struct vstate *next;   /* checkpoints: the list at one prune point */
};

/* ---- per-instruction and per-block facts from verifier_cfg.c ---- */

#define INSN_LEADER 0x01    /* first insn of a block (liveness kept) */
#define INSN_PRUNE 0x02     /* prune point */
#define INSN_LDIMM_HI 0x04  /* second half of LD_IMM64 */
#define INSN_PROBE 0x08     /* a load some path made through a typed kernel pointer */
#define INSN_SEEN 0x10      /* reached by the walk */
#define INSN_CB_CALL 0x20   /* a helper call with a callback argument */
#define INSN_FORCE_CP 0x40  /* always store a checkpoint here */
#define INSN_ITER_NEXT 0x80 /* an iterator's _NEXT kfunc call: loops converge here */

#define STACK_ALL (~(uint64_t)0)

/*
 * Liveness and precision at a block's first instruction (its "in" sets). live: registers and stack
 * slots (bit s: slot s of this function's frame) whose value some path may still read before
 * writing. prec: scalars whose value some memory access, branch, checked argument or return-value
 * check may still depend on.
 */
struct vblock {
	uint32_t start, end; /* insns [start, end) */
	uint16_t live_regs, prec_regs;
	uint64_t live_stack, prec_stack;
	struct vstate *states; /* checkpoints stored at start */
	uint32_t nstates;
};

/* What the static pass learned about each subprogram. */
struct vsubprog {
	uint32_t start;
	uint32_t stack_depth;    /* deepest byte touched, from the walk */
	bool reads_caller_stack; /* it, or a function it calls, reads through stack pointers
				     it was passed (so callers' slots stay live while it runs) */
};

/* An LD_IMM64 with a pseudo source, resolved before the walk. */
struct vldimm {
	uint32_t insn;
	uint16_t map;                    /* map index (map sources) */
	struct bpf_verifier_btf_var var; /* BPF_PSEUDO_BTF_ID */
};

/* A kfunc call, resolved before the walk. */
struct vkfunc {
	uint32_t insn;
	struct bpf_verifier_kfunc k;
};

/* ---- the log ---- */

/*
 * Linux's log: positions count every byte ever written (start..end is what the buffer holds, as
 * a ring of size - 1 bytes plus a NUL, unless BPF_LOG_FIXED keeps the first bytes); max_end is
 * the furthest end reached, so max_end + 1 is the true size.
 */
struct vlog {
	char *buf;
	uint32_t size;
	uint32_t level;
	uint64_t start, end, max_end;
};

/* ---- the environment of one bpf_verify call ---- */

#define VBLOCK_CHUNK 1024

struct venv {
	const struct bpf_verifier_input *in;
	const struct bpf_prog_type_desc *pt;
	uint32_t len;
	struct bpf_insn *insns;       /* the working copy: becomes the xlated program */
	uint8_t *insn_flags;          /* INSN_* per insn */
	uint32_t *insn_block;         /* per insn: its block */
	struct vblock **block_chunks; /* blocks, VBLOCK_CHUNK per chunk */
	uint32_t nblocks;
	struct vsubprog *subprogs;
	uint32_t nsubprogs;
	struct vldimm *ldimms; /* sorted by insn */
	uint32_t nldimms;
	struct vkfunc *kfuncs; /* sorted by insn */
	uint32_t nkfuncs;
	struct bpf_verifier_map maps[BPF_VERIFIER_MAX_MAPS];
	uint32_t nmaps;
	struct vlog log;

	/* the walk */
	struct vstate *cur;
	struct vstate **pending; /* branches waiting, a stack */
	uint32_t npending, pending_cap;
	uint32_t insn_processed, jmps_processed;
	uint32_t prev_insn_processed, prev_jmps_processed;
	uint32_t id_gen;
	uint32_t stored_states, peak_states, total_states, max_states_per_insn;
	uint32_t max_ctx_offset;
	uint32_t max_call_index; /* highest call index used + 1 */
	uint32_t *idmap;         /* pairs (old id, cur id) for state comparison */
	uint32_t idmap_len, idmap_cap;
	bool iter_widen;   /* widen changed scalars at iterator loop heads (first attempt) */
	bool iter_widened; /* it did: a rejection is worth a second, exact attempt */
};

static inline struct vblock *venv_block(struct venv *env, uint32_t b)
{
	return &env->block_chunks[b / VBLOCK_CHUNK][b % VBLOCK_CHUNK];
}

static inline struct vframe *cur_frame(struct venv *env)
{
	return env->cur->frame[env->cur->curframe];
}

static inline struct vreg *cur_regs(struct venv *env)
{
	return cur_frame(env)->regs;
}

/* ---- verifier_log.c ---- */

/* Set up the log from the input's attributes: 0, or -EINVAL for inconsistent ones. */
int vlog_init(struct vlog *log, const struct bpf_verifier_input *in);
/* Append formatted text (no-op without a log). */
void vlog(struct venv *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Forget everything written after position pos (a branch's log when the walk backs up). */
void vlog_reset(struct vlog *log, uint64_t pos);
/* Finish the log: NUL-terminate, put the kept bytes in order. Returns 0 or -ENOSPC; *true_size
   is what the whole log needed. */
int vlog_finalize(struct vlog *log, uint32_t *true_size);
static inline bool vlog_on(const struct venv *env)
{
	return env->log.level != 0;
}
/* The register type's name as Linux prints it ("scalar", "map_value_or_null", "fp"...). */
const char *vreg_type_str(struct venv *env, const struct vreg *r, char *buf, size_t size);
/* One line: the live registers and stack of the running frame. */
void vlog_state(struct venv *env, const struct vstate *st);
/* "N: (code) text" for insn i. */
void vlog_insn(struct venv *env, uint32_t i);

/* ---- verifier_cfg.c ---- */

/* Check encodings, resolve pseudo LD_IMM64 and kfunc calls, find subprograms, check the CFG,
   compute liveness and precision. 0 or a negative errno (logged). */
int vcfg_prepare(struct venv *env);
/* The prototype call insn i reaches, known before the walk: NULL for bpf-to-bpf calls and for
   helpers Kestrel has no prototype of. */
const struct bpf_func_proto *vcfg_call_proto(struct venv *env, uint32_t i);
bool vproto_has_callback(const struct bpf_func_proto *p);
/* The blocks block b may continue in (at most two), and how many. */
int vcfg_block_succs(struct venv *env, uint32_t b, uint32_t succ[2]);
/* The insn after subprogram s's last. */
uint32_t vcfg_subprog_end(struct venv *env, uint32_t s);
/* After the walk: combined stack sizes along call chains. 0 or negative errno (logged). */
int vcfg_check_stack(struct venv *env);
/* The subprogram containing insn i. */
uint32_t vcfg_subprog_of(struct venv *env, uint32_t i);
/* The resolved pseudo LD_IMM64 or kfunc call at insn (NULL if it is none). */
const struct vldimm *vcfg_ldimm(struct venv *env, uint32_t insn);
const struct vkfunc *vcfg_kfunc(struct venv *env, uint32_t insn);
/* Free what vcfg_prepare allocated (safe after a partial prepare). */
void vcfg_free(struct venv *env);

/* ---- verifier_live.c ---- */

/* Fill every block's liveness and precision, and the subprograms' reads_caller_stack. 0 or
   -ENOMEM. */
int vlive_analyse(struct venv *env);

/* ---- verifier_bounds.c ---- */

/* r becomes: any scalar; the scalar v; unreadable. Each clears every other field (type, id...). */
void vreg_mark_unknown(struct vreg *r);
void vreg_mark_const(struct vreg *r, uint64_t v);
void vreg_mark_not_init(struct vreg *r);
/* A scalar of the low `bytes` bytes, zero-extended (or sign-extended when sign). */
void vreg_mark_unknown_sized(struct vreg *r, unsigned bytes, bool sign);
bool vreg_is_const(const struct vreg *r);
/* Re-derive each bound from the others and the tnum. Returns false when they are empty (the
   path is impossible). */
bool vreg_sync(struct vreg *r);
/* Truncate a scalar to its low `bytes` bytes (zero-extended). */
void vreg_cast(struct vreg *r, unsigned bytes);
/*
 * dst = dst op src on scalars (op: BPF_ADD...BPF_MOV, BPF_NEG ignores src); is64 false: the
 * 32-bit form (result zero-extended); off: the insn's off (signed division and modulo, MOVSX
 * width). Shift amounts are taken modulo the width, as the executors do.
 */
void vscalar_alu(struct vreg *dst, const struct vreg *src, uint8_t op, bool is64, int16_t off);
/* BPF_END: to_le false is a byte swap to big endian (or the ALU64 unconditional swap); bits 16,
   32 or 64. */
void vscalar_end(struct vreg *dst, bool to_le, unsigned bits);
/*
 * A conditional jump on two scalars: 1 always taken, 0 never, -1 either. When either, refines
 * the four registers (copies of dst and src for the taken and the fall-through branch); a branch
 * whose registers end up empty is impossible and the result says so (1 or 0).
 */
int vscalar_branch(uint8_t op, bool is32, const struct vreg *dst, const struct vreg *src,
		   struct vreg *dst_t, struct vreg *src_t, struct vreg *dst_f, struct vreg *src_f);

/* ---- verifier_state.c ---- */

/* A zeroed frame with nslots stack slots (all unwritten), or NULL. */
struct vframe *vframe_alloc(uint32_t nslots);
/* Make frame f's stack hold at least nslots slots (reallocating it). 0 or -ENOMEM. */
int vframe_grow(struct vstate *st, uint32_t f, uint32_t nslots);
/* A deep copy (its own frames) on no list and with no branches, or NULL. */
struct vstate *vstate_copy(const struct vstate *st);
/* Free frame f of st (the running frame, being left). */
void vstate_free_frame(struct vstate *st, uint32_t f);
/* Free st and its frames (NULL is ignored). */
void vstate_free(struct vstate *st);
/* Push a copy of the current state to resume at insn later. 0 or -ENOMEM / -E2BIG. */
int vstate_push(struct venv *env, uint32_t insn, uint32_t prev_insn, struct vstate **copy);
/* The current path ended (exit, pruned): update the checkpoints' branch counts, drop it. */
void vstate_path_done(struct venv *env);
/* Take the next waiting branch as the current state; false when none is left. */
bool vstate_pop(struct venv *env);
/* At a prune point: 1 when the current state is covered (drop the path), 0 to go on, or a
   negative errno (infinite loop, out of memory). */
int vstate_visit(struct venv *env, uint32_t insn);
/* Free the current state, the waiting branches and every checkpoint. */
void vstate_free_all(struct venv *env);
/* A new id for vreg.id. */
static inline uint32_t venv_new_id(struct venv *env)
{
	return ++env->id_gen;
}

/* ---- verifier_mem.c ---- */

enum vaccess { VACC_READ, VACC_WRITE };
/*
 * A load (t == VACC_READ: *value receives what is loaded, size bytes, sign-extended when sx) or a
 * store (VACC_WRITE of *value) of size bytes at regs[regno] + off. Checks everything and updates
 * the stack; the caller puts a loaded value where it goes.
 */
int vmem_access(struct venv *env, uint32_t insn, uint32_t regno, int32_t off, uint32_t size,
		enum vaccess t, struct vreg *value, bool sx);
/* A helper's memory argument: [reg, reg + size) for every size in [size_min, size_max],
   readable (t == VACC_READ) or writable; writes mark the first size_min bytes written. */
int vmem_helper_access(struct venv *env, uint32_t regno, uint64_t size_min, uint64_t size_max,
		       enum vaccess t);
/* Grow frame f of the current state to reach fp + off, record the subprogram's depth. */
int vmem_stack_reach(struct venv *env, uint32_t f, int64_t off);
/* For a stack pointer: the frame it points into. */
struct vframe *vmem_stack_frame(struct venv *env, const struct vreg *r);

/* ---- verifier_call.c ---- */

int vcall(struct venv *env, uint32_t insn);
int vexit(struct venv *env, uint32_t insn);

/* A helper or kfunc call of prototype p: arguments checked, r0 set, r1..r5 made unreadable,
   the walk moved on (or into a callback). */
int vcall_with_proto(struct venv *env, uint32_t insn, const struct bpf_func_proto *p,
		     uint32_t kf_flags);

/* ---- verifier_iter.c ---- */

/* A call of iterator kfunc k at insn (flags BPF_KF_ITER_*). */
int viter_call(struct venv *env, uint32_t insn, const struct bpf_verifier_kfunc *k);
/* Frame f of the current state is going away (exit, return): 0, or -EINVAL with "Unreleased
   reference" logged when an iterator lives on its stack. */
int viter_check_leaks(struct venv *env, uint32_t f);
/* At an INSN_ITER_NEXT insn: whether the iterator st's r1 points to is active (convergence may
   only prune a state that would go round the loop once more). */
bool viter_active_at(struct venv *env, const struct vstate *st);

/* ---- verifier.c ---- */

/* Check that register regno may be read: 0, or -EACCES "R%d !read_ok". */
int vcheck_read(struct venv *env, uint32_t regno);
/* Registers of every frame (and their spills) that share id: fn is called on each. */
void vfor_each_reg_with_id(struct vstate *st, uint32_t id, void (*fn)(struct vreg *, void *),
			   void *arg);

#endif
