/*
 * bpf(2) and the native bpf_* system calls. Results pass through unchanged (negated errno on
 * failure), and errno is not touched: that is the Linux helpers' convention, not POSIX's. The
 * element calls are libbpf's too (<bpf/bpf.h>), so they also set errno on failure, as libbpf does.
 * Callbacks need nothing from the library: they return into the kernel's trampoline page
 * (include/uapi/bpf.h).
 */
#include <bpf.h>
#include <errno.h>
#include <sys/syscall.h>

int bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
	return (int)__syscall6(SYS_bpf, cmd, (long)attr, size, 0, 0, 0);
}

/* libbpf's convention for the calls it shares: a failure also goes to errno. */
static int set_errno(long r)
{
	if (r < 0)
		errno = (int)-r;
	return (int)r;
}

int bpf_native_map_create(enum bpf_map_type type, uint32_t key_size, uint32_t value_size,
			  uint32_t max_entries)
{
	return (int)__syscall6(SYS_bpf_map_create, type, key_size, value_size, max_entries, 0, 0);
}

int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)
{
	return set_errno(__syscall6(SYS_bpf_map_update, fd, (long)key, (long)value, (long)flags, 0, 0));
}

int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	return set_errno(__syscall6(SYS_bpf_map_lookup, fd, (long)key, (long)value, 0, 0, 0));
}

int bpf_map_delete_elem(int fd, const void *key)
{
	return set_errno(__syscall6(SYS_bpf_map_delete, fd, (long)key, 0, 0, 0, 0));
}

int bpf_map_get_next_key(int fd, const void *key, void *next_key)
{
	return set_errno(__syscall6(SYS_bpf_map_next_key, fd, (long)key, (long)next_key, 0, 0, 0));
}

long bpf_find_vma(int pid, uint64_t addr, bpf_find_vma_cb cb, void *ctx, uint64_t flags)
{
	return __syscall6(SYS_bpf_find_vma, pid, (long)addr, (long)cb, (long)ctx, (long)flags, 0);
}

long bpf_for_each_map_elem(int fd, bpf_map_elem_cb cb, void *ctx, uint64_t flags)
{
	return __syscall6(SYS_bpf_for_each_map_elem, fd, (long)cb, (long)ctx, (long)flags, 0, 0);
}

int bpf_task_vma_batch(int pid, uint64_t from, struct bpf_vma *out, size_t max)
{
	return (int)__syscall6(SYS_bpf_task_vma_batch, pid, (long)from, (long)out, (long)max, 0, 0);
}
