/*
 * The bpf_conformance plugin (github.com/Alan-Jowett/bpf_conformance): runs one eBPF program on
 * Kestrel's interpreter, or with --jit on its JIT, both compiled for the host.
 *
 *   bpf_plugin [MEMORY] [--jit] < PROGRAM
 *
 * PROGRAM (stdin) is the instructions as hex bytes separated by white space ("b7 00 00 00 2a 00
 * 00 00 95 ..."; a token of more than two digits is read as consecutive bytes). MEMORY, an argument
 * in the same form, is copied into a buffer that r1 points at, with r2 = its length (without
 * MEMORY: r1 = 0, r2 = 0). The suite's runner passes MEMORY first and its --plugin_options after
 * it, but any order works. On success r0 is printed in hex on stdout and the exit status is 0; on
 * any error a message goes to stderr and the exit status is 1 (2 for a bad command line).
 *
 * As for the suite's other plugins, there is no verifier and no instruction budget: the programs
 * are trusted tests. The plugin only refuses input it cannot turn into a program (malformed hex,
 * a length that is not whole instructions) and programs the executors cannot run (an unknown
 * opcode or helper, a jump or call off the program; bpf_interp_prepare checks those).
 * Subprograms start at 0 and at every bpf-to-bpf call's target; each gets a 512-byte stack.
 * Helper 5 is Linux's bpf_ktime_get_ns (the suite's call_unwind_fail calls it); there are no others.
 * The JIT's functions are weak references, so the plugin links before arch/x86_64/bpf_jit.c exists
 * (the Makefile builds that file into the plugin when it is there); without it --jit is an error.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/bpf/exec.h"

/* The JIT is linked in only once its file exists; until then these are null (weak references). */
#pragma weak bpf_jit_compile
#pragma weak bpf_jit_entry
#pragma weak bpf_jit_free

#define HELPER_KTIME_GET_NS 5

struct bytes {
	uint8_t *data;
	size_t len, cap;
};

static __attribute__((noreturn, format(printf, 2, 3))) void fail(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "bpf_plugin: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(status);
}

static void push(struct bytes *b, uint8_t v)
{
	if (b->len == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 4096;
		if (!(b->data = realloc(b->data, b->cap)))
			fail(1, "out of memory");
	}
	b->data[b->len++] = v;
}

static int hex_digit(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Append the bytes the hex text s spells to out; what names the input in the error message. */
static void parse_hex(const char *s, struct bytes *out, const char *what)
{
	while (*s) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		size_t n = 0;
		while (s[n] && !isspace((unsigned char)s[n])) {
			if (!isxdigit((unsigned char)s[n]))
				fail(1, "%s is not hex bytes separated by white space", what);
			n++;
		}
		if (n == 1) {
			push(out, (uint8_t)hex_digit(s[0]));
		} else {
			if (n % 2)
				fail(1, "%s has a hex token of an odd number of digits", what);
			for (size_t i = 0; i < n; i += 2)
				push(out, (uint8_t)(hex_digit(s[i]) << 4 | hex_digit(s[i + 1])));
		}
		s += n;
	}
}

/* All of stdin, NUL-terminated. */
static char *read_stdin(void)
{
	struct bytes b = {0};
	int c;
	while ((c = getchar()) != EOF) {
		if (c == 0)
			fail(1, "the program text contains a NUL byte");
		push(&b, (uint8_t)c);
	}
	push(&b, 0);
	return (char *)b.data;
}

static uint64_t ktime_get_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Subprogram starts as a loader would find them: 0 and every in-range bpf-to-bpf call target,
 * ascending and distinct. starts has room for len + 1 entries; returns how many there are. A target
 * out of range is left to bpf_interp_prepare to refuse (it cannot be a subprogram start).
 */
static uint32_t find_subprogs(const struct bpf_insn *insns, uint32_t len, uint32_t *starts)
{
	uint32_t n = 0;
	starts[n++] = 0;
	for (uint32_t pc = 0; pc < len; pc++) {
		int64_t t = (int64_t)pc + 1 + insns[pc].imm;
		if (insns[pc].code == (BPF_JMP | BPF_CALL) &&
		    insns[pc].src_reg == BPF_PSEUDO_CALL && t > 0 && t < (int64_t)len)
			starts[n++] = (uint32_t)t;
	}
	qsort(starts, n, sizeof(*starts), cmp_u32);
	uint32_t distinct = 1;
	for (uint32_t i = 1; i < n; i++)
		if (starts[i] != starts[distinct - 1])
			starts[distinct++] = starts[i];
	return distinct;
}

int main(int argc, char **argv)
{
	const char *memory_hex = NULL;
	int use_jit = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--jit") == 0)
			use_jit = 1;
		else if (strncmp(argv[i], "--", 2) == 0)
			fail(2,
			     "unknown option %s; usage: bpf_plugin [MEMORY-HEX] [--jit] < PROGRAM-HEX",
			     argv[i]);
		else if (memory_hex)
			fail(2, "more than one memory argument");
		else
			memory_hex = argv[i];
	}

	struct bytes code = {0}, memory = {0};
	char *text = read_stdin();
	parse_hex(text, &code, "the program");
	free(text);
	if (memory_hex)
		parse_hex(memory_hex, &memory, "the memory argument");
	if (code.len == 0 || code.len % sizeof(struct bpf_insn))
		fail(1, "the program is not a whole number of 8-byte instructions");
	if (code.len / sizeof(struct bpf_insn) > UINT32_MAX)
		fail(1, "the program is too long");

	uint32_t len = (uint32_t)(code.len / sizeof(struct bpf_insn));
	struct bpf_insn *insns = malloc(code.len);
	uint32_t *starts = malloc(((size_t)len + 1) * sizeof(uint32_t));
	uint16_t *depths = malloc(((size_t)len + 1) * sizeof(uint16_t));
	if (!insns || !starts || !depths)
		fail(1, "out of memory");
	memcpy(insns, code.data, code.len);
	uint32_t nsubprogs = find_subprogs(insns, len, starts);
	for (uint32_t s = 0; s < nsubprogs; s++)
		depths[s] = BPF_STACK_FRAME_MAX;
	static const bpf_func_t helpers[] = {[HELPER_KTIME_GET_NS] = ktime_get_ns};
	const struct bpf_exec_prog prog = {
		.insns = insns,
		.len = len,
		.nsubprogs = nsubprogs,
		.subprog_start = starts,
		.stack_depth = depths,
		.calls = helpers,
		.ncalls = sizeof(helpers) / sizeof(helpers[0]),
	};
	uint64_t args[5] = {(uint64_t)(uintptr_t)memory.data, memory.len};
	uint64_t r0;

	if (use_jit) {
		if (!bpf_jit_compile)
			fail(1, "this plugin was built without the JIT (arch/x86_64/bpf_jit.c)");
		struct bpf_jit_image *jit = bpf_jit_compile(&prog);
		if (!jit)
			fail(1, "the JIT cannot translate this program");
		r0 = bpf_jit_entry(jit, 0)(args[0], args[1], args[2], args[3], args[4]);
		bpf_jit_free(jit);
	} else {
		struct bpf_interp_image *img = bpf_interp_prepare(&prog);
		if (!img)
			fail(1,
			     "the interpreter cannot run this program (an unknown opcode or helper, a jump "
			     "or call outside the program, calls nested too deep, no exit at the end, or too long)");
		r0 = bpf_interp_run(img, 0, args);
		bpf_interp_free(img);
	}
	printf("%" PRIx64 "\n", r0);
	free(insns);
	free(starts);
	free(depths);
	free(code.data);
	free(memory.data);
	return 0;
}
