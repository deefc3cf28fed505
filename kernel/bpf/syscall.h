/*
 * Inside the bpf(2) system call (kernel/bpf/syscall.c): what its command handlers in other files
 * (prog_load.c, test_run.c, info.c) and Kestrel's native map calls (kernel/bpf_syscalls.c) share.
 * The user-visible contract, every command's errors in order, is include/uapi/bpf.h's.
 */
#ifndef KERNEL_BPF_SYSCALL_H
#define KERNEL_BPF_SYSCALL_H

#include <stddef.h>
#include <stdint.h>

#include "uapi/linux/bpf.h"

/* The end of a field of union bpf_attr: where a command's attributes stop (Linux's CHECK_ATTR). */
#define BPF_ATTR_END(field) (offsetof(union bpf_attr, field) + sizeof(((union bpf_attr *)0)->field))

/*
 * A command handler. sys_bpf has copied the caller's attributes into attr (zero-extended) and
 * checked that every byte past the command's last field is zero. cmd is the command (one handler
 * may serve several), uattr the caller's address of the attributes (results are written back into
 * its fields, as Linux does) and size the size the caller gave (at most sizeof(union bpf_attr)).
 * Returns what the system call returns: >= 0 or -errno. Runs in the calling task; may sleep;
 * holds no lock on return.
 */
typedef int (*bpf_cmd_fn)(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size);

int bpf_cmd_prog_load(int cmd, union bpf_attr *attr, uint64_t uattr,
		      uint32_t size); /* prog_load.c */
int bpf_cmd_prog_test_run(int cmd, union bpf_attr *attr, uint64_t uattr,
			  uint32_t size); /* test_run.c */
int bpf_cmd_obj_get_info(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size); /* info.c */
int bpf_cmd_raw_tracepoint_open(int cmd, union bpf_attr *attr, uint64_t uattr,
				uint32_t size); /* raw_tp_link.c */
int bpf_cmd_link_detach(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size); /* link.c */
int bpf_cmd_link_create(int cmd, union bpf_attr *attr, uint64_t uattr,
			uint32_t size); /* tracing.c */
int bpf_cmd_iter_create(int cmd, union bpf_attr *attr, uint64_t uattr,
			uint32_t size); /* bpf_iter.c */
int bpf_cmd_link_get_fd_by_id(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size);
int bpf_cmd_btf_load(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size); /* btf_sys.c */
int bpf_cmd_btf_get_fd_by_id(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size);

/*
 * The map element commands (BPF_MAP_LOOKUP_ELEM, _UPDATE_ELEM, _DELETE_ELEM, _GET_NEXT_KEY,
 * _LOOKUP_AND_DELETE_ELEM) on attr's map_fd, key, value / next_key and flags, with Linux's
 * checks in Linux's order; the bytes past the command's fields are the caller's to check. Also
 * what the native SYS_bpf_map_* calls run. Returns 0 or -errno; other cmd values: -EINVAL.
 */
int bpf_map_elem_cmd(int cmd, const union bpf_attr *attr);

/*
 * Linux's bpf_check_uarg_tail_zero: a user structure of actual bytes at uaddr, of which the kernel
 * knows expected. 0 when actual <= expected or every byte past expected is zero; -E2BIG when
 * actual is above a page (4096 bytes, Linux's "silly large") or a byte past expected is not
 * zero; -EFAULT when those bytes cannot be read.
 */
int bpf_check_uarg_tail_zero(uint64_t uaddr, size_t expected, size_t actual);

/* Store v into the 4-byte field at offset off of the caller's attributes: 0 or -EFAULT. */
int bpf_attr_put_u32(uint64_t uattr, size_t off, uint32_t v);

/*
 * Linux's answer for an fd that should name an object kind Kestrel does not have yet (a BPF
 * token): -EBADF if fd is not open in the current task, else -EINVAL.
 */
int bpf_fd_of_unknown_kind(int fd);

#endif
