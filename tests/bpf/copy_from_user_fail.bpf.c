// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_copy_from_user where it is refused, for tests/user/bpf_copy_from_user.c (each program off
 * until the test turns it on): a raw tracepoint program, whose type may not sleep ("helper call
 * might sleep in a non-sleepable prog", Linux's words), a non-sleepable iterator (iter/, not
 * iter.s/: the same), and a tc program, whose type has no such helper ("program of this type
 * cannot use helper bpf_copy_from_user#148").
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char buf[8];

SEC("?raw_tp/sys_enter")
int copy_raw_tp(void *ctx)
{
	return bpf_copy_from_user(buf, sizeof(buf), (const void *)0x400000);
}

SEC("?iter/task_vma")
int copy_iter_nosleep(struct bpf_iter__task_vma *ctx)
{
	return bpf_copy_from_user(buf, sizeof(buf), (const void *)0x400000);
}

SEC("?tc")
int copy_tc(struct __sk_buff *skb)
{
	return bpf_copy_from_user(buf, sizeof(buf), (const void *)0x400000);
}

char _license[] SEC("license") = "GPL";
