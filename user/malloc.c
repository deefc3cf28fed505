/*
 * malloc and friends: the heap of user/uheap.c over anonymous mmap. A pointer that is not a live
 * block (double free, wild pointer) aborts with a message on fd 2 rather than corrupt the heap.
 * One mutex (a futex word: one atomic instruction when nobody else holds it) makes them safe to
 * call from several threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uheap.h"

static void *heap_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * A failing munmap (EBUSY when freeing inside a callback that holds our own map) leaks the
 * range; nothing better can be done without a place to queue it.
 */
static void heap_unmap(void *p, size_t len)
{
	munmap(p, len);
}

static struct uheap heap = {.map = heap_map, .unmap = heap_unmap};
static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;

static _Noreturn void heap_misuse(const char *fn, const void *p)
{
	dprintf(STDERR_FILENO, "%s(%p): not a block from malloc, or already freed\n", fn, p);
	abort();
}

void *malloc(size_t size)
{
	pthread_mutex_lock(&heap_lock);
	void *p = uheap_alloc(&heap, size);
	pthread_mutex_unlock(&heap_lock);

	if (!p)
		errno = ENOMEM;
	return p;
}

void free(void *p)
{
	pthread_mutex_lock(&heap_lock);
	int r = uheap_free(&heap, p);
	pthread_mutex_unlock(&heap_lock);
	if (r)
		heap_misuse("free", p);
}

void *calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	p = malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *realloc(void *p, size_t size)
{
	void *q;

	pthread_mutex_lock(&heap_lock);
	if (p && !uheap_usable_size(p)) {
		pthread_mutex_unlock(&heap_lock);
		heap_misuse("realloc", p);
	}
	q = uheap_realloc(&heap, p, size ? size : 1);
	pthread_mutex_unlock(&heap_lock);
	if (!q)
		errno = ENOMEM;
	return q;
}
