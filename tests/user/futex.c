/*
 * SYS_futex (include/uapi/thread.h): every error in its order (EINVAL op, EINVAL unaligned,
 * EFAULT kernel or non-canonical address, EFAULT unmapped for WAIT), WAIT on a wrong value
 * (EAGAIN at once), WAIT with a timeout (ETIMEDOUT after about that long), WAKE counts (3 sleepers:
 * wake 2 gives 2, then 1, then 0; a wake of another word wakes nobody), and no lost wake-up: two
 * threads pass a token back and forth 2000 times through one futex word each way, every wait
 * bounded by a timeout so that a lost wake-up shows as ETIMEDOUT rather than a hang.
 */
#include <sys/mman.h>
#include <time.h>

#include "thread_util.h"

static uint32_t word, other;
static volatile int woken_count;

static void *sleeper(void *arg)
{
	(void)arg;
	long r = futex(&word, FUTEX_WAIT, 0, 0);
	if (r == 0)
		__atomic_add_fetch(&woken_count, 1, __ATOMIC_RELAXED);
	return (void *)r;
}

#define ROUNDS 2000
static uint32_t turn; /* 0: ping's turn, 1: pong's */
static volatile int timeouts;

static void pass(uint32_t mine, uint32_t theirs)
{
	for (int i = 0; i < ROUNDS; i++) {
		while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != mine)
			if (futex(&turn, FUTEX_WAIT, theirs, 200) == -ETIMEDOUT)
				timeouts++;
		__atomic_store_n(&turn, theirs, __ATOMIC_RELEASE);
		futex(&turn, FUTEX_WAKE, 1, 0);
	}
}

static void *pong(void *arg)
{
	(void)arg;
	pass(1, 0);
	return NULL;
}

int main(void)
{
	/* Errors, in order. */
	CHECK_EQ(futex(&word, 2, 0, 0), -EINVAL);
	CHECK_EQ(futex(&word, -1, 0, 0), -EINVAL);
	CHECK_EQ(futex((uint32_t *)((char *)&word + 1), FUTEX_WAKE, 1, 0), -EINVAL);
	CHECK_EQ(futex((uint32_t *)((char *)&word + 2), FUTEX_WAIT, 0, 0), -EINVAL);
	CHECK_EQ(futex((uint32_t *)3, 7, 0, 0), -EINVAL); /* op before address */
	CHECK_EQ(futex((uint32_t *)KERNEL_TEXT, FUTEX_WAIT, 0, 0), -EFAULT);
	CHECK_EQ(futex((uint32_t *)KERNEL_TEXT, FUTEX_WAKE, 1, 0), -EFAULT);
	CHECK_EQ(futex((uint32_t *)(1ul << 63), FUTEX_WAIT, 0, 0), -EFAULT);
	CHECK_EQ(futex((uint32_t *)(USER_TOP - 2), FUTEX_WAIT, 0, 0), -EINVAL);
	CHECK_EQ(futex((uint32_t *)USER_TOP, FUTEX_WAIT, 0, 0), -EFAULT);
	/* An unmapped user page: WAIT cannot read it; WAKE reads nothing and finds nobody. */
	void *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
	CHECK(gone != MAP_FAILED);
	CHECK_EQ(munmap(gone, 4096), 0);
	CHECK_EQ(futex(gone, FUTEX_WAIT, 0, 0), -EFAULT);
	CHECK_EQ(futex(gone, FUTEX_WAKE, 1, 0), 0);
	CHECK_EQ(futex(NULL, FUTEX_WAIT, 0, 1), -EFAULT);

	/* WAIT on a wrong value fails at once; a timeout ends a wait. */
	word = 5;
	CHECK_EQ(futex(&word, FUTEX_WAIT, 4, 0), -EAGAIN);
	CHECK_EQ(futex(&word, FUTEX_WAKE, 1, 0), 0);
	uint64_t t0 = uptime();
	CHECK_EQ(futex(&word, FUTEX_WAIT, 5, 3), -ETIMEDOUT);
	CHECK(uptime() > t0);

	/* WAKE counts. */
	word = 0;
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, sleeper, NULL), 0);
	/* All three asleep (their tids are above ours, consecutive from the first). */
	struct task_info ti[8];
	for (int tries = 0; tries < 100000; tries++) {
		ssize_t n = task_list(ti, 8, getpid()), asleep = 0;
		for (ssize_t i = 0; i < n; i++)
			asleep += ti[i].state == TASK_INFO_SLEEPING && ti[i].ppid == -1;
		if (asleep == 3)
			break;
		sched_yield();
	}
	CHECK_EQ(futex(&other, FUTEX_WAKE, 10, 0), 0);
	CHECK_EQ(futex(&word, FUTEX_WAKE, 2, 0), 2);
	CHECK_EQ(futex(&word, FUTEX_WAKE, 10, 0), 1);
	CHECK_EQ(futex(&word, FUTEX_WAKE, 10, 0), 0);
	for (int i = 0; i < 3; i++) {
		void *r = (void *)1;
		CHECK_EQ(pthread_join(t[i], &r), 0);
		CHECK_EQ((long)r, 0);
	}
	CHECK_EQ(woken_count, 3);

	/* No lost wake-up. */
	pthread_t p;
	CHECK_EQ(pthread_create(&p, NULL, pong, NULL), 0);
	pass(0, 1);
	CHECK_EQ(pthread_join(p, NULL), 0);
	CHECK_EQ(timeouts, 0);
	return utest_result("futex");
}
