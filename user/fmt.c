/*
 * The printf formatter. Self-contained (only the compiler's freestanding headers), so that
 * tests/host/test_user_fmt.c can #include this file and compare it with glibc's snprintf;
 * everything but __vformat is static and prefixed fmt_ so nothing clashes with a C library.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmt.h"

/* Widths and precisions saturate here instead of overflowing. */
#define FMT_MAX_FIELD 100000000u

/* The output: buf[0..size) receives the first size-1 bytes; len counts all of them. */
struct fmt_out {
	char *buf;
	size_t size;
	size_t len;
};

/* One conversion specification, %[flags][width][.precision][length]conv. */
struct fmt_spec {
	bool left;  /* '-' */
	bool zero;  /* '0' */
	bool plus;  /* '+' */
	bool space; /* ' ' */
	bool alt;   /* '#' */
	unsigned width;
	int prec; /* -1: none given */
	char conv;
};

static void fmt_putc(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void fmt_repeat(struct fmt_out *o, char c, size_t n)
{
	while (n--)
		fmt_putc(o, c);
}

static void fmt_write(struct fmt_out *o, const char *s, size_t n)
{
	while (n--)
		fmt_putc(o, *s++);
}

/* s[0..n) padded to the field width. */
static void fmt_field(struct fmt_out *o, const struct fmt_spec *sp, const char *s, size_t n)
{
	size_t pad = sp->width > n ? sp->width - n : 0;

	if (!sp->left)
		fmt_repeat(o, ' ', pad);
	fmt_write(o, s, n);
	if (sp->left)
		fmt_repeat(o, ' ', pad);
}

static void fmt_string(struct fmt_out *o, const struct fmt_spec *sp, const char *s)
{
	size_t n = 0;

	/* As glibc: "(null)" only where the precision lets all of it show. */
	if (!s)
		s = sp->prec < 0 || sp->prec >= 6 ? "(null)" : "";
	/* With a precision, s need not be NUL-terminated: never read past it. */
	while ((sp->prec < 0 || n < (size_t)sp->prec) && s[n])
		n++;
	fmt_field(o, sp, s, n);
}

/*
 * An integer conversion of magnitude mag (negative: whether a '-' goes in front), following
 * C11 7.21.6.1: the precision is the minimum number of digits, 0 with precision 0 prints no
 * digits, '#' makes octal start with 0 and puts 0x/0X before nonzero hex, '0' pads with zeros
 * after the sign and prefix unless a precision or '-' is given.
 */
static void fmt_integer(struct fmt_out *o, const struct fmt_spec *sp, uintmax_t mag, bool negative)
{
	const char *digit_set = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned base = 10;
	char digits[sizeof(uintmax_t) * 3];
	size_t ndigits = 0;
	char sign = 0;
	const char *prefix = "";
	size_t nzeros, total, pad;

	if (sp->conv == 'o')
		base = 8;
	else if (sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p')
		base = 16;

	for (uintmax_t v = mag; v; v /= base)
		digits[ndigits++] = digit_set[v % base];
	if (mag == 0 && sp->prec != 0)
		digits[ndigits++] = '0';

	nzeros = sp->prec > 0 && (size_t)sp->prec > ndigits ? (size_t)sp->prec - ndigits : 0;
	if (sp->conv == 'd' || sp->conv == 'i') {
		if (negative)
			sign = '-';
		else if (sp->plus)
			sign = '+';
		else if (sp->space)
			sign = ' ';
	}
	if (sp->alt && base == 8 && nzeros == 0 && (ndigits == 0 || digits[ndigits - 1] != '0'))
		nzeros = 1;
	if ((sp->alt && base == 16 && mag != 0) || sp->conv == 'p')
		prefix = sp->conv == 'X' ? "0X" : "0x";

	total = (sign ? 1 : 0) + (prefix[0] ? 2 : 0) + nzeros + ndigits;
	pad = sp->width > total ? sp->width - total : 0;
	if (sp->zero && !sp->left && sp->prec < 0) {
		nzeros += pad;
		pad = 0;
	}

	if (!sp->left)
		fmt_repeat(o, ' ', pad);
	if (sign)
		fmt_putc(o, sign);
	fmt_write(o, prefix, prefix[0] ? 2 : 0);
	fmt_repeat(o, '0', nzeros);
	while (ndigits)
		fmt_putc(o, digits[--ndigits]);
	if (sp->left)
		fmt_repeat(o, ' ', pad);
}

static unsigned fmt_number(const char **p)
{
	unsigned n = 0;

	for (; **p >= '0' && **p <= '9'; (*p)++)
		if (n < FMT_MAX_FIELD)
			n = n * 10 + (unsigned)(**p - '0');
	return n;
}

int __vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out o = {buf, size, 0};
	const char *p = fmt;

	while (*p) {
		const char *start = p;
		struct fmt_spec sp = {.prec = -1};
		char len = 0; /* 'H' hh, 'h', 'l', 'L' ll, 'z', 'j', 't' */
		intmax_t sv;
		uintmax_t uv;

		if (*p != '%') {
			fmt_putc(&o, *p++);
			continue;
		}
		p++;
		for (;; p++) {
			if (*p == '-')
				sp.left = true;
			else if (*p == '0')
				sp.zero = true;
			else if (*p == '+')
				sp.plus = true;
			else if (*p == ' ')
				sp.space = true;
			else if (*p == '#')
				sp.alt = true;
			else
				break;
		}
		if (*p == '*') {
			int w = va_arg(ap, int);
			p++;
			if (w < 0) {
				sp.left = true;
				sp.width = w == INT_MIN ? FMT_MAX_FIELD : (unsigned)-w;
			} else {
				sp.width = (unsigned)w;
			}
		} else {
			sp.width = fmt_number(&p);
		}
		if (sp.width > FMT_MAX_FIELD)
			sp.width = FMT_MAX_FIELD;
		if (*p == '.') {
			p++;
			if (*p == '*') {
				int pr = va_arg(ap, int);
				p++;
				sp.prec = pr < 0 ? -1 : pr;
			} else {
				sp.prec = (int)fmt_number(&p);
			}
			if (sp.prec > (int)FMT_MAX_FIELD)
				sp.prec = (int)FMT_MAX_FIELD;
		}
		if (*p == 'h' || *p == 'l' || *p == 'z' || *p == 'j' || *p == 't') {
			len = *p++;
			if ((len == 'h' || len == 'l') && *p == len) {
				len = len == 'h' ? 'H' : 'L';
				p++;
			}
		}
		sp.conv = *p;

		switch (sp.conv) {
		case 'd':
		case 'i':
			switch (len) {
			case 'H':
				sv = (signed char)va_arg(ap, int);
				break;
			case 'h':
				sv = (short)va_arg(ap, int);
				break;
			case 'l':
				sv = va_arg(ap, long);
				break;
			case 'L':
				sv = va_arg(ap, long long);
				break;
			case 'z':
				sv = va_arg(ap, long);
				break; /* ssize_t, size_t's signed twin */
			case 'j':
				sv = va_arg(ap, intmax_t);
				break;
			case 't':
				sv = va_arg(ap, ptrdiff_t);
				break;
			default:
				sv = va_arg(ap, int);
				break;
			}
			fmt_integer(&o, &sp, sv < 0 ? -(uintmax_t)sv : (uintmax_t)sv, sv < 0);
			break;
		case 'u':
		case 'o':
		case 'x':
		case 'X':
			switch (len) {
			case 'H':
				uv = (unsigned char)va_arg(ap, unsigned);
				break;
			case 'h':
				uv = (unsigned short)va_arg(ap, unsigned);
				break;
			case 'l':
				uv = va_arg(ap, unsigned long);
				break;
			case 'L':
				uv = va_arg(ap, unsigned long long);
				break;
			case 'z':
				uv = va_arg(ap, size_t);
				break;
			case 'j':
				uv = va_arg(ap, uintmax_t);
				break;
			case 't':
				uv = (size_t)va_arg(ap, ptrdiff_t);
				break;
			default:
				uv = va_arg(ap, unsigned);
				break;
			}
			fmt_integer(&o, &sp, uv, false);
			break;
		case 'p': {
			void *ptr = va_arg(ap, void *);
			if (ptr) {
				fmt_integer(&o, &sp, (uintptr_t)ptr, false);
			} else {
				sp.prec = -1;
				fmt_string(&o, &sp, "(nil)");
			}
			break;
		}
		case 's':
			fmt_string(&o, &sp, va_arg(ap, const char *));
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);
			fmt_field(&o, &sp, &c, 1);
			break;
		}
		case '%':
			fmt_putc(&o, '%');
			break;
		default:
			/* Unknown, or the format ended inside the specification: print it as written. */
			fmt_write(&o, start, (size_t)(p - start) + (*p ? 1 : 0));
			if (!*p)
				continue;
			break;
		}
		p++;
	}

	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len > INT_MAX ? INT_MAX : (int)o.len;
}
