/*
 * The raw system-call interface under the library's wrappers (the ABI is in
 * include/uapi/syscall.h). Programs normally call the wrappers instead.
 */
#ifndef _SYS_SYSCALL_H
#define _SYS_SYSCALL_H

#include "uapi/syscall.h"

/*
 * Makes system call nr with up to six arguments (unused ones are ignored by the kernel) and
 * returns the kernel's result unchanged: >= 0 on success, a negated errno on failure.
 */
long __syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* Turns a raw result into the POSIX convention: a negated errno sets errno and gives -1. */
long __syscall_ret(long raw);

#endif
