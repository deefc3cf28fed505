/*
 * libbpf's low-level API: one thin wrapper per bpf(2) command (Linux's <bpf/bpf.h>, libbpf 1.1
 * names, signatures and options layouts; the implementation is user/libbpf/bpf.c).
 *
 * Every call returns what the kernel returned (0, a count or a new fd) on success; on failure it
 * returns the negated errno AND sets errno to it, as libbpf 1.x does. Options structs follow
 * libbpf_common.h's sz rule; an unknown nonzero field past the library's struct is -EINVAL.
 *
 * Attach types are Linux's enum bpf_attach_type values (BPF_TRACE_ITER = 28, BPF_TRACE_RAW_TP =
 * 23, ...), passed as __u32 here because Kestrel's uapi header does not declare that enum yet;
 * code written with the enum's names compiles unchanged once it does.
 */
#ifndef __LIBBPF_BPF_H
#define __LIBBPF_BPF_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libbpf_common.h"

struct bpf_map_create_opts {
	size_t sz;
	__u32 btf_fd;
	__u32 btf_key_type_id;
	__u32 btf_value_type_id;
	__u32 btf_vmlinux_value_type_id;
	__u32 inner_map_fd;
	__u32 map_flags;
	__u64 map_extra;
	__u32 numa_node;
	__u32 map_ifindex;
};
#define bpf_map_create_opts__last_field map_ifindex

/* BPF_MAP_CREATE: a new map's fd. map_name may be NULL; a longer one is cut to 15 bytes. */
LIBBPF_API int bpf_map_create(enum bpf_map_type map_type, const char *map_name, __u32 key_size,
			      __u32 value_size, __u32 max_entries,
			      const struct bpf_map_create_opts *opts);

struct bpf_prog_load_opts {
	size_t sz;
	int attempts; /* tries while the kernel says EAGAIN; 0 means 5 */
	__u32 expected_attach_type;
	__u32 prog_btf_fd;
	__u32 prog_flags;
	__u32 prog_ifindex;
	__u32 kern_version;
	__u32 attach_btf_id;
	__u32 attach_prog_fd;
	__u32 attach_btf_obj_fd;
	const int *fd_array;
	const void *func_info;
	__u32 func_info_cnt;
	__u32 func_info_rec_size;
	const void *line_info;
	__u32 line_info_cnt;
	__u32 line_info_rec_size;
	__u32 log_level;
	__u32 log_size;
	char *log_buf;
};
#define bpf_prog_load_opts__last_field log_buf

/*
 * BPF_PROG_LOAD: a new program's fd. The verifier's log goes to opts->log_buf (log_size bytes) at
 * opts->log_level; a buffer with log_level 0 is filled only if the load fails (the load is then
 * retried once at level 1, as libbpf does). prog_name may be NULL; a longer one is cut to 15 bytes.
 */
LIBBPF_API int bpf_prog_load(enum bpf_prog_type prog_type, const char *prog_name,
			     const char *license, const struct bpf_insn *insns, size_t insn_cnt,
			     const struct bpf_prog_load_opts *opts);

struct bpf_btf_load_opts {
	size_t sz;
	char *log_buf;
	__u32 log_level;
	__u32 log_size;
};
#define bpf_btf_load_opts__last_field log_size

/* BPF_BTF_LOAD (Linux's command 18): the BTF object's fd. */
LIBBPF_API int bpf_btf_load(const void *btf_data, size_t btf_size,
			    const struct bpf_btf_load_opts *opts);

/* The element commands (Linux's semantics; errors in include/uapi/bpf.h). */
LIBBPF_API int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags);
LIBBPF_API int bpf_map_lookup_elem(int fd, const void *key, void *value);
LIBBPF_API int bpf_map_lookup_elem_flags(int fd, const void *key, void *value, __u64 flags);
LIBBPF_API int bpf_map_lookup_and_delete_elem(int fd, const void *key, void *value);
LIBBPF_API int bpf_map_delete_elem(int fd, const void *key);
/* key NULL: the first key. -ENOENT after the last. */
LIBBPF_API int bpf_map_get_next_key(int fd, const void *key, void *next_key);
LIBBPF_API int bpf_map_freeze(int fd);

/* The id commands: the next id above start_id into *next_id; -ENOENT past the last. */
LIBBPF_API int bpf_prog_get_next_id(__u32 start_id, __u32 *next_id);
LIBBPF_API int bpf_map_get_next_id(__u32 start_id, __u32 *next_id);
LIBBPF_API int bpf_btf_get_next_id(__u32 start_id, __u32 *next_id);
LIBBPF_API int bpf_link_get_next_id(__u32 start_id, __u32 *next_id);
LIBBPF_API int bpf_prog_get_fd_by_id(__u32 id);
LIBBPF_API int bpf_map_get_fd_by_id(__u32 id);
LIBBPF_API int bpf_btf_get_fd_by_id(__u32 id);
LIBBPF_API int bpf_link_get_fd_by_id(__u32 id);
/* BPF_OBJ_GET_INFO_BY_FD into info (*info_len bytes); *info_len becomes what the kernel wrote. */
LIBBPF_API int bpf_obj_get_info_by_fd(int bpf_fd, void *info, __u32 *info_len);

/* BPF_RAW_TRACEPOINT_OPEN (17): a link fd attaching prog_fd to tracepoint name (NULL: tp_btf). */
LIBBPF_API int bpf_raw_tracepoint_open(const char *name, int prog_fd);

union bpf_iter_link_info; /* Linux's, from <linux/bpf.h> once the kernel has iterators */

struct bpf_link_create_opts {
	size_t sz;
	__u32 flags;
	union bpf_iter_link_info *iter_info;
	__u32 iter_info_len;
	__u32 target_btf_id;
	union {
		struct {
			__u64 bpf_cookie;
		} perf_event;
		struct {
			__u32 flags;
			__u32 cnt;
			const char **syms;
			const unsigned long *addrs;
			const __u64 *cookies;
		} kprobe_multi;
		struct {
			__u64 cookie;
		} tracing;
	};
	size_t : 0;
};
#define bpf_link_create_opts__last_field kprobe_multi.cookies

/* BPF_LINK_CREATE (28): a link fd. attach_type is Linux's enum bpf_attach_type value. */
LIBBPF_API int bpf_link_create(int prog_fd, int target_fd, __u32 attach_type,
			       const struct bpf_link_create_opts *opts);
/* BPF_LINK_DETACH (34). */
LIBBPF_API int bpf_link_detach(int link_fd);
/* BPF_ITER_CREATE (33): an fd that read(2) runs the iterator link_fd through. */
LIBBPF_API int bpf_iter_create(int link_fd);

struct bpf_test_run_opts {
	size_t sz;
	const void *data_in;
	void *data_out;
	__u32 data_size_in;
	__u32 data_size_out; /* in: data_out's size; out: the bytes written */
	const void *ctx_in;
	void *ctx_out;
	__u32 ctx_size_in;
	__u32 ctx_size_out; /* in: ctx_out's size; out: the bytes written */
	__u32 retval;       /* out: the program's r0 */
	int repeat;
	__u32 duration; /* out: mean ns per run */
	__u32 flags;
	__u32 cpu;
	__u32 batch_size;
};
#define bpf_test_run_opts__last_field batch_size

/* BPF_PROG_TEST_RUN: 0 with the out fields of opts written back, or -errno. */
LIBBPF_API int bpf_prog_test_run_opts(int prog_fd, struct bpf_test_run_opts *opts);

#endif
