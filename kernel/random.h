/*
 * The kernel's random source: one ChaCha20 generator for the whole kernel (keyed hashes of BPF
 * maps now, ASLR later), keyed at boot from the architecture's entropy (RDSEED/RDRAND where the CPU
 * has them) mixed with timing jitter of the cycle counter, which every CPU has.
 *
 * Output is unpredictable to anyone who has not seen the key; it is not reseeded, so a reader of
 * kernel memory learns every later output. That is enough for what it serves (hash seeds, address
 * randomisation), not for long-lived secrets.
 *
 * Locking: its own spinlock; callable with interrupts off, never sleeps.
 */
#ifndef KERNEL_RANDOM_H
#define KERNEL_RANDOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How the generator was keyed, for the boot line and the tests. */
struct random_source_info {
	unsigned hw_words;     /* 64-bit words the CPU's generator gave (0: it has none) */
	unsigned jitter_words; /* cycle-counter samples mixed in */
};

/*
 * Key the generator, early in boot, and print one line naming the sources. A random_* call made
 * before it keys the generator the same way, silently.
 */
void random_init(void);

/* Fill buf with len random bytes. */
void random_bytes(void *buf, size_t len);

/* A random 64-bit value. */
uint64_t random_u64(void);

/* How random_init keyed the generator. */
struct random_source_info random_info(void);

/*
 * The ChaCha20 block function (RFC 8439 section 2.3): 64 bytes of key stream for key, the 32-bit
 * block counter and the 96-bit nonce. Exposed for the test of RFC 8439's vector.
 */
void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
		    uint8_t out[64]);

/* Implemented by the architecture (arch/x86_64/random_arch.c; the host build: tests/host/shim.c). */

/* One 64-bit word from the CPU's hardware generator; false when it has none or it failed. */
bool arch_random_hw(uint64_t *out);

/* A free-running cycle counter (the TSC) whose low bits jitter from run to run. */
uint64_t arch_cycle_counter(void);

#endif
