/*
 * minherit (include/uapi/mman.h): the inheritance is stored per entry and listed (INHERIT_COPY for
 * new memory), set on the pages of a range (the entry split there, joined again once equal, the
 * data untouched), unaligned addresses act on the pages they lie in, holes are skipped, a guard
 * keeps its value for INHERIT_ZERO; EINVAL for a wrap, a bad value and a range outside the user
 * range, in that order, with hostile values. Frames back to where they were at the end.
 */
#include <sys/mman.h>

#include "vm_util.h"

static struct vm_listing l;

static long inherit(uint64_t a, uint64_t len, long v)
{
	return sys3(SYS_minherit, (long)a, (long)len, v);
}

/* Whether the entry at a is [s, e) with inheritance v. */
static bool is(uint64_t a, uint64_t s, uint64_t e, uint32_t v)
{
	const struct vm_map_ent *x = vm_entry_at(&l, a);
	return x && x->start == s && x->end == e && x->inheritance == v;
}

static void test_set_and_merge(void)
{
	long a = anon(0, 8 * PG, 0);
	CHECK(a > 0);
	uint64_t A = (uint64_t)a;
	CHECK(is(A, A, A + 8 * PG, INHERIT_COPY));
	size_t n = l.n;
	vm_fill(A, 4, 7); /* half touched, half not */
	CHECK_EQ(inherit(A + 2 * PG, 4 * PG, INHERIT_NONE), 0);
	CHECK(is(A + 2 * PG, A + 2 * PG, A + 6 * PG, INHERIT_NONE));
	CHECK(is(A, A, A + 2 * PG, INHERIT_COPY));
	CHECK(is(A + 6 * PG, A + 6 * PG, A + 8 * PG, INHERIT_COPY));
	CHECK_EQ(l.n, n + 2);
	CHECK_EQ(minherit((void *)(A + 3 * PG + 17), 1, INHERIT_ZERO), 0);
	CHECK(is(A + 3 * PG, A + 3 * PG, A + 4 * PG, INHERIT_ZERO));
	CHECK_EQ(inherit(A + 7 * PG, PG, INHERIT_SHARE), 0);
	CHECK(is(A + 7 * PG, A + 7 * PG, A + 8 * PG, INHERIT_SHARE));
	CHECK_EQ(vm_intact(A, 0, 4, 7), 4);
	/* Equal again: one entry, as before. */
	CHECK_EQ(inherit(A, 8 * PG, INHERIT_COPY), 0);
	CHECK(is(A, A, A + 8 * PG, INHERIT_COPY));
	CHECK_EQ(l.n, n);
	CHECK_EQ(vm_intact(A, 0, 4, 7), 4);
	CHECK_EQ(raw_munmap(A, 8 * PG), 0);
}

static void test_guards_and_holes(void)
{
	long g = raw_mmap(0, 8 * PG, PROT_NONE, MAP_GUARD, -1, 0);
	CHECK(g > 0);
	uint64_t G = (uint64_t)g, A = G + 2 * PG;
	CHECK_EQ(anon(A, 4 * PG, MAP_FIXED), (long)A);
	CHECK_EQ(raw_munmap(A + 2 * PG, PG), 0);
	CHECK_EQ(inherit(G, 8 * PG, INHERIT_ZERO), 0);
	CHECK(is(G, G, G + 2 * PG, INHERIT_COPY));
	CHECK(is(A, A, A + 2 * PG, INHERIT_ZERO));
	CHECK(is(A + 3 * PG, A + 3 * PG, A + 4 * PG, INHERIT_ZERO));
	CHECK_EQ(inherit(G, 8 * PG, INHERIT_NONE), 0);
	CHECK(is(G, G, G + 2 * PG, INHERIT_NONE));
	CHECK(is(A, A, A + 2 * PG, INHERIT_NONE));
	CHECK_EQ(raw_munmap(G, 8 * PG), 0);
}

static void test_errors(void)
{
	long a = anon(0, PG, 0);
	CHECK(a > 0);
	uint64_t A = (uint64_t)a;
	static const long bad_value[] = {
		4, -1, 0x7fffffff, (long)0x80000000u, 0x100000000l | INHERIT_COPY, 99};
	for (size_t i = 0; i < sizeof(bad_value) / sizeof(bad_value[0]); i++) {
		CHECK_EQ(inherit(A, PG, bad_value[i]), -EINVAL);
		CHECK_EQ(inherit(~0ul - PG, 2 * PG, bad_value[i]), -EINVAL);
	}
	static const uint64_t bad_range[][2] = {
		{~0ul - PG, 2 * PG},
		{PG, ~0ul},
		{0, PG},
		{USER_TOP, PG},
		{USER_TOP - PG, 2 * PG},
		{(uint64_t)KERNEL_TEXT, PG},
		{(uint64_t)DIRECT_MAP, PG},
		{0x8000000000000000ul, PG},
	};
	for (size_t i = 0; i < sizeof(bad_range) / sizeof(bad_range[0]); i++)
		CHECK_EQ(inherit(bad_range[i][0], bad_range[i][1], INHERIT_NONE), -EINVAL);
	CHECK_EQ(minherit((void *)A, PG, 7), -1);
	/* Nothing changed; len 0 and unmapped ranges succeed. */
	CHECK(is(A, A, A + PG, INHERIT_COPY));
	CHECK_EQ(inherit(A, 0, INHERIT_NONE), 0);
	CHECK_EQ(inherit(UNMAPPED_LOW, PG, INHERIT_NONE), 0);
	CHECK(is(A, A, A + PG, INHERIT_COPY));
	CHECK_EQ(raw_munmap(A, PG), 0);
}

int main(void)
{
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_check_map(), 0);
	uint64_t before = vm_free_frames();
	test_set_and_merge();
	test_guards_and_holes();
	test_errors();
	CHECK_EQ(vm_check_map(), 0);
	CHECK_EQ(vm_free_frames(), before);
	return utest_result("minherit");
}
