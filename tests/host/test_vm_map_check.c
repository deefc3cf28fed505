/*
 * vm_map_check must catch a 2 MiB mapping that is not wholly backed by its entries' object pages:
 * one that reaches past the entries into a gap, or one over an object page that was freed. Both
 * are use-after-free states that the resident counters alone cannot see (the mapping is counted
 * once at its base either way). Each test builds a legal map, breaks it behind vm_map's back, and
 * expects M7; then it repairs the state so that every frame comes back. And the resident
 * counters it checks are the sums of the map's per-CPU slots, every slot counted.
 */
#include "kernel/ktest.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "mm/vm_map.h"

#define K4 ((vm_size_t)0x1000)
#define M2 ((vm_size_t)0x200000)
#define RW (VM_PROT_READ | VM_PROT_WRITE)

static size_t settled_free(void)
{
	kmem_reap();
	return pmm_free_count();
}

static int check(vm_map_t map)
{
	vm_map_lock_read(map);
	int rc = vm_map_check(map);
	vm_map_unlock_read(map);
	return rc;
}

static void warm_up(void)
{
	pmap_kernel();
	vm_map_destroy(vm_map_create(NULL, USER_MIN, USER_MAX));
	vm_object_deallocate(vm_object_allocate(K4));
}

/* Every test's map: a 2 MiB page faulted in at VA over a fresh pmap, and the free count before. */
#define VA ((vm_offset_t)0x40000000)
struct fixture {
	pmap_t pm;
	vm_map_t map;
	vm_paddr_t pa; /* the 2 MiB page's frame */
	size_t before; /* settled free frames before the map was made */
};

static bool setup(struct ktest_state *kt, struct fixture *f)
{
	warm_up();
	f->before = settled_free();
	f->pm = pmap_create();
	f->map = f->pm ? vm_map_create(f->pm, USER_MIN, USER_MAX) : NULL;
	if (!f->map) {
		KT_FAIL("pmap_create or vm_map_create failed");
		return false;
	}
	vm_offset_t at = VA;
	vm_size_t size = 0;
	if (vm_map_find(f->map, NULL, 0, &at, M2, 0, VMFS_NO_SPACE, RW, VM_PROT_ALL, 0) !=
		    KERN_SUCCESS ||
	    vm_fault(f->map, VA, VM_PROT_WRITE) != KERN_SUCCESS ||
	    !pmap_query(f->pm, VA, &f->pa, NULL, &size) || size != M2) {
		KT_FAIL("no 2 MiB page at 0x%llx", (unsigned long long)VA);
		vm_map_destroy(f->map);
		pmap_destroy(f->pm);
		return false;
	}
	return true;
}

/* The map checks, goes, leaves one page-table page, and every frame comes back. */
static void teardown(struct ktest_state *kt, struct fixture *f)
{
	EXPECT_EQ(check(f->map), 0);
	vm_map_destroy(f->map);
	EXPECT_EQ(pmap_pt_pages(f->pm), 1);
	pmap_destroy(f->pm);
	EXPECT_EQ(settled_free(), f->before);
}

KTEST(vm_map_check, superpage_reaching_into_a_gap)
{
	struct fixture f;
	ASSERT_TRUE(setup(kt, &f));
	vm_map_t map = f.map;
	pmap_t pm = f.pm;
	vm_offset_t a = VA;

	/* Legal: the upper half goes, the lower half stays as 256 4 KiB pages. */
	ASSERT_EQ(vm_map_remove(map, a + M2 / 2, a + M2), KERN_SUCCESS);
	ASSERT_EQ(check(map), 0);

	/* Broken: the whole 2 MiB mapped again, its upper half over freed frames in the gap. */
	ASSERT_EQ(pmap_remove(pm, a, M2 / 2), 0);
	ASSERT_EQ(pmap_enter(pm, a, f.pa, M2, vm_map_mmu_flags(map, RW)), 0);
	map->cpu[0].s.resident_4k -= 256;
	map->cpu[0].s.resident_2m += 1;
	EXPECT_EQ(check(map), VM_MAP_CHECK_PMAP);

	/* Repair: nothing mapped in the entry is fine (its pages fault back). */
	ASSERT_EQ(pmap_remove(pm, a, M2), 0);
	map->cpu[0].s.resident_2m -= 1;
	teardown(kt, &f);
}

KTEST(vm_map_check, superpage_over_a_freed_object_page)
{
	struct fixture f;
	ASSERT_TRUE(setup(kt, &f));
	vm_map_t map = f.map;
	pmap_t pm = f.pm;
	vm_offset_t a = VA;
	ASSERT_EQ(check(map), 0);

	/* Broken: one page of the 2 MiB page leaves the object (and goes back to pmm), still mapped. */
	vm_map_entry_t e;
	vm_map_lock_read(map);
	ASSERT_TRUE(vm_map_lookup_entry(map, a, &e));
	vm_object_t obj = e->object;
	uint64_t idx = (e->offset >> PAGE_SHIFT) + 300;
	vm_map_unlock_read(map);
	ASSERT_NONNULL(obj);
	vm_object_lock(obj);
	EXPECT_EQ(vm_object_page_remove(obj, idx, idx + 1), 1);
	vm_object_unlock(obj);
	EXPECT_EQ(check(map), VM_MAP_CHECK_PMAP);

	ASSERT_EQ(pmap_remove(pm, a, M2), 0);
	map->cpu[0].s.resident_2m -= 1;
	teardown(kt, &f);
}

/* A 2 MiB mapping that two entries of the same object share after a clip is legal. */
KTEST(vm_map_check, superpage_shared_by_clipped_entries_is_fine)
{
	struct fixture f;
	ASSERT_TRUE(setup(kt, &f));
	vm_map_t map = f.map;
	pmap_t pm = f.pm;
	vm_offset_t a = VA;
	/* Only max_protection changes: the entry is clipped, the mapping's flags stay, no split. */
	ASSERT_EQ(vm_map_protect(map, a + M2 / 2, a + M2, 0, RW, VM_MAP_PROTECT_SET_MAXPROT),
		  KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 2);
	vm_size_t size = 0;
	ASSERT_TRUE(pmap_query(pm, a + M2 - K4, NULL, NULL, &size));
	EXPECT_EQ(size, M2);
	EXPECT_EQ(check(map), 0);
	teardown(kt, &f);
}

/*
 * The counters are kept in per-CPU slots (vm_map.h): a count that moves between slots (mapped on
 * one CPU, unmapped on another) leaves the sums, and so the check, as they were; a delta in any one
 * slot, the last included, shows.
 */
KTEST(vm_map_check, counters_are_the_sums_of_every_slot)
{
	struct fixture f;
	ASSERT_TRUE(setup(kt, &f));
	vm_map_t map = f.map;
	pmap_t pm = f.pm;
	vm_offset_t a = VA;
	const int last = VM_MAP_CPU_SLOTS - 1;

	map->cpu[0].s.resident_2m -= 1;
	map->cpu[last].s.resident_2m += 1;
	map->cpu[2].s.resident_4k -= 3;
	map->cpu[last].s.resident_4k += 3;
	EXPECT_EQ(vm_map_stats_now(map).resident_2m, 1);
	EXPECT_EQ(vm_map_stats_now(map).resident_4k, 0);
	EXPECT_EQ(check(map), 0);

	map->cpu[last].s.resident_4k += 1;
	EXPECT_EQ(check(map), VM_MAP_CHECK_PMAP);
	map->cpu[last].s.resident_4k -= 1;
	EXPECT_EQ(check(map), 0);

	ASSERT_EQ(pmap_remove(pm, a, M2), 0);
	map->cpu[last].s.resident_2m -= 1;
	teardown(kt, &f);
}

/*
 * The per-CPU lookup hints (M10): a lookup leaves the entry it found in the CPU's slot and the
 * next lookup inside it returns it; removing the entry clears the hint; a hint naming anything
 * but a listed entry fails the check, in any slot.
 */
KTEST(vm_map_check, lookup_hints_name_listed_entries)
{
	struct fixture f;
	ASSERT_TRUE(setup(kt, &f));
	vm_map_t map = f.map;
	vm_map_entry_t e, again;
	vm_offset_t extra = VA + 4 * M2;

	ASSERT_EQ(vm_map_find(map, NULL, 0, &extra, K4, 0, VMFS_NO_SPACE, RW, RW, 0), KERN_SUCCESS);
	vm_map_lock_read(map);
	EXPECT_TRUE(vm_map_lookup_entry(map, extra, &e));
	EXPECT_TRUE(vm_map_lookup_entry(map, extra + K4 - 1, &again));
	EXPECT_FALSE(vm_map_lookup_entry(map, extra + K4, &again));
	vm_map_unlock_read(map);
	EXPECT_EQ((uintptr_t)again, (uintptr_t)e);
	bool hinted = false;
	for (int i = 0; i < VM_MAP_CPU_SLOTS; i++)
		hinted |= map->cpu[i].hint == e;
	EXPECT_TRUE(hinted);
	EXPECT_EQ(check(map), 0);
	ASSERT_EQ(vm_map_remove(map, extra, extra + K4), KERN_SUCCESS);
	for (int i = 0; i < VM_MAP_CPU_SLOTS; i++)
		EXPECT_NULL(map->cpu[i].hint);
	EXPECT_EQ(check(map), 0);

	struct vm_map_entry stray = {.start = extra, .end = extra + K4};
	map->cpu[VM_MAP_CPU_SLOTS - 1].hint = &stray;
	EXPECT_EQ(check(map), VM_MAP_CHECK_HINT);
	map->cpu[VM_MAP_CPU_SLOTS - 1].hint = NULL;
	EXPECT_EQ(check(map), 0);
	teardown(kt, &f);
}
