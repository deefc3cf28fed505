/* Memory allocation, process exit and number parsing (C11 semantics unless noted). */
#ifndef _STDLIB_H
#define _STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

/*
 * The heap (user/malloc.c): blocks are 16-byte aligned. malloc(0) returns a unique pointer;
 * realloc(p, 0) acts as realloc(p, 1). Failures return NULL with errno ENOMEM. free of a pointer
 * that malloc did not return, or of one already freed, is detected when possible and aborts.
 */
void *malloc(size_t size);
void free(void *p);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);

/* Ends the task with status & 0xff. No atexit handlers: there are none to run. */
_Noreturn void exit(int status);
/* Writes "abort" to fd 2 and kills the task with an invalid-opcode fault (vector 6). */
_Noreturn void abort(void);

int atoi(const char *s);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);

#endif
