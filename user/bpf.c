/*
 * The native BPF calls whose library functions are not generated from
 * include/uapi/syscall_list.h: they take types the list spells as plain words (the map type, the
 * callbacks). bpf(2), the element calls and bpf_task_vma_batch are generated
 * (user/syscall_wrappers.c). Results pass through unchanged (negated errno on failure), and errno
 * is not touched: the Linux helpers' convention, not POSIX's. Callbacks need nothing from the
 * library: they return into the kernel's trampoline page (include/uapi/bpf.h).
 */
#include <bpf.h>
#include <sys/syscall.h>

int bpf_native_map_create(enum bpf_map_type type, uint32_t key_size, uint32_t value_size,
			  uint32_t max_entries)
{
	return (int)__sys_bpf_map_create((int)type, key_size, value_size, max_entries);
}

long bpf_find_vma(int pid, uint64_t addr, bpf_find_vma_cb cb, void *ctx, uint64_t flags)
{
	return __sys_bpf_find_vma(pid, addr, (void *)cb, ctx, flags);
}

long bpf_for_each_map_elem(int fd, bpf_map_elem_cb cb, void *ctx, uint64_t flags)
{
	return __sys_bpf_for_each_map_elem(fd, (void *)cb, ctx, flags);
}
