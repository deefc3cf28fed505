/*
 * The eBPF verifier: proves at load time that a program is safe to run, and translates it into the
 * executed ("xlated") form of kernel/bpf/exec.h. The loader (BPF_PROG_LOAD) calls bpf_verify once
 * per program; nothing here keeps state between calls, so several loads may verify at once.
 *
 * What an accepted program can do (the contract; the executors rely on it):
 *   - read and write only its own stack (at most BPF_STACK_FRAME_MAX bytes a frame, at most
 *     BPF_MAX_CALL_DEPTH frames, 512 bytes combined as Linux counts it), its context (the bytes
 *     its program type allows, prog_type.h), the values of the maps it references (within
 *     value_size, unless the map is read-only for programs), the records handed to its callbacks
 *     (map keys read-only), and typed kernel objects (reads only, emitted as BPF_PROBE_MEM loads
 *     that yield 0 instead of faulting);
 *   - never read a register or a stack byte it has not written (the checks are per byte);
 *   - call only the helpers its program type allows and kfuncs the loader resolves, with arguments
 *     of the kinds their prototypes (func_proto.h) name, and only BPF functions at subprogram
 *     starts, without recursion;
 *   - stop: every path ends at an exit. Loops are accepted when the verifier can walk every
 *     iteration within BPF_COMPLEXITY_LIMIT_INSNS processed instructions; callbacks are bounded by
 *     their helpers, loops over an iterator's _NEXT by the iterator. There is no run-time
 *     instruction budget;
 *   - destroy every iterator it starts, on every path.
 * Division by zero is not a rejection: the executors give the RFC 9669 result.
 *
 * What a program can learn about kernel addresses. Kestrel has no privilege levels, and the
 * verifier applies Linux's privileged (CAP_BPF + CAP_PERFMON) rules: a program may turn any
 * pointer it holds into a number (move, store to a map or its context, return it in r0, subtract
 * two pointers, compare pointers) and so learn the kernel addresses of its stack, its context,
 * map objects and values, typed kernel objects it was handed and its callback descriptors.
 * It cannot turn a number back into a pointer (a scalar is never dereferenced, and a pointer loaded
 * back from a map or context is a scalar), so it cannot reach memory outside the list above, and
 * it cannot read uninitialised stack (Linux's privileged mode can; Kestrel refuses it so no stale
 * kernel data leaks).
 *
 * Differences from Linux, by design: a map frozen at load time is read-only for the program too
 * (as BPF_F_RDONLY_PROG; Linux lets programs write frozen maps); a call of a function with BTF
 * information is checked like one without (arguments passed as they are); recursion is refused
 * in the call graph before the walk ("back-edge from insn X to Y", the words Linux uses for a
 * cycle it refuses in the control-flow graph); packet access (LD_ABS/LD_IND, __sk_buff data
 * pointers), spin locks and reference-tracked objects other than iterators are not supported yet.
 */
#ifndef KERNEL_BPF_VERIFIER_H
#define KERNEL_BPF_VERIFIER_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/bpf/exec.h"
#include "kernel/bpf/func_proto.h"
#include "kernel/bpf/prog_type.h"

#define BPF_VERIFIER_MAX_INSNS 1000000     /* insn_cnt limit: -E2BIG above */
#define BPF_COMPLEXITY_LIMIT_INSNS 1000000 /* processed instructions: -E2BIG above */
#define BPF_COMPLEXITY_LIMIT_JMP_SEQ 8192  /* branches waiting to be walked: -E2BIG above */
#define BPF_VERIFIER_MAX_MAPS 64           /* distinct maps one program uses: -E2BIG above */

/* log_level bits, Linux's. */
#define BPF_LOG_LEVEL1 1 /* the failing path's instructions and the reason */
#define BPF_LOG_LEVEL2 2 /* every instruction walked, with register state at branches */
#define BPF_LOG_STATS 4  /* statistics at the end */
#define BPF_LOG_FIXED 8  /* on overflow keep the start of the log (default: keep the end) */
#define BPF_LOG_MASK (BPF_LOG_LEVEL1 | BPF_LOG_LEVEL2 | BPF_LOG_STATS | BPF_LOG_FIXED)
#define BPF_LOG_SIZE_MAX (UINT32_MAX / 4)

/* What the verifier needs to know of one map; filled by the loader's map_get. */
struct bpf_verifier_map {
	void *map;         /* the loader's map object, opaque here: the value of an
				  LD_IMM64 BPF_PSEUDO_MAP_FD/IDX, and what the loader takes a
				  reference on when it appears in bpf_verifier_output.maps */
	uint32_t map_type; /* enum bpf_map_type */
	uint32_t key_size, value_size, max_entries, map_flags;
	bool frozen;         /* BPF_MAP_FREEZE done: read-only for the program */
	uint64_t value_addr; /* kernel address of the value BPF_PSEUDO_MAP_VALUE offsets are
				  from, or 0 when the map has none (Linux: single-element arrays) */
};

/* A kernel variable named by LD_IMM64 BPF_PSEUDO_BTF_ID. */
struct bpf_verifier_btf_var {
	uint64_t addr;   /* the constant the instruction becomes */
	uint32_t btf_id; /* nonzero: the register is a typed pointer to this struct type */
	uint32_t size;   /* btf_id 0: the register points to size read-only bytes */
};

/* What one load through a typed kernel pointer yields (btf_access). */
struct bpf_verifier_btf_field {
	uint32_t btf_id; /* nonzero: a typed pointer to this type (may be NULL at run time);
				  0: a number */
};

/* Kfunc flags (Linux's KF_*). */
#define BPF_KF_ITER_NEW 0x1     /* arg 0 is an uninitialised iterator on the stack: starts it */
#define BPF_KF_ITER_NEXT 0x2    /* arg 0 is a started iterator: its next element, or NULL */
#define BPF_KF_ITER_DESTROY 0x4 /* arg 0 is a started iterator: ends it */
#define BPF_KF_TRUSTED_ARGS 0x8 /* typed pointer arguments must be trusted (see below) */
#define BPF_KF_ITER (BPF_KF_ITER_NEW | BPF_KF_ITER_NEXT | BPF_KF_ITER_DESTROY)

/*
 * One kfunc as the loader resolves it. Iterator kfuncs (Linux's open-coded iterators) take the
 * iterator, struct bpf_iter_<name> of iter_size bytes (a multiple of 8, at most 64), by pointer in
 * r1: a fixed 8-aligned offset of a stack the program owns. The verifier tracks those bytes as an
 * object of their own: _NEW needs them unused by another iterator and makes them an active
 * iterator (the program can then neither read nor write them: the kernel's state lives there);
 * _NEXT and _DESTROY need an iterator of the same type; _DESTROY frees the bytes and every pointer
 * _NEXT returned through it stops being a pointer; a path that reaches an exit (or leaves the
 * frame) with an iterator not destroyed is rejected ("Unreleased reference"). _NEXT returns
 * proto->ret_btf_id or NULL; a loop over it is walked until its state at the _NEXT call repeats
 * (Linux's iterator convergence). For these, proto->args[0] is BPF_ARG_ANYTHING: the iterator
 * argument is checked by the rules above, not by the prototype.
 * Trusted pointers: what a helper returns as BPF_RET_BTF_ID, a typed context field (a tracing
 * program's arguments: iter/task_vma's task) and what an iterator's _NEXT returns, each once
 * NULL-checked where it may be NULL; a pointer loaded from a field of one is not.
 */
struct bpf_verifier_kfunc {
	const char *name;                   /* for the log, when known (errors included) */
	const struct bpf_func_proto *proto; /* fn set; valid until the loader frees the program */
	uint32_t call_index;                /* what the xlated call names, >= __BPF_FUNC_MAX_ID */
	uint32_t flags;                     /* BPF_KF_* */
	uint32_t iter_btf_id;               /* iterator kfuncs: struct bpf_iter_<name>'s BTF id */
	uint32_t iter_size;                 /* its size in bytes */
	const char *iter_name;              /* "task_vma": the log says iter_task_vma */
};

/*
 * The loader's side. Any callback may be NULL: the feature it serves is then refused ("unknown"
 * map, kfunc, BTF id). priv is bpf_verifier_input.priv. Callbacks return 0 or a negative errno,
 * which bpf_verify returns as it is (so the loader chooses EBADF for a bad fd, as Linux).
 */
struct bpf_verifier_ops {
	/* The map of fd imm (pseudo BPF_PSEUDO_MAP_FD/_VALUE) or of fd_array[imm] (_IDX/_IDX_VALUE). */
	int (*map_get)(void *priv, uint32_t pseudo, int32_t imm, struct bpf_verifier_map *out);
	/* The 64-bit value of LD_IMM64 BPF_PSEUDO_FUNC naming subprogram subprog (first insn
	   start): what bpf_for_each_map_elem and friends get as the callback; the loader builds it. */
	int (*func_value)(void *priv, uint32_t subprog, uint32_t start, uint64_t *value);
	/* The kfunc of BTF id btf_id (insn off: the BTF object, 0 = the kernel's) for this program
	   type (struct bpf_verifier_kfunc). -EACCES: not allowed for this type (out->name may then
	   name it for the log); any other error: unknown. */
	int (*kfunc_get)(void *priv, uint32_t prog_type, uint32_t btf_id, int16_t off,
			 struct bpf_verifier_kfunc *out);
	/* LD_IMM64 BPF_PSEUDO_BTF_ID: the variable of btf_id (next insn's imm: its BTF object). */
	int (*btf_var_get)(void *priv, uint32_t btf_id, int32_t btf_obj,
			   struct bpf_verifier_btf_var *out);
	/* A load of size bytes at off from a struct of type btf_id: 0 and *out, or -EACCES when
	   [off, off + size) is not a field (or part of one) of the type. */
	int (*btf_access)(void *priv, uint32_t btf_id, int32_t off, uint32_t size,
			  struct bpf_verifier_btf_field *out);
	/* The name of btf_id for the log ("task_struct"), or NULL. */
	const char *(*btf_name)(void *priv, uint32_t btf_id);
};

struct bpf_verifier_input {
	uint32_t prog_type; /* enum bpf_prog_type; unknown: -EINVAL */
	/* The context and helpers to check against instead of prog_type's own description (NULL:
	   bpf_prog_type_desc(prog_type)): a TRACING program's, built for its attach point. Read
	   during bpf_verify only. */
	const struct bpf_prog_type_desc *desc;
	uint32_t prog_flags;          /* BPF_F_TEST_STATE_FREQ (a checkpoint at every prune
					    point) is honoured; the others are the loader's */
	const struct bpf_insn *insns; /* as user space gave them; not modified */
	uint32_t insn_cnt;
	const struct bpf_verifier_ops *ops;
	void *priv;
	/* Helper implementations by Linux number: a helper the program type allows but whose
	   entry is missing or NULL is refused as unknown for the type. */
	const bpf_func_t *helper_fns;
	uint32_t nhelper_fns;
	/* The license is GPL-compatible (Linux's license_is_gpl_compatible): without it, helpers
	   whose prototype says BPF_PROTO_GPL_ONLY are refused, as Linux refuses them. */
	bool gpl_compatible;
	/* The log: a kernel buffer of log_size bytes (the loader copies it to log_buf in user
	   space). As Linux since 6.4 (bpf_vlog_init), -EINVAL before anything else unless: buf
	   and size are both set or both 0; level within BPF_LOG_MASK, and nonzero if there is a
	   buffer; size <= BPF_LOG_SIZE_MAX. A level with no buffer asks only for log_true_size
	   (the log is measured, not kept; the verdict is the program's). */
	char *log_buf;
	uint32_t log_size;
	uint32_t log_level;
};

/*
 * The result of a successful verification. Every array is the verifier's allocation (kmalloc)
 * until bpf_verifier_output_free; `exec` points into them and is what the executors take.
 * The xlated instructions are the input with exec.h's rewrites, and with every instruction no path
 * reaches replaced by an exit (Linux removes them; here offsets stay as they were).
 */
struct bpf_verifier_output {
	struct bpf_exec_prog exec; /* insns (xlated), subprogram starts and stack depths, calls */
	struct bpf_insn *insns;    /* exec.insns, writable for the loader's further fixups */
	uint32_t *subprog_start;
	uint16_t *stack_depth; /* per subprogram, multiple of 8, <= BPF_STACK_FRAME_MAX */
	bpf_func_t *calls;     /* exec.calls: helpers at their numbers, kfuncs at theirs */
	/* The maps the program references, each once, in first-use order. */
	struct bpf_verifier_map maps[BPF_VERIFIER_MAX_MAPS];
	uint32_t nmaps;
	uint32_t max_ctx_offset; /* end of the furthest context byte accessed */
	/* Filled on every return, success or not: */
	uint32_t verified_insns; /* instructions processed (bpf_prog_info.verified_insns) */
	uint32_t log_true_size;  /* bytes the whole log needs, with its NUL (0: no log) */
};

/*
 * Whether log attributes pass the rule above (bpf_verifier_input's log fields); has_buf: a buffer
 * address was given. The loader checks them with this before it allocates the kernel buffer.
 */
bool bpf_verifier_log_attr_valid(bool has_buf, uint32_t size, uint32_t level);

/*
 * Verify in->insns and translate them into out. Returns 0 with out filled, or:
 *   -EINVAL  the program is rejected (the log names the instruction and the reason), the
 *            program type is unknown, or the log attributes are inconsistent;
 *   -EACCES  rejected by a memory-access, pointer or argument rule where Linux answers EACCES;
 *   -E2BIG   insn_cnt is 0 or above BPF_VERIFIER_MAX_INSNS, the walk passed
 *            BPF_COMPLEXITY_LIMIT_INSNS ("BPF program is too large. Processed N insn"), too many
 *            pending branches, too many maps, or a call chain deeper than BPF_MAX_CALL_DEPTH;
 *   -ENOSPC  the log did not fit: it holds the last log_size - 1 bytes (the first ones with
 *            BPF_LOG_FIXED) and a NUL; log_true_size says how much was needed. Takes precedence
 *            over the verdict, as in Linux;
 *   -ENOMEM  out of memory;
 *   a callback's error (bpf_verifier_ops) as it returned it.
 * On any error out holds nothing to free (only verified_insns and log_true_size are set). The log
 * is always NUL-terminated when there is a buffer. Allocates with kmalloc and passes preemption
 * points (kernel/preempt.h) during long walks: call it with no spinlock held.
 */
int bpf_verify(const struct bpf_verifier_input *in, struct bpf_verifier_output *out);

/* Free what a successful bpf_verify allocated; out may be reused. Maps' references are the
   loader's business. */
void bpf_verifier_output_free(struct bpf_verifier_output *out);

#endif
