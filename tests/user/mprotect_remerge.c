/*
 * The pieces of an anonymous mapping split by mprotect coalesce again when their protections
 * match, whether they were touched meanwhile or not (as FreeBSD: the split gives the untouched
 * mapping its object first, include/uapi/mman.h): vm_map_list shows one entry again, with the
 * data written into the pieces. Likewise a hole punched with munmap and mapped again. Each case
 * runs inside a guard reservation, so that no neighbour can merge with it, and gives every frame
 * back (counted around all three, after a first run has made the page tables they need).
 */
#include "vm_util.h"

#define RW (PROT_READ | PROT_WRITE)

static struct vm_listing l;

/* The listing's entries inside [a, a + 16 pages): exactly one, [a, a + 16 pages), RW, r4k resident. */
static void check_one_entry(uint64_t a, uint64_t r4k)
{
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_list_all(0, &l), 0);
	CHECK_EQ(vm_count_in(&l, a, a + 16 * PG), 1);
	const struct vm_map_ent *e = vm_find(&l, a);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ(e->start, a);
		CHECK_EQ(e->end, a + 16 * PG);
		CHECK_EQ(e->prot, RW);
		CHECK_EQ(e->flags, VM_ENT_ANON);
		CHECK_EQ(e->resident_4k, r4k);
	}
	CHECK_EQ(vm_check_map(), 0);
}

static uint64_t pieces(uint64_t a)
{
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_list_all(0, &l), 0);
	return vm_count_in(&l, a, a + 16 * PG);
}

/* 16 untouched pages in the middle of a guard reservation; the reservation's address. */
static uint64_t setup(uint64_t *a)
{
	long g = raw_mmap(0, 32 * PG, PROT_NONE, MAP_GUARD, -1, 0);
	CHECK(g > 0);
	*a = (uint64_t)g + 8 * PG;
	CHECK_EQ(anon(*a, 16 * PG, MAP_FIXED), (long)*a);
	return (uint64_t)g;
}

/* Split untouched, then touch the outer pieces only: the case. */
static void test_outer_pieces_touched(void)
{
	uint64_t a, g = setup(&a);
	CHECK_EQ(raw_mprotect(a + 4 * PG, 2 * PG, PROT_READ), 0);
	CHECK_EQ(pieces(a), 3);
	vm_fill(a, 1, 100);
	vm_fill(a + 10 * PG, 1, 200);
	CHECK_EQ(raw_mprotect(a + 4 * PG, 2 * PG, RW), 0);
	check_one_entry(a, 2);
	CHECK_EQ(*(volatile uint64_t *)a, 100);
	CHECK_EQ(*(volatile uint64_t *)(a + 10 * PG), 200);
	CHECK_EQ(raw_munmap(g, 32 * PG), 0);
}

/* Split untouched, touch only the read-only middle, and split again elsewhere. */
static void test_middle_touched(void)
{
	uint64_t a, g = setup(&a);
	CHECK_EQ(raw_mprotect(a + 4 * PG, 2 * PG, PROT_READ), 0);
	CHECK_EQ(raw_mprotect(a + 12 * PG, PG, PROT_NONE), 0);
	CHECK_EQ(pieces(a), 5);
	CHECK_EQ(*(volatile uint64_t *)(a + 5 * PG), 0);
	CHECK_EQ(raw_mprotect(a, 16 * PG, RW), 0);
	check_one_entry(a, 1);
	CHECK_EQ(raw_munmap(g, 32 * PG), 0);
}

/* A hole punched into untouched memory, both sides touched, the hole mapped again. */
static void test_hole_mapped_again(void)
{
	uint64_t a, g = setup(&a);
	CHECK_EQ(raw_munmap(a + 6 * PG, 2 * PG), 0);
	CHECK_EQ(pieces(a), 2);
	vm_fill(a + 5 * PG, 1, 300);
	vm_fill(a + 8 * PG, 1, 400);
	CHECK_EQ(anon(a + 6 * PG, 2 * PG, MAP_FIXED), (long)(a + 6 * PG));
	check_one_entry(a, 2);
	CHECK_EQ(*(volatile uint64_t *)(a + 6 * PG), 0);
	CHECK_EQ(*(volatile uint64_t *)(a + 5 * PG), 300);
	CHECK_EQ(*(volatile uint64_t *)(a + 8 * PG), 400);
	CHECK_EQ(raw_munmap(g, 32 * PG), 0);
}

int main(void)
{
	static struct vm_stat s0, s1;
	/* Once first, so that the page tables these addresses need exist before the count. */
	test_outer_pieces_touched();
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s0), 0);
	test_outer_pieces_touched();
	test_middle_touched();
	test_hole_mapped_again();
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s1), 0);
	CHECK_EQ(s1.free_frames, s0.free_frames);
	CHECK_EQ(s1.map_entries, s0.map_entries);
	CHECK_EQ(vm_check_map(), 0);
	return utest_result("mprotect_remerge");
}
