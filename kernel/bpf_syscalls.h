/*
 * The BPF system calls live in kernel/bpf_syscalls.c (handlers declared in kernel/syscall.h,
 * contracts in include/uapi/bpf.h). This header is what else the kernel may ask of them.
 */
#ifndef KERNEL_BPF_SYSCALLS_H
#define KERNEL_BPF_SYSCALLS_H

#include <stddef.h>

/* Map file descriptors' objects alive now (open in some task or referenced by a call): leak checks. */
size_t bpf_map_files_live(void);

#endif
