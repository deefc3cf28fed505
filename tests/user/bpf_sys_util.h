/*
 * Helpers for the bpf(2) tests (tests/user/bpf_syscall*.c, bpf_hostile.c): attribute blocks built
 * field by field, as a program written against Linux's <linux/bpf.h> builds them, and the calls
 * made through the user library's bpf(), whose result is the kernel's unchanged. Programs are
 * hand-assembled with tests/host/bpf_asm.h.
 */
#ifndef TESTS_USER_BPF_SYS_UTIL_H
#define TESTS_USER_BPF_SYS_UTIL_H

#include <bpf.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>

#include "../host/bpf_asm.h"
#include "utest.h"

#define ATTR_END(field) (offsetof(union bpf_attr, field) + sizeof(((union bpf_attr *)0)->field))
#define NINSNS(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

static inline int sys_bpf(int cmd, union bpf_attr *attr)
{
	return bpf(cmd, attr, sizeof(*attr));
}

/* BPF_MAP_CREATE: the fd or -errno. */
static inline int map_create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = ks;
	a.value_size = vs;
	a.max_entries = max;
	a.map_flags = flags;
	return sys_bpf(BPF_MAP_CREATE, &a);
}

/* An element command on fd: key, value (or next key) and flags. */
static inline int map_elem(int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.value = (uint64_t)(uintptr_t)value;
	a.flags = flags;
	return sys_bpf(cmd, &a);
}

/* A BPF_PROG_LOAD attribute block with license "GPL" and no log. */
static inline void load_attr(union bpf_attr *a, uint32_t type, const struct bpf_insn *insns,
			     uint32_t n)
{
	memset(a, 0, sizeof(*a));
	a->prog_type = type;
	a->insns = (uint64_t)(uintptr_t)insns;
	a->insn_cnt = n;
	a->license = (uint64_t)(uintptr_t) "GPL";
}

/* Load a program; the verifier's log (level 1) goes to log (size bytes) if log is not NULL. */
static inline int prog_load_log(uint32_t type, const struct bpf_insn *insns, uint32_t n, char *log,
				uint32_t size)
{
	union bpf_attr a;

	load_attr(&a, type, insns, n);
	if (log) {
		a.log_level = 1;
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = size;
		log[0] = 0;
	}
	return sys_bpf(BPF_PROG_LOAD, &a);
}

static inline int prog_load(uint32_t type, const struct bpf_insn *insns, uint32_t n)
{
	return prog_load_log(type, insns, n, NULL, 0);
}

/* BPF_PROG_TEST_RUN of a SYSCALL program on ctx (size bytes, may be 0): the result, r0 in *retval. */
static inline int run_syscall_prog(int fd, void *ctx, uint32_t size, uint32_t repeat,
				   uint32_t *retval)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.ctx_in = (uint64_t)(uintptr_t)ctx;
	a.test.ctx_size_in = size;
	a.test.repeat = repeat;
	int r = sys_bpf(BPF_PROG_TEST_RUN, &a);
	if (retval)
		*retval = a.test.retval;
	return r;
}

/* Load a SYSCALL program and run it once without a context: r0, or -10000 - errno on failure. */
static inline long load_and_run(const struct bpf_insn *insns, uint32_t n)
{
	uint32_t r0 = 0;
	int fd = prog_load(BPF_PROG_TYPE_SYSCALL, insns, n);

	if (fd < 0)
		return -10000 + fd;
	int r = run_syscall_prog(fd, NULL, 0, 1, &r0);
	close(fd);
	return r ? -10000 + r : (long)r0;
}

/* BPF_OBJ_GET_INFO_BY_FD into info (len bytes): the result; *len_out the kernel's info_len. */
static inline int obj_info(int fd, void *info, uint32_t len, uint32_t *len_out)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = len;
	a.info.info = (uint64_t)(uintptr_t)info;
	int r = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
	if (len_out)
		*len_out = a.info.info_len;
	return r;
}

/*
 * Whether this kernel JIT-compiles programs (not booted with bpf.jit=0): a program's info shows
 * its machine code then. make test boots one machine each way.
 */
static inline bool jit_enabled(void)
{
	const struct bpf_insn ret0[] = {ASM_MOV64_IMM(0, 0), ASM_EXIT()};
	struct bpf_prog_info info;
	int fd = prog_load(BPF_PROG_TYPE_SYSCALL, ret0, NINSNS(ret0));

	memset(&info, 0, sizeof(info));
	bool jited =
		fd >= 0 && obj_info(fd, &info, sizeof(info), NULL) == 0 && info.jited_prog_len > 0;
	if (fd >= 0)
		close(fd);
	return jited;
}

/* Whether s contains word (the tests look for the verifier's reasons in its log). */
static inline bool contains(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (; *s; s++)
		if (!strncmp(s, word, n))
			return true;
	return false;
}

/* The number of ids GET_NEXT_ID lists for cmd (BPF_PROG_GET_NEXT_ID or BPF_MAP_GET_NEXT_ID). */
static inline int count_ids(int cmd)
{
	union bpf_attr a;
	int n = 0;

	memset(&a, 0, sizeof(a));
	while (sys_bpf(cmd, &a) == 0) {
		n++;
		a.start_id = a.next_id;
		a.next_id = 0;
	}
	return n;
}

#endif
