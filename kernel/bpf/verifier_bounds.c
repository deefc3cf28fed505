/*
 * Scalar bounds: what the verifier knows of a number, as a tnum (bit facts) plus signed and
 * unsigned ranges, and how ALU instructions and conditional jumps change it. Every function here
 * over-approximates: the result holds every value the instruction can produce from values the
 * operands may hold. Pointers' variable offsets use the same representation (verifier.c).
 *
 * 32-bit forms work on the low halves: vreg_cast takes the low bytes of an abstract value (exact
 * when the value's range does not wrap within a 2^32 window), the operation runs on those as
 * 64-bit numbers, and the result is cast again, which is the zero extension ALU32 does.
 */
#include "kernel/bpf/verifier_impl.h"
#include "kernel/string.h"

#define SIGN_BIT ((uint64_t)1 << 63)

static uint64_t umax64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}
static uint64_t umin64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}
static int64_t smax64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}
static int64_t smin64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

void vreg_mark_not_init(struct vreg *r)
{
	memset(r, 0, sizeof(*r));
}

void vreg_mark_unknown(struct vreg *r)
{
	memset(r, 0, sizeof(*r));
	r->type = VT_SCALAR;
	r->var = TNUM_UNKNOWN;
	r->smin = S64_MIN;
	r->smax = S64_MAX;
	r->umax = U64_MAX;
}

void vreg_mark_const(struct vreg *r, uint64_t v)
{
	memset(r, 0, sizeof(*r));
	r->type = VT_SCALAR;
	r->var = tnum_const(v);
	r->smin = r->smax = (int64_t)v;
	r->umin = r->umax = v;
}

bool vreg_is_const(const struct vreg *r)
{
	return tnum_is_const(r->var);
}

/* The bounds of any value (the variable part of a pointer keeps the other fields). */
static void bounds_unknown(struct vreg *r)
{
	r->var = TNUM_UNKNOWN;
	r->smin = S64_MIN;
	r->smax = S64_MAX;
	r->umin = 0;
	r->umax = U64_MAX;
}

static bool tnum_agree(struct tnum a, struct tnum b)
{
	return ((a.value ^ b.value) & ~(a.mask | b.mask)) == 0;
}

static bool sync_once(struct vreg *r)
{
	/* tnum -> unsigned and, when the sign bit is known, signed */
	r->umin = umax64(r->umin, tnum_umin(r->var));
	r->umax = umin64(r->umax, tnum_umax(r->var));
	if (!(r->var.mask & SIGN_BIT)) {
		r->smin = smax64(r->smin, (int64_t)r->var.value);
		r->smax = smin64(r->smax, (int64_t)(r->var.value | r->var.mask));
	}
	/* A signed range on one side of zero is the same unsigned range, and back. */
	if (((uint64_t)r->smin >> 63) == ((uint64_t)r->smax >> 63)) {
		r->umin = umax64(r->umin, (uint64_t)r->smin);
		r->umax = umin64(r->umax, (uint64_t)r->smax);
	}
	if ((r->umin >> 63) == (r->umax >> 63)) {
		r->smin = smax64(r->smin, (int64_t)r->umin);
		r->smax = smin64(r->smax, (int64_t)r->umax);
	}
	if (r->umin > r->umax || r->smin > r->smax)
		return false;
	struct tnum range = tnum_range(r->umin, r->umax);
	if (!tnum_agree(r->var, range))
		return false;
	r->var = tnum_intersect(r->var, range);
	return tnum_umin(r->var) <= r->umax && tnum_umax(r->var) >= r->umin;
}

bool vreg_sync(struct vreg *r)
{
	return sync_once(r) && sync_once(r);
}

void vreg_cast(struct vreg *r, unsigned bytes)
{
	if (bytes >= 8)
		return;
	unsigned bits = bytes * 8;
	uint64_t keep = ((uint64_t)1 << bits) - 1;
	uint64_t umin = 0, umax = keep;
	/* A range inside one 2^bits window keeps its shape; else anything in the window. */
	if ((r->umin >> bits) == (r->umax >> bits)) {
		umin = r->umin & keep;
		umax = r->umax & keep;
	}
	if (((uint64_t)r->smin >> bits) == ((uint64_t)r->smax >> bits)) {
		umin = umax64(umin, (uint64_t)r->smin & keep);
		umax = umin64(umax, (uint64_t)r->smax & keep);
	}
	r->var = tnum_cast(r->var, bytes);
	r->umin = umin;
	r->umax = umax;
	r->smin = (int64_t)umin;
	r->smax = (int64_t)umax;
	if (!vreg_sync(r)) {
		/* The two windows disagreed only through imprecision: fall back to the tnum. */
		r->umin = tnum_umin(r->var);
		r->umax = tnum_umax(r->var);
		r->smin = (int64_t)r->umin;
		r->smax = (int64_t)r->umax;
	}
}

void vreg_mark_unknown_sized(struct vreg *r, unsigned bytes, bool sign)
{
	vreg_mark_unknown(r);
	if (bytes >= 8)
		return;
	unsigned bits = bytes * 8;
	if (sign) {
		r->smin = -((int64_t)1 << (bits - 1));
		r->smax = ((int64_t)1 << (bits - 1)) - 1;
	} else {
		r->var = tnum_cast(TNUM_UNKNOWN, bytes);
		r->umax = ((uint64_t)1 << bits) - 1;
	}
	vreg_sync(r);
}

/* Sign-extend the low `bits` bits of r (8, 16 or 32) into 64. */
static void sign_extend(struct vreg *r, unsigned bits)
{
	uint64_t keep = ((uint64_t)1 << bits) - 1, sign = (uint64_t)1 << (bits - 1);
	vreg_cast(r, bits / 8);
	/* non-negative: extension changes nothing */
	if (r->umax < sign)
		return;
	struct tnum low = r->var;
	if (r->umin >= sign) {
		/* negative: the value minus 2^bits, all high bits set */
		r->smin = (int64_t)(r->umin | ~keep);
		r->smax = (int64_t)(r->umax | ~keep);
		r->var = (struct tnum){.value = low.value | ~keep, .mask = low.mask};
	} else {
		r->smin = -(int64_t)sign;
		r->smax = (int64_t)sign - 1;
		r->var = (struct tnum){.value = low.value & ~sign, .mask = low.mask | ~keep | sign};
	}
	r->umin = 0;
	r->umax = U64_MAX;
	vreg_sync(r);
}

static void alu_add(struct vreg *d, const struct vreg *s)
{
	int64_t smin, smax;
	if (__builtin_add_overflow(d->smin, s->smin, &smin) ||
	    __builtin_add_overflow(d->smax, s->smax, &smax)) {
		smin = S64_MIN;
		smax = S64_MAX;
	}
	uint64_t umin, umax;
	if (__builtin_add_overflow(d->umin, s->umin, &umin) ||
	    __builtin_add_overflow(d->umax, s->umax, &umax)) {
		umin = 0;
		umax = U64_MAX;
	}
	d->var = tnum_add(d->var, s->var);
	d->smin = smin;
	d->smax = smax;
	d->umin = umin;
	d->umax = umax;
}

static void alu_sub(struct vreg *d, const struct vreg *s)
{
	int64_t smin, smax;
	if (__builtin_sub_overflow(d->smin, s->smax, &smin) ||
	    __builtin_sub_overflow(d->smax, s->smin, &smax)) {
		smin = S64_MIN;
		smax = S64_MAX;
	}
	uint64_t umin = 0, umax = U64_MAX;
	if (d->umin >= s->umax) {
		umin = d->umin - s->umax;
		umax = d->umax - s->umin;
	}
	d->var = tnum_sub(d->var, s->var);
	d->smin = smin;
	d->smax = smax;
	d->umin = umin;
	d->umax = umax;
}

static void alu_mul(struct vreg *d, const struct vreg *s)
{
	struct tnum var = tnum_mul(d->var, s->var);
	bool small = d->umax <= U32_MAX && s->umax <= U32_MAX;
	uint64_t umin = d->umin * s->umin, umax = d->umax * s->umax;
	bool nonneg = d->smin >= 0 && s->smin >= 0;
	bounds_unknown(d);
	d->var = var;
	if (small) {
		d->umin = umin;
		d->umax = umax;
		if (nonneg) {
			d->smin = (int64_t)umin;
			d->smax = (int64_t)umax;
		}
	}
}

/* Unsigned division and modulo, with the RFC's x / 0 == 0 and x % 0 == x. */
static void alu_div(struct vreg *d, const struct vreg *s, bool mod)
{
	uint64_t dmax = d->umax, dmin = d->umin;
	if (vreg_is_const(s) && s->var.value != 0) {
		uint64_t k = s->var.value;
		bounds_unknown(d);
		if (mod) {
			if (dmax < k) {
				d->umin = dmin;
				d->umax = dmax;
			} else {
				d->umax = k - 1;
			}
		} else {
			d->umin = dmin / k;
			d->umax = dmax / k;
		}
	} else if (vreg_is_const(s)) {
		if (!mod)
			vreg_mark_const(d, 0);
	} else {
		/* Either way the result is at most the dividend. */
		bounds_unknown(d);
		d->umax = dmax;
	}
}

static void alu_and(struct vreg *d, const struct vreg *s)
{
	struct tnum var = tnum_and(d->var, s->var);
	uint64_t umax = umin64(d->umax, s->umax);
	bool nonneg = d->smin >= 0 || s->smin >= 0;
	bounds_unknown(d);
	d->var = var;
	d->umin = tnum_umin(var);
	d->umax = umax;
	if (nonneg) {
		/* Anded with a non-negative number, the result is non-negative. */
		d->smin = 0;
	}
}

static void alu_or(struct vreg *d, const struct vreg *s)
{
	struct tnum var = tnum_or(d->var, s->var);
	uint64_t umin = umax64(d->umin, s->umin);
	bool nonneg = d->smin >= 0 && s->smin >= 0;
	bounds_unknown(d);
	d->var = var;
	d->umin = umin;
	if (nonneg)
		d->smin = 0;
}

static void alu_xor(struct vreg *d, const struct vreg *s)
{
	struct tnum var = tnum_xor(d->var, s->var);
	bool nonneg = d->smin >= 0 && s->smin >= 0;
	bounds_unknown(d);
	d->var = var;
	if (nonneg)
		d->smin = 0;
}

static void alu_shift(struct vreg *d, const struct vreg *s, uint8_t op, unsigned width)
{
	if (!vreg_is_const(s)) {
		uint64_t umax = d->umax;
		bounds_unknown(d);
		/* shifting right never grows an unsigned value */
		if (op == BPF_RSH)
			d->umax = umax;
		return;
	}
	unsigned sh = (unsigned)(s->var.value & (width - 1));
	if (op == BPF_LSH) {
		struct tnum var = tnum_lshift(d->var, sh);
		bool fits = sh == 0 || (d->umax >> (64 - sh)) == 0;
		uint64_t umin = d->umin << sh, umax = d->umax << sh;
		bounds_unknown(d);
		d->var = var;
		if (fits) {
			d->umin = umin;
			d->umax = umax;
		}
	} else if (op == BPF_RSH) {
		struct tnum var = tnum_rshift(d->var, sh);
		uint64_t umin = d->umin >> sh, umax = d->umax >> sh;
		bounds_unknown(d);
		d->var = var;
		d->umin = umin;
		d->umax = umax;
	} else if (width == 64) {
		struct tnum var = tnum_arshift(d->var, sh, 64);
		int64_t smin = d->smin >> sh, smax = d->smax >> sh;
		bounds_unknown(d);
		d->var = var;
		d->smin = smin;
		d->smax = smax;
	} else {
		/* 32-bit arithmetic shift of the low half, seen as a signed 32-bit number */
		struct vreg low = *d;
		sign_extend(&low, 32);
		int64_t smin = low.smin >> sh, smax = low.smax >> sh;
		struct tnum var = tnum_arshift(d->var, sh, 32);
		bounds_unknown(d);
		d->var = var;
		d->umax = U32_MAX;
		if (smin >= 0) {
			d->umin = (uint64_t)smin;
			d->umax = (uint64_t)smax;
		} else if (smax < 0) {
			d->umin = (uint64_t)(smin + ((int64_t)1 << 32));
			d->umax = (uint64_t)(smax + ((int64_t)1 << 32));
		}
	}
}

static void alu_neg(struct vreg *d)
{
	struct tnum var = tnum_neg(d->var);
	int64_t smin = d->smin, smax = d->smax;
	bounds_unknown(d);
	d->var = var;
	if (smin != S64_MIN) {
		d->smin = -smax;
		d->smax = -smin;
	}
}

void vscalar_alu(struct vreg *dst, const struct vreg *src, uint8_t op, bool is64, int16_t off)
{
	struct vreg s = *src;
	unsigned width = is64 ? 64 : 32;
	if (op == BPF_MOV) {
		*dst = s;
		if (off)
			sign_extend(dst, (unsigned)off);
		if (!is64)
			vreg_cast(dst, 4);
		if (off || !is64)
			dst->id = 0;
		return;
	}
	dst->id = 0;
	if (!is64) {
		vreg_cast(dst, 4);
		vreg_cast(&s, 4);
	}
	switch (op) {
	case BPF_ADD:
		alu_add(dst, &s);
		break;
	case BPF_SUB:
		alu_sub(dst, &s);
		break;
	case BPF_MUL:
		alu_mul(dst, &s);
		break;
	case BPF_DIV:
	case BPF_MOD:
		/* signed forms */
		if (off)
			bounds_unknown(dst);
		else
			alu_div(dst, &s, op == BPF_MOD);
		break;
	case BPF_AND:
		alu_and(dst, &s);
		break;
	case BPF_OR:
		alu_or(dst, &s);
		break;
	case BPF_XOR:
		alu_xor(dst, &s);
		break;
	case BPF_LSH:
	case BPF_RSH:
	case BPF_ARSH:
		alu_shift(dst, &s, op, width);
		break;
	case BPF_NEG:
		alu_neg(dst);
		break;
	default:
		bounds_unknown(dst);
		break;
	}
	if (!vreg_sync(dst))
		bounds_unknown(dst);
	if (!is64)
		vreg_cast(dst, 4);
}

static uint64_t bswap(uint64_t v, unsigned bits)
{
	uint64_t r = 0;
	for (unsigned i = 0; i < bits / 8; i++)
		r = (r << 8) | ((v >> (8 * i)) & 0xff);
	return r;
}

void vscalar_end(struct vreg *dst, bool to_le, unsigned bits)
{
	dst->id = 0;
	if (to_le) {
		/* Little endian already: keep the low bits. */
		vreg_cast(dst, bits / 8);
		return;
	}
	if (vreg_is_const(dst)) {
		vreg_mark_const(dst, bswap(dst->var.value, bits));
		return;
	}
	vreg_mark_unknown_sized(dst, bits / 8, false);
}

/* ---- conditional jumps ---- */

static uint8_t negate_op(uint8_t op)
{
	switch (op) {
	case BPF_JEQ:
		return BPF_JNE;
	case BPF_JNE:
		return BPF_JEQ;
	case BPF_JGT:
		return BPF_JLE;
	case BPF_JGE:
		return BPF_JLT;
	case BPF_JLT:
		return BPF_JGE;
	case BPF_JLE:
		return BPF_JGT;
	case BPF_JSGT:
		return BPF_JSLE;
	case BPF_JSGE:
		return BPF_JSLT;
	case BPF_JSLT:
		return BPF_JSGE;
	case BPF_JSLE:
		return BPF_JSGT;
	default:
		return op; /* JSET: its negation is handled by refine(.., false) */
	}
}

/* Whether "a op b" always (1), never (0) or sometimes (-1) holds. */
static int decide(uint8_t op, const struct vreg *a, const struct vreg *b)
{
	switch (op) {
	case BPF_JEQ:
	case BPF_JNE: {
		int eq = -1;
		if (vreg_is_const(a) && vreg_is_const(b))
			eq = a->var.value == b->var.value;
		else if (a->umax < b->umin || a->umin > b->umax || a->smax < b->smin ||
			 a->smin > b->smax || !tnum_agree(a->var, b->var))
			eq = 0;
		if (eq < 0)
			return -1;
		return op == BPF_JEQ ? eq : !eq;
	}
	case BPF_JSET:
		if (a->var.value & b->var.value)
			return 1;
		if ((tnum_umax(a->var) & tnum_umax(b->var)) == 0)
			return 0;
		return -1;
	case BPF_JGT:
		return a->umin > b->umax ? 1 : a->umax <= b->umin ? 0 : -1;
	case BPF_JGE:
		return a->umin >= b->umax ? 1 : a->umax < b->umin ? 0 : -1;
	case BPF_JLT:
		return a->umax < b->umin ? 1 : a->umin >= b->umax ? 0 : -1;
	case BPF_JLE:
		return a->umax <= b->umin ? 1 : a->umin > b->umax ? 0 : -1;
	case BPF_JSGT:
		return a->smin > b->smax ? 1 : a->smax <= b->smin ? 0 : -1;
	case BPF_JSGE:
		return a->smin >= b->smax ? 1 : a->smax < b->smin ? 0 : -1;
	case BPF_JSLT:
		return a->smax < b->smin ? 1 : a->smin >= b->smax ? 0 : -1;
	case BPF_JSLE:
		return a->smax <= b->smin ? 1 : a->smin > b->smax ? 0 : -1;
	default:
		return -1;
	}
}

/*
 * Narrow a and b to the values for which "a op b" holds (holds == true) or fails. Returns false
 * when no pair of values is left.
 */
static bool refine(uint8_t op, bool holds, struct vreg *a, struct vreg *b)
{
	if (op == BPF_JSET) {
		if (!vreg_is_const(b))
			return true;
		uint64_t k = b->var.value;
		if (!holds)
			a->var =
				(struct tnum){.value = a->var.value & ~k, .mask = a->var.mask & ~k};
		else if (k && !(k & (k - 1)) && (a->var.mask & k))
			a->var = (struct tnum){.value = a->var.value | k, .mask = a->var.mask & ~k};
		return vreg_sync(a);
	}
	if (!holds)
		op = negate_op(op);
	switch (op) {
	case BPF_JEQ:
		if (!tnum_agree(a->var, b->var))
			return false;
		a->umin = b->umin = umax64(a->umin, b->umin);
		a->umax = b->umax = umin64(a->umax, b->umax);
		a->smin = b->smin = smax64(a->smin, b->smin);
		a->smax = b->smax = smin64(a->smax, b->smax);
		a->var = b->var = tnum_intersect(a->var, b->var);
		break;
	case BPF_JNE:
		/* Only a constant at the edge of the other's range removes a value. */
		for (int i = 0; i < 2; i++) {
			struct vreg *x = i ? b : a;
			const struct vreg *c = i ? a : b;
			if (!vreg_is_const(c))
				continue;
			uint64_t k = c->var.value;
			if (vreg_is_const(x) && x->var.value == k)
				return false;
			if (x->umin == k)
				x->umin++;
			if (x->umax == k)
				x->umax--;
			if (x->smin == (int64_t)k)
				x->smin++;
			if (x->smax == (int64_t)k)
				x->smax--;
		}
		break;
	case BPF_JGT:
		if (b->umin == U64_MAX || a->umax == 0)
			return false;
		a->umin = umax64(a->umin, b->umin + 1);
		b->umax = umin64(b->umax, a->umax - 1);
		break;
	case BPF_JGE:
		a->umin = umax64(a->umin, b->umin);
		b->umax = umin64(b->umax, a->umax);
		break;
	case BPF_JLT:
		return refine(BPF_JGT, true, b, a);
	case BPF_JLE:
		return refine(BPF_JGE, true, b, a);
	case BPF_JSGT:
		if (b->smin == S64_MAX || a->smax == S64_MIN)
			return false;
		a->smin = smax64(a->smin, b->smin + 1);
		b->smax = smin64(b->smax, a->smax - 1);
		break;
	case BPF_JSGE:
		a->smin = smax64(a->smin, b->smin);
		b->smax = smin64(b->smax, a->smax);
		break;
	case BPF_JSLT:
		return refine(BPF_JSGT, true, b, a);
	case BPF_JSLE:
		return refine(BPF_JSGE, true, b, a);
	default:
		return true;
	}
	return vreg_sync(a) && vreg_sync(b);
}

static bool is_signed_op(uint8_t op)
{
	return op == BPF_JSGT || op == BPF_JSGE || op == BPF_JSLT || op == BPF_JSLE;
}

/*
 * The 32-bit view a JMP32 compares: the low half, as an unsigned number, or for signed
 * comparisons as a signed 32-bit number. *exact: the view is the register's whole value, so what
 * the comparison teaches about the view holds for the register.
 */
static struct vreg view32(const struct vreg *r, bool sign, bool *exact)
{
	struct vreg v = *r;
	*exact = sign ? (r->smin >= 0 && r->smax <= S32_MAX) : r->umax <= U32_MAX;
	if (sign)
		sign_extend(&v, 32);
	else
		vreg_cast(&v, 4);
	return v;
}

int vscalar_branch(uint8_t op, bool is32, const struct vreg *dst, const struct vreg *src,
		   struct vreg *dst_t, struct vreg *src_t, struct vreg *dst_f, struct vreg *src_f)
{
	bool dst_exact = true, src_exact = true;
	struct vreg a = *dst, b = *src;
	if (is32) {
		bool sign = is_signed_op(op);
		a = view32(dst, sign, &dst_exact);
		b = view32(src, sign, &src_exact);
	}
	int taken = decide(op, &a, &b);
	if (taken >= 0)
		return taken;
	struct vreg at = a, bt = b, af = a, bf = b;
	bool t_ok = refine(op, true, &at, &bt);
	bool f_ok = refine(op, false, &af, &bf);
	if (!t_ok)
		return 0;
	if (!f_ok)
		return 1;
	*dst_t = dst_exact ? at : *dst;
	*src_t = src_exact ? bt : *src;
	*dst_f = dst_exact ? af : *dst;
	*src_f = src_exact ? bf : *src;
	/* The refined copies are still the same values as before under other names. */
	dst_t->id = dst_f->id = dst->id;
	src_t->id = src_f->id = src->id;
	return -1;
}
