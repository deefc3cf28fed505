/*
 * The scheduler: one run queue, round robin, xv6's sleep and wakeup on channels.
 *
 * Preemption: the timer (TIMER_HZ) takes the CPU from a task whose slice (SCHED_SLICE_TICKS) is
 * used up when the tick interrupted ring 3, or ring 0 of a kernel thread created with
 * TASK_PREEMPTIBLE while its interrupts were on. Everything else in the kernel (system calls,
 * kmain, the idle task) gives the CPU up only by sleeping or yielding, so kernel code never has to
 * expect a switch it did not ask for. Waiting for an rwlock yields (rwlock_wait_hook).
 *
 * sched_lock protects the run queue and the task fields task.h lists. It is a spinlock held across
 * context_switch: the task that takes it may not be the one that releases it, so every task keeps
 * its own interrupt flag across a switch (sched_switch saves and restores it). Release it with
 * sched_unlock, never spin_unlock: tasks that died while it was held are freed there.
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

/* Start scheduling with boot (the caller's own context) running and idle for when nothing is runnable. */
void sched_start(struct task *boot, struct task *idle);

/* Release sched_lock, then free the tasks that became DEAD while it was held. */
void sched_unlock(void);

/* Let every other runnable task run once before the caller goes on. Call with no spinlock held. */
void sched_yield(void);

/* Put t, not RUNNING and not on the run queue, at the end of the run queue. sched_lock held. */
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

/* Whether nothing is runnable (the idle task's test; a hint without sched_lock). */
bool sched_runq_empty(void);

/* Whether t is on the run queue (task_check). sched_lock held. */
bool sched_on_runq_locked(const struct task *t);

/*
 * Make pmap (NULL: the kernel's) the caller's address space, now and whenever it is switched in.
 * Used when a task gets or loses its pmap. Not while the caller's user memory is in use.
 */
void sched_set_pmap(struct task *cur, pmap_t pmap);

/* A task with an FPU area is going away: forget its registers if the CPU holds them. */
void sched_fpu_release(struct task *t);

/* The timer's per-tick work (arch/x86_64/timer.c): wake timed sleepers, preempt. Interrupts off. */
void sched_tick(struct trapframe *tf);

/* The first thing a new task runs (switch.S): finish the switch that started it; interrupts stay off. */
void sched_first_run(void);

#endif
