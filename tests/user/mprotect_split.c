/*
 * mprotect on any page-aligned range: splitting an entry in three (exact bounds and protections
 * in the listing), merging back when the protection is restored, PROT_NONE and back keeping the
 * data, a 2 MiB page split by a 4 KiB change, a length rounded up, holes and guards skipped.
 * EACCES beyond max_protection (the program's text and data, the stack), with nothing changed
 * even where the rest of the range would have allowed it. EINVAL for unknown bits, unaligned or
 * wrapping or out-of-range addresses; length 0 succeeds. In children: writing read-only memory,
 * reading PROT_NONE memory and executing non-executable memory kill; executing memory made
 * executable works.
 */
#include "vm_util.h"

static struct vm_listing l, l2;
static volatile long sink;

#define RW (PROT_READ | PROT_WRITE)

static void relist(void)
{
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_list_all(0, &l), 0);
}

static bool has_entry(uint64_t s, uint64_t e, uint32_t prot, uint64_t r4k)
{
	const struct vm_map_ent *x = vm_find(&l, s);
	return x && x->start == s && x->end == e && x->prot == prot && x->max_prot == 7 &&
	       x->resident_4k == r4k;
}

static void test_split_and_merge(void)
{
	long g = raw_mmap(0, 32 * PG, PROT_NONE, MAP_GUARD, -1, 0);
	CHECK(g > 0);
	uint64_t G = (uint64_t)g, A = G + 8 * PG;
	CHECK_EQ(anon(A, 16 * PG, MAP_FIXED), (long)A);
	vm_fill(A, 16, 300);

	CHECK_EQ(raw_mprotect(A + 4 * PG, 2 * PG, PROT_READ), 0);
	relist();
	CHECK(has_entry(A, A + 4 * PG, RW, 4));
	CHECK(has_entry(A + 4 * PG, A + 6 * PG, PROT_READ, 2));
	CHECK(has_entry(A + 6 * PG, A + 16 * PG, RW, 10));
	CHECK_EQ(vm_intact(A, 0, 16, 300), 16);

	/* Back to read+write: one entry again. */
	CHECK_EQ(raw_mprotect(A + 4 * PG, 2 * PG, RW), 0);
	relist();
	CHECK(has_entry(A, A + 16 * PG, RW, 16));
	CHECK_EQ(vm_count_in(&l, A, A + 16 * PG), 1);

	/* PROT_NONE unmaps the pages but keeps the data. */
	CHECK_EQ(raw_mprotect(A, 16 * PG, PROT_NONE), 0);
	relist();
	CHECK(has_entry(A, A + 16 * PG, PROT_NONE, 0));
	CHECK_EQ(raw_mprotect(A, 16 * PG, RW), 0);
	CHECK_EQ(vm_intact(A, 0, 16, 300), 16);
	relist();
	CHECK(has_entry(A, A + 16 * PG, RW, 16));

	/* A byte is a page; a range over guards and holes changes only the memory. */
	CHECK_EQ(raw_mprotect(A + 15 * PG, 1, PROT_READ), 0);
	relist();
	CHECK(has_entry(A + 15 * PG, A + 16 * PG, PROT_READ, 1));
	CHECK_EQ(raw_munmap(A + 8 * PG, PG), 0);
	CHECK_EQ(raw_mprotect(G, 32 * PG, PROT_READ | PROT_EXEC), 0);
	relist();
	CHECK(has_entry(A, A + 8 * PG, PROT_READ | PROT_EXEC, 8));
	CHECK(has_entry(A + 9 * PG, A + 16 * PG, PROT_READ | PROT_EXEC, 7));
	const struct vm_map_ent *e = vm_find(&l, G);
	CHECK(e && e->flags == VM_ENT_GUARD && e->prot == 0 && e->end == A);
	e = vm_find(&l, A + 16 * PG);
	CHECK(e && e->flags == VM_ENT_GUARD && e->prot == 0 && e->end == G + 32 * PG);
	CHECK_EQ(vm_intact(A, 0, 8, 300) + vm_intact(A, 9, 16, 300), 15);
	CHECK_EQ(vm_check_map(), 0);
	CHECK_EQ(raw_munmap(G, 32 * PG), 0);
}

static void test_superpage(void)
{
	struct vm_stat s0, s1;
	long a = anon(0, SUPER, MAP_ALIGNED_SUPER);
	CHECK(a > 0 && a % SUPER == 0);
	if (a <= 0)
		return;
	uint64_t S = (uint64_t)a;
	vm_fill(S, SUPER / PG, 77);
	memset(&s1, 0, sizeof(s1));
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s0), 0);
	CHECK_EQ(raw_mprotect(S + 100 * PG, PG, PROT_READ), 0);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s1), 0);
	CHECK_EQ(s1.resident_2m, s0.resident_2m - 1);
	CHECK_EQ(s1.resident_4k, s0.resident_4k + 512);
	relist();
	CHECK(has_entry(S, S + 100 * PG, RW, 100));
	CHECK(has_entry(S + 100 * PG, S + 101 * PG, PROT_READ, 1));
	CHECK(has_entry(S + 101 * PG, S + SUPER, RW, 411));
	*(volatile uint64_t *)(S + 99 * PG) = 77 + 99;
	*(volatile uint64_t *)(S + 101 * PG) = 77 + 101;
	CHECK_EQ(vm_intact(S, 0, SUPER / PG, 77), SUPER / PG);
	CHECK_EQ(vm_check_map(), 0);
	CHECK_EQ(raw_munmap(S, SUPER), 0);
}

static void test_errors(void)
{
	const struct vm_map_ent *text = NULL, *data = NULL;

	relist();
	for (size_t i = 0; i < l.n; i++) {
		if (l.e[i].flags == VM_ENT_IMAGE && (l.e[i].prot & PROT_EXEC))
			text = &l.e[i];
		else if (l.e[i].flags == VM_ENT_IMAGE)
			data = &l.e[i];
	}
	CHECK(text && data && text->end <= data->start);
	if (!text || !data)
		return;
	uint64_t ts = text->start, te = text->end, ds = data->start, de = data->end;
	uint64_t stack_start = 0, stack_end = 0;
	CHECK(vm_stack_range(&stack_start, &stack_end));
	uint64_t stack = stack_end - PG;
	long a = anon(0, 4 * PG, 0);
	CHECK(a > 0);

	memset(&l2, 0, sizeof(l2));
	relist();
	CHECK_EQ(raw_mprotect(ts, te - ts, PROT_READ | PROT_WRITE), -EACCES);
	CHECK_EQ(raw_mprotect(ts, te - ts, PROT_READ | PROT_EXEC | PROT_WRITE), -EACCES);
	CHECK_EQ(raw_mprotect(ds, de - ds, PROT_READ | PROT_WRITE | PROT_EXEC), -EACCES);
	CHECK_EQ(raw_mprotect(ts, de - ts, PROT_READ | PROT_WRITE),
		 -EACCES); /* data would allow it */
	CHECK_EQ(raw_mprotect(stack, PG, PROT_EXEC), -EACCES);
	CHECK_EQ(raw_mprotect((uint64_t)a, 4 * PG, 8), -EINVAL);
	CHECK_EQ(raw_mprotect((uint64_t)a, 4 * PG, -1), -EINVAL);
	CHECK_EQ(raw_mprotect((uint64_t)a, 4 * PG, 0x10 | PROT_READ), -EINVAL);
	CHECK_EQ(raw_mprotect((uint64_t)a + 1, PG, PROT_READ), -EINVAL);
	CHECK_EQ(raw_mprotect((uint64_t)a + 2048, PG, PROT_READ), -EINVAL);
	CHECK_EQ(raw_mprotect((uint64_t)a, ~0ul, PROT_READ), -EINVAL);
	CHECK_EQ(raw_mprotect((uint64_t)a, -PG, PROT_READ), -EINVAL);
	CHECK_EQ(raw_mprotect((uint64_t)a, 1ul << 47, PROT_READ), -EINVAL);
	CHECK_EQ(raw_mprotect(0, PG, PROT_READ), -EINVAL);
	CHECK_EQ(raw_mprotect(USER_TOP, PG, PROT_READ), -EINVAL);
	CHECK_EQ(raw_mprotect(USER_TOP - PG, 2 * PG, PROT_READ), -EINVAL);
	CHECK_EQ(raw_mprotect(KERNEL_TEXT, PG, PROT_READ), -EINVAL);
	CHECK_EQ(raw_mprotect(DIRECT_MAP, 1ul << 30, PROT_NONE), -EINVAL);
	CHECK_EQ(raw_mprotect(~0ul - PG + 1, PG, PROT_READ), -EINVAL);
	CHECK_EQ(raw_mprotect((uint64_t)a, 0, PROT_NONE), 0);
	CHECK_EQ(raw_mprotect((uint64_t)a, 0, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
	CHECK_EQ(vm_list_all(0, &l2), 0);
	CHECK(l2.n == l.n && !memcmp(l2.e, l.e, l.n * sizeof(l.e[0])));
	CHECK_EQ(raw_munmap((uint64_t)a, 4 * PG), 0);
}

/* Children: each returns 100 if it survived an access that must kill. */
static int role(const char *name)
{
	long a = anon(0, 4 * PG, 0);
	volatile uint8_t *p = (volatile uint8_t *)vm_opaque((uintptr_t)a);

	p[0] = 0xc3; /* ret */
	p[PG] = 1;
	if (!strcmp(name, "write_readonly")) {
		long r = raw_mmap(0, PG, PROT_READ, MAP_PRIVATE | MAP_ANON, -1, 0);
		*(volatile long *)vm_opaque((uintptr_t)r) = 1;
	} else if (!strcmp(name, "write_after_mprotect")) {
		raw_mprotect((uint64_t)a + PG, PG, PROT_READ);
		sink = p[PG];
		p[PG] = 2;
	} else if (!strcmp(name, "read_none")) {
		raw_mprotect((uint64_t)a, 4 * PG, PROT_NONE);
		sink = p[PG];
	} else if (!strcmp(name, "exec_noexec")) {
		((void (*)(void))vm_opaque((uintptr_t)a))();
	} else if (!strcmp(name, "exec_after_mprotect")) {
		if (raw_mprotect((uint64_t)a, PG, PROT_READ | PROT_EXEC))
			return 2;
		((void (*)(void))vm_opaque((uintptr_t)a))();
		return 0; /* expected to come back */
	} else if (!strcmp(name, "write_text")) {
		*(volatile uint8_t *)vm_opaque((uintptr_t)role) = 0xc3;
	} else {
		return 101;
	}
	return 100;
}

int main(int argc, char **argv)
{
	static const char *const killers[] = {"write_readonly", "write_after_mprotect", "read_none",
					      "exec_noexec", "write_text"};

	if (argc >= 2)
		return role(argv[1]);
	test_split_and_merge();
	test_superpage();
	test_errors();
	for (size_t i = 0; i < sizeof(killers) / sizeof(killers[0]); i++) {
		int st = run_self(argv[0], killers[i], NULL);
		if (!KILLED_BY_PF(st))
			printf("# role %s: status 0x%x, expected death by page fault\n", killers[i],
			       st);
		CHECK(KILLED_BY_PF(st));
	}
	int st = run_self(argv[0], "exec_after_mprotect", NULL);
	CHECK_EQ(st, 0);
	return utest_result("mprotect_split");
}
