/*
 * spawn and waitpid: arguments reach the child exactly and where user/crt0.S says, exit statuses
 * come back, waitpid's pid/-1/WNOHANG/NULL-status forms and errors, every spawn error (bad names,
 * bad argv arrays and strings, too many or too long arguments), hostile status pointers (the
 * child stays waitable), orphans, and demand-zero user memory that only the kernel touches.
 */
#include <stdlib.h>

#include "utest.h"

#define LONG_ARG 1000

static char long_arg[LONG_ARG + 1];
/* Pages nothing touches before the kernel does (copyin/copyout fault them in). */
static int fresh_status[1024] __attribute__((aligned(4096)));
static char *fresh_argv[512] __attribute__((aligned(4096)));

static size_t count_x(const char *s)
{
	size_t n = 0;
	while (s[n] == 'x')
		n++;
	return n;
}

/* The child side of test_args: argv as the parent sent it, laid out as crt0.S promises. */
static int check_args(int argc, char **argv)
{
	uintptr_t a = (uintptr_t)argv;

	if (argc != 5 || argv[5] != NULL || (a & 15) || a >= (uintptr_t)USER_TOP)
		return 1;
	if (strcmp(argv[1], "args") || strcmp(argv[2], "") || strcmp(argv[3], "a b"))
		return 2;
	if (strlen(argv[4]) != LONG_ARG || count_x(argv[4]) != LONG_ARG)
		return 3;
	for (int i = 0; i < argc; i++)
		if ((uintptr_t)argv[i] <= a || (uintptr_t)argv[i] >= (uintptr_t)USER_TOP)
			return 4;
	/* The stack pointer crt0 started with is the argv array: main's frame is just below it. */
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	if (sp >= a || a - sp > 4096)
		return 5;
	return 0;
}

static void test_args(const char *self)
{
	memset(long_arg, 'x', LONG_ARG);
	char *argv[] = {(char *)self, "args", "", "a b", long_arg, NULL};
	int st = -1;
	long pid = sys2(SYS_spawn, (long)self, (long)argv);
	CHECK(pid > 0);
	CHECK_EQ(sys3(SYS_waitpid, pid, (long)&st, 0), pid);
	CHECK_EQ(st, 0);

	/* argv NULL: the child gets { name } (test/argv0 exits 0 only then). */
	pid = sys2(SYS_spawn, (long)"test/argv0", 0);
	CHECK(pid > 0);
	CHECK_EQ(sys3(SYS_waitpid, pid, (long)&st, 0), pid);
	CHECK_EQ(st, 0);
	char *other[] = {"other", NULL};
	pid = sys2(SYS_spawn, (long)"test/argv0", (long)other);
	CHECK(pid > 0);
	CHECK_EQ(sys3(SYS_waitpid, pid, (long)&st, 0), pid);
	CHECK_EQ(st, W_EXITCODE(1));
}

static void test_exit_status(const char *self)
{
	static const char *codes[] = {"0", "1", "42", "255", "256", "300", "-1"};
	static const int want[] = {0, 1, 42, 255, 0, 300 & 0xff, 255};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		int st = run_self(self, "exit", codes[i]);
		CHECK(WIFEXITED(st));
		CHECK_EQ(WEXITSTATUS(st), want[i]);
		CHECK_EQ(st & ~0xff, 0);
	}
}

static void test_waitpid(const char *self)
{
	int st = -1;
	long me = sys0(SYS_getpid);

	CHECK_EQ(sys3(SYS_waitpid, -1, (long)&st, 0), -ECHILD);
	CHECK_EQ(sys3(SYS_waitpid, me, (long)&st, 0), -ECHILD);
	CHECK_EQ(sys3(SYS_waitpid, 999999, (long)&st, 0), -ECHILD);
	CHECK_EQ(sys3(SYS_waitpid, 0, (long)&st, 0), -ECHILD);
	CHECK_EQ(sys3(SYS_waitpid, -2, (long)&st, 0), -ECHILD);

	long child = spawn_self(self, "yield_exit", "7");
	CHECK(child > 0);
	CHECK_EQ(sys3(SYS_waitpid, child, (long)&st, 2), -EINVAL);
	CHECK_EQ(sys3(SYS_waitpid, child, (long)&st, WNOHANG | 4), -EINVAL);
	/* Not ended yet: spawn does not give up the CPU, and the child yields for a while. */
	CHECK_EQ(sys3(SYS_waitpid, child, (long)&st, WNOHANG), 0);
	CHECK_EQ(sys3(SYS_waitpid, -1, (long)&st, WNOHANG), 0);

	/* Hostile status pointers: EFAULT, and the child is still there to wait for. */
	CHECK_EQ(sys3(SYS_waitpid, child, UNMAPPED_LOW, 0), -EFAULT);
	CHECK_EQ(sys3(SYS_waitpid, child, KERNEL_TEXT, 0), -EFAULT);
	CHECK_EQ(sys3(SYS_waitpid, child, USER_TOP - 2, 0), -EFAULT);
	CHECK_EQ(sys3(SYS_waitpid, child, -2l, 0), -EFAULT);
	CHECK_EQ(sys3(SYS_waitpid, child, (long)(uintptr_t)test_waitpid, 0),
		 -EFAULT); /* read-only text */
	CHECK_EQ(sys3(SYS_waitpid, child, (long)&fresh_status[512], 0), child);
	CHECK_EQ(fresh_status[512], W_EXITCODE(7));
	CHECK_EQ(sys3(SYS_waitpid, child, (long)&st, 0), -ECHILD);

	/* Status NULL; -1 reaps any child; several children at once, each status to its pid. */
	child = spawn_self(self, "exit", "3");
	CHECK_EQ(sys3(SYS_waitpid, child, 0, 0), child);
	long pids[8];
	for (int i = 0; i < 8; i++) {
		char code[4] = {(char)('0' + i), 0};
		pids[i] = spawn_self(self, "yield_exit", code);
		CHECK(pids[i] > 0);
	}
	for (int n = 0; n < 8; n++) {
		long pid = sys3(SYS_waitpid, -1, (long)&st, 0);
		int found = 0;
		for (int i = 0; i < 8; i++) {
			if (pids[i] == pid) {
				CHECK_EQ(st, W_EXITCODE(i));
				pids[i] = 0;
				found = 1;
			}
		}
		CHECK(found);
	}
	CHECK_EQ(sys3(SYS_waitpid, -1, (long)&st, 0), -ECHILD);
}

static void test_spawn_errors(const char *self)
{
	char name[80];

	CHECK_EQ(sys2(SYS_spawn, (long)"no/such/program", 0), -ENOENT);
	CHECK_EQ(sys2(SYS_spawn, (long)"", 0), -ENOENT);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	CHECK_EQ(sys2(SYS_spawn, (long)name, 0), -ENAMETOOLONG);
	CHECK_EQ(sys2(SYS_spawn, 0, 0), -EFAULT);
	CHECK_EQ(sys2(SYS_spawn, UNMAPPED_LOW, 0), -EFAULT);
	CHECK_EQ(sys2(SYS_spawn, KERNEL_TEXT, 0), -EFAULT);
	CHECK_EQ(sys2(SYS_spawn, USER_TOP, 0), -EFAULT);
	CHECK_EQ(sys2(SYS_spawn, -1l, 0), -EFAULT);

	CHECK_EQ(sys2(SYS_spawn, (long)self, UNMAPPED_LOW), -EFAULT);
	CHECK_EQ(sys2(SYS_spawn, (long)self, KERNEL_TEXT), -EFAULT);
	CHECK_EQ(sys2(SYS_spawn, (long)self, -8l), -EFAULT);
	CHECK_EQ(sys2(SYS_spawn, (long)self, USER_TOP - 8), -EFAULT);
	char *bad_str[] = {(char *)self, (char *)KERNEL_TEXT, NULL};
	CHECK_EQ(sys2(SYS_spawn, (long)self, (long)bad_str), -EFAULT);
	char *bad_str2[] = {(char *)self, (char *)UNMAPPED_LOW, NULL};
	CHECK_EQ(sys2(SYS_spawn, (long)self, (long)bad_str2), -EFAULT);

	/* 257 arguments; 40 of 1000 bytes (more than 32 KiB in all). */
	static char *many[300];
	for (int i = 0; i < 257; i++)
		many[i] = "m";
	many[257] = NULL;
	CHECK_EQ(sys2(SYS_spawn, (long)self, (long)many), -E2BIG);
	memset(long_arg, 'x', LONG_ARG);
	for (int i = 0; i < 40; i++)
		many[i] = long_arg;
	many[40] = NULL;
	CHECK_EQ(sys2(SYS_spawn, (long)self, (long)many), -E2BIG);

	/* An argv array in a page only the kernel touches: all NULL, so argc 0. */
	long pid = sys2(SYS_spawn, (long)self, (long)&fresh_argv[256]);
	int st = -1;
	CHECK(pid > 0);
	CHECK_EQ(sys3(SYS_waitpid, pid, (long)&st, 0), pid);
	CHECK_EQ(st, W_EXITCODE(43));
}

/* Children outliving their parent: a running one and a zombie one; both must be freed (the runner checks frames). */
static void test_orphans(const char *self)
{
	int st = run_self(self, "orphan_parent", NULL);
	CHECK_EQ(st, 0);
}

int main(int argc, char **argv)
{
	if (argc == 0)
		return 43;
	if (argc > 1 && !strcmp(argv[1], "args"))
		return check_args(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "exit"))
		exit(atoi(argv[2]));
	if (argc > 1 && !strcmp(argv[1], "yield_exit")) {
		yield_for(3, 1ull << 27);
		exit(atoi(argv[2]));
	}
	/* Alive until killed, however many CPUs run beside it (tests/kernel/test_task.c kills it). */
	if (argc > 1 && !strcmp(argv[1], "yield_until_killed")) {
		for (;;)
			sys0(SYS_sched_yield);
	}
	if (argc > 1 && !strcmp(argv[1], "yield_long")) {
		yield_for(100, 1ull << 27);
		exit(atoi(argv[2]));
	}
	if (argc > 1 && !strcmp(argv[1], "orphan_parent")) {
		long zombie = spawn_self(argv[0], "exit", "5");
		long running = spawn_self(argv[0], "yield_long", "6");
		for (int i = 0; i < 10; i++)
			sys0(SYS_sched_yield);
		return zombie > 0 && running > 0 ? 0 : 1;
	}
	if (argc > 1)
		return 101;
	test_args(argv[0]);
	test_exit_status(argv[0]);
	test_waitpid(argv[0]);
	test_spawn_errors(argv[0]);
	test_orphans(argv[0]);
	return utest_result("spawn");
}
