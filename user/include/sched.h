/* sched_yield (POSIX), and Kestrel's scheduling statistics. */
#ifndef _SCHED_H
#define _SCHED_H

#include <uapi/sched.h>

/* Lets other runnable tasks run before the caller continues; returns 0. */
int sched_yield(void);

/* Task pid's (0: the caller's) scheduling statistics (uapi/sched.h). 0, or -1 with errno set. */
int sched_stat(int pid, struct sched_stat *out);

#endif
