/*
 * A task as BPF programs see it: Linux's struct task_struct and its struct mm_struct, in the
 * layouts of the kernel's BTF (include/uapi/kestrel_btf_types.h), which programs read through
 * typed pointers (tracepoint arguments, bpf_get_current_task_btf) or bpf_probe_read_kernel
 * (bpf_get_current_task).
 *
 * The view is made on the first request and lives until the task is freed (task_free, through
 * task_release_hook), so a pointer to it handed to a program run stays valid for that run. What
 * never changes (pid, comm, the program image: mm's exe_file, start_code and end_code,
 * kernel/image_btf.h) is filled once;
 * each request refreshes what does (the map's entry count) and fills start_stack once the map's
 * lock could be taken without waiting (the top of the task's stack entry: with ASLR it moves
 * from task to task; Linux's is the initial stack pointer just below that, and both lie within
 * the stack VMA by Linux's [stack] test, vm_start <= start_stack <= vm_end). Fields Kestrel has
 * no value for are 0 or NULL.
 */
#ifndef KERNEL_TASK_BTF_H
#define KERNEL_TASK_BTF_H

struct task;
struct task_struct;
struct image_btf;

/*
 * t's view, refreshed; NULL when it cannot be allocated. Called in program runs (t is the current
 * task, or one a caller keeps alive): no spinlock needed, never sleeps.
 */
struct task_struct *task_btf_view(struct task *t);

/* t's view if task_btf_view made it, not refreshed; else NULL. Never allocates; no lock. */
struct task_struct *task_btf_peek(struct task *t);

/* The program image t's view points to (exe_file's), or NULL: no view yet, or no image. */
const struct image_btf *task_btf_image(struct task *t);

/*
 * The pid of the living task whose view is `view` (a pointer a program handed back: anything at
 * all), or -ESRCH when no task has it. Never dereferences view. Takes sched_lock: call with no
 * spinlock held. The answer may be stale once it returns (the task may exit): pin the task by
 * pid (task_map_get) and check task_btf_peek again.
 */
int task_btf_pid(const struct task_struct *view);

/* Free t's view (task_free, through task_release_hook). */
void task_btf_free(struct task *t);

/*
 * Register task_btf_free as the task life cycle's per-task release hook (task_release_hook,
 * kernel/task.h), so task_free frees the view without the life cycle knowing about BPF. Once at
 * boot, after task_init and before any program runs (kmain).
 */
void task_btf_init(void);

#endif
