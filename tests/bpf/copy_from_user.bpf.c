// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_copy_from_user from the programs that may sleep, for tests/user/bpf_copy_from_user.c: a
 * SYSCALL program (libbpf loads "syscall" sleepable, as Linux requires) copying a fixed 64 bytes
 * and one copying a size the test picks, and a sleepable iterator (iter.s/task_vma) copying once,
 * at its first run. Each keeps the helper's result; buf is what it copied.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

__u64 uaddr;  /* set by the test: the user address to copy from */
__u32 len;    /* copy_len's size, cut to sizeof(buf) */
long ret = 1; /* the helper's result */
unsigned char buf[64];
long iter_runs;

SEC("syscall")
int copy_fixed(void *ctx)
{
	ret = bpf_copy_from_user(buf, sizeof(buf), (const void *)uaddr);
	return 0;
}

SEC("syscall")
int copy_len(void *ctx)
{
	__u32 n = len;

	if (n > sizeof(buf))
		n = sizeof(buf);
	ret = bpf_copy_from_user(buf, n, (const void *)uaddr);
	return 0;
}

SEC("iter.s/task_vma")
int copy_iter(struct bpf_iter__task_vma *ctx)
{
	if (iter_runs++ == 0)
		ret = bpf_copy_from_user(buf, sizeof(buf), (const void *)uaddr);
	return 0;
}

char _license[] SEC("license") = "GPL";
