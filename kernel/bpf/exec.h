/*
 * How a loaded eBPF program runs: the contract between the loader (verifier and fixups, which
 * build a struct bpf_exec_prog) and the two executors that run it, the interpreter
 * (kernel/bpf/interp.c) and the x86-64 JIT (arch/x86_64/bpf_jit.c). Both executors compile on the
 * host too (the conformance plugin, the differential test, the benchmarks).
 *
 * The executed instruction stream ("xlated", as Linux calls it) is RFC 9669 BPF with these
 * loader rewrites; the executors never see the other forms:
 *   - LD_IMM64 (BPF_LD | BPF_IMM | BPF_DW) always has src_reg 0: every pseudo source (map fd,
 *     map value, BTF id, function) has been replaced by the 64-bit constant it stands for.
 *   - BPF_JMP | BPF_CALL with src_reg 0 calls calls[imm] (struct bpf_exec_prog.calls) with
 *     r1..r5 as its five arguments and puts its result in r0; r1..r5 are then undefined (the
 *     verifier makes programs treat them so; executors may leave any value). Helpers keep their
 *     Linux numbers as imm; kfuncs get numbers the loader assigns above the helpers'.
 *   - BPF_JMP | BPF_CALL with src_reg BPF_PSEUDO_CALL is a bpf-to-bpf call to insn pc + 1 + imm,
 *     the start of a subprogram: a new frame (r6..r9 and r10 preserved for the caller, r1..r5
 *     passed, r0 returned, a fresh stack of that subprogram's stack depth).
 *   - BPF_LDX with mode BPF_PROBE_MEM (0x20, free in LDX) and sizes B/H/W/DW is a load through a
 *     typed kernel pointer that may fault: a load that would fault yields 0 in dst instead.
 *     BPF_PROBE_MEMSX (0xa0) is the sign-extending form. Only the verifier emits them.
 *   Everything else is RFC 9669 as written, including division by zero (the quotient is 0, the
 *   remainder the dividend; 32-bit forms zero the upper half) and signed overflow (LLONG_MIN / -1
 *   is LLONG_MIN, LLONG_MIN % -1 is 0).
 *
 * Stack: each frame gets its own stack_depth[subprog] bytes (a multiple of 8, at most
 * BPF_STACK_FRAME_MAX) below r10, 8-byte aligned; at most BPF_MAX_CALL_DEPTH frames. A callback run
 * by a helper (bpf_exec_call_func) starts a new chain of frames on the native stack.
 *
 * The executors trust the program: safety is the verifier's (kernel/bpf/verifier.h). The host
 * plugin runs unverified programs (the conformance suite's) in a test process.
 */
#ifndef KERNEL_BPF_EXEC_H
#define KERNEL_BPF_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "uapi/linux/bpf.h"

#define BPF_STACK_FRAME_MAX 512
#define BPF_MAX_CALL_DEPTH 8
#define BPF_PROBE_MEM 0x20
#define BPF_PROBE_MEMSX 0xa0

/* A helper or kfunc as the executors call it. */
typedef uint64_t (*bpf_func_t)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5);

/*
 * A JIT-compiled program's entry as a caller with nothing but the context calls it: a program reads
 * r1 alone at entry (the verifier refuses a read of r2-r5 before a write, "R2 !read_ok"), and the
 * JIT maps r1-r5 onto the argument registers without copying them, so the others need no values.
 * Not for subprograms or callbacks, whose arguments are real.
 */
typedef uint64_t (*bpf_ctx_func_t)(uint64_t ctx);
static inline bpf_ctx_func_t bpf_ctx_entry(bpf_func_t entry)
{
	return (bpf_ctx_func_t)(void (*)(void))entry;
}

struct bpf_exec_prog {
	const struct bpf_insn *insns; /* xlated, len instructions */
	uint32_t len;
	uint32_t nsubprogs;            /* >= 1; subprogram 0 starts at insn 0 */
	const uint32_t *subprog_start; /* nsubprogs first-insn indexes, ascending */
	const uint16_t *stack_depth;   /* nsubprogs stack sizes in bytes */
	const bpf_func_t *calls;       /* indexed by a call's imm; NULL entries are never called */
	uint32_t ncalls;
};

/*
 * An array whose lookups the JIT may inline (Linux's map_gen_lookup; bpf_jit_compile_arrays):
 * the loader promises that calls[BPF_FUNC_map_lookup_elem] is bpf_map_lookup_elem's helper and
 * that a call of it with r1 set by an LD_IMM64 of `map` returns exactly
 * "*(u32 *)r2 < max_entries ? base + *(u32 *)r2 * stride : 0".
 */
struct bpf_exec_array {
	uint64_t map;                 /* the LD_IMM64 constant that names the map */
	uint64_t base;                /* the value of key 0 */
	uint32_t stride, max_entries; /* bytes from one key's value to the next's; the key bound */
};

/*
 * The shape both executors require before they look at instructions (kernel/bpf/exec.c): at least
 * one instruction and one subprogram, subprogram 0 at insn 0, starts strictly ascending and inside
 * the program, every stack depth at most BPF_STACK_FRAME_MAX, and a last instruction that cannot
 * fall off the end (EXIT or an unconditional jump). A verified program always has it.
 */
bool bpf_exec_shape_ok(const struct bpf_exec_prog *p);

/*
 * The interpreter. bpf_interp_prepare decodes p once into a form that runs fast (the image keeps
 * no pointer into p->insns, but does keep p->calls); returns NULL when out of memory. The image is
 * freed with bpf_interp_free. bpf_interp_run runs subprogram `subprog` with r1..r5 = args[0..4]
 * and returns r0. Reentrant: helpers called from a run may start other runs. Besides out of memory,
 * prepare returns NULL for a program the interpreter could not run without leaving its own data
 * (kernel/bpf/interp.c lists the checks; a verified program passes them all) and for one longer
 * than BPF_INTERP_MAX_INSNS instructions.
 */
#define BPF_INTERP_MAX_INSNS 131072u
struct bpf_interp_image;
struct bpf_interp_image *bpf_interp_prepare(const struct bpf_exec_prog *p);
uint64_t bpf_interp_run(const struct bpf_interp_image *img, uint32_t subprog,
			const uint64_t args[5]);
void bpf_interp_free(struct bpf_interp_image *img);

/*
 * The JIT. bpf_jit_compile translates p to native code; returns NULL when out of memory or when p
 * uses something the JIT cannot translate (the caller then runs the interpreter). The code is
 * written, then made read+execute (never writable and executable at once), in the JIT's own
 * address range. bpf_jit_entry gives subprogram `subprog` as a native function taking r1..r5 as
 * its five arguments (System V) and returning r0. bpf_jit_size is the code's length in bytes
 * (bpf_prog_info.jited_prog_len); the code starts at subprogram 0's entry and the subprograms
 * follow in order, so subprogram s is the bytes from its entry to the next one's (the last: to
 * the end). bpf_jit_free releases the code.
 */
struct bpf_jit_image;
struct bpf_jit_image *bpf_jit_compile(const struct bpf_exec_prog *p);
/* The same, inlining the lookups in the narrays arrays (read while it compiles only). */
struct bpf_jit_image *bpf_jit_compile_arrays(const struct bpf_exec_prog *p,
					     const struct bpf_exec_array *arrays, uint32_t narrays);
bpf_func_t bpf_jit_entry(const struct bpf_jit_image *img, uint32_t subprog);
size_t bpf_jit_size(const struct bpf_jit_image *img);
void bpf_jit_free(struct bpf_jit_image *img);

/*
 * A BPF function as a value: what an LD_IMM64 BPF_PSEUDO_FUNC becomes (the loader builds one per
 * subprogram so named and keeps it as long as the program), and what a helper taking a callback
 * (bpf_for_each_map_elem, bpf_loop) receives. It names subprogram `subprog` of a program and how
 * to run it: the JIT's entry when the program was compiled, else the interpreter's image.
 */
struct bpf_exec_func {
	bpf_func_t native;                     /* the JIT's entry of subprog, or NULL */
	const struct bpf_interp_image *interp; /* when native is NULL: the program's image */
	uint32_t subprog;
};

/* Run f with r1..r5 = a1..a5 and return its r0: a new chain of frames on the native stack. */
static inline uint64_t bpf_exec_call_func(const struct bpf_exec_func *f, uint64_t a1, uint64_t a2,
					  uint64_t a3, uint64_t a4, uint64_t a5)
{
	if (f->native)
		return f->native(a1, a2, a3, a4, a5);
	const uint64_t args[5] = {a1, a2, a3, a4, a5};
	return bpf_interp_run(f->interp, f->subprog, args);
}

#endif
