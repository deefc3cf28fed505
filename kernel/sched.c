/* The run queue, context switches, sleep and wakeup, the tick (contract in kernel/sched.h). */
#include "kernel/sched.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/trap.h"
#include "kernel/panic.h"
#include "kernel/preempt.h"
#include "kernel/task.h"
#ifdef KESTREL_WITNESS
#include "kernel/witness.h"
#define WITNESS_MAY_SLEEP(what, allowed)                                                           \
	witness_may_sleep((what), (allowed), (uintptr_t)__builtin_return_address(0))
#else
#define WITNESS_MAY_SLEEP(what, allowed) ((void)0)
#endif

spinlock_t sched_lock = SPINLOCK_INIT("sched");

/* Under sched_lock: */
static struct task *runq_head, *runq_tail;
static struct task *idle_task;
static struct task *switch_prev; /* the task the last context_switch left */
static struct task *dead_list;   /* DEAD tasks waiting for sched_unlock, linked by next */

/* Per CPU, changed only with interrupts off: */
static pmap_t active_pmap;       /* loaded in CR3; NULL: the kernel pmap */
static struct task *fpu_owner;   /* whose registers the FPU holds */

void context_switch(uint64_t *save_rsp, uint64_t load_rsp);

void sched_start(struct task *boot, struct task *idle)
{
	idle_task = idle;
	boot->state = TASK_RUNNING;
	boot->slice = SCHED_SLICE_TICKS;
	this_cpu()->current = boot;
	percpu_set_entry_stack(boot->entry_sp);
}

void sched_unlock(void)
{
	struct task *dead = dead_list;

	dead_list = NULL;
	spin_unlock(&sched_lock);
	while (dead) {
		struct task *next = dead->next;
		task_free(dead);
		dead = next;
	}
}

void sched_free_later_locked(struct task *t)
{
	t->next = dead_list;
	dead_list = t;
}

void sched_make_runnable_locked(struct task *t)
{
	t->state = TASK_RUNNABLE;
	t->runnable_since = timer_ticks;
	t->rq_next = NULL;
	if (runq_tail)
		runq_tail->rq_next = t;
	else
		runq_head = t;
	runq_tail = t;
}

static struct task *runq_pop(void)
{
	struct task *t = runq_head;

	if (t) {
		runq_head = t->rq_next;
		if (!runq_head)
			runq_tail = NULL;
		t->rq_next = NULL;
	}
	return t;
}

bool sched_runq_empty(void)
{
	return __atomic_load_n(&runq_head, __ATOMIC_RELAXED) == NULL;
}

bool sched_on_runq_locked(const struct task *t)
{
	for (const struct task *q = runq_head; q; q = q->rq_next)
		if (q == t)
			return true;
	return false;
}

static void load_pmap(pmap_t pmap)
{
	if (pmap == active_pmap)
		return;
	pmap_activate(pmap ? pmap : pmap_kernel());
	active_pmap = pmap;
}

/* Give the FPU registers to next if it is a user task (kernel code never uses them). */
static void load_fpu(struct task *next)
{
	if (!next->fpu || fpu_owner == next)
		return;
	if (fpu_owner)
		fpu_save(fpu_owner->fpu);
	fpu_restore(next->fpu);
	fpu_owner = next;
}

/* Tasks that died after the switch that left them: freed at the next sched_unlock. */
static void finish_switch(void)
{
	struct task *prev = switch_prev;

	switch_prev = NULL;
	if (prev && prev->state == TASK_DEAD)
		sched_free_later_locked(prev);
}

static void check_canary(const struct task *t)
{
	KASSERT(*(const uint64_t *)t->kstack == KSTACK_CANARY,
		"task %d (%s): kernel stack overflow (canary overwritten)", t->pid, t->name);
}

/*
 * Run the next runnable task (or idle). The caller has set its own state (and queued itself if it
 * stays runnable); sched_lock held. Returns when the caller is switched back in, with the lock
 * held again and the caller's own interrupt flag in the lock's saved flags.
 */
static void sched_switch(void)
{
	struct task *prev = task_current(), *next = runq_pop();
	unsigned long flags = sched_lock.saved_flags;

	if (!next)
		next = idle_task;
	if (next == prev) {
		prev->state = TASK_RUNNING;
		return;
	}
	check_canary(prev);
	check_canary(next);
	if (next != idle_task && timer_ticks - next->runnable_since > next->max_wait)
		next->max_wait = timer_ticks - next->runnable_since;
	if (prev->state == TASK_RUNNABLE && prev->slice == 0)
		prev->preemptions++;
	next->state = TASK_RUNNING;
	next->slice = SCHED_SLICE_TICKS;
	this_cpu()->current = next;
	percpu_set_entry_stack(next->entry_sp);
	if (next->pmap)
		load_pmap(next->pmap);
	load_fpu(next);
	switch_prev = prev;
	context_switch(&prev->saved_rsp, next->saved_rsp);
	finish_switch();
	sched_lock.saved_flags = flags;
}

void sched_first_run(void)
{
	finish_switch();
	sched_lock.saved_flags = 0; /* interrupts stay off: the new task turns them on when it is ready */
	sched_unlock();
}

void sched_yield(void)
{
	struct task *cur = task_current();

	WITNESS_MAY_SLEEP("sched_yield", NULL);
	spin_lock(&sched_lock);
	if (cur != idle_task)
		sched_make_runnable_locked(cur);
	sched_switch();
	sched_unlock();
}

bool preempt_due(void)
{
	struct task *cur = task_current();

	return cur->user && !cur->slice && (read_rflags() & RFLAGS_IF) && !sched_runq_empty();
}

void preempt_point(void)
{
	if (preempt_due())
		sched_yield();
}

void sched_sleep_locked(void *chan, uint64_t deadline)
{
	struct task *cur = task_current();

	KASSERT(cur != idle_task, "the idle task may not sleep");
	WITNESS_MAY_SLEEP("sched_sleep", &sched_lock.witness_cls);
	cur->wchan = chan;
	cur->wake_tick = deadline;
	cur->state = TASK_SLEEPING;
	sched_switch();
	cur->wchan = NULL;
	cur->wake_tick = 0;
}

void sched_sleep_until(uint64_t tick)
{
	static char timer_chan; /* nobody wakes it: only the deadline does */

	spin_lock(&sched_lock);
	while (timer_ticks < tick && !task_current()->killed)
		sched_sleep_locked(&timer_chan, tick);
	sched_unlock();
}

void sched_wakeup_locked(void *chan)
{
	for (struct task *t = task_list; t; t = t->next)
		if (t->state == TASK_SLEEPING && t->wchan == chan)
			sched_make_runnable_locked(t);
}

void sched_wakeup(void *chan)
{
	spin_lock(&sched_lock);
	sched_wakeup_locked(chan);
	sched_unlock();
}

void sched_exit_locked(void)
{
	sched_switch();
	panic("sched_exit_locked: task %d (%s) ran again after exiting", task_current()->pid,
	      task_current()->name);
}

void sched_set_pmap(struct task *cur, pmap_t pmap)
{
	unsigned long f = irq_save();
	cur->pmap = pmap;
	load_pmap(pmap);
	irq_restore(f);
}

void sched_fpu_release(struct task *t)
{
	unsigned long f = irq_save();
	if (fpu_owner == t)
		fpu_owner = NULL;
	irq_restore(f);
}

void sched_tick(struct trapframe *tf)
{
	struct task *cur = task_current();
	bool from_user = trap_from_user(tf);

	spin_lock(&sched_lock);
	for (struct task *t = task_list; t; t = t->next)
		if (t->state == TASK_SLEEPING && t->wake_tick && t->wake_tick <= timer_ticks)
			sched_make_runnable_locked(t);
	if (cur != idle_task && cur->slice)
		cur->slice--;
	bool preemptible = from_user || ((cur->flags & TASK_PREEMPTIBLE) && (tf->rflags & RFLAGS_IF));
	if (cur != idle_task && cur->slice == 0 && preemptible && runq_head) {
		sched_make_runnable_locked(cur);
		sched_switch();
	}
	sched_unlock();
	if (from_user)
		task_return_to_user(tf);
}
