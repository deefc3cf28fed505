/*
 * MAP_GUARD: a reservation that shows in the listing as a guard (PROT_NONE, max PROT_NONE,
 * nothing resident), that any access kills (read, write, execute; each in a child of this
 * program, which must die of a page fault), that mprotect skips (it stays a guard), that
 * MAP_FIXED can replace and that can replace memory, and that munmap removes. Non-fixed guards
 * are placed like memory (MAP_ALIGNED_SUPER included).
 */
#include "vm_util.h"

static struct vm_listing l;

static volatile long sink;

static long guard(uint64_t addr, uint64_t len, long extra)
{
	return raw_mmap(addr, len, PROT_NONE, MAP_GUARD | extra, -1, 0);
}

static void role_read(void)
{
	long g = guard(0, 4 * PG, 0);
	sink = *(volatile long *)vm_opaque((uintptr_t)g + PG);
}

static void role_write(void)
{
	long g = guard(0, 4 * PG, 0);
	*(volatile long *)vm_opaque((uintptr_t)g + 3 * PG + 8) = 1;
}

static void role_exec(void)
{
	long g = guard(0, 4 * PG, 0);
	((void (*)(void))vm_opaque((uintptr_t)g))();
}

static void role_write_after_mprotect(void)
{
	long g = guard(0, 4 * PG, 0);
	if (raw_mprotect((uint64_t)g, 4 * PG, PROT_READ | PROT_WRITE) != 0)
		_exit(2);
	*(volatile long *)vm_opaque((uintptr_t)g) = 1;
}

/* Memory that was fine becomes a guard over it: the data is gone and the access kills. */
static void role_guard_over_memory(void)
{
	long a = anon(0, 4 * PG, 0);
	*(volatile long *)a = 5;
	if (guard((uint64_t)a, 4 * PG, MAP_FIXED) != a)
		_exit(2);
	sink = *(volatile long *)vm_opaque((uintptr_t)a);
}

/* The last page below the stack guard's top: the stack guard is a guard like any other. */
static void role_stack_guard(void)
{
	uint64_t start, end;

	if (!vm_stack_range(&start, &end))
		_exit(2);
	sink = *(volatile long *)vm_opaque(start - PG);
}

struct role {
	const char *name;
	void (*fn)(void);
};

static const struct role roles[] = {
	{"read", role_read},
	{"write", role_write},
	{"exec", role_exec},
	{"write_after_mprotect", role_write_after_mprotect},
	{"guard_over_memory", role_guard_over_memory},
	{"stack_guard", role_stack_guard},
};

#define NROLES (sizeof(roles) / sizeof(roles[0]))

static void relist(void)
{
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_list_all(0, &l), 0);
}

static void test_in_parent(void)
{
	long g = guard(0, 16 * PG, 0);
	CHECK(g > 0);
	uint64_t G = (uint64_t)g;
	relist();
	const struct vm_map_ent *e = vm_find(&l, G);
	CHECK(e && e->start == G && e->end == G + 16 * PG && e->prot == 0 && e->max_prot == 0 &&
	      e->flags == VM_ENT_GUARD && e->resident_4k == 0 && e->resident_2m == 0);

	/* mprotect skips guards (FreeBSD): success, and still a guard. */
	CHECK_EQ(raw_mprotect(G, 16 * PG, PROT_READ), 0);
	CHECK_EQ(raw_mprotect(G + PG, PG, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
	relist();
	e = vm_find(&l, G);
	CHECK(e && e->start == G && e->end == G + 16 * PG && e->prot == 0 &&
	      e->flags == VM_ENT_GUARD);

	/* Memory in the middle of it, then a guard back over half of that memory. */
	CHECK_EQ(anon(G + 4 * PG, 4 * PG, MAP_FIXED), (long)(G + 4 * PG));
	*(volatile long *)(G + 4 * PG) = 11;
	*(volatile long *)(G + 7 * PG) = 12;
	CHECK_EQ(guard(G + 6 * PG, 2 * PG, MAP_FIXED), (long)(G + 6 * PG));
	CHECK_EQ(*(volatile long *)(G + 4 * PG), 11);
	relist();
	/* The new guard merges with the guard after it. */
	CHECK_EQ(vm_count_in(&l, G, G + 16 * PG), 3);
	e = vm_find(&l, G + 4 * PG);
	CHECK(e && e->start == G + 4 * PG && e->end == G + 6 * PG && e->flags == VM_ENT_ANON &&
	      e->resident_4k == 1);
	e = vm_find(&l, G + 6 * PG);
	CHECK(e && e->start == G + 6 * PG && e->end == G + 16 * PG && e->flags == VM_ENT_GUARD);
	CHECK_EQ(vm_check_map(), 0);

	/* EXCL guards: refused over anything, accepted on a hole. */
	CHECK_EQ(guard(G + 3 * PG, 2 * PG, MAP_FIXED | MAP_EXCL), -EEXIST);
	CHECK_EQ(raw_munmap(G, 16 * PG), 0);
	CHECK_EQ(guard(G, 16 * PG, MAP_FIXED | MAP_EXCL), (long)G);
	CHECK_EQ(raw_munmap(G, 16 * PG), 0);
	relist();
	CHECK_EQ(vm_count_in(&l, G, G + 16 * PG), 0);

	/* Placed like memory. */
	long s = guard(0, 4 * SUPER, MAP_ALIGNED_SUPER);
	CHECK(s > 0 && s % SUPER == 0);
	CHECK_EQ(raw_munmap((uint64_t)s, 4 * SUPER), 0);
	long t = guard(0, PG, MAP_ALIGNED(30));
	CHECK(t > 0 && t % (1l << 30) == 0);
	CHECK_EQ(raw_munmap((uint64_t)t, PG), 0);
	CHECK_EQ(vm_check_map(), 0);
}

int main(int argc, char **argv)
{
	if (argc >= 2) {
		for (size_t i = 0; i < NROLES; i++) {
			if (!strcmp(argv[1], roles[i].name)) {
				roles[i].fn();
				return 100; /* survived an access that must kill */
			}
		}
		return 101;
	}
	test_in_parent();
	for (size_t i = 0; i < NROLES; i++) {
		int st = run_self(argv[0], roles[i].name, NULL);
		if (!KILLED_BY_PF(st))
			printf("# role %s: status 0x%x, expected death by page fault\n",
			       roles[i].name, st);
		CHECK(KILLED_BY_PF(st));
	}
	return utest_result("mmap_guard");
}
