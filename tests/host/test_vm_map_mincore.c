/*
 * vm_map_mincore (mm/vm_map_pages.h): a byte per page, MINCORE_INCORE for resident pages,
 * MINCORE_PSIND(1) for those a 2 MiB page maps, 0 for untouched memory and guards; a hole is
 * KERN_INVALID_ADDRESS with the bytes before it filled. vm_map_check after every operation.
 */
#include "kernel/string.h"
#include "mm/vm_map_pages.h"
#include "tests/host/vm_env.h"
#include "uapi/errno.h"
#include "uapi/mman.h"

#define K4 ((vm_size_t)0x1000)
#define M2 ((vm_size_t)0x200000)
#define RW (VM_PROT_READ | VM_PROT_WRITE)

static uint8_t vec[2 * 512 + 16];

static int mincore_of(struct vm_env *v, vm_offset_t s, vm_offset_t e)
{
	memset(vec, 0xee, sizeof(vec));
	vm_map_lock_read(v->map);
	int rc = vm_map_mincore(v->map, s, e, vec);
	vm_map_unlock_read(v->map);
	return rc;
}

KTEST(vm_map_mincore, small_pages_guards_and_holes)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = M2;
	vm_map_lock(v.map);
	ASSERT_EQ(vm_map_insert(v.map, NULL, 0, a, a + K4, VM_PROT_NONE, VM_PROT_NONE,
				MAP_CREATE_GUARD),
		  KERN_SUCCESS);
	ASSERT_EQ(vm_map_insert(v.map, NULL, 0, a + K4, a + 8 * K4, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	vm_map_unlock(v.map);
	ASSERT_EQ(vm_fault(v.map, a + 2 * K4, VM_PROT_WRITE), KERN_SUCCESS);
	ASSERT_EQ(vm_fault(v.map, a + 7 * K4, VM_PROT_READ), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(mincore_of(&v, a, a + 8 * K4), KERN_SUCCESS);
	for (unsigned i = 0; i < 8; i++)
		EXPECT_EQ(vec[i], i == 2 || i == 7 ? MINCORE_INCORE : 0);
	EXPECT_EQ(vec[8], 0xee);
	/* A PROT_NONE page keeps its data resident: still in core. */
	EXPECT_EQ(vm_map_protect(v.map, a + 2 * K4, a + 3 * K4, VM_PROT_NONE, 0,
				 VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(mincore_of(&v, a + 2 * K4, a + 3 * K4), KERN_SUCCESS);
	EXPECT_EQ(vec[0], MINCORE_INCORE);
	/* A hole after the mapping: the bytes before it are there. */
	EXPECT_EQ(mincore_of(&v, a + 6 * K4, a + 10 * K4), KERN_INVALID_ADDRESS);
	EXPECT_EQ(vec[0], 0);
	EXPECT_EQ(vec[1], MINCORE_INCORE);
	EXPECT_EQ(mincore_of(&v, a - K4, a + K4), KERN_INVALID_ADDRESS);
	EXPECT_EQ(mincore_of(&v, a, a), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(mincore_of(&v, a + 1, a + K4), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_env_check(v.map), 0);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

KTEST(vm_map_mincore, superpages_report_psind_1)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = M2;
	ASSERT_EQ(vm_map_find(v.map, NULL, 0, &a, 2 * M2, 0, VMFS_SUPER_SPACE, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	ASSERT_EQ(vm_fault(v.map, a + 5 * K4, VM_PROT_WRITE), KERN_SUCCESS);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_2m, 1);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(mincore_of(&v, a, a + 2 * M2), KERN_SUCCESS);
	for (unsigned i = 0; i < 1024; i++)
		if (vec[i] != (i < 512 ? MINCORE_INCORE | MINCORE_PSIND(1) : 0)) {
			KT_FAIL("page %u: 0x%x", i, vec[i]);
			break;
		}
	/* Split by a 4 KiB protection change: the pages stay resident, now 4 KiB mappings. */
	EXPECT_EQ(vm_map_protect(v.map, a, a + K4, VM_PROT_READ, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(mincore_of(&v, a, a + M2), KERN_SUCCESS);
	EXPECT_EQ(vec[0], MINCORE_INCORE);
	EXPECT_EQ(vec[511], MINCORE_INCORE);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

KTEST(vm_map_mincore, referenced_and_modified_follow_the_pmap)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	const uint8_t ref = MINCORE_REFERENCED | MINCORE_REFERENCED_OTHER;
	const uint8_t mod = MINCORE_MODIFIED | MINCORE_MODIFIED_OTHER;
	vm_offset_t a = M2;
	ASSERT_EQ(vm_map_find(v.map, NULL, 0, &a, 2 * M2, 0, VMFS_SUPER_SPACE, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	vm_offset_t s = a + M2; /* 4 KiB pages here: a PROT_READ page splits the 2 MiB range */
	EXPECT_EQ(vm_map_protect(v.map, s + 8 * K4, s + 9 * K4, VM_PROT_READ, 0,
				 VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	for (unsigned i = 0; i < 4; i++)
		ASSERT_EQ(vm_fault(v.map, s + i * K4, VM_PROT_READ), KERN_SUCCESS);
	ASSERT_EQ(vm_fault(v.map, s + 8 * K4, VM_PROT_READ), KERN_SUCCESS);
	/* Mapped, never accessed (nothing on the host plays the CPU until told to). */
	EXPECT_EQ(mincore_of(&v, s, s + 4 * K4), KERN_SUCCESS);
	EXPECT_EQ(vec[0], MINCORE_INCORE);
	EXPECT_TRUE(pmap_host_access(v.pmap, s + K4, false));
	EXPECT_TRUE(pmap_host_access(v.pmap, s + 2 * K4, true));
	EXPECT_TRUE(pmap_host_access(v.pmap, s + 3 * K4 + 17, true));
	/* read-only: the CPU would fault */
	EXPECT_FALSE(pmap_host_access(v.pmap, s + 8 * K4, true));
	EXPECT_FALSE(pmap_host_access(v.pmap, s + 5 * K4, false)); /* not mapped */
	EXPECT_EQ(mincore_of(&v, s, s + 9 * K4), KERN_SUCCESS);
	EXPECT_EQ(vec[0], MINCORE_INCORE);
	EXPECT_EQ(vec[1], MINCORE_INCORE | ref);
	EXPECT_EQ(vec[2], MINCORE_INCORE | ref | mod);
	EXPECT_EQ(vec[3], MINCORE_INCORE | ref | mod);
	EXPECT_EQ(vec[5], 0);
	EXPECT_EQ(vec[8], MINCORE_INCORE);
	/* A protection change keeps the bits; PROT_NONE unmaps, leaving INCORE only. */
	EXPECT_EQ(vm_map_protect(v.map, s, s + 4 * K4, VM_PROT_READ, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(mincore_of(&v, s + 2 * K4, s + 3 * K4), KERN_SUCCESS);
	EXPECT_EQ(vec[0], MINCORE_INCORE | ref | mod);
	EXPECT_EQ(vm_map_protect(v.map, s, s + 4 * K4, VM_PROT_NONE, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(mincore_of(&v, s + 2 * K4, s + 3 * K4), KERN_SUCCESS);
	EXPECT_EQ(vec[0], MINCORE_INCORE);
	/* A 2 MiB page has one pair of bits for its 512 pages, and its pieces keep them when split. */
	ASSERT_EQ(vm_fault(v.map, a, VM_PROT_READ), KERN_SUCCESS);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_2m, 1);
	EXPECT_TRUE(pmap_host_access(v.pmap, a + 100 * K4, true));
	EXPECT_EQ(mincore_of(&v, a, a + M2), KERN_SUCCESS);
	EXPECT_EQ(vec[0], MINCORE_INCORE | MINCORE_PSIND(1) | ref | mod);
	EXPECT_EQ(vec[511], MINCORE_INCORE | MINCORE_PSIND(1) | ref | mod);
	EXPECT_EQ(vm_map_protect(v.map, a, a + K4, VM_PROT_READ, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(mincore_of(&v, a, a + M2), KERN_SUCCESS);
	EXPECT_EQ(vec[0], MINCORE_INCORE | ref | mod);
	EXPECT_EQ(vec[300], MINCORE_INCORE | ref | mod);
	/* The status bits are no flags pmap_enter or pmap_protect take. */
	EXPECT_EQ(pmap_enter(v.pmap, 0x40000000, 0x100000, K4, MMU_READ | MMU_USER | MMU_ACCESSED),
		  -EINVAL);
	EXPECT_EQ(pmap_protect(v.pmap, a, K4, MMU_READ | MMU_USER | MMU_DIRTY), -EINVAL);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}
