/*
 * The lock-order checker (FreeBSD's WITNESS in small), built into the kernel when KESTREL_WITNESS
 * is defined (the Makefile's kernel flags; the host build of mm/ has no witness).
 *
 * A lock class is a lock's name: every vm_map's lock is one class, "vm_map". Each time a lock is
 * taken while others are held, the witness records "held class before taken class" with the
 * acquisition site, the first time it sees the pair. Taking b while holding a when the graph
 * already says b comes before a (directly or through other classes) is an order reversal: two
 * threads doing the two orders can deadlock. It is reported once per pair, with both sites, and
 * counted. Taking a lock that may sleep (an rwlock, a sleep, a yield) while holding a spinlock is
 * reported and counted the same way (sched_lock is allowed where the scheduler sleeps with it).
 *
 * What is held: spinlocks per CPU (they are held with interrupts off, never across a switch of
 * the thread that took them; sched_lock's hand-over happens on one CPU); rwlocks per thread
 * (struct rwlock_thread), since they are held across sleeps. Try-locks are recorded as held but
 * add no order (they cannot wait, so cannot deadlock) and are never reported. Two locks of one
 * class held together (two maps' locks) are allowed, as FreeBSD's LOP_DUPOK.
 *
 * Reports fail the test run: kernel/ktest.c fails the test during which one happened, and the user
 * tests' runner the program during which one happened (witness_reports).
 *
 * The witness runs once witness_start has been called (per-CPU ids work from then on); locks taken
 * before that are not recorded.
 */
#ifndef KERNEL_WITNESS_H
#define KERNEL_WITNESS_H

#include <stdbool.h>
#include <stdint.h>

#define WITNESS_CLASSES \
	64             /* distinct lock names; more are not checked (said once on the console) */
#define WITNESS_HELD 8 /* locks held at once per CPU (spinlocks) or per thread (rwlocks) */

struct rwlock_thread;

/* Turn the witness on (kmain, once the boot CPU's per-CPU data is set up). */
void witness_start(void);

/*
 * A spinlock of class name (*cls caches its class: 0 until first seen) is being taken (before the
 * wait: spin_lock) or was taken by a try-lock (try true). The site is where the call returns to:
 * spin_lock is inline, so that is in the function that takes the lock. Interrupts are off;
 * thread_ctx says the caller had them on before (thread context: the current thread's rwlocks
 * count as held).
 */
void witness_spin_acquire(const char *name, uint8_t *cls, bool try, bool thread_ctx);
/* Spinlock of class *cls released on this CPU. */
void witness_spin_release(const uint8_t *cls);

/* Thread t takes (before waiting; try: after a successful try) / released an rwlock. */
void witness_rw_acquire(struct rwlock_thread *t, const char *name, uint8_t *cls, bool try,
			uintptr_t site);
void witness_rw_release(struct rwlock_thread *t, const uint8_t *cls);

/*
 * The caller is about to do something that may sleep (what, at site); it may hold spinlock
 * `allowed` (NULL: none), which the sleep releases. Holding any other spinlock is reported.
 */
void witness_may_sleep(const char *what, const uint8_t *allowed_cls, uintptr_t site);

/*
 * The check a primitive that may sleep makes at its entry (the site is where it was called from);
 * nothing in a build without the witness.
 */
#ifdef KESTREL_WITNESS
#define WITNESS_MAY_SLEEP(what, allowed_cls) \
	witness_may_sleep((what), (allowed_cls), (uintptr_t)__builtin_return_address(0))
#else
#define WITNESS_MAY_SLEEP(what, allowed_cls) ((void)0)
#endif

/* How many reversals and sleeps with spinlocks held have been reported since boot. */
unsigned witness_reports(void);
/* Forget n reports (a test that provokes them on purpose). */
void witness_forgive(unsigned n);

#endif
