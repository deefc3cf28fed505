/*
 * The scheduler: every CPU runs tasks from one run queue, round robin, with xv6's sleep and wakeup
 * on channels.
 *
 * One queue under one lock, not a queue per CPU. Kestrel runs on at most 8 CPUs (issue 11) and
 * the lock is taken per switch, sleep and wakeup, on a tick only by a CPU that is idle or whose
 * task's slice ran out (and once per system tick for timed sleepers), never per system call: a
 * getpid does not touch it. With one queue there is nothing to balance (an idle CPU
 * takes whatever is runnable), a wakeup needs no choice of queue, and migration is safe by
 * construction: sched_lock is held across context_switch (xv6), so a task that its CPU put back on
 * the queue cannot be taken by another CPU before the first one has left its stack and saved its
 * registers. The cost, measured under MTTCG on the 2-core build machine: 4 kernel threads yielding
 * as fast as they can made 1.0 to 2.7 million yields a second on one CPU and 0.5 to 2.6 million
 * spread over 4 CPUs (tests/kernel/test_sched_smp.c prints it each run): switches do not scale,
 * the lock serializes them. Work that does not switch does not take it: a getpid round trip's best
 * round is as fast with 4 tasks calling at once on 4 CPUs as with one (bin/bench_smp: 440 to 510
 * cycles against 457). Kestrel's tasks switch at most a few thousand times a second (a 10 ms
 * tick, sleeps, wakeups), far from that ceiling; a queue per CPU with balancing pays off when
 * switches per second are the bottleneck, or past 8 CPUs.
 *
 * Per CPU (struct sched_cpu in sched.c, reached through kernel/cpu.h's cpu_this_id): its idle task,
 * the pmap loaded in its MMU, whose FPU registers it holds, the task its last switch left. The
 * task running on a CPU is the arch's per-CPU "current" (task_current).
 *
 * Idle: each CPU has an idle task (never on the queue) that checks the queue under sched_lock and
 * otherwise marks the CPU idle and halts with interrupts on. Making a task runnable while some
 * other CPU that may run it is idle sends that CPU an IPI_RESCHED (kernel/ipi.h), so a wakeup from
 * CPU B of a task that slept on CPU A runs it at once; without the IPI the idle CPU would find it
 * only at its next timer tick. The idle check and the halt are ordered so that no kick is lost:
 * the CPU marks itself idle under sched_lock with interrupts off, and halts with sti; hlt, so an
 * IPI sent in between is taken after the halt began.
 *
 * Migration: a task runs wherever a CPU takes it from the queue, unless bound (sched_bind): kmain
 * stays on the boot CPU, each idle task on its own. Its FPU registers are saved on every switch
 * away from it (FPU state moves with the task), and restored only where the CPU's registers are
 * not already its own.
 *
 * Address spaces: a CPU switching to a task loads that task's pmap (a kernel thread without one:
 * the kernel pmap), so no CPU keeps a user pmap loaded that no task there runs: a pmap being
 * destroyed is loaded nowhere (its last task dropped it, sched_set_pmap) and a task that
 * migrated back finds no stale translations of its own. pmap_activate keeps each pmap's set of
 * CPUs that have it loaded (mm/mmu.h, pmap_active_cpus: FreeBSD's pm_active), for TLB shootdown.
 *
 * Preemption: each CPU's own tick (its local APIC timer; the PIT where the APIC timers do not run)
 * takes the CPU from a task whose slice (SCHED_SLICE_TICKS) is used up when the tick interrupted
 * ring 3, or ring 0 of a kernel thread created with TASK_PREEMPTIBLE while its interrupts were on,
 * and another task may run there. Everything else in the kernel (system calls, kmain, the idle
 * tasks) gives the CPU up only by sleeping or yielding, so kernel code never has to expect a switch
 * it did not ask for. Waiting for an rwlock yields (rwlock_wait_hook). Timed sleeps end on the
 * system tick (timer_ticks, the PIT's on the boot CPU), which any CPU may then run.
 *
 * sched_lock protects the run queue, the idle set and the task fields task.h lists. It is a
 * spinlock held across context_switch: the task that takes it may not be the one that releases it
 * (the task switched to releases it, on the same CPU: kernel/witness.h counts spinlocks per CPU),
 * so every task keeps its own interrupt flag across a switch (sched_switch saves and restores it). Release it with sched_unlock, never spin_unlock: tasks that died while it was held
 * are freed there.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <stdint.h>
#include "kernel/spinlock.h"
#include "mm/mmu.h"

#define SCHED_SLICE_TICKS 2

struct task;
struct trapframe;

extern spinlock_t sched_lock;

/*
 * Start scheduling on the boot CPU with boot (the caller's own context) running, bound to this
 * CPU, and idle as the boot CPU's idle task.
 */
void sched_start(struct task *boot, struct task *idle);

/*
 * Start scheduling on the calling CPU, which is not the boot CPU: idle (a new kernel thread that
 * runs sched_idle, never published) becomes its idle task and runs; the caller's context is
 * abandoned. Interrupts off; once per CPU, after it is online.
 */
__attribute__((noreturn)) void sched_cpu_start(struct task *idle);

/* The idle tasks' body: run what the queue has for this CPU, else halt until an interrupt. */
__attribute__((noreturn)) void sched_idle(void);

/*
 * Bind the caller to CPU cpu (it runs only there from now on; if it runs elsewhere it moves there
 * before this returns) or, with cpu -1, let it run on any CPU again. Returns 0, or -EINVAL if cpu
 * is neither -1 nor a CPU id below cpu_possible_count(), or the caller is an idle task. No spinlock
 * held.
 */
int sched_bind(int cpu);

/* Release sched_lock, then free the tasks that became DEAD while it was held. */
void sched_unlock(void);

/* Let every other runnable task run once before the caller goes on. Call with no spinlock held. */
void sched_yield(void);

/*
 * Put t, not RUNNING and not on the run queue, at the end of the run queue, and kick an idle CPU
 * that may run it (IPI_RESCHED) unless the caller's own CPU is idle. sched_lock held.
 */
void sched_make_runnable_locked(struct task *t);

/*
 * Sleep on chan until sched_wakeup(chan), or until timer_ticks reaches deadline (0: no deadline),
 * or until task_kill wakes the caller. Spurious wakeups happen: callers loop on their condition.
 * sched_lock held (and held again on return); no other spinlock.
 */
void sched_sleep_locked(void *chan, uint64_t deadline);

/* Sleep until timer_ticks reaches tick (or task_kill wakes the caller). No spinlock held. */
void sched_sleep_until(uint64_t tick);

/* Make every task sleeping on chan runnable. sched_wakeup takes sched_lock; the other expects it. */
void sched_wakeup(void *chan);
void sched_wakeup_locked(void *chan);

/* Switch away from the caller, which has made itself ZOMBIE or DEAD, for good. sched_lock held. */
__attribute__((noreturn)) void sched_exit_locked(void);

/* Hand a DEAD task, already off the task list and not running, to be freed at the next sched_unlock. */
void sched_free_later_locked(struct task *t);

/* Whether nothing is runnable on any CPU (a hint without sched_lock). */
bool sched_runq_empty(void);

/*
 * Check the scheduler's invariants (task_check calls it): each CPU runs one RUNNING task (its idle
 * task if nothing else), which has its cpu field and, if it has one, its pmap loaded there
 * (pmap_active_cpus names the CPU); no task is RUNNING on two CPUs or on none; a CPU marked idle
 * runs its idle task; a bound task runs only on its CPU; the pmap of a user task that is not
 * running is active only on CPUs that have it loaded; queued tasks are RUNNABLE. NULL, or a
 * message naming the broken one. sched_lock held.
 */
const char *sched_check_locked(void);

/* Whether t is on the run queue (task_check). sched_lock held. */
bool sched_on_runq_locked(const struct task *t);

/*
 * Make pmap (NULL: the kernel's) the caller's address space, now and whenever it is switched in.
 * Used when a task gets or loses its pmap. Not while the caller's user memory is in use.
 */
void sched_set_pmap(struct task *cur, pmap_t pmap);

/*
 * Make base the caller's user thread pointer (task.tls_base), now and whenever it is switched in.
 * cur is the calling user task.
 */
void sched_set_tls(struct task *cur, uint64_t base);

/* A task with an FPU area is going away: forget its registers if the CPU holds them. */
void sched_fpu_release(struct task *t);

/*
 * A CPU's own tick (arch/x86_64/lapic_timer.c; timer.c's PIT where the APIC timers do not run):
 * count down the current task's slice and preempt it. Interrupts off, EOI done.
 */
void sched_tick(struct trapframe *tf);

/* The system tick (arch/x86_64/timer.c, after timer_ticks grew): wake timed sleepers. Interrupts off. */
void sched_clock_tick(void);

/*
 * Scheduling counters of CPU cpu (< cpu_possible_count()), for tests and benchmarks: context
 * switches it made, tasks it took that last ran on another CPU, IPI_RESCHED kicks sent to it.
 * No lock (a snapshot of counters).
 */
struct sched_cpu_stat {
	uint64_t switches, migrations, kicks;
};
void sched_cpu_stat(unsigned cpu, struct sched_cpu_stat *out);

/* The first thing a new task runs (switch.S): finish the switch that started it; interrupts stay off. */
void sched_first_run(void);

#endif
