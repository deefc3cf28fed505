/* The task list and kill (contracts in include/uapi/task_info.h). */
#ifndef _TASK_INFO_H
#define _TASK_INFO_H

#include <stddef.h>
#include <sys/types.h>

#include "uapi/task_info.h"

/*
 * Stores up to max records of the tasks whose pid is above `from` into out, ascending by pid;
 * returns how many (0: none left), or -1 and errno. Start with from = -1.
 */
ssize_t task_list(struct task_info *out, size_t max, int from);
/* Kills descendant task pid (it ends with status TASK_KILLED_STATUS); returns 0 or -1 (errno). */
int kill(pid_t pid);

#endif
