/*
 * Messages, errno conventions and the small global calls of <bpf/libbpf.h>: libbpf_set_print,
 * libbpf_strerror, libbpf_get_error, libbpf_num_possible_cpus, and the options-struct check.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libbpf_internal.h"

/* Warnings and information to fd 2, as libbpf's default; debug messages are dropped. */
static int default_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vdprintf(STDERR_FILENO, fmt, ap);
}

static libbpf_print_fn_t print_fn = default_print;

libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t fn)
{
	libbpf_print_fn_t old = print_fn;

	print_fn = fn;
	return old;
}

void libbpf_print(enum libbpf_print_level level, const char *fmt, ...)
{
	va_list ap;
	int saved = errno; /* a print callback must not change the errno a call returns with */

	if (!print_fn)
		return;
	va_start(ap, fmt);
	print_fn(level, fmt, ap);
	va_end(ap);
	errno = saved;
}

const char *libbpf_errstr(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case EOPNOTSUPP:
		return "Operation not supported";
	case ENOTSUPP:
		return "Operation not supported (kernel)";
	default:
		return strerror(err);
	}
}

int libbpf_strerror(int err, char *buf, size_t size)
{
	if (!buf || !size)
		return libbpf_err(-EINVAL);
	int n = snprintf(buf, size, "%s", libbpf_errstr(err));
	return (size_t)n >= size ? libbpf_err(-ERANGE) : 0;
}

long libbpf_get_error(const void *ptr)
{
	return ptr ? 0 : -errno;
}

/* Kestrel's bound on CPUs (kernel/cpu.h's CPU_MAX): the most slots a per-CPU lookup can write. */
#define POSSIBLE_CPUS_MAX 64

int libbpf_num_possible_cpus(void)
{
	/*
	 * Kestrel has no /sys/devices/system/cpu/possible (what Linux's libbpf reads), but
	 * the per-CPU layout says it: a lookup in a fresh per-CPU array writes one zeroed 8-byte
	 * slot per possible CPU. The count is fixed at boot, so the first answer is kept.
	 */
	static int cached;
	static __u64 slots[POSSIBLE_CPUS_MAX + 1];
	__u32 key = 0;
	int n = 0;

	if (cached)
		return cached;
	int fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "possible_cpus", sizeof(key),
				sizeof(__u64), 1, NULL);
	if (fd < 0)
		return fd;
	memset(slots, 0xa5, sizeof(slots));
	int err = bpf_map_lookup_elem(fd, &key, slots);
	close(fd);
	if (err)
		return err;
	while (n < POSSIBLE_CPUS_MAX && slots[n] == 0)
		n++;
	if (n == 0 || slots[n] == 0)
		return libbpf_err(-EINVAL);
	cached = n;
	return n;
}

bool libbpf_opts_valid(const void *opts, size_t lib_sz, const char *type_name)
{
	size_t sz = *(const size_t *)opts;

	if (sz < sizeof(size_t)) {
		pr_warn("%s size (%zu) is too small\n", type_name, sz);
		return false;
	}
	for (size_t i = lib_sz; i < sz; i++) {
		if (((const uint8_t *)opts)[i]) {
			pr_warn("%s has non-zero extra bytes\n", type_name);
			return false;
		}
	}
	return true;
}
