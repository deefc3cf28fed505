/* POSIX-style wrappers for the memory-mapping system calls. */
#include <sys/mman.h>
#include <sys/syscall.h>

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	long r = __syscall_ret(
		__syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, (long)off));

	return r == -1 ? MAP_FAILED : (void *)r;
}

int munmap(void *addr, size_t len)
{
	return (int)__syscall_ret(__syscall6(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0));
}

int mprotect(void *addr, size_t len, int prot)
{
	return (int)__syscall_ret(__syscall6(SYS_mprotect, (long)addr, (long)len, prot, 0, 0, 0));
}
