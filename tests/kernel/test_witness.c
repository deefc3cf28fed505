/*
 * The lock-order checker (kernel/witness.h) sees what it must: a direct and a transitive order
 * reversal, each reported once; a sleep and a blocking rwlock under a spinlock; and nothing for
 * a consistent order, a try-lock against the order, or a sleep holding only the allowed lock.
 * Every report provoked here is forgiven, so that the runner's own check (a test during which
 * reports grow fails) stays quiet.
 */
#include "kernel/ktest.h"
#include "kernel/rwlock.h"
#include "kernel/spinlock.h"
#include "kernel/witness.h"

#ifdef KESTREL_WITNESS
static spinlock_t a = SPINLOCK_INIT("witness_test_a");
static spinlock_t b = SPINLOCK_INIT("witness_test_b");
static spinlock_t c = SPINLOCK_INIT("witness_test_c");
static spinlock_t d = SPINLOCK_INIT("witness_test_d");
static struct rwlock rw = RWLOCK_INIT("witness_test_rw");

/* Take x then y, and let both go. */
static void nest(spinlock_t *x, spinlock_t *y)
{
	spin_lock(x);
	spin_lock(y);
	spin_unlock(y);
	spin_unlock(x);
}

KTEST(witness, direct_reversal_reported_once)
{
	unsigned before = witness_reports();

	nest(&a, &b);
	nest(&a, &b);
	EXPECT_EQ(witness_reports() - before, 0u);
	nest(&b, &a);
	EXPECT_EQ(witness_reports() - before, 1u);
	nest(&b, &a);
	EXPECT_EQ(witness_reports() - before, 1u); /* once per pair */
	witness_forgive(witness_reports() - before);
}

KTEST(witness, transitive_reversal)
{
	unsigned before = witness_reports();

	nest(&b, &c);
	nest(&c, &d);
	EXPECT_EQ(witness_reports() - before, 0u);
	nest(&d, &b); /* b before c before d: d then b closes the cycle */
	EXPECT_EQ(witness_reports() - before, 1u);
	witness_forgive(witness_reports() - before);
}

KTEST(witness, trylock_against_the_order_is_fine)
{
	unsigned before = witness_reports();

	nest(&a, &c);
	spin_lock(&c);
	bool got = spin_trylock(&a);
	EXPECT_TRUE(got);
	if (got)
		spin_unlock(&a);
	spin_unlock(&c);
	EXPECT_EQ(witness_reports() - before, 0u);
}

KTEST(witness, sleeping_under_a_spinlock)
{
	unsigned before = witness_reports();

	spin_lock(&a);
	witness_may_sleep("a test's sleep", &a.witness_cls, 0); /* the allowed one: fine */
	EXPECT_EQ(witness_reports() - before, 0u);
	witness_may_sleep("a test's sleep", NULL, 0);
	EXPECT_EQ(witness_reports() - before, 1u);
	rw_rlock(&rw); /* may block: a sleep too */
	EXPECT_EQ(witness_reports() - before, 2u);
	rw_runlock(&rw);
	spin_unlock(&a);
	rw_rlock(&rw);
	spin_lock(&a); /* a spinlock under an rwlock is the normal order */
	spin_unlock(&a);
	rw_runlock(&rw);
	EXPECT_EQ(witness_reports() - before, 2u);
	witness_forgive(witness_reports() - before);
}
#endif
