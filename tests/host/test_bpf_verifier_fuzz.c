/*
 * The verifier against random programs (kernel/bpf/verifier.h): it must never crash, leak or
 * hang, whatever it is given; and what it accepts must run within bounds. Each accepted program
 * runs in the interpreter with its context, map keys and map values in heap blocks of exactly
 * their size, so that AddressSanitizer reports any access the verifier should have refused; an
 * accepted program that does not stop trips the alarm.
 *
 * Programs come from templates that are mostly valid (so that many are accepted) with random
 * registers, offsets, sizes and operations (so that many come close to a rule or break one).
 * The seed is printed; BPF_VERIFIER_FUZZ_SEED replays a run, and BPF_VERIFIER_FUZZ_VERBOSE=1 logs
 * every verification and prints the end of each log.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/bpf/disasm.h"
#include "kernel/bpf/exec.h"
#include "kernel/bpf/verifier.h"
#include "kernel/ktest.h"
#include "tests/host/bpf_asm.h"
#include "tests/host/testutil.h"
#include "uapi/errno.h"

TEST_LEAK_CHECK_EVERY_TEST()

#define PROGRAMS 10000
#define MAX_INSNS 96

/* A map as the fake helpers see it: values in exactly-sized heap blocks. */
struct fake_map {
	uint32_t key_size, value_size;
	uint8_t *values[4];
};

static struct fake_map maps[2] = {{8, 16, {0}}, {4, 64, {0}}};

static int fuzz_map_get(void *priv, uint32_t pseudo, int32_t imm, struct bpf_verifier_map *out)
{
	(void)priv;
	if (pseudo != BPF_PSEUDO_MAP_FD || imm < 10 || imm > 11)
		return -EBADF;
	struct fake_map *m = &maps[imm - 10];
	*out = (struct bpf_verifier_map){.map = m,
					 .map_type = BPF_MAP_TYPE_HASH,
					 .key_size = m->key_size,
					 .value_size = m->value_size,
					 .max_entries = 4};
	return 0;
}

static const struct bpf_verifier_ops fuzz_ops = {.map_get = fuzz_map_get};

/* bpf_map_lookup_elem: reads the whole key, returns one of the values or NULL. */
static uint64_t fake_lookup(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3;
	(void)r4;
	(void)r5;
	const struct fake_map *m = (const struct fake_map *)(uintptr_t)r1;
	const uint8_t *key = (const uint8_t *)(uintptr_t)r2;
	unsigned h = 0;
	for (uint32_t i = 0; i < m->key_size; i++)
		h = h * 31 + key[i];
	return h % 5 == 4 ? 0 : (uint64_t)(uintptr_t)m->values[h % 4];
}

static uint64_t fake_ktime(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	static uint64_t now;
	(void)r1;
	(void)r2;
	(void)r3;
	(void)r4;
	(void)r5;
	return now += 977;
}

static bpf_func_t helper_fns[__BPF_FUNC_MAX_ID] = {
	[BPF_FUNC_map_lookup_elem] = fake_lookup,
	[BPF_FUNC_ktime_get_ns] = fake_ktime,
};

/* ---- the generator ---- */

struct gen {
	struct test_rng rng;
	struct bpf_insn p[MAX_INSNS + 8];
	uint32_t n;
};

static uint32_t pick(struct gen *g, uint32_t n)
{
	return (uint32_t)test_rng_below(&g->rng, n);
}

static const uint8_t sizes[4] = {BPF_B, BPF_H, BPF_W, BPF_DW};
static const uint8_t alu_ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR,   BPF_AND,
				  BPF_LSH, BPF_RSH, BPF_MOD, BPF_XOR, BPF_ARSH, BPF_MOV};
static const uint8_t jmp_ops[] = {BPF_JEQ,  BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
				  BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE};

/* A register for data: r0..r9, rarely r10. */
static uint8_t reg(struct gen *g)
{
	return (uint8_t)(pick(g, 40) ? pick(g, 10) : 10);
}

static void emit(struct gen *g, struct bpf_insn in)
{
	if (g->n < MAX_INSNS)
		g->p[g->n++] = in;
}

/* One random piece: most are valid, with parameters near the limits. */
static void piece(struct gen *g)
{
	uint8_t d = reg(g), s = reg(g), sz = sizes[pick(g, 4)];
	int32_t imm = pick(g, 4) ? (int32_t)pick(g, 64) - 8 : (int32_t)test_rng_next(&g->rng);
	switch (pick(g, 12)) {
	case 0: /* ALU with a register */
		emit(g, ASM_INSN((pick(g, 2) ? BPF_ALU64 : BPF_ALU) | BPF_X | alu_ops[pick(g, 12)],
				 d, s, 0, 0));
		break;
	case 1: /* ALU with a constant */
		if (pick(g, 2))
			emit(g,
			     ASM_ALU64_IMM(alu_ops[pick(g, 12)], d, pick(g, 2) ? imm : (imm & 63)));
		else
			emit(g, ASM_ALU32_IMM(alu_ops[pick(g, 12)], d, imm & 31));
		break;
	case 2: /* a context load (r6 holds the context), mostly aligned */
		emit(g, ASM_LDX(sz, d, 6,
				(int16_t)(pick(g, 8) ? (int)(pick(g, 16) << (sz >> 3 == 3 ? 3 : 0))
						     : (int)pick(g, 80) - 4)));
		break;
	case 3: { /* a stack store, then a load that may or may not overlap it */
		int16_t off = (int16_t)(-(int)pick(g, 80) - 1 + (pick(g, 16) == 0 ? 16 : 0));
		emit(g, pick(g, 2) ? ASM_ST(sz, 10, off, imm) : ASM_STX(sz, 10, s, off));
		emit(g, ASM_LDX(sizes[pick(g, 4)], d, 10,
				(int16_t)(off + (pick(g, 2) ? 0 : (int)pick(g, 9) - 4))));
		break;
	}
	case 4: /* a spill and fill of any register */
		emit(g, ASM_STX(BPF_DW, 10, s, (int16_t)(-8 * (int)(1 + pick(g, 8)))));
		emit(g, ASM_LDX(BPF_DW, d, 10, (int16_t)(-8 * (int)(1 + pick(g, 8)))));
		break;
	case 5:
		emit(g, ASM_LDX(sz, d, 10, (int16_t)(-(int)pick(g, 72))));
		break;
	case 6: { /* a forward conditional jump over a few pieces */
		uint8_t op = jmp_ops[pick(g, 11)];
		int16_t off = (int16_t)pick(g, 4);
		if (pick(g, 2))
			emit(g, ASM_INSN((pick(g, 3) ? BPF_JMP : BPF_JMP32) | BPF_K | op, d, 0, off,
					 imm));
		else
			emit(g, ASM_INSN((pick(g, 3) ? BPF_JMP : BPF_JMP32) | BPF_X | op, d, s, off,
					 0));
		break;
	}
	case 7: /* a map value through r7 (a lookup's result), checked or not */
		if (pick(g, 4))
			emit(g, ASM_JMP_IMM(BPF_JEQ, 7, 0, 1));
		emit(g, pick(g, 2) ? ASM_LDX(sz, d, 7, (int16_t)(pick(g, 24) - 2))
				   : ASM_ST(sz, 7, (int16_t)(pick(g, 24) - 2), imm));
		break;
	case 8: /* a variable index into the map value: masked or bounds-checked */
		emit(g, ASM_JMP_IMM(BPF_JEQ, 7, 0, 4));
		emit(g, ASM_MOV64_REG(8, s));
		emit(g, pick(g, 2) ? ASM_ALU64_IMM(BPF_AND, 8, (int32_t)pick(g, 80))
				   : ASM_JMP_IMM(BPF_JGT, 8, (int32_t)pick(g, 80), 2));
		emit(g, ASM_ALU64_REG(BPF_ADD, 8, 7));
		emit(g, ASM_LDX(sz, d, 8, 0));
		break;
	case 9: /* a small bounded loop */
		emit(g, ASM_MOV64_IMM(9, 0));
		emit(g, ASM_ALU64_IMM(BPF_ADD, 9, 1));
		emit(g, ASM_ALU64_REG(BPF_ADD, d, 9));
		emit(g, ASM_JMP_IMM(BPF_JLT, 9, (int32_t)pick(g, 20), -3));
		break;
	case 10: /* a helper */
		emit(g, ASM_CALL_HELPER(BPF_FUNC_ktime_get_ns));
		break;
	default: /* stack pointer arithmetic and an access through it */
		emit(g, ASM_MOV64_REG(s, 10));
		emit(g, ASM_ALU64_IMM(BPF_ADD, s, -(int32_t)pick(g, 80)));
		emit(g, pick(g, 2) ? ASM_LDX(sz, d, s, 0) : ASM_STX(sz, s, d, 0));
		break;
	}
}

/* A program: every register set, a map lookup into r7, random pieces, exit. */
static uint32_t generate(struct gen *g)
{
	g->n = 0;
	emit(g, ASM_MOV64_REG(6, 1));
	for (uint8_t r = 0; r <= 9; r++)
		if (r != 6 && r != 1)
			emit(g, pick(g, 3) ? ASM_MOV64_IMM(r, (int32_t)pick(g, 32))
					   : ASM_LDX(BPF_W, r, 6, 0));
	/* fp-64..fp-1 written (fp-8 is the key); deeper slots are left for the pieces */
	for (int16_t off = -64; off < 0; off += 8)
		emit(g, ASM_ST(BPF_DW, 10, off, (int32_t)pick(g, 8)));
	emit(g, ASM_MOV64_REG(2, 10));
	emit(g, ASM_ALU64_IMM(BPF_ADD, 2, -8));
	const struct bpf_insn ld[] = {ASM_LD_MAP_FD(1, 10 + (int32_t)pick(g, 2))};
	emit(g, ld[0]);
	emit(g, ld[1]);
	emit(g, ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem));
	emit(g, ASM_MOV64_REG(7, 0));
	for (uint8_t r = 1; r <= 5; r++)
		emit(g, ASM_MOV64_IMM(r, (int32_t)pick(g, 16)));
	uint32_t pieces = 1 + pick(g, 20);
	for (uint32_t i = 0; i < pieces && g->n < MAX_INSNS - 8; i++)
		piece(g);
	emit(g, ASM_MOV64_REG(0, reg(g)));
	g->p[g->n++] = ASM_EXIT();
	/* forward jumps past the end land on the exit */
	for (uint32_t i = 0; i < g->n; i++) {
		struct bpf_insn *in = &g->p[i];
		uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		if ((cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT &&
		    i + 1 + in->off > g->n - 1)
			in->off = (int16_t)(g->n - 2 - i);
	}
	return g->n;
}

static void dump(const struct bpf_exec_prog *p)
{
	char text[128];
	for (uint32_t i = 0; i < p->len; i++) {
		bpf_disasm(text, sizeof(text), &p->insns[i], NULL);
		printf("    #   %u: %s\n", i, text);
		if (p->insns[i].code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
	}
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "an accepted program did not stop\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(2);
}

KTEST(bpf_verifier_fuzz, random_programs)
{
	static char log[4096];
	struct gen *g = calloc(1, sizeof(*g));
	ASSERT_NONNULL(g);
	test_rng_init(&g->rng, test_rng_seed("BPF_VERIFIER_FUZZ_SEED", 0x5eed));
	for (int m = 0; m < 2; m++)
		for (int v = 0; v < 4; v++)
			maps[m].values[v] = calloc(1, maps[m].value_size);
	signal(SIGALRM, on_alarm);
	uint32_t accepted = 0, counts[8] = {0};
	for (int i = 0; i < PROGRAMS; i++) {
		uint32_t n = generate(g);
		struct bpf_verifier_output out;
		struct bpf_verifier_input in = {
			.prog_type = BPF_PROG_TYPE_SYSCALL,
			.insns = g->p,
			.insn_cnt = n,
			.ops = &fuzz_ops,
			.helper_fns = helper_fns,
			.nhelper_fns = __BPF_FUNC_MAX_ID,
		};
		if (i % 8 == 0 || getenv("BPF_VERIFIER_FUZZ_VERBOSE")) {
			in.log_buf = log;
			in.log_size = 128 + (uint32_t)(i % 3000);
			in.log_level = BPF_LOG_LEVEL1;
		}
		int err = bpf_verify(&in, &out);
		if (getenv("BPF_VERIFIER_FUZZ_VERBOSE") && in.log_level) {
			const char *last = log + strlen(log);
			while (last > log && last[-1] == '\n')
				last--;
			int lines = 0;
			while (last > log && lines < 3)
				if (*--last == '\n')
					lines++;
			printf("    # program %d: %d: %.200s\n", i, err, last);
		}
		if (in.log_level && strnlen(log, in.log_size) == in.log_size)
			KT_FAIL("program %d: the log is not NUL-terminated", i);
		switch (err) {
		case 0:
			counts[0]++;
			break;
		case -EINVAL:
			counts[1]++;
			break;
		case -EACCES:
			counts[2]++;
			break;
		case -E2BIG:
			counts[3]++;
			break;
		case -ENOSPC:
			counts[4]++;
			break;
		default:
			KT_FAIL("program %d: unexpected error %d", i, err);
			break;
		}
		if (err)
			continue;
		accepted++;
		/* Run it: the context is exactly as large as the furthest byte the verifier saw. */
		uint8_t *ctx = malloc(out.max_ctx_offset ? out.max_ctx_offset : 1);
		for (uint32_t b = 0; b < out.max_ctx_offset; b++)
			ctx[b] = (uint8_t)test_rng_next(&g->rng);
		struct bpf_interp_image *img = bpf_interp_prepare(&out.exec);
		if (img) {
			const uint64_t args[5] = {(uint64_t)(uintptr_t)ctx, 0, 0, 0, 0};
			alarm(10);
			bpf_interp_run(img, 0, args);
			alarm(0);
			bpf_interp_free(img);
		} else {
			KT_FAIL("program %d: the interpreter could not take it:", i);
			dump(&out.exec);
		}
		free(ctx);
		bpf_verifier_output_free(&out);
	}
	printf("    # %d programs: %u accepted, %u EINVAL, %u EACCES, %u E2BIG, %u ENOSPC\n",
	       PROGRAMS, counts[0], counts[1], counts[2], counts[3], counts[4]);
	/* The generator is only useful if it reaches both sides of the rules. */
	EXPECT_GT(accepted, PROGRAMS / 20);
	EXPECT_GT(counts[2], PROGRAMS / 10);
	for (int m = 0; m < 2; m++)
		for (int v = 0; v < 4; v++)
			free(maps[m].values[v]);
	free(g);
}
