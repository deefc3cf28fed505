/*
 * madvise (include/uapi/mman.h): DONTNEED and FREE give the pages of the range back (resident
 * counts drop, the next touch reads zeros, the rest keeps its data, entries stay as they were), a
 * 2 MiB page split only where the range does not cover it; WILLNEED faults the range in, 2 MiB
 * pages where a touch would get them; the other behaviours are accepted and change nothing.
 * Unaligned addresses act on the pages they lie in; holes and guards are skipped. EINVAL for
 * unknown behaviours and ranges outside the user range, in that order; hostile values. Frames back
 * to where they were, and the map checks out, at the end.
 */
#include "vm_util.h"

static struct vm_listing l;

static long advise(uint64_t a, uint64_t len, long behav)
{
	return sys3(SYS_madvise, (long)a, (long)len, behav);
}

static void test_release(long behav)
{
	long a = anon(0, 16 * PG, 0);
	CHECK(a > 0);
	uint64_t A = (uint64_t)a;
	vm_fill(A, 16, 77);
	const struct vm_map_ent *e = vm_entry_at(&l, A);
	CHECK(e && e->resident_4k == 16);
	size_t n = l.n;
	CHECK_EQ(advise(A + 4 * PG, 4 * PG, behav), 0);
	e = vm_entry_at(&l, A);
	CHECK(e && e->start == A && e->end == A + 16 * PG && e->resident_4k == 12);
	CHECK_EQ(l.n, n);
	CHECK_EQ(vm_intact(A, 0, 4, 77), 4);
	CHECK_EQ(vm_intact(A, 8, 16, 77), 8);
	for (size_t i = 4; i < 8; i++)
		CHECK_EQ(*(volatile uint64_t *)vm_opaque((uintptr_t)(A + i * PG)), 0);
	/* An unaligned address and a length of one byte: the page it lies in. */
	CHECK_EQ(advise(A + 9 * PG + 5, 1, behav), 0);
	CHECK_EQ(*(volatile uint64_t *)vm_opaque((uintptr_t)(A + 9 * PG)), 0);
	CHECK_EQ(vm_intact(A, 10, 16, 77), 6);
	CHECK_EQ(raw_munmap(A, 16 * PG), 0);
}

static void test_superpage(void)
{
	long a = raw_mmap(0, 2 * SUPER, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANON | MAP_ALIGNED_SUPER, -1, 0);
	CHECK(a > 0 && a % SUPER == 0);
	uint64_t A = (uint64_t)a;
	/* WILLNEED: both 2 MiB pages, nothing touched. */
	CHECK_EQ(advise(A, 2 * SUPER, MADV_WILLNEED), 0);
	const struct vm_map_ent *e = vm_entry_at(&l, A);
	CHECK(e && e->resident_2m == 2 && e->resident_4k == 0);
	vm_fill(A, 1024, 91);
	/* Four pages inside the first: it is split, the rest of it keeps its data. */
	CHECK_EQ(advise(A + 8 * PG, 4 * PG, MADV_DONTNEED), 0);
	e = vm_entry_at(&l, A);
	CHECK(e && e->resident_2m == 1 && e->resident_4k == 508);
	CHECK_EQ(vm_intact(A, 0, 8, 91), 8);
	CHECK_EQ(vm_intact(A, 12, 1024, 91), 1012);
	CHECK_EQ(*(volatile uint64_t *)vm_opaque((uintptr_t)(A + 9 * PG)), 0);
	/* The whole second one: gone, no split. */
	CHECK_EQ(advise(A + SUPER, SUPER, MADV_FREE), 0);
	e = vm_entry_at(&l, A);
	CHECK(e && e->resident_2m == 0 && e->resident_4k == 509);
	CHECK_EQ(*(volatile uint64_t *)vm_opaque((uintptr_t)(A + SUPER + 3 * PG)), 0);
	CHECK_EQ(raw_munmap(A, 2 * SUPER), 0);
}

static void test_willneed_and_accepted(void)
{
	long g = raw_mmap(0, 16 * PG, PROT_NONE, MAP_GUARD, -1, 0);
	CHECK(g > 0);
	uint64_t G = (uint64_t)g, A = G + 4 * PG;
	CHECK_EQ(anon(A, 4 * PG, MAP_FIXED), (long)A);
	CHECK_EQ(raw_mmap(A + 6 * PG, 2 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANON | MAP_FIXED, -1, 0),
		 (long)(A + 6 * PG));
	/* Over guards, a hole, a PROT_NONE entry and 4 pages of memory: the 4 are faulted in. */
	CHECK_EQ(raw_munmap(A + 4 * PG, 2 * PG), 0);
	CHECK_EQ(advise(G, 16 * PG, MADV_WILLNEED), 0);
	const struct vm_map_ent *e = vm_entry_at(&l, A);
	CHECK(e && e->resident_4k == 4);
	e = vm_find(&l, A + 6 * PG);
	CHECK(e && e->resident_4k == 0);
	vm_fill(A, 4, 5);
	static const long accepted[] = {MADV_NORMAL,   MADV_RANDOM, MADV_SEQUENTIAL, MADV_NOSYNC,
					MADV_AUTOSYNC, MADV_NOCORE, MADV_CORE};
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
		CHECK_EQ(advise(G, 16 * PG, accepted[i]), 0);
	CHECK_EQ(vm_intact(A, 0, 4, 5), 4);
	/* DONTNEED over the same mixture: only the memory loses its pages. */
	CHECK_EQ(advise(G, 16 * PG, MADV_DONTNEED), 0);
	e = vm_entry_at(&l, A);
	CHECK(e && e->resident_4k == 0);
	CHECK_EQ(advise(G, 0, MADV_DONTNEED), 0);
	CHECK_EQ(raw_munmap(G, 16 * PG), 0);
}

static void test_errors(void)
{
	long a = anon(0, PG, 0);
	CHECK(a > 0);
	*(volatile long *)vm_opaque((uintptr_t)a) = 3;
	static const long bad_behav[] = {
		-1, 10, 11, 0x7fffffff, (long)0x80000000u, 0x100000000l | 100};
	for (size_t i = 0; i < sizeof(bad_behav) / sizeof(bad_behav[0]); i++) {
		CHECK_EQ(advise((uint64_t)a, PG, bad_behav[i]), -EINVAL);
		/* Before the range's check. */
		CHECK_EQ(advise(~0ul - PG, 2 * PG, bad_behav[i]), -EINVAL);
	}
	/* behav is an int: the upper half of the register is not looked at. */
	CHECK_EQ(advise((uint64_t)a, PG, 0x100000000l | MADV_NORMAL), 0);
	CHECK_EQ(advise(~0ul - PG, 2 * PG, MADV_DONTNEED), -EINVAL);
	CHECK_EQ(advise(0, PG, MADV_DONTNEED), -EINVAL);
	CHECK_EQ(advise(USER_TOP, PG, MADV_DONTNEED), -EINVAL);
	CHECK_EQ(advise(USER_TOP - PG, 2 * PG, MADV_WILLNEED), -EINVAL);
	CHECK_EQ(advise(PG, ~0ul, MADV_FREE), -EINVAL);
	CHECK_EQ(advise(0x8000000000000000ul, PG, MADV_DONTNEED), -EINVAL);
	/* Nothing was done by any of them. */
	CHECK_EQ(*(volatile long *)vm_opaque((uintptr_t)a), 3);
	CHECK_EQ(raw_munmap((uint64_t)a, PG), 0);
	/* posix_madvise's errors come back as numbers. */
	CHECK_EQ(posix_madvise((void *)a, PG, 99), EINVAL);
	CHECK_EQ(posix_madvise((void *)a, PG, MADV_NORMAL), 0);
}

int main(void)
{
	/* Touch what the checks use first (the listings, the stack), so that only madvise's pages count. */
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_check_map(), 0);
	uint64_t before = vm_free_frames();
	test_release(MADV_DONTNEED);
	test_release(MADV_FREE);
	test_superpage();
	test_willneed_and_accepted();
	test_errors();
	CHECK_EQ(vm_check_map(), 0);
	CHECK_EQ(vm_free_frames(), before);
	return utest_result("madvise");
}
