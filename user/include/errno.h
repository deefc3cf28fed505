/* errno: each thread's own; values as Linux numbers them. */
#ifndef _ERRNO_H
#define _ERRNO_H

#include "uapi/errno.h"

/*
 * Set by a failing library call; never cleared by a successful one. The calling thread's: a
 * field of its record, which the thread pointer names (user/pthread.c).
 */
int *__errno_location(void);
#define errno (*__errno_location())

#endif
