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

int madvise(void *addr, size_t len, int behav)
{
	return (int)__syscall_ret(__syscall6(SYS_madvise, (long)addr, (long)len, behav, 0, 0, 0));
}

int posix_madvise(void *addr, size_t len, int behav)
{
	return (int)-__syscall6(SYS_madvise, (long)addr, (long)len, behav, 0, 0, 0);
}

int mincore(const void *addr, size_t len, char *vec)
{
	return (int)__syscall_ret(__syscall6(SYS_mincore, (long)addr, (long)len, (long)vec, 0, 0, 0));
}

int msync(void *addr, size_t len, int flags)
{
	return (int)__syscall_ret(__syscall6(SYS_msync, (long)addr, (long)len, flags, 0, 0, 0));
}
