/*
 * The task life cycle: kernel threads and the idle task, user threads, exit, wait, reap, kill,
 * and boot and checking (contract in kernel/task.h). User tasks from boot modules are
 * kernel/spawn.c's, the user fault path kernel/fault.c's, other tasks' address spaces
 * kernel/task_map.c's; the helpers they share with this file are in kernel/task_impl.h.
 */
#include "kernel/task.h"
#include <machine/fpu.h>
#include <machine/frame.h>
#include <machine/intr.h>
#include <machine/timer.h>
#include <machine/trap.h>
#include "kernel/callback.h"
#include "kernel/cpu.h"
#include "kernel/fault.h"
#include "kernel/kprintf.h"
#include "kernel/panic.h"
#include "kernel/preempt.h"
#include "kernel/rwlock.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/sys_stat.h"
#include "kernel/task_impl.h"
#include "kernel/task_list.h"
#include "kernel/usercopy.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"
#include "uapi/errno.h"
#include "uapi/sched.h"
#include "uapi/wait.h"

struct task *task_list;
void (*task_release_hook)(struct task *t);
static struct kmem_cache *task_cache;
static struct task *boot_task;
static int next_pid = 1;

extern char boot_stack[], boot_stack_top[];
void task_kthread_start(void);

/* Callee-saved registers and return address as context_switch pops them (switch.S). */
struct initial_context {
	uint64_t r15, r14, r13, r12, rbx, rbp, ret;
};

static void set_name(struct task *t, const char *name)
{
	size_t n = strlen(name);
	if (n >= TASK_NAME_MAX)
		n = TASK_NAME_MAX - 1;
	memcpy(t->name, name, n);
	t->name[n] = '\0';
}

/* task_alloc, task_publish, task_set_initial_context: contracts in kernel/task_impl.h. */
struct task *task_alloc(const char *name, bool user)
{
	struct task *t = kmem_cache_zalloc(task_cache);

	if (!t)
		return NULL;
	set_name(t, name);
	t->user = user;
	t->kstack = kmalloc(KSTACK_SIZE);
	if (user)
		t->fpu = kmalloc(FPU_STATE_SIZE);
	if (!t->kstack || (user && !t->fpu)) {
		kfree(t->kstack);
		kfree(t->fpu);
		kmem_cache_free(task_cache, t);
		return NULL;
	}
	*(uint64_t *)t->kstack = KSTACK_CANARY;
	t->kstack_top = (uint64_t)t->kstack + KSTACK_SIZE;
	t->entry_sp = t->kstack_top;
	t->cpu = -1;
	if (user)
		fpu_state_init(t->fpu);
	fd_table_init(&t->fds);
	t->start_tick = timer_ticks;
	t->leader = t;
	t->nthreads = t->nmembers = 1;
	return t;
}

void task_free(struct task *t)
{
	fd_table_unshare(&t->fds); /* a thread that never ran */
	if (t->kstack != boot_stack)
		kfree(t->kstack);
	kfree(t->fpu);
	if (task_release_hook)
		task_release_hook(t);
	kmem_cache_free(task_cache, t);
}

int task_publish(struct task *t)
{
	spin_lock(&sched_lock);
	t->pid = t->tgid = next_pid++;
	t->parent = task_current()->leader; /* the task's child, whichever thread made it */
	t->next = task_list;
	task_list = t;
	sched_make_runnable_locked(t);
	int pid = t->pid;
	sched_unlock();
	return pid;
}

static void unlink_locked(struct task *t)
{
	for (struct task **pp = &task_list; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			t->next = NULL;
			return;
		}
	}
	panic("task %d (%s) is not on the task list", t->pid, t->name);
}

/*
 * Whether t is a task that has ended, all its threads and their teardown, and that its parent may
 * reap: a leader whose own thread ended first stays thread_done until the last thread has
 * released everything. sched_lock held.
 */
static bool ended_locked(const struct task *t)
{
	return t->state == TASK_ZOMBIE && !t->nthreads && !t->thread_done;
}

/* Make x, a task's struct that will not run again, DEAD and free it soon. sched_lock held. */
static void bury_locked(struct task *x)
{
	unlink_locked(x);
	x->state = TASK_DEAD;
	sched_free_later_locked(x);
}

__attribute__((noreturn)) void task_kthread_main(int (*fn)(void *), void *arg);
void task_kthread_main(int (*fn)(void *), void *arg)
{
	sched_first_run();
	irq_enable();
	task_exit(W_EXITCODE(fn(arg)));
}

void task_set_initial_context(struct task *t, uint64_t below, void (*start)(void), uint64_t r12,
			      uint64_t r13)
{
	struct initial_context *c = (struct initial_context *)below - 1;

	*c = (struct initial_context){.r12 = r12, .r13 = r13, .ret = (uint64_t)start};
	t->saved_rsp = (uint64_t)c;
}

static struct task *kthread_alloc(const char *name, int (*fn)(void *), void *arg, unsigned flags)
{
	struct task *t = task_alloc(name, false);

	if (!t)
		return NULL;
	t->flags = flags & TASK_PREEMPTIBLE;
	if (flags & TASK_BOUND_HERE)
		t->bound = cpu_this_id() + 1;
	/* 16 zero bytes at the top end the backtrace; rsp is 16-byte aligned after the "return". */
	uint64_t *top = (uint64_t *)(t->kstack_top - 16);
	top[0] = top[1] = 0;
	task_set_initial_context(t, (uint64_t)top, task_kthread_start, (uint64_t)fn, (uint64_t)arg);
	return t;
}

struct task *task_create_kthread(const char *name, int (*fn)(void *), void *arg, unsigned flags)
{
	struct task *t = kthread_alloc(name, fn, arg, flags);

	if (t)
		task_publish(t);
	return t;
}

static int idle_main(void *arg)
{
	(void)arg;
	sched_idle();
}

struct task *task_idle_create(void)
{
	struct task *idle = kthread_alloc("idle", idle_main, NULL, 0);

	if (!idle)
		panic("task: no memory for CPU %u's idle task", cpu_this_id());
	idle->pid = -1;
	return idle;
}

/* ---------------------------------------------------------------------------------------------
 * Threads
 */
int task_thread_create(uint64_t entry, uint64_t arg, uint64_t stack_top)
{
	struct task *cur = task_current(), *l = cur->leader;
	struct task *t = task_alloc(cur->name, true);

	if (!t)
		return -ENOMEM;
	/* The caller is a live thread of the space: it stays until this thread has counted in. */
	t->map = cur->map;
	t->pmap = cur->pmap;
	t->leader = l;
	t->nthreads = t->nmembers = 0;
	t->tls_base = cur->tls_base; /* as Linux's clone without CLONE_SETTLS */
	fd_table_share(&t->fds, &l->fds);
	struct trapframe *tf = (struct trapframe *)t->kstack_top - 1;
	frame_init_user(tf, entry, stack_top, &arg, 1);
	task_set_initial_context(t, (uint64_t)tf, task_user_start, 0, 0);

	spin_lock(&sched_lock);
	int r = l->group_exit || cur->killed || l->nmembers >= TASK_THREADS_MAX ? -EAGAIN : 0;
	if (!r) {
		t->pid = r = next_pid++;
		t->tgid = l->pid;
		t->next = task_list;
		task_list = t;
		l->nthreads++;
		l->nmembers++;
		sched_make_runnable_locked(t);
	}
	sched_unlock();
	if (r < 0)
		task_free(t);
	return r;
}

/* Whether thread t of the caller's task has ended. sched_lock held. */
static bool thread_ended_locked(const struct task *t)
{
	return t->leader == t ? t->thread_done || !t->nthreads : t->state == TASK_ZOMBIE;
}

int task_thread_join(int tid, uint64_t uvalue)
{
	struct task *cur = task_current(), *l = cur->leader;

	if (tid == cur->pid)
		return -EINVAL;
	spin_lock(&sched_lock);
	struct task *t = task_lookup_locked(tid);
	int r = !t || t->leader != l ? -ESRCH
		: t->joiner          ? -EINVAL
		: t->joining == cur  ? -EDEADLK
				     : 0;
	if (r) {
		sched_unlock();
		return r;
	}
	t->joiner = cur;
	cur->joining = t;
	while (!thread_ended_locked(t) && !cur->killed)
		sched_sleep_locked(t, 0);
	cur->joining = NULL;
	bool ended = thread_ended_locked(t);
	if (!ended)
		t->joiner = NULL;
	int value = t->thread_value;
	sched_unlock();
	if (!ended)
		return -EINTR;
	/* t stays: only the end of the whole task, which the caller's life holds off, frees it. */
	if (uvalue && copyout(&value, (void *)uvalue, sizeof(value))) {
		spin_lock(&sched_lock);
		t->joiner = NULL;
		sched_unlock();
		return -EFAULT;
	}
	spin_lock(&sched_lock);
	if (t != l) {
		l->nmembers--;
		bury_locked(t);
	}
	sched_unlock();
	return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Exit, wait, kill
 */

/* Give up every map lock t holds (SYS_task_lock_map; they are kept in the leaders). sched_lock held. */
static void release_held_maps_locked(struct task *t)
{
	for (struct task *x = task_list; x; x = x->next) {
		if (x->leader == x && x->map_locker == t) {
			x->map_locker = NULL;
			vm_map_unlock(x->map);
		}
	}
	if (t->leader != t)
		t->map_locker = NULL;
}

/*
 * Release the address space and files of task l, whose last thread (the caller) has ended its own
 * use of map, l's map: wait for the pins of other tasks, then destroy it.
 */
static void release_space(struct task *l, vm_map_t map)
{
	spin_lock(&sched_lock);
	l->map_gone = true;
	while (l->map_users)
		sched_sleep_locked(&l->map_users, 0);
	if (l->map_locker) {
		l->map_locker = NULL;
		vm_map_unlock(map);
	}
	sched_unlock();

	fd_close_all(&l->fds);
	pmap_t pmap = map->pmap;
	spin_lock(&sched_lock);
	sys_stat_retire_locked(map);
	l->map = NULL;
	l->pmap = NULL;
	sched_unlock();
	vm_map_destroy(map);
	pmap_destroy(pmap);
}

/*
 * Mark every thread of task l that has not ended, except `except` (NULL: none), killed, and wake
 * those that sleep: each ends at its next return towards ring 3. sched_lock held.
 */
static void kill_threads_locked(struct task *l, const struct task *except)
{
	for (struct task *x = task_list; x; x = x->next) {
		if (x->leader != l || x == except || x->state == TASK_ZOMBIE ||
		    x->state == TASK_DEAD)
			continue;
		x->killed = true;
		if (x->state == TASK_SLEEPING)
			sched_make_runnable_locked(x);
	}
}

/* Ending every thread of t's task begins (exit, a kill or a fault of t), unless it has. sched_lock held. */
static void group_exit_locked(struct task *t, int status)
{
	struct task *l = t->leader;

	if (l->group_exit)
		return;
	l->group_exit = true;
	l->exit_status = status;
	if (t != l)
		l->fault = t->fault;
	kill_threads_locked(l, t);
}

/*
 * End the calling thread t with value for its joiner. Its own things go first (callbacks, map
 * locks, its hold on the pmap and FPU), then it stops counting; the last thread of the task
 * releases the address space and files, frees the task's unjoined threads and ends the task.
 */
static __attribute__((noreturn)) void thread_end(struct task *t, int value)
{
	struct task *l = t->leader;

	/* Callers hold no spinlock (a tick or fault from ring 3 has interrupts off): tearing down may take a while. */
	irq_enable();
	/* First: a callback's level may pin the task's own map, which release_space would wait for. */
	if (t->user)
		callback_release_all(t);
	spin_lock(&sched_lock);
	t->exiting = true;
	release_held_maps_locked(t);
	sched_unlock();
	vm_map_t map = t->map;
	if (t->user) {
		/* Before it stops counting: the last thread destroys the pmap, which must be loaded nowhere. */
		sched_set_pmap(t, NULL);
		sched_fpu_release(t);
	}
	/* Its fd calls are over: a leader left alone reads its table unlocked. */
	fd_table_unshare(&t->fds);
	spin_lock(&sched_lock);
	if (t != l)
		t->map = NULL;
	t->thread_value = value;
	bool last = --l->nthreads == 0;
	if (!last) {
		t->state = TASK_ZOMBIE;
		if (t == l)
			l->thread_done = true;
		sched_wakeup_locked(t); /* its joiner */
		sched_exit_locked();
	}
	sched_unlock();

	if (t->user)
		release_space(l, map);
	else
		fd_close_all(&t->fds);

	spin_lock(&sched_lock);
	if (!l->group_exit)
		l->exit_status = W_EXITCODE(0);
	for (struct task *c = task_list, *next; c; c = next) {
		next = c->next;
		if (c->leader == l && c != l && c != t) {
			bury_locked(c); /* an ended thread nobody joined */
		} else if (c->parent == l) {
			c->parent = NULL;
			if (ended_locked(c))
				bury_locked(c);
		}
	}
	if (t != l) {
		unlink_locked(t);
		t->state = TASK_DEAD; /* freed once it has left its CPU */
	}
	l->thread_done = false;
	if (l->parent) {
		l->state = TASK_ZOMBIE;
		sched_wakeup_locked(l->parent);
	} else if (l == t) {
		unlink_locked(l);
		l->state = TASK_DEAD;
	} else {
		bury_locked(l);
	}
	sched_exit_locked();
}

void task_exit(int status)
{
	struct task *t = task_current();

	KASSERT(t != boot_task, "kmain may not exit");
	spin_lock(&sched_lock);
	group_exit_locked(t, status);
	sched_unlock();
	thread_end(t, 0);
}

void task_thread_exit(int value)
{
	thread_end(task_current(), value);
}

int task_wait(int pid, int options, uint64_t deadline, struct task **zombie)
{
	struct task *cur = task_current(), *l = cur->leader;

	if (options & ~WNOHANG)
		return -EINVAL;
	spin_lock(&sched_lock);
	for (;;) {
		bool have = false, unpinned = false;
		for (struct task *c = task_list; c; c = c->next) {
			if (c->parent != l || (pid != -1 && c->pid != pid))
				continue;
			have = true;
			if (ended_locked(c)) {
				sched_unlock();
				*zombie = c;
				return 0;
			}
			unpinned |= !callback_pins(cur, c);
		}
		/* Children whose maps our own callbacks pin cannot finish exiting while we wait. */
		int r = !have                                 ? -ECHILD
			: (options & WNOHANG)                 ? 0
			: !unpinned                           ? -EBUSY
			: cur->killed                         ? -EINTR
			: deadline && timer_ticks >= deadline ? -EAGAIN
							      : 1;
		if (r <= 0) {
			sched_unlock();
			*zombie = NULL;
			return r;
		}
		sched_sleep_locked(l, deadline); /* a child's end wakes its parent, the leader */
	}
}

void task_reap(struct task *zombie)
{
	spin_lock(&sched_lock);
	KASSERT(ended_locked(zombie) && zombie->parent == task_current()->leader,
		"task_reap: task %d is not a zombie child of the caller", zombie->pid);
	unlink_locked(zombie);
	zombie->state = TASK_DEAD;
	sched_unlock();
	task_free(zombie);
}

void task_kill_locked(struct task *t)
{
	kill_threads_locked(t->leader, NULL);
}

void task_kill(struct task *t)
{
	spin_lock(&sched_lock);
	if (t->user && t->state != TASK_DEAD && t->leader->nthreads)
		task_kill_locked(t);
	sched_unlock();
}

size_t task_kill_all_user(void)
{
	size_t n = 0;

	spin_lock(&sched_lock);
	for (struct task *t = task_list; t; t = t->next) {
		if (t->user && t->state != TASK_ZOMBIE) {
			task_kill_locked(t);
			n++;
		}
	}
	sched_unlock();
	return n;
}

size_t task_count_user(void)
{
	size_t n = 0;

	spin_lock(&sched_lock);
	for (struct task *t = task_list; t; t = t->next)
		n += t->user;
	sched_unlock();
	return n;
}

/* Contract in kernel/task_impl.h. */
void task_kill_by_fault(struct task *t, const struct trapframe *tf, uint64_t addr, const char *why)
{
	kprintf("task %d (%s): killed: %s at 0x%lx, rip 0x%lx, error code 0x%lx%s\n", t->pid,
		t->name, trap_name(tf->vector), addr, tf->rip, tf->error, why);
	t->fault = (struct task_fault){true, tf->vector, addr, tf->rip};
	task_exit(W_FAULTCODE(tf->vector));
}

void task_return_to_user(struct trapframe *tf)
{
	struct task *t = task_current();

	/* A task that spends its slice in system calls gives the CPU up here, as it would in ring 3. */
	preempt_point();
	if (__atomic_load_n(&t->killed, __ATOMIC_RELAXED))
		task_exit(W_EXITCODE(TASK_STATUS_KILLED));
	struct trapframe gp = *tf;
	if (!frame_user_return_ok(&gp))
		task_kill_by_fault(t, &gp, 0, " (return to a non-canonical address)");
}

/* ---------------------------------------------------------------------------------------------
 * Statistics and the entry stack
 */
int task_sched_stat(int pid, struct sched_stat *out)
{
	spin_lock(&sched_lock);
	struct task *t = pid == 0 ? task_current() : task_lookup_locked(pid);
	if (t)
		*out = (struct sched_stat){t->max_wait, t->preemptions, 1000000 / TIMER_HZ,
					   SCHED_SLICE_TICKS, t->migrations};
	sched_unlock();
	return t ? 0 : -ESRCH;
}

void task_set_entry_sp(struct task *t, uint64_t sp)
{
	unsigned long f = irq_save();
	t->entry_sp = sp;
	if (t == task_current())
		percpu_set_entry_stack(sp);
	irq_restore(f);
}

/* ---------------------------------------------------------------------------------------------
 * Boot and checking
 */
/* rwlock_self_hook: the running task's record. */
static struct rwlock_thread *task_rwlock_self(void)
{
	return &task_current()->rw;
}

void task_init(void)
{
	task_cache = kmem_cache_create("task", sizeof(struct task), 16);
	boot_task = task_cache ? kmem_cache_zalloc(task_cache) : NULL;
	if (!boot_task)
		panic("task_init: out of memory");
	set_name(boot_task, "kmain");
	boot_task->pid = boot_task->tgid = 0;
	boot_task->leader = boot_task;
	boot_task->nthreads = boot_task->nmembers = 1;
	boot_task->kstack = boot_stack;
	boot_task->kstack_top = (uint64_t)boot_stack_top;
	boot_task->entry_sp = boot_task->kstack_top;
	*(uint64_t *)boot_stack = KSTACK_CANARY;
	fd_table_init(&boot_task->fds);
	task_list = boot_task;

	sched_start(boot_task, task_idle_create());

	fault_init();
	rwlock_wait_hook = sched_yield;
	rwlock_self_hook = task_rwlock_self;
}

const char *task_check(void)
{
	const char *msg = NULL;

	spin_lock(&sched_lock);
	for (struct task *t = task_list; t && !msg; t = t->next) {
		for (struct task *u = t->next; u && !msg; u = u->next)
			if (u->pid == t->pid)
				msg = "two tasks have the same pid";
		if (msg)
			break;
		if (t->parent && (t->parent->state == TASK_DEAD ||
				  task_lookup_locked(t->parent->pid) != t->parent))
			msg = "a task's parent is not on the list";
		else if (!t->parent && t->leader == t && ended_locked(t))
			msg = "a zombie has no parent";
		else if (t->leader != t &&
			 (t->parent || task_lookup_locked(t->leader->pid) != t->leader ||
			  t->tgid != t->leader->pid))
			msg = "a thread has a parent or its leader is not on the list";
		else if (t->leader == t && t->nthreads > t->nmembers)
			msg = "a task has more live threads than thread structs";
		else if (t->state == TASK_DEAD)
			msg = "a DEAD task is on the list";
		else if ((t->state == TASK_RUNNABLE) != sched_on_runq_locked(t))
			msg = "run queue membership does not match RUNNABLE";
		else if (t->user && !t->map_gone && !t->exiting && t->state != TASK_ZOMBIE &&
			 (!t->map || !t->pmap))
			msg = "a live user task has no address space";
		else if (*(uint64_t *)t->kstack != KSTACK_CANARY)
			msg = "a kernel stack canary is overwritten";
	}
	if (!msg)
		msg = sched_check_locked();
	sched_unlock();
	return msg;
}
