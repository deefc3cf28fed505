/* Error numbers, as Linux numbers them. Kernel functions return them negated. */
#ifndef UAPI_ERRNO_H
#define UAPI_ERRNO_H

#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENODEV 19
#define EINVAL 22
#define EMFILE 24
#define ENOSPC 28
#define ERANGE 34
#define EDEADLK 35 /* thread_join: the thread joins the caller */
#define ENAMETOOLONG 36
#define ENOSYS 38
#define ELOOP 40
#define EPROTO 71
#define EOPNOTSUPP 95      /* e.g. libbpf: a program type the kernel cannot load */
#define ENOTSUP EOPNOTSUPP /* mmap/mprotect: prot beyond its own PROT_MAX (FreeBSD's) */
#define EOVERFLOW 75
#define ETIMEDOUT 110 /* futex: the timeout passed */
#define EBADFD 77     /* bpf(2) BPF_OBJ_GET_INFO_BY_FD on an fd that is not open, as Linux */
/* Linux-internal "not supported", which bpf(2) returns as is (e.g. an LRU map with BPF_F_NO_PREALLOC). */
#define ENOTSUPP 524

#endif
