/*
 * The BPF iterator helpers, with Linux's contracts and return values: bpf_seq_printf (126),
 * bpf_seq_write (127) and bpf_d_path (147), for iter/task_vma programs (kernel/bpf/bpf_iter.h).
 *
 * What the verifier cannot prove is checked here at run time. The seq_file a program passes must
 * be the one of the read it runs in (else -EINVAL), so no other pointer is ever written through.
 * bpf_d_path takes a typed pointer that Linux refuses at load unless it is "trusted"
 * (&vma->vm_file->f_path is not: "untrusted_ptr"); Kestrel loads such a program and resolves the
 * path only when the pointer is exactly the f_path of the file of the VMA being shown, a kernel
 * view that lives as long as the kernel (kernel/vma_btf.h); anything else, NULL included, is
 * -EINVAL, and nothing is read through it.
 */
#include "kernel/bpf/bpf_iter.h"
#include "kernel/bpf/helpers.h"
#include "kernel/bpf/probe.h"
#include "kernel/string.h"
#include "uapi/errno.h"
#include "uapi/kestrel_btf_types.h"

#define PTR(r) ((void *)(uintptr_t)(r))
#define SEQ_ARGS_MAX 12 /* Linux's MAX_BPF_FUNC_VARARGS */
#define SEQ_STR_MAX 256 /* bytes of one %s argument shown at most */
#define D_PATH_DEPTH 16 /* path components bpf_d_path follows at most */

/* Output staged on the helper's stack, appended in pieces (an overflow undoes the whole run). */
struct out {
	char buf[256];
	size_t n;
	struct bpf_iter_run *run;
	int err;
};

static void put(struct out *o, char c)
{
	if (o->n == sizeof(o->buf)) {
		if (!o->err)
			o->err = bpf_iter_seq_write(o->run, o->buf, o->n);
		o->n = 0;
	}
	o->buf[o->n++] = c;
}

static void flush(struct out *o)
{
	if (!o->err && o->n)
		o->err = bpf_iter_seq_write(o->run, o->buf, o->n);
	o->n = 0;
}

struct spec {
	bool left, zero, plus, space, alt;
	uint32_t width;
};

static void pad(struct out *o, uint32_t n, char c)
{
	while (n--)
		put(o, c);
}

/* One number: digits of v in base (upper: X), with the sign and the spec's flags and width. */
static void number(struct out *o, const struct spec *s, uint64_t v, bool neg, unsigned base,
		   bool upper)
{
	char digits[24];
	uint32_t nd = 0;
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	const char *prefix = neg ? "-" : s->plus ? "+" : s->space ? " " : "";

	do {
		digits[nd++] = set[v % base];
		v /= base;
	} while (v);
	if (s->alt && base == 16 && !(nd == 1 && digits[0] == '0'))
		prefix = upper ? "0X" : "0x";
	uint32_t len = nd + (uint32_t)strlen(prefix);
	uint32_t fill = s->width > len ? s->width - len : 0;
	if (!s->left && !s->zero)
		pad(o, fill, ' ');
	for (const char *p = prefix; *p; p++)
		put(o, *p);
	if (!s->left && s->zero)
		pad(o, fill, '0');
	while (nd)
		put(o, digits[--nd]);
	if (s->left)
		pad(o, fill, ' ');
}

static void string(struct out *o, const struct spec *s, uint64_t addr)
{
	char str[SEQ_STR_MAX];
	uint32_t n = 0;

	/* Any address a program has: read without faulting, as Linux's %s (kernel memory). */
	while (n < sizeof(str) - 1 && bpf_probe_read_nofault(&str[n], PTR(addr + n), 1) && str[n])
		n++;
	uint32_t fill = s->width > n ? s->width - n : 0;
	if (!s->left)
		pad(o, fill, ' ');
	for (uint32_t i = 0; i < n; i++)
		put(o, str[i]);
	if (s->left)
		pad(o, fill, ' ');
}

/*
 * Linux's bpf_seq_printf format subset: %d %i %u %x %X with l and ll, %c, %s, %p, %%, flags
 * "-+ #0" and a width. Returns 0, or -EINVAL (no NUL in fmt_size bytes, another conversion, more
 * conversions than arguments). With emit false it only checks, so a refused call prints nothing.
 */
static int format(struct out *o, const char *fmt, uint32_t fmt_size, const uint64_t *args,
		  uint32_t nargs, bool emit)
{
	uint32_t a = 0;

	if (!fmt_size || fmt[fmt_size - 1])
		return -EINVAL;
	for (uint32_t i = 0; fmt[i]; i++) {
		if (fmt[i] != '%') {
			if (emit)
				put(o, fmt[i]);
			continue;
		}
		struct spec s = {0};
		for (i++;; i++) {
			if (fmt[i] == '-')
				s.left = true;
			else if (fmt[i] == '0')
				s.zero = true;
			else if (fmt[i] == '+')
				s.plus = true;
			else if (fmt[i] == ' ')
				s.space = true;
			else if (fmt[i] == '#')
				s.alt = true;
			else
				break;
		}
		while (fmt[i] >= '0' && fmt[i] <= '9' && s.width < 1000)
			s.width = s.width * 10 + (uint32_t)(fmt[i++] - '0');
		if (fmt[i] >= '0' && fmt[i] <= '9')
			return -EINVAL;
		int longs = 0;
		while (fmt[i] == 'l' && longs < 2) {
			longs++;
			i++;
		}
		char c = fmt[i];
		if (c == '%' && !longs) {
			if (emit)
				put(o, '%');
			continue;
		}
		bool ok = c == 'd' || c == 'i' || c == 'u' || c == 'x' || c == 'X' ||
			  ((c == 'c' || c == 's' || c == 'p') && !longs);
		if (!ok || a == nargs)
			return -EINVAL;
		uint64_t v = args[a++];
		if (!emit)
			continue;
		if (c == 'd' || c == 'i') {
			int64_t sv = longs ? (int64_t)v : (int64_t)(int32_t)v;
			number(o, &s, sv < 0 ? 0 - (uint64_t)sv : (uint64_t)sv, sv < 0, 10, false);
		} else if (c == 'u' || c == 'x' || c == 'X') {
			if (!longs)
				v = (uint32_t)v;
			number(o, &s, v, false, c == 'u' ? 10 : 16, c == 'X');
		} else if (c == 'p') {
			s.alt = true;
			number(o, &s, v, false, 16, false);
		} else if (c == 'c') {
			put(o, (char)v);
		} else {
			string(o, &s, v);
		}
	}
	return 0;
}

uint64_t bpf_helper_seq_printf(uint64_t m, uint64_t fmt, uint64_t fmt_size, uint64_t data,
			       uint64_t data_len)
{
	struct out o = {.run = bpf_iter_current()};
	uint64_t args[SEQ_ARGS_MAX];
	uint32_t len = (uint32_t)data_len;

	if (!o.run || !bpf_iter_seq_is(o.run, PTR(m)) || len % 8 || len > sizeof(args))
		return (uint64_t)-EINVAL;
	memcpy(args, PTR(data), len);
	int r = format(&o, PTR(fmt), (uint32_t)fmt_size, args, len / 8, false);
	if (r)
		return (uint64_t)(int64_t)r;
	format(&o, PTR(fmt), (uint32_t)fmt_size, args, len / 8, true);
	flush(&o);
	return (uint64_t)(int64_t)o.err;
}

uint64_t bpf_helper_seq_write(uint64_t m, uint64_t data, uint64_t len, uint64_t r4, uint64_t r5)
{
	struct bpf_iter_run *run = bpf_iter_current();

	(void)r4, (void)r5;
	if (!run || !bpf_iter_seq_is(run, PTR(m)))
		return (uint64_t)-EINVAL;
	return (uint64_t)(int64_t)bpf_iter_seq_write(run, PTR(data), (uint32_t)len);
}

static bool is_root(const struct dentry *d)
{
	return !d->d_parent || d->d_parent == d;
}

/* The path of the kernel's dentry d into buf (size bytes): the length with its NUL, or -errno. */
static long path_of(const struct dentry *d, char *buf, uint32_t size)
{
	const struct dentry *chain[D_PATH_DEPTH];
	uint32_t depth = 0, n = 0;

	for (; d && depth < D_PATH_DEPTH; d = is_root(d) ? NULL : d->d_parent)
		chain[depth++] = d;
	if (d)
		return -ENAMETOOLONG;
	for (uint32_t i = depth; i-- > 0;) {
		const struct qstr *q = &chain[i]->d_name;
		/* The root's own name is "/" (or none): it is the leading slash. */
		if (!q->name || !q->len || (q->len == 1 && q->name[0] == '/'))
			continue;
		if (n + 1 + q->len + 1 > size)
			return -ENAMETOOLONG;
		buf[n++] = '/';
		memcpy(buf + n, q->name, q->len);
		n += q->len;
	}
	if (!n) {
		if (size < 2)
			return -ENAMETOOLONG;
		buf[n++] = '/';
	}
	buf[n++] = 0;
	return (long)n;
}

uint64_t bpf_helper_d_path(uint64_t path, uint64_t buf, uint64_t size, uint64_t r4, uint64_t r5)
{
	struct bpf_iter_run *run = bpf_iter_current();
	const struct btf_file *f = run ? bpf_iter_vma_file(run) : NULL;

	(void)r4, (void)r5;
	if (!f || PTR(path) != (const void *)&f->f_path || !f->f_path.dentry)
		return (uint64_t)-EINVAL;
	return (uint64_t)(int64_t)path_of(f->f_path.dentry, PTR(buf), (uint32_t)size);
}
