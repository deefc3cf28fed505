/*
 * The console's input (kernel/console_input.h), fed through console_input_push as the serial
 * interrupt feeds it: the queue (CR to LF, full queue drops), a reader that sleeps until a byte
 * comes, the foreground task (only it reads; ^C kills it) and SYS_console_fg's errors. bin/cat
 * stands for a user program that reads fd 0.
 */
#include <machine/timer.h>
#include "kernel/console_input.h"
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/syscall.h"
#include "kernel/task.h"
#include "kernel/task_list.h"
#include "uapi/console.h"
#include "uapi/errno.h"
#include "uapi/wait.h"

#define CAT "bin/cat"
#define KEY_EOF 0x04
#define WAIT_TICKS (30 * TIMER_HZ) /* only a hang is that slow */

static long read_input(char *buf, size_t len)
{
	return console_input_file.ops->read(&console_input_file, buf, len);
}

static void push_all(const char *s)
{
	while (*s)
		console_input_push(*s++);
}

KTEST(console_input, queue_cr_to_lf_and_drops_when_full)
{
	char buf[8];

	console_input_reset();
	push_all("a\rb");
	EXPECT_EQ(console_input_queued(), 3);
	ASSERT_EQ(read_input(buf, 2), 2);
	EXPECT_EQ(buf[0], 'a');
	EXPECT_EQ(buf[1], '\n');
	ASSERT_EQ(read_input(buf, sizeof(buf)), 1);
	EXPECT_EQ(buf[0], 'b');
	EXPECT_EQ(console_input_queued(), 0);
	for (int i = 0; i < CONSOLE_INPUT_QUEUE + 10; i++)
		console_input_push('x');
	EXPECT_EQ(console_input_queued(), CONSOLE_INPUT_QUEUE);
	console_input_reset();
	/* With no foreground task, ^C is a byte like any other. */
	console_input_push(CONSOLE_INTR);
	ASSERT_EQ(read_input(buf, sizeof(buf)), 1);
	EXPECT_EQ(buf[0], CONSOLE_INTR);
	console_input_reset();
}

static int reader_main(void *arg)
{
	char c;
	(void)arg;
	return read_input(&c, 1) == 1 ? (unsigned char)c : 255;
}

static bool sleeping(int pid)
{
	spin_lock(&sched_lock);
	struct task *t = task_lookup_locked(pid);
	bool s = t && t->state == TASK_SLEEPING;
	sched_unlock();
	return s;
}

/* Let task pid run until it sleeps (its read found nothing it may take); whether it does. */
static bool wait_sleeping(int pid)
{
	uint64_t deadline = timer_ticks + WAIT_TICKS;

	while (!sleeping(pid) && timer_ticks < deadline)
		sched_sleep_until(timer_ticks + 1);
	return sleeping(pid);
}

KTEST(console_input, reader_sleeps_until_a_byte_comes)
{
	struct task *z = NULL;

	console_input_reset();
	struct task *t = task_create_kthread("console reader", reader_main, NULL, 0);
	ASSERT_NONNULL(t);
	int pid = t->pid;
	EXPECT_TRUE(wait_sleeping(pid));
	console_input_push('z');
	if (task_wait(pid, 0, timer_ticks + WAIT_TICKS, &z) || !z) {
		/* A kernel thread cannot be killed: let it end before failing. */
		console_input_push('z');
		ASSERT_EQ(task_wait(pid, 0, 0, &z), 0);
	}
	EXPECT_EQ(z->exit_status, W_EXITCODE('z'));
	task_reap(z);
	EXPECT_EQ(console_input_queued(), 0);
	console_input_reset();
}

/* SYS_console_fg as kmain calls it: fd and pid in the frame. */
static long console_fg(int fd, int pid)
{
	struct trapframe tf = {0};

	tf.rdi = (uint64_t)fd;
	tf.rsi = (uint64_t)pid;
	return sys_console_fg(&tf);
}

/* Wait for child pid (killing it, and failing, if it hangs); its status. */
static int reap(int pid)
{
	struct task *z = NULL;

	if (task_wait(pid, 0, timer_ticks + WAIT_TICKS, &z) || !z) {
		task_kill_all_user();
		task_wait(pid, 0, 0, &z);
		task_reap(z);
		return -1;
	}
	int st = z->exit_status;
	task_reap(z);
	return st;
}

KTEST(console_input, foreground_reads_and_intr_kills_it)
{
	struct fd_table *fds = &task_current()->fds;
	char *argv[] = {CAT};
	struct task *z = NULL;

	console_input_reset();
	file_hold(&console_input_file);
	ASSERT_EQ(fd_install_at(fds, 0, &console_input_file), 0);
	EXPECT_EQ(console_fg(5, 0), -EBADF);
	EXPECT_EQ(console_fg(0, 1 << 30), -ESRCH);
	EXPECT_EQ(console_fg(0, 0), 0);

	/*
	 * Two readers: only the foreground one gets the input; the other waits for its turn, even
	 * with input queued, and takes it once it is made the foreground.
	 */
	int a = task_spawn(CAT, 1, argv), b = task_spawn(CAT, 1, argv);
	ASSERT_GT(a, 0);
	ASSERT_GT(b, 0);
	EXPECT_EQ(console_fg(0, a), 0);
	console_input_push(KEY_EOF);
	EXPECT_EQ(reap(a), W_EXITCODE(0));
	console_input_push(KEY_EOF);
	EXPECT_TRUE(wait_sleeping(b));
	EXPECT_EQ(task_wait(b, WNOHANG, 0, &z), 0);
	EXPECT_NULL(z);
	EXPECT_EQ(console_input_queued(), 1);
	EXPECT_EQ(console_fg(0, b), 0);
	EXPECT_EQ(reap(b), W_EXITCODE(0));

	/* ^C kills the foreground task and discards what was typed before it. */
	int c = task_spawn(CAT, 1, argv);
	ASSERT_GT(c, 0);
	EXPECT_EQ(console_fg(0, c), 0);
	console_input_push(CONSOLE_INTR);
	EXPECT_EQ(reap(c), W_EXITCODE(TASK_STATUS_KILLED));
	EXPECT_EQ(console_input_queued(), 0);

	EXPECT_EQ(fd_close(fds, 0), 0);
	EXPECT_EQ(console_fg(0, 0), -EBADF);
	console_input_reset();
}
