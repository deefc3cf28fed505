/*
 * bench_bpf's find_vma figure (user/bin/bench_bpf.c): a SYSCALL program, run by BPF_PROG_TEST_RUN,
 * calls bpf_find_vma once on the current task with a BPF callback that returns 0.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

__u64 addr;    /* set by the benchmark: an address of its text */
long ret = -1; /* bpf_find_vma's result, for the benchmark to check */

static long nop_cb(struct task_struct *task, struct vm_area_struct *vma, void *ctx)
{
	return 0;
}

SEC("syscall")
int find_vma_once(void *ctx)
{
	ret = bpf_find_vma(bpf_get_current_task_btf(), addr, nop_cb, NULL, 0);
	return 0;
}

char _license[] SEC("license") = "GPL";
