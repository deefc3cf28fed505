/*
 * The thread system calls: thread_create, thread_exit, thread_join, gettid, arch_prctl (ABI in
 * include/uapi/thread.h; the life cycle is kernel/task.h's).
 */
#include "kernel/sched.h"
#include "kernel/syscall.h"
#include "kernel/task.h"
#include "kernel/usercopy.h"
#include "mm/memlayout.h"
#include "uapi/errno.h"
#include "uapi/thread.h"

long sys_thread_create(struct trapframe *tf)
{
	uint64_t entry = syscall_arg(tf, 0), arg = syscall_arg(tf, 1);
	uint64_t stack_top = syscall_arg(tf, 2);

	if (entry < USER_MIN || entry >= USER_MAX)
		return -EINVAL;
	if (stack_top <= USER_MIN || stack_top > USER_MAX || (stack_top & (THREAD_STACK_ALIGN - 1)))
		return -EINVAL;
	return task_thread_create(entry, arg, stack_top);
}

long sys_thread_exit(struct trapframe *tf)
{
	task_thread_exit((int)syscall_arg(tf, 0));
}

long sys_thread_join(struct trapframe *tf)
{
	return task_thread_join((int)syscall_arg(tf, 0), syscall_arg(tf, 1));
}

long sys_gettid(struct trapframe *tf)
{
	(void)tf;
	return task_current()->pid;
}

long sys_arch_prctl(struct trapframe *tf)
{
	struct task *cur = task_current();
	uint64_t addr = syscall_arg(tf, 1);

	switch ((int)syscall_arg(tf, 0)) {
	case ARCH_SET_FS:
		if (addr >= USER_MAX)
			return -EPERM;
		sched_set_tls(cur, addr);
		return 0;
	case ARCH_GET_FS:
		return copyout(&cur->tls_base, (void *)addr, sizeof(cur->tls_base));
	default:
		return -EINVAL;
	}
}
