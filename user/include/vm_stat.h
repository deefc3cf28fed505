/* Address-space statistics and the map listing (contracts in include/uapi/vm_stat.h). */
#ifndef _VM_STAT_H
#define _VM_STAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "uapi/vm_stat.h"

/* Fills *out for task pid (0: the caller); returns 0, or -1 and errno. */
int vm_stat(int pid, struct vm_stat *out);
/*
 * Stores up to max map entries of task pid (0: the caller) whose end is above `from` into out,
 * ascending; returns how many (0: none left), or -1 and errno.
 */
ssize_t vm_map_list(int pid, struct vm_map_ent *out, size_t max, uint64_t from);

#endif
