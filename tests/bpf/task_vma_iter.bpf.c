// SPDX-License-Identifier: GPL-2.0
/*
 * The open-coded task VMA iterator from syscall programs (BPF_PROG_TEST_RUN runs them in the
 * caller's context, so the current task is the test): where _new starts, what _next yields, the
 * errors _new returns; the loop the benchmark times; and programs the verifier refuses.
 */
#include "vmlinux.h"
#include "bpf_experimental.h"
#include <bpf/bpf_helpers.h>

__u64 start_addr = 0;
int new_ret = 1;
unsigned int count = 0;
__u64 first_start = 0, first_end = 0, last_end = 0;
__u64 flags_or = 0;

/* Walk from start_addr: new's result, how many VMAs, the first's range and the last's end. */
SEC("syscall")
int walk(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;
	unsigned int n = 0;

	first_start = first_end = last_end = 0;
	flags_or = 0;
	new_ret = bpf_iter_task_vma_new(&it, task, start_addr);
	while ((vma = bpf_iter_task_vma_next(&it))) {
		if (!first_end) {
			first_start = vma->vm_start;
			first_end = vma->vm_end;
		}
		last_end = vma->vm_end;
		flags_or |= vma->vm_flags;
		n++;
	}
	bpf_iter_task_vma_destroy(&it);
	count = n;
	return 0;
}

/* The benchmark: every VMA of the task, counted (bpf_for_each as Linux's selftests write it). */
SEC("syscall")
int count_all(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct vm_area_struct *vma;
	unsigned int n = 0;

	bpf_for_each(task_vma, vma, task, 0)
		n++;
	count = n;
	return 0;
}

/* pid -> VMAs the open-coded iterator counted over that task. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, int);
	__type(value, unsigned int);
} per_task SEC(".maps");

/*
 * An iter/task_vma program (autoload off: one test turns it on) that, at each task's first VMA,
 * walks that task with the open-coded iterator: tasks that are not the reader's own.
 */
SEC("?iter/task_vma")
int count_each_task(struct bpf_iter__task_vma *ctx)
{
	struct task_struct *task = ctx->task;
	struct vm_area_struct *v;
	unsigned int n = 0;
	int pid;

	if (!task || !ctx->vma)
		return 0;
	pid = task->pid;
	if (bpf_map_lookup_elem(&per_task, &pid))
		return 0;
	bpf_for_each(task_vma, v, task, 0)
		n++;
	bpf_map_update_elem(&per_task, &pid, &n, BPF_ANY);
	return 0;
}

/* Refused at load (autoload off until a test turns it on). */

/* The iter/task_vma target's BTF function: a kernel function, but no kfunc. */
extern int bpf_iter_task_vma(struct bpf_iter_meta *meta, struct task_struct *task,
			     struct vm_area_struct *vma) __ksym;

SEC("?syscall")
int not_a_kfunc(void *ctx)
{
	return bpf_iter_task_vma(0, 0, 0);
}

/* An iterator never destroyed. */
SEC("?syscall")
int no_destroy(void *ctx)
{
	struct bpf_iter_task_vma it;

	bpf_iter_task_vma_new(&it, bpf_get_current_task_btf(), 0);
	return 0;
}

/* A store through the element. */
SEC("?syscall")
int write_vma(void *ctx)
{
	struct vm_area_struct *vma;

	bpf_for_each(task_vma, vma, bpf_get_current_task_btf(), 0)
		vma->vm_start = 0;
	return 0;
}

char _license[] SEC("license") = "GPL";
