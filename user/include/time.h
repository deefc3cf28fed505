/* Sleeping (Linux's nanosleep, contract in include/uapi/time.h). */
#ifndef _TIME_H
#define _TIME_H

#include "uapi/time.h"

/*
 * Sleeps at least *req (rounded up to the kernel's 10 ms ticks); returns 0, or -1 and errno
 * (EINVAL, EFAULT; EINTR with the time left in *rem if rem is not NULL).
 */
int nanosleep(const struct timespec *req, struct timespec *rem);

#endif
