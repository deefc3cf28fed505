/*
 * MAP_FIXED replaces whatever was in the range (entries clipped, the old pages gone: the new
 * memory reads zero; the data around it stays), across entries, holes and guards.
 * MAP_FIXED|MAP_EXCL fails with EEXIST if any page of the range is mapped (a guard included),
 * replacing nothing, and maps like MAP_FIXED when the range is free. Alignment flags are not
 * applied to a fixed address.
 */
#include "vm_util.h"

static struct vm_listing l;

/* How many of the pages hold their vm_fill(tag) value (want) or zero (want_zero). */
static size_t count_pages(uint64_t a, size_t pages, uint64_t tag, bool zero)
{
	size_t k = 0;
	for (size_t i = 0; i < pages; i++)
		k += *(volatile uint64_t *)(a + i * PG) == (zero ? 0 : tag + i);
	return k;
}

static void relist(void)
{
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_list_all(0, &l), 0);
}

/* Whether the listing has exactly [s, e) with prot and flags. */
static bool has_entry(uint64_t s, uint64_t e, uint32_t prot, uint32_t flags)
{
	const struct vm_map_ent *x = vm_find(&l, s);
	return x && x->start == s && x->end == e && x->prot == prot && x->flags == flags;
}

int main(void)
{
	const uint32_t RW = PROT_READ | PROT_WRITE;

	/* A 32-page guard reservation G, its first 16 pages replaced by memory with a pattern. */
	long g = raw_mmap(0, 32 * PG, PROT_NONE, MAP_GUARD, -1, 0);
	CHECK(g > 0);
	uint64_t G = (uint64_t)g;
	CHECK_EQ(anon(G, 16 * PG, MAP_FIXED), g);
	vm_fill(G, 16, 1000);
	relist();
	CHECK(has_entry(G, G + 16 * PG, RW, VM_ENT_ANON));
	CHECK(has_entry(G + 16 * PG, G + 32 * PG, 0, VM_ENT_GUARD));
	size_t entries = l.n;

	/* EXCL over memory, over the guard, over both: EEXIST, nothing replaced. */
	CHECK_EQ(anon(G + 4 * PG, 2 * PG, MAP_FIXED | MAP_EXCL), -EEXIST);
	CHECK_EQ(anon(G + 20 * PG, 2 * PG, MAP_FIXED | MAP_EXCL), -EEXIST);
	CHECK_EQ(anon(G + 15 * PG, 2 * PG, MAP_FIXED | MAP_EXCL), -EEXIST);
	CHECK_EQ(raw_mmap(G + 4 * PG, PG, PROT_NONE, MAP_GUARD | MAP_FIXED | MAP_EXCL, -1, 0),
		 -EEXIST);
	CHECK_EQ(count_pages(G, 16, 1000, false), 16);
	relist();
	CHECK_EQ(l.n, entries);
	CHECK(has_entry(G, G + 16 * PG, RW, VM_ENT_ANON));
	CHECK_EQ(vm_find(&l, G)->resident_4k, 16);

	/* EXCL half over a hole, then exactly on it. */
	CHECK_EQ(raw_munmap(G + 16 * PG, 16 * PG), 0);
	CHECK_EQ(anon(G + 15 * PG, 2 * PG, MAP_FIXED | MAP_EXCL), -EEXIST);
	CHECK_EQ(anon(G + 16 * PG, 2 * PG, MAP_FIXED | MAP_EXCL), (long)(G + 16 * PG));
	CHECK_EQ(count_pages(G + 16 * PG, 2, 0, true), 2);
	CHECK_EQ(raw_munmap(G + 16 * PG, 2 * PG), 0);

	/* Plain MAP_FIXED replaces: [4, 6) becomes fresh read-only memory. */
	CHECK_EQ(raw_mmap(G + 4 * PG, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANON | MAP_FIXED, -1, 0),
		 (long)(G + 4 * PG));
	CHECK_EQ(count_pages(G, 4, 1000, false), 4);
	CHECK_EQ(count_pages(G + 4 * PG, 2, 0, true), 2);
	CHECK_EQ(count_pages(G + 6 * PG, 10, 1006, false), 10);
	relist();
	CHECK(has_entry(G, G + 4 * PG, RW, VM_ENT_ANON));
	CHECK(has_entry(G + 4 * PG, G + 6 * PG, PROT_READ, VM_ENT_ANON));
	CHECK(has_entry(G + 6 * PG, G + 16 * PG, RW, VM_ENT_ANON));
	CHECK_EQ(vm_find(&l, G)->resident_4k, 4);
	CHECK_EQ(vm_find(&l, G + 6 * PG)->resident_4k, 10);
	CHECK_EQ(vm_check_map(), 0);

	/* Over two entries, a hole and a guard: [2, 24) becomes one fresh entry. */
	CHECK_EQ(raw_mmap(G + 20 * PG, 4 * PG, PROT_NONE, MAP_GUARD | MAP_FIXED, -1, 0),
		 (long)(G + 20 * PG));
	CHECK_EQ(anon(G + 2 * PG, 22 * PG, MAP_FIXED), (long)(G + 2 * PG));
	CHECK_EQ(count_pages(G, 2, 1000, false), 2);
	CHECK_EQ(count_pages(G + 2 * PG, 22, 0, true), 22);
	relist();
	CHECK(has_entry(G, G + 2 * PG, RW, VM_ENT_ANON));
	CHECK(has_entry(G + 2 * PG, G + 24 * PG, RW, VM_ENT_ANON));
	CHECK_EQ(vm_count_in(&l, G, G + 32 * PG), 2);
	CHECK_EQ(vm_check_map(), 0);

	/* A fixed address need not satisfy MAP_ALIGNED (FreeBSD applies it to placement only). */
	CHECK_EQ(anon(G + 3 * PG, PG, MAP_FIXED | MAP_ALIGNED(30)), (long)(G + 3 * PG));
	CHECK_EQ(anon(G + 5 * PG, PG, MAP_FIXED | MAP_ALIGNED_SUPER), (long)(G + 5 * PG));

	/* Replacing memory gives its frames back. */
	long big = anon(0, 4 * MB, 0);
	CHECK(big > 0);
	vm_fill((uint64_t)big, 4 * MB / PG, 7);
	struct vm_stat s0, s1;
	memset(&s1, 0, sizeof(s1));
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s0), 0);
	CHECK_EQ(anon((uint64_t)big, 4 * MB, MAP_FIXED), big);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s1), 0);
	CHECK(s1.free_frames + 8 >= s0.free_frames + 4 * MB / PG);
	CHECK_EQ(s1.resident_4k + s1.resident_2m * 512 + 4 * MB / PG,
		 s0.resident_4k + s0.resident_2m * 512);

	CHECK_EQ(raw_munmap((uint64_t)big, 4 * MB), 0);
	CHECK_EQ(raw_munmap(G, 32 * PG), 0);
	relist();
	CHECK_EQ(vm_count_in(&l, G, G + 32 * PG), 0);
	CHECK_EQ(vm_check_map(), 0);
	return utest_result("mmap_fixed");
}
