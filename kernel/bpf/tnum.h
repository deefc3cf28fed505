/*
 * Tristate numbers: what the verifier knows of each bit of a 64-bit value. A bit is known 0, known
 * 1, or unknown; struct tnum holds the known bits in value and the unknown ones in mask.
 *
 * Invariant: value & mask == 0 (an unknown bit reads 0 in value). A tnum stands for the set of
 * every x with x & ~mask == value; tnum_unknown is all of 2^64 values, a constant has mask 0.
 *
 * Every operation gives a tnum that contains every result of the operation applied to members of
 * its operands (it is sound), and is exact for constants. The verifier pairs a tnum with
 * signed and unsigned bounds (kernel/bpf/verifier_bounds.c): the tnum carries bit facts (masking,
 * alignment), the bounds carry ranges, and each refines the other.
 */
#ifndef KERNEL_BPF_TNUM_H
#define KERNEL_BPF_TNUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tnum {
	uint64_t value;
	uint64_t mask;
};

#define TNUM_UNKNOWN ((struct tnum){.value = 0, .mask = ~(uint64_t)0})

static inline struct tnum tnum_const(uint64_t v)
{
	return (struct tnum){.value = v, .mask = 0};
}
static inline bool tnum_is_const(struct tnum a)
{
	return a.mask == 0;
}
static inline bool tnum_is_unknown(struct tnum a)
{
	return a.mask == ~(uint64_t)0;
}
static inline bool tnum_equals_const(struct tnum a, uint64_t v)
{
	return a.mask == 0 && a.value == v;
}
/* The smallest and largest unsigned member. */
static inline uint64_t tnum_umin(struct tnum a)
{
	return a.value;
}
static inline uint64_t tnum_umax(struct tnum a)
{
	return a.value | a.mask;
}

/* The smallest tnum holding every value of [min, max] (unsigned). */
struct tnum tnum_range(uint64_t min, uint64_t max);

struct tnum tnum_add(struct tnum a, struct tnum b);
struct tnum tnum_sub(struct tnum a, struct tnum b);
struct tnum tnum_and(struct tnum a, struct tnum b);
struct tnum tnum_or(struct tnum a, struct tnum b);
struct tnum tnum_xor(struct tnum a, struct tnum b);
struct tnum tnum_mul(struct tnum a, struct tnum b);
struct tnum tnum_neg(struct tnum a);
/* Shifts by a known amount, shift < 64. tnum_arshift shifts the value as `bits` wide (32 or 64). */
struct tnum tnum_lshift(struct tnum a, unsigned shift);
struct tnum tnum_rshift(struct tnum a, unsigned shift);
struct tnum tnum_arshift(struct tnum a, unsigned shift, unsigned bits);

/* The low `bytes` bytes of a (1, 2, 4 or 8), zero-extended: what a narrower load or ALU32 keeps. */
struct tnum tnum_cast(struct tnum a, unsigned bytes);
/* The values both a and b hold (the caller knows they share a member). */
struct tnum tnum_intersect(struct tnum a, struct tnum b);
/* True when every member of b is a member of a. */
bool tnum_in(struct tnum a, struct tnum b);

/* "(value; mask)" in hex into buf (size bytes, always terminated), as Linux's verifier prints. */
void tnum_str(char *buf, size_t size, struct tnum a);

#endif
