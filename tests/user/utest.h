/*
 * Helpers for the user test programs in tests/user/ (each one a program the kernel's runner starts
 * as test/NAME; it passes by exiting 0).
 *
 * Checks count failures and print "# file:line: ..." diagnostics: a test program never prints a
 * line starting with "ok", which the harness would take for a result. Raw system calls return the
 * kernel's result unchanged (a negated errno on failure), so errors are compared exactly.
 *
 * A program that must misbehave to test the kernel (fault, hold a lock, exit with a status) does
 * it as its own child: run_self spawns the program itself with a role argument, and main hands
 * argv[1] to the role's code.
 */
#ifndef TESTS_USER_UTEST_H
#define TESTS_USER_UTEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uapi/errno.h"

static int utest_failures;

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			printf("# %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			utest_failures++;                                                 \
		}                                                                         \
	} while (0)

#define CHECK_EQ(a, b)                                                                     \
	do {                                                                               \
		long ua_ = (long)(a), ub_ = (long)(b);                                     \
		if (ua_ != ub_) {                                                          \
			printf("# %s:%d: CHECK_EQ(%s, %s) failed: %ld != %ld\n", __FILE__, \
			       __LINE__, #a, #b, ua_, ub_);                                \
			utest_failures++;                                                  \
		}                                                                          \
	} while (0)

/* The test's exit status: 0 if every check passed. */
static inline int utest_result(const char *name)
{
	if (utest_failures)
		printf("# %s: %d checks failed\n", name, utest_failures);
	return utest_failures ? 1 : 0;
}

static inline long sys0(long nr)
{
	return __syscall6(nr, 0, 0, 0, 0, 0, 0);
}
static inline long sys1(long nr, long a)
{
	return __syscall6(nr, a, 0, 0, 0, 0, 0);
}
static inline long sys2(long nr, long a, long b)
{
	return __syscall6(nr, a, b, 0, 0, 0, 0);
}
static inline long sys3(long nr, long a, long b, long c)
{
	return __syscall6(nr, a, b, c, 0, 0, 0);
}

/* Addresses no user pointer may reach. */
#define KERNEL_TEXT 0xffffffff80100000l
#define DIRECT_MAP 0xffff800000000000l
#define USER_TOP 0x00007ffffffff000l /* USER_MAX */
#define UNMAPPED_LOW 0x1000l         /* nothing is mapped between page 0 and the program */

/* Spawn this program (self = argv[0]) as a child in role `role` with an optional argument. */
static inline long spawn_self(const char *self, const char *role, const char *arg)
{
	char *argv[] = {(char *)self, (char *)role, (char *)arg, NULL};
	return sys2(SYS_spawn, (long)self, (long)argv);
}

/*
 * Yield n times and for `cycles` TSC cycles at least. For a child that must still be alive (or
 * not yet have acted) when its parent next looks: on an SMP machine the parent runs beside it on
 * another CPU and a yield with nothing else to run returns at once, so a count of yields alone is
 * no time.
 */
static inline void yield_for(long n, uint64_t cycles)
{
	uint64_t t0 = uptime();
	for (long i = 0; i < n || uptime() - t0 < cycles; i++)
		sys0(SYS_sched_yield);
}

/* spawn_self and wait for it: the child's wait status, or the negated errno of spawn or waitpid. */
static inline int run_self(const char *self, const char *role, const char *arg)
{
	int status = -1;
	long pid = spawn_self(self, role, arg);

	if (pid < 0)
		return (int)pid;
	long r = sys3(SYS_waitpid, pid, (long)&status, 0);
	return r == pid ? status : (int)r;
}

#endif
