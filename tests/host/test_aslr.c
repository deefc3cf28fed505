/*
 * ASLR's layouts (mm/aslr.c): the extremes of both ranges, the fixed layout with randomisation
 * off, fresh draws that stay in range and aligned with every one of the claimed entropy bits
 * varying, a map's first fit starting at its anon_loc, and vm_map_check's M8 (anon_loc inside the
 * map).
 */
#include "kernel/ktest.h"
#include "mm/aslr.h"
#include "mm/memlayout.h"
#include "mm/vm_map.h"

#define DRAWS 256

KTEST(aslr, extremes_of_the_ranges)
{
	struct aslr_layout lo = aslr_layout_from(true, 0, 0),
			   hi = aslr_layout_from(true, ~0ull, ~0ull);

	EXPECT_EQ(lo.mmap_base, ASLR_MMAP_BASE_MIN);
	EXPECT_EQ(lo.stack_top, ASLR_STACK_TOP_MAX);
	EXPECT_EQ(hi.mmap_base, ASLR_MMAP_BASE_MAX);
	EXPECT_EQ(hi.stack_top, ASLR_STACK_TOP_MIN);
	/* Bits above the entropy are ignored. */
	struct aslr_layout wrap =
		aslr_layout_from(true, 1ull << ASLR_MMAP_BITS, 1ull << ASLR_STACK_BITS);
	EXPECT_EQ(wrap.mmap_base, ASLR_MMAP_BASE_MIN);
	EXPECT_EQ(wrap.stack_top, ASLR_STACK_TOP_MAX);
	/* The highest stack stays below the trampoline page, the lowest one's guard above the image limit. */
	EXPECT_LE(lo.stack_top, (vm_offset_t)USER_CB_TRAMPOLINE);
	EXPECT_GE(hi.stack_top - USER_STACK_SIZE - USER_STACK_GUARD, (vm_offset_t)USER_IMAGE_LIMIT);
	EXPECT_LT(hi.mmap_base, (vm_offset_t)USER_IMAGE_LIMIT);
	/* 2^bits steps: the ranges are as wide as the entropy says. */
	EXPECT_EQ((ASLR_MMAP_BASE_MAX - ASLR_MMAP_BASE_MIN) / ASLR_MMAP_STEP + 1,
		  1ull << ASLR_MMAP_BITS);
	EXPECT_EQ((ASLR_STACK_TOP_MAX - ASLR_STACK_TOP_MIN) / ASLR_STACK_STEP + 1,
		  1ull << ASLR_STACK_BITS);
}

KTEST(aslr, off_is_the_fixed_layout)
{
	struct aslr_layout f = aslr_layout_from(false, 0x123456789abcdefull, ~0ull);

	EXPECT_EQ(f.mmap_base, USER_MIN);
	EXPECT_EQ(f.stack_top, USER_MAX);
	EXPECT_TRUE(aslr_enabled()); /* the default */
	EXPECT_TRUE(aslr_set_enabled(false));
	EXPECT_FALSE(aslr_enabled());
	struct aslr_layout a = aslr_layout_new(), b = aslr_layout_new();
	EXPECT_FALSE(aslr_set_enabled(true));
	EXPECT_TRUE(aslr_enabled());
	EXPECT_EQ(a.mmap_base, USER_MIN);
	EXPECT_EQ(a.stack_top, USER_MAX);
	EXPECT_EQ(b.mmap_base, a.mmap_base);
	EXPECT_EQ(b.stack_top, a.stack_top);
}

/*
 * Every draw is in range and aligned; across DRAWS draws each entropy bit is seen both 0 and 1
 * (a bit stuck by a wrong mask fails; a fair bit stays constant with probability 2^-255).
 */
KTEST(aslr, draws_use_every_bit)
{
	uint64_t mmap_or = 0, mmap_and = ~0ull, stack_or = 0, stack_and = ~0ull;
	unsigned same = 0;
	struct aslr_layout prev = {0};

	for (int i = 0; i < DRAWS; i++) {
		struct aslr_layout l = aslr_layout_new();
		ASSERT_GE(l.mmap_base, ASLR_MMAP_BASE_MIN);
		ASSERT_LE(l.mmap_base, ASLR_MMAP_BASE_MAX);
		ASSERT_EQ(l.mmap_base % SUPERPAGE_SIZE, 0);
		ASSERT_GE(l.stack_top, ASLR_STACK_TOP_MIN);
		ASSERT_LE(l.stack_top, ASLR_STACK_TOP_MAX);
		ASSERT_EQ(l.stack_top % PAGE_SIZE, 0);
		uint64_t m = (l.mmap_base - ASLR_MMAP_BASE_MIN) / ASLR_MMAP_STEP;
		uint64_t s = (ASLR_STACK_TOP_MAX - l.stack_top) / ASLR_STACK_STEP;
		mmap_or |= m;
		mmap_and &= m;
		stack_or |= s;
		stack_and &= s;
		same += l.mmap_base == prev.mmap_base || l.stack_top == prev.stack_top;
		prev = l;
	}
	EXPECT_EQ(mmap_or, (1ull << ASLR_MMAP_BITS) - 1);
	EXPECT_EQ(mmap_and, 0);
	EXPECT_EQ(stack_or, (1ull << ASLR_STACK_BITS) - 1);
	EXPECT_EQ(stack_and, 0);
	EXPECT_LE(same, 1);
}

static int check(vm_map_t map)
{
	vm_map_lock_read(map);
	int rc = vm_map_check(map);
	vm_map_unlock_read(map);
	return rc;
}

/* What mmap does with no hint (kernel/vm_syscalls.c): the first fit from anon_loc. */
KTEST(aslr, first_fit_starts_at_anon_loc)
{
	vm_map_t map = vm_map_create(NULL, USER_MIN, USER_MAX);
	ASSERT_NONNULL(map);
	EXPECT_EQ(map->anon_loc, USER_MIN);
	struct aslr_layout l = aslr_layout_from(true, 12345, 678);
	map->anon_loc = l.mmap_base;

	vm_offset_t a = map->anon_loc, b = map->anon_loc;
	EXPECT_EQ(vm_map_find(map, NULL, 0, &a, 3 * PAGE_SIZE, 0, VMFS_OPTIMAL_SPACE, VM_PROT_READ,
			      VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(a, l.mmap_base);
	EXPECT_EQ(vm_map_find(map, NULL, 0, &b, SUPERPAGE_SIZE, 0, VMFS_SUPER_SPACE, VM_PROT_READ,
			      VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(b, l.mmap_base + SUPERPAGE_SIZE);
	EXPECT_EQ(check(map), 0);

	/* M8: the checker notices an anon_loc outside the map. */
	map->anon_loc = vm_map_max(map);
	EXPECT_EQ(check(map), VM_MAP_CHECK_BOUNDS);
	map->anon_loc = 0;
	EXPECT_EQ(check(map), VM_MAP_CHECK_BOUNDS);
	map->anon_loc = l.mmap_base;
	EXPECT_EQ(check(map), 0);
	vm_map_destroy(map);
}
