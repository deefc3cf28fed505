/* The raw system call (ABI in include/uapi/syscall.h) and the POSIX errno convention. */
#include <errno.h>
#include <sys/syscall.h>

long __syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	/* "memory": the kernel reads and writes user buffers, and callbacks run inside some calls. */
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

long __syscall_ret(long raw)
{
	if (raw < 0) {
		errno = (int)-raw;
		return -1;
	}
	return raw;
}
