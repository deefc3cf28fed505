/*
 * BPF_PROG_TYPE_TRACING through bpftool's skeletons, as Linux's selftests use them:
 *   - iter/task_vma (user/bpf/iter_vmmap.bpf.c): the iterator fd's output is, for every task
 *     (this one and a child waiting in another program), exactly the native listing's columns
 *     (vm_map_list), whether read 1, 7 or 4096 bytes at a time; the last run (task and vma NULL)
 *     comes once, at the end; a link for one task (link_info task.tid) shows that task only, and
 *     its info names the target and the task;
 *     a map changed between two reads keeps the output a listing of whole entries;
 *   - bpf_seq_printf's conversions, flags and widths, its refusals (EINVAL), records that do not
 *     fit behind buffered output done again on the next read, and E2BIG for one that does not
 *     fit at all (tests/bpf/iter_seq.bpf.c);
 *   - bpf_d_path of &vma->vm_file->f_path (tests/bpf/iter_d_path.bpf.c), which Linux refuses as
 *     untrusted: loaded, the path holds this program's name; other pointers give -EINVAL and a
 *     buffer too small -ENAMETOOLONG;
 *   - tp_btf/sys_enter reading regs->di through the typed pointer, tp_btf/vm_fault counting 4 KiB
 *     and 2 MiB faults (tests/bpf/tp_btf_trace.bpf.c), attached with bpf_program__attach
 *     (BPF_RAW_TRACEPOINT_OPEN with a NULL name) and with bpf_link_create;
 *   - errors: BPF_ITER_CREATE of a non-iterator link or with flags, BPF_LINK_CREATE with the wrong
 *     attach type, a tp_btf program opened by name, bad link_info.
 * The child role "wait" polls a map (by id, the second argument) until the parent stores 1.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <vm_stat.h>

#include "iter_d_path.skel.h"
#include "iter_seq.skel.h"
#include "iter_vmmap.skel.h"
#include "libbpf_util.h"
#include "tp_btf_trace.skel.h"
#include "uapi/wait.h"

#define SELF "test/bpf_tracing"
#define OUT_MAX (64 * 1024)
#define SUPER (2ul << 20)

static char out[OUT_MAX];    /* the iterator's output (static: reading it changes no map) */
static char native[OUT_MAX]; /* the native listing, in the same format */

/* Read fd to its end chunk bytes at a time into out: the length, or -errno. */
static long read_all(int fd, size_t chunk)
{
	size_t n = 0;

	for (;;) {
		if (n + chunk >= OUT_MAX)
			return -E2BIG;
		ssize_t r = read(fd, out + n, chunk);
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		CHECK((size_t)r <= chunk);
		n += (size_t)r;
	}
	out[n] = 0;
	return (long)n;
}

/* Append pid's map listing in iter_vmmap's format to native at *len; entries, or -1. */
static int native_listing(int pid, size_t *len)
{
	struct vm_map_ent e[32];
	uint64_t from = 0;
	int lines = 0;
	ssize_t k;

	while ((k = vm_map_list(pid, e, 32, from)) > 0) {
		for (ssize_t i = 0; i < k; i++) {
			*len += (size_t)snprintf(native + *len, OUT_MAX - *len,
						 "%5d %#18lx %#18lx %c%c%c %c%c%c\n", pid,
						 (unsigned long)e[i].start, (unsigned long)e[i].end,
						 e[i].prot & PROT_READ ? 'r' : '-',
						 e[i].prot & PROT_WRITE ? 'w' : '-',
						 e[i].prot & PROT_EXEC ? 'x' : '-',
						 e[i].flags & VM_ENT_GUARD ? 'G' : '-',
						 e[i].flags & VM_ENT_STACK ? 'S' : '-',
						 e[i].flags & VM_ENT_IMAGE ? 'I' : '-');
			lines++;
		}
		from = e[k - 1].end;
	}
	return k < 0 ? -1 : lines;
}

/* The native listing of every pid out names, in out's order, with the END line: lines listed. */
static int native_for_output(size_t *len)
{
	int last = -1, total = 0;

	*len = 0;
	for (const char *p = out; *p && strncmp(p, "END ", 4); p = strchr(p, '\n') + 1) {
		int pid = atoi(p);
		if (pid != last) {
			int n = native_listing(pid, len);
			CHECK(n > 0);
			total += n;
			last = pid;
		}
		if (!strchr(p, '\n'))
			break;
	}
	*len += (size_t)snprintf(native + *len, OUT_MAX - *len, "END %d\n", total);
	return total;
}

static bool output_has_pid(int pid)
{
	for (const char *p = out; *p; p = strchr(p, '\n') + 1) {
		if (strncmp(p, "END ", 4) && atoi(p) == pid)
			return true;
		if (!strchr(p, '\n'))
			break;
	}
	return false;
}

static void test_iter_vmmap(int child)
{
	struct iter_vmmap *skel = iter_vmmap__open_and_load();
	static const size_t chunks[] = {1, 7, 4096};

	CHECK(skel != NULL);
	if (!skel)
		return;
	struct bpf_link *link = bpf_program__attach_iter(skel->progs.dump_task_vma, NULL);
	CHECK(link != NULL);
	for (size_t c = 0; link && c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		skel->bss->vmas_shown = skel->bss->end_runs = 0;
		int fd = bpf_iter_create(bpf_link__fd(link));
		CHECK(fd >= 0);
		long n = read_all(fd, chunks[c]);
		CHECK(n > 0);
		CHECK_EQ(read(fd, out + n, 1), 0); /* still the end */
		size_t len;
		int lines = native_for_output(&len);
		if (strcmp(out, native)) {
			printf("# chunk %lu: iterator output differs from the native listing\n",
			       (unsigned long)chunks[c]);
			printf("# iterator:\n%s# native:\n%s", out, native);
			CHECK(0);
		}
		CHECK(output_has_pid(getpid()));
		CHECK(output_has_pid(child));
		CHECK_EQ(skel->bss->vmas_shown, lines);
		CHECK_EQ(skel->bss->end_runs, 1);
		close(fd);
	}
	bpf_link__destroy(link);

	/* One task: link_info task.tid. */
	union bpf_iter_link_info li;
	memset(&li, 0, sizeof(li));
	li.task.tid = (__u32)child;
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &li, .link_info_len = sizeof(li));
	link = bpf_program__attach_iter(skel->progs.dump_task_vma, &opts);
	CHECK(link != NULL);
	if (link) {
		int fd = bpf_iter_create(bpf_link__fd(link));
		CHECK(read_all(fd, 4096) > 0);
		size_t len;
		native_for_output(&len);
		CHECK(!strcmp(out, native));
		CHECK(output_has_pid(child));
		CHECK(!output_has_pid(getpid()));
		close(fd);
		/* the link's info: an iterator of target task_vma, for that task */
		struct bpf_link_info info;
		char name[16];
		__u32 ilen = sizeof(info);
		memset(&info, 0, sizeof(info));
		info.iter.target_name = (__u64)(uintptr_t)name;
		info.iter.target_name_len = sizeof(name);
		CHECK_EQ(bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &ilen), 0);
		CHECK_EQ(info.type, BPF_LINK_TYPE_ITER);
		CHECK(!strcmp(name, "task_vma"));
		CHECK_EQ(info.iter.target_name_len, 9);
		CHECK_EQ(info.iter.task.tid, child);
		bpf_link__destroy(link);
	}
	iter_vmmap__destroy(skel);
}

/* The map changes between two reads: the output stays a listing of whole, ordered entries. */
static void test_iter_map_changes(void)
{
	struct iter_vmmap *skel = iter_vmmap__open_and_load();
	union bpf_iter_link_info li;

	CHECK(skel != NULL);
	if (!skel)
		return;
	memset(&li, 0, sizeof(li));
	li.task.pid = (__u32)getpid();
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &li, .link_info_len = sizeof(li));
	struct bpf_link *link = bpf_program__attach_iter(skel->progs.dump_task_vma, &opts);
	int fd = link ? bpf_iter_create(bpf_link__fd(link)) : -1;
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, out, 1), 1);
	char *a = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
	CHECK(a != MAP_FAILED);
	CHECK_EQ(munmap(a + 4096, 4096), 0);
	size_t n = 1;
	ssize_t r;
	while ((r = read(fd, out + n, 4096)) > 0 && n < OUT_MAX - 8192)
		n += (size_t)r;
	CHECK_EQ(r, 0);
	out[n] = 0;
	/* every line whole, addresses ascending, the END line last */
	unsigned long prev_end = 0;
	int lines = 0;
	const char *p = out;
	for (; *p && strncmp(p, "END ", 4); p = strchr(p, '\n') + 1) {
		char *e;
		CHECK_EQ(strtoul(p, &e, 10), (unsigned long)getpid());
		unsigned long start = strtoul(e, &e, 16), end = strtoul(e, &e, 16);
		CHECK(start < end && start >= prev_end);
		prev_end = end;
		lines++;
		if (!strchr(p, '\n'))
			break;
	}
	CHECK(lines > 3);
	CHECK(!strncmp(p, "END ", 4));
	close(fd);
	munmap(a, 3 * 4096);
	bpf_link__destroy(link);
	iter_vmmap__destroy(skel);
}

/* An iterator fd over this task only, for skel's program: the fd, or -errno. */
static int own_iter(struct bpf_program *prog, struct bpf_link **link)
{
	union bpf_iter_link_info li;

	memset(&li, 0, sizeof(li));
	li.task.tid = (__u32)getpid();
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &li, .link_info_len = sizeof(li));
	*link = bpf_program__attach_iter(prog, &opts);
	return *link ? bpf_iter_create(bpf_link__fd(*link)) : -errno;
}

static void test_seq_helpers(void)
{
	static const char want[] =
		"[42   |00042|+42| 42|-42|7]\n"
		"[ff|FF|0xff|          0x400000|-5|18446744073709551615|4294967295]\n"
		"[k|str|   ab|ab   |%|0x1000]\n";
	struct iter_seq *skel = iter_seq__open_and_load();
	struct bpf_link *link;

	CHECK(skel != NULL);
	if (!skel)
		return;
	/* 0: the formats */
	int fd = own_iter(skel->progs.seq_edges, &link);
	CHECK(fd >= 0);
	CHECK(read_all(fd, 7) > 0);
	if (strcmp(out, want))
		printf("# bpf_seq_printf gave:\n%s# wanted:\n%s", out, want);
	CHECK(!strcmp(out, want));
	close(fd);
	bpf_link__destroy(link);

	/* 1: refused calls, and nothing printed by them */
	skel->bss->mode = 1;
	fd = own_iter(skel->progs.seq_edges, &link);
	CHECK_EQ(read_all(fd, 4096), 0);
	CHECK_EQ(skel->data->ret_bad_conv, -EINVAL);
	CHECK_EQ(skel->data->ret_few_args, -EINVAL);
	CHECK_EQ(skel->data->ret_odd_len, -EINVAL);
	CHECK_EQ(skel->data->ret_no_nul, -EINVAL);
	CHECK_EQ(skel->data->ret_not_seq, -EINVAL);
	close(fd);
	bpf_link__destroy(link);

	/* 2: 3000-byte records, two to a buffer: each whole, one per VMA */
	skel->bss->mode = 2;
	fd = own_iter(skel->progs.seq_edges, &link);
	size_t len = 0;
	int vmas = native_listing(getpid(), &len);
	long n = read_all(fd, 4096);
	CHECK_EQ(n, 3000l * vmas);
	for (long i = 0; i < n; i += 3000)
		CHECK_EQ(out[i], 'V');
	close(fd);
	bpf_link__destroy(link);

	/* 3: one run's output above the buffer: E2BIG, at every read */
	skel->bss->mode = 3;
	fd = own_iter(skel->progs.seq_edges, &link);
	CHECK_EQ(read(fd, out, 4096), -1);
	CHECK_EQ(errno, E2BIG);
	CHECK_EQ(read(fd, out, 1), -1);
	CHECK_EQ(errno, E2BIG);
	CHECK_EQ(skel->data->ret_overflow, -EOVERFLOW);
	close(fd);
	bpf_link__destroy(link);
	iter_seq__destroy(skel);
}

static void test_d_path(void)
{
	struct iter_d_path *skel = iter_d_path__open_and_load();

	CHECK(skel != NULL);
	if (!skel)
		return;
	skel->bss->target_pid = getpid();
	struct bpf_link *link = bpf_program__attach_iter(skel->progs.vma_paths, NULL);
	int fd = link ? bpf_iter_create(bpf_link__fd(link)) : -1;
	CHECK(fd >= 0);
	CHECK(read_all(fd, 64) > 0);
	CHECK(skel->bss->paths_found >= 2); /* text and data of this program's image */
	CHECK(skel->bss->anon_seen >= 1);   /* the stack at least */
	CHECK(contains(skel->bss->path, "bpf_tracing"));
	CHECK(contains(out, "bpf_tracing"));
	CHECK_EQ(skel->data->bad_ret, -EINVAL);
	CHECK_EQ(skel->data->small_ret, -ENAMETOOLONG);
	close(fd);
	bpf_link__destroy(link);
	iter_d_path__destroy(skel);
}

static void test_tp_btf(void)
{
	struct tp_btf_trace *skel = tp_btf_trace__open_and_load();

	CHECK(skel != NULL);
	if (!skel)
		return;
	skel->bss->target_pid = getpid();
	skel->data->target_nr = SYS_close;
	/* sys_enter through BPF_RAW_TRACEPOINT_OPEN with a NULL name (bpf_program__attach). */
	struct bpf_link *enter = bpf_program__attach(skel->progs.on_sys_enter);
	CHECK(enter != NULL);
	CHECK_EQ(sys1(SYS_close, 0x1234567), -EBADF);
	CHECK_EQ(sys1(SYS_close, 4321), -EBADF);
	CHECK_EQ(skel->bss->enter_calls, 2);
	CHECK_EQ(skel->bss->enter_di, 4321);
	bpf_link__destroy(enter); /* its close is the last call seen */
	CHECK_EQ(sys1(SYS_close, 999), -EBADF);
	CHECK_EQ(skel->bss->enter_calls, 3);
	CHECK(skel->bss->enter_di != 999);

	/* vm_fault through BPF_LINK_CREATE: 4 KiB pages, then 2 MiB ones, as vm_stat counts them. */
	int lfd = bpf_link_create(bpf_program__fd(skel->progs.on_vm_fault), 0, BPF_TRACE_RAW_TP,
				  NULL);
	CHECK(lfd >= 0);
	struct vm_stat before, after;
	char *small = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
	char *big = mmap(NULL, 4 * SUPER, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANON | MAP_ALIGNED_SUPER, -1, 0);
	CHECK(small != MAP_FAILED && big != MAP_FAILED);
	CHECK_EQ(vm_stat(0, &before), 0);
	for (int i = 0; i < 16; i++)
		small[i * 4096] = 1;
	for (unsigned long off = 0; off < 4 * SUPER; off += 4096)
		big[off] = 1;
	CHECK_EQ(vm_stat(0, &after), 0);
	close(lfd);
	small[0] = 2;
	CHECK_EQ(skel->bss->faults_2m, after.faults_2m - before.faults_2m);
	CHECK_EQ(skel->bss->faults_2m, 4);
	CHECK_EQ(skel->bss->faults_4k + skel->bss->faults_2m, after.faults - before.faults);
	CHECK(skel->bss->faults_4k >= 16);
	CHECK_EQ(skel->bss->faults_other, 0);
	munmap(small, 16 * 4096);
	munmap(big, 4 * SUPER);

	/* Errors: a tp_btf program has no name to give, and attach types must match. */
	CHECK_EQ(bpf_raw_tracepoint_open("vm_fault", bpf_program__fd(skel->progs.on_vm_fault)),
		 -EINVAL);
	CHECK_EQ(bpf_link_create(bpf_program__fd(skel->progs.on_vm_fault), 0, BPF_TRACE_ITER, NULL),
		 -EINVAL);
	tp_btf_trace__destroy(skel);
}

static void test_errors(void)
{
	struct iter_vmmap *skel = iter_vmmap__open_and_load();
	struct tp_btf_trace *tp = tp_btf_trace__open_and_load();

	CHECK(skel && tp);
	if (!skel || !tp)
		return;
	int pfd = bpf_program__fd(skel->progs.dump_task_vma);
	/* link_info: more than one task, a pid fd, info without a length */
	union bpf_iter_link_info li;
	memset(&li, 0, sizeof(li));
	li.task.tid = li.task.pid = (__u32)getpid();
	LIBBPF_OPTS(bpf_link_create_opts, o1, .iter_info = &li, .iter_info_len = sizeof(li));
	CHECK_EQ(bpf_link_create(pfd, 0, BPF_TRACE_ITER, &o1), -EINVAL);
	memset(&li, 0, sizeof(li));
	li.task.pid_fd = 3;
	CHECK_EQ(bpf_link_create(pfd, 0, BPF_TRACE_ITER, &o1), -EINVAL);
	LIBBPF_OPTS(bpf_link_create_opts, o2, .iter_info = &li);
	CHECK_EQ(bpf_link_create(pfd, 0, BPF_TRACE_ITER, &o2), -EINVAL);
	CHECK_EQ(bpf_link_create(pfd, 0, BPF_TRACE_RAW_TP, NULL), -EINVAL);
	CHECK_EQ(bpf_raw_tracepoint_open(NULL, pfd), -EINVAL);
	/* ITER_CREATE: a raw tracepoint link is not an iterator; not a link at all; flags */
	struct bpf_link *enter = bpf_program__attach(tp->progs.on_sys_enter);
	CHECK(enter != NULL);
	CHECK_EQ(bpf_iter_create(bpf_link__fd(enter)), -EINVAL);
	CHECK_EQ(bpf_iter_create(pfd), -EINVAL);
	CHECK_EQ(bpf_iter_create(1000), -EBADF);
	bpf_link__destroy(enter);
	struct bpf_link *it = bpf_program__attach_iter(skel->progs.dump_task_vma, NULL);
	__u32 attr[2] = {(__u32)bpf_link__fd(it), 1};
	CHECK_EQ(sys3(SYS_bpf, BPF_ITER_CREATE, (long)attr, sizeof(attr)), -EINVAL);
	bpf_link__destroy(it);
	tp_btf_trace__destroy(tp);
	iter_vmmap__destroy(skel);
}

static int child_wait(const char *id)
{
	int fd = bpf_map_get_fd_by_id((__u32)atoi(id));
	__u32 k = 0;
	__u64 v = 2;

	if (fd < 0 || bpf_map_update_elem(fd, &k, &v, 0))
		return 2;
	for (int i = 0; i < 10000000 && !bpf_map_lookup_elem(fd, &k, &v) && v != 1; i++)
		sys0(SYS_sched_yield);
	return v == 1 ? 0 : 3;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "wait"))
		return child_wait(argv[2]);
	int progs = count_progs(), maps = count_maps();

	/* A second task in another state, for the all-tasks listing. */
	int flag = bpf_map_create(BPF_MAP_TYPE_ARRAY, "flag", 4, 8, 1, NULL);
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	memset(&info, 0, sizeof(info));
	CHECK(flag >= 0 && !bpf_obj_get_info_by_fd(flag, &info, &len));
	char id[16];
	snprintf(id, sizeof(id), "%u", info.id);
	long child = spawn_self(SELF, "wait", id);
	CHECK(child > 0);
	__u32 k = 0;
	__u64 v = 0;
	for (int i = 0; i < 1000000 && v != 2; i++) {
		bpf_map_lookup_elem(flag, &k, &v);
		sys0(SYS_sched_yield);
	}
	CHECK_EQ(v, 2);

	test_iter_vmmap((int)child);
	v = 1;
	bpf_map_update_elem(flag, &k, &v, 0);
	int status = -1;
	CHECK_EQ(sys3(SYS_waitpid, child, (long)&status, 0), child);
	CHECK_EQ(status, 0);
	close(flag);

	test_iter_map_changes();
	test_seq_helpers();
	test_d_path();
	test_tp_btf();
	test_errors();
	CHECK_EQ(count_progs(), progs);
	CHECK_EQ(count_maps(), maps);
	return utest_result("bpf_tracing");
}
