/*
 * The tracing helpers (contracts: Linux's, for the program types prog_type.c gives them to):
 * the current task, reading kernel and user memory without faulting, and bpf_copy_from_user, the
 * one that faults user pages in (so may sleep).
 *
 * User memory is read through the current task's page tables and the direct map, never by
 * touching the user address: a page that is not mapped (not yet faulted in, or not there) reads
 * as an error, as Linux's bpf_probe_read_user reads with page faults disabled. Every physical
 * address found is read with bpf_probe_read_nofault, so even a page table that changes under the
 * walk (another CPU unmapping, later) cannot make the read fault; the bytes are then unspecified.
 */
#include "kernel/bpf/helpers.h"

#include "kernel/bpf/probe.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "kernel/task_btf.h"
#include "kernel/usercopy.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"
#include "uapi/errno.h"

#define PTR(x) ((void *)(uintptr_t)(x))

uint64_t bpf_helper_get_current_task(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				     uint64_t r5)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return (uint64_t)(uintptr_t)task_btf_view(task_current());
}

/* Kestrel has no users: every task runs as uid 0, gid 0. */
uint64_t bpf_helper_get_current_uid_gid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
					uint64_t r5)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return 0;
}

/* Copy n bytes of the current task's memory at uaddr into dst: true, or false if any is unmapped. */
static bool read_user(void *dst, uint64_t uaddr, size_t n)
{
	struct task *t = task_current();

	if (!t->map || uaddr >= USER_MAX || n > USER_MAX - uaddr)
		return false;
	while (n) {
		vm_paddr_t pa;
		unsigned flags;
		size_t chunk = PAGE_SIZE - (uaddr & (PAGE_SIZE - 1));
		if (chunk > n)
			chunk = n;
		if (!pmap_query(t->map->pmap, uaddr, &pa, &flags, NULL) || !(flags & MMU_USER) ||
		    !bpf_probe_read_nofault(dst, phys_to_virt(pa), chunk))
			return false;
		dst = (uint8_t *)dst + chunk;
		uaddr += chunk;
		n -= chunk;
	}
	return true;
}

static bool read_kernel(void *dst, uint64_t addr, size_t n)
{
	return bpf_probe_read_nofault(dst, PTR(addr), n);
}

/* bpf_probe_read_{kernel,user}: 0, or -EFAULT with dst zeroed. */
static uint64_t probe_read(bool (*read)(void *, uint64_t, size_t), uint64_t dst, uint64_t size,
			   uint64_t src)
{
	if (read(PTR(dst), src, (size_t)size))
		return 0;
	memset(PTR(dst), 0, (size_t)size);
	return (uint64_t)-EFAULT;
}

/*
 * bpf_probe_read_{kernel,user}_str: the string at src, at most size - 1 bytes and a NUL, into
 * dst; its length with the NUL, or -EFAULT with dst zeroed (a size of 0 reads nothing: 0).
 */
static uint64_t probe_read_str(bool (*read)(void *, uint64_t, size_t), uint64_t dst, uint64_t size,
			       uint64_t src)
{
	uint8_t *d = PTR(dst);

	if (!size)
		return 0;
	for (uint64_t i = 0; i < size; i++) {
		if (i == size - 1) {
			d[i] = 0;
			return size;
		}
		if (!read(&d[i], src + i, 1)) {
			memset(d, 0, (size_t)size);
			return (uint64_t)-EFAULT;
		}
		if (!d[i])
			return i + 1;
	}
	return size;
}

uint64_t bpf_helper_probe_read_kernel(uint64_t dst, uint64_t size, uint64_t src, uint64_t r4,
				      uint64_t r5)
{
	(void)r4, (void)r5;
	return probe_read(read_kernel, dst, size, src);
}

uint64_t bpf_helper_probe_read_kernel_str(uint64_t dst, uint64_t size, uint64_t src, uint64_t r4,
					  uint64_t r5)
{
	(void)r4, (void)r5;
	return probe_read_str(read_kernel, dst, size, src);
}

uint64_t bpf_helper_probe_read_user(uint64_t dst, uint64_t size, uint64_t src, uint64_t r4,
				    uint64_t r5)
{
	(void)r4, (void)r5;
	return probe_read(read_user, dst, size, src);
}

uint64_t bpf_helper_probe_read_user_str(uint64_t dst, uint64_t size, uint64_t src, uint64_t r4,
					uint64_t r5)
{
	(void)r4, (void)r5;
	return probe_read_str(read_user, dst, size, src);
}

/*
 * copyin faults the pages in (kernel/usercopy.h); the program may sleep there, which its
 * prototype's BPF_PROTO_MIGHT_SLEEP made the verifier allow. Linux returns 0 for size 0 whatever
 * user_ptr is, as copy_from_user of nothing succeeds.
 */
uint64_t bpf_helper_copy_from_user(uint64_t dst, uint64_t size, uint64_t uptr, uint64_t r4,
				   uint64_t r5)
{
	(void)r4, (void)r5;
	if (!size)
		return 0;
	if (!copyin(PTR(uptr), PTR(dst), (size_t)size))
		return 0;
	memset(PTR(dst), 0, (size_t)size);
	return (uint64_t)-EFAULT;
}
