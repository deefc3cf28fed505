/*
 * Reader/writer locks that may be held across a sleep, a preemption or a return to user mode
 * (FreeBSD's sx(9) in spirit). vm_map's lock is one: a callback syscall holds the target map's lock
 * for read while the callback runs in ring 3.
 *
 * A waiter yields the CPU while it waits (through rwlock_wait_hook once the scheduler installs
 * one; before that it spins). Not recursive for writers; readers may nest freely. Interrupts stay
 * enabled while held.
 */
#ifndef KERNEL_RWLOCK_H
#define KERNEL_RWLOCK_H

#include <stdbool.h>

struct rwlock {
	int state;          /* > 0: that many readers; 0: free; -1: held by one writer */
	const char *name;
};

#define RWLOCK_INIT(n) { 0, (n) }

void rw_init(struct rwlock *l, const char *name);
/* Block until the lock is held for reading / writing. */
void rw_rlock(struct rwlock *l);
void rw_wlock(struct rwlock *l);
/* Take the lock without waiting; false if that would have had to wait. */
bool rw_try_rlock(struct rwlock *l);
bool rw_try_wlock(struct rwlock *l);
void rw_runlock(struct rwlock *l);
void rw_wunlock(struct rwlock *l);
/* True if held for writing (by anyone: there is no owner tracking yet). */
bool rw_wlocked(const struct rwlock *l);
/* True if held at all. */
bool rw_locked(const struct rwlock *l);

/* Called while waiting for a lock; the scheduler points it at its yield. NULL: spin. */
extern void (*rwlock_wait_hook)(void);

#endif
