/*
 * bpf_probe_read_nofault (contract in kernel/bpf/probe.h): a range check in the kernel, the host
 * kernel's own fault handling in host builds.
 */
#ifdef KESTREL_HOST
#define _GNU_SOURCE
#include <sys/uio.h>
#include <unistd.h>
#endif

#include "kernel/bpf/probe.h"

#include <stdint.h>

#ifdef KESTREL_HOST

bool bpf_probe_read_nofault(void *dst, const void *src, size_t n)
{
	struct iovec local = {dst, n}, remote = {(void *)(uintptr_t)src, n};
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)n;
}

#else

#include "kernel/string.h"
#include "mm/memlayout.h"

extern char __text_start[], __kernel_end[];

/* Whether [a, a + n) lies inside [lo, hi), without overflowing on a huge a or n. */
static bool range_inside(uintptr_t a, size_t n, uintptr_t lo, uintptr_t hi)
{
	return a >= lo && a <= hi && n <= hi - a;
}

bool bpf_probe_read_nofault(void *dst, const void *src, size_t n)
{
	uintptr_t a = (uintptr_t)src;
	if (!range_inside(a, n, dmap_base, dmap_base + dmap_size) &&
	    !range_inside(a, n, (uintptr_t)__text_start, (uintptr_t)__kernel_end))
		return false;
	memcpy(dst, src, n);
	return true;
}

#endif
