/*
 * A bpf_find_vma callback that writes to the VMA it is given, for tests/user/find_vma_bpf.c: the
 * pointer is read-only, so the verifier refuses the program ("only read is supported").
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

static long write_vma(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	vma->vm_start = 0x1000;
	return 0;
}

SEC("syscall")
int find_vma_write_vma(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return bpf_find_vma(task, 0x400000, write_vma, NULL, 0);
}

char _license[] SEC("license") = "GPL";
