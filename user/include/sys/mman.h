/* Memory mapping (FreeBSD's flags, include/uapi/mman.h). Failures set errno. */
#ifndef _SYS_MMAN_H
#define _SYS_MMAN_H

#include <stddef.h>
#include <sys/types.h>

#include "uapi/mman.h"

/* Maps len bytes (see mmap(2) and include/uapi/mman.h); returns the address or MAP_FAILED. */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
/* Unmaps [addr, addr + len); returns 0 or -1. */
int munmap(void *addr, size_t len);
/* Changes the protection of [addr, addr + len); returns 0 or -1. */
int mprotect(void *addr, size_t len, int prot);
/* Advice behav (MADV_*) about [addr, addr + len); returns 0 or -1. */
int madvise(void *addr, size_t len, int behav);
/* madvise, but returns 0 or the error number and leaves errno alone (POSIX). */
int posix_madvise(void *addr, size_t len, int behav);
/* One MINCORE_* byte per page of [addr, addr + len) into vec; returns 0 or -1. */
int mincore(const void *addr, size_t len, char *vec);
/* Writes [addr, addr + len) back to its backing store (MS_*); returns 0 or -1. */
int msync(void *addr, size_t len, int flags);
/* Sets the fork-time inheritance (INHERIT_*) of [addr, addr + len); returns 0 or -1. */
int minherit(void *addr, size_t len, int inherit);
/* Wires [addr, addr + len): faulted in now, kept until unlocked or unmapped; returns 0 or -1. */
int mlock(const void *addr, size_t len);
/* Unwires [addr, addr + len), which must be wholly wired; returns 0 or -1. */
int munlock(const void *addr, size_t len);
/* Wires every mapping now (MCL_CURRENT) and/or every later one (MCL_FUTURE); returns 0 or -1. */
int mlockall(int flags);
/* Unwires everything and ends MCL_FUTURE; returns 0 or -1. */
int munlockall(void);

#endif
