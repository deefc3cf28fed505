/*
 * Hand-assembled BPF programs with the results they must give, shared by the in-kernel test that
 * runs each one under both executors (tests/kernel/test_bpf_prog.c) and the user test that loads
 * and runs them through bpf(2) (tests/user/bpf_syscall_prog.c). Each case is a
 * BPF_PROG_TYPE_SYSCALL program run once on a 32-byte context (four u64s, zero before the run):
 * build() assembles it, making the maps it needs through the environment (env->map, env->update:
 * bpf(2) in user space, the map layer and the current task's fds in the kernel); check() judges
 * r0 and the context afterwards. Together they call every helper of issue 9 and walk ARRAY and
 * HASH maps with BPF callbacks.
 *
 * Header-only (static functions) so that the kernel and user programs can both include it; only
 * kernel/bpf/exec.h's and <linux/bpf.h>'s definitions are needed (tests/host/bpf_asm.h).
 */
#ifndef TESTS_HOST_BPF_TEST_PROGS_H
#define TESTS_HOST_BPF_TEST_PROGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf_asm.h"
#include "uapi/errno.h"

#define TP_MAX_INSNS 128
#define TP_CTX_WORDS 4
#define TP_MAX_MAPS 2
#define TP_COMM_LEN 16

struct tp_env {
	/* A new map: its fd, or a negative errno. */
	int (*map)(struct tp_env *env, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max);
	/* Store value (user-space layout: per-CPU maps get one value per CPU) under key. 0 or -errno. */
	int (*update)(struct tp_env *env, int fd, const void *key, const void *value);
	int pid;                /* of the task that runs the programs */
	char comm[TP_COMM_LEN]; /* its name as bpf_get_current_comm gives it */
	uint32_t ncpus;         /* possible CPUs */
};

/* A program being assembled. */
struct tp_buf {
	struct bpf_insn insns[TP_MAX_INSNS];
	uint32_t n;
	bool overflow;
};

struct tp_case {
	const char *name;
	/* Assemble into b; maps made go to fds[0..TP_MAX_MAPS) (the caller closes them). 0 or -errno. */
	int (*build)(struct tp_env *env, struct tp_buf *b, int *fds);
	/* NULL if r0 and the context are as they must be, else what is wrong. */
	const char *(*check)(const struct tp_env *env, uint64_t r0, const uint64_t *ctx);
};

static inline void tp_emit(struct tp_buf *b, const struct bpf_insn *insns, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (b->n == TP_MAX_INSNS) {
			b->overflow = true;
			return;
		}
		b->insns[b->n++] = insns[i];
	}
}

/* E(b, insn, ...): append the instructions. */
#define E(b, ...)                                          \
	tp_emit(b, (const struct bpf_insn[]){__VA_ARGS__}, \
		sizeof((const struct bpf_insn[]){__VA_ARGS__}) / sizeof(struct bpf_insn))

/* An LD_IMM64 BPF_PSEUDO_FUNC whose target is set later (tp_func_at): its index. */
static inline uint32_t tp_ld_func(struct tp_buf *b, int dst)
{
	uint32_t at = b->n;
	E(b, ASM_LD_FUNC(dst, 0));
	return at;
}

/* Point the LD_IMM64 at index ld to the function starting here. */
static inline void tp_func_here(struct tp_buf *b, uint32_t ld)
{
	b->insns[ld].imm = (int32_t)(b->n - (ld + 1));
}

/* r1 = map, r2 = r10 + key_off, call `helper` (lookup or delete). */
#define TP_MAP_CALL(b, fd, key_off, helper)                                                  \
	E(b, ASM_LD_MAP_FD(1, fd), ASM_MOV64_REG(2, 10), ASM_ALU64_IMM(BPF_ADD, 2, key_off), \
	  ASM_CALL_HELPER(helper))

/* ---------------------------------------------------------------------------------------------
 * The cases
 */

static int tp_ret42(struct tp_env *env, struct tp_buf *b, int *fds)
{
	(void)env, (void)fds;
	E(b, ASM_MOV64_IMM(0, 42), ASM_EXIT());
	return 0;
}

static const char *tp_ret42_check(const struct tp_env *env, uint64_t r0, const uint64_t *ctx)
{
	(void)env, (void)ctx;
	return r0 == 42 ? NULL : "r0 is not 42";
}

/* ctx[0] += 5 through the context pointer; r0 = ctx[1] + 1 (0 + 1). */
static int tp_ctx(struct tp_env *env, struct tp_buf *b, int *fds)
{
	(void)env, (void)fds;
	E(b, ASM_LDX(BPF_DW, 2, 1, 0), ASM_ALU64_IMM(BPF_ADD, 2, 5), ASM_STX(BPF_DW, 1, 2, 0),
	  ASM_LDX(BPF_DW, 0, 1, 8), ASM_ALU64_IMM(BPF_ADD, 0, 1), ASM_EXIT());
	return 0;
}

static const char *tp_ctx_check(const struct tp_env *env, uint64_t r0, const uint64_t *ctx)
{
	(void)env;
	return ctx[0] == 5 && r0 == 1 ? NULL : "context not read and written";
}

/*
 * On a HASH map holding {1: 100}: ctx[0] = *lookup(1), ctx[1] = update(2, 200), ctx[2] =
 * delete(1), ctx[3] = lookup(1) == NULL; r0 = *lookup(2).
 */
static int tp_hash_ops(struct tp_env *env, struct tp_buf *b, int *fds)
{
	uint32_t k = 1;
	uint64_t v = 100;
	int fd = fds[0] = env->map(env, BPF_MAP_TYPE_HASH, 4, 8, 8);

	if (fd < 0)
		return fd;
	int r = env->update(env, fd, &k, &v);
	if (r)
		return r;
	E(b, ASM_MOV64_REG(6, 1), ASM_ST(BPF_W, 10, -4, 1), ASM_ST(BPF_W, 10, -8, 2),
	  ASM_ST(BPF_DW, 10, -16, 200));
	TP_MAP_CALL(b, fd, -4, BPF_FUNC_map_lookup_elem);
	E(b, ASM_JMP_IMM(BPF_JEQ, 0, 0, 2), ASM_LDX(BPF_DW, 1, 0, 0), ASM_STX(BPF_DW, 6, 1, 0),
	  ASM_LD_MAP_FD(1, fd), ASM_MOV64_REG(2, 10), ASM_ALU64_IMM(BPF_ADD, 2, -8),
	  ASM_MOV64_REG(3, 10), ASM_ALU64_IMM(BPF_ADD, 3, -16), ASM_MOV64_IMM(4, BPF_ANY),
	  ASM_CALL_HELPER(BPF_FUNC_map_update_elem), ASM_STX(BPF_DW, 6, 0, 8));
	TP_MAP_CALL(b, fd, -4, BPF_FUNC_map_delete_elem);
	E(b, ASM_STX(BPF_DW, 6, 0, 16));
	TP_MAP_CALL(b, fd, -4, BPF_FUNC_map_lookup_elem);
	E(b, ASM_MOV64_IMM(1, 0), ASM_JMP_IMM(BPF_JNE, 0, 0, 1), ASM_MOV64_IMM(1, 1),
	  ASM_STX(BPF_DW, 6, 1, 24));
	TP_MAP_CALL(b, fd, -8, BPF_FUNC_map_lookup_elem);
	E(b, ASM_JMP_IMM(BPF_JNE, 0, 0, 2), ASM_MOV64_IMM(0, -1), ASM_EXIT(),
	  ASM_LDX(BPF_DW, 0, 0, 0), ASM_EXIT());
	return 0;
}

static const char *tp_hash_ops_check(const struct tp_env *env, uint64_t r0, const uint64_t *ctx)
{
	(void)env;
	if (ctx[0] != 100)
		return "lookup did not find 100";
	if (ctx[1] != 0 || ctx[2] != 0)
		return "update or delete failed";
	if (ctx[3] != 1)
		return "deleted key still found";
	return r0 == 200 ? NULL : "updated key not found with 200";
}

/* An ARRAY of 2: r0 = 1 if lookup(5), out of range, is NULL; ctx[0] = delete(0) (-EINVAL). */
static int tp_array_edges(struct tp_env *env, struct tp_buf *b, int *fds)
{
	int fd = fds[0] = env->map(env, BPF_MAP_TYPE_ARRAY, 4, 8, 2);

	if (fd < 0)
		return fd;
	E(b, ASM_MOV64_REG(6, 1), ASM_ST(BPF_W, 10, -4, 0));
	TP_MAP_CALL(b, fd, -4, BPF_FUNC_map_delete_elem);
	E(b, ASM_STX(BPF_DW, 6, 0, 0), ASM_ST(BPF_W, 10, -4, 5));
	TP_MAP_CALL(b, fd, -4, BPF_FUNC_map_lookup_elem);
	E(b, ASM_MOV64_REG(1, 0), ASM_MOV64_IMM(0, 0), ASM_JMP_IMM(BPF_JNE, 1, 0, 1),
	  ASM_MOV64_IMM(0, 1), ASM_EXIT());
	return 0;
}

static const char *tp_array_edges_check(const struct tp_env *env, uint64_t r0, const uint64_t *ctx)
{
	(void)env;
	if (ctx[0] != (uint64_t)-EINVAL)
		return "array delete is not -EINVAL";
	return r0 == 1 ? NULL : "out-of-range lookup not NULL";
}

/* ctx[0], ctx[1] = two bpf_ktime_get_ns readings, ctx[2] = bpf_get_smp_processor_id. */
static int tp_time_cpu(struct tp_env *env, struct tp_buf *b, int *fds)
{
	(void)env, (void)fds;
	E(b, ASM_MOV64_REG(6, 1), ASM_CALL_HELPER(BPF_FUNC_ktime_get_ns), ASM_STX(BPF_DW, 6, 0, 0),
	  ASM_CALL_HELPER(BPF_FUNC_ktime_get_ns), ASM_STX(BPF_DW, 6, 0, 8),
	  ASM_CALL_HELPER(BPF_FUNC_get_smp_processor_id), ASM_STX(BPF_DW, 6, 0, 16),
	  ASM_MOV64_IMM(0, 0), ASM_EXIT());
	return 0;
}

static const char *tp_time_cpu_check(const struct tp_env *env, uint64_t r0, const uint64_t *ctx)
{
	(void)r0;
	if (ctx[0] == 0 || ctx[1] < ctx[0])
		return "ktime_get_ns not monotonic";
	return ctx[2] < env->ncpus ? NULL : "processor id not a possible CPU";
}

/* ctx[0] = bpf_get_current_pid_tgid; ctx[2..3] = bpf_get_current_comm(16 bytes). */
static int tp_task(struct tp_env *env, struct tp_buf *b, int *fds)
{
	(void)env, (void)fds;
	E(b, ASM_MOV64_REG(6, 1), ASM_CALL_HELPER(BPF_FUNC_get_current_pid_tgid),
	  ASM_STX(BPF_DW, 6, 0, 0), ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -16),
	  ASM_MOV64_IMM(2, 16), ASM_CALL_HELPER(BPF_FUNC_get_current_comm),
	  ASM_STX(BPF_DW, 6, 0, 8), ASM_LDX(BPF_DW, 1, 10, -16), ASM_STX(BPF_DW, 6, 1, 16),
	  ASM_LDX(BPF_DW, 1, 10, -8), ASM_STX(BPF_DW, 6, 1, 24), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	return 0;
}

static const char *tp_task_check(const struct tp_env *env, uint64_t r0, const uint64_t *ctx)
{
	(void)r0;
	if (ctx[0] != ((uint64_t)(uint32_t)env->pid << 32 | (uint32_t)env->pid))
		return "pid_tgid is not the task's";
	if (ctx[1] != 0)
		return "get_current_comm did not return 0";
	const char *comm = (const char *)&ctx[2];
	for (int i = 0; i < TP_COMM_LEN; i++)
		if (comm[i] != env->comm[i])
			return "comm is not the task's name";
	return NULL;
}

/*
 * A PERCPU_ARRAY whose element 0 holds 5 + cpu on each CPU: ctx[0] = *lookup_percpu(0, cpu 0),
 * ctx[1] = lookup_percpu(0, ncpus) == NULL, ctx[2] = *lookup(0) (this CPU's copy).
 */
static int tp_percpu(struct tp_env *env, struct tp_buf *b, int *fds)
{
	uint64_t vals[64];
	uint32_t k = 0;
	int fd = fds[0] = env->map(env, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1);

	if (fd < 0)
		return fd;
	for (uint32_t c = 0; c < env->ncpus && c < 64; c++)
		vals[c] = 5 + c;
	int r = env->update(env, fd, &k, vals);
	if (r)
		return r;
	E(b, ASM_MOV64_REG(6, 1), ASM_ST(BPF_W, 10, -4, 0), ASM_LD_MAP_FD(1, fd),
	  ASM_MOV64_REG(2, 10), ASM_ALU64_IMM(BPF_ADD, 2, -4), ASM_MOV64_IMM(3, 0),
	  ASM_CALL_HELPER(BPF_FUNC_map_lookup_percpu_elem), ASM_JMP_IMM(BPF_JEQ, 0, 0, 2),
	  ASM_LDX(BPF_DW, 1, 0, 0), ASM_STX(BPF_DW, 6, 1, 0), ASM_LD_MAP_FD(1, fd),
	  ASM_MOV64_REG(2, 10), ASM_ALU64_IMM(BPF_ADD, 2, -4),
	  ASM_MOV64_IMM(3, (int32_t)env->ncpus), ASM_CALL_HELPER(BPF_FUNC_map_lookup_percpu_elem),
	  ASM_MOV64_IMM(1, 0), ASM_JMP_IMM(BPF_JNE, 0, 0, 1), ASM_MOV64_IMM(1, 1),
	  ASM_STX(BPF_DW, 6, 1, 8));
	TP_MAP_CALL(b, fd, -4, BPF_FUNC_map_lookup_elem);
	E(b, ASM_JMP_IMM(BPF_JEQ, 0, 0, 2), ASM_LDX(BPF_DW, 1, 0, 0), ASM_STX(BPF_DW, 6, 1, 16),
	  ASM_MOV64_IMM(0, 0), ASM_EXIT());
	return 0;
}

static const char *tp_percpu_check(const struct tp_env *env, uint64_t r0, const uint64_t *ctx)
{
	(void)r0;
	if (ctx[0] != 5)
		return "CPU 0's copy is not 5";
	if (ctx[1] != 1)
		return "lookup_percpu of CPU ncpus not NULL";
	return ctx[2] >= 5 && ctx[2] < 5 + env->ncpus ? NULL : "this CPU's copy not found";
}

/*
 * for_each over a map of 4 elements valued 1..4 with a callback that adds each value into its
 * context and then increments the value in place: ctx[0] = callbacks run, ctx[1] = the sum,
 * ctx[2] = the sum of a second walk (each value one more), ctx[3] = callbacks of a walk whose
 * callback returns 1 (stop) at once.
 */
static int tp_for_each(struct tp_env *env, struct tp_buf *b, int *fds, uint32_t type)
{
	int fd = fds[0] = env->map(env, type, 4, 8, 4); /* an ARRAY walks all max_entries slots */

	if (fd < 0)
		return fd;
	for (uint32_t k = 0; k < 4; k++) {
		uint64_t v = k + 1;
		int r = env->update(env, fd, &k, &v);
		if (r)
			return r;
	}
	uint32_t ld[3];
	E(b, ASM_MOV64_REG(6, 1), ASM_ST(BPF_DW, 10, -8, 0), ASM_LD_MAP_FD(1, fd));
	ld[0] = tp_ld_func(b, 2);
	E(b, ASM_MOV64_REG(3, 10), ASM_ALU64_IMM(BPF_ADD, 3, -8), ASM_MOV64_IMM(4, 0),
	  ASM_CALL_HELPER(BPF_FUNC_for_each_map_elem), ASM_STX(BPF_DW, 6, 0, 0),
	  ASM_LDX(BPF_DW, 1, 10, -8), ASM_STX(BPF_DW, 6, 1, 8), ASM_ST(BPF_DW, 10, -8, 0),
	  ASM_LD_MAP_FD(1, fd));
	ld[1] = tp_ld_func(b, 2);
	E(b, ASM_MOV64_REG(3, 10), ASM_ALU64_IMM(BPF_ADD, 3, -8), ASM_MOV64_IMM(4, 0),
	  ASM_CALL_HELPER(BPF_FUNC_for_each_map_elem), ASM_LDX(BPF_DW, 1, 10, -8),
	  ASM_STX(BPF_DW, 6, 1, 16), ASM_LD_MAP_FD(1, fd));
	ld[2] = tp_ld_func(b, 2);
	E(b, ASM_MOV64_IMM(3, 0), ASM_MOV64_IMM(4, 0), ASM_CALL_HELPER(BPF_FUNC_for_each_map_elem),
	  ASM_STX(BPF_DW, 6, 0, 24), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* The summing callback (map, key, value, ctx). */
	tp_func_here(b, ld[0]);
	tp_func_here(b, ld[1]);
	E(b, ASM_LDX(BPF_DW, 0, 3, 0), ASM_LDX(BPF_DW, 5, 4, 0), ASM_ALU64_REG(BPF_ADD, 5, 0),
	  ASM_STX(BPF_DW, 4, 5, 0), ASM_ALU64_IMM(BPF_ADD, 0, 1), ASM_STX(BPF_DW, 3, 0, 0),
	  ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* The stopping callback. */
	tp_func_here(b, ld[2]);
	E(b, ASM_MOV64_IMM(0, 1), ASM_EXIT());
	return 0;
}

static int tp_for_each_array(struct tp_env *env, struct tp_buf *b, int *fds)
{
	return tp_for_each(env, b, fds, BPF_MAP_TYPE_ARRAY);
}

static int tp_for_each_hash(struct tp_env *env, struct tp_buf *b, int *fds)
{
	return tp_for_each(env, b, fds, BPF_MAP_TYPE_HASH);
}

static const char *tp_for_each_check(const struct tp_env *env, uint64_t r0, const uint64_t *ctx)
{
	(void)env, (void)r0;
	if (ctx[0] != 4)
		return "not 4 callbacks";
	if (ctx[1] != 10)
		return "values do not sum to 10";
	if (ctx[2] != 14)
		return "the callback's writes to the values were lost";
	return ctx[3] == 1 ? NULL : "a callback returning 1 did not stop the walk";
}

/*
 * A HASH callback that deletes the element it is given: ctx[0] = callbacks of the first walk
 * (3), ctx[1] = of a second walk (0: all gone).
 */
static int tp_for_each_delete(struct tp_env *env, struct tp_buf *b, int *fds)
{
	int fd = fds[0] = env->map(env, BPF_MAP_TYPE_HASH, 4, 8, 8);

	if (fd < 0)
		return fd;
	for (uint32_t k = 10; k < 13; k++) {
		uint64_t v = k;
		int r = env->update(env, fd, &k, &v);
		if (r)
			return r;
	}
	uint32_t ld[2];
	E(b, ASM_MOV64_REG(6, 1), ASM_LD_MAP_FD(1, fd));
	ld[0] = tp_ld_func(b, 2);
	E(b, ASM_MOV64_IMM(3, 0), ASM_MOV64_IMM(4, 0), ASM_CALL_HELPER(BPF_FUNC_for_each_map_elem),
	  ASM_STX(BPF_DW, 6, 0, 0), ASM_LD_MAP_FD(1, fd));
	ld[1] = tp_ld_func(b, 2);
	E(b, ASM_MOV64_IMM(3, 0), ASM_MOV64_IMM(4, 0), ASM_CALL_HELPER(BPF_FUNC_for_each_map_elem),
	  ASM_STX(BPF_DW, 6, 0, 8), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* callback(map, key, ...): delete(map, key); return 0 */
	tp_func_here(b, ld[0]);
	tp_func_here(b, ld[1]);
	E(b, ASM_CALL_HELPER(BPF_FUNC_map_delete_elem), ASM_MOV64_IMM(0, 0), ASM_EXIT());
	return 0;
}

static const char *tp_for_each_delete_check(const struct tp_env *env, uint64_t r0,
					    const uint64_t *ctx)
{
	(void)env, (void)r0;
	if (ctx[0] != 3)
		return "first walk did not visit 3 elements";
	return ctx[1] == 0 ? NULL : "deleted elements visited again";
}

/*
 * bpf_loop: ctx[0] = sum of the indexes 0..9 (45) from a callback adding into its context,
 * ctx[1] = that call's result (10), ctx[2] = a call with flags 1 (-EINVAL), ctx[3] = a call whose
 * callback stops at index 3 (4). r0 = a call of 2^23 + 1 loops (-E2BIG).
 */
static int tp_loop(struct tp_env *env, struct tp_buf *b, int *fds)
{
	uint32_t ld[4];

	(void)env, (void)fds;
	E(b, ASM_MOV64_REG(6, 1), ASM_ST(BPF_DW, 10, -8, 0), ASM_MOV64_IMM(1, 10));
	ld[0] = tp_ld_func(b, 2);
	E(b, ASM_MOV64_REG(3, 10), ASM_ALU64_IMM(BPF_ADD, 3, -8), ASM_MOV64_IMM(4, 0),
	  ASM_CALL_HELPER(BPF_FUNC_loop), ASM_STX(BPF_DW, 6, 0, 8), ASM_LDX(BPF_DW, 1, 10, -8),
	  ASM_STX(BPF_DW, 6, 1, 0), ASM_MOV64_IMM(1, 10));
	ld[1] = tp_ld_func(b, 2);
	E(b, ASM_MOV64_REG(3, 10), ASM_ALU64_IMM(BPF_ADD, 3, -8), ASM_MOV64_IMM(4, 1),
	  ASM_CALL_HELPER(BPF_FUNC_loop), ASM_STX(BPF_DW, 6, 0, 16), ASM_MOV64_IMM(1, 100));
	ld[2] = tp_ld_func(b, 2);
	E(b, ASM_MOV64_IMM(3, 0), ASM_MOV64_IMM(4, 0), ASM_CALL_HELPER(BPF_FUNC_loop),
	  ASM_STX(BPF_DW, 6, 0, 24), ASM_MOV64_IMM(1, (1 << 23) + 1));
	ld[3] = tp_ld_func(b, 2);
	E(b, ASM_MOV64_IMM(3, 0), ASM_MOV64_IMM(4, 0), ASM_CALL_HELPER(BPF_FUNC_loop), ASM_EXIT());
	/* Adding callback (index, ctx). */
	tp_func_here(b, ld[0]);
	tp_func_here(b, ld[1]);
	E(b, ASM_LDX(BPF_DW, 3, 2, 0), ASM_ALU64_REG(BPF_ADD, 3, 1), ASM_STX(BPF_DW, 2, 3, 0),
	  ASM_MOV64_IMM(0, 0), ASM_EXIT());
	/* Stopping callback: 1 at index 3. */
	tp_func_here(b, ld[2]);
	tp_func_here(b, ld[3]);
	E(b, ASM_MOV64_IMM(0, 0), ASM_JMP_IMM(BPF_JNE, 1, 3, 1), ASM_MOV64_IMM(0, 1), ASM_EXIT());
	return 0;
}

static const char *tp_loop_check(const struct tp_env *env, uint64_t r0, const uint64_t *ctx)
{
	(void)env;
	if (ctx[0] != 45 || ctx[1] != 10)
		return "bpf_loop(10) did not sum 0..9 in 10 iterations";
	if (ctx[2] != (uint64_t)-EINVAL)
		return "bpf_loop with flags is not -EINVAL";
	if (ctx[3] != 4)
		return "bpf_loop did not stop after the callback returned 1";
	return r0 == (uint64_t)-E2BIG ? NULL : "bpf_loop over 2^23 iterations is not -E2BIG";
}

/*
 * bpf_trace_printk: ctx[0] = the length of "x=7 s=ab\n" (9), ctx[1] = a format with an unknown
 * conversion (-EINVAL), ctx[2] = a %s of an unreadable address ("s=" and "": length 2), r0 = a
 * format without its NUL inside fmt_size (-EINVAL).
 */
static int tp_printk(struct tp_env *env, struct tp_buf *b, int *fds)
{
	(void)env, (void)fds;
	/* Stack: "x=%d s=%s\n\0" at -16, "ab\0" at -24, "%q\0" at -32, "s=%s\0" at -40. */
	E(b, ASM_MOV64_REG(6, 1), ASM_LD_IMM64(1, 0x253d732064253d78ull),
	  ASM_STX(BPF_DW, 10, 1, -16), ASM_ST(BPF_DW, 10, -8, 0x0a73),
	  ASM_ST(BPF_DW, 10, -24, 0x6261), ASM_ST(BPF_DW, 10, -32, 0x7125),
	  ASM_ST(BPF_DW, 10, -40, 0x73253d73), ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -16),
	  ASM_MOV64_IMM(2, 16), ASM_MOV64_IMM(3, 7), ASM_MOV64_REG(4, 10),
	  ASM_ALU64_IMM(BPF_ADD, 4, -24), ASM_CALL_HELPER(BPF_FUNC_trace_printk),
	  ASM_STX(BPF_DW, 6, 0, 0), ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -32),
	  ASM_MOV64_IMM(2, 8), ASM_CALL_HELPER(BPF_FUNC_trace_printk), ASM_STX(BPF_DW, 6, 0, 8),
	  ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -40), ASM_MOV64_IMM(2, 8),
	  ASM_MOV64_IMM(3, 0x10), ASM_CALL_HELPER(BPF_FUNC_trace_printk), ASM_STX(BPF_DW, 6, 0, 16),
	  ASM_MOV64_REG(1, 10), ASM_ALU64_IMM(BPF_ADD, 1, -16), ASM_MOV64_IMM(2, 6),
	  ASM_CALL_HELPER(BPF_FUNC_trace_printk), ASM_EXIT());
	return 0;
}

static const char *tp_printk_check(const struct tp_env *env, uint64_t r0, const uint64_t *ctx)
{
	(void)env;
	if (ctx[0] != 9)
		return "\"x=%d s=%s\\n\" did not print 9 bytes";
	if (ctx[1] != (uint64_t)-EINVAL)
		return "%q is not -EINVAL";
	if (ctx[2] != 2)
		return "%s of an unreadable address did not print as empty";
	return r0 == (uint64_t)-EINVAL ? NULL : "a format without a NUL is not -EINVAL";
}

/* A bpf-to-bpf call (r0 = f(20) + 1 with f(x) = 2 * x) and a bounded loop summing 1..100. */
static int tp_calls_loops(struct tp_env *env, struct tp_buf *b, int *fds)
{
	(void)env, (void)fds;
	E(b, ASM_MOV64_REG(6, 1), ASM_MOV64_IMM(1, 20), ASM_CALL_LOCAL(8),
	  ASM_ALU64_IMM(BPF_ADD, 0, 1), ASM_STX(BPF_DW, 6, 0, 0), ASM_MOV64_IMM(0, 0),
	  ASM_MOV64_IMM(1, 1),
	  /* loop: r0 += r1; r1 += 1; if r1 <= 100 goto loop */
	  ASM_ALU64_REG(BPF_ADD, 0, 1), ASM_ALU64_IMM(BPF_ADD, 1, 1),
	  ASM_JMP_IMM(BPF_JLE, 1, 100, -3), ASM_EXIT(),
	  /* f */
	  ASM_MOV64_REG(0, 1), ASM_ALU64_IMM(BPF_LSH, 0, 1), ASM_EXIT());
	return 0;
}

static const char *tp_calls_loops_check(const struct tp_env *env, uint64_t r0, const uint64_t *ctx)
{
	(void)env;
	if (ctx[0] != 41)
		return "bpf-to-bpf call did not give 41";
	return r0 == 5050 ? NULL : "bounded loop did not sum to 5050";
}

static const struct tp_case tp_cases[] = {
	{"ret42", tp_ret42, tp_ret42_check},
	{"ctx", tp_ctx, tp_ctx_check},
	{"hash_ops", tp_hash_ops, tp_hash_ops_check},
	{"array_edges", tp_array_edges, tp_array_edges_check},
	{"time_cpu", tp_time_cpu, tp_time_cpu_check},
	{"task", tp_task, tp_task_check},
	{"percpu", tp_percpu, tp_percpu_check},
	{"for_each_array", tp_for_each_array, tp_for_each_check},
	{"for_each_hash", tp_for_each_hash, tp_for_each_check},
	{"for_each_delete", tp_for_each_delete, tp_for_each_delete_check},
	{"loop", tp_loop, tp_loop_check},
	{"printk", tp_printk, tp_printk_check},
	{"calls_loops", tp_calls_loops, tp_calls_loops_check},
};
#define TP_NCASES (sizeof(tp_cases) / sizeof(tp_cases[0]))

#endif
