/*
 * System-wide statistics (shared by the kernel and user/): what `vmstat` and `uptime` show.
 *
 * SYS_sys_stat(struct sys_stat *out) -> 0. Errors (negated): EFAULT out is not writable user
 * memory.
 */
#ifndef UAPI_SYS_STAT_H
#define UAPI_SYS_STAT_H

#include <stdint.h>

struct sys_stat {
	uint64_t uptime_ns;    /* since the kernel's clock was calibrated at boot (ktime.h) */
	uint64_t total_frames; /* 4 KiB physical frames the allocator manages */
	uint64_t free_frames;  /* of those, free now, counted after the kernel heap has given its
				  empty slabs back (as vm_stat's free_frames) */
	uint64_t free_2m;      /* free 2 MiB-aligned 2 MiB blocks: the 2 MiB pages faults could
				  get now */
	uint64_t faults;       /* page faults handled in user address spaces since boot, tasks that
				  have ended included */
	uint64_t faults_2m;    /* of those, the ones that mapped a whole 2 MiB page */
	uint64_t tasks;        /* tasks on the task list (SYS_task_list lists them) */
};
_Static_assert(sizeof(struct sys_stat) == 56, "struct sys_stat is ABI");

#endif
