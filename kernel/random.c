/* The kernel's ChaCha20 generator (contract in kernel/random.h). */
#include "kernel/random.h"
#include "kernel/kprintf.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"

/* Hardware words and jitter samples folded into the key at boot. */
#define RANDOM_HW_WORDS 8
#define RANDOM_JITTER_SAMPLES 512

/*
 * State (under lock): key and nonce are fixed after random_init; counter counts blocks handed
 * out, so no block of key stream is produced twice; buf[used..64) is the unread rest of the
 * last block.
 */
static struct {
	spinlock_t lock;
	bool keyed;
	uint32_t key[8], nonce[3], counter;
	uint8_t buf[64];
	unsigned used;
	struct random_source_info info;
} rng = {.lock = SPINLOCK_INIT("random"), .used = 64};

static inline uint32_t rotl32(uint32_t v, int n)
{
	return (v << n) | (v >> (32 - n));
}

#define QUARTER(a, b, c, d)        \
	do {                       \
		a += b;            \
		d ^= a;            \
		d = rotl32(d, 16); \
		c += d;            \
		b ^= c;            \
		b = rotl32(b, 12); \
		a += b;            \
		d ^= a;            \
		d = rotl32(d, 8);  \
		c += d;            \
		b ^= c;            \
		b = rotl32(b, 7);  \
	} while (0)

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
		    uint8_t out[64])
{
	uint32_t in[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, key[0], key[1],
			   key[2],     key[3],     key[4],     key[5],     key[6], key[7],
			   counter,    nonce[0],   nonce[1],   nonce[2]};
	uint32_t x[16];

	memcpy(x, in, sizeof(x));
	for (int round = 0; round < 10; round++) {
		QUARTER(x[0], x[4], x[8], x[12]);
		QUARTER(x[1], x[5], x[9], x[13]);
		QUARTER(x[2], x[6], x[10], x[14]);
		QUARTER(x[3], x[7], x[11], x[15]);
		QUARTER(x[0], x[5], x[10], x[15]);
		QUARTER(x[1], x[6], x[11], x[12]);
		QUARTER(x[2], x[7], x[8], x[13]);
		QUARTER(x[3], x[4], x[9], x[14]);
	}
	for (int i = 0; i < 16; i++) {
		uint32_t v = x[i] + in[i];
		out[4 * i] = (uint8_t)v;
		out[4 * i + 1] = (uint8_t)(v >> 8);
		out[4 * i + 2] = (uint8_t)(v >> 16);
		out[4 * i + 3] = (uint8_t)(v >> 24);
	}
}

/*
 * Fold one 64-bit word into the key under construction: the word is added into two key words,
 * then a ChaCha20 block of the result replaces the key, so every input affects every key bit.
 */
static void mix(uint32_t key[8], uint64_t word, unsigned i)
{
	uint32_t nonce[3] = {0, 0, 0};
	uint8_t block[64];

	key[i % 8] += (uint32_t)word;
	key[(i + 1) % 8] ^= (uint32_t)(word >> 32);
	chacha20_block(key, i, nonce, block);
	memcpy(key, block, 32);
}

/* Key rng from the hardware generator and cycle-counter jitter. Lock held. */
static void key_locked(void)
{
	uint32_t key[8] = {0};
	unsigned n = 0;

	for (unsigned i = 0; i < RANDOM_HW_WORDS; i++) {
		uint64_t w;
		if (!arch_random_hw(&w))
			break;
		mix(key, w, n++);
		rng.info.hw_words++;
	}
	/*
	 * Jitter: time a small amount of work many times. Under emulation or on real hardware the
	 * low bits of each delta vary with caches, interrupts and the host; each sample adds a little.
	 */
	uint64_t prev = arch_cycle_counter();
	for (unsigned i = 0; i < RANDOM_JITTER_SAMPLES; i++) {
		uint32_t tmp[8];
		memcpy(tmp, key, sizeof(tmp));
		mix(tmp, prev, i);
		uint64_t now = arch_cycle_counter();
		mix(key, (now - prev) ^ ((uint64_t)tmp[i % 8] << 32), n++);
		prev = now;
		rng.info.jitter_words++;
	}
	memcpy(rng.key, key, sizeof(key));
	rng.nonce[0] = (uint32_t)arch_cycle_counter();
	rng.counter = 0;
	rng.used = 64;
	rng.keyed = true;
}

void random_init(void)
{
	spin_lock(&rng.lock);
	if (!rng.keyed)
		key_locked();
	struct random_source_info info = rng.info;
	spin_unlock(&rng.lock);
	kprintf("random: ChaCha20 keyed from %u hardware words (%s) and %u cycle-counter samples\n",
		info.hw_words, info.hw_words ? "RDSEED/RDRAND" : "none on this CPU",
		info.jitter_words);
}

void random_bytes(void *buf, size_t len)
{
	uint8_t *out = buf;

	spin_lock(&rng.lock);
	if (!rng.keyed)
		key_locked();
	while (len) {
		if (rng.used == 64) {
			/* 2^32 blocks (256 GiB) exhaust a nonce: move to the next one. */
			if (++rng.counter == 0)
				rng.nonce[1]++;
			chacha20_block(rng.key, rng.counter, rng.nonce, rng.buf);
			rng.used = 0;
		}
		size_t n = 64 - rng.used < len ? 64 - rng.used : len;
		memcpy(out, rng.buf + rng.used, n);
		/* Erase what was handed out: a later reader of rng.buf cannot recover it. */
		memset(rng.buf + rng.used, 0, n);
		rng.used += (unsigned)n;
		out += n;
		len -= n;
	}
	spin_unlock(&rng.lock);
}

uint64_t random_u64(void)
{
	uint64_t v;
	random_bytes(&v, sizeof(v));
	return v;
}

struct random_source_info random_info(void)
{
	spin_lock(&rng.lock);
	struct random_source_info info = rng.info;
	spin_unlock(&rng.lock);
	return info;
}
