/*
 * The HASH map's keyed hash against chosen keys: 16384 8-byte keys picked so that they all share
 * one bucket under the zero key (BPF_F_ZERO_SEED: what an unkeyed or known hash allows an attacker),
 * inserted and looked up in a map with the zero key and in one with its own random key, beside
 * random keys. ns per operation (through the system-call path, map lock included).
 */
#include <stdio.h>

#include "kernel/bpf/map.h"
#include "kernel/siphash.h"
#include "tests/host/shim.h"
#include "tests/host/testutil.h"

#define N 16384u /* elements, and buckets */
#define MISSES 2000u

static uint64_t chosen[N + MISSES], randkeys[N + MISSES];

/* n keys whose hash under seed falls in bucket 0 of N, searched from start upwards. */
static void choose(const struct siphash_key *seed, uint64_t *out, unsigned n)
{
	uint64_t c = 0;
	for (unsigned i = 0; i < n; c++)
		if (((uint32_t)siphash(seed, &c, 8) & (N - 1)) == 0)
			out[i++] = c;
}

static void measure(const char *what, uint32_t map_flags, const uint64_t *keys)
{
	union bpf_attr attr = {.map_type = BPF_MAP_TYPE_HASH,
			       .key_size = 8,
			       .value_size = 8,
			       .max_entries = N,
			       .map_flags = map_flags};
	struct bpf_map *map;
	uint64_t v = 1, out;

	if (bpf_map_create(&attr, &map)) {
		printf("%s: bpf_map_create failed\n", what);
		return;
	}
	double t0 = test_now();
	for (unsigned i = 0; i < N; i++)
		bpf_map_sys_update(map, BPF_MAP_FMODE_RDWR, &keys[i], &v, BPF_ANY);
	double t1 = test_now();
	for (unsigned i = 0; i < N; i++)
		bpf_map_sys_lookup(map, BPF_MAP_FMODE_RDWR, &keys[i], &out, 0);
	double t2 = test_now();
	for (unsigned i = N; i < N + MISSES; i++)
		bpf_map_sys_lookup(map, BPF_MAP_FMODE_RDWR, &keys[i], &out, 0);
	double t3 = test_now();
	printf("%-44s %10.0f %10.0f %10.0f\n", what, (t1 - t0) / N * 1e9, (t2 - t1) / N * 1e9,
	       (t3 - t2) / MISSES * 1e9);
	bpf_map_put(map);
}

int main(void)
{
	struct siphash_key zero = {0, 0};
	struct test_rng r;

	host_pmm_init(HOST_DEFAULT_ARENA);
	choose(&zero, chosen, N + MISSES);
	test_rng_init(&r, 1);
	for (unsigned i = 0; i < N + MISSES; i++)
		randkeys[i] = test_rng_next(&r);
	printf("HASH map, %u 8-byte keys, ns per operation     insert  lookup-hit lookup-miss\n",
	       N);
	measure("chosen keys, zero key (BPF_F_ZERO_SEED)", BPF_F_ZERO_SEED, chosen);
	measure("chosen keys, the map's random key", 0, chosen);
	measure("random keys, the map's random key", 0, randkeys);
	return 0;
}
