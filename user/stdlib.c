/* exit, abort and number parsing (strtol and strtoul as C11 7.22.1.4 specifies them). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

_Noreturn void exit(int status)
{
	_exit(status);
}

_Noreturn void abort(void)
{
	static const char msg[] = "abort\n";

	write(STDERR_FILENO, msg, sizeof(msg) - 1);
	__builtin_trap();
}

static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* The value of digit c in bases up to 36, or 36 if c is not a digit. */
static unsigned digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'z')
		return (unsigned)(c - 'a' + 10);
	if (c >= 'A' && c <= 'Z')
		return (unsigned)(c - 'A' + 10);
	return 36;
}

/*
 * The common part of strtol and strtoul: the magnitude of the number at s, its sign in *neg,
 * whether it exceeded ULONG_MAX in *overflow (the result is then ULONG_MAX). *end gets the first
 * unparsed character, or s itself if there was no number. Base 1 or above 36 sets EINVAL.
 */
static unsigned long parse_number(const char *s, char **end, int base, bool *neg, bool *overflow)
{
	const char *p = s;
	unsigned long acc = 0;
	bool any = false;

	*neg = false;
	*overflow = false;
	if (base < 0 || base == 1 || base > 36) {
		errno = EINVAL;
		if (end)
			*end = (char *)s;
		return 0;
	}
	while (is_space(*p))
		p++;
	if (*p == '+' || *p == '-')
		*neg = *p++ == '-';
	/* A 0x prefix counts only when a hex digit follows; else the 0 alone is the number. */
	if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
	    digit_value(p[2]) < 16) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = p[0] == '0' ? 8 : 10;
	}
	for (unsigned d; (d = digit_value(*p)) < (unsigned)base; p++) {
		any = true;
		if (acc > (ULONG_MAX - d) / (unsigned)base)
			*overflow = true;
		else
			acc = acc * (unsigned)base + d;
	}
	if (end)
		*end = (char *)(any ? p : s);
	return *overflow ? ULONG_MAX : acc;
}

unsigned long strtoul(const char *s, char **end, int base)
{
	bool neg, overflow;
	unsigned long v = parse_number(s, end, base, &neg, &overflow);

	if (overflow) {
		errno = ERANGE;
		return ULONG_MAX;
	}
	return neg ? -v : v;
}

long strtol(const char *s, char **end, int base)
{
	bool neg, overflow;
	unsigned long v = parse_number(s, end, base, &neg, &overflow);

	if (neg) {
		if (overflow || v > (unsigned long)LONG_MAX + 1) {
			errno = ERANGE;
			return LONG_MIN;
		}
		return v == (unsigned long)LONG_MAX + 1 ? LONG_MIN : -(long)v;
	}
	if (overflow || v > (unsigned long)LONG_MAX) {
		errno = ERANGE;
		return LONG_MAX;
	}
	return (long)v;
}

int atoi(const char *s)
{
	return (int)strtol(s, NULL, 10);
}
