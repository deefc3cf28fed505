/* The POSIX integer types the user library's interfaces use. */
#ifndef _SYS_TYPES_H
#define _SYS_TYPES_H

#include <stdint.h>

typedef long ssize_t;
typedef int64_t off_t;
typedef int pid_t;

#endif
