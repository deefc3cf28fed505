/* thread_exit, which the generated wrappers cannot give: it does not return. */
#include <sys/syscall.h>
#include <thread.h>

_Noreturn void thread_exit(int value)
{
	__sys_thread_exit(value);
	__builtin_trap(); /* as _exit: a kernel that returns here is broken */
}
