/*
 * A task as BPF programs see it: Linux's struct task_struct and its struct mm_struct, in the
 * layouts of the kernel's BTF (include/uapi/kestrel_btf_types.h), which programs read through
 * typed pointers (tracepoint arguments, bpf_get_current_task_btf) or bpf_probe_read_kernel
 * (bpf_get_current_task).
 *
 * The view is made on the first request and lives until the task is freed (task_free), so a
 * pointer to it handed to a program run stays valid for that run. What never changes (pid, comm,
 * the address-space bounds) is filled once; each request refreshes what does (the map's entry
 * count). Fields Kestrel has no value for are 0 or NULL.
 */
#ifndef KERNEL_TASK_BTF_H
#define KERNEL_TASK_BTF_H

struct task;
struct task_struct;

/*
 * t's view, refreshed; NULL when it cannot be allocated. Called in program runs (t is the current
 * task, or one a caller keeps alive): no spinlock needed, never sleeps.
 */
struct task_struct *task_btf_view(struct task *t);

/* Free t's view (task_free). */
void task_btf_free(struct task *t);

#endif
