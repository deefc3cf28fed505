/* System-wide statistics (contract in include/uapi/sys_stat.h). */
#ifndef _SYS_STAT_H
#define _SYS_STAT_H

#include "uapi/sys_stat.h"

/* Fills *out; returns 0, or -1 and errno. */
int sys_stat(struct sys_stat *out);

#endif
