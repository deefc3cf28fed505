/*
 * The printf formatter under snprintf, printf and dprintf (user/fmt.c). It uses no C library
 * function, so host tests compile the same file and compare it with the host's snprintf.
 */
#ifndef USER_FMT_H
#define USER_FMT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * vsnprintf: formats fmt and its arguments (the conversions listed in <stdio.h>) into buf,
 * storing at most size bytes including a terminating NUL (nothing at all if size is 0, and buf
 * may then be NULL). Returns the length the whole output has, not counting the NUL, even when it
 * did not fit (INT_MAX at most). Consumes ap as va_arg does: a caller that formats the same
 * arguments twice passes a va_copy.
 */
int __vformat(char *buf, size_t size, const char *fmt, va_list ap);

#endif
