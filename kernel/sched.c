/* The run queue, context switches, sleep and wakeup, the tick (contract in kernel/sched.h). */
#include "kernel/sched.h"
#include <machine/fpu.h>
#include <machine/frame.h>
#include <machine/intr.h>
#include <machine/percpu.h>
#include <machine/tls.h>
#include <machine/timer.h>
#include "kernel/cpu.h"
#include "kernel/ipi.h"
#include "kernel/panic.h"
#include "kernel/preempt.h"
#include "kernel/task.h"
#include "kernel/witness.h"
#include "uapi/errno.h"

spinlock_t sched_lock = SPINLOCK_INIT("sched");

/* Under sched_lock: */
static struct task *runq_head, *runq_tail;
static struct task *dead_list; /* DEAD tasks waiting for sched_unlock, linked by next */
static cpuset_t idle_cpus;     /* CPUs in sched_idle about to halt, not kicked since */

/*
 * One per CPU, each on its own cache line. switch_prev is written under sched_lock by its CPU;
 * active_pmap, fpu_owner and tls_loaded only by their CPU with interrupts off; the counters by
 * their CPU (kicks: by the sender, under sched_lock).
 */
struct sched_cpu {
	struct task *running;     /* under sched_lock: the task it runs (its idle task if none) */
	struct task *idle;        /* never on the queue; runs when nothing else may */
	struct task *switch_prev; /* the task the last context_switch on this CPU left */
	pmap_t active_pmap;       /* loaded in CR3; NULL: the kernel pmap */
	/* Whose registers the FPU holds: only if that task's fpu_cpu names this CPU too. */
	struct task *fpu_owner;
	/* The user thread pointer the CPU holds (by its CPU only, interrupts off). */
	uint64_t tls_loaded;
	struct sched_cpu_stat stat;
} __attribute__((aligned(64)));

static struct sched_cpu cpus[CPU_MAX];

void context_switch(uint64_t *save_rsp, uint64_t load_rsp);

/* The caller's CPU's state: interrupts off or sched_lock held (so the caller cannot migrate). */
static struct sched_cpu *this_sched_cpu(void)
{
	return &cpus[cpu_this_id()];
}

static bool may_run_on(const struct task *t, unsigned cpu)
{
	return !t->bound || t->bound == cpu + 1;
}

void sched_start(struct task *boot, struct task *idle)
{
	cpus[0].idle = idle;
	idle->bound = 1;
	/* kmain stays on the boot CPU: boot code and the tests expect to be there */
	boot->bound = 1;
	boot->cpu = 0;
	boot->state = TASK_RUNNING;
	boot->slice = SCHED_SLICE_TICKS;
	cpus[0].running = boot;
	this_cpu()->current = boot;
	percpu_set_entry_stack(boot->entry_sp);
}

void sched_cpu_start(struct task *idle)
{
	unsigned me = cpu_this_id();
	uint64_t abandoned;

	spin_lock(&sched_lock);
	cpus[me].idle = idle;
	idle->bound = me + 1;
	idle->cpu = (int)me;
	idle->state = TASK_RUNNING;
	cpus[me].running = idle;
	this_cpu()->current = idle;
	percpu_set_entry_stack(idle->entry_sp);
	cpus[me].switch_prev = NULL;
	/* idle's first run (task_kthread_main -> sched_first_run) releases sched_lock. */
	context_switch(&abandoned, idle->saved_rsp);
	panic("sched_cpu_start: CPU %u's boot context ran again", me);
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

/* Wake an idle CPU that may run t, unless the caller's CPU is idle itself (it will look). */
static void kick_locked(const struct task *t)
{
	unsigned me = cpu_this_id();
	cpuset_t idle = idle_cpus & (t->bound ? CPUSET_CPU(t->bound - 1) : ~(cpuset_t)0);

	if (!idle || (idle & CPUSET_CPU(me)))
		return;
	unsigned cpu = (unsigned)__builtin_ctzll(idle);
	idle_cpus &= ~CPUSET_CPU(cpu);
	cpus[cpu].stat.kicks++;
	ipi_send(cpu, IPI_RESCHED);
}

/* Queue t without kicking anyone: the caller is about to switch (sched_switch kicks for the rest). */
static void runq_push(struct task *t)
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

void sched_make_runnable_locked(struct task *t)
{
	runq_push(t);
	kick_locked(t);
}

/* Kick idle CPUs for the tasks still queued once this CPU took its next one. */
static void kick_for_queue_locked(void)
{
	for (const struct task *t = runq_head; t && idle_cpus; t = t->rq_next)
		kick_locked(t);
}

/* Take the first task on the queue that may run on cpu. */
static struct task *runq_pop(unsigned cpu)
{
	for (struct task *t = runq_head, *prev = NULL; t; prev = t, t = t->rq_next) {
		if (!may_run_on(t, cpu))
			continue;
		if (prev)
			prev->rq_next = t->rq_next;
		else
			runq_head = t->rq_next;
		if (runq_tail == t)
			runq_tail = prev;
		t->rq_next = NULL;
		return t;
	}
	return NULL;
}

static bool runq_has_work_locked(unsigned cpu)
{
	for (const struct task *t = runq_head; t; t = t->rq_next)
		if (may_run_on(t, cpu))
			return true;
	return false;
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

static void load_pmap(struct sched_cpu *c, pmap_t pmap)
{
	if (pmap == c->active_pmap)
		return;
	pmap_activate(pmap ? pmap : pmap_kernel());
	c->active_pmap = pmap;
}

/*
 * prev leaves this CPU: if its FPU registers are live here, save them, since the next CPU to run
 * it restores them from its area. The registers stay its own, so it skips the restore if it comes
 * back here before another task used them.
 */
static void save_fpu(struct sched_cpu *c, struct task *prev, unsigned me)
{
	if (prev->fpu && c->fpu_owner == prev && prev->fpu_cpu == me + 1)
		fpu_save(prev->fpu);
}

/* Give the FPU registers to next if it is a user task (kernel code never uses them). */
static void load_fpu(struct sched_cpu *c, struct task *next, unsigned me)
{
	if (!next->fpu || (c->fpu_owner == next && next->fpu_cpu == me + 1))
		return;
	fpu_restore(next->fpu);
	c->fpu_owner = next;
	next->fpu_cpu = me + 1;
}

/* Give next its thread pointer if it is a user task and the CPU holds another. */
static void load_tls(struct sched_cpu *c, const struct task *next)
{
	if (next->user && c->tls_loaded != next->tls_base) {
		cpu_set_tls_base(next->tls_base);
		c->tls_loaded = next->tls_base;
	}
}

/* Tasks that died after the switch that left them: freed at the next sched_unlock. */
static void finish_switch(void)
{
	struct sched_cpu *c = this_sched_cpu();
	struct task *prev = c->switch_prev;

	c->switch_prev = NULL;
	if (prev && prev->state == TASK_DEAD)
		sched_free_later_locked(prev);
}

static void check_canary(const struct task *t)
{
	KASSERT(*(const uint64_t *)t->kstack == KSTACK_CANARY,
		"task %d (%s): kernel stack overflow (canary overwritten)", t->pid, t->name);
}

/*
 * Run the next task runnable on this CPU (or its idle task). The caller has set its own state (and
 * queued itself if it stays runnable); sched_lock held. Returns when the caller is switched back
 * in, on whichever CPU took it, with the lock held again and the caller's own interrupt flag in
 * the lock's saved flags. Nothing computed before context_switch about the CPU is valid after it.
 */
static void sched_switch(void)
{
	unsigned me = cpu_this_id();
	struct sched_cpu *c = &cpus[me];
	struct task *prev = task_current(), *next = runq_pop(me);
	unsigned long flags = sched_lock.saved_flags;

	if (!next)
		next = c->idle;
	kick_for_queue_locked();
	if (next == prev) {
		prev->state = TASK_RUNNING;
		return;
	}
	check_canary(prev);
	check_canary(next);
	if (next != c->idle && timer_ticks - next->runnable_since > next->max_wait)
		next->max_wait = timer_ticks - next->runnable_since;
	if (prev->state == TASK_RUNNABLE && prev->slice == 0)
		prev->preemptions++;
	if (next->cpu >= 0 && next->cpu != (int)me) {
		next->migrations++;
		c->stat.migrations++;
	}
	c->stat.switches++;
	next->cpu = (int)me;
	next->state = TASK_RUNNING;
	next->slice = SCHED_SLICE_TICKS;
	c->running = next;
	this_cpu()->current = next;
	percpu_set_entry_stack(next->entry_sp);
	load_pmap(c, next->pmap);
	save_fpu(c, prev, me);
	load_fpu(c, next, me);
	load_tls(c, next);
	c->switch_prev = prev;
	context_switch(&prev->saved_rsp, next->saved_rsp);
	finish_switch();
	sched_lock.saved_flags = flags;
}

void sched_first_run(void)
{
	finish_switch();
	/* interrupts stay off: the new task turns them on when it is ready */
	sched_lock.saved_flags = 0;
	sched_unlock();
}

void sched_yield(void)
{
	struct task *cur = task_current();

	WITNESS_MAY_SLEEP("sched_yield", NULL);
	spin_lock(&sched_lock);
	if (cur != this_sched_cpu()->idle)
		runq_push(cur);
	sched_switch();
	sched_unlock();
}

void sched_idle(void)
{
	/* An idle task is bound to its CPU: me stays right. */
	unsigned me = cpu_this_id();

	for (;;) {
		irq_disable();
		spin_lock(&sched_lock);
		idle_cpus &= ~CPUSET_CPU(me);
		if (runq_has_work_locked(me)) {
			sched_switch();
			sched_unlock();
			continue;
		}
		idle_cpus |= CPUSET_CPU(me);
		sched_unlock(); /* interrupts stay off until the halt */
		cpu_idle_halt();
	}
}

int sched_bind(int cpu)
{
	struct task *cur = task_current();

	if (cpu < -1 || (cpu >= 0 && (unsigned)cpu >= cpu_possible_count()))
		return -EINVAL;
	spin_lock(&sched_lock);
	if (cur == this_sched_cpu()->idle) {
		sched_unlock();
		return -EINVAL;
	}
	cur->bound = cpu < 0 ? 0 : (unsigned)cpu + 1;
	if (cpu >= 0 && (unsigned)cpu != cpu_this_id()) {
		runq_push(cur);
		sched_switch();
	}
	sched_unlock();
	return 0;
}

bool preempt_due(void)
{
	struct task *cur = task_current();

	return cur->user && !cur->slice && irq_enabled() && !sched_runq_empty();
}

void preempt_point(void)
{
	if (preempt_due())
		sched_yield();
}

void sched_sleep_locked(void *chan, uint64_t deadline)
{
	struct task *cur = task_current();

	KASSERT(cur != this_sched_cpu()->idle, "the idle task may not sleep");
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
	load_pmap(this_sched_cpu(), pmap);
	irq_restore(f);
}

void sched_set_tls(struct task *cur, uint64_t base)
{
	unsigned long f = irq_save();
	cur->tls_base = base;
	load_tls(this_sched_cpu(), cur);
	irq_restore(f);
}

void sched_fpu_release(struct task *t)
{
	unsigned long f = irq_save();
	struct sched_cpu *c = this_sched_cpu();
	if (c->fpu_owner == t)
		c->fpu_owner = NULL;
	/* Other CPUs may still name t their owner: a zero fpu_cpu makes that claim void. */
	t->fpu_cpu = 0;
	irq_restore(f);
}

void sched_tick(struct trapframe *tf)
{
	struct task *cur = task_current();
	unsigned me = cpu_this_id();
	bool from_user = trap_from_user(tf);

	/* The idle task needs no tick: the interrupt ended its halt, and it looks at the queue. */
	if (cur != cpus[me].idle) {
		/* Only this CPU changes the slice of the task it runs. */
		if (cur->slice)
			cur->slice--;
		bool preemptible =
			from_user || ((cur->flags & TASK_PREEMPTIBLE) && frame_irq_enabled(tf));
		if (cur->slice == 0 && preemptible && !sched_runq_empty()) {
			spin_lock(&sched_lock);
			if (runq_has_work_locked(me)) {
				runq_push(cur);
				sched_switch();
			}
			sched_unlock();
		}
	}
	if (from_user)
		task_return_to_user(tf);
}

void sched_clock_tick(void)
{
	spin_lock(&sched_lock);
	for (struct task *t = task_list; t; t = t->next)
		if (t->state == TASK_SLEEPING && t->wake_tick && t->wake_tick <= timer_ticks)
			sched_make_runnable_locked(t);
	sched_unlock();
}

const char *sched_check_locked(void)
{
	unsigned n = cpu_possible_count();
	cpuset_t running_idle = 0;

	for (unsigned c = 0; c < n; c++) {
		const struct task *t = cpus[c].running;
		if (!t || !cpus[c].idle)
			return "a CPU runs no task or has no idle task";
		if (t->state != TASK_RUNNING || t->cpu != (int)c)
			return "a CPU's task is not RUNNING there";
		if (t->bound && t->bound != c + 1)
			return "a task runs outside the CPU it is bound to";
		if (t == cpus[c].idle)
			running_idle |= CPUSET_CPU(c);
		if (t->pmap && (cpus[c].active_pmap != t->pmap ||
				!(pmap_active_cpus(t->pmap) & CPUSET_CPU(c))))
			return "a CPU runs a task without its pmap loaded";
	}
	if (idle_cpus & ~running_idle)
		return "a CPU marked idle runs a task";
	for (const struct task *t = task_list; t; t = t->next) {
		if (t->state == TASK_RUNNING &&
		    (t->cpu < 0 || (unsigned)t->cpu >= n || cpus[t->cpu].running != t))
			return "a RUNNING task is not its CPU's task (or runs on two)";
		if (t->user && t->pmap && t->state != TASK_RUNNING && !t->map_gone) {
			uint64_t act = pmap_active_cpus(t->pmap);
			for (unsigned c = 0; c < n; c++)
				if ((act & CPUSET_CPU(c)) && cpus[c].active_pmap != t->pmap)
					return "a pmap's active set names a CPU that has another loaded";
		}
	}
	for (const struct task *t = runq_head; t; t = t->rq_next)
		if (t->state != TASK_RUNNABLE || (t->bound && t->bound > n))
			return "a queued task is not RUNNABLE or is bound to no CPU";
	return NULL;
}

void sched_cpu_stat(unsigned cpu, struct sched_cpu_stat *out)
{
	const struct sched_cpu_stat *s = &cpus[cpu].stat;

	out->switches = __atomic_load_n(&s->switches, __ATOMIC_RELAXED);
	out->migrations = __atomic_load_n(&s->migrations, __ATOMIC_RELAXED);
	out->kicks = __atomic_load_n(&s->kicks, __ATOMIC_RELAXED);
}
