/*
 * A hostile corpus for BPF_PROG_LOAD: programs that break each of the verifier's rules (out-of-bounds
 * stack, context and map-value accesses, pointer arithmetic on the context, null dereferences,
 * uninitialised reads, jumps into LD_IMM64, writes to r10, unknown helpers, wrong argument kinds,
 * infinite loops, recursion and deep calls, huge programs...), each of which must be refused with
 * its errno and a log naming the reason in Linux's words (a keyword checked); programs that are
 * legal but hostile at run time (division by zero, overflow, reads of bad addresses through
 * trace_printk, the longest bpf_loop), which must run and give the RFC's or helper's result; and
 * hostile attributes (bad insns, log and license pointers, logs that cannot be written). After
 * all of it the kernel must be up, the task alive, no program left loaded (and the runner checks
 * every frame came back).
 *
 * Programs that need maps name them by placeholder fds (MAP_*), replaced by real fds at load time.
 */
#include <sys/mman.h>

#include "bpf_sys_util.h"

#define PAGE 4096ul

/* Placeholder map fds in LD_IMM64 BPF_PSEUDO_MAP_FD: replaced by the fds of these maps. */
enum {
	MAP_HASH = -101,   /* HASH, 4-byte keys, 8-byte values */
	MAP_ARRAY = -102,  /* ARRAY of 4, 8-byte values */
	MAP_RDONLY = -103, /* ARRAY of 1, BPF_F_RDONLY_PROG */
	MAP_KEY8 = -104,   /* HASH, 8-byte keys */
};
#define NMAPS 4

struct hostile {
	const char *name;
	uint32_t type;
	int err;          /* the load's result: a negated errno, or 0 for programs that must run */
	const char *word; /* in the log when refused; for a program that runs, NULL */
	uint64_t r0;      /* for a program that runs: its retval (r0's low half) */
	const struct bpf_insn *insns;
	uint32_t n;
};

#define INSNS(...)                              \
	(const struct bpf_insn[]){__VA_ARGS__}, \
		sizeof((const struct bpf_insn[]){__VA_ARGS__}) / sizeof(struct bpf_insn)
#define REFUSED(name, type, err, word, ...)                  \
	{                                                    \
		name, type, err, word, 0, INSNS(__VA_ARGS__) \
	}
#define RUNS(name, r0, ...)                                                  \
	{                                                                    \
		name, BPF_PROG_TYPE_SYSCALL, 0, NULL, r0, INSNS(__VA_ARGS__) \
	}
#define SYS BPF_PROG_TYPE_SYSCALL
#define TC BPF_PROG_TYPE_SCHED_CLS

/* r0 = lookup(map, key 0 at fp-4): the start of many map programs. */
#define LOOKUP0(map)                                                           \
	ASM_ST(BPF_W, 10, -4, 0), ASM_LD_MAP_FD(1, map), ASM_MOV64_REG(2, 10), \
		ASM_ALU64_IMM(BPF_ADD, 2, -4), ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem)
#define RET0 ASM_MOV64_IMM(0, 0), ASM_EXIT()

static char log[1 << 16];
static int map_fds[NMAPS];

static void make_maps(void)
{
	map_fds[0] = map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, 0);
	map_fds[1] = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	map_fds[2] = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_RDONLY_PROG);
	map_fds[3] = map_create(BPF_MAP_TYPE_HASH, 8, 8, 4, 0);
	for (int i = 0; i < NMAPS; i++)
		CHECK(map_fds[i] >= 0);
}

/* Load corpus entry h (placeholders replaced): the result, the log in `log`. */
static int load_entry(const struct hostile *h)
{
	static struct bpf_insn insns[128];

	memcpy(insns, h->insns, h->n * sizeof(insns[0]));
	for (uint32_t i = 0; i < h->n; i++)
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
		    insns[i].src_reg == BPF_PSEUDO_MAP_FD && insns[i].imm <= MAP_HASH &&
		    insns[i].imm > MAP_HASH - NMAPS)
			insns[i].imm = map_fds[MAP_HASH - insns[i].imm];
	return prog_load_log(h->type, insns, h->n, log, sizeof(log));
}

/*
 * The corpus. Its instructions are compound literals, which only a function's initializers may
 * take: the table lives here.
 */
static size_t test_corpus(void)
{
	const struct hostile corpus[] = {
		/* ---- structure ---- */
		REFUSED("no exit", SYS, -EINVAL, "last insn is not an exit or jmp",
			ASM_MOV64_IMM(0, 0)),
		REFUSED("jump past the end", SYS, -EINVAL, "jump out of range", ASM_JA(5), RET0),
		REFUSED("jump before the start", SYS, -EINVAL, "jump out of range",
			ASM_MOV64_IMM(0, 0), ASM_JA(-3), ASM_EXIT()),
		REFUSED("jump into the middle of ld_imm64", SYS, -EINVAL,
			"jump into the middle of ldimm64", ASM_LD_IMM64(0, 7),
			ASM_JMP_IMM(BPF_JEQ, 0, 7, 1), ASM_JA(-3), ASM_EXIT()),
		REFUSED("conditional jump into ld_imm64", SYS, -EINVAL,
			"jump into the middle of ldimm64", ASM_MOV64_IMM(0, 0),
			ASM_JMP_IMM(BPF_JEQ, 0, 0, 1), ASM_LD_IMM64(0, 7), ASM_EXIT()),
		REFUSED("ld_imm64 cut at the end", SYS, -EINVAL, "ld_imm64", ASM_MOV64_IMM(0, 0),
			ASM_INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1)),
		REFUSED("ld_imm64 second slot with an opcode", SYS, -EINVAL, "ld_imm64",
			ASM_INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 1),
			ASM_INSN(BPF_ALU64 | BPF_MOV, 0, 0, 0, 0), ASM_EXIT()),
		REFUSED("unknown opcode", SYS, -EINVAL, "unknown opcode",
			ASM_INSN(0xe0, 0, 0, 0, 0), RET0),
		REFUSED("unknown ALU64 operation", SYS, -EINVAL, "invalid BPF_ALU opcode",
			ASM_INSN(0xff, 0, 0, 0, 0), RET0),
		REFUSED("unreachable code", SYS, -EINVAL, "unreachable insn 2", RET0,
			ASM_MOV64_IMM(0, 1), ASM_EXIT()),
		REFUSED("infinite loop", SYS, -EINVAL, "infinite loop detected",
			ASM_MOV64_IMM(0, 0), ASM_JA(-1)),
		REFUSED("register 11", SYS, -EINVAL, "R11 is invalid", ASM_MOV64_IMM(11, 0), RET0),
		REFUSED("reserved fields of an ALU insn", SYS, -EINVAL, "uses reserved fields",
			ASM_INSN(BPF_ALU64 | BPF_K | BPF_ADD, 0, 3, 0, 1), RET0),
		REFUSED("shift by 64", SYS, -EINVAL, "invalid shift 64", ASM_MOV64_IMM(0, 1),
			ASM_ALU64_IMM(BPF_LSH, 0, 64), ASM_EXIT()),
		REFUSED("division by constant zero", SYS, -EINVAL, "div by zero",
			ASM_MOV64_IMM(0, 1), ASM_ALU64_IMM(BPF_DIV, 0, 0), ASM_EXIT()),
		REFUSED("bad atomic operation", SYS, -EINVAL, "invalid atomic opcode",
			ASM_ST(BPF_DW, 10, -8, 0), ASM_MOV64_IMM(1, 1),
			ASM_ATOMIC(BPF_DW, 0x55, 10, 1, -8), RET0),
		REFUSED("LD_ABS in a SYSCALL program", SYS, -EINVAL, "BPF_LD_[ABS|IND]",
			ASM_MOV64_REG(6, 1), ASM_INSN(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 0),
			ASM_EXIT()),

		/* ---- registers ---- */
		REFUSED("write to r10", SYS, -EACCES, "frame pointer is read only",
			ASM_MOV64_IMM(10, 0), RET0),
		REFUSED("r10 += 8", SYS, -EACCES, "frame pointer is read only",
			ASM_ALU64_IMM(BPF_ADD, 10, 8), RET0),
		REFUSED("uninitialised register", SYS, -EACCES, "R5 !read_ok", ASM_MOV64_REG(0, 5),
			ASM_EXIT()),
		REFUSED("exit without r0", SYS, -EACCES, "R0 !read_ok", ASM_MOV64_IMM(1, 0),
			ASM_EXIT()),
		REFUSED("r1 after a call", SYS, -EACCES, "R1 !read_ok",
			ASM_CALL_HELPER(BPF_FUNC_ktime_get_ns), ASM_MOV64_REG(0, 1), ASM_EXIT()),

		/* ---- stack ---- */
		REFUSED("stack below 512", SYS, -EACCES, "stack", ASM_ST(BPF_DW, 10, -520, 0),
			RET0),
		REFUSED("stack above the frame", SYS, -EACCES, "stack", ASM_ST(BPF_DW, 10, 8, 0),
			RET0),
		REFUSED("uninitialised stack read", SYS, -EACCES, "invalid read from stack",
			ASM_LDX(BPF_DW, 0, 10, -8), ASM_EXIT()),
		REFUSED("partly initialised stack read", SYS, -EACCES, "invalid read from stack",
			ASM_ST(BPF_W, 10, -8, 0), ASM_LDX(BPF_DW, 0, 10, -8), ASM_EXIT()),
		REFUSED("stack through a variable offset", SYS, -EACCES, "fp pointer",
			ASM_CALL_HELPER(BPF_FUNC_ktime_get_ns), ASM_MOV64_REG(1, 10),
			ASM_ALU64_REG(BPF_ADD, 1, 0), ASM_ST(BPF_DW, 1, -8, 0), RET0),

		/* ---- context ---- */
		REFUSED("context past __sk_buff", TC, -EACCES, "invalid bpf_context access",
			ASM_LDX(BPF_W, 0, 1, 200), ASM_EXIT()),
		REFUSED("write to skb->len", TC, -EACCES, "invalid bpf_context access",
			ASM_MOV64_IMM(2, 1), ASM_STX(BPF_W, 1, 2, 0), RET0),
		REFUSED("skb->data (not supported)", TC, -EACCES, "invalid bpf_context access",
			ASM_LDX(BPF_W, 0, 1, offsetof(struct __sk_buff, data)), ASM_EXIT()),
		REFUSED("misaligned context load", TC, -EACCES, "invalid bpf_context access",
			ASM_LDX(BPF_W, 0, 1, 2), ASM_EXIT()),
		REFUSED("pointer arithmetic on the context", SYS, -EACCES,
			"dereference of modified ctx ptr", ASM_ALU64_IMM(BPF_ADD, 1, 8),
			ASM_LDX(BPF_DW, 0, 1, 0), ASM_EXIT()),
		REFUSED("negative context offset", SYS, -EACCES, "invalid bpf_context access",
			ASM_LDX(BPF_B, 0, 1, -1), ASM_EXIT()),
		REFUSED("context through a variable offset", TC, -EACCES, "ctx",
			ASM_MOV64_REG(6, 1), ASM_CALL_HELPER(BPF_FUNC_ktime_get_ns),
			ASM_ALU64_IMM(BPF_AND, 0, 4), ASM_ALU64_REG(BPF_ADD, 6, 0),
			ASM_LDX(BPF_W, 0, 6, 0), ASM_EXIT()),
		REFUSED("atomic on the context", SYS, -EACCES, "BPF_ATOMIC stores into R1 ctx",
			ASM_MOV64_IMM(2, 1), ASM_ATOMIC(BPF_DW, BPF_ADD, 1, 2, 0), RET0),

		/* ---- map values ---- */
		REFUSED("lookup result not checked for NULL", SYS, -EACCES,
			"invalid mem access 'map_value_or_null'", LOOKUP0(MAP_HASH),
			ASM_LDX(BPF_DW, 0, 0, 0), ASM_EXIT()),
		REFUSED("arithmetic on a maybe-NULL value", SYS, -EACCES, "null-check it first",
			LOOKUP0(MAP_HASH), ASM_ALU64_IMM(BPF_ADD, 0, 8), ASM_EXIT()),
		REFUSED("map value past its end", SYS, -EACCES, "invalid access to map value",
			LOOKUP0(MAP_ARRAY), ASM_JMP_IMM(BPF_JEQ, 0, 0, 1), ASM_LDX(BPF_DW, 0, 0, 8),
			ASM_EXIT()),
		REFUSED("map value before its start", SYS, -EACCES, "invalid access to map value",
			LOOKUP0(MAP_ARRAY), ASM_JMP_IMM(BPF_JEQ, 0, 0, 1),
			ASM_LDX(BPF_DW, 0, 0, -8), ASM_EXIT()),
		REFUSED("map value at an unbounded offset", SYS, -EACCES, "map_value",
			LOOKUP0(MAP_ARRAY), ASM_JMP_IMM(BPF_JEQ, 0, 0, 4), ASM_MOV64_REG(6, 0),
			ASM_CALL_HELPER(BPF_FUNC_ktime_get_ns), ASM_ALU64_REG(BPF_ADD, 6, 0),
			ASM_LDX(BPF_B, 0, 6, 0), ASM_EXIT()),
		REFUSED("write to a BPF_F_RDONLY_PROG value", SYS, -EACCES,
			"write into map forbidden", LOOKUP0(MAP_RDONLY),
			ASM_JMP_IMM(BPF_JEQ, 0, 0, 1), ASM_ST(BPF_DW, 0, 0, 1), RET0),
		REFUSED("update of a BPF_F_RDONLY_PROG map", SYS, -EACCES,
			"write into map forbidden", ASM_ST(BPF_W, 10, -4, 0),
			ASM_ST(BPF_DW, 10, -16, 0), ASM_LD_MAP_FD(1, MAP_RDONLY),
			ASM_MOV64_REG(2, 10), ASM_ALU64_IMM(BPF_ADD, 2, -4), ASM_MOV64_REG(3, 10),
			ASM_ALU64_IMM(BPF_ADD, 3, -16), ASM_MOV64_IMM(4, 0),
			ASM_CALL_HELPER(BPF_FUNC_map_update_elem), ASM_EXIT()),
		REFUSED("uninitialised key", SYS, -EACCES, "invalid indirect read from stack",
			ASM_LD_MAP_FD(1, MAP_HASH), ASM_MOV64_REG(2, 10),
			ASM_ALU64_IMM(BPF_ADD, 2, -4), ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem),
			RET0),
		REFUSED("key shorter than key_size", SYS, -EACCES,
			"invalid indirect read from stack", ASM_ST(BPF_W, 10, -8, 0),
			ASM_LD_MAP_FD(1, MAP_KEY8), ASM_MOV64_REG(2, 10),
			ASM_ALU64_IMM(BPF_ADD, 2, -8), ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem),
			RET0),
		REFUSED("key on the stack's edge", SYS, -EACCES, "stack",
			ASM_LD_MAP_FD(1, MAP_KEY8), ASM_MOV64_REG(2, 10),
			ASM_ALU64_IMM(BPF_ADD, 2, -4), ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem),
			RET0),
		REFUSED("value pointer as a key past its end", SYS, -EACCES, "map value",
			LOOKUP0(MAP_ARRAY), ASM_JMP_IMM(BPF_JEQ, 0, 0, 5),
			ASM_LD_MAP_FD(1, MAP_KEY8), ASM_ALU64_IMM(BPF_ADD, 0, 4),
			ASM_MOV64_REG(2, 0), ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem), RET0),

		/* ---- pointers ---- */
		REFUSED("scalar dereference", SYS, -EACCES, "invalid mem access 'scalar'",
			ASM_MOV64_IMM(1, 0x1000), ASM_LDX(BPF_DW, 0, 1, 0), ASM_EXIT()),
		REFUSED("dereference of a kernel address", SYS, -EACCES,
			"invalid mem access 'scalar'", ASM_LD_IMM64(1, 0xffffffff80100000ull),
			ASM_LDX(BPF_DW, 0, 1, 0), ASM_EXIT()),
		REFUSED("pointer loaded back from the stack as a number", SYS, -EACCES, "stack",
			ASM_ST(BPF_DW, 10, -8, 0), ASM_LDX(BPF_W, 1, 10, -8),
			ASM_ALU64_REG(BPF_ADD, 1, 10), ASM_LDX(BPF_DW, 0, 1, -8), ASM_EXIT()),
		REFUSED("32-bit arithmetic on a pointer", SYS, -EACCES,
			"32-bit pointer arithmetic prohibited", ASM_MOV64_REG(1, 10),
			ASM_ALU32_IMM(BPF_ADD, 1, -8), RET0),
		REFUSED("bitwise and on a pointer", SYS, -EACCES, "bitwise operator",
			ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_AND, 1, -8), RET0),
		REFUSED("map pointer arithmetic", SYS, -EACCES, "map_ptr", ASM_ST(BPF_W, 10, -4, 0),
			ASM_LD_MAP_FD(1, MAP_HASH), ASM_ALU64_IMM(BPF_ADD, 1, 8),
			ASM_MOV64_REG(2, 10), ASM_ALU64_IMM(BPF_ADD, 2, -4),
			ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem), RET0),
		REFUSED("store into a map pointer", SYS, -EACCES, "map_ptr",
			ASM_LD_MAP_FD(1, MAP_HASH), ASM_ST(BPF_DW, 1, 0, 0), RET0),

		/* ---- helpers ---- */
		REFUSED("unknown helper", SYS, -EINVAL, "invalid func unknown#9999",
			ASM_CALL_HELPER(9999), RET0),
		REFUSED("helper Kestrel lacks (probe_read)", SYS, -EINVAL, "#4",
			ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_MOV64_IMM(2, 8),
			ASM_MOV64_IMM(3, 0), ASM_CALL_HELPER(BPF_FUNC_probe_read), RET0),
		REFUSED("negative helper number", SYS, -EINVAL, "invalid func", ASM_CALL_HELPER(-1),
			RET0),
		REFUSED("scalar as the map", SYS, -EACCES,
			"R1 type=scalar expected=", ASM_MOV64_IMM(1, 0), ASM_MOV64_REG(2, 10),
			ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem), RET0),
		REFUSED("context as the key", SYS, -EACCES,
			"R2 type=ctx expected=", ASM_LD_MAP_FD(6, MAP_HASH), ASM_MOV64_REG(2, 1),
			ASM_MOV64_REG(1, 6), ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem), RET0),
		REFUSED("per-CPU lookup on a HASH", SYS, -EINVAL, "cannot pass map_type",
			ASM_ST(BPF_W, 10, -4, 0), ASM_LD_MAP_FD(1, MAP_HASH), ASM_MOV64_REG(2, 10),
			ASM_ALU64_IMM(BPF_ADD, 2, -4), ASM_MOV64_IMM(3, 0),
			ASM_CALL_HELPER(BPF_FUNC_map_lookup_percpu_elem), RET0),
		REFUSED("printk of more stack than there is", SYS, -EACCES, "stack",
			ASM_ST(BPF_DW, 10, -8, 0), ASM_MOV64_REG(1, 10),
			ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_MOV64_IMM(2, 64),
			ASM_CALL_HELPER(BPF_FUNC_trace_printk), RET0),
		REFUSED("printk with an unbounded size", SYS, -EACCES, "R2",
			ASM_ST(BPF_DW, 10, -8, 0), ASM_CALL_HELPER(BPF_FUNC_ktime_get_ns),
			ASM_MOV64_REG(2, 0), ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -8),
			ASM_CALL_HELPER(BPF_FUNC_trace_printk), RET0),
		REFUSED("comm into a scalar", SYS, -EACCES, "R1 type=scalar",
			ASM_MOV64_IMM(1, 0x1000), ASM_MOV64_IMM(2, 16),
			ASM_CALL_HELPER(BPF_FUNC_get_current_comm), RET0),
		REFUSED("for_each without a function", SYS, -EACCES, "R2 type=scalar",
			ASM_LD_MAP_FD(1, MAP_ARRAY), ASM_MOV64_IMM(2, 0), ASM_MOV64_IMM(3, 0),
			ASM_MOV64_IMM(4, 0), ASM_CALL_HELPER(BPF_FUNC_for_each_map_elem), RET0),
		REFUSED("for_each callback returning 2", SYS, -EINVAL, "should have been in [0, 1]",
			ASM_LD_MAP_FD(1, MAP_ARRAY), ASM_LD_FUNC(2, 6), ASM_MOV64_IMM(3, 0),
			ASM_MOV64_IMM(4, 0), ASM_CALL_HELPER(BPF_FUNC_for_each_map_elem), RET0,
			ASM_MOV64_IMM(0, 2), ASM_EXIT()),
		REFUSED("for_each callback writing the key", SYS, -EACCES, "R2",
			ASM_LD_MAP_FD(1, MAP_ARRAY), ASM_LD_FUNC(2, 6), ASM_MOV64_IMM(3, 0),
			ASM_MOV64_IMM(4, 0), ASM_CALL_HELPER(BPF_FUNC_for_each_map_elem), RET0,
			ASM_ST(BPF_W, 2, 0, 1), RET0),
		REFUSED("for_each callback past the value", SYS, -EACCES,
			"invalid access to map value", ASM_LD_MAP_FD(1, MAP_ARRAY),
			ASM_LD_FUNC(2, 6), ASM_MOV64_IMM(3, 0), ASM_MOV64_IMM(4, 0),
			ASM_CALL_HELPER(BPF_FUNC_for_each_map_elem), RET0, ASM_LDX(BPF_DW, 0, 3, 8),
			RET0),
		REFUSED("bpf_loop callback using a NULL context", SYS, -EACCES,
			"R2 invalid mem access", ASM_MOV64_IMM(1, 4), ASM_LD_FUNC(2, 6),
			ASM_MOV64_IMM(3, 0), ASM_MOV64_IMM(4, 0), ASM_CALL_HELPER(BPF_FUNC_loop),
			RET0, ASM_LDX(BPF_DW, 0, 2, 0), RET0),
		REFUSED("function value pointing outside", SYS, -EINVAL, "", ASM_MOV64_IMM(1, 4),
			ASM_LD_FUNC(2, 50), ASM_MOV64_IMM(3, 0), ASM_MOV64_IMM(4, 0),
			ASM_CALL_HELPER(BPF_FUNC_loop), RET0),
		/* A kfunc id that is no BTF_KIND_FUNC of the kernel's BTF: Linux's EINVAL. No BTF
		   variables yet: the verifier calls them unknown (ENOENT). */
		REFUSED("kfunc call", SYS, -EINVAL, "is not a function", ASM_CALL_KFUNC(1234),
			RET0),
		REFUSED("BTF variable", SYS, -ENOENT, "invalid btf_id",
			ASM_LD_PSEUDO(0, BPF_PSEUDO_BTF_ID, 5, 0), ASM_EXIT()),
		REFUSED("unknown LD_IMM64 source", SYS, -EINVAL, "ld_imm64",
			ASM_LD_PSEUDO(0, 7, 5, 0), ASM_EXIT()),
		REFUSED("map fd that is not open", SYS, -EBADF, "not pointing to valid bpf_map",
			ASM_LD_MAP_FD(1, 50), RET0),
		REFUSED("map fd that is the console", SYS, -EINVAL, "not pointing to valid bpf_map",
			ASM_LD_MAP_FD(1, 1), RET0),

		/* ---- calls ---- */
		REFUSED("call past the end", SYS, -EINVAL, "", ASM_CALL_LOCAL(10), RET0),
		REFUSED("recursion", SYS, -EINVAL, "back-edge", ASM_CALL_LOCAL(2), RET0,
			ASM_CALL_LOCAL(-1), RET0),
		REFUSED("nine frames", SYS, -E2BIG, "too deep", ASM_CALL_LOCAL(2), RET0,
			ASM_CALL_LOCAL(2), RET0, ASM_CALL_LOCAL(2), RET0, ASM_CALL_LOCAL(2), RET0,
			ASM_CALL_LOCAL(2), RET0, ASM_CALL_LOCAL(2), RET0, ASM_CALL_LOCAL(2), RET0,
			ASM_CALL_LOCAL(2), RET0, RET0),
		REFUSED("two frames of 512 bytes", SYS, -EACCES, "combined stack size",
			ASM_ST(BPF_DW, 10, -512, 0), ASM_CALL_LOCAL(2), RET0,
			ASM_ST(BPF_DW, 10, -512, 0), RET0),
		REFUSED("stack pointer returned to the caller", SYS, -EINVAL,
			"cannot return stack pointer", ASM_CALL_LOCAL(2), ASM_LDX(BPF_DW, 0, 0, 0),
			ASM_EXIT(), ASM_ST(BPF_DW, 10, -8, 0), ASM_MOV64_REG(0, 10),
			ASM_ALU64_IMM(BPF_ADD, 0, -8), ASM_EXIT()),
		REFUSED("callee reading the caller's r6", SYS, -EACCES, "R6 !read_ok",
			ASM_MOV64_IMM(6, 1), ASM_CALL_LOCAL(1), ASM_EXIT(), ASM_MOV64_REG(0, 6),
			ASM_EXIT()),

		/* ---- legal, hostile at run time: they run and give the RFC's results ---- */
		RUNS("division by zero gives 0", 0, ASM_MOV64_IMM(0, 7), ASM_MOV64_IMM(1, 0),
		     ASM_ALU64_REG(BPF_DIV, 0, 1), ASM_EXIT()),
		RUNS("modulo by zero keeps the dividend", 7, ASM_MOV64_IMM(0, 7),
		     ASM_MOV64_IMM(1, 0), ASM_ALU64_REG(BPF_MOD, 0, 1), ASM_EXIT()),
		RUNS("LLONG_MIN / -1 is LLONG_MIN", 0, ASM_LD_IMM64(0, 0x8000000000000000ull),
		     ASM_MOV64_IMM(1, -1), ASM_ALU64_REG_OFF(BPF_DIV, 1, 0, 1), ASM_EXIT()),
		RUNS("signed 32-bit INT_MIN % -1 is 0", 0, ASM_MOV32_IMM(0, (int32_t)0x80000000),
		     ASM_MOV32_IMM(1, -1), ASM_ALU32_REG_OFF(BPF_MOD, 1, 0, 1), ASM_EXIT()),
		RUNS("printk %s of user, non-canonical and NULL addresses", 0,
		     ASM_ST(BPF_DW, 10, -8, 0x7325), ASM_MOV64_REG(1, 10),
		     ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_MOV64_IMM(2, 8), ASM_MOV64_IMM(3, 0x1000),
		     ASM_CALL_HELPER(BPF_FUNC_trace_printk), ASM_MOV64_REG(6, 0),
		     ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_MOV64_IMM(2, 8),
		     ASM_LD_IMM64(3, 0x0000800000000000ull), ASM_CALL_HELPER(BPF_FUNC_trace_printk),
		     ASM_ALU64_REG(BPF_ADD, 6, 0), ASM_MOV64_REG(1, 10),
		     ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_MOV64_IMM(2, 8), ASM_MOV64_IMM(3, 0),
		     ASM_CALL_HELPER(BPF_FUNC_trace_printk), ASM_ALU64_REG(BPF_ADD, 0, 6),
		     ASM_EXIT()),
		RUNS("printk of a format with a newline inside", 5,
		     ASM_ST(BPF_DW, 10, -8, 0x0a6b6f0a), ASM_MOV64_REG(1, 10),
		     ASM_ALU64_IMM(BPF_ADD, 1, -8), ASM_MOV64_IMM(2, 8),
		     ASM_CALL_HELPER(BPF_FUNC_trace_printk), ASM_ALU64_IMM(BPF_ADD, 0, 1),
		     ASM_EXIT()),
		RUNS("bpf_loop at its limit", 1u << 23, ASM_MOV64_IMM(1, 1 << 23),
		     ASM_LD_FUNC(2, 5), ASM_MOV64_IMM(3, 0), ASM_MOV64_IMM(4, 0),
		     ASM_CALL_HELPER(BPF_FUNC_loop), ASM_EXIT(), RET0),
		RUNS("8 frames of 64 bytes", 8, ASM_ST(BPF_DW, 10, -64, 1), ASM_CALL_LOCAL(3),
		     ASM_LDX(BPF_DW, 1, 10, -64), ASM_ALU64_REG(BPF_ADD, 0, 1), ASM_EXIT(),
		     ASM_ST(BPF_DW, 10, -64, 1), ASM_CALL_LOCAL(3), ASM_LDX(BPF_DW, 1, 10, -64),
		     ASM_ALU64_REG(BPF_ADD, 0, 1), ASM_EXIT(), ASM_ST(BPF_DW, 10, -64, 1),
		     ASM_CALL_LOCAL(3), ASM_LDX(BPF_DW, 1, 10, -64), ASM_ALU64_REG(BPF_ADD, 0, 1),
		     ASM_EXIT(), ASM_ST(BPF_DW, 10, -64, 1), ASM_CALL_LOCAL(3),
		     ASM_LDX(BPF_DW, 1, 10, -64), ASM_ALU64_REG(BPF_ADD, 0, 1), ASM_EXIT(),
		     ASM_ST(BPF_DW, 10, -64, 1), ASM_CALL_LOCAL(3), ASM_LDX(BPF_DW, 1, 10, -64),
		     ASM_ALU64_REG(BPF_ADD, 0, 1), ASM_EXIT(), ASM_ST(BPF_DW, 10, -64, 1),
		     ASM_CALL_LOCAL(3), ASM_LDX(BPF_DW, 1, 10, -64), ASM_ALU64_REG(BPF_ADD, 0, 1),
		     ASM_EXIT(), ASM_ST(BPF_DW, 10, -64, 1), ASM_CALL_LOCAL(3),
		     ASM_LDX(BPF_DW, 1, 10, -64), ASM_ALU64_REG(BPF_ADD, 0, 1), ASM_EXIT(),
		     ASM_ST(BPF_DW, 10, -64, 1), ASM_LDX(BPF_DW, 0, 10, -64), ASM_EXIT()),
	};
	size_t ncorpus = sizeof(corpus) / sizeof(corpus[0]);
	int refused = 0, ran = 0;

	for (size_t i = 0; i < ncorpus; i++) {
		const struct hostile *h = &corpus[i];
		int fd = load_entry(h);
		if (h->err) {
			if (fd != h->err || !contains(log, h->word)) {
				printf("# hostile \"%s\": got %d, want %d with \"%s\"; log: %s\n",
				       h->name, fd, h->err, h->word, log);
				utest_failures++;
			}
			refused += fd < 0;
			if (fd >= 0)
				close(fd);
			continue;
		}
		uint32_t r0 = 0;
		int r = fd < 0 ? fd : run_syscall_prog(fd, NULL, 0, 1, &r0);
		if (r || r0 != (uint32_t)h->r0) {
			printf("# hostile \"%s\": load/run %d, r0 %u, want 0 and %u; log: %s\n",
			       h->name, r, r0, (uint32_t)h->r0, fd < 0 ? log : "");
			utest_failures++;
		}
		ran++;
		if (fd >= 0)
			close(fd);
	}
	printf("# bpf_hostile: %d programs refused, %d ran safely\n", refused, ran);
	return ncorpus;
}

/*
 * Huge programs: the limit, one past it, and a long straight line the JIT compiles (with the JIT
 * off it is longer than the interpreter takes: E2BIG, kernel/bpf/exec.h BPF_INTERP_MAX_INSNS).
 */
static void test_huge(void)
{
	static struct bpf_insn big[200001];
	size_t n = sizeof(big) / sizeof(big[0]);

	for (size_t i = 0; i < n - 1; i++)
		big[i] = ASM_MOV64_IMM(0, (int32_t)i);
	big[n - 1] = ASM_EXIT();
	int fd = prog_load(BPF_PROG_TYPE_SYSCALL, big, (uint32_t)n);
	if (jit_enabled()) {
		CHECK(fd >= 0);
		uint32_t r0 = 0;
		CHECK_EQ(run_syscall_prog(fd, NULL, 0, 1, &r0), 0);
		CHECK_EQ(r0, n - 2);
		close(fd);
	} else {
		CHECK_EQ(fd, -E2BIG);
	}
	/* Over BPF_COMPLEXITY_LIMIT_INSNS: E2BIG before a byte is read; at it: too big to hold. */
	CHECK_EQ(prog_load(BPF_PROG_TYPE_SYSCALL, big, 1000001), -E2BIG);
	CHECK_EQ(prog_load(BPF_PROG_TYPE_SYSCALL, big, 1000000), -ENOMEM);
	/* A loop the verifier cannot prove finite: tests/kernel/test_bpf_prog.c (10^6 steps take seconds). */
}

/* BPF_PROG_LOAD of a must give want; a program loaded against expectation is closed. */
static void expect_load(union bpf_attr *a, int want)
{
	int r = sys_bpf(BPF_PROG_LOAD, a);

	CHECK_EQ(r, want);
	if (r >= 0)
		close(r);
}

/* Hostile attributes: pointers the kernel must refuse without harm. */
static void test_attrs(void)
{
	static const struct bpf_insn ok[] = {ASM_MOV64_IMM(0, 0), ASM_EXIT()};
	static const struct bpf_insn bad[] = {ASM_MOV64_REG(0, 5), ASM_EXIT()};
	union bpf_attr a;
	uint8_t *pg = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);

	CHECK(pg != MAP_FAILED);
	/* Addresses no 16-byte read or write may use (the last crosses USER_MAX). */
	static const uint64_t bad_ptrs[] = {
		0, 1, KERNEL_TEXT, DIRECT_MAP, 0x0000800000000000ul, (uint64_t)-8, USER_TOP - 8};
	for (size_t i = 0; i < sizeof(bad_ptrs) / sizeof(bad_ptrs[0]); i++) {
		/* garbage insns pointer */
		load_attr(&a, BPF_PROG_TYPE_SYSCALL, ok, 2);
		a.insns = bad_ptrs[i];
		expect_load(&a, -EFAULT);
		/* garbage license (the stack's last bytes hold a string: not bad for it) */
		load_attr(&a, BPF_PROG_TYPE_SYSCALL, ok, 2);
		a.license = bad_ptrs[i];
		if (bad_ptrs[i] != USER_TOP - 8)
			expect_load(&a, -EFAULT);
		/* garbage log buffer, for a refused and for an accepted program */
		load_attr(&a, BPF_PROG_TYPE_SYSCALL, bad, 2);
		a.log_level = 1;
		a.log_size = 4096;
		a.log_buf = bad_ptrs[i];
		expect_load(&a, bad_ptrs[i] ? -EFAULT : -EINVAL);
		a.insns = (uint64_t)(uintptr_t)ok;
		expect_load(&a, bad_ptrs[i] ? -EFAULT : -EINVAL);
	}
	/* A log buffer that is read-only, or runs into an unmapped page. */
	munmap(pg + PAGE, PAGE);
	load_attr(&a, BPF_PROG_TYPE_SYSCALL, bad, 2);
	a.log_level = 1;
	a.log_buf = (uint64_t)(uintptr_t)(pg + PAGE - 16);
	a.log_size = 4096;
	expect_load(&a, -EFAULT);
	mprotect(pg, PAGE, PROT_READ);
	a.log_buf = (uint64_t)(uintptr_t)pg;
	expect_load(&a, -EFAULT);
	/* insn_cnt larger than the buffer holds. */
	load_attr(&a, BPF_PROG_TYPE_SYSCALL, (const struct bpf_insn *)(pg + PAGE - 16), 4);
	expect_load(&a, -EFAULT);
	munmap(pg, PAGE);
	/* A name without its NUL, or with a character Linux refuses. */
	load_attr(&a, BPF_PROG_TYPE_SYSCALL, ok, 2);
	memset(a.prog_name, 'x', sizeof(a.prog_name));
	expect_load(&a, -EINVAL);
	memcpy(a.prog_name, "a\nb", 4);
	expect_load(&a, -EINVAL);
}

int main(void)
{
	int progs = count_ids(BPF_PROG_GET_NEXT_ID);

	make_maps();
	size_t n = test_corpus();
	test_huge();
	test_attrs();
	for (int i = 0; i < NMAPS; i++)
		close(map_fds[i]);
	CHECK_EQ(count_ids(BPF_PROG_GET_NEXT_ID), progs);
	printf("# bpf_hostile: %zu corpus programs\n", n);
	return utest_result("bpf_hostile");
}
