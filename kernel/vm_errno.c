/* KERN_* to errno (contract in kernel/vm_errno.h). */
#include "kernel/vm_errno.h"
#include "mm/vm_map.h"
#include "uapi/errno.h"

int vm_mmap_to_errno(int kr)
{
	switch (kr) {
	case KERN_SUCCESS:
		return 0;
	case KERN_INVALID_ADDRESS:
	case KERN_NO_SPACE:
	case KERN_RESOURCE_SHORTAGE:
		return -ENOMEM;
	case KERN_PROTECTION_FAILURE:
		return -EACCES;
	default:
		return -EINVAL;
	}
}

int vm_fault_to_errno(int kr)
{
	if (kr == KERN_SUCCESS)
		return 0;
	return kr == KERN_RESOURCE_SHORTAGE ? -ENOMEM : -EFAULT;
}
