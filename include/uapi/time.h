/*
 * Time values (shared by the kernel and user/); Linux's struct timespec.
 *
 * SYS_nanosleep(const struct timespec *req, struct timespec *rem) -> 0 sleeps at least *req on the
 * kernel's timer, rounded up to whole ticks (TIMER_HZ: 10 ms). rem may be NULL; it is written only
 * when the sleep is cut short. Errors (negated), in the order checked: EFAULT req is not readable
 * user memory; EINVAL tv_nsec outside [0, 999999999] or tv_sec negative; EINTR the task was killed
 * while it slept (it then ends without seeing the result, as the kill wants), with what was left
 * stored in *rem when rem is not NULL (EFAULT instead if it cannot be).
 */
#ifndef UAPI_TIME_H
#define UAPI_TIME_H

#include <stdint.h>

struct timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};
_Static_assert(sizeof(struct timespec) == 16, "struct timespec is ABI");

#endif
