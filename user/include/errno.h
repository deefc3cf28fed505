/* errno: a plain global (Kestrel's user tasks have one thread each); values as Linux numbers them. */
#ifndef _ERRNO_H
#define _ERRNO_H

#include "uapi/errno.h"

/* Set by a failing library call; never cleared by a successful one. */
extern int errno;

#endif
