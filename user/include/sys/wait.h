/* waitpid and the status macros; the status encoding is in include/uapi/wait.h. */
#ifndef _SYS_WAIT_H
#define _SYS_WAIT_H

#include <sys/types.h>

#include "uapi/wait.h"

/*
 * Waits for child pid (-1: any child) to end, stores its status (if status is not NULL) and
 * returns its pid; with WNOHANG returns 0 if none has ended yet. -1 and errno (ECHILD) on failure.
 */
pid_t waitpid(pid_t pid, int *status, int options);

#endif
