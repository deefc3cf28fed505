/*
 * BTF in bpf(2) (kernel only): the kernel's own BTF object, BTF file descriptors, and what
 * BPF_BTF_LOAD, BPF_BTF_GET_FD_BY_ID and BPF_OBJ_GET_INFO_BY_FD do with them (the command
 * handlers are declared with the others in kernel/bpf/syscall.h; their user-visible errors are
 * include/uapi/bpf.h's). The objects themselves are kernel/bpf/btf.h's.
 *
 * References: a BTF fd holds one reference on its object (btf_get), dropped by the last
 * file_put of the fd's file, as map and program fds do (kernel/bpf/file.h). The kernel's object
 * holds its first reference forever, so it is never freed and keeps id 1.
 */
#ifndef KERNEL_BPF_BTF_SYS_H
#define KERNEL_BPF_BTF_SYS_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/bpf/btf.h"
#include "kernel/fd.h"
#include "uapi/linux/bpf.h"

/*
 * Parse the kernel's BTF (embedded in the image at build time between __kestrel_btf_start and
 * __kestrel_btf_end) and publish it, so that it gets id 1 and the name "vmlinux". Once, at
 * boot, before any task can use bpf(2); panics if the blob does not parse (a broken build).
 */
void btf_vmlinux_init(void);

/* The kernel's BTF (no reference is taken for the caller: it is never freed). No lock. */
struct btf *btf_vmlinux(void);

/* A new fd in the current task for btf, taking over the caller's reference: the fd, or -ENOMEM /
   -EMFILE with the reference dropped. */
int bpf_btf_fd_install(struct btf *btf);

/* The BTF object behind fd in the current task, referenced for the caller (btf_put): 0, -EBADF
   (fd not open) or -EINVAL (not a BTF fd). */
int bpf_btf_fd_get(int fd, struct btf **out);

/*
 * BPF_MAP_CREATE's BTF (attr's btf_fd, btf_key_type_id, btf_value_type_id, for a map already
 * checked and made from attr), as Linux's map_check_btf: 0, or -EBADF / -EINVAL btf_fd, -EACCES
 * it is the kernel's BTF, -EINVAL a type whose size is not the key's or the value's, a keyless
 * map other than a one-element ARRAY of a DATASEC (global data), or an array key that is not a
 * 32-bit int. The map keeps no reference: its info reports no BTF (yet).
 */
int bpf_map_btf_check(const union bpf_attr *attr);

/* Whether f is a BTF fd's file, and its object (not referenced: f's reference keeps it). */
struct btf *bpf_btf_of_file(struct file *f);

/*
 * BPF_OBJ_GET_INFO_BY_FD on a BTF object (Linux's btf_get_info_by_fd): attr's info_len and
 * info, the results written into the caller's struct bpf_btf_info and info_len at uattr. 0,
 * -E2BIG / -EFAULT (info_len checks), -EFAULT, -EINVAL (name and name_len not both set or both 0)
 * or -ENOSPC (the name was cut to name_len; everything else is written). No lock held.
 */
int bpf_btf_get_info(const struct btf *btf, const union bpf_attr *attr, uint64_t uattr);

#endif
