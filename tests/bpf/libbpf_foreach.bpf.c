/*
 * bpf_for_each_map_elem from BPF programs, for tests/user/libbpf_foreach.c: the same walk from a
 * SYSCALL and a SCHED_CLS program over any of six maps (one per map type), with a callback that
 * records the keys in order, sums the values, stops at a chosen key, deletes a chosen key, and
 * can walk a second map from inside (a nested for_each). bad_write_key (autoload off) has a
 * callback that writes its key, which the verifier must refuse.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define MAX_ENTRIES 8
#define MAX_SEEN 16

#define MAP(name, map_type)                       \
	struct {                                  \
		__uint(type, map_type);           \
		__uint(max_entries, MAX_ENTRIES); \
		__type(key, __u32);               \
		__type(value, __u64);             \
	} name SEC(".maps")

MAP(array, BPF_MAP_TYPE_ARRAY);
MAP(hash, BPF_MAP_TYPE_HASH);
MAP(percpu_array, BPF_MAP_TYPE_PERCPU_ARRAY);
MAP(percpu_hash, BPF_MAP_TYPE_PERCPU_HASH);
MAP(lru_hash, BPF_MAP_TYPE_LRU_HASH);
MAP(lru_percpu_hash, BPF_MAP_TYPE_LRU_PERCPU_HASH);

/* Inputs, set by the test before a run. */
int which;              /* the map: 0..5 in the order above */
__u32 stop_key = ~0u;   /* the callback returns 1 at this key */
__u32 delete_key = ~0u; /* the callback deletes this key from the map it walks */
int nest;               /* the callback walks `array` too */

/* Outputs. */
long result;          /* what bpf_for_each_map_elem returned */
__u32 seen[MAX_SEEN]; /* keys in the order the callback got them */
__u32 nseen;
__u64 sum;
__u32 nested_calls;
__u32 cpu; /* the CPU the program ran on (per-CPU values are this CPU's) */
long delete_result;

static long count_inner(void *map, __u32 *key, __u64 *value, void *ctx)
{
	nested_calls++;
	return 0;
}

static long visit(void *map, __u32 *key, __u64 *value, void *ctx)
{
	__u32 n = nseen;

	if (n < MAX_SEEN)
		seen[n] = *key;
	nseen = n + 1;
	sum += *value;
	if (nest)
		bpf_for_each_map_elem(&array, count_inner, NULL, 0);
	if (*key == delete_key)
		delete_result = bpf_map_delete_elem(map, key);
	return *key == stop_key;
}

static __noinline long walk(void)
{
	nseen = 0;
	sum = 0;
	nested_calls = 0;
	cpu = bpf_get_smp_processor_id();
	switch (which) {
	case 0:
		return bpf_for_each_map_elem(&array, visit, NULL, 0);
	case 1:
		return bpf_for_each_map_elem(&hash, visit, NULL, 0);
	case 2:
		return bpf_for_each_map_elem(&percpu_array, visit, NULL, 0);
	case 3:
		return bpf_for_each_map_elem(&percpu_hash, visit, NULL, 0);
	case 4:
		return bpf_for_each_map_elem(&lru_hash, visit, NULL, 0);
	case 5:
		return bpf_for_each_map_elem(&lru_percpu_hash, visit, NULL, 0);
	}
	return -1;
}

SEC("syscall")
int walk_syscall(void *ctx)
{
	result = walk();
	return 0;
}

SEC("tc")
int walk_tc(struct __sk_buff *skb)
{
	result = walk();
	return 0;
}

static long write_key(void *map, __u32 *key, __u64 *value, void *ctx)
{
	*key = 0;
	return 0;
}

SEC("?syscall")
int bad_write_key(void *ctx)
{
	bpf_for_each_map_elem(&hash, write_key, NULL, 0);
	return 0;
}

char _license[] SEC("license") = "GPL";
