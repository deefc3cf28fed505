/* POSIX-style wrappers for the task list and kill (include/uapi/task_info.h). */
#include <sys/syscall.h>
#include <task_info.h>

ssize_t task_list(struct task_info *out, size_t max, int from)
{
	return __syscall_ret(__syscall6(SYS_task_list, (long)out, (long)max, from, 0, 0, 0));
}

int kill(pid_t pid)
{
	return (int)__syscall_ret(__syscall6(SYS_kill, pid, 0, 0, 0, 0, 0));
}
