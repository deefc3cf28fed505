/*
 * Futexes: wait queues keyed by (address space, user address) for SYS_futex (ABI in
 * include/uapi/thread.h).
 *
 * A fixed hash of FUTEX_BUCKETS buckets, each a FIFO list of waiters under its own spinlock.
 * A waiter is a struct on its sleeping thread's kernel stack, queued under its bucket's lock
 * BEFORE the thread reads the user word (with no lock held, so the read may fault and sleep):
 * a waker stores the new value, then takes the bucket lock, so either the waiter's read sees the
 * new value (EAGAIN) or the waker finds the waiter queued. That is Linux's "check the value under
 * the bucket lock" with the read moved after the queueing, which gives the same ordering without
 * reading user memory under a spinlock. A waker dequeues the waiter and sets woken under the
 * bucket lock and sched_lock (in that order); the waiter sleeps on its own struct until woken, its
 * deadline or a kill, and on the way out takes the bucket lock to dequeue itself unless a waker
 * did, so a waiter's struct is never touched once it has returned.
 */
#ifndef KERNEL_FUTEX_H
#define KERNEL_FUTEX_H

#include <stddef.h>

#define FUTEX_BUCKETS 64

/* Waiters queued now over every bucket (tests: 0 when no thread waits). Takes each bucket lock. */
size_t futex_waiters(void);

#endif
