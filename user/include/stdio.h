/*
 * Formatted output to the console. There is no FILE and no buffering across calls: each call
 * formats its whole output, then writes it with write(2) before returning, so output from
 * different tasks interleaves only at call boundaries.
 *
 * Conversions: d i u o x X p s c %; flags - 0 + space #; width and precision (numbers or *);
 * length modifiers hh h l ll z j t. %s of NULL prints "(null)" (nothing if the precision is under 6), %p of NULL "(nil)", as glibc.
 * No floating point. An unknown conversion is printed as written.
 */
#ifndef _STDIO_H
#define _STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

/* Print to fd 1 / to fd; return the number of bytes written, or -1 and errno. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vdprintf(int fd, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/*
 * Format into buf, writing at most size bytes including the terminating NUL (none if size is 0);
 * return the length the whole output would have had.
 */
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* Write s and a newline to fd 1; return a non-negative number, or EOF and errno. */
int puts(const char *s);
/* Write the byte c to fd 1; return c as an unsigned char, or EOF and errno. */
int putchar(int c);

#endif
