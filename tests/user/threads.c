/*
 * Threads (include/uapi/thread.h, user/include/pthread.h): 4 pthreads each add 1 to a shared
 * counter 10^4 times under one pthread_mutex (the count must come out exact: a mutex that lets two
 * in, or a thread whose stores land in another address space, shows as a short count); every
 * thread has its own tid and the task's pid; pthread_join gives each thread's return value; then
 * the raw calls' every documented error: thread_create's EINVAL (entry, stack) in order,
 * thread_join's EINVAL (self, joined twice), ESRCH (no such thread, another task's, joined and
 * freed), EDEADLK, EFAULT (the thread stays joinable), thread_exit's value, the 64-thread limit
 * (EAGAIN, then threads can be made again once joined), and the contended mutex's trylock.
 */
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdlib.h>
#include <task_info.h>
#include <thread.h>
#include <unistd.h>

#include "thread_util.h"
#include "utest.h"

#define THREADS 4
#define ROUNDS 10000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter;
static int tids[THREADS];
static int pids[THREADS];

static void *adder(void *arg)
{
	long i = (long)arg;

	tids[i] = gettid();
	pids[i] = getpid();
	for (int r = 0; r < ROUNDS; r++) {
		pthread_mutex_lock(&lock);
		long c = counter;
		if ((r & 63) == 0)
			sched_yield(); /* hold the lock across a switch now and then: others must wait */
		counter = c + 1;
		pthread_mutex_unlock(&lock);
	}
	return (void *)(i * 10 + 1);
}

/* A raw thread: stores its tid, waits for go, then ends with value. */
static volatile int go;
static uint8_t stacks[THREAD_MAX + 2][4096] __attribute__((aligned(16)));

__attribute__((used)) static void raw_body(long value)
{
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		sched_yield();
	thread_exit((int)value);
}

/* Entry as thread_create starts it: rsp 16-byte aligned, so call the C body as crt0 does. */
__asm__(".text\n.globl raw_entry\nraw_entry:\n\txorl %ebp, %ebp\n\tcall raw_body\n\tud2\n");
void raw_entry(void);

static int raw_create(int i, long value)
{
	return thread_create((void *)raw_entry, (void *)value, stacks[i] + sizeof(stacks[i]));
}

/* Thread that joins `arg` (a tid) and reports what thread_join said. */
static volatile int joiner_result = 1, joiner_tid;
static void *joiner(void *arg)
{
	__atomic_store_n(&joiner_tid, gettid(), __ATOMIC_RELEASE);
	joiner_result = thread_join((int)(long)arg, NULL);
	return NULL;
}

static void check_errors(void)
{
	int self = gettid();

	/* thread_create: entry first, then the stack. */
	CHECK_EQ(thread_create(NULL, 0, stacks[0] + 4096), -EINVAL);
	CHECK_EQ(thread_create((void *)KERNEL_TEXT, 0, stacks[0] + 4096), -EINVAL);
	CHECK_EQ(thread_create((void *)USER_TOP, 0, stacks[0] + 4096), -EINVAL);
	CHECK_EQ(thread_create((void *)raw_entry, 0, stacks[0] + 4088), -EINVAL);
	CHECK_EQ(thread_create((void *)raw_entry, 0, (void *)KERNEL_TEXT), -EINVAL);
	CHECK_EQ(thread_create((void *)raw_entry, 0, (void *)0x1000), -EINVAL);
	CHECK_EQ(thread_create((void *)KERNEL_TEXT, 0, (void *)3), -EINVAL);

	/* thread_join. */
	CHECK_EQ(thread_join(self, NULL), -EINVAL);
	CHECK_EQ(thread_join(999999, NULL), -ESRCH);
	CHECK_EQ(thread_join(getppid(), NULL), -ESRCH); /* our parent: another task */
	CHECK_EQ(thread_join(-1, NULL), -ESRCH);

	go = 0;
	int a = raw_create(0, 41);
	CHECK(a > 0 && a != self);
	/* Another thread joins a; a second join is EINVAL; a thread joining us while we join it: EDEADLK. */
	pthread_t j;
	CHECK_EQ(pthread_create(&j, NULL, joiner, (void *)(long)a), 0);
	while (!__atomic_load_n(&joiner_tid, __ATOMIC_ACQUIRE))
		sched_yield();
	CHECK(wait_sleeping(joiner_tid));
	CHECK_EQ(thread_join(a, NULL), -EINVAL);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	CHECK_EQ(pthread_join(j, NULL), 0);
	CHECK_EQ(joiner_result, 0);
	CHECK_EQ(thread_join(a, NULL), -ESRCH); /* joined and freed */

	/* EFAULT leaves the thread joinable; the value comes through. */
	go = 1;
	int b = raw_create(1, 77);
	CHECK(b > 0);
	int value = 0;
	CHECK_EQ(thread_join(b, (int *)KERNEL_TEXT), -EFAULT);
	CHECK_EQ(thread_join(b, &value), 0);
	CHECK_EQ(value, 77);

	/* The limit: THREAD_MAX threads a task (counting this one and ended unjoined ones). */
	go = 0;
	int made[THREAD_MAX + 2], n = 0;
	for (int i = 0; i < THREAD_MAX + 1; i++) {
		int t = raw_create(i, i);
		if (t < 0) {
			CHECK_EQ(t, -EAGAIN);
			break;
		}
		made[n++] = t;
	}
	/* this thread, the pthread joiner's struct is gone: THREAD_MAX - 1 more fit */
	CHECK_EQ(n, THREAD_MAX - 1);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < n; i++) {
		value = -1;
		CHECK_EQ(thread_join(made[i], &value), 0);
		CHECK_EQ(value, i);
	}
	int c = raw_create(0, 5);
	CHECK(c > 0);
	CHECK_EQ(thread_join(c, &value), 0);
	CHECK_EQ(value, 5);
}

/* EDEADLK: a thread that joins main while main joins it. */
static volatile int deadlk_result = 1;
static void *join_main(void *arg)
{
	int main_tid = (int)(long)arg;
	/* Once main is blocked joining us, joining main would deadlock. */
	if (wait_sleeping(main_tid))
		deadlk_result = (int)thread_join(main_tid, NULL);
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];

	for (long i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, adder, (void *)i), 0);
	for (long i = 0; i < THREADS; i++) {
		void *ret = NULL;
		CHECK_EQ(pthread_join(t[i], &ret), 0);
		CHECK_EQ((long)ret, i * 10 + 1);
	}
	CHECK_EQ(counter, (long)THREADS * ROUNDS);
	for (int i = 0; i < THREADS; i++) {
		CHECK_EQ(pids[i], getpid());
		CHECK(tids[i] != getpid());
		for (int k = 0; k < i; k++)
			CHECK(tids[i] != tids[k]);
	}
	CHECK_EQ(gettid(), getpid()); /* the first thread's tid is the task's pid */
	CHECK(pthread_equal(pthread_self(), pthread_self()));

	/* The mutex: trylock on a held one, destroy of a held one. */
	pthread_mutex_t m;
	CHECK_EQ(pthread_mutex_init(&m, NULL), 0);
	CHECK_EQ(pthread_mutex_trylock(&m), 0);
	CHECK_EQ(pthread_mutex_trylock(&m), EBUSY);
	CHECK_EQ(pthread_mutex_destroy(&m), EBUSY);
	CHECK_EQ(pthread_mutex_unlock(&m), 0);
	CHECK_EQ(pthread_mutex_destroy(&m), 0);

	check_errors();

	pthread_t d;
	CHECK_EQ(pthread_create(&d, NULL, join_main, (void *)(long)gettid()), 0);
	CHECK_EQ(pthread_join(d, NULL), 0);
	CHECK_EQ(deadlk_result, -EDEADLK);
	return utest_result("threads");
}
