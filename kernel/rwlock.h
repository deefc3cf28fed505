/*
 * Reader/writer locks that may be held across a sleep, a preemption or a return to user mode
 * (FreeBSD's sx(9) in spirit). vm_map's lock is one: a callback syscall holds the target map's lock
 * for read while the callback runs in ring 3.
 *
 * Fairness (FreeBSD rw(9)'s rule): a waiting writer goes before new readers, so readers that keep
 * overlapping cannot starve it. A thread that already holds some read lock may still take another
 * (or the same one again) past a waiting writer: it would otherwise wait for a writer that waits
 * for it. That is what lets a task's callback take its own map's read lock again while the
 * system call under it holds it and another CPU waits to write. Each thread counts the read locks
 * it holds (struct rwlock_thread); writers record their thread as the owner.
 *
 * A waiter yields the CPU while it waits (through rwlock_wait_hook once the scheduler installs
 * one; before that it spins). Not recursive for writers. Interrupts stay enabled while held. A
 * lock is released by the thread that took it, or, for a write lock, by any thread once its
 * owner has disowned it (rw_wdisown: held on behalf of no thread, as FreeBSD's LK_KERNPROC).
 */
#ifndef KERNEL_RWLOCK_H
#define KERNEL_RWLOCK_H

#include <stdbool.h>
#include <stdint.h>

/*
 * state: RW_WRITER while a writer holds it; waiting writers counted in RW_WWAITERS (units of
 * RW_WWAITER); readers holding it in RW_READERS. Invariant: RW_WRITER and a non-zero reader count
 * never together; owner is non-NULL exactly while RW_WRITER is set (between the two stores of an
 * acquire or release, only the thread doing it looks at owner).
 */
#define RW_WRITER 0x80000000u
#define RW_WWAITER 0x00010000u
#define RW_WWAITERS 0x7fff0000u
#define RW_READERS 0x0000ffffu

/* What a lock knows of the running thread: one per task (kernel/task.h). */
struct rwlock_thread {
	unsigned rlocks; /* read locks held, counted once per acquisition */
	/* kernel/witness.h: the classes of the rwlocks this thread holds, in order taken */
	unsigned witness_n;
	uint8_t witness_cls[8];
	uintptr_t witness_site[8];
};

struct rwlock {
	uint32_t state;
	struct rwlock_thread *owner; /* the writer, NULL if none */
	const char *name;
	uint8_t witness_cls; /* kernel/witness.h: the class of name, 0 until first seen */
};

#define RWLOCK_INIT(n)       \
	{                    \
		0, 0, (n), 0 \
	}

void rw_init(struct rwlock *l, const char *name);
/* Block until the lock is held for reading / writing. */
void rw_rlock(struct rwlock *l);
void rw_wlock(struct rwlock *l);
/*
 * Take the lock without waiting; false if that would have had to wait. A reader that holds no
 * read lock is refused while a writer waits (it would have had to wait behind it).
 */
bool rw_try_rlock(struct rwlock *l);
bool rw_try_wlock(struct rwlock *l);
void rw_runlock(struct rwlock *l);
void rw_wunlock(struct rwlock *l);
/* Give up ownership of a write lock the caller holds: it stays held, and any thread may release it. */
void rw_wdisown(struct rwlock *l);
/* True if the calling thread holds l for writing. */
bool rw_wowned(const struct rwlock *l);
/* True if held for writing by anyone. */
bool rw_wlocked(const struct rwlock *l);
/* True if held at all. */
bool rw_locked(const struct rwlock *l);

/* Called while waiting for a lock; the scheduler points it at its yield. NULL: spin. */
extern void (*rwlock_wait_hook)(void);
/*
 * The running thread's record; the scheduler points it at the current task's. NULL: one record
 * for the single thread that runs before the scheduler starts (and in host tests, which may set
 * their own per-pthread one).
 */
extern struct rwlock_thread *(*rwlock_self_hook)(void);

/* The lock's invariants (see state above); false and a message through kprintf if broken. */
bool rw_check(const struct rwlock *l);

#endif
