/*
 * The thread pointer (arch_prctl, include/uapi/thread.h) and what the runtime keeps behind it:
 * ARCH_GET_FS gives what crt0 set, the first thread's record; every pthread has its own record,
 * so pthread_self differs and errno is per thread (a failure in one thread leaves another's errno
 * as it was: with one shared errno the first check below fails); the kernel keeps each thread's
 * value across switches (threads that yield in a loop keep seeing their own); a raw thread starts
 * with its creator's value; and the errors: EPERM for an address at or above USER_MAX (nothing
 * changes), EFAULT for ARCH_GET_FS into memory the task cannot write, EINVAL for other codes,
 * with only the code's low 32 bits counting.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <thread.h>

#include "utest.h"

#define LOOPS 2000

static unsigned long tp(void)
{
	unsigned long v = 0;
	long r = __sys_arch_prctl(ARCH_GET_FS, (unsigned long)&v);
	return r ? (unsigned long)r : v;
}

/* A pthread: its own record and errno, kept across switches with the other threads. */
static void *own_errno(void *arg)
{
	int bad = 0;

	if (errno != 0) /* a new record */
		bad |= 1;
	if (pthread_self() == (pthread_t)arg || tp() != (unsigned long)pthread_self())
		bad |= 2;
	for (int i = 0; i < LOOPS; i++) {
		/* EINVAL here while the first thread holds EBADF: neither sees the other's. */
		if (arch_prctl(0x7777, 0) != -1 || errno != EINVAL)
			bad |= 4;
		sched_yield();
		if (errno != EINVAL || tp() != (unsigned long)pthread_self())
			bad |= 8;
	}
	return (void *)(long)bad;
}

static volatile unsigned long raw_seen;
static uint8_t raw_stack[4096] __attribute__((aligned(16)));

__attribute__((used)) static void raw_body(void)
{
	raw_seen = tp();
	thread_exit(0);
}

__asm__(".text\n.globl tp_raw_entry\ntp_raw_entry:\n\txorl %ebp, %ebp\n\tcall raw_body\n\tud2\n");
void tp_raw_entry(void);

int main(void)
{
	pthread_t self = pthread_self();

	CHECK_EQ(tp(), (unsigned long)self);
	CHECK_EQ(errno, 0);

	/* errno per thread: EBADF here, EINVAL in the threads, each kept through their switches. */
	CHECK_EQ(close(-1), -1);
	CHECK_EQ(errno, EBADF);
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, own_errno, self), 0);
	for (int i = 0; i < LOOPS; i++) {
		sched_yield();
		if (errno != EBADF || pthread_self() != self) {
			CHECK_EQ(errno, EBADF);
			break;
		}
	}
	for (int i = 0; i < 2; i++) {
		void *bad = (void *)1;
		CHECK_EQ(pthread_join(t[i], &bad), 0);
		CHECK_EQ((long)bad, 0);
	}
	CHECK(!pthread_equal(t[0], t[1]));

	/* A raw thread starts with its creator's thread pointer. */
	int tid = thread_create((void *)tp_raw_entry, NULL, raw_stack + sizeof(raw_stack));
	CHECK(tid > 0);
	CHECK_EQ(thread_join(tid, NULL), 0);
	CHECK_EQ(raw_seen, (unsigned long)self);

	/* Errors: nothing changes. */
	CHECK_EQ(__sys_arch_prctl(ARCH_SET_FS, USER_TOP), -EPERM);
	CHECK_EQ(__sys_arch_prctl(ARCH_SET_FS, KERNEL_TEXT), -EPERM);
	CHECK_EQ(__sys_arch_prctl(ARCH_SET_FS, 1ul << 63), -EPERM);
	CHECK_EQ(__sys_arch_prctl(ARCH_GET_FS, 0), -EFAULT);
	CHECK_EQ(__sys_arch_prctl(ARCH_GET_FS, KERNEL_TEXT), -EFAULT);
	CHECK_EQ(__sys_arch_prctl(ARCH_GET_FS, USER_TOP - 4), -EFAULT);
	CHECK_EQ(__sys_arch_prctl(ARCH_GET_FS, (unsigned long)"read-only"), -EFAULT);
	CHECK_EQ(__sys_arch_prctl(0, 0), -EINVAL);
	CHECK_EQ(__sys_arch_prctl(ARCH_GET_FS + 1, 0), -EINVAL);
	unsigned long v = 0;
	CHECK_EQ(__syscall6(SYS_arch_prctl, (1l << 32) | ARCH_GET_FS, (long)&v, 0, 0, 0, 0), 0);
	CHECK_EQ(v, (unsigned long)self);
	CHECK_EQ(tp(), (unsigned long)self);

	/* Set to another value and back: the raw call changes it, GET_FS sees it. */
	static unsigned long other[2];
	CHECK_EQ(__sys_arch_prctl(ARCH_SET_FS, (unsigned long)other), 0);
	CHECK_EQ(tp(), (unsigned long)other);
	CHECK_EQ(__sys_arch_prctl(ARCH_SET_FS, (unsigned long)self), 0);
	CHECK_EQ(pthread_self(), self);
	return utest_result("thread_pointer");
}
