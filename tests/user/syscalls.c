/*
 * write, getpid, sched_yield, close, uptime, task_lock_map and unknown system-call numbers: the
 * success paths, every error path, hostile pointers and lengths, and the register contract of the
 * syscall instruction (only rax, rcx and r11 change).
 */
#include <limits.h>
#include <stdlib.h>

#include "utest.h"

static const char msg[] = "# syscalls: a line written with write(2)\n";

static void test_write(void)
{
	CHECK_EQ(sys3(SYS_write, 1, (long)msg, sizeof(msg) - 1), sizeof(msg) - 1);
	CHECK_EQ(sys3(SYS_write, 2, (long)msg, sizeof(msg) - 1), sizeof(msg) - 1);
	CHECK_EQ(sys3(SYS_write, 1, (long)msg, 0), 0);
	CHECK_EQ(sys3(SYS_write, 1, 0, 0), 0);

	static const int bad_fds[] = {0, 3, 5, 63, 64, 1000, -1, INT_MAX, INT_MIN};
	for (size_t i = 0; i < sizeof(bad_fds) / sizeof(bad_fds[0]); i++)
		CHECK_EQ(sys3(SYS_write, bad_fds[i], (long)msg, 1), -EBADF);

	CHECK_EQ(sys3(SYS_write, 1, 0, 1), -EFAULT);
	CHECK_EQ(sys3(SYS_write, 1, UNMAPPED_LOW, 16), -EFAULT);
	CHECK_EQ(sys3(SYS_write, 1, KERNEL_TEXT, 16), -EFAULT);
	CHECK_EQ(sys3(SYS_write, 1, DIRECT_MAP, 16), -EFAULT);
	CHECK_EQ(sys3(SYS_write, 1, USER_TOP - 8, 16), -EFAULT);  /* runs past the user half */
	CHECK_EQ(sys3(SYS_write, 1, -4096l, 8192), -EFAULT);      /* wraps around */
	CHECK_EQ(sys3(SYS_write, 1, UNMAPPED_LOW, -1l), -EFAULT); /* huge length, nothing mapped */
}

static void test_getpid_yield_uptime(const char *self)
{
	long pid = sys0(SYS_getpid);
	CHECK(pid > 0);
	CHECK_EQ(sys0(SYS_getpid), pid);
	CHECK_EQ(sys0(SYS_sched_yield), 0);
	CHECK_EQ(sys0(SYS_getpid), pid);

	/* A child's pid is what spawn returned; it reports it through its exit status. */
	long child = spawn_self(self, "getpid", NULL);
	int st = -1;
	CHECK(child > 0 && child != pid);
	CHECK_EQ(sys3(SYS_waitpid, child, (long)&st, 0), child);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), child & 0xff);

	unsigned long t1 = (unsigned long)sys0(SYS_uptime);
	for (volatile int i = 0; i < 1000; i++)
		;
	unsigned long t2 = (unsigned long)sys0(SYS_uptime);
	CHECK(t2 > t1);
}

static void test_close(void)
{
	CHECK_EQ(sys1(SYS_close, -1), -EBADF);
	CHECK_EQ(sys1(SYS_close, 0), -EBADF);
	CHECK_EQ(sys1(SYS_close, 5), -EBADF);
	CHECK_EQ(sys1(SYS_close, 64), -EBADF);
	CHECK_EQ(sys1(SYS_close, INT_MAX), -EBADF);
	CHECK_EQ(sys1(SYS_close, 2), 0);
	CHECK_EQ(sys3(SYS_write, 2, (long)msg, sizeof(msg) - 1), -EBADF);
	CHECK_EQ(sys1(SYS_close, 2), -EBADF);
	CHECK_EQ(sys3(SYS_write, 1, (long)msg, sizeof(msg) - 1), sizeof(msg) - 1);
}

static void test_unknown_numbers(void)
{
	CHECK_EQ(sys0(0), -ENOSYS);
	CHECK_EQ(sys0(SYS_COUNT), -ENOSYS);
	CHECK_EQ(sys0(1000), -ENOSYS);
	CHECK_EQ(sys0(-1), -ENOSYS);
	CHECK_EQ(sys0(1l << 40), -ENOSYS);
}

/*
 * Load regs[0..11] into rbx rbp rsi rdx r8 r9 r10 r12 r13 r14 r15 rdi, make system call nr, store
 * those registers back into regs[].
 */
static void syscall_with_regs(long nr, long *regs)
{
	__asm__ volatile("pushq %%rbp\n\t"
			 "pushq %%rdi\n\t"
			 "movq 0(%%rdi), %%rbx\n\t"
			 "movq 8(%%rdi), %%rbp\n\t"
			 "movq 16(%%rdi), %%rsi\n\t"
			 "movq 24(%%rdi), %%rdx\n\t"
			 "movq 32(%%rdi), %%r8\n\t"
			 "movq 40(%%rdi), %%r9\n\t"
			 "movq 48(%%rdi), %%r10\n\t"
			 "movq 56(%%rdi), %%r12\n\t"
			 "movq 64(%%rdi), %%r13\n\t"
			 "movq 72(%%rdi), %%r14\n\t"
			 "movq 80(%%rdi), %%r15\n\t"
			 "movq 88(%%rdi), %%rdi\n\t"
			 "syscall\n\t"
			 "movq %%rdi, %%rax\n\t"
			 "popq %%rdi\n\t"
			 "movq %%rbx, 0(%%rdi)\n\t"
			 "movq %%rbp, 8(%%rdi)\n\t"
			 "movq %%rsi, 16(%%rdi)\n\t"
			 "movq %%rdx, 24(%%rdi)\n\t"
			 "movq %%r8, 32(%%rdi)\n\t"
			 "movq %%r9, 40(%%rdi)\n\t"
			 "movq %%r10, 48(%%rdi)\n\t"
			 "movq %%r12, 56(%%rdi)\n\t"
			 "movq %%r13, 64(%%rdi)\n\t"
			 "movq %%r14, 72(%%rdi)\n\t"
			 "movq %%r15, 80(%%rdi)\n\t"
			 "movq %%rax, 88(%%rdi)\n\t"
			 "popq %%rbp"
			 : "+D"(regs), "+a"(nr)
			 :
			 : "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "r13",
			   "r14", "r15", "memory");
}

/* Every register but rax, rcx and r11 comes back from a system call as it went in. */
static void test_registers(void)
{
	static const long in[12] = {
		0x1111111111111111, 0x2222222222222222, 0x3333333333333333, 0x4444444444444444,
		0x5555555555555555, 0x6666666666666666, 0x7777777777777777, 0x0888888888888888,
		0x0999999999999999, 0x0aaaaaaaaaaaaaaa, 0x0bbbbbbbbbbbbbbb, 0x0ccccccccccccccc,
	};
	static const long numbers[] = {SYS_getpid, SYS_sched_yield, 1000};
	for (size_t n = 0; n < sizeof(numbers) / sizeof(numbers[0]); n++) {
		long regs[12];
		memcpy(regs, in, sizeof(regs));
		syscall_with_regs(numbers[n], regs);
		for (int i = 0; i < 12; i++)
			CHECK_EQ(regs[i], in[i]);
	}
}

/*
 * task_lock_map: a task may lock its own map and its children's, not its parent's; a lock held
 * when the holder or the map's task exits is released.
 */
static void test_lock_map(const char *self)
{
	char pidbuf[16];
	long me = sys0(SYS_getpid);
	int st = -1;

	CHECK_EQ(sys2(SYS_task_lock_map, 0, 2), -EINVAL);
	CHECK_EQ(sys2(SYS_task_lock_map, 0, -1), -EINVAL);
	CHECK_EQ(sys2(SYS_task_lock_map, 999999, 1), -ESRCH);
	CHECK_EQ(sys2(SYS_task_lock_map, -5, 1), -ESRCH);
	CHECK_EQ(sys2(SYS_task_lock_map, 0, 0), -EINVAL); /* not held */
	CHECK_EQ(sys2(SYS_task_lock_map, 0, 1), 0);
	CHECK_EQ(sys2(SYS_task_lock_map, 0, 1), -EBUSY);
	CHECK_EQ(sys2(SYS_task_lock_map, me, 0), 0);
	CHECK_EQ(sys2(SYS_task_lock_map, 0, 0), -EINVAL);

	/* Not the parent's. */
	snprintf(pidbuf, sizeof(pidbuf), "%ld", me);
	st = run_self(self, "lock_parent", pidbuf);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* A child's, taken and released while it runs. */
	long child = spawn_self(self, "yield_then_exit", NULL);
	CHECK(child > 0);
	CHECK_EQ(sys2(SYS_task_lock_map, child, 1), 0);
	CHECK_EQ(sys2(SYS_task_lock_map, child, 1), -EBUSY);
	CHECK_EQ(sys0(SYS_sched_yield), 0);
	CHECK_EQ(sys2(SYS_task_lock_map, child, 0), 0);
	CHECK_EQ(sys3(SYS_waitpid, child, (long)&st, 0), child);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_EQ(sys2(SYS_task_lock_map, child, 0), -ESRCH); /* reaped: gone */

	/* A child's, still held when the child exits (it needs no page faults to do so). */
	child = spawn_self(self, "getpid", NULL);
	CHECK_EQ(sys2(SYS_task_lock_map, child, 1), 0);
	CHECK_EQ(sys3(SYS_waitpid, child, (long)&st, 0), child);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == (child & 0xff));

	/* A task that exits holding its own map lock. */
	st = run_self(self, "lock_self_exit", NULL);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(int argc, char **argv)
{
	if (argc >= 2) {
		if (!strcmp(argv[1], "getpid"))
			return (int)(sys0(SYS_getpid) & 0xff);
		if (!strcmp(argv[1], "lock_parent"))
			return sys2(SYS_task_lock_map, atoi(argv[2]), 1) == -EPERM ? 0 : 1;
		if (!strcmp(argv[1], "yield_then_exit")) {
			yield_for(20, 1ull << 27);
			return 0;
		}
		if (!strcmp(argv[1], "lock_self_exit"))
			return sys2(SYS_task_lock_map, 0, 1) == 0 ? 0 : 1;
		return 101;
	}
	test_write();
	test_getpid_yield_uptime(argv[0]);
	test_unknown_numbers();
	test_registers();
	test_lock_map(argv[0]);
	test_close();
	return utest_result("syscalls");
}
