/* _exit: the process calls whose wrappers are not generated from include/uapi/syscall_list.h. */
#include <sys/syscall.h>
#include <unistd.h>

_Noreturn void _exit(int status)
{
	__sys_exit(status);
	/* SYS_exit does not return; if a broken kernel says otherwise, die by fault instead. */
	__builtin_trap();
}
