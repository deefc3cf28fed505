/*
 * SipHash-2-4 (Aumasson and Bernstein): a keyed 64-bit hash. Without the key, an attacker cannot
 * choose inputs that collide, which is what a hash table fed by untrusted keys needs.
 */
#ifndef KERNEL_SIPHASH_H
#define KERNEL_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
	uint64_t k0, k1;
};

/* The hash of len bytes at data under key. Pure: no lock, no state. */
uint64_t siphash(const struct siphash_key *key, const void *data, size_t len);

#endif
