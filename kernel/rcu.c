/*
 * The small RCU of kernel/rcu.h: a kernel-wide reader count and one queue of callbacks.
 *
 * Ordering: readers change rcu_readers and then read rcu_queued; updaters publish a callback
 * (rcu_queued under rcu_lock) and then, in rcu_poll, read rcu_readers. Both sides use sequentially
 * consistent accesses, so of a reader leaving and an updater queueing at the same time at least one
 * sees the other: either the reader's unlock finds the callback or the updater's poll finds no
 * reader. Neither outcome strands a callback.
 */
#include "kernel/rcu.h"

#include "kernel/panic.h"
#include "kernel/spinlock.h"

int rcu_readers;

/* The queue: FIFO, appended at *rcu_tail; rcu_queued counts it. rcu_lock guards all three. */
static spinlock_t rcu_lock = SPINLOCK_INIT("rcu");
static struct rcu_head *rcu_head_first;
static struct rcu_head **rcu_tail = &rcu_head_first;
size_t rcu_queued;

void rcu_unlock_slow(int old)
{
	KASSERT(old > 0, "rcu_read_unlock without rcu_read_lock (count %d)", old);
	rcu_poll();
}

bool rcu_read_active(void)
{
	return __atomic_load_n(&rcu_readers, __ATOMIC_SEQ_CST) != 0;
}

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	head->func = func;
	head->next = NULL;
	spin_lock(&rcu_lock);
	*rcu_tail = head;
	rcu_tail = &head->next;
	__atomic_store_n(&rcu_queued, rcu_queued + 1, __ATOMIC_SEQ_CST);
	spin_unlock(&rcu_lock);
}

void rcu_poll(void)
{
	/* A reader in progress will poll when it leaves: nothing to do before then. */
	while (__atomic_load_n(&rcu_queued, __ATOMIC_SEQ_CST) != 0 && !rcu_read_active()) {
		spin_lock(&rcu_lock);
		struct rcu_head *batch = rcu_head_first, **batch_tail = rcu_tail;
		size_t n = rcu_queued;
		rcu_head_first = NULL;
		rcu_tail = &rcu_head_first;
		__atomic_store_n(&rcu_queued, 0, __ATOMIC_SEQ_CST);
		spin_unlock(&rcu_lock);
		if (!batch)
			return;

		/*
		 * The batch is off the queue: a zero count from here on is a grace period for all of it
		 * (R1). Otherwise put it back in front, for the last reader's unlock to run.
		 */
		if (rcu_read_active()) {
			spin_lock(&rcu_lock);
			*batch_tail = rcu_head_first;
			if (!rcu_head_first)
				rcu_tail = batch_tail;
			rcu_head_first = batch;
			__atomic_store_n(&rcu_queued, rcu_queued + n, __ATOMIC_SEQ_CST);
			spin_unlock(&rcu_lock);
			/* The last reader may have left before the batch was back: look again. */
			if (rcu_read_active())
				return;
			continue;
		}
		while (batch) {
			struct rcu_head *next = batch->next;
			batch->func(batch);
			batch = next;
		}
	}
}

size_t rcu_pending(void)
{
	return __atomic_load_n(&rcu_queued, __ATOMIC_SEQ_CST);
}
