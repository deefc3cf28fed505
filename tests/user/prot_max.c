/*
 * PROT_MAX, MAP_NOCORE and MAP_STACK (include/uapi/mman.h). PROT_MAX in mmap's prot sets the
 * mapping's max_protection (vm_map_list shows it) and mprotect beyond it is EACCES; in mprotect's
 * prot it lowers max_protection, never raises it. ENOTSUP for a protection beyond its own
 * PROT_MAX, EINVAL for other bits, each at its place in the checking order. MAP_NOCORE is
 * accepted. MAP_STACK: a guard page at the bottom, a stack entry above it; its argument errors.
 * Hostile prot values. In a child, touching a MAP_STACK guard kills; the map checks out at the end.
 */
#include "vm_util.h"

#define RW (PROT_READ | PROT_WRITE)
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)

static struct vm_listing l;

static void test_prot_max_mmap(void)
{
	long a = raw_mmap(0, 4 * PG, RW | PROT_MAX(RW), MAP_PRIVATE | MAP_ANON, -1, 0);
	CHECK(a > 0);
	const struct vm_map_ent *e = vm_entry_at(&l, (uint64_t)a);
	CHECK(e && e->prot == RW && e->max_prot == RW);
	/* not the program image */
	CHECK(e && (e->flags & VM_ENT_ANON) && !(e->flags & VM_ENT_IMAGE));
	*(volatile long *)vm_opaque((uintptr_t)a) = 7;
	CHECK_EQ(raw_mprotect((uint64_t)a, PG, RWX), -EACCES);
	CHECK_EQ(raw_mprotect((uint64_t)a, 4 * PG, PROT_EXEC), -EACCES);
	CHECK_EQ(raw_mprotect((uint64_t)a, PG, PROT_READ), 0);
	CHECK_EQ(raw_mprotect((uint64_t)a, PG, RW), 0);
	CHECK_EQ(*(volatile long *)vm_opaque((uintptr_t)a), 7);
	CHECK_EQ(raw_munmap((uint64_t)a, 4 * PG), 0);

	/* PROT_MAX alone: no access now, up to its maximum later. */
	a = raw_mmap(0, PG, PROT_MAX(PROT_READ), MAP_PRIVATE | MAP_ANON, -1, 0);
	CHECK(a > 0);
	e = vm_entry_at(&l, (uint64_t)a);
	CHECK(e && e->prot == PROT_NONE && e->max_prot == PROT_READ);
	CHECK_EQ(raw_mprotect((uint64_t)a, PG, PROT_READ), 0);
	CHECK_EQ(raw_mprotect((uint64_t)a, PG, RW), -EACCES);
	CHECK_EQ(raw_munmap((uint64_t)a, PG), 0);

	/* Without PROT_MAX an anonymous mapping may become anything. */
	a = anon(0, PG, 0);
	e = vm_entry_at(&l, (uint64_t)a);
	CHECK(e && e->max_prot == RWX);
	CHECK_EQ(raw_munmap((uint64_t)a, PG), 0);
}

static void test_prot_max_mprotect(void)
{
	long a = anon(0, 4 * PG, 0);
	CHECK(a > 0);
	/* mprotect's PROT_MAX lowers max_protection of the range it names. */
	CHECK_EQ(raw_mprotect((uint64_t)a + PG, PG, PROT_READ | PROT_MAX(PROT_READ)), 0);
	const struct vm_map_ent *e = vm_entry_at(&l, (uint64_t)a + PG);
	CHECK(e && e->start == (uint64_t)a + PG && e->end == (uint64_t)a + 2 * PG &&
	      e->prot == PROT_READ && e->max_prot == PROT_READ);
	CHECK_EQ(raw_mprotect((uint64_t)a + PG, PG, RW), -EACCES);
	CHECK_EQ(raw_mprotect((uint64_t)a + PG, PG, PROT_READ | PROT_MAX(RW)), -EACCES);
	CHECK_EQ(raw_mprotect((uint64_t)a, 4 * PG, RW), -EACCES);
	/* Nothing changed on failure: the neighbours are still read+write. */
	e = vm_entry_at(&l, (uint64_t)a);
	CHECK(e && e->end == (uint64_t)a + PG && e->prot == RW && e->max_prot == RWX);
	CHECK_EQ(raw_mprotect((uint64_t)a, PG, RW | PROT_MAX(RW)), 0);
	CHECK_EQ(raw_mprotect((uint64_t)a, PG, RWX), -EACCES);
	CHECK_EQ(raw_munmap((uint64_t)a, 4 * PG), 0);
}

static void test_errors(void)
{
	long a = anon(0, PG, 0);
	CHECK(a > 0);
	/* ENOTSUP: a protection beyond its own PROT_MAX; before the length and address checks. */
	CHECK_EQ(raw_mmap(0, PG, RW | PROT_MAX(PROT_READ), MAP_PRIVATE | MAP_ANON, -1, 0),
		 -ENOTSUP);
	CHECK_EQ(raw_mmap(0, 0, RW | PROT_MAX(PROT_READ), MAP_PRIVATE | MAP_ANON, -1, 0), -ENOTSUP);
	CHECK_EQ(raw_mprotect((uint64_t)a, PG, PROT_EXEC | PROT_MAX(PROT_READ)), -ENOTSUP);
	CHECK_EQ(raw_mprotect((uint64_t)a + 1, PG, PROT_EXEC | PROT_MAX(PROT_READ)), -ENOTSUP);
	/* EINVAL: bits beyond both parts, before ENOTSUP. */
	CHECK_EQ(raw_mmap(0, PG, 0x8, MAP_PRIVATE | MAP_ANON, -1, 0), -EINVAL);
	CHECK_EQ(raw_mmap(0, PG, PROT_MAX(0x8), MAP_PRIVATE | MAP_ANON, -1, 0), -EINVAL);
	CHECK_EQ(raw_mmap(0, PG, RW | PROT_MAX(PROT_READ) | 0x100, MAP_PRIVATE | MAP_ANON, -1, 0),
		 -EINVAL);
	CHECK_EQ(raw_mprotect((uint64_t)a, PG, PROT_MAX(0x8)), -EINVAL);
	CHECK_EQ(raw_mprotect((uint64_t)a, PG, PROT_MAX(RW) | 0x10), -EINVAL);
	/* Hostile prot values; prot is an int, so the upper half of the register is not looked at. */
	static const long hostile[] = {-1, 0x7fffffff, (long)0x80000000u, PROT_MAX(0xf) | 7,
				       0x1000000000000008l};
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		CHECK_EQ(raw_mmap(0, PG, hostile[i], MAP_PRIVATE | MAP_ANON, -1, 0), -EINVAL);
		CHECK_EQ(raw_mprotect((uint64_t)a, PG, hostile[i]), -EINVAL);
	}
	long r = raw_mmap(0, PG, 0x100000000l | PROT_READ, MAP_PRIVATE | MAP_ANON, -1, 0);
	CHECK(r > 0);
	CHECK_EQ(raw_munmap((uint64_t)r, PG), 0);
	CHECK_EQ(raw_munmap((uint64_t)a, PG), 0);

	/* MAP_NOCORE is accepted. */
	a = anon(0, 2 * PG, MAP_NOCORE);
	CHECK(a > 0);
	*(volatile long *)vm_opaque((uintptr_t)a) = 1;
	CHECK_EQ(raw_munmap((uint64_t)a, 2 * PG), 0);
}

static void test_map_stack(void)
{
	long a = raw_mmap(0, 8 * PG, RW, MAP_PRIVATE | MAP_STACK, -1, 0);
	CHECK(a > 0);
	uint64_t A = (uint64_t)a;
	const struct vm_map_ent *g = vm_entry_at(&l, A);
	CHECK(g && g->start == A && g->end == A + PG && g->flags == VM_ENT_GUARD && g->prot == 0);
	const struct vm_map_ent *s = vm_find(&l, A + PG);
	CHECK(s && s->start == A + PG && s->end == A + 8 * PG && s->prot == RW &&
	      (s->flags & VM_ENT_STACK));
	vm_fill(A + PG, 7, 55);
	CHECK_EQ(vm_intact(A + PG, 0, 7, 55), 7);
	/* A second stack over the first with MAP_EXCL: EEXIST; over it without: replaced, zeros. */
	CHECK_EQ(raw_mmap(A, 8 * PG, RW, MAP_STACK | MAP_FIXED | MAP_EXCL, -1, 0), -EEXIST);
	CHECK_EQ(raw_mmap(A, 8 * PG, RW, MAP_STACK | MAP_FIXED, -1, 0), (long)A);
	CHECK_EQ(*(volatile long *)vm_opaque((uintptr_t)(A + 7 * PG)), 0);
	CHECK_EQ(vm_count_in(&l, A, A + 8 * PG), 2);
	CHECK_EQ(raw_munmap(A, 8 * PG), 0);

	/* Its errors: a file descriptor, a prot without read+write, one page, MAP_SHARED, MAP_GUARD. */
	CHECK_EQ(raw_mmap(0, 8 * PG, RW, MAP_PRIVATE | MAP_STACK, 0, 0), -EINVAL);
	CHECK_EQ(raw_mmap(0, 8 * PG, PROT_READ, MAP_PRIVATE | MAP_STACK, -1, 0), -EINVAL);
	CHECK_EQ(raw_mmap(0, 8 * PG, PROT_MAX(RW), MAP_PRIVATE | MAP_STACK, -1, 0), -EINVAL);
	CHECK_EQ(raw_mmap(0, PG, RW, MAP_PRIVATE | MAP_STACK, -1, 0), -EINVAL);
	CHECK_EQ(raw_mmap(0, 8 * PG, RW, MAP_SHARED | MAP_STACK, -1, 0), -EINVAL);
	CHECK_EQ(raw_mmap(0, 8 * PG, RW, MAP_GUARD | MAP_STACK, -1, 0), -EINVAL);
	/* Off is ignored, as FreeBSD, since MAP_STACK implies MAP_ANON after the MAP_ANON check. */
	a = raw_mmap(0, 2 * PG, RW, MAP_STACK, -1, PG);
	CHECK(a > 0);
	CHECK_EQ(raw_munmap((uint64_t)a, 2 * PG), 0);
}

/* Child: touch the guard below a MAP_STACK stack; returns 100 if it survived. */
static int role(const char *name)
{
	long a = raw_mmap(0, 4 * PG, RW, MAP_PRIVATE | MAP_STACK, -1, 0);
	if (a < 0 || strcmp(name, "touch_guard"))
		return 101;
	*(volatile long *)vm_opaque((uintptr_t)(a + PG)) = 1;
	*(volatile long *)vm_opaque((uintptr_t)(a + PG - 8)) = 1;
	return 100;
}

int main(int argc, char **argv)
{
	if (argc >= 2)
		return role(argv[1]);
	test_prot_max_mmap();
	test_prot_max_mprotect();
	test_errors();
	test_map_stack();
	int st = run_self(argv[0], "touch_guard", NULL);
	CHECK(KILLED_BY_PF(st));
	CHECK_EQ(vm_check_map(), 0);
	return utest_result("prot_max");
}
