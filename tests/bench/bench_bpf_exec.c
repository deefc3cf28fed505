/*
 * eBPF execution speed on the host: one compute loop (per iteration an 8-byte load and store
 * through r1, two adds, a xor, a shift, a counter decrement and a back-edge: 8 instructions) run
 * by the interpreter and, when arch/x86_64/bpf_jit.c is built in, by the JIT, against the same
 * loop in C compiled by gcc -O2 through a volatile pointer (so it loads and stores every
 * iteration too). ns per iteration, each figure the best of several runs of at least 0.2 s.
 *
 * Issue 9's reference figures on this machine: uBPF (gcc -O2) interprets the loop at 31 ns per
 * iteration; the interpreter's target is at most a third of that.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kernel/bpf/exec.h"
#include "tests/host/bpf_asm.h"
#include "tests/host/testutil.h"

/* The JIT is linked in only once its file exists; until then these are null (weak references). */
#pragma weak bpf_jit_compile
#pragma weak bpf_jit_entry
#pragma weak bpf_jit_free

#define ITERATIONS 1000000
#define MIN_SECONDS 0.2
#define ROUNDS 3
#define UBPF_INTERP_NS 31.0

/* r1 = the cell, r2 = the iteration count (at least 1); returns the accumulator. */
static const struct bpf_insn loop_prog[] = {
	ASM_MOV64_IMM(0, 0),
	ASM_MOV64_REG(3, 2),
	ASM_LDX(BPF_DW, 4, 1, 0), /* loop: */
	ASM_ALU64_REG(BPF_ADD, 4, 3),
	ASM_ALU64_REG(BPF_ADD, 0, 4),
	ASM_ALU64_REG(BPF_XOR, 0, 3),
	ASM_ALU64_IMM(BPF_LSH, 4, 1),
	ASM_STX(BPF_DW, 1, 4, 0),
	ASM_ALU64_IMM(BPF_ADD, 3, -1),
	ASM_JMP_IMM(BPF_JNE, 3, 0, -8), /* back to loop */
	ASM_EXIT(),
};

/* The same loop in C. */
static __attribute__((noinline)) uint64_t c_loop(volatile uint64_t *cell, uint64_t n)
{
	uint64_t r0 = 0;
	for (uint64_t i = n; i != 0; i--) {
		uint64_t v = *cell + i;
		r0 += v;
		r0 ^= i;
		*cell = v << 1;
	}
	return r0;
}

struct runner {
	uint64_t (*run)(void *ctx, uint64_t *cell, uint64_t n);
	void *ctx;
};

static uint64_t run_c(void *ctx, uint64_t *cell, uint64_t n)
{
	(void)ctx;
	return c_loop(cell, n);
}

static uint64_t run_interp(void *ctx, uint64_t *cell, uint64_t n)
{
	uint64_t args[5] = {(uint64_t)(uintptr_t)cell, n};
	return bpf_interp_run(ctx, 0, args);
}

static uint64_t run_jit(void *ctx, uint64_t *cell, uint64_t n)
{
	bpf_func_t fn = (bpf_func_t)ctx;
	return fn((uint64_t)(uintptr_t)cell, n, 0, 0, 0);
}

/* Best ns per iteration over ROUNDS measurements; *result gets one run's r0 from a fresh cell. */
static double measure(const struct runner *r, uint64_t *result)
{
	uint64_t cell = 1;
	*result = r->run(r->ctx, &cell, ITERATIONS);
	double best = 1e30;
	for (int round = 0; round < ROUNDS; round++) {
		long runs = 0;
		double t0 = test_now(), t;
		do {
			r->run(r->ctx, &cell, ITERATIONS);
			runs++;
			t = test_now() - t0;
		} while (t < MIN_SECONDS);
		double ns = t * 1e9 / ((double)runs * ITERATIONS);
		if (ns < best)
			best = ns;
	}
	return best;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_bpf_exec: %s\n", what);
	exit(1);
}

int main(void)
{
	static const uint32_t start[1] = {0};
	static const uint16_t depth[1] = {0};
	const struct bpf_exec_prog prog = {
		.insns = loop_prog,
		.len = sizeof(loop_prog) / sizeof(loop_prog[0]),
		.nsubprogs = 1,
		.subprog_start = start,
		.stack_depth = depth,
	};

	struct bpf_interp_image *img = bpf_interp_prepare(&prog);
	if (!img)
		die("bpf_interp_prepare failed");
	uint64_t want, got;
	double c_ns = measure(&(struct runner){run_c, NULL}, &want);
	printf("compute loop, %d iterations of 8 BPF instructions, ns per iteration:\n",
	       ITERATIONS);
	printf("  gcc -O2 C (volatile cell)   %6.2f ns\n", c_ns);

	double interp_ns = measure(&(struct runner){run_interp, img}, &got);
	if (got != want)
		die("the interpreter's result differs from the C loop's");
	printf("  interpreter                 %6.2f ns  (%.1fx C; uBPF's interpreter %.0f ns is %.1fx this)\n",
	       interp_ns, interp_ns / c_ns, UBPF_INTERP_NS, UBPF_INTERP_NS / interp_ns);
	bpf_interp_free(img);

	if (!bpf_jit_compile) {
		printf("  JIT                         not built (no arch/x86_64/bpf_jit.c)\n");
		return 0;
	}
	struct bpf_jit_image *jit = bpf_jit_compile(&prog);
	if (!jit)
		die("bpf_jit_compile failed");
	double jit_ns = measure(&(struct runner){run_jit, (void *)bpf_jit_entry(jit, 0)}, &got);
	if (got != want)
		die("the JIT's result differs from the C loop's");
	printf("  JIT                         %6.2f ns  (%.2fx C)\n", jit_ns, jit_ns / c_ns);
	bpf_jit_free(jit);
	return 0;
}
