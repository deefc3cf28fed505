/*
 * In-guest benchmark of the BPF callback calls (run by `make bench`; one line per figure). Times
 * are TSC cycles read through uptime(); under QEMU's TCG they are emulated, so the ratios are the
 * figures to compare. Each figure is the best of ROUNDS rounds, per operation; the per-call
 * figures (getpid, find_vma, the test runs one per call) are the best of CALL_ROUNDS short rounds
 * of ROUND_CALLS calls instead, so that a host busy with other work (TCG's cycles are host time)
 * still leaves some rounds untouched.
 *
 *   getpid round trip                  entering and leaving the kernel once
 *   find_vma callback round trip       bpf_find_vma on itself with a callback that returns 0:
 *                                      one system call, one trip to ring 3 and back through the
 *                                      trampoline (SYS_cb_return), and the VMA lookup
 *   BPF find_vma round trip            a BPF_PROG_TYPE_SYSCALL program (user/bpf/bench_find_vma.bpf.c)
 *                                      run by BPF_PROG_TEST_RUN, one run per call, calls bpf_find_vma
 *                                      on the current task with a BPF callback that returns 0: the
 *                                      bpf(2) call, the run, the lookup and the callback; and per
 *                                      run of one BPF_PROG_TEST_RUN with repeat (no bpf(2) call each)
 *   empty BPF_PROG_TEST_RUN            the same call running a program that only returns 0: the
 *                                      fixed cost of the bpf(2) call and the test run
 *   for_each_map_elem, 10^4 elements   per element (one callback each), ARRAY and HASH
 *   1500 mappings: iterator vs chain   cycles per VMA (and VMAs per 10^6 cycles) of the task_vma
 *                                      iterator (batches of 32) and of find_vma called from each
 *                                      VMA's end
 *   BPF for_each_map_elem, 10^4        per element, ARRAY and HASH: a BPF_PROG_TYPE_SYSCALL program
 *     elements                         run by BPF_PROG_TEST_RUN calls bpf_for_each_map_elem with a
 *                                      BPF callback that returns 0 (the bpf(2) call's own cost is
 *                                      spread over the elements). The executor is whichever the
 *                                      kernel chose, read back from the program's info (JIT code
 *                                      length 0: the interpreter): `make bench` boots once with the
 *                                      JIT and once with bpf.jit=0, running this program both times.
 *   open-coded task_vma iterator,      cycles per VMA of bpf_for_each(task_vma, ...) in a SYSCALL
 *     1500 mappings                    program (tests/bpf/task_vma_iter.bpf.c, count_all) run by
 *                                      BPF_PROG_TEST_RUN over the task's every VMA (the 1500 pages
 *                                      and the rest), beside the native iterator's figure above
 * Exits 1 if a call fails.
 */
#include <bench.h>
#include <bpf.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bench_find_vma.skel.h"
#include "task_vma_iter.skel.h"

#define PG 4096ul
#define ROUNDS 10
#define GETPID_CALLS 20000
#define FIND_VMA_CALLS 5000
#define CALL_ROUNDS 250
#define ROUND_CALLS 200
#define ELEMS 10000
#define NMAPS 1500

static int failed;

static void fail(const char *what, long r)
{
	printf("bench_bpf: %s failed: %ld\n", what, r);
	failed = 1;
}

__attribute__((noinline)) static int text_fn(int x)
{
	return x + 2;
}

static long nop_vma_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx)
{
	(void)task;
	(void)vma;
	(void)ctx;
	return 0;
}

static long nop_elem_cb(int fd, const void *key, void *value, void *ctx)
{
	(void)fd;
	(void)key;
	(void)value;
	(void)ctx;
	return 0;
}

static long end_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx)
{
	(void)task;
	*(uint64_t *)ctx = vma->vm_end;
	return 0;
}

static uint64_t bench_find_vma(void)
{
	uint64_t best = ~0ul;

	for (int round = 0; round < CALL_ROUNDS; round++) {
		uint64_t t0 = uptime();
		for (int i = 0; i < ROUND_CALLS; i++) {
			long r = bpf_find_vma(0, (uint64_t)text_fn, nop_vma_cb, NULL, 0);
			if (r) {
				fail("find_vma", r);
				return 0;
			}
		}
		uint64_t t = (uptime() - t0) / ROUND_CALLS;
		if (t < best)
			best = t;
	}
	return best;
}

/*
 * The fixed cost of BPF_PROG_TEST_RUN: cycles per call running a SYSCALL program that only
 * returns 0, through libbpf's bpf_prog_test_run_opts as a program's user half calls it.
 */
static uint64_t bench_empty_test_run(void)
{
	const struct bpf_insn insns[] = {
		{BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},
		{BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SYSCALL, "empty", "GPL", insns, 2, NULL);
	uint64_t best = ~0ul;

	if (fd < 0) {
		fail("empty program load", fd);
		return 0;
	}
	for (int round = 0; round < CALL_ROUNDS && !failed; round++) {
		uint64_t t0 = uptime();
		for (int i = 0; i < ROUND_CALLS; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, opts);
			int r = bpf_prog_test_run_opts(fd, &opts);
			if (r) {
				fail("empty program test run", r);
				break;
			}
		}
		uint64_t t = (uptime() - t0) / ROUND_CALLS;
		if (t < best)
			best = t;
	}
	close(fd);
	return best;
}

/*
 * bpf_find_vma from a BPF program: cycles per call with one BPF_PROG_TEST_RUN per call, and in
 * *in_run per run of one BPF_PROG_TEST_RUN repeating the program (the bpf(2) call spread out).
 */
static uint64_t bench_prog_find_vma(bool *jited, uint64_t *in_run)
{
	struct bench_find_vma *skel = bench_find_vma__open_and_load();
	uint64_t best = ~0ul;

	*in_run = 0;
	if (!skel) {
		fail("find_vma program load", -1);
		return 0;
	}
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	int fd = bpf_program__fd(skel->progs.find_vma_once);
	memset(&info, 0, sizeof(info));
	*jited = !bpf_obj_get_info_by_fd(fd, &info, &len) && info.jited_prog_len > 0;
	skel->bss->addr = (uint64_t)text_fn;
	for (int round = 0; round < CALL_ROUNDS && !failed; round++) {
		uint64_t t0 = uptime();
		for (int i = 0; i < ROUND_CALLS; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, opts);
			int r = bpf_prog_test_run_opts(fd, &opts);
			if (r || skel->data->ret) {
				fail("find_vma program", r ? r : skel->data->ret);
				break;
			}
		}
		uint64_t t = (uptime() - t0) / ROUND_CALLS;
		if (t < best)
			best = t;
	}
	*in_run = ~0ul;
	for (int round = 0; round < ROUNDS && !failed; round++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = FIND_VMA_CALLS);
		uint64_t t0 = uptime();
		int r = bpf_prog_test_run_opts(fd, &opts);
		uint64_t t = (uptime() - t0) / FIND_VMA_CALLS;
		if (r || skel->data->ret) {
			fail("find_vma program, repeated", r ? r : skel->data->ret);
			break;
		}
		if (t < *in_run)
			*in_run = t;
	}
	bench_find_vma__destroy(skel);
	return best;
}

/* A map of `type` holding ELEMS elements (keys 0..ELEMS-1): its fd, or -1 after fail(). */
static int filled_map(enum bpf_map_type type)
{
	int fd = bpf_native_map_create(type, sizeof(uint32_t), sizeof(uint64_t), ELEMS);

	if (fd < 0) {
		fail("map_create", fd);
		return -1;
	}
	for (uint32_t k = 0; k < ELEMS; k++) {
		uint64_t v = k;
		long r = bpf_map_update_elem(fd, &k, &v, BPF_ANY);
		if (r) {
			fail("update", r);
			close(fd);
			return -1;
		}
	}
	return fd;
}

static uint64_t bench_for_each(enum bpf_map_type type)
{
	int fd = filled_map(type);
	uint64_t best = ~0ul;

	if (fd < 0)
		return 0;
	for (int round = 0; round < ROUNDS / 2; round++) {
		uint64_t t0 = uptime();
		long n = bpf_for_each_map_elem(fd, nop_elem_cb, NULL, 0);
		uint64_t t = uptime() - t0;
		if (n != ELEMS) {
			fail("for_each_map_elem", n);
			return 0;
		}
		if (t / ELEMS < best)
			best = t / ELEMS;
	}
	close(fd);
	return best;
}

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return bpf(cmd, a, sizeof(*a));
}

/*
 * A SYSCALL program walking map fd with a callback returning 0: its fd, and in *jited whether the
 * kernel compiled it.
 */
static int load_walker(int fd, bool *jited)
{
	const struct bpf_insn insns[] = {
		{BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_FD, 0, fd},
		{0, 0, 0, 0, 0},
		{BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_FUNC, 0, 5}, /* the callback, insn 8 */
		{0, 0, 0, 0, 0},
		{BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 0},
		{BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0},
		{BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_for_each_map_elem},
		{BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
		{BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},
		{BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	union bpf_attr a;
	struct bpf_prog_info info;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SYSCALL;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = sizeof(insns) / sizeof(insns[0]);
	a.license = (uint64_t)(uintptr_t) "GPL";
	int pfd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (pfd < 0)
		return pfd;
	memset(&a, 0, sizeof(a));
	memset(&info, 0, sizeof(info));
	a.info.bpf_fd = (uint32_t)pfd;
	a.info.info_len = sizeof(info);
	a.info.info = (uint64_t)(uintptr_t)&info;
	*jited = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) == 0 && info.jited_prog_len > 0;
	return pfd;
}

/* A BPF program's for_each over ELEMS elements of a map of `type`: cycles per element. */
static uint64_t bench_prog_for_each(enum bpf_map_type type, bool *jited)
{
	int fd = filled_map(type);
	uint64_t best = ~0ul;

	if (fd < 0)
		return 0;
	int pfd = load_walker(fd, jited);
	if (pfd < 0) {
		fail("prog_load", pfd);
		close(fd);
		return 0;
	}
	for (int round = 0; round < ROUNDS; round++) {
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.test.prog_fd = (uint32_t)pfd;
		uint64_t t0 = uptime();
		long r = sys_bpf(BPF_PROG_TEST_RUN, &a);
		uint64_t t = uptime() - t0;
		if (r || a.test.retval != ELEMS) {
			fail("test_run", r ? r : (long)a.test.retval);
			break;
		}
		if (t / ELEMS < best)
			best = t / ELEMS;
	}
	close(pfd);
	close(fd);
	return best;
}

/* Iterator and find_vma chain over NMAPS non-mergeable pages: cycles per VMA of each. */
static void bench_walks(uint64_t *iter, uint64_t *chain)
{
	long g = (long)mmap(NULL, NMAPS * PG, PROT_NONE, MAP_GUARD, -1, 0);

	*iter = *chain = ~0ul;
	if (g == -1) {
		fail("mmap guard", g);
		return;
	}
	for (uint64_t i = 0; i < NMAPS; i++) {
		void *p = mmap((void *)(g + i * PG), PG, i & 1 ? PROT_READ : PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANON | MAP_FIXED, -1, 0);
		if (p == MAP_FAILED) {
			fail("mmap", (long)i);
			return;
		}
	}
	for (int round = 0; round < ROUNDS; round++) {
		struct bpf_vma *v;
		size_t n = 0;
		uint64_t t0 = uptime();
		bpf_for_each(task_vma, v, 0, (uint64_t)g) {
			if (++n == NMAPS)
				break;
		}
		uint64_t t = (uptime() - t0) / NMAPS;
		if (n != NMAPS)
			fail("iterator", (long)n);
		if (t < *iter)
			*iter = t;

		uint64_t addr = (uint64_t)g;
		t0 = uptime();
		for (n = 0; n < NMAPS; n++) {
			long r = bpf_find_vma(0, addr, end_cb, &addr, 0);
			if (r) {
				fail("find_vma chain", r);
				return;
			}
		}
		t = (uptime() - t0) / NMAPS;
		if (t < *chain)
			*chain = t;
	}
	munmap((void *)g, NMAPS * PG);
}

/* The open-coded iterator over NMAPS non-mergeable pages and the rest: cycles per VMA. */
static uint64_t bench_open_iter(bool *jited)
{
	long g = (long)mmap(NULL, NMAPS * PG, PROT_NONE, MAP_GUARD, -1, 0);
	struct task_vma_iter *skel = task_vma_iter__open_and_load();
	uint64_t best = ~0ul;

	if (g == -1 || !skel) {
		fail("open-coded iterator setup", g == -1 ? g : -1);
		goto out;
	}
	for (uint64_t i = 0; i < NMAPS; i++) {
		if (mmap((void *)(g + i * PG), PG, i & 1 ? PROT_READ : PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANON | MAP_FIXED, -1, 0) == MAP_FAILED) {
			fail("mmap", (long)i);
			goto out;
		}
	}
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	*jited = !bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.count_all), &info, &len) &&
		 info.jited_prog_len > 0;
	for (int round = 0; round < ROUNDS; round++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts);
		uint64_t t0 = uptime();
		int r = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.count_all), &opts);
		uint64_t t = uptime() - t0;
		if (r || skel->bss->count < NMAPS) {
			fail("open-coded iterator", r ? r : (long)skel->bss->count);
			goto out;
		}
		t /= skel->bss->count;
		if (t < best)
			best = t;
	}
out:
	task_vma_iter__destroy(skel);
	if (g != -1)
		munmap((void *)g, NMAPS * PG);
	return best;
}

/* a / b with two decimals, as "x.yy". */
static void ratio(char *buf, size_t size, uint64_t a, uint64_t b)
{
	uint64_t r = b ? a * 100 / b : 0;
	snprintf(buf, size, "%lu.%02lu", (unsigned long)(r / 100), (unsigned long)(r % 100));
}

int main(void)
{
	char r1[32], r2[32];
	uint64_t getpid_c = bench_getpid_cycles(CALL_ROUNDS, GETPID_CALLS / CALL_ROUNDS, NULL);
	uint64_t cb_c = bench_find_vma();
	bool pfv_jit = false;
	uint64_t pfv_run_c;
	uint64_t pfv_c = bench_prog_find_vma(&pfv_jit, &pfv_run_c);
	uint64_t empty_c = bench_empty_test_run();
	uint64_t arr_c = bench_for_each(BPF_MAP_TYPE_ARRAY);
	uint64_t hash_c = bench_for_each(BPF_MAP_TYPE_HASH);
	uint64_t iter_c, chain_c;

	bool arr_jit = false, hash_jit = false;
	uint64_t parr_c = bench_prog_for_each(BPF_MAP_TYPE_ARRAY, &arr_jit);
	uint64_t phash_c = bench_prog_for_each(BPF_MAP_TYPE_HASH, &hash_jit);

	bench_walks(&iter_c, &chain_c);
	bool open_jit = false;
	uint64_t open_c = bench_open_iter(&open_jit);
	printf("bench_bpf: getpid round trip: %lu cycles\n", (unsigned long)getpid_c);
	ratio(r1, sizeof(r1), cb_c, getpid_c);
	printf("bench_bpf: find_vma callback round trip: %lu cycles (%s x getpid)\n",
	       (unsigned long)cb_c, r1);
	ratio(r1, sizeof(r1), pfv_c, getpid_c);
	ratio(r2, sizeof(r2), cb_c, pfv_c);
	printf("bench_bpf: BPF find_vma round trip (%s, BPF_PROG_TEST_RUN per call): %lu cycles (%s x getpid; "
	       "the native callback takes %s x as long)\n",
	       pfv_jit ? "JIT" : "interpreter", (unsigned long)pfv_c, r1, r2);
	ratio(r1, sizeof(r1), pfv_run_c, getpid_c);
	printf("bench_bpf: BPF find_vma, one BPF_PROG_TEST_RUN repeating it: %lu cycles per run (%s x getpid)\n",
	       (unsigned long)pfv_run_c, r1);
	ratio(r1, sizeof(r1), empty_c, getpid_c);
	printf("bench_bpf: BPF_PROG_TEST_RUN of an empty program, one per call: %lu cycles (%s x getpid)\n",
	       (unsigned long)empty_c, r1);
	ratio(r1, sizeof(r1), arr_c, getpid_c);
	ratio(r2, sizeof(r2), arr_c, cb_c);
	printf("bench_bpf: for_each_map_elem ARRAY %d elements: %lu cycles/element (%s x getpid, %s x find_vma)\n",
	       ELEMS, (unsigned long)arr_c, r1, r2);
	ratio(r1, sizeof(r1), hash_c, getpid_c);
	ratio(r2, sizeof(r2), hash_c, cb_c);
	printf("bench_bpf: for_each_map_elem HASH %d elements: %lu cycles/element (%s x getpid, %s x find_vma)\n",
	       ELEMS, (unsigned long)hash_c, r1, r2);
	ratio(r1, sizeof(r1), parr_c, getpid_c);
	ratio(r2, sizeof(r2), arr_c, parr_c);
	printf("bench_bpf: BPF program for_each_map_elem ARRAY %d elements (%s): %lu cycles/element "
	       "(%s x getpid; the native callback takes %s x as long)\n",
	       ELEMS, arr_jit ? "JIT" : "interpreter", (unsigned long)parr_c, r1, r2);
	ratio(r1, sizeof(r1), phash_c, getpid_c);
	ratio(r2, sizeof(r2), hash_c, phash_c);
	printf("bench_bpf: BPF program for_each_map_elem HASH %d elements (%s): %lu cycles/element "
	       "(%s x getpid; the native callback takes %s x as long)\n",
	       ELEMS, hash_jit ? "JIT" : "interpreter", (unsigned long)phash_c, r1, r2);
	ratio(r1, sizeof(r1), chain_c, iter_c);
	printf("bench_bpf: task_vma iterator, %d mappings: %lu cycles/VMA, %lu VMAs per 10^6 cycles\n",
	       NMAPS, (unsigned long)iter_c, (unsigned long)(iter_c ? 1000000 / iter_c : 0));
	printf("bench_bpf: find_vma chain, %d mappings: %lu cycles/VMA, %lu VMAs per 10^6 cycles "
	       "(iterator %s x faster)\n",
	       NMAPS, (unsigned long)chain_c, (unsigned long)(chain_c ? 1000000 / chain_c : 0), r1);
	ratio(r1, sizeof(r1), open_c, getpid_c);
	ratio(r2, sizeof(r2), open_c, iter_c);
	printf("bench_bpf: open-coded task_vma iterator (%s), %d mappings: %lu cycles/VMA (%s x getpid, "
	       "%s x the native iterator)\n",
	       open_jit ? "JIT" : "interpreter", NMAPS, (unsigned long)open_c, r1, r2);
	return failed;
}
