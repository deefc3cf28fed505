/*
 * The small RCU (kernel/rcu.h): callbacks wait for every read-side section in progress when they
 * were queued (R1), nested sections count as one, polling runs them once no section is in
 * progress, and callbacks may queue more.
 */
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
	rcu_read_lock();
	EXPECT_TRUE(rcu_read_active());
	call_rcu(&c.head, count_cb);
	EXPECT_EQ(rcu_pending(), 1);
	rcu_poll();
	EXPECT_EQ(runs, 0);
	rcu_read_unlock();
	EXPECT_EQ(runs, 1);
	EXPECT_EQ(rcu_pending(), 0);
	EXPECT_FALSE(rcu_read_active());
}

KTEST(rcu, nested_sections_are_one)
{
	int runs = 0;
	struct counted a = {.runs = &runs}, b = {.runs = &runs};

	rcu_read_lock();
	call_rcu(&a.head, count_cb);
	rcu_read_lock();
	call_rcu(&b.head, count_cb);
	rcu_read_unlock();
	EXPECT_EQ(runs, 0);
	EXPECT_TRUE(rcu_read_active());
	rcu_read_unlock();
	EXPECT_EQ(runs, 2);
}

KTEST(rcu, queued_outside_a_section_runs_at_the_next_poll)
{
	int runs = 0;
	struct counted c = {.runs = &runs};

	call_rcu(&c.head, count_cb);
	EXPECT_EQ(runs,
		  0); /* call_rcu never runs it: its caller may hold locks the callback takes */
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

	rcu_read_lock();
	call_rcu(&first.head, count_cb);
	rcu_read_unlock();
	EXPECT_EQ(runs, 3);
	EXPECT_EQ(rcu_pending(), 0);
}

static void unbalanced_unlock(void)
{
	rcu_read_unlock();
}

KTEST(rcu, unlock_without_lock_panics)
{
	EXPECT_DIES(unbalanced_unlock, "rcu_read_unlock without rcu_read_lock");
}
