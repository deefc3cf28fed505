/*
 * Deferred freeing for memory that code may still be using without a lock: a small RCU.
 *
 * Readers bracket the code that may hold such pointers with rcu_read_lock()/rcu_read_unlock() (a
 * "read-side section"; a BPF program run is one: it keeps map-value pointers from
 * bpf_map_lookup_elem until it exits). An updater that unlinks an object (under the lock of the
 * structure it was in) does not free it but hands it to call_rcu; the callback, which frees it or
 * returns it to a pool, runs only after a grace period: once every read-side section that was in
 * progress when call_rcu was called has ended. A reader that starts later cannot find the object
 * (it is unlinked), so it need not be waited for.
 *
 * The invariant, which is all a user relies on:
 *   R1  a callback passed to call_rcu at time t runs at some time t' > t at which no read-side
 *       section is in progress anywhere (the reader count is zero at an instant after the callback
 *       was taken off the queue, which is after t);
 *   R2  so any object unlinked before call_rcu (or before an rcu_read_active() that returned false)
 *       is no longer reachable through any pointer a reader holds when its callback runs.
 *
 * How, today: one kernel-wide reader count (atomic, sequentially consistent). A section is counted
 * on whichever CPU it runs, so a reader that is preempted or migrates is still counted; callbacks
 * wait in one FIFO queue and run when the count drops to zero (in rcu_read_unlock) or when an
 * updater polls (rcu_poll) and finds it zero. Readers must not sleep; a reader preempted at a
 * preemption point (kernel/preempt.h, in a long program run) stays counted, which is correct and
 * only delays the callbacks. Sections are short (a program run, which an instruction budget bounds).
 *
 * SMP, later: the single count becomes a per-CPU count (read-side sections run with migration
 * disabled), and "zero at an instant" becomes "every CPU has passed through a quiescent state (its
 * count at zero, or a context switch) since the batch was taken off the queue", tracked by a
 * grace-period sequence number and a per-CPU "last seen" copy of it. R1 and R2 stay as written; the
 * change also removes today's weakness that readers overlapping without pause on several CPUs
 * could delay callbacks without bound (correctness never depends on callbacks running soon, only
 * memory does).
 *
 * Contexts: every function here may be called with interrupts off and never sleeps.
 */
#ifndef KERNEL_RCU_H
#define KERNEL_RCU_H

#include <stdbool.h>
#include <stddef.h>

/* Embedded in an object whose freeing is deferred; owned by this module from call_rcu until func runs. */
struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

/*
 * The section count and the queue's length, for the inline fast paths below only (kernel/rcu.c owns
 * them): a program run enters and leaves a section, so the common case costs two atomics and no
 * call.
 */
extern int rcu_readers;
extern size_t rcu_queued;
/* Slow paths of rcu_read_unlock: run what is queued / report an unbalanced unlock. */
void rcu_unlock_slow(int old);

/* Enter a read-side section. Sections nest. The caller must not sleep until the matching unlock. */
static inline void rcu_read_lock(void)
{
	__atomic_fetch_add(&rcu_readers, 1, __ATOMIC_SEQ_CST);
}

/*
 * Leave a read-side section. When it was the last one in progress, runs the callbacks that are due
 * (see rcu_poll), so the caller must hold no spinlock a callback may take (BPF map locks, kmem's).
 */
static inline void rcu_read_unlock(void)
{
	int old = __atomic_fetch_sub(&rcu_readers, 1, __ATOMIC_SEQ_CST);

	if (__builtin_expect(old <= 0, 0) ||
	    (old == 1 && __atomic_load_n(&rcu_queued, __ATOMIC_SEQ_CST) != 0))
		rcu_unlock_slow(old);
}

/*
 * Whether any read-side section is in progress anywhere. When false, memory that was unlinked
 * before the call may be reused at once (R2): no reader can hold a pointer to it. A hint for any
 * other use: a section may start right after.
 */
bool rcu_read_active(void);

/*
 * Queue func(head) to run after a grace period (R1). Never runs it before returning, so it may be
 * called with any spinlock held. Callbacks run with no spinlock held by this module, in no
 * promised order, and may call call_rcu again. A caller that is not inside a read-side section
 * must call rcu_poll once it holds no spinlock, or the callback may wait for the next reader.
 */
void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));

/*
 * Run every queued callback if no read-side section is in progress; otherwise do nothing (the
 * last section to end runs them). The caller holds no spinlock a callback may take. Cheap when
 * nothing is queued.
 */
void rcu_poll(void);

/* Callbacks queued and not yet run (tests and leak checks). */
size_t rcu_pending(void);

#endif
