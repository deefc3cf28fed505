/*
 * BPF programs: the loaded-program object, from verified instructions to something that runs.
 *
 * Loading (bpf_prog_load) takes instructions already copied into the kernel and does what Linux's
 * bpf_check and bpf_prog_select_runtime do: run the verifier (kernel/bpf/verifier.h) with the
 * loader's callbacks (maps from fds or fd_array, BPF function values), take a reference on every
 * map the verified program uses, then prepare an executor: the JIT unless it is off or fails,
 * else the interpreter (kernel/bpf/exec.h). A program gets an id (kernel/bpf/obj.h). The
 * syscall layer (kernel/bpf/prog_load.c) does the user-facing part: attribute checks, copies, the
 * log's way back to user space, the fd.
 *
 * References: the loader's (the caller's of bpf_prog_load), each program fd's, each call in
 * progress that got the program from an fd or an id. The last bpf_prog_put removes the id and
 * frees the executors, the instructions, the function values and the map references. A running
 * program is always referenced by whoever runs it, so its code and function values outlive every
 * run.
 *
 * Runs (bpf_prog_run) are RCU read-side sections (kernel/rcu.h): map values a program looked up
 * stay valid until it returns. A run never sleeps; its helpers may pass preemption points.
 *
 * Locking: no lock is held by any function here when it returns; the id table has its own.
 */
#ifndef KERNEL_BPF_PROG_H
#define KERNEL_BPF_PROG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/bpf/exec.h"
#include "kernel/bpf/prog_btf.h"
#include "uapi/linux/bpf.h"

struct bpf_prog;
struct bpf_prog_type_desc;

/* What BPF_PROG_LOAD asks for, in kernel memory (the syscall layer copied and checked it). */
struct bpf_prog_load_req {
	uint32_t prog_type;  /* one bpf_prog_type_desc knows */
	uint32_t prog_flags; /* known bits only (BPF_F_SLEEPABLE, BPF_F_TEST_STATE_FREQ, ...) */
	uint32_t expected_attach_type;
	uint32_t attach_btf_id; /* the kernel BTF's id of a TRACING program's attach point */
	/* the context to verify against (bpf_verifier_input's desc), NULL for the type's own; the
	   caller's */
	const struct bpf_prog_type_desc *desc;
	const struct bpf_insn *insns; /* insn_cnt instructions, the caller's until load returns */
	uint32_t insn_cnt;
	char name[BPF_OBJ_NAME_LEN]; /* checked (bpf_obj_name_copy), NUL-padded */
	bool gpl_compatible;
	uint64_t fd_array;            /* user address of BPF_PSEUDO_MAP_IDX's fd array, or 0 */
	char *log_buf;                /* the verifier log: a kernel buffer of log_size bytes */
	uint32_t log_size, log_level; /* as bpf_verifier_input's */
	bool jit;                 /* try the JIT first (bpf_jit_default()); false: interpreter */
	struct bpf_prog_btf *btf; /* func_info and line_info (prog_btf.h), or NULL. Once the
					  program is ready bpf_prog_load takes over what it holds
					  (zeroing it); what is left is the caller's to release */
};

/*
 * Verify req and make it a program: 0 and *out (one reference, the caller's), or the verifier's
 * errors (bpf_verify: EINVAL, EACCES, E2BIG, ENOSPC, ENOMEM; EBADF / EINVAL for an fd that is not
 * a map, EFAULT for an fd_array that cannot be read, EPROTO for BPF_PSEUDO_MAP_IDX without
 * fd_array, as Linux), or:
 *   E2BIG   the interpreter must run it (no JIT) and it is longer than BPF_INTERP_MAX_INSNS;
 *   ENOMEM  out of memory; ENOSPC no program id left.
 * *verified_insns and *log_true_size are set on every return once the verifier has run (0
 * before). The log buffer holds the verifier's NUL-terminated log when log_level is not 0. Reads
 * the current task's fds and, for fd_array, its memory: call it from a system call (or a kernel
 * test) with no spinlock held.
 */
int bpf_prog_load(const struct bpf_prog_load_req *req, struct bpf_prog **out,
		  uint32_t *verified_insns, uint32_t *log_true_size);

/* Whether loads use the JIT: false when the kernel command line says bpf.jit=0. No lock. */
bool bpf_jit_default(void);

/* Take another reference; the caller holds one. */
void bpf_prog_get(struct bpf_prog *prog);
/* Drop a reference; the last frees the program (see above). No spinlock held. */
void bpf_prog_put(struct bpf_prog *prog);

/* BPF_PROG_GET_FD_BY_ID: the program with this id, referenced (0), or -ENOENT. */
int bpf_prog_get_by_id(uint32_t id, struct bpf_prog **out);
/* BPF_PROG_GET_NEXT_ID: the smallest program id above start (0 and *next), or -ENOENT. */
int bpf_prog_get_next_id(uint32_t start, uint32_t *next);

/*
 * Run the program once with r1 = ctx, inside an RCU read-side section; returns r0. The caller
 * holds a reference, and ctx is what the program type's context is (the verifier checked every
 * access against it).
 */
uint64_t bpf_prog_run(const struct bpf_prog *prog, void *ctx);
/* The same, for a caller already inside a read-side section (one pair of atomics fewer). */
uint64_t bpf_prog_run_rcu(const struct bpf_prog *prog, void *ctx);

/*
 * The JIT's code of prog, which bpf_prog_run_rcu would call with the context alone
 * (kernel/bpf/exec.h's bpf_ctx_func_t), or NULL if prog is interpreted. Fixed at load; valid while prog is. For callers that run one program very
 * often (a tracepoint) and would rather call it straight.
 */
bpf_ctx_func_t bpf_prog_jited_entry(const struct bpf_prog *prog);

/* Add runs and nanoseconds to the program's statistics (bpf_prog_info run_cnt, run_time_ns). */
void bpf_prog_account(struct bpf_prog *prog, uint64_t runs, uint64_t ns);

/* What the program is, for info and test runs. No lock; fixed at load except the statistics. */
struct bpf_prog_stats {
	uint32_t type, id, expected_attach_type, prog_flags;
	uint32_t attach_btf_id; /* 0 unless a TRACING program */
	char name[BPF_OBJ_NAME_LEN];
	bool gpl_compatible;
	uint64_t load_time; /* ktime_get_ns() at load */
	uint32_t verified_insns;
	uint32_t max_ctx_offset; /* the verifier's: context bytes a run may touch */
	uint64_t run_cnt, run_time_ns;
	const struct bpf_insn *xlated; /* the executed instructions, xlated_len of them */
	uint32_t xlated_len;
	const void *jited; /* the JIT's code, jited_len bytes, or NULL (interpreted) */
	uint32_t jited_len;
	uint32_t nfuncs; /* subprograms */
	uint32_t nmaps;  /* maps used (bpf_prog_map) */
};
void bpf_prog_stats(const struct bpf_prog *prog, struct bpf_prog_stats *st);

/* The two facts a test run needs (bpf_prog_stats' type and max_ctx_offset) without its copy of
   everything: BPF_PROG_TEST_RUN asks on every call. No lock; fixed at load. */
uint32_t bpf_prog_type_of(const struct bpf_prog *prog);
uint32_t bpf_prog_max_ctx_offset(const struct bpf_prog *prog);

/* The program's BTF, func_info and line_info (all zero for none); fixed at load. No lock. */
const struct bpf_prog_btf *bpf_prog_btf(const struct bpf_prog *prog);

/* Map i (< nmaps) the program uses, in first-use order; the program holds the reference. */
struct bpf_map *bpf_prog_map(const struct bpf_prog *prog, uint32_t i);

/* Where subprogram i (< nfuncs) of a JIT-compiled program starts in its code. */
const void *bpf_prog_jited_func(const struct bpf_prog *prog, uint32_t i);

/* Programs alive now (loaded and not yet freed): leak checks. */
size_t bpf_progs_live(void);

#endif
