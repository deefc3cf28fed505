/*
 * Tasks: kernel threads and user tasks (one or more threads each), their life cycle (create, exit, wait,
 * kill) and their address spaces. Scheduling itself is kernel/sched.h.
 *
 * Life cycle (xv6's, plus orphans that free themselves):
 *   RUNNABLE <-> RUNNING <-> SLEEPING
 *   RUNNING -> ZOMBIE   task_exit with a parent: it keeps its struct, pid and exit status until
 *                       the parent reaps it (task_wait + task_reap)
 *   RUNNING -> DEAD     task_exit without a parent (it was orphaned): the next task to run frees it
 * When a task exits, its children become orphans (parent NULL): a zombie child is freed then, a
 * living one frees itself when it exits. Everything a task owns besides its struct and kernel
 * stack (its map and pmap with every frame and page-table page, its FPU area, its files) is
 * released by task_exit itself; the struct and kernel stack go when it is reaped.
 *
 * The kernel stack and the entry stack. Each task has KSTACK_SIZE bytes of kernel stack:
 *
 *     kstack_top  ---------------------------------  16-byte aligned
 *                 struct trapframe (user tasks)       what ring 3 looked like at the current entry:
 *                                                      syscall_entry or the CPU (through TSS.rsp0)
 *                                                      builds it here
 *                 kernel frames of that entry ...
 *                 ...
 *     kstack      canary (KSTACK_CANARY, checked at every switch)
 *
 * entry_sp is where the next entry from ring 3 builds its frame; the scheduler loads it into the
 * per-CPU kernel_rsp and TSS.rsp0 whenever the task is switched in. It is kstack_top except while
 * a system call runs user code in the middle of itself (BPF callbacks): such a call picks a
 * 16-byte-aligned address below its own live frames, calls task_set_entry_sp(current, that), and
 * enters ring 3 with iretq (trap_return) from a frame it built; the callback's own system calls
 * and interrupts then stack their frames below the suspended call's, which stays intact. When the
 * callback is over it restores the previous entry_sp the same way. Nesting works the same way at
 * each level.
 *
 * Threads (Linux's model, issue 11): a task is a group of threads, each a struct task with its own
 * pid (its tid), kernel stack, FPU area, callback state and fault fields. The first thread is the
 * group leader: tgid is its pid, getpid returns it. Every thread of the task shares the leader's
 * address space (map and pmap, which each thread's map and pmap fields name) and the leader's fd
 * table (fd_table_share). The pinning fields (map_gone, map_users, map_locker) and the task's
 * exit status, fault record, parent and children are the leader's: task_map_get(tid) pins the
 * leader. The leader's struct lives until every thread of its task has ended (as Linux keeps a
 * leader zombie), which is what makes that sharing safe without another refcounted object. A
 * non-leader thread has no parent; it is a ZOMBIE from its end until thread_join reaps it (or the
 * task ends, which frees every unjoined one). exit (task_exit) ends every thread of the task: the
 * first exit, kill or fault sets group_exit, records the status (and fault) in the leader and
 * kills the others; the last thread to end releases the address space and files and makes the
 * leader a ZOMBIE its parent can reap (or frees it, orphaned). A leader whose own thread ended
 * while others run is a ZOMBIE with thread_done set and nthreads > 0: task_wait does not reap it.
 *
 * Locking: sched_lock (kernel/sched.h) protects every task's state, parent, list links, wchan,
 * wake_tick, killed, exit_status, map_locker, cpu, bound, fpu_cpu and scheduling statistics, and
 * the task list; slice is the running CPU's. The rest is written only by the task itself (or
 * before it first runs).
 *
 * Invariants (task_check): pids are unique; a task's parent is in the list and not DEAD; a ZOMBIE
 * has a parent; a DEAD task is not in the list; a RUNNABLE task is on the run queue and only
 * those are; a user task that has not started exiting has a map and a pmap; the kernel stack
 * canary is intact.
 */
#ifndef KERNEL_TASK_H
#define KERNEL_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <machine/percpu.h>
#include "kernel/fd.h"
#include "mm/memlayout.h"
#include "mm/vm_map.h"

struct trapframe;
struct cb_level;

#define KSTACK_SIZE (32 * 1024)
#define KSTACK_CANARY 0x6b73746b63616e61ull
#define TASK_NAME_MAX 64

/* spawn's argument limits: strings (with their NULs) and pointers. */
#define ARG_MAX (32 * 1024)
#define ARG_COUNT_MAX 256

/* The exit status of a task killed by the kernel (task_kill), as a shell reports SIGKILL. */
#define TASK_STATUS_KILLED 137

/* Resolved faults at one rip and address, without a system call between, before the task is killed. */
#define TASK_FAULT_REPEAT_MAX 1000

/* task_create_kthread flags */
#define TASK_PREEMPTIBLE 0x1 /* the timer may switch away from it in ring 0 too */
#define TASK_BOUND_HERE 0x2  /* it runs only on the creator's CPU (kernel/sched.h, sched_bind) */

enum task_state {
	TASK_RUNNABLE,
	TASK_RUNNING,
	TASK_SLEEPING,
	TASK_ZOMBIE,
	TASK_DEAD,
};

/* How a task that a CPU exception killed died (vector 0 and no kill: it exited). */
struct task_fault {
	bool killed_by_fault;
	uint64_t vector, addr, rip; /* addr: CR2 for a page fault, else 0 */
};

struct task {
	int pid;
	enum task_state state;
	char name[TASK_NAME_MAX];
	bool user;
	unsigned flags; /* TASK_PREEMPTIBLE */

	struct task *parent;     /* NULL: orphan (or the boot task) */
	struct rwlock_thread rw; /* the read locks it holds, for kernel/rwlock.c (own use) */
	void *btf_view;          /* kernel/task_btf.h: made on first use, freed with the task */
	struct task *next;       /* the task list */
	struct task *rq_next;    /* the run queue, while RUNNABLE */
	void *wchan;             /* what a SLEEPING task waits for */
	uint64_t wake_tick;      /* if not 0, a sleep ends at this timer tick at the latest */
	bool killed;             /* task_kill: exit at the next return towards ring 3 */
	unsigned slice;          /* ticks left before the timer may preempt */
	uint64_t runnable_since; /* timer_ticks when it last became RUNNABLE */
	uint64_t max_wait;       /* longest RUNNABLE stretch before it ran, in ticks */
	uint64_t preemptions;    /* switched out RUNNABLE with its slice used up */
	uint64_t migrations;     /* switched in on another CPU than the one it last ran on */
	int cpu;                 /* the CPU it runs on, or last ran on; -1: it never ran */
	unsigned bound;          /* 1 + the only CPU it may run on (sched_bind); 0: any */
	unsigned fpu_cpu;        /* 1 + the CPU whose FPU registers hold its state, if that
					  CPU's owner is it too (kernel/sched.c); 0: its fpu area */
	int exit_status;         /* include/uapi/wait.h status word, once ZOMBIE */
	struct task_fault fault;
	/*
	 * The last page fault from ring 3 that vm_fault resolved, and how many times in a row it
	 * recurred at the same rip and address with no system call in between: a resolved fault that
	 * keeps recurring makes no progress (TASK_FAULT_REPEAT_MAX ends it). Written by the task.
	 */
	uint64_t last_fault_rip, last_fault_addr;
	unsigned fault_repeats;

	void *kstack; /* KSTACK_SIZE bytes, the canary at the bottom */
	uint64_t kstack_top;
	uint64_t saved_rsp; /* the context context_switch saved */
	uint64_t entry_sp;  /* see "the entry stack" above */
	void *fpu;          /* user tasks: FPU_STATE_SIZE bytes of fxsave area */
	uint64_t tls_base;  /* user tasks: the thread pointer (arch_prctl, <machine/tls.h>) */

	vm_map_t map; /* user tasks; NULL once freed (set NULL under sched_lock
					  before the map is destroyed: while sched_lock is held,
					  a map read here is alive) */
	pmap_t pmap;
	bool map_gone;           /* exiting: task_map_get refuses it */
	unsigned map_users;      /* task_map_get pins */
	struct task *map_locker; /* holds map's lock for writing (SYS_task_lock_map) */
	/*
	 * Map locks (any task's, its own included) this task holds across a return to ring 3, i.e.
	 * while it runs a callback under them (the BPF calls: increment before entering the callback,
	 * decrement after it returns). While it is not 0, the task's own map-changing system calls
	 * (kernel/vm_syscalls.c) only try their lock and fail with EBUSY: waiting could be waiting
	 * for the task itself. Written by the task itself only.
	 */
	unsigned map_lock_depth;
	struct cb_level *cb_top; /* innermost system call running a callback (kernel/callback.h) */

	struct fd_table fds; /* a thread's names its leader's (fd_table_share) */
	uint64_t start_tick;

	/*
	 * Threads (see "Threads" above). leader and tgid are fixed at creation. The leader-only
	 * fields are under sched_lock.
	 */
	int tgid;             /* the leader's pid: what getpid returns */
	struct task *leader;  /* the first thread of its task (itself for it and kernel threads) */
	unsigned nthreads;    /* leader: threads that have not ended yet (the task ends at 0) */
	unsigned nmembers;    /* leader: thread structs of the task (live, and ended unjoined) */
	bool group_exit;      /* leader: exit, a kill or a fault ends every thread of the task */
	bool thread_done;     /* leader: its own thread ended first; until the task has ended */
	bool exiting;         /* the thread is ending (its own; task_check) */
	int thread_value;     /* thread_exit's value, for thread_join (once the thread ended) */
	struct task *joiner;  /* the thread that joins it (sched_lock) */
	struct task *joining; /* the thread it waits for in thread_join (sched_lock) */
};

/* Every task but the idle task, linked by next, newest first. sched_lock held. */
extern struct task *task_list;

/* The task running on this CPU (one load: right even if the caller is preempted around it). */
static inline struct task *task_current(void)
{
	return percpu_current();
}

/*
 * Turn the boot context into task 0 ("kmain", a kernel thread that is never preempted), create
 * the idle task, and install the fault hooks (fault_init, kernel/fault.h) and rwlock_wait_hook.
 * Needs percpu_init, pmm and kmem. Once, before the timer starts.
 */
void task_init(void);

/*
 * A new idle task for the calling CPU, not yet running: a kernel thread on no list (pid -1) that
 * runs sched_idle, to hand to sched_start or sched_cpu_start. Panics when out of memory (at boot).
 */
struct task *task_idle_create(void);

/*
 * A new kernel thread running fn(arg), child of the caller, runnable at once; its exit status is
 * W_EXITCODE(fn's return value) unless it calls task_exit. flags: TASK_PREEMPTIBLE,
 * TASK_BOUND_HERE (the CPU the creator runs on as it calls: bound creators, such as kmain, make
 * this exact; a new thread bound to a busy CPU waits for it, while other CPUs may idle). Returns the
 * task (reap it with task_wait/task_reap), or NULL when out of memory.
 */
struct task *task_create_kthread(const char *name, int (*fn)(void *), void *arg, unsigned flags);

/*
 * Start program `name` as a user task, child of the caller. The program is the boot module named
 * `name`, or else "bin/<name>". argv: argc strings copied onto the new stack as given
 * (user/crt0.S's entry contract); the caller keeps them. Its fds 1 and 2 are the console, its fd 0
 * the caller's fd 0 if that is open (include/uapi/console.h). Returns the child's pid; -ENOENT no such
 * module; -ENOEXEC it is not a valid program (kernel/elf.h); -E2BIG the arguments do not fit;
 * -ENOMEM out of memory. On failure nothing is left behind.
 */
int task_spawn(const char *name, int argc, char *const argv[]);

/*
 * task_spawn, with the child bound to the caller's CPU for its whole life: a caller that is bound
 * there too and does not sleep (kmain) prepares it (its fds, its fields) before it first runs, as
 * on one CPU. For tests.
 */
int task_spawn_here(const char *name, int argc, char *const argv[]);

/*
 * End the calling task, every thread of it (Linux's exit_group), with wait status `status`
 * (include/uapi/wait.h) unless an exit, kill or fault of another of its threads set one first; the
 * other threads are killed and end at their next return towards ring 3. The calling thread ends
 * at once; the last thread to end releases everything but the structs and kernel stacks, makes the
 * children orphans and wakes the parent. Never returns. Call with no spinlock held (interrupts are
 * turned on).
 */
__attribute__((noreturn)) void task_exit(int status);

/*
 * Wait for a child of the caller to end: pid > 0 that child, -1 any. options: WNOHANG or 0.
 * Returns 0 with *zombie = the child, still a ZOMBIE and still the caller's to reap (task_reap);
 * 0 with *zombie = NULL if WNOHANG and none has ended; -ECHILD no such child (none at all for -1);
 * -EINVAL unknown options; -EINTR the caller was killed while waiting; -EAGAIN timer_ticks reached
 * deadline (if not 0) first; -EBUSY (without WNOHANG) every matching live child is pinned by one of
 * the caller's callback levels (callback_pins), so it could not end while the caller waits.
 * Sleeps; call with no spinlock held.
 */
int task_wait(int pid, int options, uint64_t deadline, struct task **zombie);

/* Free a zombie child that task_wait returned (its pid may then be reused). */
void task_reap(struct task *zombie);

/*
 * Make t's task, every thread of it, exit with TASK_STATUS_KILLED as soon as each would next
 * return towards ring 3 (a kernel thread: never; it is not killable). Wakes those that sleep in an
 * interruptible wait (task_wait, thread_join, futex).
 */
void task_kill(struct task *t);
/* task_kill's work, for a caller that found t under sched_lock: a user task, not ZOMBIE or DEAD. */
void task_kill_locked(struct task *t);

/* Kill every user task; returns how many there were. For the test runner's time limits. */
size_t task_kill_all_user(void);

/* User tasks alive or zombie right now. */
size_t task_count_user(void);

/*
 * Pin the address space of task pid (0: the caller; a thread's tid names its task's space) for
 * inspection: on success *out is the task's leader, whose map stays allocated (it may be read
 * under its own lock) until task_map_put(*out). Errors: -ESRCH no task has that pid; -EPERM it is
 * a kernel thread; -ENOENT it has no address space (it is exiting or has exited). The map's lock is the caller's business (vm_map_trylock_read gives
 * the EBUSY of include/uapi/vm_stat.h).
 */
int task_map_get(int pid, struct task **out);
void task_map_put(struct task *t);

/*
 * SYS_task_lock_map's work: the caller takes (hold 1) or releases (hold 0) the lock of task pid's
 * (0: its own) map for writing, holding it across returns to ring 3 until released or until the
 * caller or the task exits. Only the caller itself or its children (task_may_inspect_locked with
 * TASK_INSPECT_CHILDREN). Returns 0; -EINVAL hold not 0 or 1, or releasing a lock the caller does
 * not hold; -EBUSY the caller already holds it, or it runs a callback under a map lock
 * (map_lock_depth) and the lock is not free at once; -ESRCH, -EPERM (kernel thread, or neither the
 * caller nor its child), -ENOENT as task_map_get.
 */
int task_lock_map(int pid, int hold);

/*
 * Task pid's (0: the caller's) scheduling statistics (include/uapi/sched.h) into *out. Returns 0,
 * or -ESRCH if no task has that pid.
 */
struct sched_stat;
int task_sched_stat(int pid, struct sched_stat *out);

/* Most threads a task may have (structs: live threads and ended ones not yet joined). */
#define TASK_THREADS_MAX 64

/*
 * A new thread of the caller's task starting in ring 3 at entry with rdi = arg and rsp =
 * stack_top (checked by the caller: kernel/thread.c). Returns its tid; -EAGAIN the task has
 * TASK_THREADS_MAX threads or is ending; -ENOMEM (nothing left behind). No spinlock held.
 */
int task_thread_create(uint64_t entry, uint64_t arg, uint64_t stack_top);

/*
 * End the calling thread only, with value for thread_join; the last thread to end ends the task
 * (exit status W_EXITCODE(0) unless an exit, kill or fault set it). Never returns. No spinlock.
 */
__attribute__((noreturn)) void task_thread_exit(int value);

/*
 * Wait for thread tid of the caller's task to end, store its thread_exit value (an int) at user
 * address uvalue unless that is 0, and reap it. Returns 0; -EINVAL tid is the caller, or another thread joins it already (the leader can be joined
 * once); -EDEADLK tid is waiting to join the caller; -ESRCH no thread tid in the caller's task;
 * -EINTR the caller was killed; -EFAULT the value could not be stored at user address uvalue (not
 * 0): the thread stays joinable. No spinlock held.
 */
int task_thread_join(int tid, uint64_t uvalue);

/*
 * Free a DEAD task's struct, kernel stack and FPU area, after task_release_hook(t) (if set) has
 * freed what other layers hung off it; it is off the list and will never run again.
 */
void task_free(struct task *t);

/*
 * The per-task release hook: called by task_free with each task just before its struct is freed
 * (no lock held; t is on no list and never runs again), to free what a layer above the task life
 * cycle keeps in the task (today the BPF view, t->btf_view: kernel/task_btf.h's task_btf_init
 * sets it to task_btf_free). NULL: nothing to release. Set once at boot, before anything hangs
 * state off a task; the life cycle itself calls that layer only through it.
 */
extern void (*task_release_hook)(struct task *t);

/*
 * The one rule for which tasks the caller may inspect or act on (kill, the console's foreground,
 * the BPF task queries, task_lock_map): whether t, a task's leader (a thread stands for its task
 * through its leader), is the caller's own task or related to it as scope says:
 *   TASK_INSPECT_DESCENDANTS  a descendant of the caller's task at any depth: kill, the console
 *                             foreground and BPF's task/VMA queries (through task_descendant_locked,
 *                             kernel/task_list.h, which adds the state and kernel-thread checks).
 *   TASK_INSPECT_CHILDREN     a direct child only: task_lock_map, which holds t's map lock for
 *                             writing across returns to ring 3 and so stops t's faults and map
 *                             calls until released: a stronger power than reading, kept as narrow
 *                             as its contract has always said ("only the caller itself or its
 *                             children"). The two scopes differ on purpose; widening the second
 *                             would change what SYS_task_lock_map accepts.
 * Kernel threads and task states are the callers' checks, not this rule's. sched_lock held.
 */
enum task_inspect {
	TASK_INSPECT_DESCENDANTS,
	TASK_INSPECT_CHILDREN,
};
bool task_may_inspect_locked(const struct task *t, enum task_inspect scope);

/* Set t's entry stack (see above); takes effect at once if t is running. 16-byte aligned. */
void task_set_entry_sp(struct task *t, uint64_t sp);

/*
 * Called on every return to ring 3 through tf (the system-call exit, a timer tick or resolved
 * fault from ring 3; code that enters ring 3 from a frame it built itself calls it too): a task
 * whose slice is used up lets other runnable tasks run first (preempt_point); a killed task exits
 * here instead. So does one whose tf->rip is not a canonical user address, which only
 * kernel code rewriting the frame can cause, and which iretq would turn into a #GP in ring 0: the
 * task is killed as if it had taken that #GP itself.
 */
void task_return_to_user(struct trapframe *tf);

/*
 * Check the invariants listed above and the scheduler's (sched_check_locked); NULL or a message
 * naming the broken one. Takes sched_lock.
 */
const char *task_check(void);

#endif
