// SPDX-License-Identifier: GPL-2.0
/*
 * Array lookups the JIT inlines (arch/x86_64/bpf_jit.c, Linux's map_gen_lookup), for
 * tests/user/bpf_array_inline.c: keys inside, at and past the bound, in an array of u64 and in one
 * whose 12-byte values are 16 bytes apart; every value found is read and written through the
 * pointer the lookup gave.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define NKEYS 6

struct wide {
	__u32 a, b, c;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} narrow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 5);
	__type(key, __u32);
	__type(value, struct wide);
} wide SEC(".maps");

__u32 keys[NKEYS] = {0, 3, 4, 5, 0xffffffff, 2};
long found_narrow[NKEYS], found_wide[NKEYS];
__u64 seen_narrow[NKEYS];
__u32 seen_wide[NKEYS];

SEC("syscall")
int lookups(void *ctx)
{
	for (int i = 0; i < NKEYS; i++) {
		__u32 k = keys[i];
		__u64 *v = bpf_map_lookup_elem(&narrow, &k);
		found_narrow[i] = v != 0;
		if (v) {
			seen_narrow[i] = *v;
			*v += 100;
		}
		struct wide *w = bpf_map_lookup_elem(&wide, &k);
		found_wide[i] = w != 0;
		if (w) {
			seen_wide[i] = w->c;
			w->b = k + 7;
		}
	}
	return 0;
}

char _license[] SEC("license") = "GPL";
