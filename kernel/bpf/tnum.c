/*
 * Tristate-number arithmetic (see tnum.h). The addition and subtraction carry rules follow the
 * construction in "Sound, Precise, and Fast Abstract Interpretation with Tristate Numbers"
 * (Vishwanathan et al., CGO 2022): a bit of the result is unknown when a carry into it may differ
 * between the smallest and the largest choice of the unknown bits.
 */
#include "kernel/bpf/tnum.h"
#include "kernel/kprintf.h"

struct tnum tnum_range(uint64_t min, uint64_t max)
{
	uint64_t differ = min ^ max;
	if (differ == 0)
		return tnum_const(min);
	unsigned top = 64 - (unsigned)__builtin_clzll(differ);
	if (top >= 64)
		return TNUM_UNKNOWN;
	uint64_t low = ((uint64_t)1 << top) - 1;
	return (struct tnum){.value = min & ~low, .mask = low};
}

struct tnum tnum_add(struct tnum a, struct tnum b)
{
	uint64_t sum_value = a.value + b.value;
	uint64_t sum_mask = a.mask + b.mask;
	/* Bits where the all-unknown-ones sum differs from the all-zeroes sum saw a varying carry. */
	uint64_t carries = (sum_value + sum_mask) ^ sum_value;
	uint64_t unknown = carries | a.mask | b.mask;
	return (struct tnum){.value = sum_value & ~unknown, .mask = unknown};
}

struct tnum tnum_sub(struct tnum a, struct tnum b)
{
	uint64_t diff = a.value - b.value;
	/* The largest minus the smallest and the smallest minus the largest bound the borrows. */
	uint64_t borrows = (diff + a.mask) ^ (diff - b.mask);
	uint64_t unknown = borrows | a.mask | b.mask;
	return (struct tnum){.value = diff & ~unknown, .mask = unknown};
}

struct tnum tnum_and(struct tnum a, struct tnum b)
{
	uint64_t may_a = a.value | a.mask, may_b = b.value | b.mask;
	uint64_t ones = a.value & b.value;
	return (struct tnum){.value = ones, .mask = may_a & may_b & ~ones};
}

struct tnum tnum_or(struct tnum a, struct tnum b)
{
	uint64_t ones = a.value | b.value;
	return (struct tnum){.value = ones, .mask = (a.mask | b.mask) & ~ones};
}

struct tnum tnum_xor(struct tnum a, struct tnum b)
{
	uint64_t unknown = a.mask | b.mask;
	return (struct tnum){.value = (a.value ^ b.value) & ~unknown, .mask = unknown};
}

/*
 * Long multiplication over a's bits: a known 1 adds b shifted, an unknown bit adds "b or
 * nothing", whose uncertainty is every bit b may have set; the known product of the known parts
 * is exact, the accumulated uncertainty is added as an all-unknown addend.
 */
struct tnum tnum_mul(struct tnum a, struct tnum b)
{
	uint64_t exact = a.value * b.value;
	struct tnum acc = tnum_const(0);
	uint64_t bits = a.value | a.mask;
	for (unsigned i = 0; i < 64 && (bits >> i); i++) {
		uint64_t bit = (uint64_t)1 << i;
		if (a.value & bit)
			acc = tnum_add(acc, (struct tnum){.value = 0, .mask = b.mask << i});
		else if (a.mask & bit)
			acc = tnum_add(acc,
				       (struct tnum){.value = 0, .mask = (b.value | b.mask) << i});
	}
	return tnum_add(tnum_const(exact), acc);
}

struct tnum tnum_neg(struct tnum a)
{
	return tnum_sub(tnum_const(0), a);
}

struct tnum tnum_lshift(struct tnum a, unsigned shift)
{
	return (struct tnum){.value = a.value << shift, .mask = a.mask << shift};
}

struct tnum tnum_rshift(struct tnum a, unsigned shift)
{
	return (struct tnum){.value = a.value >> shift, .mask = a.mask >> shift};
}

struct tnum tnum_arshift(struct tnum a, unsigned shift, unsigned bits)
{
	if (bits == 32) {
		uint32_t value = (uint32_t)((int32_t)(uint32_t)a.value >> shift);
		uint32_t mask = (uint32_t)((int32_t)(uint32_t)a.mask >> shift);
		return (struct tnum){.value = value, .mask = mask};
	}
	/* An unknown sign bit smears into unknown high bits; a known one into known ones. */
	return (struct tnum){.value = (uint64_t)((int64_t)a.value >> shift),
			     .mask = (uint64_t)((int64_t)a.mask >> shift)};
}

struct tnum tnum_cast(struct tnum a, unsigned bytes)
{
	if (bytes >= 8)
		return a;
	uint64_t keep = ((uint64_t)1 << (bytes * 8)) - 1;
	return (struct tnum){.value = a.value & keep, .mask = a.mask & keep};
}

struct tnum tnum_intersect(struct tnum a, struct tnum b)
{
	uint64_t known_ones = a.value | b.value;
	uint64_t unknown = a.mask & b.mask;
	return (struct tnum){.value = known_ones & ~unknown, .mask = unknown};
}

bool tnum_in(struct tnum a, struct tnum b)
{
	if (b.mask & ~a.mask)
		return false;
	return a.value == (b.value & ~a.mask);
}

void tnum_str(char *buf, size_t size, struct tnum a)
{
	ksnprintf(buf, size, "(0x%llx; 0x%llx)", (unsigned long long)a.value,
		  (unsigned long long)a.mask);
}
