/*
 * printf and friends: format the whole output (user/fmt.c), then write it in one go, so each call
 * is flushed before it returns. Output that does not fit the stack buffer is formatted a second
 * time into a heap buffer of the exact size.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fmt.h"

#define STDIO_STACK_BUF 512

/* Writes all n bytes, resuming after short writes; 0, or -1 and errno. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int vdprintf(int fd, const char *fmt, va_list ap)
{
	char small[STDIO_STACK_BUF], *buf = small;
	va_list again;
	int n, ret;

	va_copy(again, ap);
	n = __vformat(small, sizeof(small), fmt, ap);
	if ((size_t)n >= sizeof(small)) {
		buf = malloc((size_t)n + 1);
		if (!buf) {
			va_end(again);
			return -1;
		}
		__vformat(buf, (size_t)n + 1, fmt, again);
	}
	va_end(again);
	ret = write_all(fd, buf, (size_t)n) ? -1 : n;
	if (buf != small)
		free(buf);
	return ret;
}

int dprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vdprintf(fd, fmt, ap);
	va_end(ap);
	return n;
}

int vprintf(const char *fmt, va_list ap)
{
	return vdprintf(STDOUT_FILENO, fmt, ap);
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vdprintf(STDOUT_FILENO, fmt, ap);
	va_end(ap);
	return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return __vformat(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = __vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int puts(const char *s)
{
	return printf("%s\n", s) < 0 ? EOF : 0;
}

int putchar(int c)
{
	char b = (char)c;

	return write_all(STDOUT_FILENO, &b, 1) ? EOF : (unsigned char)b;
}
