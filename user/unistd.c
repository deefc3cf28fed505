/* POSIX-style wrappers for the process and I/O system calls. */
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

ssize_t read(int fd, void *buf, size_t len)
{
	return __syscall_ret(__syscall6(SYS_read, fd, (long)buf, (long)len, 0, 0, 0));
}

int console_fg(int fd, pid_t pid)
{
	return (int)__syscall_ret(__syscall6(SYS_console_fg, fd, pid, 0, 0, 0, 0));
}

ssize_t write(int fd, const void *buf, size_t len)
{
	return __syscall_ret(__syscall6(SYS_write, fd, (long)buf, (long)len, 0, 0, 0));
}

_Noreturn void _exit(int status)
{
	__syscall6(SYS_exit, status, 0, 0, 0, 0, 0);
	/* SYS_exit does not return; if a broken kernel says otherwise, die by fault instead. */
	__builtin_trap();
}

pid_t getpid(void)
{
	return (pid_t)__syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

int sched_yield(void)
{
	return (int)__syscall_ret(__syscall6(SYS_sched_yield, 0, 0, 0, 0, 0, 0));
}

int sched_stat(int pid, struct sched_stat *out)
{
	return (int)__syscall_ret(__syscall6(SYS_sched_stat, pid, (long)out, 0, 0, 0, 0));
}

int close(int fd)
{
	return (int)__syscall_ret(__syscall6(SYS_close, fd, 0, 0, 0, 0, 0));
}

pid_t spawn(const char *name, char *const argv[])
{
	return (pid_t)__syscall_ret(__syscall6(SYS_spawn, (long)name, (long)argv, 0, 0, 0, 0));
}

pid_t waitpid(pid_t pid, int *status, int options)
{
	return (pid_t)__syscall_ret(__syscall6(SYS_waitpid, pid, (long)status, options, 0, 0, 0));
}

uint64_t uptime(void)
{
	return (uint64_t)__syscall6(SYS_uptime, 0, 0, 0, 0, 0, 0);
}
