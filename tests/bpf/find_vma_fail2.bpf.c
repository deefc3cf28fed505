/*
 * A bpf_find_vma callback that writes to the task it is given, for tests/user/find_vma_bpf.c: the
 * pointer is read-only, so the verifier refuses the program ("only read is supported").
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

static long write_task(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	task->pid = 1;
	return 0;
}

SEC("syscall")
int find_vma_write_task(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return bpf_find_vma(task, 0x400000, write_task, NULL, 0);
}

char _license[] SEC("license") = "GPL";
