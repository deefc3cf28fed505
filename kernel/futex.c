/* Futex wait and wake (contract in kernel/futex.h and include/uapi/thread.h). */
#include "kernel/futex.h"
#include <stdbool.h>
#include <stdint.h>
#include <machine/timer.h>
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/syscall.h"
#include "kernel/task.h"
#include "kernel/usercopy.h"
#include "uapi/errno.h"
#include "uapi/thread.h"

/* Longer timeouts are cut to this, so deadline arithmetic never overflows. */
#define FUTEX_TICKS_MAX (1ull << 40)

struct futex_waiter {
	const void *space; /* the key: the task's address space (its vm_map) and the address */
	uint64_t uaddr;
	struct task *task;
	bool woken; /* set by the waker, under the bucket lock and sched_lock */
	struct futex_waiter *next;
};

struct futex_bucket {
	spinlock_t lock;
	struct futex_waiter *head, *tail;
} __attribute__((aligned(64)));

static struct futex_bucket buckets[FUTEX_BUCKETS] = {
	[0 ... FUTEX_BUCKETS - 1] = {.lock = SPINLOCK_INIT("futex bucket")},
};

static struct futex_bucket *bucket_of(const void *space, uint64_t uaddr)
{
	uint64_t h = (uaddr >> 2) ^ ((uint64_t)(uintptr_t)space >> 6);
	h *= 0x9e3779b97f4a7c15ull;
	return &buckets[h >> 58]; /* FUTEX_BUCKETS == 64: the top 6 bits */
}
_Static_assert(FUTEX_BUCKETS == 64, "bucket_of takes 6 bits");

/* Take w off b's list if it is there. b's lock held. */
static void unqueue(struct futex_bucket *b, struct futex_waiter *w)
{
	struct futex_waiter *prev = NULL;

	for (struct futex_waiter *x = b->head; x; prev = x, x = x->next) {
		if (x != w)
			continue;
		if (prev)
			prev->next = x->next;
		else
			b->head = x->next;
		if (b->tail == x)
			b->tail = prev;
		return;
	}
}

static long futex_wait(const void *space, uint64_t uaddr, uint32_t val, uint64_t timeout)
{
	struct task *cur = task_current();
	struct futex_bucket *b = bucket_of(space, uaddr);
	struct futex_waiter w = {.space = space, .uaddr = uaddr, .task = cur};
	uint64_t deadline = 0;
	uint32_t now;

	if (timeout)
		deadline = timer_ticks + (timeout < FUTEX_TICKS_MAX ? timeout : FUTEX_TICKS_MAX);
	spin_lock(&b->lock);
	if (b->tail)
		b->tail->next = &w;
	else
		b->head = &w;
	b->tail = &w;
	spin_unlock(&b->lock);

	/* Queued first, then read: see kernel/futex.h. */
	long r = copyin((const void *)uaddr, &now, sizeof(now)) ? -EFAULT
		 : now != val                                   ? -EAGAIN
								: 0;
	if (!r) {
		spin_lock(&sched_lock);
		while (!w.woken && !cur->killed && !(deadline && timer_ticks >= deadline))
			sched_sleep_locked(&w, deadline);
		sched_unlock();
	}
	spin_lock(&b->lock);
	if (w.woken) {
		r = 0; /* a wake that came counts even if the value had changed: it was consumed */
	} else {
		unqueue(b, &w);
		if (!r)
			r = cur->killed ? -EINTR : -ETIMEDOUT;
	}
	spin_unlock(&b->lock);
	return r;
}

static long futex_wake(const void *space, uint64_t uaddr, uint32_t n)
{
	struct futex_bucket *b = bucket_of(space, uaddr);
	long woken = 0;

	spin_lock(&b->lock);
	for (struct futex_waiter *w = b->head, *next; w && (uint32_t)woken < n; w = next) {
		next = w->next;
		if (w->space != space || w->uaddr != uaddr)
			continue;
		unqueue(b, w);
		spin_lock(&sched_lock);
		w->woken = true;
		if (w->task->state == TASK_SLEEPING && w->task->wchan == w)
			sched_make_runnable_locked(w->task);
		sched_unlock();
		woken++;
	}
	spin_unlock(&b->lock);
	return woken;
}

long sys_futex(struct trapframe *tf)
{
	uint64_t uaddr = syscall_arg(tf, 0), timeout = syscall_arg(tf, 3);
	int op = (int)syscall_arg(tf, 1);
	uint32_t val = (uint32_t)syscall_arg(tf, 2);
	/* The space's identity: its map, the same for every thread of the task while it runs. */
	const void *space = task_current()->map;

	if (op != FUTEX_WAIT && op != FUTEX_WAKE)
		return -EINVAL;
	if (uaddr & 3)
		return -EINVAL;
	if (!user_range_ok(uaddr, sizeof(uint32_t)))
		return -EFAULT;
	return op == FUTEX_WAIT ? futex_wait(space, uaddr, val, timeout)
				: futex_wake(space, uaddr, val);
}

size_t futex_waiters(void)
{
	size_t n = 0;

	for (size_t i = 0; i < FUTEX_BUCKETS; i++) {
		struct futex_bucket *b = &buckets[i];
		spin_lock(&b->lock);
		for (struct futex_waiter *w = b->head; w; w = w->next)
			n++;
		spin_unlock(&b->lock);
	}
	return n;
}
