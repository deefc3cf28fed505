/*
 * The memory-mapping calls whose wrappers are not generated from include/uapi/syscall_list.h
 * (munmap, mprotect, madvise, mincore and msync are).
 */
#include <sys/mman.h>
#include <sys/syscall.h>

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	long r = __syscall_ret(__sys_mmap(addr, len, prot, flags, fd, off));

	return r == -1 ? MAP_FAILED : (void *)r;
}

/* POSIX's variant returns the error number instead of setting errno. */
int posix_madvise(void *addr, size_t len, int behav)
{
	return (int)-__sys_madvise(addr, len, behav);
}
