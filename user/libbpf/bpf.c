/*
 * <bpf/bpf.h>: one wrapper per bpf(2) command, with libbpf 1.x's conventions (contract in the
 * header): the kernel's result, a failure also in errno. The five element calls Kestrel's native
 * API shares with libbpf (bpf_map_{update,lookup,delete}_elem, bpf_map_get_next_key) live in
 * user/bpf.c.
 *
 * As libbpf, the hot commands (elements, test runs, ids, info) pass the attribute bytes up to
 * their last field (offsetofend), not the whole union: the kernel copies and checks less.
 *
 * The attribute blocks of the commands Kestrel's <linux/bpf.h> does not describe yet (raw
 * tracepoints, links, iterators) are written here with Linux's layouts.
 */
#include <bpf.h>
#include <string.h>

#include "libbpf_internal.h"

static int sys_bpf(int cmd, void *attr, unsigned int size)
{
	return libbpf_err(bpf(cmd, attr, size));
}

/* Copies a name into the kernel's 16 bytes, cut to 15 (libbpf's rule for map and program names). */
static void copy_name(char dst[BPF_OBJ_NAME_LEN], const char *name)
{
	memset(dst, 0, BPF_OBJ_NAME_LEN);
	for (size_t i = 0; name && name[i] && i < BPF_OBJ_NAME_LEN - 1; i++)
		dst[i] = name[i];
}

int bpf_map_create(enum bpf_map_type map_type, const char *map_name, __u32 key_size,
		   __u32 value_size, __u32 max_entries, const struct bpf_map_create_opts *opts)
{
	union bpf_attr a;

	if (!OPTS_VALID(opts, bpf_map_create_opts))
		return libbpf_err(-EINVAL);
	memset(&a, 0, sizeof(a));
	a.map_type = map_type;
	a.key_size = key_size;
	a.value_size = value_size;
	a.max_entries = max_entries;
	copy_name(a.map_name, map_name);
	a.btf_fd = OPTS_GET(opts, btf_fd, 0);
	a.btf_key_type_id = OPTS_GET(opts, btf_key_type_id, 0);
	a.btf_value_type_id = OPTS_GET(opts, btf_value_type_id, 0);
	a.btf_vmlinux_value_type_id = OPTS_GET(opts, btf_vmlinux_value_type_id, 0);
	a.inner_map_fd = OPTS_GET(opts, inner_map_fd, 0);
	a.map_flags = OPTS_GET(opts, map_flags, 0);
	a.map_extra = OPTS_GET(opts, map_extra, 0);
	a.numa_node = OPTS_GET(opts, numa_node, 0);
	a.map_ifindex = OPTS_GET(opts, map_ifindex, 0);
	return sys_bpf(BPF_MAP_CREATE, &a, sizeof(a));
}

int bpf_prog_load(enum bpf_prog_type prog_type, const char *prog_name, const char *license,
		  const struct bpf_insn *insns, size_t insn_cnt,
		  const struct bpf_prog_load_opts *opts)
{
	union bpf_attr a;
	int fd;

	if (!OPTS_VALID(opts, bpf_prog_load_opts))
		return libbpf_err(-EINVAL);
	int attempts = OPTS_GET(opts, attempts, 0);
	if (attempts < 0)
		return libbpf_err(-EINVAL);
	if (!attempts)
		attempts = 5;
	if (!insns || !insn_cnt || insn_cnt > UINT32_MAX)
		return libbpf_err(-EINVAL);
	memset(&a, 0, sizeof(a));
	a.prog_type = prog_type;
	a.insn_cnt = (__u32)insn_cnt;
	a.insns = (__u64)(uintptr_t)insns;
	a.license = (__u64)(uintptr_t)(license ? license : "");
	copy_name(a.prog_name, prog_name);
	a.expected_attach_type = OPTS_GET(opts, expected_attach_type, 0);
	a.prog_btf_fd = OPTS_GET(opts, prog_btf_fd, 0);
	a.prog_flags = OPTS_GET(opts, prog_flags, 0);
	a.prog_ifindex = OPTS_GET(opts, prog_ifindex, 0);
	a.kern_version = OPTS_GET(opts, kern_version, 0);
	a.attach_btf_id = OPTS_GET(opts, attach_btf_id, 0);
	a.attach_prog_fd = OPTS_GET(opts, attach_prog_fd, 0);
	if (!a.attach_prog_fd)
		a.attach_btf_obj_fd = OPTS_GET(opts, attach_btf_obj_fd, 0);
	a.fd_array = (__u64)(uintptr_t)OPTS_GET(opts, fd_array, NULL);
	a.func_info = (__u64)(uintptr_t)OPTS_GET(opts, func_info, NULL);
	a.func_info_cnt = OPTS_GET(opts, func_info_cnt, 0);
	a.func_info_rec_size = OPTS_GET(opts, func_info_rec_size, 0);
	a.line_info = (__u64)(uintptr_t)OPTS_GET(opts, line_info, NULL);
	a.line_info_cnt = OPTS_GET(opts, line_info_cnt, 0);
	a.line_info_rec_size = OPTS_GET(opts, line_info_rec_size, 0);
	char *log_buf = OPTS_GET(opts, log_buf, NULL);
	__u32 log_size = OPTS_GET(opts, log_size, 0), log_level = OPTS_GET(opts, log_level, 0);
	if (!log_buf != !log_size)
		return libbpf_err(-EINVAL);
	if (log_level) {
		a.log_buf = (__u64)(uintptr_t)log_buf;
		a.log_size = log_size;
		a.log_level = log_level;
	}
	do
		fd = bpf(BPF_PROG_LOAD, &a, sizeof(a));
	while (fd == -EAGAIN && --attempts > 0);
	if (fd < 0 && !log_level && log_buf) {
		/* A buffer without a level asks for the log of a failure only: load again with one. */
		a.log_buf = (__u64)(uintptr_t)log_buf;
		a.log_size = log_size;
		a.log_level = 1;
		log_buf[0] = 0;
		fd = bpf(BPF_PROG_LOAD, &a, sizeof(a));
	}
	return libbpf_err(fd);
}

int bpf_btf_load(const void *btf_data, size_t btf_size, const struct bpf_btf_load_opts *opts)
{
	union bpf_attr a;

	if (!OPTS_VALID(opts, bpf_btf_load_opts) || btf_size > UINT32_MAX)
		return libbpf_err(-EINVAL);
	memset(&a, 0, sizeof(a));
	a.btf = (__u64)(uintptr_t)btf_data;
	a.btf_size = (__u32)btf_size;
	a.btf_log_buf = (__u64)(uintptr_t)OPTS_GET(opts, log_buf, NULL);
	a.btf_log_size = OPTS_GET(opts, log_size, 0);
	a.btf_log_level = OPTS_GET(opts, log_level, 0);
	return sys_bpf(BPF_BTF_LOAD, &a, sizeof(a));
}

static int elem_cmd(int cmd, int fd, const void *key, void *value, __u64 flags)
{
	const size_t attr_sz = offsetofend(union bpf_attr, flags);
	union bpf_attr a;

	memset(&a, 0, attr_sz);
	a.map_fd = (__u32)fd;
	a.key = (__u64)(uintptr_t)key;
	a.value = (__u64)(uintptr_t)value;
	a.flags = flags;
	return sys_bpf(cmd, &a, attr_sz);
}

int bpf_map_lookup_elem_flags(int fd, const void *key, void *value, __u64 flags)
{
	return elem_cmd(BPF_MAP_LOOKUP_ELEM, fd, key, value, flags);
}

int bpf_map_lookup_and_delete_elem(int fd, const void *key, void *value)
{
	return elem_cmd(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, key, value, 0);
}

int bpf_map_freeze(int fd)
{
	const size_t attr_sz = offsetofend(union bpf_attr, map_fd);
	union bpf_attr a;

	memset(&a, 0, attr_sz);
	a.map_fd = (__u32)fd;
	return sys_bpf(BPF_MAP_FREEZE, &a, attr_sz);
}

static int get_next_id(int cmd, __u32 start_id, __u32 *next)
{
	const size_t attr_sz = offsetofend(union bpf_attr, next_id);
	union bpf_attr a;

	memset(&a, 0, attr_sz);
	a.start_id = start_id;
	int r = sys_bpf(cmd, &a, attr_sz);
	if (!r)
		*next = a.next_id;
	return r;
}

int bpf_prog_get_next_id(__u32 start_id, __u32 *next_id)
{
	return get_next_id(BPF_PROG_GET_NEXT_ID, start_id, next_id);
}

int bpf_map_get_next_id(__u32 start_id, __u32 *next_id)
{
	return get_next_id(BPF_MAP_GET_NEXT_ID, start_id, next_id);
}

int bpf_btf_get_next_id(__u32 start_id, __u32 *next_id)
{
	return get_next_id(BPF_BTF_GET_NEXT_ID, start_id, next_id);
}

int bpf_link_get_next_id(__u32 start_id, __u32 *next_id)
{
	return get_next_id(BPF_LINK_GET_NEXT_ID, start_id, next_id);
}

static int fd_by_id(int cmd, __u32 id)
{
	const size_t attr_sz = offsetofend(union bpf_attr, open_flags);
	union bpf_attr a;

	memset(&a, 0, attr_sz);
	a.start_id = id;
	return sys_bpf(cmd, &a, attr_sz);
}

int bpf_prog_get_fd_by_id(__u32 id)
{
	return fd_by_id(BPF_PROG_GET_FD_BY_ID, id);
}

int bpf_map_get_fd_by_id(__u32 id)
{
	return fd_by_id(BPF_MAP_GET_FD_BY_ID, id);
}

int bpf_btf_get_fd_by_id(__u32 id)
{
	return fd_by_id(BPF_BTF_GET_FD_BY_ID, id);
}

int bpf_link_get_fd_by_id(__u32 id)
{
	return fd_by_id(BPF_LINK_GET_FD_BY_ID, id);
}

int bpf_obj_get_info_by_fd(int bpf_fd, void *info, __u32 *info_len)
{
	const size_t attr_sz = offsetofend(union bpf_attr, info);
	union bpf_attr a;

	memset(&a, 0, attr_sz);
	a.info.bpf_fd = (__u32)bpf_fd;
	a.info.info_len = *info_len;
	a.info.info = (__u64)(uintptr_t)info;
	int r = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, attr_sz);
	if (!r)
		*info_len = a.info.info_len;
	return r;
}

/* Linux's union bpf_attr for BPF_RAW_TRACEPOINT_OPEN. */
struct attr_raw_tp {
	__aligned_u64 name;
	__u32 prog_fd;
	__u32 pad;
};

int bpf_raw_tracepoint_open(const char *name, int prog_fd)
{
	struct attr_raw_tp a;

	memset(&a, 0, sizeof(a));
	a.name = (__u64)(uintptr_t)name;
	a.prog_fd = (__u32)prog_fd;
	return sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a, sizeof(a));
}

/* Linux's union bpf_attr for BPF_LINK_CREATE, up to the members libbpf 1.1 fills. */
struct attr_link_create {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	union {
		__u32 target_btf_id;
		struct {
			__aligned_u64 iter_info;
			__u32 iter_info_len;
		};
		__u64 cookie; /* perf_event.bpf_cookie, tracing.cookie */
	};
};

int bpf_link_create(int prog_fd, int target_fd, __u32 attach_type,
		    const struct bpf_link_create_opts *opts)
{
	struct attr_link_create a;

	if (!OPTS_VALID(opts, bpf_link_create_opts))
		return libbpf_err(-EINVAL);
	memset(&a, 0, sizeof(a));
	a.prog_fd = (__u32)prog_fd;
	a.target_fd = (__u32)target_fd;
	a.attach_type = attach_type;
	a.flags = OPTS_GET(opts, flags, 0);
	__u32 btf_id = OPTS_GET(opts, target_btf_id, 0);
	void *iter_info = OPTS_GET(opts, iter_info, NULL);
	__u32 iter_len = OPTS_GET(opts, iter_info_len, 0);
	if ((iter_info || iter_len) && btf_id)
		return libbpf_err(-EINVAL);
	switch (attach_type) {
	case ATTACH_TRACE_ITER:
		a.iter_info = (__u64)(uintptr_t)iter_info;
		a.iter_info_len = iter_len;
		break;
	case ATTACH_PERF_EVENT:
		a.cookie = OPTS_GET(opts, perf_event.bpf_cookie, 0);
		break;
	case ATTACH_TRACE_FENTRY:
	case ATTACH_TRACE_FEXIT:
	case ATTACH_MODIFY_RETURN:
	case ATTACH_LSM_MAC:
		a.cookie = OPTS_GET(opts, tracing.cookie, 0);
		break;
	default:
		if (iter_info || iter_len)
			return libbpf_err(-EINVAL);
		a.target_btf_id = btf_id;
		break;
	}
	return sys_bpf(BPF_LINK_CREATE, &a, sizeof(a));
}

int bpf_link_detach(int link_fd)
{
	__u32 a[2] = {(__u32)link_fd, 0};

	return sys_bpf(BPF_LINK_DETACH, a, sizeof(a));
}

int bpf_iter_create(int link_fd)
{
	__u32 a[2] = {(__u32)link_fd, 0}; /* link_fd, flags */

	return sys_bpf(BPF_ITER_CREATE, a, sizeof(a));
}

/* BPF_PROG_TEST_RUN's attribute block: the union's test member (libbpf passes offsetofend). */
typedef __typeof__(((union bpf_attr *)0)->test) test_run_attr_t;
_Static_assert(offsetof(union bpf_attr, test) == 0, "the test member starts the union");

int bpf_prog_test_run_opts(int prog_fd, struct bpf_test_run_opts *opts)
{
	struct bpf_test_run_opts older;
	const struct bpf_test_run_opts *in = opts;

	if (!opts || !OPTS_VALID(opts, bpf_test_run_opts))
		return libbpf_err(-EINVAL);
	/* A caller built with a shorter struct: the fields it lacks read as 0, as OPTS_GET's. */
	if (opts->sz < sizeof(older)) {
		memset(&older, 0, sizeof(older));
		memcpy(&older, opts, opts->sz);
		in = &older;
	}
	/*
	 * Zeroed first (padding included: the kernel refuses nonzero bytes past batch_size), then
	 * each field: the compiler writes the block with a few stores, no memset call.
	 */
	test_run_attr_t a;
	__builtin_memset(&a, 0, sizeof(a));
	a.prog_fd = (__u32)prog_fd;
	a.data_size_in = in->data_size_in;
	a.data_size_out = in->data_size_out;
	a.data_in = (__u64)(uintptr_t)in->data_in;
	a.data_out = (__u64)(uintptr_t)in->data_out;
	a.repeat = (__u32)in->repeat;
	a.ctx_size_in = in->ctx_size_in;
	a.ctx_size_out = in->ctx_size_out;
	a.ctx_in = (__u64)(uintptr_t)in->ctx_in;
	a.ctx_out = (__u64)(uintptr_t)in->ctx_out;
	a.flags = in->flags;
	a.cpu = in->cpu;
	a.batch_size = in->batch_size;
	int r = sys_bpf(BPF_PROG_TEST_RUN, &a, sizeof(a));
	if (OPTS_HAS(opts, retval))
		opts->retval = a.retval;
	if (OPTS_HAS(opts, duration))
		opts->duration = a.duration;
	if (OPTS_HAS(opts, data_size_out))
		opts->data_size_out = a.data_size_out;
	if (OPTS_HAS(opts, ctx_size_out))
		opts->ctx_size_out = a.ctx_size_out;
	return r;
}
