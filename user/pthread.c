/*
 * POSIX threads over SYS_thread_* and mutexes over SYS_futex (contract in user/include/pthread.h).
 *
 * Each thread's record is where its thread pointer points (arch_prctl(ARCH_SET_FS), the x86-64
 * TLS ABI's layout: the record's first word is its own address, so %fs:0 reads it): crt0 points
 * the first thread's at main_thread before main, and a new thread points its own at its record
 * first thing. pthread_self is one load, and errno is a field of the record.
 */
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <thread.h>
#include <unistd.h>

struct __pthread {
	struct __pthread *self; /* first: what %fs:0 reads */
	int errno_value;
	void *(*fn)(void *);
	void *arg;
	void *ret;
	void *stack; /* NULL for the first thread */
	int tid;     /* the first thread's: 0, its tid is getpid() */
};

static struct __pthread main_thread = {.self = &main_thread};

void __pthread_start(void);
_Noreturn void __pthread_main(struct __pthread *self);

/* Point the calling thread's thread pointer at its record (the raw call: errno needs it first). */
static void set_self(struct __pthread *self)
{
	__sys_arch_prctl(ARCH_SET_FS, (unsigned long)self);
}

void __pthread_init(void)
{
	set_self(&main_thread);
}

pthread_t pthread_self(void)
{
	struct __pthread *self;

	__asm__ volatile("movq %%fs:0, %0" : "=r"(self));
	return self;
}

int *__errno_location(void)
{
	return &pthread_self()->errno_value;
}

int pthread_equal(pthread_t a, pthread_t b)
{
	return a == b;
}

_Noreturn void __pthread_main(struct __pthread *self)
{
	set_self(self);
	/* pthread_create stores it too, maybe later than this thread asks for it. */
	__atomic_store_n(&self->tid, gettid(), __ATOMIC_RELEASE);
	pthread_exit(self->fn(self->arg));
}

_Noreturn void pthread_exit(void *ret)
{
	pthread_self()->ret = ret;
	/* The stack stays: the joiner unmaps it once the kernel says this thread has ended. */
	thread_exit(0);
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	(void)attr;
	struct __pthread *p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	p->self = p;
	p->fn = fn;
	p->arg = arg;
	p->tid = -1;
	p->stack = mmap(NULL, PTHREAD_STACK_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANON | MAP_STACK, -1, 0);
	if (p->stack == MAP_FAILED) {
		free(p);
		return ENOMEM;
	}
	int tid = thread_create((void *)__pthread_start, p, (char *)p->stack + PTHREAD_STACK_SIZE);
	if (tid < 0) {
		munmap(p->stack, PTHREAD_STACK_SIZE);
		free(p);
		return -tid;
	}
	__atomic_store_n(&p->tid, tid, __ATOMIC_RELEASE);
	*thread = p;
	return 0;
}

int pthread_join(pthread_t thread, void **ret)
{
	int tid =
		thread == &main_thread ? getpid() : __atomic_load_n(&thread->tid, __ATOMIC_ACQUIRE);
	int r = thread_join(tid, NULL);

	if (r < 0)
		return -r;
	if (ret)
		*ret = thread->ret;
	if (thread != &main_thread) {
		munmap(thread->stack, PTHREAD_STACK_SIZE);
		free(thread);
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------- */
/* Mutexes: Drepper's "Futexes Are Tricky" mutex #2 (0 free, 1 locked, 2 locked and contended). */

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
	if (attr)
		return EINVAL;
	m->__state = 0;
	return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
	return __atomic_load_n(&m->__state, __ATOMIC_RELAXED) ? EBUSY : 0;
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
	uint32_t c = 0;

	return __atomic_compare_exchange_n(&m->__state, &c, 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED)
		       ? 0
		       : EBUSY;
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	uint32_t c = 0;

	if (__atomic_compare_exchange_n(&m->__state, &c, 1, false, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		return 0;
	/* Contended: mark it so (2) and sleep while it stays locked; whoever unlocks wakes one. */
	if (c != 2)
		c = __atomic_exchange_n(&m->__state, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		futex(&m->__state, FUTEX_WAIT, 2, 0);
		c = __atomic_exchange_n(&m->__state, 2, __ATOMIC_ACQUIRE);
	}
	return 0;
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
	if (__atomic_fetch_sub(&m->__state, 1, __ATOMIC_RELEASE) != 1) {
		__atomic_store_n(&m->__state, 0, __ATOMIC_RELEASE);
		futex(&m->__state, FUTEX_WAKE, 1, 0);
	}
	return 0;
}
