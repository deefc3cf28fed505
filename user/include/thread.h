/*
 * Kestrel's thread and futex system calls, raw (include/uapi/thread.h has the contract). Programs
 * normally use <pthread.h>, built on these. They return the kernel's result unchanged: >= 0, or a
 * negated errno (errno is not set); arch_prctl is Linux's function: -1 with errno on failure.
 */
#ifndef _THREAD_H
#define _THREAD_H

#include <stdint.h>
#include <sys/types.h>

#include "uapi/thread.h"

/* A new thread at entry (rdi = arg, rsp = stack_top, 16-byte aligned); its tid. */
int thread_create(void *entry, void *arg, void *stack_top);
/* Ends the calling thread only (the last one ends the task with status 0). */
_Noreturn void thread_exit(int value);
/* Waits for thread tid of this task, stores its thread_exit value (if value is not NULL), frees it. */
int thread_join(int tid, int *value);
/* FUTEX_WAIT (0 when woken) or FUTEX_WAKE (how many were woken). */
long futex(uint32_t *uaddr, int op, uint32_t val, uint64_t timeout);
/*
 * ARCH_SET_FS / ARCH_GET_FS: the calling thread's thread pointer. The runtime keeps each thread's
 * record there (user/pthread.c): a program that moves it loses errno and pthread_self.
 */
int arch_prctl(int code, unsigned long addr);

#endif
