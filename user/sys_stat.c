/* The POSIX-style wrapper for SYS_sys_stat (include/uapi/sys_stat.h). */
#include <sys/syscall.h>
#include <sys_stat.h>

int sys_stat(struct sys_stat *out)
{
	return (int)__syscall_ret(__syscall6(SYS_sys_stat, (long)out, 0, 0, 0, 0, 0));
}
