/*
 * The libbpf-compatible loader through bpftool's skeleton of tests/bpf/libbpf_globals.bpf.c, as
 * Linux's selftests use it:
 *   - global data: skel->rodata/data/bss point at the images before load (a .rodata constant set
 *     there reaches the program), at the maps themselves after it (what the program writes is
 *     read back, what the test writes the program sees); .rodata is frozen: the kernel refuses
 *     updates, a write through skel->rodata faults, and a program that writes it is refused;
 *   - maps and programs by name (".bss", ".data", ".rodata", the kernel names "obj.sec"), the
 *     setters before load and -EBUSY after, the accessors, bpf-to-bpf calls;
 *   - the errors, each a negative errno (errno too) and a message naming what failed: malformed
 *     objects and options, a second load, element calls with wrong sizes, program types the
 *     kernel cannot load (-EOPNOTSUPP), CO-RE relocations without the kernel's BTF;
 *   - <bpf/bpf.h> by hand: bpf_map_create with a name, bpf_prog_load with a verifier log;
 *   - the object with random bytes changed, opened and loaded: errors, never a fault;
 * and at the end no program or map left in the kernel.
 */
#include <stddef.h>
#include <stdlib.h>

#include "libbpf_globals.skel.h"
#include "libbpf_util.h"
#include "uapi/kestrel_btf_types.h"
#include "uapi/wait.h"

#define T_PF 14

static void test_open_errors(void)
{
	static const uint8_t junk[64] = "not an ELF file";
	size_t size;
	const uint8_t *elf = libbpf_globals__elf_bytes(&size);
	struct bpf_object *obj;

	capture_begin();
	obj = bpf_object__open_mem(junk, sizeof(junk), NULL);
	CHECK(obj == NULL);
	CHECK_EQ(errno, ENOEXEC);
	CHECK_EQ(libbpf_get_error(obj), -ENOEXEC);
	CHECK(captured("libbpf: elf: "));

	obj = bpf_object__open_mem(NULL, 0, NULL);
	CHECK(obj == NULL);
	CHECK_EQ(errno, EINVAL);

	/* Every prefix of a good object is refused (its section headers come last). */
	for (size_t n = 1; n < size; n += 97) {
		obj = bpf_object__open_mem(elf, n, NULL);
		CHECK(obj == NULL);
		bpf_object__close(obj);
	}

	/* Options: sz too small, or bytes the library does not know that are not zero. */
	LIBBPF_OPTS(bpf_object_open_opts, small);
	small.sz = 4;
	CHECK(bpf_object__open_mem(elf, size, &small) == NULL);
	CHECK_EQ(errno, EINVAL);
	struct {
		struct bpf_object_open_opts o;
		uint64_t future;
	} big;
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.future = 1;
	CHECK(bpf_object__open_mem(elf, size, &big.o) == NULL);
	CHECK_EQ(errno, EINVAL);
	CHECK(captured("bpf_object_open_opts has non-zero extra bytes"));
	big.future = 0;
	obj = bpf_object__open_mem(elf, size, &big.o);
	CHECK(obj != NULL);
	bpf_object__close(obj);

	LIBBPF_OPTS(bpf_object_open_opts, named, .object_name = "by_hand");
	obj = bpf_object__open_mem(elf, size, &named);
	CHECK(obj != NULL);
	if (obj) {
		CHECK(!strcmp(bpf_object__name(obj), "by_hand"));
		CHECK(bpf_object__find_map_by_name(obj, "by_hand.bss") != NULL);
		CHECK_EQ(bpf_object__load(obj), 0);
		CHECK(bpf_program__fd(bpf_object__find_program_by_name(obj, "bump")) >= 0);
	}
	bpf_object__close(obj);
	capture_end();
	if (utest_failures)
		capture_show();
}

/*
 * The object with random bytes changed, opened and (when that works) loaded with every program:
 * errors, never a fault, and nothing left behind (main counts the kernel's programs and maps).
 */
static void test_hostile_objects(void)
{
	size_t size;
	const uint8_t *elf = libbpf_globals__elf_bytes(&size);
	uint8_t *m = malloc(size);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int opened = 0;

	CHECK(m != NULL);
	if (!m)
		return;
	libbpf_print_fn_t saved = libbpf_set_print(NULL);
	for (int it = 0; it < 300; it++) {
		memcpy(m, elf, size);
		for (int n = 0; n < 3; n++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			m[x % size] = (uint8_t)(x >> 32);
		}
		struct bpf_object *obj = bpf_object__open_mem(m, size, NULL);
		struct bpf_program *prog;
		if (!obj)
			continue;
		opened++;
		bpf_object__for_each_program(prog, obj)
			bpf_program__set_autoload(prog, true);
		bpf_object__load(obj);
		bpf_object__close(obj);
	}
	libbpf_set_print(saved);
	CHECK(opened > 0);
	free(m);
}

/* Everything that works before load, then the setters. */
static void before_load(struct libbpf_globals *skel)
{
	struct bpf_object *obj = skel->obj;
	size_t sz = 0;

	CHECK(skel->rodata != NULL && skel->data != NULL && skel->bss != NULL);
	CHECK_EQ(skel->rodata->scale, 1);
	CHECK_EQ(skel->rodata->magic, 0x1111);
	CHECK_EQ(skel->data->counter, 5);
	CHECK(!strcmp(skel->data->tag, "kestrel"));
	CHECK_EQ(skel->bss->runs, 0);

	/* Global data by section name and by kernel name (libbpf's "<object, cut>.<section>"). */
	CHECK(bpf_object__find_map_by_name(obj, ".rodata") == skel->maps.rodata);
	CHECK(bpf_object__find_map_by_name(obj, ".data") == skel->maps.data);
	CHECK(bpf_object__find_map_by_name(obj, ".bss") == skel->maps.bss);
	CHECK(bpf_object__find_map_by_name(obj, "libbpf_g.rodata") == skel->maps.rodata);
	CHECK(!strcmp(bpf_map__name(skel->maps.bss), "libbpf_g.bss"));
	CHECK(!strcmp(bpf_map__name(skel->maps.counts), "counts"));
	CHECK(bpf_map__is_internal(skel->maps.data));
	CHECK(!bpf_map__is_internal(skel->maps.counts));
	CHECK(bpf_object__find_map_by_name(obj, "counts") == skel->maps.counts);
	CHECK(bpf_object__find_map_by_name(obj, "nope") == NULL);
	CHECK_EQ(errno, ENOENT);

	CHECK(bpf_map__initial_value(skel->maps.rodata, &sz) == skel->rodata);
	CHECK_EQ(sz, sizeof(*skel->rodata));
	CHECK(bpf_map__initial_value(skel->maps.counts, &sz) == NULL);
	CHECK_EQ(bpf_map__type(skel->maps.counts), BPF_MAP_TYPE_HASH);
	CHECK_EQ(bpf_map__type(skel->maps.bss), BPF_MAP_TYPE_ARRAY);
	CHECK_EQ(bpf_map__key_size(skel->maps.counts), 4);
	CHECK_EQ(bpf_map__value_size(skel->maps.counts), 8);
	CHECK_EQ(bpf_map__value_size(skel->maps.data), sizeof(*skel->data));
	CHECK_EQ(bpf_map__max_entries(skel->maps.counts), 4);
	CHECK_EQ(bpf_map__max_entries(skel->maps.rodata), 1);
	CHECK(bpf_map__map_flags(skel->maps.rodata) & BPF_F_MMAPABLE);
	CHECK_EQ(bpf_map__set_max_entries(skel->maps.counts, 16), 0);
	CHECK_EQ(bpf_map__fd(skel->maps.counts), -EINVAL);

	/* Programs: entry programs only (times_scale is a subprogram), types from the sections. */
	CHECK(bpf_object__find_program_by_name(obj, "bump") == skel->progs.bump);
	CHECK(bpf_object__find_program_by_name(obj, "times_scale") == NULL);
	CHECK_EQ(errno, ENOENT);
	CHECK(!strcmp(bpf_program__section_name(skel->progs.on_sys_enter), "?raw_tp/sys_enter"));
	CHECK_EQ(bpf_program__type(skel->progs.bump), BPF_PROG_TYPE_SYSCALL);
	CHECK_EQ(bpf_program__type(skel->progs.classify), BPF_PROG_TYPE_SCHED_CLS);
	CHECK_EQ(bpf_program__type(skel->progs.on_sys_enter), BPF_PROG_TYPE_RAW_TRACEPOINT);
	CHECK(bpf_program__flags(skel->progs.bump) & BPF_F_SLEEPABLE);
	CHECK(bpf_program__autoload(skel->progs.bump));
	CHECK(!bpf_program__autoload(skel->progs.on_perf));
	CHECK(!bpf_program__autoload(skel->progs.on_kprobe));
	CHECK_EQ(bpf_program__type(skel->progs.on_perf), BPF_PROG_TYPE_PERF_EVENT);
	CHECK_EQ(bpf_program__fd(skel->progs.bump), -ENOENT);
	CHECK_EQ(errno, ENOENT);

	/* A constant for the program, set where the skeleton points. */
	skel->rodata->scale = 3;
	skel->rodata->magic = 0xabc;
}

static long run_bump(struct libbpf_globals *skel)
{
	return run_syscall(skel->progs.bump);
}

static void after_load(struct libbpf_globals *skel)
{
	struct libbpf_globals__rodata *ro = skel->rodata;
	uint32_t zero = 0, one = 1;
	uint64_t v;
	size_t sz;

	CHECK(bpf_map__fd(skel->maps.counts) >= 0);
	CHECK(skel->rodata == ro); /* the same address, now the map */
	CHECK(bpf_map__initial_value(skel->maps.rodata, &sz) == skel->rodata);
	CHECK_EQ(skel->rodata->scale, 3);

	/* The kernel's view: the size set before load, the names. */
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	CHECK_EQ(bpf_obj_get_info_by_fd(bpf_map__fd(skel->maps.counts), &info, &len), 0);
	CHECK_EQ(info.max_entries, 16);
	memset(&info, 0, sizeof(info));
	len = sizeof(info);
	CHECK_EQ(bpf_obj_get_info_by_fd(bpf_map__fd(skel->maps.rodata), &info, &len), 0);
	CHECK(!strcmp(info.name, "libbpf_g.rodata"));
	CHECK(info.map_flags & BPF_F_RDONLY_PROG);

	/*
	 * A kernel with BTF gets the object's BTF with the program: a record per function (bump and
	 * the subprogram appended to it) and line records.
	 */
	__u32 btf_id;
	if (!bpf_btf_get_next_id(0, &btf_id)) {
		struct bpf_prog_info pinfo;
		memset(&pinfo, 0, sizeof(pinfo));
		len = sizeof(pinfo);
		CHECK_EQ(bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.bump), &pinfo, &len),
			 0);
		CHECK(pinfo.btf_id != 0);
		CHECK_EQ(pinfo.nr_func_info, 2);
		CHECK(pinfo.nr_line_info > 0);
	}

	/* Setters after load: -EBUSY. A second load: -EINVAL. */
	CHECK_EQ(bpf_map__set_max_entries(skel->maps.counts, 8), -EBUSY);
	CHECK_EQ(errno, EBUSY);
	CHECK_EQ(bpf_program__set_autoload(skel->progs.on_perf, true), -EBUSY);
	capture_begin();
	CHECK_EQ(bpf_object__load(skel->obj), -EINVAL);
	capture_end();
	CHECK(captured("loaded already"));

	/* The program runs with the constants and the call; globals go both ways. */
	CHECK_EQ(run_bump(skel), 3);
	CHECK_EQ(skel->bss->runs, 1);
	CHECK_EQ(skel->data->counter, 5 + 2 * 3);
	CHECK_EQ(skel->bss->last_magic, 0xabc);
	CHECK_EQ(run_bump(skel), 3);
	CHECK_EQ(skel->bss->runs, 2);
	skel->data->counter = 100;
	skel->bss->runs = 40;
	CHECK_EQ(run_bump(skel), 3);
	CHECK_EQ(skel->data->counter, 106);
	CHECK_EQ(skel->bss->runs, 41);
	CHECK_EQ(bpf_map__lookup_elem(skel->maps.counts, &one, sizeof(one), &v, sizeof(v), 0), 0);
	CHECK_EQ(v, 3);

	/* The map and the mapping are one: a lookup reads what skel->bss shows. */
	struct libbpf_globals__bss b;
	CHECK_EQ(bpf_map_lookup_elem(bpf_map__fd(skel->maps.bss), &zero, &b), 0);
	CHECK(!memcmp(&b, skel->bss, sizeof(b)));

	/* .rodata is frozen: no updates, no second freeze. */
	struct libbpf_globals__rodata r = *skel->rodata;
	r.scale = 9;
	CHECK_EQ(bpf_map_update_elem(bpf_map__fd(skel->maps.rodata), &zero, &r, BPF_ANY), -EPERM);
	CHECK_EQ(errno, EPERM);
	CHECK_EQ(bpf_map_freeze(bpf_map__fd(skel->maps.rodata)), -EBUSY);
	CHECK_EQ(run_bump(skel), 3);

	/* tc: the frame's length. */
	CHECK_EQ(run_tc(skel->progs.classify), 64);
	CHECK_EQ(skel->bss->runs, 43);

	/* Element calls check the caller's sizes first. */
	capture_begin();
	CHECK_EQ(bpf_map__lookup_elem(skel->maps.counts, &one, 2, &v, sizeof(v), 0), -EINVAL);
	CHECK_EQ(bpf_map__lookup_elem(skel->maps.counts, &one, sizeof(one), &v, 4, 0), -EINVAL);
	CHECK_EQ(bpf_map__update_elem(skel->maps.counts, &one, sizeof(one), &v, 16, BPF_ANY),
		 -EINVAL);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(bpf_map__delete_elem(skel->maps.counts, &zero, sizeof(zero), 0), -ENOENT);
	CHECK_EQ(bpf_map__delete_elem(skel->maps.counts, &one, sizeof(one), 0), 0);

	/* Nothing to attach for syscall and tc programs; autoload-off ones are left alone. */
	CHECK_EQ(libbpf_globals__attach(skel), 0);
	CHECK(skel->links.bump == NULL && skel->links.on_sys_enter == NULL);
	CHECK(bpf_program__attach(skel->progs.classify) == NULL);
	CHECK_EQ(errno, EOPNOTSUPP);
	capture_end();
	CHECK(captured("map 'counts': key size 2, expected 4"));
	CHECK(captured("prog 'classify': section 'tc' has nothing to attach to"));
	libbpf_globals__detach(skel);
}

static void test_skeleton(void)
{
	struct libbpf_globals *skel = libbpf_globals__open();

	CHECK(skel != NULL);
	if (!skel)
		return;
	before_load(skel);
	int r = libbpf_globals__load(skel);
	CHECK_EQ(r, 0);
	if (!r)
		after_load(skel);
	libbpf_globals__destroy(skel);
}

/* The child's role: write the frozen .rodata through the skeleton (must fault). */
static int write_rodata_role(void)
{
	struct libbpf_globals *skel = libbpf_globals__open_and_load();

	if (!skel)
		return 2;
	skel->rodata->scale = 5;
	return 3;
}

/*
 * Opens the skeleton and loads it with program name's autoload on too (besides bump and
 * classify): the load's result, its messages captured. *out is the skeleton (destroy it), or
 * NULL if it did not open (a failed check).
 */
static int load_with(const char *name, struct libbpf_globals **out)
{
	struct libbpf_globals *skel = libbpf_globals__open();
	int r;

	*out = skel;
	CHECK(skel != NULL);
	if (!skel)
		return -10000;
	CHECK_EQ(bpf_program__set_autoload(bpf_object__find_program_by_name(skel->obj, name), true),
		 0);
	capture_begin();
	r = libbpf_globals__load(skel);
	capture_end();
	return r;
}

/*
 * SEC("raw_tp/sys_enter"): loaded, attached by bpf_program__attach (BPF_RAW_TRACEPOINT_OPEN), it
 * counts this task's system calls in .bss until its link is destroyed.
 */
/*
 * SEC("perf_event"): loads (its context is Linux's struct bpf_perf_event_data), but Kestrel has no
 * perf events: libbpf has no attach point for it and BPF_LINK_CREATE refuses it.
 */
static void test_perf_event(void)
{
	struct libbpf_globals *skel;

	int r = load_with("on_perf", &skel);
	if (!skel)
		return;
	CHECK_EQ(r, 0);
	int fd = bpf_program__fd(skel->progs.on_perf);
	CHECK(fd >= 0);
	struct bpf_link *link = bpf_program__attach(skel->progs.on_perf);
	CHECK(link == NULL);
	CHECK(errno != 0);
	if (link)
		bpf_link__destroy(link);
	CHECK_EQ(bpf_link_create(fd, 0, BPF_PERF_EVENT, NULL), -EINVAL);
	CHECK_EQ(bpf_raw_tracepoint_open("sys_enter", fd), -EINVAL);
	libbpf_globals__destroy(skel);
}

static void test_raw_tp(void)
{
	struct libbpf_globals *skel;

	int r = load_with("on_sys_enter", &skel);
	if (!skel)
		return;
	CHECK_EQ(r, 0);
	struct bpf_link *link = bpf_program__attach(skel->progs.on_sys_enter);
	CHECK(libbpf_get_error(link) == 0);
	uint64_t before = skel->bss->runs;
	for (int i = 0; i < 10; i++)
		getpid();
	uint64_t during = skel->bss->runs;
	CHECK(during >= before + 10);
	CHECK_EQ(bpf_link__destroy(link), 0);
	getpid();
	CHECK_EQ(skel->bss->runs, during + 1); /* the close that detached it was its last run */
	libbpf_globals__destroy(skel);
}

static void test_refusals(void)
{
	struct libbpf_globals *skel;
	int r;

	/* A program type the kernel cannot load: -EOPNOTSUPP, and nothing stays loaded. */
	const char *unsupported[] = {"on_kprobe"};
	for (int i = 0; i < 1; i++) {
		char want[96];
		r = load_with(unsupported[i], &skel);
		if (!skel)
			return;
		CHECK_EQ(r, -EOPNOTSUPP);
		CHECK_EQ(errno, EOPNOTSUPP);
		snprintf(want, sizeof(want), "prog '%s': the kernel cannot load programs of type",
			 unsupported[i]);
		CHECK(captured(want));
		CHECK_EQ(bpf_program__fd(skel->progs.bump), -ENOENT);
		CHECK_EQ(bpf_map__fd(skel->maps.counts), -EINVAL);
		libbpf_globals__destroy(skel);
	}

	/* A program writing .rodata: the verifier's refusal and its log. */
	r = load_with("write_rodata", &skel);
	if (!skel)
		return;
	CHECK_EQ(r, -EACCES);
	CHECK(captured("prog 'write_rodata': BPF program load failed"));
	CHECK(captured("-- BEGIN PROG LOAD LOG --"));
	CHECK(captured("write into map forbidden"));
	libbpf_globals__destroy(skel);

	/* CO-RE: resolved against the kernel's BTF when the kernel has one, else a clean refusal. */
	__u32 id;
	bool kernel_btf = !bpf_btf_get_next_id(0, &id);
	r = load_with("core_task", &skel);
	if (!skel)
		return;
	printf("# the kernel %s BTF: CO-RE %s\n", kernel_btf ? "has" : "has no",
	       kernel_btf ? "resolved" : "refused");
	if (kernel_btf) {
		CHECK_EQ(r, 0);
		if (!r) {
			CHECK_EQ(run_syscall(skel->progs.core_task), 0);
			CHECK_EQ(skel->bss->pid_off, offsetof(struct task_struct, pid));
			CHECK_EQ(skel->data->missing_exists, 0);
		}
	} else {
		CHECK_EQ(r, -ESRCH);
		CHECK(captured("the kernel's BTF is not available"));
		CHECK(captured("prog 'core_task': CO-RE relocation"));
	}
	libbpf_globals__destroy(skel);
	if (utest_failures)
		capture_show();
}

/* <bpf/bpf.h> by hand. */
static void test_low_level(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, mopts, .map_flags = BPF_F_MMAPABLE);
	struct bpf_map_info info;
	uint32_t len = sizeof(info), k = 1, nk;
	uint64_t v = 77;

	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "a_long_map_name_cut", 4, 8, 2, &mopts);
	CHECK(fd >= 0);
	memset(&info, 0, sizeof(info));
	CHECK_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	CHECK(!strcmp(info.name, "a_long_map_name"));
	CHECK_EQ(info.map_flags, BPF_F_MMAPABLE);
	CHECK_EQ(bpf_map_update_elem(fd, &k, &v, BPF_ANY), 0);
	CHECK_EQ(bpf_map_get_next_key(fd, NULL, &nk), 0);
	CHECK_EQ(nk, 0);
	CHECK_EQ(bpf_map_get_next_key(fd, &k, &nk), -ENOENT);
	CHECK_EQ(errno, ENOENT);
	close(fd);
	CHECK_EQ(bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 0, NULL), -EINVAL);
	mopts.sz = 2;
	capture_begin();
	CHECK_EQ(bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 2, &mopts), -EINVAL);
	capture_end();
	CHECK(captured("bpf_map_create_opts size (2) is too small"));

	/* r0 = 42; exit */
	const struct bpf_insn good[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 42},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, popts);
	fd = bpf_prog_load(BPF_PROG_TYPE_SYSCALL, "by_hand", "GPL", good, 2, &popts);
	CHECK(fd >= 0);
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	CHECK_EQ(bpf_prog_test_run_opts(fd, &topts), 0);
	CHECK_EQ(topts.retval, 42);
	CHECK_EQ(bpf_prog_test_run_opts(fd, NULL), -EINVAL);
	/*
	 * A caller built with an older, shorter struct (up to retval): what lies past sz is not its
	 * own, so it is neither read (flags would be EINVAL) nor written (duration).
	 */
	struct bpf_test_run_opts older;
	memset(&older, 0, sizeof(older));
	older.sz = offsetof(struct bpf_test_run_opts, retval) + sizeof(older.retval);
	older.flags = 0xdead;
	older.duration = 12345;
	CHECK_EQ(bpf_prog_test_run_opts(fd, &older), 0);
	CHECK_EQ(older.retval, 42);
	CHECK_EQ(older.duration, 12345);
	struct {
		struct bpf_test_run_opts o;
		uint32_t future;
	} newer;
	memset(&newer, 0, sizeof(newer));
	newer.o.sz = sizeof(newer);
	newer.future = 1;
	capture_begin();
	CHECK_EQ(bpf_prog_test_run_opts(fd, &newer.o), -EINVAL);
	capture_end();
	CHECK(captured("bpf_test_run_opts has non-zero extra bytes"));
	newer.future = 0;
	CHECK_EQ(bpf_prog_test_run_opts(fd, &newer.o), 0);
	CHECK_EQ(newer.o.retval, 42);
	close(fd);

	/* exit with r0 unset: refused; a log buffer without a level gets the failure's log. */
	static char log[4096];
	LIBBPF_OPTS(bpf_prog_load_opts, bopts, .log_buf = log, .log_size = sizeof(log));
	fd = bpf_prog_load(BPF_PROG_TYPE_SYSCALL, "bad", "GPL", good + 1, 1, &bopts);
	CHECK_EQ(fd, -EACCES);
	CHECK_EQ(errno, EACCES);
	CHECK(contains(log, "R0 !read_ok"));
	if (!contains(log, "R0 !read_ok"))
		printf("# log: %s\n", log);
	CHECK_EQ(bpf_prog_load(BPF_PROG_TYPE_SYSCALL, "bad", "GPL", NULL, 0, NULL), -EINVAL);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "write_rodata"))
		return write_rodata_role();

	int progs = count_progs(), maps = count_maps();

	test_open_errors();
	test_skeleton();
	test_refusals();
	test_raw_tp();
	test_perf_event();
	test_low_level();
	test_hostile_objects();

	int st = run_self(argv[0], "write_rodata", NULL);
	CHECK(WIFFAULTED(st) && WFAULTVEC(st) == T_PF);
	if (!WIFFAULTED(st))
		printf("# the write_rodata child exited with status %d\n", WEXITSTATUS(st));

	CHECK_EQ(count_progs(), progs);
	CHECK_EQ(count_maps(), maps);
	return utest_result("libbpf_globals");
}
