/*
 * The task list and kill (shared by the kernel and user/).
 *
 * SYS_task_list(struct task_info *out, size_t max, int from) -> count
 *   Stores up to max records of the tasks whose pid is above `from`, in ascending pid order, and
 *   returns how many. A caller lists every task by starting with from = -1 (kmain is pid 0) and
 *   passing the last pid it got as the next `from` until a call returns 0. A call stores at most
 *   TASK_LIST_BATCH records, so fewer than max does not mean the end: only 0 does. max 0 returns
 *   0. Every task is listed, kernel threads and zombies too (not the idle task). Each call takes
 *   one snapshot under the scheduler's lock and copies it out afterwards. Errors (negated): EFAULT
 *   out is not writable user memory for the records stored; ENOMEM no kernel memory for the
 *   snapshot.
 *
 * SYS_kill(int pid) -> 0
 *   Kills task pid as the kernel kills a task: it ends at its next return towards user mode (a
 *   sleep is cut short first) with exit status TASK_KILLED_STATUS. Kestrel has no signals and no
 *   credentials; a task may kill its descendants (its children, theirs, ...), neither itself
 *   (that is SYS_exit) nor any other. As Linux's kill on a thread group, pid may be the tid of any
 *   thread of the task, and the task's pid works after its first thread ended while others run:
 *   every thread of the task is killed. A zombie descendant: 0, nothing to do. Errors (negated),
 *   in the order checked: EINVAL pid is 0 or negative (there are no process groups); ESRCH no
 *   task has that pid, or it names a thread other than the first that has ended; EPERM it is a
 *   kernel thread, the caller's task, or not a descendant of the caller's task.
 */
#ifndef UAPI_TASK_INFO_H
#define UAPI_TASK_INFO_H

#include <stdint.h>

#define TASK_LIST_BATCH 64

/* The exit status (WEXITSTATUS, include/uapi/wait.h) of a killed task, as a shell shows SIGKILL. */
#define TASK_KILLED_STATUS 137

/* task_info.state */
#define TASK_INFO_RUNNABLE 0 /* waiting for the CPU */
#define TASK_INFO_RUNNING 1
#define TASK_INFO_SLEEPING 2 /* waiting for an event: a child, input, time, a lock */
#define TASK_INFO_ZOMBIE 3   /* ended, its status not yet collected by its parent */

/* task_info.flags */
#define TASK_INFO_USER 0x1   /* a user task (else a kernel thread) */
#define TASK_INFO_KILLED 0x2 /* killed, not yet ended */

struct task_info {
	int32_t pid;
	int32_t ppid;         /* -1: none (kmain, or an orphan whose parent ended) */
	uint32_t state;       /* TASK_INFO_* */
	uint32_t flags;       /* TASK_INFO_* flags */
	uint64_t resident_4k; /* 4 KiB pages mapped in its address space (vm_stat's resident_4k) */
	uint64_t resident_2m; /* 2 MiB pages mapped in it; 0 and 0 for kernel threads and zombies */
	char name[64];        /* NUL-terminated */
	int32_t cpu; /* the CPU it runs on (RUNNING), else the one it last ran on; -1: never ran */
	uint32_t reserved; /* 0 */
};
_Static_assert(sizeof(struct task_info) == 104, "struct task_info is ABI");

#endif
