/*
 * mlock, munlock, mlockall, munlockall (include/uapi/mman.h): wiring faults the range in (2 MiB
 * pages where a touch would get them) and shows it in the listing (wired_count 1, the entry split
 * at the range and joined again by munlock); madvise DONTNEED keeps wired pages; wirings do not
 * nest; MEMLOCK_LIMIT is checked before anything is faulted, and munmap gives the bytes back;
 * MCL_FUTURE wires later mmaps and applies the limit to them; every errno in its order, with
 * hostile values (unaligned, wrapping lengths, holes, guards, kernel addresses, bad flags).
 * mlockall runs in a child (it faults in the whole program); frames back to where they were.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "vm_util.h"

static struct vm_listing l;

static long lock(uint64_t a, uint64_t len)
{
	return sys2(SYS_mlock, (long)a, (long)len);
}
static long unlock(uint64_t a, uint64_t len)
{
	return sys2(SYS_munlock, (long)a, (long)len);
}

/* Wired bytes of the whole map, from the listing. */
static uint64_t wired_bytes(void)
{
	uint64_t n = 0;
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_list_all(0, &l), 0);
	for (size_t i = 0; i < l.n; i++)
		if (l.e[i].wired_count)
			n += l.e[i].end - l.e[i].start;
	return n;
}

static void test_wire_unwire(void)
{
	long a = anon(0, 16 * PG, 0);
	CHECK(a > 0);
	uint64_t A = (uint64_t)a;
	CHECK_EQ(lock(A + 4 * PG, 4 * PG), 0);
	const struct vm_map_ent *e = vm_entry_at(&l, A + 4 * PG);
	CHECK(e && e->start == A + 4 * PG && e->end == A + 8 * PG && e->wired_count == 1 &&
	      e->resident_4k == 4);
	e = vm_find(&l, A);
	CHECK(e && e->end == A + 4 * PG && e->wired_count == 0 && e->resident_4k == 0);
	/* Faulted in, not yet used: in core, neither referenced nor modified. */
	unsigned char vec[16];
	CHECK_EQ(mincore((void *)A, 16 * PG, (char *)vec), 0);
	CHECK_EQ(vec[4], MINCORE_INCORE);
	CHECK_EQ(vec[0], 0);
	vm_fill(A, 16, 41);
	CHECK_EQ(mincore((void *)A, 16 * PG, (char *)vec), 0);
	CHECK_EQ(vec[5], MINCORE_INCORE | MINCORE_REFERENCED | MINCORE_REFERENCED_OTHER |
				 MINCORE_MODIFIED | MINCORE_MODIFIED_OTHER);
	/* DONTNEED over everything: the wired pages keep their data, the others read zeros. */
	CHECK_EQ(madvise((void *)A, 16 * PG, MADV_DONTNEED), 0);
	CHECK_EQ(vm_intact(A, 4, 8, 41), 4);
	CHECK_EQ(*(volatile uint64_t *)vm_opaque((uintptr_t)(A + 2 * PG)), 0);
	CHECK_EQ(*(volatile uint64_t *)vm_opaque((uintptr_t)(A + 9 * PG)), 0);
	/* Again, and unaligned: no nesting, one munlock undoes both. */
	CHECK_EQ(lock(A + 4 * PG + 7, 4 * PG - 7), 0);
	CHECK_EQ(wired_bytes(), 4 * PG);
	CHECK_EQ(unlock(A + 4 * PG, 4 * PG), 0);
	CHECK_EQ(wired_bytes(), 0);
	e = vm_entry_at(&l, A);
	CHECK(e && e->start == A && e->end == A + 16 * PG && e->wired_count == 0);
	/* Not wired any more: munlock says so (FreeBSD's ENOMEM). */
	CHECK_EQ(unlock(A + 4 * PG, PG), -ENOMEM);
	CHECK_EQ(munlock((void *)(A + 4 * PG), PG), -1);
	/* One byte wires its page; munmap of wired memory unwires it. */
	CHECK_EQ(mlock((void *)(A + 9 * PG + 100), 1), 0);
	e = vm_entry_at(&l, A + 9 * PG);
	CHECK(e && e->start == A + 9 * PG && e->end == A + 10 * PG && e->wired_count == 1);
	CHECK_EQ(raw_munmap(A, 16 * PG), 0);
	CHECK_EQ(wired_bytes(), 0);
}

static void test_superpage_and_limit(void)
{
	uint64_t len = MEMLOCK_LIMIT + SUPER;
	long a = raw_mmap(0, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANON | MAP_ALIGNED_SUPER, -1, 0);
	CHECK(a > 0 && a % SUPER == 0);
	uint64_t A = (uint64_t)a, before = vm_free_frames();
	/* Over the limit: refused before anything is faulted in. */
	CHECK_EQ(lock(A, len), -ENOMEM);
	CHECK_EQ(vm_free_frames(), before);
	const struct vm_map_ent *e = vm_entry_at(&l, A);
	CHECK(e && e->end == A + len && e->wired_count == 0 && e->resident_2m == 0 &&
	      e->resident_4k == 0);
	/* Exactly the limit: 2 MiB pages. One page more is refused. */
	CHECK_EQ(lock(A + SUPER, MEMLOCK_LIMIT), 0);
	e = vm_entry_at(&l, A + SUPER);
	CHECK(e && e->wired_count == 1 && e->resident_2m == MEMLOCK_LIMIT / SUPER &&
	      e->resident_4k == 0);
	CHECK_EQ(lock(A, PG), -ENOMEM);
	CHECK_EQ(lock(A + SUPER, MEMLOCK_LIMIT), 0); /* wired already: nothing new */
	/* munmap gives the wired bytes back: the limit's worth can be wired again. */
	CHECK_EQ(raw_munmap(A + SUPER, MEMLOCK_LIMIT), 0);
	CHECK_EQ(wired_bytes(), 0);
	CHECK_EQ(lock(A, SUPER), 0);
	e = vm_entry_at(&l, A);
	CHECK(e && e->wired_count == 1 && e->resident_2m == 1);
	CHECK_EQ(raw_munmap(A, SUPER), 0);
	CHECK_EQ(vm_free_frames(), before);
}

static void test_errors(void)
{
	long g = raw_mmap(0, 8 * PG, PROT_NONE, MAP_GUARD, -1, 0);
	CHECK(g > 0);
	uint64_t G = (uint64_t)g, A = G + 2 * PG;
	CHECK_EQ(anon(A, 4 * PG, MAP_FIXED), (long)A);
	CHECK_EQ(raw_munmap(A + 2 * PG, PG), 0); /* a hole inside */
	const uint64_t bad[][2] = {
		{~0ul - PG, 2 * PG},                         /* EINVAL: wraps */
		{PG, ~0ul},                                  /* EINVAL: wraps */
		{~0ul, 1},                                   /* EINVAL: wraps */
		{0x7ffffffff000ul, ~0ul - 0x7ffffffff000ul}, /* EINVAL: rounding up wraps */
		{0, PG},                                     /* ENOMEM: page 0 is not user memory */
		{USER_TOP, PG},                              /* ENOMEM: above the user range */
		{USER_TOP - PG, 2 * PG},                     /* ENOMEM: runs past it */
		{(uint64_t)KERNEL_TEXT, PG},                 /* ENOMEM: the kernel */
		{(uint64_t)DIRECT_MAP, PG},
		{0x8000000000000000ul, PG},
		{UNMAPPED_LOW, PG}, /* ENOMEM: not mapped */
		{G, 3 * PG},        /* ENOMEM: a guard */
		{A, 4 * PG},        /* ENOMEM: a hole */
		{A + PG, 2 * PG},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long want = i < 4 ? -EINVAL : -ENOMEM;
		CHECK_EQ(lock(bad[i][0], bad[i][1]), want);
		CHECK_EQ(unlock(bad[i][0], bad[i][1]), want);
	}
	/* Nothing was wired or faulted by any of them. */
	CHECK_EQ(wired_bytes(), 0);
	const struct vm_map_ent *e = vm_find(&l, A);
	CHECK(e && e->resident_4k == 0);
	/* len 0 at a page boundary is empty and succeeds after the range checks; within a page it is
	 * that page (round_page(addr + len), FreeBSD's). */
	CHECK_EQ(lock(A, 0), 0);
	CHECK_EQ(unlock(A, 0), 0);
	CHECK_EQ(unlock(A + 3, 0), -ENOMEM);
	CHECK_EQ(lock(USER_TOP + PG, 0), -ENOMEM);
	/* munlock of a range partly wired fails whole. */
	CHECK_EQ(lock(A, 2 * PG), 0);
	CHECK_EQ(unlock(A, 2 * PG + 1), -ENOMEM);
	CHECK_EQ(wired_bytes(), 2 * PG);
	CHECK_EQ(unlock(A, 2 * PG), 0);
	/* mlockall's flags: 0, unknown bits (also above bit 31), before anything happens. */
	static const long bad_flags[] = {
		0, 4, -1, MCL_CURRENT | 8, 0x100000000l | MCL_FUTURE, 0x80000000l};
	for (size_t i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++)
		CHECK_EQ(sys1(SYS_mlockall, bad_flags[i]), -EINVAL);
	CHECK_EQ(mlockall(0), -1);
	CHECK_EQ(wired_bytes(), 0);
	/* munlockall with nothing wired, and its ignored arguments. */
	CHECK_EQ(sys3(SYS_munlockall, -1, -1, -1), 0);
	CHECK_EQ(raw_munmap(G, 8 * PG), 0);
}

/* The child's role: mlockall and munlockall, whose faults stay with the child. */
static int role_all(void)
{
	/* MCL_CURRENT: every entry but the guards is wired. */
	CHECK_EQ(mlockall(MCL_CURRENT), 0);
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_list_all(0, &l), 0);
	size_t guards = 0;
	for (size_t i = 0; i < l.n; i++) {
		bool guard = l.e[i].flags & VM_ENT_GUARD;
		guards += guard;
		CHECK_EQ(l.e[i].wired_count, guard ? 0 : 1);
	}
	CHECK(guards > 0);
	/* Without MCL_FUTURE a new mapping is not wired. */
	long a = anon(0, 4 * PG, 0);
	CHECK(a > 0);
	const struct vm_map_ent *e = vm_entry_at(&l, (uint64_t)a);
	CHECK(e && e->wired_count == 0 && e->resident_4k == 0);
	CHECK_EQ(munlockall(), 0);
	CHECK_EQ(wired_bytes(), 0);
	/* MCL_FUTURE: new mappings are wired and faulted in; the limit applies to them. */
	CHECK_EQ(mlockall(MCL_FUTURE), 0);
	long b = anon(0, 8 * PG, 0);
	CHECK(b > 0);
	e = vm_entry_at(&l, (uint64_t)b);
	CHECK(e && e->wired_count == 1 && e->resident_4k == 8);
	CHECK_EQ(anon(0, MEMLOCK_LIMIT, 0), -ENOMEM);
	long g = raw_mmap(0, MEMLOCK_LIMIT, PROT_NONE, MAP_GUARD, -1, 0);
	CHECK(g > 0);
	e = vm_entry_at(&l, (uint64_t)g);
	CHECK(e && e->wired_count == 0);
	/* MCL_CURRENT over the limit: ENOMEM, nothing wired (the guard does not count). */
	long big = raw_mmap(0, MEMLOCK_LIMIT, PROT_READ, MAP_PRIVATE | MAP_ANON, -1, 0);
	CHECK_EQ(big, -ENOMEM); /* MCL_FUTURE's limit: with b wired, it does not fit */
	CHECK_EQ(munlockall(), 0);
	big = raw_mmap(0, MEMLOCK_LIMIT, PROT_READ, MAP_PRIVATE | MAP_ANON, -1, 0);
	CHECK(big > 0);
	e = vm_entry_at(&l, (uint64_t)big);
	CHECK(e && e->wired_count == 0); /* munlockall ended MCL_FUTURE */
	CHECK_EQ(sys1(SYS_mlockall, MCL_CURRENT | MCL_FUTURE), -ENOMEM);
	CHECK_EQ(wired_bytes(), 0);
	long c = anon(0, PG, 0);
	CHECK(c > 0);
	e = vm_entry_at(&l, (uint64_t)c);
	CHECK(e && e->wired_count == 0); /* refused over the limit: MCL_FUTURE not set either */
	CHECK_EQ(vm_check_map(), 0);
	return utest_result("mlock all");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "all"))
		return role_all();
	/* Touch what the checks use first (the listings, the stack), so that only mlock's pages count. */
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_check_map(), 0);
	uint64_t before = vm_free_frames();
	test_wire_unwire();
	test_superpage_and_limit();
	test_errors();
	CHECK_EQ(run_self(argv[0], "all", NULL), 0);
	CHECK_EQ(vm_check_map(), 0);
	CHECK_EQ(vm_free_frames(), before);
	return utest_result("mlock");
}
