/*
 * The small RCU of kernel/rcu.h: two epochs of read-side sections, a queue of callbacks waiting
 * for the next grace period and the batch whose grace period is in progress.
 *
 * A grace period (rcu_lock held for each step, never across a wait):
 *   start   the queued callbacks become the batch; flip the epoch; drain = the epoch before it
 *   phase 1 once rcu_readers[drain] is zero: flip again; drain = the other epoch
 *   phase 2 once rcu_readers[drain] is zero: the batch is due; run it with no lock held
 * Why it is exact (R1): a section S in progress when call_rcu queued callback c counts in epoch v,
 * its increment made before c was queued, so before the start of c's grace period. If v was the
 * epoch being left at the start, phase 1 waits for S; if S read the epoch before an earlier flip
 * and counted itself after it, v is the other epoch, the one phase 2 waits for. Either wait sees
 * S's increment (sequentially consistent accesses throughout) and lasts until S's unlock. A count
 * being waited for only falls, apart from such late increments (one per thread at most, each
 * for a section that then ends).
 *
 * Who moves it on: rcu_poll, called by updaters and by the unlock that brings a count to zero
 * while callbacks are queued (rcu_queued counts the batch too, so that unlock always looks). Of a
 * poll that finds a count not zero and a section leaving at the same time, at least one sees the
 * other: the poll reads the count after the batch is counted in rcu_queued, the section reads
 * rcu_queued after its decrement.
 */
#include "kernel/rcu.h"

#include "kernel/panic.h"
#include "kernel/spinlock.h"

unsigned rcu_epoch;
int rcu_readers[2];

/*
 * The queue (FIFO, appended at *next_tail) and the batch; rcu_queued counts both. rcu_lock guards
 * all of them, phase and drain.
 */
static spinlock_t rcu_lock = SPINLOCK_INIT("rcu");
static struct rcu_head *next_first, **next_tail = &next_first;
static size_t next_n;
static struct rcu_head *batch;
static size_t batch_n;
static int phase; /* 0: no grace period; 1 or 2: waiting for rcu_readers[drain] to reach zero */
static int drain;
size_t rcu_queued;

void rcu_unlock_slow(int old)
{
	KASSERT(old > 0, "rcu_read_unlock without rcu_read_lock (count %d)", old);
	rcu_poll();
}

bool rcu_read_active(void)
{
	return __atomic_load_n(&rcu_readers[0], __ATOMIC_SEQ_CST) != 0 ||
	       __atomic_load_n(&rcu_readers[1], __ATOMIC_SEQ_CST) != 0;
}

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	head->func = func;
	head->next = NULL;
	spin_lock(&rcu_lock);
	*next_tail = head;
	next_tail = &head->next;
	next_n++;
	__atomic_store_n(&rcu_queued, rcu_queued + 1, __ATOMIC_SEQ_CST);
	spin_unlock(&rcu_lock);
}

/* New sections count in the other epoch from now on; the one they left is drained. rcu_lock held. */
static void flip_locked(void)
{
	unsigned e = __atomic_load_n(&rcu_epoch, __ATOMIC_RELAXED);

	drain = (int)e;
	__atomic_store_n(&rcu_epoch, e ^ 1, __ATOMIC_SEQ_CST);
}

/*
 * Take the grace period as far as the counts allow; the batch if it became due (taken off, no
 * longer counted in rcu_queued), else NULL. rcu_lock held.
 */
static struct rcu_head *advance_locked(void)
{
	if (!phase) {
		if (!next_first)
			return NULL;
		batch = next_first;
		batch_n = next_n;
		next_first = NULL;
		next_tail = &next_first;
		next_n = 0;
		phase = 1;
		flip_locked();
	}
	while (__atomic_load_n(&rcu_readers[drain], __ATOMIC_SEQ_CST) == 0) {
		if (phase == 1) {
			phase = 2;
			flip_locked();
			continue;
		}
		struct rcu_head *due = batch;
		__atomic_store_n(&rcu_queued, rcu_queued - batch_n, __ATOMIC_SEQ_CST);
		batch = NULL;
		batch_n = 0;
		phase = 0;
		return due;
	}
	return NULL; /* the last section of epoch `drain` polls when it leaves */
}

void rcu_poll(void)
{
	while (__atomic_load_n(&rcu_queued, __ATOMIC_SEQ_CST) != 0) {
		spin_lock(&rcu_lock);
		struct rcu_head *due = advance_locked();
		spin_unlock(&rcu_lock);
		if (!due)
			return;
		while (due) {
			struct rcu_head *next = due->next;
			due->func(due);
			due = next;
		}
	}
}

size_t rcu_pending(void)
{
	return __atomic_load_n(&rcu_queued, __ATOMIC_SEQ_CST);
}
