/*
 * Helpers for the tests of the libbpf-compatible loader (tests/user/libbpf_*.c), which use
 * bpftool's skeletons of tests/bpf/ as Linux's BPF selftests do: the kernel's lists of loaded
 * programs and maps (to show that closing everything leaks nothing), the library's messages
 * captured (to check that an error names what failed), and test runs.
 */
#ifndef TESTS_USER_LIBBPF_UTIL_H
#define TESTS_USER_LIBBPF_UTIL_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utest.h"

/* How many programs (or maps) the kernel has loaded, everyone's: walks the id list. */
static inline int count_progs(void)
{
	__u32 id = 0;
	int n = 0;

	while (!bpf_prog_get_next_id(id, &id))
		n++;
	return n;
}

static inline int count_maps(void)
{
	__u32 id = 0;
	int n = 0;

	while (!bpf_map_get_next_id(id, &id))
		n++;
	return n;
}

/* The library's messages while capturing (warnings and info; debug is dropped). */
static char lb_msgs[32768];
static size_t lb_len;
static libbpf_print_fn_t lb_saved;

static int lb_capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || lb_len >= sizeof(lb_msgs) - 1)
		return 0;
	int n = vsnprintf(lb_msgs + lb_len, sizeof(lb_msgs) - lb_len, fmt, ap);
	if (n > 0)
		lb_len += (size_t)n < sizeof(lb_msgs) - lb_len ? (size_t)n
							       : sizeof(lb_msgs) - 1 - lb_len;
	return n;
}

/* Start capturing (and clear what was captured). */
static inline void capture_begin(void)
{
	lb_len = 0;
	lb_msgs[0] = 0;
	lb_saved = libbpf_set_print(lb_capture);
}

/* Stop capturing: messages go where they went before. */
static inline void capture_end(void)
{
	libbpf_set_print(lb_saved);
}

/* Whether text contains s (the user libc has no strstr). */
static inline bool contains(const char *text, const char *s)
{
	size_t n = strlen(s);

	for (const char *p = text; *p; p++)
		if (!strncmp(p, s, n))
			return true;
	return false;
}

/* Whether the captured messages contain s. */
static inline bool captured(const char *s)
{
	return contains(lb_msgs, s);
}

/* Show the captured messages as diagnostics (after a failed check). */
static inline void capture_show(void)
{
	const char *p = lb_msgs;

	while (*p) {
		const char *e = strchr(p, '\n');
		int n = e ? (int)(e - p) : (int)strlen(p);
		printf("#   %.*s\n", n, p);
		p += n + (e != NULL);
	}
}

/* A test run of a SYSCALL program without a context: r0, or -10000 + the error. */
static inline long run_syscall(const struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int r = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);

	return r ? -10000 + r : (long)opts.retval;
}

/* A test run of a SCHED_CLS program on a 64-byte frame: r0, or -10000 + the error. */
static inline long run_tc(const struct bpf_program *prog)
{
	static unsigned char frame[64];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame));
	int r = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);

	return r ? -10000 + r : (long)opts.retval;
}

#endif
