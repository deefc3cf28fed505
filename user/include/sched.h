/* sched_yield (POSIX). */
#ifndef _SCHED_H
#define _SCHED_H

/* Lets other runnable tasks run before the caller continues; returns 0. */
int sched_yield(void);

#endif
