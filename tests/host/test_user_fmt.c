/*
 * Host tests of the user library's printf formatter (user/fmt.c, compiled into this program as
 * it is): every case is formatted by both __vformat and the host's vsnprintf, and the results
 * must agree byte for byte, return value included. Tables cover the edges (widths, padding,
 * signs, INT_MIN/LONG_MIN, ULLONG_MAX, %p, NULL %s, truncation); a seeded random sweep covers
 * the combinations of flags, width, precision and length modifier.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernel/ktest.h"
#include "tests/host/testutil.h"
#include "user/fmt.c"

#define BUF 512
#define CANARY 0x5a

/*
 * Formats fmt with both formatters into buffers of `size` bytes and reports any difference: the
 * return values, the bytes within size, and the bytes past size (which must stay untouched).
 * Returns whether they agreed.
 */
static bool __attribute__((format(printf, 4, 5)))
same_sized(struct ktest_state *kt, int line, size_t size, const char *fmt, ...)
{
	char want[BUF], got[BUF];
	va_list a, b;
	int wn, gn;

	memset(want, CANARY, sizeof(want));
	memset(got, CANARY, sizeof(got));
	va_start(a, fmt);
	va_copy(b, a);
	wn = vsnprintf(want, size, fmt, a);
	gn = __vformat(got, size, fmt, b);
	va_end(b);
	va_end(a);
	if (wn != gn || memcmp(want, got, sizeof(want)) != 0) {
		ktest_fail(kt, __FILE__, line,
			   "format \"%s\" size %zu: host %d \"%.*s\", ours %d \"%.*s\"", fmt, size,
			   wn, (int)strnlen(want, sizeof(want)), want, gn,
			   (int)strnlen(got, sizeof(got)), got);
		return false;
	}
	return true;
}

#define SAME(...) same_sized(kt, __LINE__, BUF, __VA_ARGS__)
#define SAME_SIZED(size, ...) same_sized(kt, __LINE__, size, __VA_ARGS__)

/* NULL through a variable, so the compiler does not flag "%s" of a literal NULL. */
static const char *volatile null_str;
static void *volatile null_ptr;

KTEST(user_fmt, plain_text)
{
	SAME("%s", "");
	SAME("hello, world\n");
	SAME("100%% sure, %%%%");
	SAME("tab\there");
}

KTEST(user_fmt, signed_int)
{
	SAME("%d %i", 0, 0);
	SAME("%d %d %d", 1, -1, 42);
	SAME("%d %d", INT_MAX, INT_MIN);
	SAME("[%5d] [%-5d] [%05d]", 42, 42, 42);
	SAME("[%5d] [%-5d] [%05d]", -42, -42, -42);
	SAME("[%+d] [%+d] [% d] [% d]", 7, -7, 7, -7);
	SAME("[%.3d] [%8.3d] [%-8.3d]", 7, -7, 7);
	SAME("[%.0d] [%5.0d] [%.0d]", 0, 0, 1);
	SAME("[%1d] [%2d]", 123, -123);
	SAME("[%020d] [%-+20d]", INT_MIN, INT_MAX);
}

KTEST(user_fmt, length_modifiers)
{
	SAME("%ld %ld", LONG_MAX, LONG_MIN);
	SAME("%lld %lld", LLONG_MAX, LLONG_MIN);
	SAME("%hhd %hhd %hhd", 300, -129, 127);
	SAME("%hd %hd", 70000, -32769);
	SAME("%zd %zu", (ssize_t)-5, (size_t)SIZE_MAX);
	SAME("%jd %ju", (intmax_t)INT64_MIN, (uintmax_t)UINT64_MAX);
	SAME("%td %tu", (ptrdiff_t)-9, (ptrdiff_t)9);
	SAME("%hhu %hu %hhx %hx", 257, 65537, 0x1ff, 0x1ffff);
	SAME("[%25ld] [%-25lld] [%025lld]", LONG_MIN, LLONG_MIN, LLONG_MIN);
}

KTEST(user_fmt, unsigned_int)
{
	SAME("%u %u %u", 0u, 1u, UINT_MAX);
	SAME("%lu %llu", ULONG_MAX, ULLONG_MAX);
	SAME("%x %X %x %X", 0xdeadbeefu, 0xdeadbeefu, 0u, UINT_MAX);
	SAME("%lx %llX", ULONG_MAX, ULLONG_MAX);
	SAME("[%#x] [%#X] [%#x] [%#.0x] [%.0x]", 255u, 255u, 0u, 0u, 0u);
	SAME("[%o] [%#o] [%#o] [%#.0o] [%#.5o] [%#3o]", 8u, 8u, 0u, 0u, 8u, 8u);
	SAME("[%#10x] [%#-10x] [%#010x] [%#.6x] [%#12.6X]", 0xabcu, 0xabcu, 0xabcu, 0xabcu, 0xabcu);
	SAME("[%08lx] [%-8lx] [%8.4lx]", 0x1fUL, 0x1fUL, 0x1fUL);
	SAME("%llo %#llo", ULLONG_MAX, ULLONG_MAX);
}

KTEST(user_fmt, strings_and_chars)
{
	SAME("[%s] [%10s] [%-10s]", "abc", "abc", "abc");
	SAME("[%.2s] [%10.2s] [%-10.2s] [%.0s] [%.10s]", "abc", "abc", "abc", "abc", "abc");
	SAME("[%s] [%10s] [%-10s]", null_str, null_str, null_str);
	SAME("[%.6s] [%.5s] [%8.3s]", null_str, null_str, null_str);
	SAME("[%c] [%5c] [%-5c] [%c]", 'x', 'y', 'z', 0x141);
	SAME("%s%s%s", "a", "", "c");
}

KTEST(user_fmt, pointers)
{
	int x;

	SAME("%p", (void *)&x);
	SAME("%p %p", (void *)0x1234, (void *)UINTPTR_MAX);
	SAME("[%20p] [%-20p]", (void *)0x1234, (void *)0x1234);
	SAME("[%p] [%10p] [%-10p]", null_ptr, null_ptr, null_ptr);
}

KTEST(user_fmt, star_width_and_precision)
{
	SAME("[%*d] [%-*d] [%*d]", 6, 42, 6, 42, -6, 42);
	SAME("[%.*d] [%.*d]", 4, 42, -1, 42);
	SAME("[%*.*s] [%.*s]", 8, 2, "abcdef", 3, "abcdef");
	SAME("[%*s] [%*c]", 0, "x", 3, 'c');
}

/* __vformat alone, for the cases glibc cannot be the reference for. */
static int ours(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = __vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

KTEST(user_fmt, unknown_and_unfinished_specs)
{
	char buf[32];

	/* glibc's output for these differs among versions; ours prints them as written. */
	EXPECT_EQ(ours(buf, sizeof(buf), "a%yb"), 4);
	EXPECT_EQ(strcmp(buf, "a%yb"), 0);
	EXPECT_EQ(ours(buf, sizeof(buf), "end%-5"), 6);
	EXPECT_EQ(strcmp(buf, "end%-5"), 0);
}

KTEST(user_fmt, truncation)
{
	SAME_SIZED(1, "%s", "abc");
	SAME_SIZED(2, "%d", -12345);
	SAME_SIZED(5, "%s-%d", "hello", 12345);
	SAME_SIZED(6, "%10s", "abc");
	SAME_SIZED(4, "%p", (void *)0xabcdef);
	SAME_SIZED(0, "%s", "nothing is written");
	EXPECT_EQ(ours(NULL, 0, "%d", 12345), 5);
}

/* Seeded, so that a failing case can be replayed. */
static struct test_rng rng;

/* Random 64-bit values, biased towards the edges of every integer type. */
static uint64_t rng_value(void)
{
	static const uint64_t edges[] = {
		0,
		1,
		9,
		10,
		0x7f,
		0x80,
		0xff,
		0x100,
		0x7fff,
		0x8000,
		0xffff,
		0x7fffffff,
		0x80000000,
		0xffffffff,
		0x7fffffffffffffffull,
		0x8000000000000000ull,
		0xffffffffffffffffull,
	};
	uint64_t r = test_rng_next(&rng);

	switch (r % 4) {
	case 0:
		return edges[(r >> 8) % (sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return -(uint64_t)((r >> 8) % 1000);
	case 2:
		return (r >> 8) % 100000;
	default:
		return test_rng_next(&rng);
	}
}

/*
 * One random, well-defined specification (no flag that C leaves undefined for its conversion)
 * with a value of the matching type, compared between the two formatters.
 */
static bool random_case(struct ktest_state *kt)
{
	static const char *const lengths[] = {"", "hh", "h", "l", "ll", "z", "j", "t"};
	static const char conv_set[] = "diuxXoscp";
	char conv = conv_set[test_rng_below(&rng, sizeof(conv_set) - 1)];
	const char *len = "";
	char fmt[64], *f = fmt;
	uint64_t v = rng_value();
	bool is_signed = conv == 'd' || conv == 'i', is_int = is_signed || strchr("uxXo", conv);

	*f++ = '[';
	*f++ = '%';
	if (test_rng_below(&rng, 3) == 0)
		*f++ = '-';
	if (is_int && test_rng_below(&rng, 3) == 0)
		*f++ = '0';
	if (is_signed && test_rng_below(&rng, 4) == 0)
		*f++ = '+';
	if (is_signed && test_rng_below(&rng, 4) == 0)
		*f++ = ' ';
	if ((conv == 'x' || conv == 'X' || conv == 'o') && test_rng_below(&rng, 3) == 0)
		*f++ = '#';
	if (test_rng_below(&rng, 2))
		f += sprintf(f, "%u", (unsigned)test_rng_below(&rng, 30));
	if ((is_int || conv == 's') && test_rng_below(&rng, 2))
		f += sprintf(f, ".%u", (unsigned)test_rng_below(&rng, 25));
	if (is_int)
		len = lengths[test_rng_below(&rng, sizeof(lengths) / sizeof(lengths[0]))];
	f += sprintf(f, "%s%c]", len, conv);

	if (conv == 's')
		return same_sized(kt, __LINE__, BUF, fmt, v % 5 == 0 ? null_str : "random string");
	if (conv == 'c')
		return same_sized(kt, __LINE__, BUF, fmt, (int)(v % 95 + 32));
	if (conv == 'p')
		return same_sized(kt, __LINE__, BUF, fmt,
				  v % 7 == 0 ? null_ptr : (void *)(uintptr_t)v);
	/* Each length modifier reads the promoted type of its argument. */
	if (!strcmp(len, "") || !strcmp(len, "hh") || !strcmp(len, "h"))
		return is_signed ? same_sized(kt, __LINE__, BUF, fmt, (int)v)
				 : same_sized(kt, __LINE__, BUF, fmt, (unsigned)v);
	if (!strcmp(len, "l") || !strcmp(len, "z") || !strcmp(len, "t"))
		return is_signed ? same_sized(kt, __LINE__, BUF, fmt, (long)v)
				 : same_sized(kt, __LINE__, BUF, fmt, (unsigned long)v);
	return is_signed ? same_sized(kt, __LINE__, BUF, fmt, (long long)v)
			 : same_sized(kt, __LINE__, BUF, fmt, (unsigned long long)v);
}

KTEST(user_fmt, random_differential)
{
	const uint64_t seed = 0x6b657374726c2121ull;
	int failures = 0;

	test_rng_init(&rng, seed);
	for (int i = 0; i < 200000 && failures < 10; i++)
		if (!random_case(kt))
			failures++;
	if (failures)
		KT_FAIL("seed %#llx: %d cases differ (first ones above)", (unsigned long long)seed,
			failures);
}
