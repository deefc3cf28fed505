/*
 * System-wide statistics: SYS_sys_stat (ABI in include/uapi/sys_stat.h) and the page-fault totals
 * of the tasks that have ended, which it adds to those of the living.
 */
#ifndef KERNEL_SYS_STAT_H
#define KERNEL_SYS_STAT_H

#include "mm/vm_map.h"

/*
 * A task is letting go of its map (task.c, in the same sched_lock hold that clears task.map):
 * add the map's fault counters to the totals of ended tasks. sched_lock held.
 */
void sys_stat_retire_locked(vm_map_t map);

#endif
