// SPDX-License-Identifier: GPL-2.0
/*
 * An iter/task_vma program that prints every task's map, one line per VMA, in the columns of the
 * native listing (user/vmmap_print.c) that a VMA shows: pid, start, end, protection, and the guard,
 * stack and image flags. The last run (task and vma NULL) prints how many lines came before.
 * Used by `vmmap -b` (user/bin/vmmap.c) and tests/user/bpf_tracing.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* include/uapi/bpf.h's vm_flags bits */
#define VM_READ 0x1
#define VM_WRITE 0x2
#define VM_EXEC 0x4
#define VM_GUARD 0x100
#define VM_STACK 0x200

__u64 vmas_shown = 0;
__u64 end_runs = 0;

SEC("iter/task_vma")
int dump_task_vma(struct bpf_iter__task_vma *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct vm_area_struct *vma = ctx->vma;

	if (!task || !vma) {
		BPF_SEQ_PRINTF(seq, "END %llu\n", ctx->meta->seq_num);
		end_runs++;
		return 0;
	}
	unsigned long f = vma->vm_flags;
	BPF_SEQ_PRINTF(seq, "%5d %#18lx %#18lx %c%c%c %c%c%c\n", task->pid, vma->vm_start,
		       vma->vm_end, f & VM_READ ? 'r' : '-', f & VM_WRITE ? 'w' : '-',
		       f & VM_EXEC ? 'x' : '-', f & VM_GUARD ? 'G' : '-', f & VM_STACK ? 'S' : '-',
		       vma->vm_file ? 'I' : '-');
	vmas_shown++;
	return 0;
}

char _license[] SEC("license") = "GPL";
