/*
 * The walk over an entry's resident pages (mm/vm_map_pages.h): every resident page of the range
 * once, in address order, with the pmap's view of it (a 2 MiB mapping, 4 KiB ones, none); ranges
 * clamped to the entry; vm_map_pages_skip past a 2 MiB mapping; nothing for an untouched entry or
 * an empty range. Then the walk's users in vm_map: removing whole 2 MiB pages and 4 KiB ones keeps
 * the resident counters exact (vm_map_check after every step).
 */
#include "mm/vm_map_pages.h"
#include "tests/host/vm_env.h"

#define K4 ((vm_size_t)0x1000)
#define M2 ((vm_size_t)0x200000)
#define RW (VM_PROT_READ | VM_PROT_WRITE)

/*
 * An entry of 2 MiB + 8 pages at a 2 MiB boundary: its first 2 MiB faulted as one 2 MiB page, and
 * pages 2 and 5 of the 8 after it as 4 KiB pages. The entry's start in *a.
 */
static vm_map_entry_t setup(struct ktest_state *kt, struct vm_env *v, vm_offset_t *a)
{
	*a = 8 * M2;
	vm_size_t size = 0;
	if (vm_map_find(v->map, NULL, 0, a, M2 + 8 * K4, 0, VMFS_NO_SPACE, RW, VM_PROT_ALL, 0) !=
		    KERN_SUCCESS ||
	    vm_fault(v->map, *a + 3 * K4, VM_PROT_WRITE) != KERN_SUCCESS ||
	    vm_fault(v->map, *a + M2 + 2 * K4, VM_PROT_WRITE) != KERN_SUCCESS ||
	    vm_fault(v->map, *a + M2 + 5 * K4, VM_PROT_READ) != KERN_SUCCESS ||
	    !pmap_query(v->pmap, *a, NULL, NULL, &size) || size != M2) {
		KT_FAIL("no 2 MiB page at 0x%llx", (unsigned long long)*a);
		return NULL;
	}
	return v->map->header.next;
}

/* Walk [s, e) of x, skipping the rest of each 2 MiB mapping if skip; the addresses seen in va[]. */
static size_t walk(struct ktest_state *kt, struct vm_env *v, vm_map_entry_t x, vm_offset_t s,
		   vm_offset_t e, bool skip, vm_offset_t *va, size_t max)
{
	struct vm_map_pages it;
	size_t n = 0;
	unsigned want = vm_map_mmu_flags(v->map, x->protection);
	vm_map_pages_init(&it, v->map, x, s, e);
	while (vm_map_pages_next(&it)) {
		EXPECT_TRUE(it.va >= x->start && it.va < x->end && it.va >= s && it.va < e);
		EXPECT_TRUE(n == 0 || it.va > va[n - 1]);
		EXPECT_EQ(it.size, it.va < x->start + M2 ? M2 : K4);
		EXPECT_EQ(it.pa, vm_page_to_phys(it.page));
		EXPECT_EQ(it.flags, want);
		if (n < max)
			va[n] = it.va;
		n++;
		if (skip && it.size == M2)
			vm_map_pages_skip(&it, (it.va & ~(M2 - 1)) + M2);
	}
	return n;
}

KTEST(vm_map_pages, every_resident_page_once_in_order)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a, va[600];
	vm_map_entry_t x = setup(kt, &v, &a);
	ASSERT_NONNULL(x);
	vm_map_lock_read(v.map);
	EXPECT_EQ(walk(kt, &v, x, x->start, x->end, false, va, 600), 512 + 2);
	EXPECT_EQ(va[0], a);
	EXPECT_EQ(va[511], a + M2 - K4);
	EXPECT_EQ(va[512], a + M2 + 2 * K4);
	EXPECT_EQ(va[513], a + M2 + 5 * K4);
	/* Skipping the rest of the 2 MiB mapping: one visit for it. */
	EXPECT_EQ(walk(kt, &v, x, x->start, x->end, true, va, 600), 1 + 2);
	EXPECT_EQ(va[1], a + M2 + 2 * K4);
	/* Clamped to the entry, and to the range. */
	EXPECT_EQ(walk(kt, &v, x, 0, ~(vm_offset_t)0 & ~(K4 - 1), true, va, 600), 3);
	EXPECT_EQ(walk(kt, &v, x, a + 3 * K4, a + 5 * K4, false, va, 600), 2);
	EXPECT_EQ(va[0], a + 3 * K4);
	EXPECT_EQ(walk(kt, &v, x, a + M2 + 3 * K4, a + M2 + 6 * K4, false, va, 600), 1);
	EXPECT_EQ(va[0], a + M2 + 5 * K4);
	EXPECT_EQ(walk(kt, &v, x, a + M2 + 6 * K4, a + M2 + 3 * K4, false, va, 600), 0);
	EXPECT_EQ(walk(kt, &v, x, a + M2 + 3 * K4, a + M2 + 3 * K4, false, va, 600), 0);
	vm_map_unlock_read(v.map);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

KTEST(vm_map_pages, skip_past_the_end_and_untouched_entries)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a, b = 64 * M2;
	vm_map_entry_t x = setup(kt, &v, &a);
	ASSERT_NONNULL(x);
	ASSERT_EQ(vm_map_find(v.map, NULL, 0, &b, 16 * K4, 0, VMFS_NO_SPACE, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	vm_map_lock_read(v.map);
	struct vm_map_pages it;
	vm_map_pages_init(&it, v.map, x, x->start, x->end);
	EXPECT_TRUE(vm_map_pages_next(&it));
	vm_map_pages_skip(&it, x->end + M2);
	EXPECT_FALSE(vm_map_pages_next(&it));
	vm_map_entry_t y = x->next;
	EXPECT_EQ(y->start, b);
	EXPECT_NULL(y->object);
	vm_map_pages_init(&it, v.map, y, y->start, y->end);
	EXPECT_FALSE(vm_map_pages_next(&it));
	vm_map_unlock_read(v.map);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

/* vm_map's unmap counts what goes through the walk: whole 2 MiB pages once, 4 KiB pages each. */
KTEST(vm_map_pages, removals_keep_the_counters_exact)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a;
	ASSERT_NONNULL(setup(kt, &v, &a));
	struct vm_map_stats st;
	vm_map_get_stats(v.map, &st);
	EXPECT_EQ(st.resident_2m, 1);
	EXPECT_EQ(st.resident_4k, 2);
	EXPECT_EQ(vm_map_remove(v.map, a, a + M2), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	vm_map_get_stats(v.map, &st);
	EXPECT_EQ(st.resident_2m, 0);
	EXPECT_EQ(st.resident_4k, 2);
	EXPECT_EQ(vm_map_protect(v.map, a + M2, a + M2 + 8 * K4, VM_PROT_NONE, 0,
				 VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	vm_map_get_stats(v.map, &st);
	EXPECT_EQ(st.resident_4k, 0);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}
