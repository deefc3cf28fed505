/*
 * What <bpf/libbpf.h> and <bpf/bpf.h> share: the options-struct convention and LIBBPF_OPTS, as
 * libbpf defines them (Kestrel's libbpf is user/libbpf/).
 *
 * Options structs: every one starts with `size_t sz`, the size of the struct the caller was
 * compiled with. The library reads a field only if it lies inside sz, so a caller built against an
 * older, shorter struct still works; a caller's struct longer than the library's must have zeros
 * past the library's last field (else the call fails with -EINVAL). A NULL opts pointer means
 * every option is zero.
 */
#ifndef __LIBBPF_LIBBPF_COMMON_H
#define __LIBBPF_LIBBPF_COMMON_H

#include <string.h>

#define LIBBPF_MAJOR_VERSION 1
#define LIBBPF_MINOR_VERSION 1

#ifndef LIBBPF_API
#define LIBBPF_API __attribute__((visibility("default")))
#endif

/*
 * Declares `struct TYPE NAME` zero-filled (padding included) with sz set and the given designated
 * initializers applied: LIBBPF_OPTS(bpf_test_run_opts, opts, .repeat = 10);
 * __builtin_memset, as the user runtime is built with -fno-builtin: the compiler writes the struct
 * with a few stores instead of calling memset in every caller's loop.
 */
#define LIBBPF_OPTS(TYPE, NAME, ...)                                   \
	struct TYPE NAME = ({                                          \
		__builtin_memset(&NAME, 0, sizeof(struct TYPE));       \
		(struct TYPE){.sz = sizeof(struct TYPE), __VA_ARGS__}; \
	})

#endif
