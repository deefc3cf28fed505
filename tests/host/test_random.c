/*
 * The kernel's random source (kernel/random.c), SipHash (kernel/siphash.c), and the HASH map's
 * keyed hash: keys chosen to collide under a known key spread under the map's random one.
 */
#include <stdint.h>
#include <string.h>

#include "kernel/bpf/map.h"
#include "kernel/ktest.h"
#include "kernel/random.h"
#include "kernel/siphash.h"

KTEST(random, chacha20_rfc8439_block)
{
	/* RFC 8439 section 2.3.2: key 00..1f, counter 1, nonce 00:00:00:09:00:00:00:4a:00:00:00:00. */
	uint32_t key[8], nonce[3] = {0x09000000, 0x4a000000, 0};
	uint8_t kb[32], out[64];
	static const uint8_t head[16] = {0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15,
					 0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4};
	static const uint8_t tail[4] = {0xa2, 0x50, 0x3c, 0x4e};

	for (int i = 0; i < 32; i++)
		kb[i] = (uint8_t)i;
	memcpy(key, kb, 32);
	chacha20_block(key, 1, nonce, out);
	EXPECT_EQ(memcmp(out, head, 16), 0);
	EXPECT_EQ(memcmp(out + 60, tail, 4), 0);
}

KTEST(random, siphash_reference_vectors)
{
	/* The SipHash paper's key 00..0f: the empty message and 00..0e (15 bytes). */
	struct siphash_key k = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
	uint8_t msg[15];

	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	EXPECT_EQ(siphash(&k, msg, 0), 0x726fdb47dd0e0e31ull);
	EXPECT_EQ(siphash(&k, msg, 15), 0xa129ca6149be45e5ull);
	EXPECT_EQ(siphash(&k, msg, 8), 0x93f5f5799a932462ull);
}

KTEST(random, outputs_differ_and_cover_bits)
{
	uint64_t a = random_u64(), b = random_u64(), or_all = 0, and_all = ~0ull;

	EXPECT_NE(a, b);
	for (int i = 0; i < 256; i++) {
		uint64_t v = random_u64();
		or_all |= v;
		and_all &= v;
	}
	/* Every bit is set at least once and clear at least once in 256 draws (fails with p ~ 2^-250). */
	EXPECT_EQ(or_all, ~0ull);
	EXPECT_EQ(and_all, 0);
	uint8_t buf[200] = {0};
	random_bytes(buf, sizeof(buf));
	int zeros = 0;
	for (size_t i = 0; i < sizeof(buf); i++)
		zeros += buf[i] == 0;
	EXPECT_LT(zeros, 10);
	EXPECT_GT(random_info().hw_words + random_info().jitter_words, 0);
}

#define MAP_ENTRIES 1024u /* also the bucket count */
#define COLLIDING 400u

/* COLLIDING 8-byte keys whose hash under seed falls in bucket 0 of MAP_ENTRIES. */
static void colliding_keys(const struct siphash_key *seed, uint64_t *keys)
{
	uint64_t candidate = 0;

	for (unsigned n = 0; n < COLLIDING; candidate++)
		if (((uint32_t)siphash(seed, &candidate, 8) & (MAP_ENTRIES - 1)) == 0)
			keys[n++] = candidate;
}

static uint32_t fill_and_measure(struct bpf_map *map, const uint64_t *keys)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < COLLIDING; i++)
		if (bpf_map_sys_update(map, BPF_MAP_FMODE_RDWR, &keys[i], &v, BPF_NOEXIST))
			return UINT32_MAX;
	return bpf_map_longest_chain(map);
}

/* An 8-byte-key, 8-byte-value HASH of MAP_ENTRIES entries with these map_flags. */
static int hash_map(uint32_t map_flags, struct bpf_map **map)
{
	union bpf_attr attr = {.map_type = BPF_MAP_TYPE_HASH,
			       .key_size = 8,
			       .value_size = 8,
			       .max_entries = MAP_ENTRIES,
			       .map_flags = map_flags};

	return bpf_map_create(&attr, map);
}

KTEST(random, hash_keys_colliding_under_a_known_seed_spread_under_the_real_one)
{
	static uint64_t keys[COLLIDING];
	struct siphash_key zero = {0, 0};
	struct bpf_map *known, *real;

	colliding_keys(&zero, keys);
	/* BPF_F_ZERO_SEED: the map hashes under the zero key. */
	ASSERT_EQ(hash_map(BPF_F_ZERO_SEED, &known), 0);
	ASSERT_EQ(hash_map(0, &real), 0);
	/* Under the seed they were chosen for, they form one chain: the attack the seed prevents. */
	EXPECT_EQ(fill_and_measure(known, keys), COLLIDING);
	/*
	 * Under a random seed, 400 keys in 1024 buckets: the longest chain exceeds 8 with
	 * probability below 1e-6 (balls in bins); a hash that ignored its seed would give 400.
	 */
	EXPECT_LE(fill_and_measure(real, keys), 8);
	EXPECT_NULL(bpf_map_check(known));
	EXPECT_NULL(bpf_map_check(real));
	bpf_map_put(known);
	bpf_map_put(real);
}
