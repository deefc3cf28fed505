/*
 * bpf_trace_printk's formatting (contract in kernel/bpf/helpers.h), after Linux's
 * bpf_bprintf_prepare: the format is checked as a whole before anything is printed, so a bad
 * format prints nothing. Each conversion is rebuilt as a ksnprintf spec; the flags ksnprintf lacks
 * ('+' and ' ') are applied here.
 */
#include "kernel/bpf/helpers.h"

#include <stdbool.h>

#include "kernel/bpf/probe.h"
#include "kernel/kprintf.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "uapi/errno.h"

#define PRINTK_ARGS 3
#define PRINTK_TEXT 512 /* bytes of text a call prints at most (Linux: 1024) */

/* One conversion of the format. */
struct conv {
	char flags[5]; /* of "0+- ", each at most once, NUL-terminated */
	uint32_t width;
	uint8_t lmods; /* 'l's: 0 int, 1 long, 2 long long */
	char kind;     /* d i u x X c p s */
};

static bool printable(char c)
{
	return (c >= ' ' && c <= '~') || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

static bool punct(char c)
{
	return c > ' ' && c <= '~' && !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') &&
	       !(c >= 'A' && c <= 'Z');
}

/*
 * Parse the conversion whose '%' is at fmt[*i] (fmt NUL-terminated) into *cv, leaving *i on its
 * last character. -EINVAL if it is not one Linux's bpf_trace_printk takes.
 */
static int parse_conv(const char *fmt, uint32_t *i, struct conv *cv)
{
	uint32_t k = *i + 1, nf = 0;

	*cv = (struct conv){0};
	while (fmt[k] == '0' || fmt[k] == '+' || fmt[k] == '-' || fmt[k] == ' ') {
		if (!strchr(cv->flags, fmt[k]) && nf < sizeof(cv->flags) - 1)
			cv->flags[nf++] = fmt[k];
		k++;
	}
	for (; fmt[k] >= '0' && fmt[k] <= '9'; k++)
		if (cv->width < PRINTK_TEXT)
			cv->width = cv->width * 10 + (uint32_t)(fmt[k] - '0');
	cv->kind = fmt[k];
	if (fmt[k] == 'p') {
		/* The pointer: %p before the end, a space or punctuation, or %pK / %px. */
		char next = fmt[k + 1];
		if (next == 'K' || next == 'x')
			k++;
		else if (next && next != ' ' && next != '\t' && next != '\n' && !punct(next))
			return -EINVAL;
	} else if (fmt[k] != 's' && fmt[k] != 'c') {
		while (fmt[k] == 'l' && cv->lmods < 2) {
			cv->lmods++;
			k++;
		}
		if (!fmt[k] || !strchr("diuxX", fmt[k]))
			return -EINVAL;
		cv->kind = fmt[k];
	}
	*i = k;
	return 0;
}

/* Copy the string at the unchecked kernel address p into buf (size > 0), NUL-terminated; "" if unreadable. */
static void read_string(uint64_t p, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size &&
	       bpf_probe_read_nofault(&buf[n], (const void *)(uintptr_t)(p + n), 1) && buf[n])
		n++;
	buf[n] = 0;
}

/* Append conversion cv of argument a to out (size bytes, *len used, NUL-terminated). */
static void emit(const struct conv *cv, uint64_t a, char *out, size_t size, size_t *len)
{
	char spec[24], width[12] = "", str[PRINTK_TEXT];
	const char *lm = cv->lmods == 2 ? "ll" : cv->lmods == 1 ? "l" : "";
	size_t room = size - *len;
	int n;

	if (cv->width)
		ksnprintf(width, sizeof(width), "%u", cv->width);
	ksnprintf(spec, sizeof(spec), "%%%s%s%s%s%c", strchr(cv->flags, '-') ? "-" : "",
		  strchr(cv->flags, '0') ? "0" : "", width, lm, cv->kind);
	switch (cv->kind) {
	case 's':
		read_string(a, str, sizeof(str));
		n = ksnprintf(out + *len, room, spec, str);
		break;
	case 'c':
		n = ksnprintf(out + *len, room, spec, (int)(char)a);
		break;
	case 'p':
		n = ksnprintf(out + *len, room, spec, (void *)(uintptr_t)a);
		break;
	case 'd':
	case 'i': {
		/* ksnprintf has no + or space flag: they are a sign for a value that has none. */
		bool neg = cv->lmods ? (int64_t)a < 0 : (int32_t)a < 0;
		char sign = strchr(cv->flags, '+') ? '+' : strchr(cv->flags, ' ') ? ' ' : 0;
		if (!neg && sign && room > 1) {
			out[(*len)++] = sign;
			out[*len] = 0;
			room--;
		}
		n = cv->lmods ? ksnprintf(out + *len, room, spec, (long long)a)
			      : ksnprintf(out + *len, room, spec, (int)a);
		break;
	}
	default:
		n = cv->lmods ? ksnprintf(out + *len, room, spec, (unsigned long long)a)
			      : ksnprintf(out + *len, room, spec, (unsigned)a);
		break;
	}
	*len += (size_t)n < room ? (size_t)n : room - 1;
}

/*
 * Print text to the kernel log, each of its lines prefixed with the task, and every byte a
 * terminal would act on (a %s or %c may bring any) as '?': a program cannot forge log lines.
 */
static void print_lines(char *text)
{
	struct task *t = task_current();
	char *line = text;

	for (;;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		for (char *c = line; *c; c++)
			if ((*c < ' ' && *c != '\t') || *c > '~')
				*c = '?';
		kprintf("bpf_trace_printk: %s[%d]: %s\n", t->name, t->pid, line);
		if (!nl || !nl[1])
			return;
		line = nl + 1;
	}
}

long bpf_trace_printk_fmt(const char *fmt, uint32_t fmt_size, const uint64_t args[3])
{
	struct conv cv;
	uint32_t nconv = 0, end;
	char text[PRINTK_TEXT];
	size_t len = 0;

	for (end = 0; end < fmt_size && fmt[end]; end++)
		if (!printable(fmt[end]))
			return -EINVAL;
	if (end == fmt_size)
		return -EINVAL;
	for (uint32_t i = 0; i < end; i++) {
		if (fmt[i] == '%' && fmt[i + 1] == '%')
			i++;
		else if (fmt[i] == '%' && (nconv++ == PRINTK_ARGS || parse_conv(fmt, &i, &cv)))
			return -EINVAL;
	}
	text[0] = 0;
	nconv = 0;
	for (uint32_t i = 0; i < end && len + 1 < sizeof(text); i++) {
		if (fmt[i] != '%' || fmt[i + 1] == '%') {
			i += fmt[i] == '%';
			text[len++] = fmt[i];
			text[len] = 0;
		} else {
			parse_conv(fmt, &i, &cv);
			emit(&cv, args[nconv++], text, sizeof(text), &len);
		}
	}
	print_lines(text);
	return (long)len;
}
