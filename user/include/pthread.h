/*
 * POSIX threads, the subset Kestrel has: create, join, exit, self, and futex-based mutexes
 * (include/uapi/thread.h). Functions return 0 or an error number (they do not set errno).
 *
 * Thread safety of the rest of the runtime: malloc, calloc, realloc and free take a mutex. errno
 * is each thread's own (a field of the thread's record, which its thread pointer names:
 * user/pthread.c; a thread made with the raw thread_create shares its creator's). printf and
 * friends are unbuffered: one call is one write of the formatted text, so lines of different
 * threads do not mix within a call. The runtime keeps no other hidden state (it has no strtok,
 * rand or getopt); libbpf_set_print's function is one global, as in libbpf.
 */
#ifndef _PTHREAD_H
#define _PTHREAD_H

#include <stdint.h>
#include <sys/types.h>

/* Each thread's stack: mapped with MAP_STACK by pthread_create, unmapped by pthread_join. */
#define PTHREAD_STACK_SIZE (64 * 1024)

typedef struct __pthread *pthread_t;
typedef struct {
	int __unused;
} pthread_attr_t; /* only NULL attributes are supported: pthread_create ignores one */

/* A futex word: 0 free, 1 locked, 2 locked with waiters (possibly). */
typedef struct {
	uint32_t __state;
} pthread_mutex_t;
typedef struct {
	int __unused;
} pthread_mutexattr_t;

#define PTHREAD_MUTEX_INITIALIZER \
	{                         \
		0                 \
	}

/*
 * Start fn(arg) in a new thread of this task; its id in *thread. EAGAIN too many threads (64 a
 * task), ENOMEM no memory for its stack or record.
 */
int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
/* Wait for thread to end; its return value (or pthread_exit's) in *ret if ret is not NULL. ESRCH
 * no such thread, EINVAL it is being joined already or is the caller, EDEADLK it joins the caller. */
int pthread_join(pthread_t thread, void **ret);
/* End the calling thread with ret for pthread_join; the task ends when its last thread does. */
_Noreturn void pthread_exit(void *ret);
/* The calling thread. */
pthread_t pthread_self(void);
/* Whether a and b are the same thread. */
int pthread_equal(pthread_t a, pthread_t b);

/* attr must be NULL. */
int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr);
/* EBUSY if locked. */
int pthread_mutex_destroy(pthread_mutex_t *m);
int pthread_mutex_lock(pthread_mutex_t *m);
/* EBUSY if locked (by anyone). */
int pthread_mutex_trylock(pthread_mutex_t *m);
int pthread_mutex_unlock(pthread_mutex_t *m);

#endif
