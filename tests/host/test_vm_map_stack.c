/*
 * Guarded stacks (MAP_CREATE_GUARDED_STACK, mmap's MAP_STACK, mm/vm_map.h): the lowest page of the
 * range becomes a guard entry, the rest one stack entry, by vm_map_find, vm_map_insert and
 * vm_map_fixed alike; what cannot be one is refused with the map unchanged; a guard below
 * coalesces with the new guard. vm_map_check after every operation, every frame back at the end.
 */
#include "mm/pmm.h"
#include "tests/host/vm_env.h"

#define K4 ((vm_size_t)0x1000)
#define M2 ((vm_size_t)0x200000)
#define RW (VM_PROT_READ | VM_PROT_WRITE)

/* The entry after prev spans [s, e) with protection prot and eflags flags; returns it. */
static vm_map_entry_t expect_entry(struct ktest_state *kt, vm_map_entry_t prev, vm_offset_t s,
				   vm_offset_t e, vm_prot_t prot, uint16_t flags)
{
	vm_map_entry_t x = prev->next;
	EXPECT_EQ(x->start, s);
	EXPECT_EQ(x->end, e);
	EXPECT_EQ(x->protection, prot);
	EXPECT_EQ(x->eflags, flags);
	return x;
}

KTEST(vm_map_stack, find_makes_guard_and_stack)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = M2;
	ASSERT_EQ(vm_map_find(v.map, NULL, 0, &a, 8 * K4, 0, VMFS_ANY_SPACE, RW, VM_PROT_ALL,
			      MAP_CREATE_GUARDED_STACK),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->nentries, 2);
	vm_map_entry_t g =
		expect_entry(kt, &v.map->header, a, a + K4, VM_PROT_NONE, MAP_ENTRY_GUARD);
	expect_entry(kt, g, a + K4, a + 8 * K4, RW, MAP_ENTRY_STACK);
	EXPECT_EQ(vm_fault(v.map, a + 8 * K4 - 8, VM_PROT_WRITE), KERN_SUCCESS);
	EXPECT_EQ(vm_fault(v.map, a + K4, VM_PROT_WRITE), KERN_SUCCESS);
	EXPECT_EQ(vm_fault(v.map, a + K4 - 8, VM_PROT_READ), KERN_INVALID_ADDRESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	/* mprotect's path skips the guard and changes the stack. */
	EXPECT_EQ(vm_map_protect(v.map, a, a + 8 * K4, VM_PROT_READ, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(g->protection, VM_PROT_NONE);
	EXPECT_EQ(g->next->protection, VM_PROT_READ);
	EXPECT_EQ(vm_map_remove(v.map, a, a + 8 * K4), KERN_SUCCESS);
	EXPECT_EQ(v.map->nentries, 0);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

KTEST(vm_map_stack, refused_with_map_unchanged)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = M2;
	vm_object_t o = vm_object_allocate(2 * K4);
	ASSERT_NONNULL(o);
	EXPECT_EQ(vm_map_find(v.map, NULL, 0, &a, K4, 0, VMFS_ANY_SPACE, RW, VM_PROT_ALL,
			      MAP_CREATE_GUARDED_STACK),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_find(v.map, o, 0, &a, 2 * K4, 0, VMFS_ANY_SPACE, RW, VM_PROT_ALL,
			      MAP_CREATE_GUARDED_STACK),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_find(v.map, NULL, 0, &a, 2 * K4, 0, VMFS_ANY_SPACE, RW, VM_PROT_ALL,
			      MAP_CREATE_GUARDED_STACK | MAP_CREATE_GUARD),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_fixed(v.map, NULL, 0, M2, K4, RW, VM_PROT_ALL, MAP_CREATE_GUARDED_STACK),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(v.map->nentries, 0);
	EXPECT_EQ(vm_env_check(v.map), 0);
	vm_object_deallocate(o);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

/* A guard right below coalesces with the stack's guard; a stack right above stays apart. */
KTEST(vm_map_stack, neighbours)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = M2;
	vm_map_lock(v.map);
	ASSERT_EQ(vm_map_insert(v.map, NULL, 0, a, a + 2 * K4, VM_PROT_NONE, VM_PROT_NONE,
				MAP_CREATE_GUARD),
		  KERN_SUCCESS);
	ASSERT_EQ(vm_map_insert(v.map, NULL, 0, a + 2 * K4, a + 6 * K4, RW, VM_PROT_ALL,
				MAP_CREATE_GUARDED_STACK),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_map_check(v.map), 0);
	ASSERT_EQ(vm_map_insert(v.map, NULL, 0, a + 6 * K4, a + 9 * K4, RW, VM_PROT_ALL,
				MAP_CREATE_GUARDED_STACK),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_map_check(v.map), 0);
	vm_map_unlock(v.map);
	EXPECT_EQ(v.map->nentries, 4);
	vm_map_entry_t x =
		expect_entry(kt, &v.map->header, a, a + 3 * K4, VM_PROT_NONE, MAP_ENTRY_GUARD);
	x = expect_entry(kt, x, a + 3 * K4, a + 6 * K4, RW, MAP_ENTRY_STACK);
	x = expect_entry(kt, x, a + 6 * K4, a + 7 * K4, VM_PROT_NONE, MAP_ENTRY_GUARD);
	expect_entry(kt, x, a + 7 * K4, a + 9 * K4, RW, MAP_ENTRY_STACK);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

/* vm_map_fixed puts a guarded stack over the middle of touched anonymous memory. */
KTEST(vm_map_stack, fixed_over_anonymous_memory)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = M2;
	ASSERT_EQ(vm_map_find(v.map, NULL, 0, &a, 16 * K4, 0, VMFS_ANY_SPACE, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	for (vm_offset_t p = a; p < a + 16 * K4; p += K4)
		ASSERT_EQ(vm_fault(v.map, p, VM_PROT_WRITE), KERN_SUCCESS);
	EXPECT_EQ(vm_map_fixed(v.map, NULL, 0, a + 4 * K4, 8 * K4, RW, VM_PROT_ALL,
			       MAP_CREATE_GUARDED_STACK),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->nentries, 4);
	vm_map_entry_t x = expect_entry(kt, &v.map->header, a, a + 4 * K4, RW, 0);
	x = expect_entry(kt, x, a + 4 * K4, a + 5 * K4, VM_PROT_NONE, MAP_ENTRY_GUARD);
	x = expect_entry(kt, x, a + 5 * K4, a + 12 * K4, RW, MAP_ENTRY_STACK);
	expect_entry(kt, x, a + 12 * K4, a + 16 * K4, RW, 0);
	/* The replaced pages were freed: the new stack reads zeros where old data was. */
	EXPECT_EQ(vm_fault(v.map, a + 6 * K4, VM_PROT_READ), KERN_SUCCESS);
	vm_paddr_t pa;
	ASSERT_TRUE(pmap_query(v.pmap, a + 6 * K4, &pa, NULL, NULL));
	EXPECT_EQ(*(unsigned char *)phys_to_virt(pa), 0);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}
