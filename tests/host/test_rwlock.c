/*
 * kernel/rwlock.c under real threads (pthreads stand in for CPUs; each has its own struct
 * rwlock_thread through rwlock_self_hook): a waiting writer is not starved by readers whose holds
 * keep overlapping; a thread that already reads may read again past a waiting writer (no
 * self-deadlock) while one that reads nothing is refused; writers are exclusive and know they own
 * the lock; rw_check holds throughout.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "kernel/ktest.h"
#include "kernel/rwlock.h"

static __thread struct rwlock_thread me;

static struct rwlock_thread *self_of_pthread(void)
{
	return &me;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void use_pthread_records(void)
{
	rwlock_self_hook = self_of_pthread;
	me.rlocks = 0;
}

/* ---- writer starvation: two readers hand the lock to each other, never both letting go ---- */

static struct rwlock relay_lock = RWLOCK_INIT("relay");
static atomic_int holding[2], trying[2], relay_stop, writer_got_it;

static void *relay_reader(void *arg)
{
	int i = (int)(intptr_t)arg, other = 1 - i;

	while (!atomic_load(&relay_stop)) {
		atomic_store(&trying[i], 1);
		rw_rlock(&relay_lock);
		atomic_store(&trying[i], 0);
		atomic_store(&holding[i], 1);
		/*
		 * Let go only once the other reader holds too (so the reader count never drops to 0),
		 * or once it has been trying for a millisecond without getting in (it waits behind a
		 * writer: holding on would then wait for ever).
		 */
		uint64_t blocked_since = 0;
		while (!atomic_load(&relay_stop) && !atomic_load(&holding[other])) {
			if (!atomic_load(&trying[other])) {
				blocked_since = 0;
				continue;
			}
			if (!blocked_since)
				blocked_since = now_ns();
			else if (now_ns() - blocked_since > 1000000)
				break;
		}
		atomic_store(&holding[i], 0);
		rw_runlock(&relay_lock);
	}
	return NULL;
}

static void *relay_writer(void *arg)
{
	(void)arg;
	rw_wlock(&relay_lock);
	atomic_store(&writer_got_it, 1);
	rw_wunlock(&relay_lock);
	return NULL;
}

KTEST(rwlock, waiting_writer_not_starved_by_overlapping_readers)
{
	pthread_t r[2], w;

	use_pthread_records();
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(pthread_create(&r[i], NULL, relay_reader, (void *)(intptr_t)i), 0);
	/* Wait until the relay runs: both have held the lock. */
	uint64_t start = now_ns();
	while (!(atomic_load(&holding[0]) && atomic_load(&holding[1])) &&
	       now_ns() - start < 2000000000u)
		;
	ASSERT_EQ(pthread_create(&w, NULL, relay_writer, NULL), 0);
	start = now_ns();
	while (!atomic_load(&writer_got_it) && now_ns() - start < 2000000000u)
		;
	int got = atomic_load(&writer_got_it);
	atomic_store(&relay_stop, 1);
	pthread_join(w, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(r[i], NULL);
	EXPECT_EQ(got, 1); /* within 2 s while the readers kept relaying */
	EXPECT_FALSE(rw_locked(&relay_lock));
	EXPECT_TRUE(rw_check(&relay_lock));
}

/* ---- a reader may read again past a waiting writer; a new reader may not ---- */

static struct rwlock nest_lock = RWLOCK_INIT("nest");
static atomic_int writer_in, writer_owned, writer_owned_after;

static void *nest_writer(void *arg)
{
	(void)arg;
	rw_wlock(&nest_lock);
	atomic_store(&writer_owned, rw_wowned(&nest_lock));
	atomic_store(&writer_in, 1);
	rw_wunlock(&nest_lock);
	atomic_store(&writer_owned_after, rw_wowned(&nest_lock));
	return NULL;
}

static atomic_int stranger_result = -1;

static void *stranger_try_read(void *arg)
{
	(void)arg;
	bool ok = rw_try_rlock(&nest_lock);
	if (ok)
		rw_runlock(&nest_lock);
	atomic_store(&stranger_result, ok);
	return NULL;
}

KTEST(rwlock, reader_reenters_past_waiting_writer)
{
	pthread_t w, s;

	use_pthread_records();
	rw_rlock(&nest_lock);
	EXPECT_EQ(me.rlocks, 1u);
	ASSERT_EQ(pthread_create(&w, NULL, nest_writer, NULL), 0);
	uint64_t start = now_ns();
	while (!(__atomic_load_n(&nest_lock.state, __ATOMIC_RELAXED) & RW_WWAITERS) &&
	       now_ns() - start < 2000000000u)
		;
	ASSERT_TRUE(__atomic_load_n(&nest_lock.state, __ATOMIC_RELAXED) & RW_WWAITERS);

	/* A thread holding no read lock would have to wait behind the writer: refused. */
	ASSERT_EQ(pthread_create(&s, NULL, stranger_try_read, NULL), 0);
	pthread_join(s, NULL);
	EXPECT_EQ(atomic_load(&stranger_result), 0);

	/* This thread reads already: it may again (blocking and trying), or it would deadlock. */
	rw_rlock(&nest_lock);
	EXPECT_TRUE(rw_try_rlock(&nest_lock));
	EXPECT_EQ(me.rlocks, 3u);
	EXPECT_FALSE(rw_try_wlock(&nest_lock));
	EXPECT_EQ(atomic_load(&writer_in), 0);
	rw_runlock(&nest_lock);
	rw_runlock(&nest_lock);
	rw_runlock(&nest_lock);
	EXPECT_EQ(me.rlocks, 0u);
	pthread_join(w, NULL);
	EXPECT_EQ(atomic_load(&writer_in), 1);
	EXPECT_EQ(atomic_load(&writer_owned), 1);
	EXPECT_EQ(atomic_load(&writer_owned_after), 0);
	EXPECT_FALSE(rw_locked(&nest_lock));
}

static void *release_disowned(void *arg)
{
	rw_wunlock(arg);
	return NULL;
}

KTEST(rwlock, owner_is_the_writer_only)
{
	struct rwlock l;

	use_pthread_records();
	rw_init(&l, "owner");
	EXPECT_FALSE(rw_wowned(&l));
	ASSERT_TRUE(rw_try_wlock(&l));
	EXPECT_TRUE(rw_wowned(&l));
	EXPECT_TRUE(rw_wlocked(&l));
	EXPECT_FALSE(rw_try_rlock(&l));
	EXPECT_FALSE(rw_try_wlock(&l));
	rw_wunlock(&l);
	EXPECT_FALSE(rw_wowned(&l));
	EXPECT_FALSE(rw_locked(&l));
	EXPECT_EQ(me.rlocks, 0u);

	/* Disowned, it stays held by no thread, and another thread may release it. */
	rw_wlock(&l);
	rw_wdisown(&l);
	EXPECT_FALSE(rw_wowned(&l));
	EXPECT_TRUE(rw_wlocked(&l));
	pthread_t t;
	ASSERT_EQ(pthread_create(&t, NULL, release_disowned, &l), 0);
	pthread_join(t, NULL);
	EXPECT_FALSE(rw_locked(&l));
}

/* ---- exclusion under a storm: writers change two words that readers see equal ---- */

static struct rwlock storm_lock = RWLOCK_INIT("storm");
static volatile uint64_t word_a, word_b;
static atomic_int storm_torn, storm_bad_state, storm_writes;

static void *storm(void *arg)
{
	uint64_t x = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
	uint64_t end = now_ns() + 200000000u;

	me.rlocks = 0;
	while (now_ns() < end) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (x % 4 == 0) {
			rw_wlock(&storm_lock);
			if (!rw_check(&storm_lock) || !rw_wowned(&storm_lock))
				atomic_fetch_add(&storm_bad_state, 1);
			word_a++;
			word_b++;
			atomic_fetch_add(&storm_writes, 1);
			rw_wunlock(&storm_lock);
		} else {
			rw_rlock(&storm_lock);
			if (x % 8 == 1) { /* nested, as a callback under a system call would */
				rw_rlock(&storm_lock);
				rw_runlock(&storm_lock);
			}
			if (word_a != word_b)
				atomic_fetch_add(&storm_torn, 1);
			if (!rw_check(&storm_lock) || rw_wlocked(&storm_lock))
				atomic_fetch_add(&storm_bad_state, 1);
			rw_runlock(&storm_lock);
		}
	}
	return NULL;
}

KTEST(rwlock, storm_keeps_writers_exclusive)
{
	pthread_t t[4];

	use_pthread_records();
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, storm, (void *)(intptr_t)(i + 1)), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(atomic_load(&storm_torn), 0);
	EXPECT_EQ(atomic_load(&storm_bad_state), 0);
	EXPECT_TRUE(atomic_load(&storm_writes) > 0);
	EXPECT_EQ(word_a, word_b);
	EXPECT_EQ(__atomic_load_n(&storm_lock.state, __ATOMIC_RELAXED), 0u);
}
