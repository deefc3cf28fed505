/*
 * bpf(2) from user space, the program commands: every program of tests/host/bpf_test_progs.h
 * loaded and test-run (each helper, for_each over ARRAY and HASH with a BPF callback, bpf_loop);
 * BPF_PROG_LOAD's errors in Linux's order, the verifier log's way back (ENOSPC, log_true_size,
 * EFAULT), fd_array and direct map values; program info (xlated and jited code, map ids, run
 * statistics); the id commands; BPF_PROG_TEST_RUN for SYSCALL (ctx in and out, repeat) and
 * SCHED_CLS programs (data in and out, __sk_buff in and out); LRU use marked by programs; and
 * programs and maps left loaded by a task that exits, which go with it.
 *
 * Role "spin" (for tests/kernel/test_bpf_prog.c): test-run a program with a repeat of 2^32 - 1
 * until the kernel kills the task.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "bpf_sys_util.h"
#include "../host/bpf_test_progs.h"

#define PAGE 4096ul

static char log[8192];

/* ---------------------------------------------------------------------------------------------
 * The shared programs through bpf(2)
 */

static int umap(struct tp_env *env, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max)
{
	(void)env;
	return map_create(type, ks, vs, max, 0);
}

static int uupdate(struct tp_env *env, int fd, const void *key, const void *value)
{
	(void)env;
	return map_elem(BPF_MAP_UPDATE_ELEM, fd, key, (void *)value, BPF_ANY);
}

/* Possible CPUs, as the kernel lays out a per-CPU value: the 8-byte slots a lookup writes. */
static uint32_t possible_cpus(void)
{
	static uint64_t buf[65];
	uint32_t k = 0, n = 0;
	int fd = map_create(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, 0);

	memset(buf, 0xaa, sizeof(buf));
	map_elem(BPF_MAP_LOOKUP_ELEM, fd, &k, buf, 0);
	close(fd);
	while (n < 64 && buf[n] == 0)
		n++;
	return n;
}

static void uenv(struct tp_env *env, const char *self)
{
	memset(env, 0, sizeof(*env));
	env->map = umap;
	env->update = uupdate;
	env->pid = getpid();
	env->ncpus = possible_cpus();
	for (int i = 0; i < TP_COMM_LEN - 1 && self[i]; i++)
		env->comm[i] = self[i];
}

static void test_shared_programs(const char *self)
{
	struct tp_env env;

	uenv(&env, self);
	for (size_t i = 0; i < TP_NCASES; i++) {
		const struct tp_case *c = &tp_cases[i];
		struct tp_buf b = {.n = 0};
		int fds[TP_MAX_MAPS] = {-1, -1};
		uint64_t ctx[TP_CTX_WORDS] = {0};
		uint32_t r0 = 0;

		int r = c->build(&env, &b, fds);
		CHECK(r == 0 && !b.overflow);
		int fd = prog_load_log(BPF_PROG_TYPE_SYSCALL, b.insns, b.n, log, sizeof(log));
		if (fd < 0) {
			printf("# %s: load failed: %d; log: %s\n", c->name, fd, log);
			utest_failures++;
		} else {
			CHECK_EQ(run_syscall_prog(fd, ctx, sizeof(ctx), 1, &r0), 0);
			/* retval is r0's low half; every case's r0 fits in a sign-extended one */
			const char *why = c->check(&env, (uint64_t)(int64_t)(int32_t)r0, ctx);
			if (why)
				printf("# %s: %s (r0 %x, ctx %lx %lx %lx %lx)\n", c->name, why, r0,
				       ctx[0], ctx[1], ctx[2], ctx[3]);
			CHECK(!why);
			close(fd);
		}
		for (int m = 0; m < TP_MAX_MAPS; m++)
			if (fds[m] >= 0)
				close(fds[m]);
	}
}

/* ---------------------------------------------------------------------------------------------
 * BPF_PROG_LOAD
 */

static const struct bpf_insn ret0[] = {ASM_MOV64_IMM(0, 0), ASM_EXIT()};

static void test_load_errors(void)
{
	union bpf_attr a;
	int progs = count_ids(BPF_PROG_GET_NEXT_ID);

	/* prog_flags first, then insn_cnt. */
	load_attr(&a, BPF_PROG_TYPE_SYSCALL, NULL, 0);
	a.prog_flags = 1u << 20;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);
	a.prog_flags = BPF_F_TOKEN_FD;
	a.prog_token_fd = 40;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EBADF);
	a.prog_token_fd = 1;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);
	a.prog_flags = a.prog_token_fd = 0;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -E2BIG);
	a.insn_cnt = 1000001;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -E2BIG);
	/* Then attach targets, then the copies. */
	a.insn_cnt = 2;
	a.attach_prog_fd = 3;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);
	a.attach_prog_fd = 0;
	a.attach_btf_id = 5;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);
	a.attach_btf_id = 0;
	a.expected_attach_type = 1; /* SYSCALL programs have none */
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);
	a.expected_attach_type = 0;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EFAULT); /* insns NULL */
	a.insns = KERNEL_TEXT;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EFAULT);
	uint8_t *pg = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
	munmap(pg + PAGE, PAGE);
	memcpy(pg + PAGE - 8, ret0, 8);
	a.insns = (uint64_t)(uintptr_t)(pg + PAGE - 8); /* the second instruction is unmapped */
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EFAULT);
	a.insns = (uint64_t)(uintptr_t)ret0;
	/* The license: a bad pointer is EFAULT (before the type is looked at); a long one is cut. */
	a.prog_type = 9999;
	a.license = 0;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EFAULT);
	a.license = KERNEL_TEXT;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EFAULT);
	a.license = (uint64_t)(uintptr_t) "GPL";
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);
	a.prog_type = BPF_PROG_TYPE_KPROBE;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);
	a.prog_type = BPF_PROG_TYPE_SYSCALL;
	a.prog_ifindex = 1;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);
	a.prog_ifindex = 0;
	memcpy(a.prog_name, "no spaces", 10);
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);
	memset(a.prog_name, 0, sizeof(a.prog_name));
	/* The log's attributes (the verifier's rules), then BTF records. */
	a.log_buf = (uint64_t)(uintptr_t)log;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL); /* a buffer without a level */
	a.log_level = 1;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL); /* no size */
	a.log_size = 0x40000000;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);
	a.log_size = sizeof(log);
	a.log_level = 32;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);
	a.log_level = 1;
	a.log_buf = 0;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL); /* a size without a buffer */
	a.log_level = a.log_size = 0;
	a.func_info_cnt = 1;
	a.prog_btf_fd = 40;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EBADF);
	a.prog_btf_fd = 1;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);
	a.func_info_cnt = a.prog_btf_fd = 0;
	a.core_relo_cnt = 1;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);
	a.core_relo_cnt = 0;
	/* Accepted flags: BPF_F_SLEEPABLE (libbpf's for SYSCALL programs). */
	a.prog_flags = BPF_F_SLEEPABLE;
	int fd = sys_bpf(BPF_PROG_LOAD, &a);
	CHECK(fd >= 0);
	close(fd);
	/* A SCHED_CLS program may name an attach type. */
	load_attr(&a, BPF_PROG_TYPE_SCHED_CLS, ret0, 2);
	a.expected_attach_type = 5;
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	CHECK(fd >= 0);
	close(fd);
	munmap(pg, PAGE);
	CHECK_EQ(count_ids(BPF_PROG_GET_NEXT_ID), progs);
}

/* The license decides gpl_compatible; one without a NUL within 127 bytes is cut, not refused. */
static void test_license(void)
{
	static const struct {
		const char *license;
		int gpl;
	} cases[] = {{"GPL", 1},          {"GPL v2", 1}, {"Dual BSD/GPL", 1},
		     {"Dual MIT/GPL", 1}, {"MIT", 0},    {"", 0}};
	union bpf_attr a;
	struct bpf_prog_info info;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		load_attr(&a, BPF_PROG_TYPE_SYSCALL, ret0, 2);
		a.license = (uint64_t)(uintptr_t)cases[i].license;
		int fd = sys_bpf(BPF_PROG_LOAD, &a);
		CHECK(fd >= 0);
		memset(&info, 0, sizeof(info));
		CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), 0);
		CHECK_EQ(info.gpl_compatible, cases[i].gpl);
		close(fd);
	}
	/* 200 bytes ending right at an unmapped page: only 127 are read. */
	uint8_t *pg = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
	munmap(pg + PAGE, PAGE);
	memset(pg + PAGE - 127, 'A', 127);
	load_attr(&a, BPF_PROG_TYPE_SYSCALL, ret0, 2);
	a.license = (uint64_t)(uintptr_t)(pg + PAGE - 127);
	int fd = sys_bpf(BPF_PROG_LOAD, &a);
	CHECK(fd >= 0);
	close(fd);
	munmap(pg, PAGE);
}

/* A program the verifier refuses with a long log: r0 is never set. */
static const struct bpf_insn no_r0[] = {
	ASM_MOV64_IMM(1, 1), ASM_MOV64_IMM(2, 2), ASM_MOV64_IMM(3, 3), ASM_MOV64_IMM(4, 4),
	ASM_MOV64_IMM(5, 5), ASM_MOV64_IMM(6, 6), ASM_MOV64_IMM(7, 7), ASM_MOV64_IMM(8, 8),
	ASM_MOV64_IMM(9, 9), ASM_EXIT(),
};

static void test_log(void)
{
	union bpf_attr a;
	uint8_t small[256];

	/* Enough room: the whole log, NUL-terminated, log_true_size its length with the NUL. */
	load_attr(&a, BPF_PROG_TYPE_SYSCALL, no_r0, NINSNS(no_r0));
	a.log_level = 1;
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = sizeof(log);
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EACCES);
	CHECK(contains(log, "R0 !read_ok"));
	uint32_t need = a.log_true_size;
	CHECK_EQ(need, strlen(log) + 1);
	/* Too small: ENOSPC, the log's end kept in log_size - 1 bytes and a NUL. */
	a.log_size = 128;
	memset(small, 0x7e, sizeof(small));
	a.log_buf = (uint64_t)(uintptr_t)small;
	a.log_true_size = 0;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -ENOSPC);
	CHECK_EQ(a.log_true_size, need);
	CHECK_EQ(strnlen((char *)small, 128), 127);
	CHECK_EQ(small[128], 0x7e); /* nothing past log_size */
	CHECK(contains((char *)small, "R0 !read_ok"));
	/* A one-byte log: just the NUL. No buffer and no size, with a level: the verdict and the
	   size needed (Linux 6.4+). */
	memset(small, 0x7e, sizeof(small));
	a.log_size = 1;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -ENOSPC);
	CHECK_EQ(small[0], 0);
	CHECK_EQ(small[1], 0x7e);
	a.log_size = 0;
	a.log_buf = 0;
	a.log_true_size = 0;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EACCES);
	CHECK_EQ(a.log_true_size, need);
	/* BPF_LOG_FIXED keeps the start instead. */
	a.log_buf = (uint64_t)(uintptr_t)small;
	a.log_size = 128;
	a.log_level = 1 | 8;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -ENOSPC);
	CHECK_EQ(strncmp((char *)small, log, 127), 0);
	/* log_true_size is written only when the size given covers it. */
	a.log_level = 1;
	a.log_size = sizeof(log);
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_true_size = 0xdead;
	CHECK_EQ(bpf(BPF_PROG_LOAD, &a, offsetof(union bpf_attr, log_true_size)), -EACCES);
	CHECK_EQ(a.log_true_size, 0xdead);
	/* A log that cannot be written back is EFAULT, for a good program too (then not loaded). */
	int progs = count_ids(BPF_PROG_GET_NEXT_ID);
	a.log_buf = KERNEL_TEXT;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EFAULT);
	load_attr(&a, BPF_PROG_TYPE_SYSCALL, ret0, 2);
	a.log_level = 1;
	a.log_buf = (uint64_t)(uintptr_t)(USER_TOP - 16);
	a.log_size = 4096;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EFAULT);
	CHECK_EQ(count_ids(BPF_PROG_GET_NEXT_ID), progs);
	/* A good program's log, and its size. */
	a.log_buf = (uint64_t)(uintptr_t)log;
	int fd = sys_bpf(BPF_PROG_LOAD, &a);
	CHECK(fd >= 0);
	CHECK_EQ(a.log_true_size, strlen(log) + 1);
	close(fd);
	/* A huge log_size is accepted (the kernel buffer is bounded, include/uapi/bpf.h). */
	a.log_size = 0x3fffffff;
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	CHECK(fd >= 0);
	close(fd);
}

/* Maps named through fd_array (BPF_PSEUDO_MAP_IDX) and through fds, good and bad. */
static void test_map_refs(void)
{
	int mfd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	uint32_t k = 0;
	uint64_t v = 1234;
	union bpf_attr a;
	uint32_t r0;

	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, mfd, &k, &v, 0), 0);
	/* r0 = *(u64 *)lookup(fd_array[1], 0) */
	struct bpf_insn idx[] = {
		ASM_ST(BPF_W, 10, -4, 0),
		ASM_LD_PSEUDO(1, BPF_PSEUDO_MAP_IDX, 1, 0),
		ASM_MOV64_REG(2, 10),
		ASM_ALU64_IMM(BPF_ADD, 2, -4),
		ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		ASM_JMP_IMM(BPF_JEQ, 0, 0, 1),
		ASM_LDX(BPF_DW, 0, 0, 0),
		ASM_EXIT(),
	};
	int fd_array[2] = {-1, mfd};
	load_attr(&a, BPF_PROG_TYPE_SYSCALL, idx, NINSNS(idx));
	a.fd_array = (uint64_t)(uintptr_t)fd_array;
	int fd = sys_bpf(BPF_PROG_LOAD, &a);
	CHECK(fd >= 0);
	CHECK_EQ(run_syscall_prog(fd, NULL, 0, 1, &r0), 0);
	CHECK_EQ(r0, 1234);
	close(fd);
	a.fd_array = 0;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EPROTO);
	a.fd_array = KERNEL_TEXT;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EFAULT);
	fd_array[1] = 40;
	a.fd_array = (uint64_t)(uintptr_t)fd_array;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EBADF);
	fd_array[1] = 1;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);

	/* BPF_PSEUDO_MAP_VALUE: a single-element array's value, read directly (global data). */
	struct bpf_insn val[] = {ASM_LD_PSEUDO(1, BPF_PSEUDO_MAP_VALUE, mfd, 0),
				 ASM_LDX(BPF_DW, 0, 1, 0), ASM_EXIT()};
	fd = prog_load_log(BPF_PROG_TYPE_SYSCALL, val, NINSNS(val), log, sizeof(log));
	CHECK(fd >= 0);
	CHECK_EQ(run_syscall_prog(fd, NULL, 0, 1, &r0), 0);
	CHECK_EQ(r0, 1234);
	close(fd);
	int hfd = map_create(BPF_MAP_TYPE_HASH, 4, 8, 1, 0);
	val[0].imm = hfd;
	CHECK_EQ(prog_load_log(BPF_PROG_TYPE_SYSCALL, val, NINSNS(val), log, sizeof(log)), -EINVAL);
	close(hfd);

	/* The fd in an LD_IMM64 BPF_PSEUDO_MAP_FD: not open EBADF, not a map EINVAL. */
	struct bpf_insn ld[] = {ASM_LD_MAP_FD(1, 40), ASM_MOV64_IMM(0, 0), ASM_EXIT()};
	CHECK_EQ(prog_load_log(BPF_PROG_TYPE_SYSCALL, ld, NINSNS(ld), log, sizeof(log)), -EBADF);
	CHECK(contains(log, "not pointing to valid bpf_map"));
	ld[0].imm = 1;
	CHECK_EQ(prog_load_log(BPF_PROG_TYPE_SYSCALL, ld, NINSNS(ld), log, sizeof(log)), -EINVAL);
	close(mfd);
}

/* A full fd table: EMFILE, and the program that was made for it is gone. */
static void test_emfile(void)
{
	int fds[64], n = 0;
	int progs = count_ids(BPF_PROG_GET_NEXT_ID);

	for (int fd; n < 64 && (fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0)) >= 0;)
		fds[n++] = fd;
	CHECK_EQ(prog_load(BPF_PROG_TYPE_SYSCALL, ret0, 2), -EMFILE);
	CHECK_EQ(count_ids(BPF_PROG_GET_NEXT_ID), progs);
	close(fds[--n]);
	int fd = prog_load(BPF_PROG_TYPE_SYSCALL, ret0, 2);
	CHECK(fd >= 0);
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	struct bpf_prog_info info;
	memset(&info, 0, sizeof(info));
	obj_info(fd, &info, sizeof(info), NULL);
	a.prog_id = info.id;
	CHECK_EQ(sys_bpf(BPF_PROG_GET_FD_BY_ID, &a), -EMFILE);
	close(fd);
	while (n)
		close(fds[--n]);
}

/* ---------------------------------------------------------------------------------------------
 * Info and ids
 */

static void test_prog_info(void)
{
	int mfd = map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, 0);
	struct bpf_insn insns[] = {
		ASM_ST(BPF_W, 10, -4, 0),
		ASM_LD_MAP_FD(1, mfd),
		ASM_MOV64_REG(2, 10),
		ASM_ALU64_IMM(BPF_ADD, 2, -4),
		ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		ASM_MOV64_IMM(0, 3),
		ASM_EXIT(),
	};
	union bpf_attr a;
	struct bpf_prog_info info;
	uint32_t len, map_ids[4] = {0}, ksyms_lens[4] = {0};
	uint64_t ksyms[4] = {0};
	static struct bpf_insn xlated[32];
	static uint8_t jited[4096];

	load_attr(&a, BPF_PROG_TYPE_SYSCALL, insns, NINSNS(insns));
	memcpy(a.prog_name, "info_prog", 10);
	int fd = sys_bpf(BPF_PROG_LOAD, &a);
	CHECK(fd >= 0);
	struct bpf_map_info minfo;
	CHECK_EQ(obj_info(mfd, &minfo, sizeof(minfo), NULL), 0);

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 4;
	info.map_ids = (uint64_t)(uintptr_t)map_ids;
	info.xlated_prog_len = sizeof(xlated);
	info.xlated_prog_insns = (uint64_t)(uintptr_t)xlated;
	info.jited_prog_len = sizeof(jited);
	info.jited_prog_insns = (uint64_t)(uintptr_t)jited;
	info.nr_jited_ksyms = 4;
	info.jited_ksyms = (uint64_t)(uintptr_t)ksyms;
	info.nr_jited_func_lens = 4;
	info.jited_func_lens = (uint64_t)(uintptr_t)ksyms_lens;
	CHECK_EQ(obj_info(fd, &info, sizeof(info), &len), 0);
	CHECK_EQ(len, sizeof(info));
	CHECK_EQ(info.type, BPF_PROG_TYPE_SYSCALL);
	CHECK(info.id > 0);
	CHECK(!strcmp(info.name, "info_prog"));
	CHECK_EQ(info.nr_map_ids, 1);
	CHECK_EQ(map_ids[0], minfo.id);
	CHECK_EQ(map_ids[1], 0);
	CHECK_EQ(info.xlated_prog_len, NINSNS(insns) * sizeof(struct bpf_insn));
	/* The map's address shows as BPF_PSEUDO_MAP_FD with its id, as Linux dumps it. */
	CHECK_EQ(xlated[1].code, BPF_LD | BPF_IMM | BPF_DW);
	CHECK_EQ(xlated[1].src_reg, BPF_PSEUDO_MAP_FD);
	CHECK_EQ(xlated[1].imm, minfo.id);
	CHECK_EQ(xlated[2].imm, 0);
	CHECK_EQ(memcmp(&xlated[5], &insns[5], 2 * sizeof(struct bpf_insn)), 0);
	CHECK(info.verified_insns > 0);
	CHECK(info.load_time > 0);
	CHECK_EQ(info.gpl_compatible, 1);
	CHECK_EQ(info.func_info_rec_size, sizeof(struct bpf_func_info));
	CHECK_EQ(info.line_info_rec_size, sizeof(struct bpf_line_info));
	if (jit_enabled()) { /* the code and its one symbol */
		CHECK(info.jited_prog_len > 0 && info.jited_prog_len <= sizeof(jited));
		CHECK_EQ(info.nr_jited_ksyms, 1);
		CHECK_EQ(info.nr_jited_func_lens, 1);
		CHECK_EQ(ksyms_lens[0], info.jited_prog_len);
		CHECK(ksyms[0] >= 0xffff800000000000ul);
		CHECK(jited[0] != 0 || jited[1] != 0);
	} else { /* bpf.jit=0: no machine code to show */
		CHECK_EQ(info.jited_prog_len, 0);
		CHECK_EQ(info.nr_jited_ksyms, 0);
		CHECK_EQ(info.nr_jited_func_lens, 0);
	}
	CHECK_EQ(info.run_cnt, 0);

	/* Test runs count. */
	uint32_t r0;
	CHECK_EQ(run_syscall_prog(fd, NULL, 0, 100, &r0), 0);
	CHECK_EQ(r0, 3);
	memset(&info, 0, sizeof(info));
	CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), 0);
	CHECK_EQ(info.run_cnt, 100);
	CHECK(info.run_time_ns > 0);
	CHECK_EQ(info.nr_map_ids, 1); /* asked for none: the count, nothing copied */

	/* Short and long info_len, record sizes, bad pointers. */
	memset(&info, 0xcc, sizeof(info));
	CHECK_EQ(obj_info(fd, &info, 4, &len), 0);
	CHECK_EQ(len, 4);
	CHECK_EQ(info.type, BPF_PROG_TYPE_SYSCALL);
	CHECK_EQ(info.id, 0xcccccccc);
	static uint8_t big[sizeof(struct bpf_prog_info) + 16];
	memset(big, 0, sizeof(big));
	CHECK_EQ(obj_info(fd, big, sizeof(big), &len), 0);
	CHECK_EQ(len, sizeof(struct bpf_prog_info));
	big[sizeof(big) - 2] = 1;
	CHECK_EQ(obj_info(fd, big, sizeof(big), &len), -E2BIG);
	memset(&info, 0, sizeof(info));
	info.func_info_rec_size = 3;
	CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), -EINVAL);
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 1;
	info.map_ids = KERNEL_TEXT;
	CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), -EFAULT);
	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = 8;
	info.xlated_prog_insns = 0;
	CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), -EFAULT);
	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = 8; /* cut to what the caller asked for */
	info.xlated_prog_insns = (uint64_t)(uintptr_t)xlated;
	memset(xlated, 0, sizeof(xlated));
	CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), 0);
	CHECK_EQ(xlated[0].code, BPF_ST | BPF_MEM | BPF_W);
	CHECK_EQ(xlated[1].code, 0);
	CHECK_EQ(obj_info(fd, (void *)KERNEL_TEXT, sizeof(info), NULL), -EFAULT);
	close(fd);
	close(mfd);
}

static void test_prog_ids(void)
{
	int before = count_ids(BPF_PROG_GET_NEXT_ID);
	int fd = prog_load(BPF_PROG_TYPE_SYSCALL, ret0, 2);
	int fd2 = prog_load(BPF_PROG_TYPE_SYSCALL, ret0, 2);
	struct bpf_prog_info info;
	union bpf_attr a;

	CHECK_EQ(count_ids(BPF_PROG_GET_NEXT_ID), before + 2);
	memset(&info, 0, sizeof(info));
	CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), 0);
	memset(&a, 0, sizeof(a));
	a.start_id = info.id;
	CHECK_EQ(sys_bpf(BPF_PROG_GET_NEXT_ID, &a), 0);
	CHECK(a.next_id > info.id);
	a.open_flags = 1; /* past GET_NEXT_ID's last field */
	CHECK_EQ(sys_bpf(BPF_PROG_GET_NEXT_ID, &a), -EINVAL);
	memset(&a, 0, sizeof(a));
	a.prog_id = info.id;
	int again = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
	CHECK(again >= 0);
	uint32_t r0 = 7;
	CHECK_EQ(run_syscall_prog(again, NULL, 0, 1, &r0), 0);
	CHECK_EQ(r0, 0);
	a.open_flags = BPF_F_RDONLY; /* past PROG_GET_FD_BY_ID's last field */
	CHECK_EQ(sys_bpf(BPF_PROG_GET_FD_BY_ID, &a), -EINVAL);
	a.open_flags = 0;
	close(fd);
	close(again);
	CHECK_EQ(sys_bpf(BPF_PROG_GET_FD_BY_ID, &a), -ENOENT);
	a.prog_id = 0;
	CHECK_EQ(sys_bpf(BPF_PROG_GET_FD_BY_ID, &a), -ENOENT);
	/* A program fd is not a map fd, nor the other way round. */
	uint32_t k = 0;
	uint64_t v;
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, fd2, &k, &v, 0), -EINVAL);
	CHECK_EQ(map_elem(BPF_MAP_FREEZE, fd2, NULL, NULL, 0), -EINVAL);
	CHECK_EQ(bpf_map_lookup_elem(fd2, &k, &v), -EINVAL);
	close(fd2);
	CHECK_EQ(count_ids(BPF_PROG_GET_NEXT_ID), before);
}

/* ---------------------------------------------------------------------------------------------
 * BPF_PROG_TEST_RUN
 */

static void test_run_syscall(void)
{
	/* ctx[0] += 5; r0 = ctx[1] + 1: the verifier's max_ctx_offset is 16. */
	static const struct bpf_insn insns[] = {
		ASM_LDX(BPF_DW, 2, 1, 0), ASM_ALU64_IMM(BPF_ADD, 2, 5), ASM_STX(BPF_DW, 1, 2, 0),
		ASM_LDX(BPF_DW, 0, 1, 8), ASM_ALU64_IMM(BPF_ADD, 0, 1), ASM_EXIT(),
	};
	int fd = prog_load(BPF_PROG_TYPE_SYSCALL, insns, NINSNS(insns));
	uint64_t ctx[3] = {1, 41, 0}, out[3] = {0};
	union bpf_attr a;
	uint32_t r0;

	CHECK(fd >= 0);
	CHECK_EQ(run_syscall_prog(fd, ctx, 16, 1, &r0), 0);
	CHECK_EQ(r0, 42);
	CHECK_EQ(ctx[0], 6); /* written back over ctx_in, as Linux */
	/* repeat: every run sees the context the last one left. */
	CHECK_EQ(run_syscall_prog(fd, ctx, 24, 10, &r0), 0);
	CHECK_EQ(ctx[0], 56);
	/* Sizes: below max_ctx_offset or above 0xffff EINVAL; a pointer and its size go together. */
	CHECK_EQ(run_syscall_prog(fd, ctx, 15, 1, &r0), -EINVAL);
	CHECK_EQ(run_syscall_prog(fd, NULL, 0, 1, &r0), -EINVAL);
	CHECK_EQ(run_syscall_prog(fd, malloc(0x10000), 0x10000, 1, &r0), -EINVAL);
	CHECK_EQ(run_syscall_prog(fd, NULL, 16, 1, &r0), -EINVAL);
	CHECK_EQ(run_syscall_prog(fd, (void *)KERNEL_TEXT, 16, 1, &r0), -EFAULT);
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.ctx_in = (uint64_t)(uintptr_t)ctx;
	a.test.ctx_size_in = 24;
	a.test.ctx_out = (uint64_t)(uintptr_t)out;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -EINVAL); /* ctx_out without its size */
	a.test.ctx_size_out = 24;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), 0);
	CHECK_EQ(out[0], 61);
	CHECK_EQ(a.test.ctx_size_out, 24);
	CHECK_EQ(a.test.retval, 42);
	a.test.duration = 0; /* written back by the run; an input duration is EINVAL */
	a.test.ctx_size_out = 8;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -ENOSPC);
	CHECK_EQ(a.test.ctx_size_out, 24);
	a.test.ctx_size_out = 24;
	a.test.duration = 0;
	/* No data, no flags, no input duration for SYSCALL programs. */
	a.test.data_in = (uint64_t)(uintptr_t)out;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -EINVAL);
	a.test.data_in = 0;
	a.test.data_out = (uint64_t)(uintptr_t)out;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -EINVAL);
	a.test.data_out = 0;
	a.test.flags = BPF_F_TEST_RUN_ON_CPU;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -EINVAL);
	a.test.flags = 0;
	a.test.duration = 1;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -EINVAL);
	a.test.duration = 0;
	/* Program fds only: bad fds EBADF, a map or the console EINVAL. */
	int mfd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	a.test.prog_fd = (uint32_t)mfd;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -EINVAL);
	a.test.prog_fd = 1;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -EINVAL);
	a.test.prog_fd = 40;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -EBADF);
	close(mfd);
	/* The results are written into the caller's attributes: read-only ones are EFAULT. */
	union bpf_attr *ro =
		mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
	memset(ro, 0, sizeof(*ro));
	ro->test.prog_fd = (uint32_t)fd;
	ro->test.ctx_in = (uint64_t)(uintptr_t)ctx;
	ro->test.ctx_size_in = 16;
	mprotect(ro, PAGE, PROT_READ);
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, ro), -EFAULT);
	munmap(ro, PAGE);

	/* A long repeat: the mean duration is reported, and it is preemptible (other tests run on). */
	static const struct bpf_insn busy[] = {
		ASM_MOV64_IMM(0, 0),
		ASM_ALU64_IMM(BPF_ADD, 0, 1),
		ASM_JMP_IMM(BPF_JLT, 0, 1000, -2),
		ASM_EXIT(),
	};
	int bfd = prog_load(BPF_PROG_TYPE_SYSCALL, busy, NINSNS(busy));
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)bfd;
	a.test.repeat = 2000;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), 0);
	CHECK_EQ(a.test.retval, 1000);
	CHECK(a.test.duration > 0);
	close(bfd);
	close(fd);
}

/* A tc program: r0 = protocol | ifindex << 16 | pkt_type << 24; mark += 1; cb[0] = len. */
static const struct bpf_insn skb_prog[] = {
	ASM_LDX(BPF_W, 2, 1, offsetof(struct __sk_buff, len)),
	ASM_LDX(BPF_W, 3, 1, offsetof(struct __sk_buff, mark)),
	ASM_ALU64_IMM(BPF_ADD, 3, 1),
	ASM_STX(BPF_W, 1, 3, offsetof(struct __sk_buff, mark)),
	ASM_STX(BPF_W, 1, 2, offsetof(struct __sk_buff, cb[0])),
	ASM_LDX(BPF_W, 0, 1, offsetof(struct __sk_buff, protocol)),
	ASM_LDX(BPF_W, 2, 1, offsetof(struct __sk_buff, ifindex)),
	ASM_ALU64_IMM(BPF_LSH, 2, 16),
	ASM_ALU64_REG(BPF_OR, 0, 2),
	ASM_LDX(BPF_W, 2, 1, offsetof(struct __sk_buff, pkt_type)),
	ASM_ALU64_IMM(BPF_LSH, 2, 24),
	ASM_ALU64_REG(BPF_OR, 0, 2),
	ASM_EXIT(),
};

static void test_run_skb(void)
{
	int fd = prog_load_log(BPF_PROG_TYPE_SCHED_CLS, skb_prog, NINSNS(skb_prog), log,
			       sizeof(log));
	uint8_t pkt[64], out[64];
	struct __sk_buff ctx, ctx_out;
	union bpf_attr a;

	if (fd < 0)
		printf("# tc program refused: %d: %s\n", fd, log);
	CHECK(fd >= 0);
	memset(pkt, 0, sizeof(pkt));
	memset(pkt, 0xff, 6); /* broadcast */
	pkt[12] = 0x08;       /* IPv4 */
	pkt[20] = 0x5a;
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uint64_t)(uintptr_t)pkt;
	a.test.data_size_in = sizeof(pkt);
	a.test.data_out = (uint64_t)(uintptr_t)out;
	a.test.repeat = 3;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), 0);
	CHECK_EQ(a.test.retval,
		 0x0008 | 1 << 16 | 1 << 24); /* big-endian ETH_P_IP, loopback, broadcast */
	CHECK_EQ(a.test.data_size_out, sizeof(pkt));
	CHECK_EQ(memcmp(out, pkt, sizeof(pkt)), 0);
	/* data_size_out smaller: ENOSPC, the data cut, the results still written. */
	a.test.data_size_out = 20;
	a.test.retval = 0;
	memset(out, 0, sizeof(out));
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -ENOSPC);
	CHECK_EQ(a.test.data_size_out, sizeof(pkt));
	CHECK_EQ(out[20], 0);
	CHECK_EQ(out[12], 0x08);
	CHECK(a.test.retval != 0);
	a.test.data_size_out = 0;
	/* A context in and out: the fields a test may set (mark, cb...), others must be zero. */
	memset(&ctx, 0, sizeof(ctx));
	ctx.mark = 41;
	ctx.cb[1] = 9;
	a.test.ctx_in = (uint64_t)(uintptr_t)&ctx;
	a.test.ctx_size_in = sizeof(ctx);
	a.test.ctx_out = (uint64_t)(uintptr_t)&ctx_out;
	a.test.ctx_size_out = sizeof(ctx_out);
	a.test.repeat = 1;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), 0);
	CHECK_EQ(ctx_out.mark, 42);
	CHECK_EQ(ctx_out.cb[0], sizeof(pkt));
	CHECK_EQ(ctx_out.cb[1], 9);
	CHECK_EQ(ctx_out.ifindex, 1);
	CHECK_EQ(ctx_out.wire_len, sizeof(pkt));
	CHECK_EQ(ctx_out.len, 0); /* not a field a test gets back */
	CHECK_EQ(a.test.ctx_size_out, sizeof(ctx));
	ctx.len = 5;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -EINVAL);
	ctx.len = 0;
	ctx.ifindex = 2;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -ENODEV);
	ctx.ifindex = 0;
	ctx.wire_len = 10; /* shorter than the packet */
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -EINVAL);
	ctx.wire_len = 0;
	/* A larger __sk_buff: zero tail fine, nonzero E2BIG. */
	static uint8_t bigctx[sizeof(struct __sk_buff) + 8];
	memset(bigctx, 0, sizeof(bigctx));
	a.test.ctx_in = (uint64_t)(uintptr_t)bigctx;
	a.test.ctx_size_in = sizeof(bigctx);
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), 0);
	bigctx[sizeof(bigctx) - 1] = 1;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -E2BIG);
	a.test.ctx_in = a.test.ctx_out = 0;
	a.test.ctx_size_in = a.test.ctx_size_out = 0;
	/* Data sizes: at least an Ethernet header, at most a page less Linux's head and tail room. */
	a.test.data_size_in = 13;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -EINVAL);
	a.test.data_size_in = 3713;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -EINVAL);
	a.test.data_size_in = 14;
	a.test.data_in = KERNEL_TEXT;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -EFAULT);
	a.test.data_in = (uint64_t)(uintptr_t)pkt;
	a.test.data_out = 0;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), 0);
	a.test.flags = 1;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -EINVAL);
	a.test.flags = 0;
	a.test.cpu = 1;
	CHECK_EQ(sys_bpf(BPF_PROG_TEST_RUN, &a), -EINVAL);
	close(fd);
}

/* A program's lookup marks an LRU element used; the syscall's does not. */
static void test_lru_from_program(void)
{
	int mfd = map_create(BPF_MAP_TYPE_LRU_HASH, 4, 8, 2, 0);
	uint64_t v = 0;
	uint32_t k;

	for (k = 1; k <= 2; k++)
		CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, mfd, &k, &v, 0), 0);
	struct bpf_insn insns[] = {
		ASM_ST(BPF_W, 10, -4, 1),
		ASM_LD_MAP_FD(1, mfd),
		ASM_MOV64_REG(2, 10),
		ASM_ALU64_IMM(BPF_ADD, 2, -4),
		ASM_CALL_HELPER(BPF_FUNC_map_lookup_elem),
		ASM_MOV64_IMM(0, 0),
		ASM_EXIT(),
	};
	CHECK_EQ(load_and_run(insns, NINSNS(insns)), 0); /* 1 is now the most recently used */
	k = 3;
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, mfd, &k, &v, 0), 0); /* evicts 2 */
	k = 2;
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, mfd, &k, &v, 0), -ENOENT);
	k = 1;
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, mfd, &k, &v, 0), 0);
	close(mfd);
}

/* ---------------------------------------------------------------------------------------------
 * Roles and exit
 */

/* Load programs that use maps, run them, and exit with everything still open. */
static int role_leave(void)
{
	for (int i = 0; i < 8; i++) {
		int mfd =
			map_create(i & 1 ? BPF_MAP_TYPE_HASH : BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, 0);
		struct bpf_insn insns[] = {
			ASM_ST(BPF_W, 10, -4, 1),
			ASM_ST(BPF_DW, 10, -16, 5),
			ASM_LD_MAP_FD(1, mfd),
			ASM_MOV64_REG(2, 10),
			ASM_ALU64_IMM(BPF_ADD, 2, -4),
			ASM_MOV64_REG(3, 10),
			ASM_ALU64_IMM(BPF_ADD, 3, -16),
			ASM_MOV64_IMM(4, 0),
			ASM_CALL_HELPER(BPF_FUNC_map_update_elem),
			ASM_EXIT(),
		};
		int fd = prog_load(BPF_PROG_TYPE_SYSCALL, insns, NINSNS(insns));
		uint32_t r0 = 1;
		if (mfd < 0 || fd < 0 || run_syscall_prog(fd, NULL, 0, 1, &r0) || r0)
			return 1;
		/* the program alone holds this one */
		if (i & 2)
			close(mfd);
	}
	return 0;
}

/* Test-run an empty program 2^32 - 1 times: only being killed ends it. */
static int role_spin(void)
{
	int fd = prog_load(BPF_PROG_TYPE_SYSCALL, ret0, 2);

	run_syscall_prog(fd, NULL, 0, 0xffffffffu, NULL);
	return 1;
}

static void test_exit_releases(const char *self)
{
	int progs = count_ids(BPF_PROG_GET_NEXT_ID), maps = count_ids(BPF_MAP_GET_NEXT_ID);

	for (int i = 0; i < 3; i++) {
		int st = run_self(self, "leave", NULL);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	CHECK_EQ(count_ids(BPF_PROG_GET_NEXT_ID), progs);
	CHECK_EQ(count_ids(BPF_MAP_GET_NEXT_ID), maps);
}

int main(int argc, char **argv)
{
	if (argc >= 2)
		return !strcmp(argv[1], "leave")  ? role_leave()
		       : !strcmp(argv[1], "spin") ? role_spin()
						  : 101;
	test_shared_programs(argv[0]);
	test_load_errors();
	test_license();
	test_log();
	test_map_refs();
	test_emfile();
	test_prog_info();
	test_prog_ids();
	test_run_syscall();
	test_run_skb();
	test_lru_from_program();
	test_exit_releases(argv[0]);
	return utest_result("bpf_syscall_prog");
}
