/*
 * The one translation of vm_map's results (KERN_*, mm/vm_map.h) into errno, for every caller at
 * the user boundary: the memory system calls (kernel/vm_syscalls.c), building a program's address
 * space (kernel/exec.c) and mapping the callback trampoline (kernel/callback.c).
 */
#ifndef KERNEL_VM_ERRNO_H
#define KERNEL_VM_ERRNO_H

/*
 * The errno of a vm_map operation's result kr (vm_map_find, _insert, _fixed, _delete, _protect),
 * as FreeBSD's vm_mmap_to_errno, negated (Kestrel returns errors as negative values):
 *   KERN_SUCCESS                           0
 *   KERN_INVALID_ADDRESS, KERN_NO_SPACE    -ENOMEM (no room, or a range outside the map)
 *   KERN_PROTECTION_FAILURE                -EACCES
 *   KERN_RESOURCE_SHORTAGE                 -ENOMEM (K: FreeBSD's default, EINVAL, would tell a
 *                                                  caller that ran out of kernel memory that its
 *                                                  arguments were wrong)
 *   anything else                          -EINVAL (KERN_OUT_OF_BOUNDS included, as FreeBSD's
 *                                                  function; its mprotect says ENOTSUP itself)
 * Callers with a contract of their own (mmap's MAP_EXCL says EEXIST where the range is taken,
 * include/uapi/mman.h) decide that before translating. No lock needed.
 */
int vm_mmap_to_errno(int kr);

/*
 * The errno of vm_fault's result kr when the kernel touches user memory on a user's behalf (a
 * copy into a map being built): 0 for KERN_SUCCESS, -ENOMEM for KERN_RESOURCE_SHORTAGE, -EFAULT
 * for anything else (the address is not there or not writable, as copyout says).
 */
int vm_fault_to_errno(int kr);

#endif
