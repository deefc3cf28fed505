/* Formatted output: one formatter (kvsnprintf's engine) for the console and for buffers. */
#include "kernel/kprintf.h"
#include <machine/serial.h>
#include "kernel/console.h"
#include "kernel/spinlock.h"

#include <stdbool.h>
#include <stdint.h>

struct sink {
	void (*put)(struct sink *s, char c);
	char *buf;
	size_t size, len;
};

static void put_buf(struct sink *s, char c)
{
	if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

static void put_console(struct sink *s, char c)
{
	serial_putc(c);
	s->len++;
}

static void emit_padded(struct sink *s, const char *str, size_t n, int width, bool left, char pad)
{
	int fill = width > (int)n ? width - (int)n : 0;
	if (!left)
		while (fill-- > 0)
			s->put(s, pad);
	for (size_t i = 0; i < n; i++)
		s->put(s, str[i]);
	if (left)
		while (fill-- > 0)
			s->put(s, ' ');
}

static void emit_number(struct sink *s, uint64_t v, bool neg, unsigned base, bool upper, int width,
			bool left, bool zero, const char *prefix)
{
	char tmp[24];
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t n = 0, plen = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg)
		plen = 1;
	else if (prefix)
		while (prefix[plen])
			plen++;
	int fill = width > (int)(n + plen) ? width - (int)(n + plen) : 0;
	if (!left && !zero)
		while (fill-- > 0)
			s->put(s, ' ');
	if (neg)
		s->put(s, '-');
	else
		for (size_t i = 0; i < plen; i++)
			s->put(s, prefix[i]);
	if (!left && zero)
		while (fill-- > 0)
			s->put(s, '0');
	while (n)
		s->put(s, tmp[--n]);
	if (left)
		while (fill-- > 0)
			s->put(s, ' ');
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			s->put(s, *fmt);
			continue;
		}
		bool left = false, zero = false;
		int width = 0, lng = 0;
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				zero = true;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		for (;; fmt++) {
			if (*fmt == 'l')
				lng++;
			else if (*fmt == 'z')
				lng = 2;
			else
				break;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
			emit_number(s, mag, v < 0, 10, false, width, left, zero, 0);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			emit_number(s, v, false, *fmt == 'u' ? 10 : 16, *fmt == 'X', width, left,
				    zero, 0);
			break;
		}
		case 'p':
			emit_number(s, (uint64_t)va_arg(ap, void *), false, 16, false, width, left,
				    zero, "0x");
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			size_t n = 0;
			if (!str)
				str = "(null)";
			while (str[n])
				n++;
			emit_padded(s, str, n, width, left, ' ');
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			emit_padded(s, &c, 1, width, left, ' ');
			break;
		}
		case '%':
			s->put(s, '%');
			break;
		case '\0':
			return;
		default:
			s->put(s, '%');
			s->put(s, *fmt);
			break;
		}
	}
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = {put_buf, buf, size, 0};
	format(&s, fmt, ap);
	if (size)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return (int)s.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int vkprintf(const char *fmt, va_list ap)
{
	struct sink s = {put_console, 0, 0, 0};
	console_lock();
	format(&s, fmt, ap);
	console_unlock();
	return (int)s.len;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vkprintf(fmt, ap);
	va_end(ap);
	return n;
}
