/*
 * The small RCU (kernel/rcu.h): callbacks wait for every read-side section in progress when they
 * were queued (R1), nested sections each with their own token, polling runs them once those have
 * ended, and callbacks may queue more; sections that start after a grace period's second flip hold
 * nothing back, so readers that always overlap do not starve the callbacks, and a section that
 * read the epoch before a flip and counted itself after it is still waited for. Then under real
 * threads: readers that check the object they reach was not freed, against an updater that
 * replaces and frees it.
 */
#include <pthread.h>
#include <stdio.h>

#include "kernel/ktest.h"
#include "kernel/rcu.h"
#include "tests/host/testutil.h"

struct counted {
	struct rcu_head head;
	int *runs;
	struct counted *chain; /* queued by the callback itself, if not NULL */
};

static void count_cb(struct rcu_head *h)
{
	struct counted *c = (struct counted *)h;

	(*c->runs)++;
	if (c->chain)
		call_rcu(&c->chain->head, count_cb);
}

KTEST(rcu, callback_waits_for_the_reader)
{
	int runs = 0;
	struct counted c = {.runs = &runs};

	EXPECT_FALSE(rcu_read_active());
	int r = rcu_read_lock();
	EXPECT_TRUE(rcu_read_active());
	call_rcu(&c.head, count_cb);
	EXPECT_EQ(rcu_pending(), 1);
	rcu_poll();
	EXPECT_EQ(runs, 0);
	rcu_read_unlock(r);
	EXPECT_EQ(runs, 1);
	EXPECT_EQ(rcu_pending(), 0);
	EXPECT_FALSE(rcu_read_active());
}

KTEST(rcu, nested_sections_are_each_waited_for)
{
	int runs = 0;
	struct counted a = {.runs = &runs}, b = {.runs = &runs};

	int outer = rcu_read_lock();
	call_rcu(&a.head, count_cb);
	rcu_poll(); /* a's grace period starts: it waits for outer */
	int inner = rcu_read_lock();
	call_rcu(&b.head, count_cb);
	rcu_read_unlock(inner);
	EXPECT_EQ(runs, 0);
	EXPECT_TRUE(rcu_read_active());
	rcu_read_unlock(outer);
	EXPECT_EQ(runs, 2);
}

KTEST(rcu, queued_outside_a_section_runs_at_the_next_poll)
{
	int runs = 0;
	struct counted c = {.runs = &runs};

	call_rcu(&c.head, count_cb);
	/* call_rcu never runs it: its caller may hold locks the callback takes */
	EXPECT_EQ(runs, 0);
	rcu_poll();
	EXPECT_EQ(runs, 1);
	rcu_poll();
	EXPECT_EQ(runs, 1);
}

KTEST(rcu, callbacks_may_queue_callbacks)
{
	int runs = 0;
	struct counted third = {.runs = &runs}, second = {.runs = &runs, .chain = &third},
		       first = {.runs = &runs, .chain = &second};

	int r = rcu_read_lock();
	call_rcu(&first.head, count_cb);
	rcu_read_unlock(r);
	EXPECT_EQ(runs, 3);
	EXPECT_EQ(rcu_pending(), 0);
}

/*
 * The case one reader count that must reach zero could not serve: a section in progress all along.
 * A section that starts during the first wait is waited for too (it counts in the epoch the second
 * wait drains); one that starts after the second flip holds nothing back.
 */
KTEST(rcu, a_section_that_starts_later_holds_nothing_back)
{
	int runs = 0;
	struct counted c = {.runs = &runs};

	int early = rcu_read_lock();
	call_rcu(&c.head, count_cb);
	rcu_poll();
	int during = rcu_read_lock();
	rcu_read_unlock(early);
	EXPECT_EQ(runs, 0);
	int later = rcu_read_lock();
	rcu_read_unlock(during);
	EXPECT_EQ(runs, 1);
	rcu_read_unlock(later);
	EXPECT_EQ(rcu_pending(), 0);
}

/* A section always in progress, each ending after the next began: every callback still runs. */
KTEST(rcu, overlapping_sections_do_not_starve_callbacks)
{
	enum { N = 64 };
	static struct counted c[N];
	int runs = 0;

	int held = rcu_read_lock();
	for (int i = 0; i < N; i++) {
		c[i] = (struct counted){.runs = &runs};
		call_rcu(&c[i].head, count_cb);
		rcu_poll();
		int next = rcu_read_lock();
		rcu_read_unlock(held);
		held = next;
		/* Its grace period waits for two generations of sections; the next one may start later. */
		EXPECT_GE(runs, i - 2);
	}
	rcu_read_unlock(held);
	EXPECT_EQ(runs, N);
}

/*
 * A section that read the epoch, was held up (another CPU's grace period flipped the epoch in the
 * meantime) and only then counted itself: it is in the epoch it read, which is not the current
 * one, and a callback queued while it runs must wait for it.
 */
KTEST(rcu, a_section_counted_after_a_flip_is_waited_for)
{
	int runs = 0;
	struct counted first = {.runs = &runs}, second = {.runs = &runs};

	int a = rcu_read_lock();
	call_rcu(&first.head, count_cb);
	rcu_poll();
	rcu_read_unlock(a);
	EXPECT_EQ(runs, 1);
	/* The epoch before the last flip, as read by a section held up since: counted only now. */
	int late = (int)(__atomic_load_n(&rcu_epoch, __ATOMIC_SEQ_CST) & 1) ^ 1;
	__atomic_fetch_add(&rcu_readers[late], 1, __ATOMIC_SEQ_CST);
	call_rcu(&second.head, count_cb);
	rcu_poll();
	EXPECT_EQ(runs, 1);
	rcu_read_unlock(late);
	EXPECT_EQ(runs, 2);
}

static void unbalanced_unlock(void)
{
	rcu_read_unlock(0);
}

KTEST(rcu, unlock_without_lock_panics)
{
	EXPECT_DIES(unbalanced_unlock, "rcu_read_unlock without rcu_read_lock");
}

/* ---------------------------------------------------------------------------------------------
 * Real threads: two readers follow a shared pointer and check, inside their sections, that the
 * object has not been freed; the updater replaces it and frees the old one through call_rcu.
 */
#define OBJECTS 4096

struct obj {
	struct rcu_head head;
	int alive;
};

static struct obj objs[OBJECTS];
static struct obj *current_obj;
static int stop, freed, bad_reads, started;
static long sections[2];

static void free_obj(struct rcu_head *h)
{
	struct obj *o = (struct obj *)h;

	__atomic_store_n(&o->alive, 0, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&freed, 1, __ATOMIC_SEQ_CST);
}

static void *reader(void *arg)
{
	long *count = arg;

	__atomic_fetch_add(&started, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST)) {
		int r = rcu_read_lock();
		struct obj *o = __atomic_load_n(&current_obj, __ATOMIC_SEQ_CST);
		for (int i = 0; i < 50; i++)
			if (!__atomic_load_n(&o->alive, __ATOMIC_SEQ_CST))
				__atomic_fetch_add(&bad_reads, 1, __ATOMIC_SEQ_CST);
		rcu_read_unlock(r);
		__atomic_fetch_add(count, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

KTEST(rcu, threads_never_see_a_freed_object)
{
	pthread_t t[2];

	for (int i = 0; i < OBJECTS; i++)
		objs[i].alive = 1;
	current_obj = &objs[0];
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, reader, &sections[i]), 0);
	while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < 2)
		;
	for (int i = 1; i < OBJECTS; i++) {
		struct obj *old = __atomic_exchange_n(&current_obj, &objs[i], __ATOMIC_SEQ_CST);
		call_rcu(&old->head, free_obj);
		rcu_poll();
		/* Let the readers get at each object: a section of either since the swap, or 100 us. */
		long seen = __atomic_load_n(&sections[0], __ATOMIC_SEQ_CST) +
			    __atomic_load_n(&sections[1], __ATOMIC_SEQ_CST);
		double t0 = test_now();
		while (__atomic_load_n(&sections[0], __ATOMIC_SEQ_CST) +
				       __atomic_load_n(&sections[1], __ATOMIC_SEQ_CST) <
			       seen + 2 &&
		       test_now() - t0 < 100e-6)
			;
	}
	/* How many ran while both readers kept sections going (printed: the host schedules them). */
	int while_reading = __atomic_load_n(&freed, __ATOMIC_SEQ_CST);
	__atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	rcu_poll();
	printf("# rcu: %d of %d objects freed while two threads read (%ld and %ld sections)\n",
	       while_reading, OBJECTS - 1, sections[0], sections[1]);
	EXPECT_EQ(bad_reads, 0);
	EXPECT_EQ(freed, OBJECTS - 1);
	EXPECT_EQ(rcu_pending(), 0);
}
