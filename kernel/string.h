/*
 * The C string functions the kernel uses. In the kernel they come from kernel/string.c, but for
 * memset and memcpy, which are the architecture's (arch/x86_64/string.c); host builds get the C
 * library's.
 */
#ifndef KERNEL_STRING_H
#define KERNEL_STRING_H

#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
/*
 * The unsigned number at the start of s: decimal, or hexadecimal after "0x". Parsing stops at the
 * first other character; *end (if not NULL) points there. Overflow wraps.
 */
unsigned long strtoul_simple(const char *s, const char **end);

#endif
