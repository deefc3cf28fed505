// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_d_path of &vma->vm_file->f_path from an iter/task_vma program: Linux refuses this program
 * at load ("R1 type=untrusted_ptr_ expected=ptr_, trusted_ptr_, rcu_ptr_"); Kestrel loads it and
 * checks the pointer at run time (kernel/bpf/seq.c). The program also passes pointers that are
 * not its VMA's file's path (the task, a NULL file's), which must fail with -EINVAL.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

pid_t target_pid = 0;
__u32 paths_found = 0; /* image VMAs of target_pid whose path was resolved */
__u32 anon_seen = 0;   /* VMAs of target_pid without a file */
long bad_ret = 1;      /* bpf_d_path of the task pointer */
long small_ret = 1;    /* bpf_d_path into a 2-byte buffer */
char path[64] = {};

SEC("iter/task_vma")
int vma_paths(struct bpf_iter__task_vma *ctx)
{
	struct task_struct *task = ctx->task;
	struct vm_area_struct *vma = ctx->vma;
	char buf[64];
	char tiny[2];

	if (!task || !vma || task->pid != target_pid)
		return 0;
	bad_ret = bpf_d_path((struct path *)task, buf, sizeof(buf));
	if (!vma->vm_file) {
		anon_seen++;
		return 0;
	}
	long n = bpf_d_path(&vma->vm_file->f_path, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	small_ret = bpf_d_path(&vma->vm_file->f_path, tiny, sizeof(tiny));
	__builtin_memcpy(path, buf, sizeof(path));
	paths_found++;
	BPF_SEQ_PRINTF(ctx->meta->seq, "%lx %s\n", vma->vm_start, buf);
	return 0;
}

char _license[] SEC("license") = "GPL";
