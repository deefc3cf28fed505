/* The console's input queue, its file and SYS_console_fg (contract in kernel/console_input.h). */
#include "kernel/console_input.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/syscall.h"
#include "kernel/task.h"
#include "kernel/task_list.h"
#include "uapi/console.h"
#include "uapi/errno.h"

static spinlock_t input_lock = SPINLOCK_INIT("console input");

/* Under input_lock: */
static char queue[CONSOLE_INPUT_QUEUE];
static size_t head, count; /* the oldest byte is queue[head]; count bytes follow it */
static int fg_pid;         /* 0: no foreground task */
static bool fg_intr;       /* ^C kills fg_pid (false when it made itself the foreground) */

/* Readers sleep on this channel. */
static char readers;

static void kill_foreground(int pid)
{
	spin_lock(&sched_lock);
	struct task *t = task_lookup_locked(pid);
	if (t && t->user && t->state != TASK_ZOMBIE && t->state != TASK_DEAD)
		task_kill_locked(t);
	sched_unlock();
}

void console_input_push(char c)
{
	int victim = 0;

	if (c == '\r')
		c = '\n';
	spin_lock(&input_lock);
	if (c == CONSOLE_INTR && fg_pid && fg_intr) {
		victim = fg_pid;
		count = 0;
	} else if (count < CONSOLE_INPUT_QUEUE) {
		queue[(head + count) % CONSOLE_INPUT_QUEUE] = c;
		count++;
	}
	spin_unlock(&input_lock);
	if (victim)
		kill_foreground(victim);
	else
		sched_wakeup(&readers);
}

void console_input_reset(void)
{
	spin_lock(&input_lock);
	count = 0;
	fg_pid = 0;
	fg_intr = false;
	spin_unlock(&input_lock);
}

size_t console_input_queued(void)
{
	spin_lock(&input_lock);
	size_t n = count;
	spin_unlock(&input_lock);
	return n;
}

/* Take up to len queued bytes for cur: how many; 0 if none, or if another task is foreground. */
static size_t take_locked(struct task *cur, char *kbuf, size_t len)
{
	size_t n = 0;

	spin_lock(&input_lock);
	if (!fg_pid || fg_pid == cur->pid) {
		n = len < count ? len : count;
		for (size_t i = 0; i < n; i++)
			kbuf[i] = queue[(head + i) % CONSOLE_INPUT_QUEUE];
		head = (head + n) % CONSOLE_INPUT_QUEUE;
		count -= n;
	}
	spin_unlock(&input_lock);
	return n;
}

static long console_input_read(struct file *f, char *kbuf, size_t len)
{
	struct task *cur = task_current();
	long r;

	(void)f;
	spin_lock(&sched_lock);
	while ((r = (long)take_locked(cur, kbuf, len)) == 0) {
		if (cur->killed) {
			r = -EINTR;
			break;
		}
		sched_sleep_locked(&readers, 0);
	}
	sched_unlock();
	return r;
}

/* The console's input outlives every task: its one permanent reference keeps this from running. */
static void console_input_close(struct file *f)
{
	(void)f;
}

static const struct file_ops console_input_ops = {
	.name = "console input",
	.read = console_input_read,
	.close = console_input_close,
};

struct file console_input_file = {.ops = &console_input_ops, .refs = 1};

long sys_console_fg(struct trapframe *tf)
{
	int fd = (int)syscall_arg(tf, 0), pid = (int)syscall_arg(tf, 1);
	struct task *cur = task_current(), *t;
	struct file *f;
	int r = fd_get_typed(&cur->fds, fd, &console_input_ops, &f);

	if (r)
		return r;
	file_put(f);
	if (pid != 0) {
		spin_lock(&sched_lock);
		r = task_descendant_locked(pid, true, false, &t);
		sched_unlock();
		if (r)
			return r;
	}
	spin_lock(&input_lock);
	fg_pid = pid;
	fg_intr = pid != 0 && pid != cur->pid;
	spin_unlock(&input_lock);
	/* Readers that waited for their turn may read now. */
	sched_wakeup(&readers);
	return 0;
}
