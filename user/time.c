/* The POSIX-style wrapper for SYS_nanosleep (include/uapi/time.h). */
#include <sys/syscall.h>
#include <time.h>

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	return (int)__syscall_ret(__syscall6(SYS_nanosleep, (long)req, (long)rem, 0, 0, 0, 0));
}
