/*
 * The C string and memory functions. The bulk copies and fills use the string instructions, 8
 * bytes an iteration (rep movsq/stosq) and the last 0-7 bytes in at most three moves: real CPUs run rep movsb as
 * fast, but under QEMU's TCG every iteration of a rep instruction costs about as much as a short
 * instruction sequence, and the 152-byte union bpf_attr cleared before every bpf(2) call made
 * that visible. Everything else is plain loops.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

/* The last 0-7 bytes of a fill or copy: at most one 4-, one 2- and one 1-byte string move. */
#define STRING_TAIL(op)                                                                  \
	"testb $4, %b[n]\n\tjz 1f\n\t" op "l\n1:\ttestb $2, %b[n]\n\tjz 2f\n\t" op "w\n" \
	"2:\ttestb $1, %b[n]\n\tjz 3f\n\t" op "b\n3:"

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	uint64_t v = (uint8_t)c * 0x0101010101010101ull;
	size_t quads = n / 8;

	__asm__ volatile("rep stosq\n\t" STRING_TAIL("stos")
			 : "+D"(d), "+c"(quads)
			 : "a"(v), [n] "q"(n)
			 : "memory", "cc");
	return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *d = dst;
	size_t quads = n / 8;

	__asm__ volatile("rep movsq\n\t" STRING_TAIL("movs")
			 : "+D"(d), "+S"(src), "+c"(quads)
			 : [n] "q"(n)
			 : "memory", "cc");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	/* Copying forwards is safe unless dst starts inside [src, src + n). */
	if ((uintptr_t)dst - (uintptr_t)src >= n)
		return memcpy(dst, src, n);
	if (n) {
		void *d = (char *)dst + n - 1;
		const void *s = (const char *)src + n - 1;

		__asm__ volatile("std\n\trep movsb\n\tcld"
				 : "+D"(d), "+S"(s), "+c"(n)
				 :
				 : "memory");
	}
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (; n; n--, p++)
		if (*p == (unsigned char)c)
			return (void *)p;
	return NULL;
}

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++)
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	return 0;
}

char *strcpy(char *restrict dst, const char *restrict src)
{
	return memcpy(dst, src, strlen(src) + 1);
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

char *strerror(int err)
{
	static const char *const msgs[] = {
		[0] = "Success",
		[EPERM] = "Operation not permitted",
		[ENOENT] = "No such file or directory",
		[ESRCH] = "No such process",
		[EINTR] = "Interrupted system call",
		[EIO] = "Input/output error",
		[E2BIG] = "Argument list too long",
		[ENOEXEC] = "Exec format error",
		[EBADF] = "Bad file descriptor",
		[ECHILD] = "No child processes",
		[EAGAIN] = "Resource temporarily unavailable",
		[ENOMEM] = "Cannot allocate memory",
		[EACCES] = "Permission denied",
		[EFAULT] = "Bad address",
		[EBUSY] = "Device or resource busy",
		[EEXIST] = "File exists",
		[ENODEV] = "No such device",
		[EINVAL] = "Invalid argument",
		[EMFILE] = "Too many open files",
		[ENOSPC] = "No space left on device",
		[ERANGE] = "Numerical result out of range",
		[EDEADLK] = "Resource deadlock avoided",
		[ENAMETOOLONG] = "File name too long",
		[ENOSYS] = "Function not implemented",
		[ELOOP] = "Too many levels of symbolic links",
		[EOVERFLOW] = "Value too large for defined data type",
	};

	if (err >= 0 && (size_t)err < sizeof(msgs) / sizeof(msgs[0]) && msgs[err])
		return (char *)msgs[err];
	return "Unknown error";
}
