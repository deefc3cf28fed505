/*
 * What madvise asks of the map (mm/vm_map.h): vm_map_release_pages gives back the pages of a range
 * (resident counts, the object's pages and the pmap agree afterwards: vm_map_check after every
 * operation), splitting a 2 MiB page only where the range does not cover it, skipping guards,
 * holes and untouched memory, leaving the entries as they were; the next touch finds zeros.
 * vm_fault_range faults a range in, 2 MiB pages where vm_fault would make them, skipping guards,
 * holes and PROT_NONE entries. Every frame comes back at the end.
 */
#include "mm/pmm.h"
#include "tests/host/vm_env.h"

#define K4 ((vm_size_t)0x1000)
#define M2 ((vm_size_t)0x200000)
#define RW (VM_PROT_READ | VM_PROT_WRITE)

static unsigned char *byte_at(struct ktest_state *kt, struct vm_env *v, vm_offset_t va)
{
	vm_paddr_t pa;
	if (vm_fault(v->map, va, VM_PROT_WRITE) != KERN_SUCCESS ||
	    !pmap_query(v->pmap, va, &pa, NULL, NULL)) {
		KT_FAIL("0x%llx cannot be written", (unsigned long long)va);
		static unsigned char dummy;
		return &dummy;
	}
	return (unsigned char *)phys_to_virt(pa);
}

static int release(struct vm_env *v, vm_offset_t s, vm_offset_t e)
{
	vm_map_lock(v->map);
	int rc = vm_map_release_pages(v->map, s, e);
	vm_map_unlock(v->map);
	return rc;
}

static int prefault(struct vm_env *v, vm_offset_t s, vm_offset_t e)
{
	vm_map_lock_read(v->map);
	int rc = vm_fault_range(v->map, s, e);
	vm_map_unlock_read(v->map);
	return rc;
}

KTEST(vm_map_madvise, release_4k_pages)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = M2;
	ASSERT_EQ(vm_map_find(v.map, NULL, 0, &a, 16 * K4, 0, VMFS_ANY_SPACE, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	for (unsigned i = 0; i < 16; i++)
		*byte_at(kt, &v, a + i * K4) = (unsigned char)(i + 1);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_4k, 16);
	EXPECT_EQ(release(&v, a + 4 * K4, a + 8 * K4), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_4k, 12);
	EXPECT_EQ(v.map->nentries, 1);
	for (unsigned i = 0; i < 16; i++)
		EXPECT_EQ(*byte_at(kt, &v, a + i * K4), i >= 4 && i < 8 ? 0 : i + 1);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(release(&v, a + 1, a + K4), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(release(&v, a + K4, a), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(release(&v, 0, USER_MAX), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_4k, 0);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

KTEST(vm_map_madvise, superpage_split_only_where_not_covered)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = M2;
	ASSERT_EQ(vm_map_find(v.map, NULL, 0, &a, 2 * M2, 0, VMFS_SUPER_SPACE, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	ASSERT_EQ(prefault(&v, a, a + 2 * M2), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_2m, 2);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_4k, 0);
	*byte_at(kt, &v, a + 3 * K4) = 9;
	*byte_at(kt, &v, a + 20 * K4) = 8;
	*byte_at(kt, &v, a + 11 * K4) = 7;
	EXPECT_EQ(release(&v, a + 10 * K4, a + 12 * K4), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_2m, 1);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_4k, 510);
	EXPECT_EQ(*byte_at(kt, &v, a + 3 * K4), 9);
	EXPECT_EQ(*byte_at(kt, &v, a + 20 * K4), 8);
	EXPECT_EQ(*byte_at(kt, &v, a + 11 * K4), 0);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(release(&v, a + 11 * K4, a + 12 * K4), KERN_SUCCESS);
	EXPECT_EQ(release(&v, a + M2, a + 2 * M2), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_2m, 0);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_4k, 510);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

KTEST(vm_map_madvise, skips_guards_holes_and_prot_none)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = M2;
	vm_map_lock(v.map);
	ASSERT_EQ(vm_map_insert(v.map, NULL, 0, a, a + 2 * K4, VM_PROT_NONE, VM_PROT_NONE,
				MAP_CREATE_GUARD),
		  KERN_SUCCESS);
	ASSERT_EQ(vm_map_insert(v.map, NULL, 0, a + 2 * K4, a + 6 * K4, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	ASSERT_EQ(vm_map_insert(v.map, NULL, 0, a + 8 * K4, a + 10 * K4, VM_PROT_NONE, VM_PROT_ALL,
				0),
		  KERN_SUCCESS);
	vm_map_unlock(v.map);
	EXPECT_EQ(prefault(&v, a - 4 * K4, a + 12 * K4), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_4k, 4);
	EXPECT_EQ(prefault(&v, a + 1, a + K4), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(release(&v, a - 4 * K4, a + 12 * K4), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_4k, 0);
	EXPECT_EQ(v.map->nentries, 3);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}
