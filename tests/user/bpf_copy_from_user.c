/*
 * bpf_copy_from_user (helper 148, contract in kernel/bpf/helpers.h) from the programs of
 * tests/bpf/copy_from_user.bpf.c, loaded through their skeleton: a SYSCALL program reads this
 * program's own memory (fixed and variable sizes, size 0), faults in an anonymous page nothing
 * has touched yet, and gets -EFAULT with its buffer zeroed for an unmapped page, a range running
 * into one, and a kernel address; a sleepable iterator (iter.s/task_vma) reads it from read(2).
 * Where Kestrel refuses the helper (tests/bpf/copy_from_user_fail.bpf.c, and a SYSCALL program
 * loaded without BPF_F_SLEEPABLE) the load fails with Linux's verifier words. Nothing stays
 * loaded at the end.
 */
#include <sys/mman.h>

#include "copy_from_user.skel.h"
#include "copy_from_user_fail.skel.h"
#include "libbpf_util.h"
#include "uapi/bpf.h"

#define PAGE 4096
#define KERNEL_ADDR 0xffffffff80000000ull

static unsigned char pattern[100];
static struct copy_from_user *skel;

/* One test run of prog on uaddr (buf filled with 0xaa first): the helper's result. */
static long copy(const struct bpf_program *prog, uint64_t uaddr, uint32_t len)
{
	skel->bss->uaddr = uaddr;
	skel->bss->len = len;
	skel->data->ret = 1;
	memset(skel->bss->buf, 0xaa, sizeof(skel->bss->buf));
	CHECK_EQ(run_syscall(prog), 0);
	return skel->data->ret;
}

static bool buf_is(int byte, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (skel->bss->buf[i] != byte)
			return false;
	return true;
}

static void test_own_memory(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (unsigned char)(i * 7 + 1);
	CHECK_EQ(copy(skel->progs.copy_fixed, (uint64_t)pattern, 0), 0);
	CHECK(!memcmp(skel->bss->buf, pattern, 64));
	CHECK_EQ(copy(skel->progs.copy_len, (uint64_t)(pattern + 3), 5), 0);
	CHECK(!memcmp(skel->bss->buf, pattern + 3, 5));
	CHECK(buf_is(0xaa, 5, 64)); /* the rest untouched */
	/* Size 0 copies nothing and succeeds, whatever the address (Linux's copy_from_user). */
	CHECK_EQ(copy(skel->progs.copy_len, KERNEL_ADDR, 0), 0);
	CHECK(buf_is(0xaa, 0, 64));
}

/* Memory nothing has touched is faulted in (bpf_probe_read_user would fail there). */
static void test_fault_in(void)
{
	unsigned char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
	char vec = 1;

	CHECK(p != MAP_FAILED);
	CHECK_EQ(mincore(p, PAGE, &vec), 0);
	CHECK_EQ(vec & 1, 0);
	CHECK_EQ(copy(skel->progs.copy_fixed, (uint64_t)p + 100, 0), 0);
	CHECK(buf_is(0, 0, 64));
	CHECK_EQ(mincore(p, PAGE, &vec), 0);
	CHECK_EQ(vec & 1, 1);
	munmap(p, PAGE);
}

/* -EFAULT, with every byte of the buffer zeroed (a partial copy included). */
static void test_efault(void)
{
	unsigned char *p =
		mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);

	CHECK(p != MAP_FAILED);
	memset(p, 0x5a, PAGE);
	CHECK_EQ(munmap(p + PAGE, PAGE), 0);
	CHECK_EQ(copy(skel->progs.copy_fixed, (uint64_t)p + PAGE, 0), -EFAULT);
	CHECK(buf_is(0, 0, 64));
	CHECK_EQ(copy(skel->progs.copy_fixed, (uint64_t)p + PAGE - 16, 0), -EFAULT);
	CHECK(buf_is(0, 0, 64));
	CHECK_EQ(copy(skel->progs.copy_len, (uint64_t)p + PAGE - 16, 16), 0); /* all mapped */
	CHECK(buf_is(0x5a, 0, 16));
	CHECK_EQ(copy(skel->progs.copy_fixed, KERNEL_ADDR, 0), -EFAULT);
	CHECK(buf_is(0, 0, 64));
	CHECK_EQ(copy(skel->progs.copy_fixed, 0, 0), -EFAULT); /* NULL: never mapped */
	CHECK(buf_is(0, 0, 64));
	CHECK_EQ(copy(skel->progs.copy_fixed, ~0ull - 8, 0), -EFAULT); /* wraps */
	CHECK(buf_is(0, 0, 64));
	munmap(p, PAGE);
}

/* A sleepable iterator copies in the reader's context: read(2) of the iterator's fd. */
static void test_iter(void)
{
	union bpf_iter_link_info li;
	char out[64];

	memset(&li, 0, sizeof(li));
	li.task.tid = (__u32)getpid();
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &li, .link_info_len = sizeof(li));
	struct bpf_link *link = bpf_program__attach_iter(skel->progs.copy_iter, &opts);
	CHECK(link != NULL);
	if (!link)
		return;
	int fd = bpf_iter_create(bpf_link__fd(link));
	CHECK(fd >= 0);
	skel->bss->uaddr = (uint64_t)(pattern + 10);
	skel->bss->iter_runs = 0;
	skel->data->ret = 1;
	memset(skel->bss->buf, 0xaa, sizeof(skel->bss->buf));
	CHECK_EQ(read(fd, out, sizeof(out)), 0); /* the program prints nothing */
	CHECK(skel->bss->iter_runs > 1);
	CHECK_EQ(skel->data->ret, 0);
	CHECK(!memcmp(skel->bss->buf, pattern + 10, 64));
	close(fd);
	bpf_link__destroy(link);
}

/* Load only prog of the failing object: it must fail with EINVAL and the verifier's words. */
static void refused(const char *name, const char *words)
{
	struct copy_from_user_fail *f = copy_from_user_fail__open();

	CHECK(f != NULL);
	if (!f)
		return;
	struct bpf_program *prog = bpf_object__find_program_by_name(f->obj, name);
	CHECK(prog != NULL);
	CHECK_EQ(bpf_program__set_autoload(prog, true), 0);
	capture_begin();
	CHECK_EQ(copy_from_user_fail__load(f), -EINVAL);
	capture_end();
	CHECK(captured(words));
	if (!captured(words)) {
		printf("# %s: expected \"%s\"\n", name, words);
		capture_show();
	}
	copy_from_user_fail__destroy(f);
}

/*
 * The same instructions as a SYSCALL program, with and without BPF_F_SLEEPABLE; the flag on
 * types that never sleep.
 */
static void test_sleepable_flag(void)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 1, .src_reg = 10},
		{.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 1, .imm = -8},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 2, .imm = 8},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 3, .imm = 0},
		{.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_copy_from_user},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	static char log[4096];
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log),
		    .log_level = 1);

	log[0] = 0;
	int fd = bpf_prog_load(BPF_PROG_TYPE_SYSCALL, "cfu", "GPL", insns, 7, &opts);
	CHECK_EQ(fd, -EINVAL);
	CHECK(contains(log, "helper call might sleep in a non-sleepable prog"));
	if (fd >= 0)
		close(fd);
	opts.prog_flags = BPF_F_SLEEPABLE;
	fd = bpf_prog_load(BPF_PROG_TYPE_SYSCALL, "cfu", "GPL", insns, 7, &opts);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	/*
	 * Types whose runs may not sleep cannot even be loaded sleepable, whatever they call (Linux's
	 * check_attach_btf_id): a raw tracepoint and a tc program that only return 0.
	 */
	const enum bpf_prog_type never[] = {BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE_SCHED_CLS};
	for (int i = 0; i < 2; i++) {
		log[0] = 0;
		fd = bpf_prog_load(never[i], "cfu", "GPL", insns + 5, 2, &opts);
		CHECK_EQ(fd, -EINVAL);
		CHECK(contains(log, "Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops "
				    "programs can be sleepable"));
		if (fd >= 0)
			close(fd);
	}
}

int main(void)
{
	int progs = count_progs(), maps = count_maps();

	skel = copy_from_user__open_and_load();
	CHECK(skel != NULL);
	if (skel) {
		test_own_memory();
		test_fault_in();
		test_efault();
		test_iter();
		copy_from_user__destroy(skel);
	}
	refused("copy_raw_tp", "helper call might sleep in a non-sleepable prog");
	refused("copy_iter_nosleep", "helper call might sleep in a non-sleepable prog");
	refused("copy_tc", "program of this type cannot use helper bpf_copy_from_user#148");
	test_sleepable_flag();
	CHECK_EQ(count_progs(), progs);
	CHECK_EQ(count_maps(), maps);
	return utest_result("bpf_copy_from_user");
}
