/* POSIX-style wrappers for the address-space statistics calls (include/uapi/vm_stat.h). */
#include <sys/syscall.h>
#include <vm_stat.h>

int vm_stat(int pid, struct vm_stat *out)
{
	return (int)__syscall_ret(__syscall6(SYS_vm_stat, pid, (long)out, 0, 0, 0, 0));
}

ssize_t vm_map_list(int pid, struct vm_map_ent *out, size_t max, uint64_t from)
{
	return __syscall_ret(
		__syscall6(SYS_vm_map_list, pid, (long)out, (long)max, (long)from, 0, 0));
}
