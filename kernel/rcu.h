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
 *   R1  a callback passed to call_rcu at time t runs at some time t' > t by which every read-side
 *       section that was in progress at t has ended (sections that started after t may still
 *       run);
 *   R2  so any object unlinked before call_rcu (or before an rcu_read_active() that returned false)
 *       is no longer reachable through any pointer a reader holds when its callback runs.
 *
 * How: read-side sections count in one of two epochs (SRCU's scheme). A section takes the
 * current epoch's index when it starts, counts itself in that epoch's reader count, and gives the
 * index back to its unlock (rcu_read_lock returns it). Callbacks queue, and a grace period serves
 * them in a batch: it flips the epoch (new sections count in the other one) and waits for the old
 * epoch's count to reach zero, then does the same once more the other way, and runs the batch.
 * The two flips are what make it exact: a section that read the epoch just before a flip and
 * counted itself just after it sits in an epoch the first wait no longer looks at, and the second
 * wait is for exactly that epoch. A waited-for count only falls (sections that start meanwhile
 * count in the other epoch), so a grace period ends once the sections that were in progress have
 * ended, however readers on several CPUs overlap: no reader holds callbacks back without bound,
 * which one count that must reach zero could (two CPUs whose sections always overlap kept it
 * from ever doing so). Whoever brings a waited-for count to zero, or an updater's rcu_poll, moves
 * the grace period on. Sections are counted on whichever CPU they run, so one that is preempted
 * (at a preemption point, kernel/preempt.h, in a long program run) or migrates stays counted.
 * Readers must not sleep.
 *
 * SMP, later: the two counts per CPU (SRCU's per-CPU lock and unlock counters, summed by the
 * grace period), so that sections on several CPUs write no common line.
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
 * The epoch and the two counts, and the number of callbacks not yet run, for the inline fast paths
 * below only (kernel/rcu.c owns them): a section costs two atomics and no call.
 */
extern unsigned rcu_epoch; /* 0 or 1: the epoch sections starting now count in */
extern int rcu_readers[2];
extern size_t rcu_queued;
/* Slow path of rcu_read_unlock: move a grace period on / report an unbalanced unlock. */
void rcu_unlock_slow(int old);

/*
 * Enter a read-side section; returns the token its rcu_read_unlock takes (the epoch it counts in).
 * Sections nest, each with its own token. The caller must not sleep until the matching unlock.
 */
static inline __attribute__((warn_unused_result)) int rcu_read_lock(void)
{
	int e = (int)__atomic_load_n(&rcu_epoch, __ATOMIC_SEQ_CST);

	__atomic_fetch_add(&rcu_readers[e], 1, __ATOMIC_SEQ_CST);
	return e;
}

/*
 * Leave the read-side section rcu_read_lock returned token for. When it was the last one in a
 * grace period's epoch, moves the grace period on, which may run callbacks (see rcu_poll), so the
 * caller must hold no spinlock a callback may take (BPF map locks, kmem's).
 */
static inline void rcu_read_unlock(int token)
{
	int old = __atomic_fetch_sub(&rcu_readers[token & 1], 1, __ATOMIC_SEQ_CST);

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
 * Move the grace period on as far as it can go now: start one for the queued callbacks, flip past
 * every epoch whose count is zero, and run the batch whose grace period has ended (and the ones
 * its callbacks queue, while no section is in progress). Does nothing that must wait: a count not
 * yet zero is left to its last section's unlock. The caller holds no spinlock a callback may take.
 * Cheap when nothing is queued.
 */
void rcu_poll(void);

/* Callbacks queued and not yet run (tests and leak checks). */
size_t rcu_pending(void);

#endif
