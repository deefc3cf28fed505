/*
 * The process and I/O system calls: read, write, exit, getpid, getppid, sched_yield, spawn, waitpid,
 * close, task_lock_map, uptime, nanosleep, sched_stat (ABI in include/uapi/syscall_list.h,
 * include/uapi/wait.h and include/uapi/time.h).
 */
#include <machine/cpufunc.h>
#include <machine/timer.h>
#include "kernel/fd.h"
#include "kernel/multiboot.h"
#include "kernel/sched.h"
#include "kernel/syscall.h"
#include "kernel/task.h"
#include "kernel/usercopy.h"
#include "mm/kmem.h"
#include "uapi/errno.h"
#include "uapi/sched.h"
#include "uapi/time.h"
#include "uapi/wait.h"

/* write moves at most this much per call (a partial write, as POSIX allows), so lengths never overflow. */
#define WRITE_MAX ((size_t)1 << 20)
#define WRITE_CHUNK 256

long sys_write(struct trapframe *tf)
{
	int fd = (int)syscall_arg(tf, 0);
	uint64_t buf = syscall_arg(tf, 1);
	size_t len = syscall_arg(tf, 2), done = 0;
	struct file *f = fd_get(&task_current()->fds, fd);
	long r = 0;

	if (!f)
		return -EBADF;
	if (!f->ops->write) {
		file_put(f);
		return -EBADF;
	}
	if (len > WRITE_MAX)
		len = WRITE_MAX;
	if (!user_range_ok(buf, len)) {
		file_put(f);
		return -EFAULT;
	}
	while (done < len) {
		char chunk[WRITE_CHUNK];
		size_t n = len - done < WRITE_CHUNK ? len - done : WRITE_CHUNK;
		r = copyin((const void *)(buf + done), chunk, n);
		if (!r)
			r = f->ops->write(f, chunk, n);
		if (r < 0)
			break;
		done += (size_t)r;
		if ((size_t)r < n)
			break;
	}
	file_put(f);
	return done ? (long)done : r;
}

/* One read moves at most this much: a read returns what is there, as POSIX allows. */
#define READ_CHUNK 256

long sys_read(struct trapframe *tf)
{
	int fd = (int)syscall_arg(tf, 0);
	uint64_t buf = syscall_arg(tf, 1);
	size_t len = syscall_arg(tf, 2);
	struct file *f = fd_get(&task_current()->fds, fd);
	char chunk[READ_CHUNK];
	long r = 0;

	if (!f)
		return -EBADF;
	if (!f->ops->read)
		r = -EBADF;
	else if (len && !user_range_ok(buf, len))
		r = -EFAULT;
	else if (len)
		r = f->ops->read(f, chunk, len < READ_CHUNK ? len : READ_CHUNK);
	file_put(f);
	if (r > 0 && copyout(chunk, (void *)buf, (size_t)r))
		return -EFAULT;
	return r;
}

long sys_exit(struct trapframe *tf)
{
	task_exit(W_EXITCODE((int)syscall_arg(tf, 0)));
}

long sys_getpid(struct trapframe *tf)
{
	(void)tf;
	return task_current()->tgid; /* the task's id; gettid is the thread's (kernel/thread.c) */
}

long sys_getppid(struct trapframe *tf)
{
	(void)tf;
	spin_lock(&sched_lock); /* the parent link changes when the parent exits */
	struct task *parent = task_current()->leader->parent; /* the task's parent */
	long ppid = parent ? parent->pid : 0;
	sched_unlock();
	return ppid;
}

long sys_sched_yield(struct trapframe *tf)
{
	(void)tf;
	sched_yield();
	return 0;
}

long sys_close(struct trapframe *tf)
{
	return fd_close(&task_current()->fds, (int)syscall_arg(tf, 0));
}

long sys_uptime(struct trapframe *tf)
{
	(void)tf;
	return (long)rdtsc();
}

#define NSEC_PER_SEC 1000000000ll
#define NSEC_PER_TICK (NSEC_PER_SEC / TIMER_HZ)
/* Longer sleeps are cut to this (about 348 years at 100 Hz), so tick arithmetic never overflows. */
#define SLEEP_TICKS_MAX (1ull << 40)

long sys_nanosleep(struct trapframe *tf)
{
	uint64_t ureq = syscall_arg(tf, 0), urem = syscall_arg(tf, 1);
	struct timespec req;

	if (copyin((const void *)ureq, &req, sizeof(req)))
		return -EFAULT;
	if (req.tv_sec < 0 || req.tv_nsec < 0 || req.tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	uint64_t ticks = SLEEP_TICKS_MAX;
	if ((uint64_t)req.tv_sec < SLEEP_TICKS_MAX / TIMER_HZ)
		ticks = (uint64_t)req.tv_sec * TIMER_HZ +
			((uint64_t)req.tv_nsec + NSEC_PER_TICK - 1) / NSEC_PER_TICK;
	uint64_t end = timer_ticks + ticks;
	sched_sleep_until(end);
	uint64_t now = timer_ticks;
	if (now >= end)
		return 0;
	if (urem) {
		uint64_t left = end - now;
		struct timespec rem = {(int64_t)(left / TIMER_HZ),
				       (int64_t)(left % TIMER_HZ) * NSEC_PER_TICK};
		if (copyout(&rem, (void *)urem, sizeof(rem)))
			return -EFAULT;
	}
	return -EINTR;
}

long sys_sched_stat(struct trapframe *tf)
{
	struct sched_stat st;
	int r = task_sched_stat((int)syscall_arg(tf, 0), &st);

	return r ? r : copyout(&st, (void *)syscall_arg(tf, 1), sizeof(st));
}

long sys_task_lock_map(struct trapframe *tf)
{
	return task_lock_map((int)syscall_arg(tf, 0), (int)syscall_arg(tf, 1));
}

/*
 * Copy the user's argv (a NULL-terminated array of string pointers) into strings (ARG_MAX bytes)
 * and ptrs (ARG_COUNT_MAX entries). Returns argc, -E2BIG or -EFAULT.
 */
static int copy_argv(uint64_t uargv, char *strings, char **ptrs)
{
	size_t used = 0;

	for (int argc = 0;; argc++) {
		uint64_t p;
		size_t done;
		if (copyin((const void *)(uargv + (uint64_t)argc * sizeof(p)), &p, sizeof(p)))
			return -EFAULT;
		if (!p)
			return argc;
		if (argc == ARG_COUNT_MAX)
			return -E2BIG;
		int r = copyinstr((const void *)p, strings + used, ARG_MAX - used, &done);
		if (r)
			return r == -ENAMETOOLONG ? -E2BIG : r;
		ptrs[argc] = strings + used;
		used += done;
	}
}

long sys_spawn(struct trapframe *tf)
{
	uint64_t uname = syscall_arg(tf, 0), uargv = syscall_arg(tf, 1);
	char name[sizeof(((struct boot_module *)0)->name)];
	int r = copyinstr((const void *)uname, name, sizeof(name), NULL);

	if (r)
		return r;
	if (!uargv) {
		char *argv[] = {name};
		return task_spawn(name, 1, argv);
	}
	char *strings = kmalloc(ARG_MAX);
	char **ptrs = kmalloc(ARG_COUNT_MAX * sizeof(char *));
	if (!strings || !ptrs) {
		r = -ENOMEM;
	} else {
		r = copy_argv(uargv, strings, ptrs);
		if (r >= 0)
			r = task_spawn(name, r, ptrs);
	}
	kfree(ptrs);
	kfree(strings);
	return r;
}

long sys_waitpid(struct trapframe *tf)
{
	int pid = (int)syscall_arg(tf, 0), options = (int)syscall_arg(tf, 2);
	uint64_t ustatus = syscall_arg(tf, 1);
	struct task *z;
	int r = task_wait(pid, options, 0, &z);

	if (r || !z)
		return r;
	/* A status that cannot be stored leaves the child to be waited for again. */
	if (ustatus && copyout(&z->exit_status, (void *)ustatus, sizeof(int)))
		return -EFAULT;
	pid = z->pid;
	task_reap(z);
	return pid;
}
