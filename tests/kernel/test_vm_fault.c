/*
 * vm_map and vm_fault through the real page tables: a map over the kernel scratch window of the
 * kernel pmap (the one in CR3), so that after vm_fault the CPU itself reads and writes the pages.
 */
#include "arch/x86_64/trap.h"
#include "kernel/ktest.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"
#include "mm/pmm.h"
#include "mm/vm_map.h"

#define RW (VM_PROT_READ | VM_PROT_WRITE)

static size_t idle_frames(void)
{
	kmem_reap();
	return pmm_free_count();
}

static void touch(void *va)
{
	*(volatile uint8_t *)va = 1;
}

KTEST(vm_fault, superpages_where_aligned_and_partial_remove_keeps_data)
{
	size_t before = idle_frames();
	vm_map_t map = vm_map_create(pmap_kernel(), KVA_SCRATCH, KVA_SCRATCH + KVA_SCRATCH_SIZE);
	ASSERT_NONNULL(map);

	/* 8 MiB at a 2 MiB-aligned address: one fault per 2 MiB maps a 2 MiB page each time. */
	vm_offset_t a = KVA_SCRATCH + PAGE_SIZE;
	ASSERT_EQ(vm_map_find(map, NULL, 0, &a, 4 * SUPERPAGE_SIZE, 0, VMFS_SUPER_SPACE, RW, RW, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(a & SUPERPAGE_MASK, 0);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(vm_fault(map, a + i * SUPERPAGE_SIZE + 0x1234, VM_PROT_WRITE),
			  KERN_SUCCESS);
	for (int i = 0; i < 4; i++) {
		vm_size_t size = 0;
		ASSERT_TRUE(pmap_query(pmap_kernel(), a + i * SUPERPAGE_SIZE, 0, 0, &size));
		EXPECT_EQ(size, SUPERPAGE_SIZE);
	}
	struct vm_map_stats st;
	vm_map_get_stats(map, &st);
	EXPECT_EQ(st.faults_2m, 4);
	EXPECT_EQ(st.resident_2m, 4);

	/* Every 4 KiB page of the second 2 MiB page gets its index, written by the CPU. */
	vm_offset_t sp = a + SUPERPAGE_SIZE;
	for (size_t i = 0; i < 512; i++)
		*(volatile uint64_t *)(sp + i * PAGE_SIZE) = i + 1;

	/* Remove one page in the middle: it faults, the other 511 keep their bytes as 4 KiB pages. */
	vm_offset_t hole = sp + 300 * PAGE_SIZE;
	ASSERT_EQ(vm_map_remove(map, hole, hole + PAGE_SIZE), KERN_SUCCESS);
	struct fault_info fi;
	ASSERT_TRUE(trap_catch(touch, (void *)hole, &fi));
	EXPECT_EQ(fi.vector, T_PF);
	EXPECT_EQ(fi.error & PF_ERR_PRESENT, 0);
	size_t bad = 0;
	for (size_t i = 0; i < 512; i++)
		if (i != 300 && *(volatile uint64_t *)(sp + i * PAGE_SIZE) != i + 1)
			bad++;
	EXPECT_EQ(bad, 0);
	vm_size_t size = 0;
	ASSERT_TRUE(pmap_query(pmap_kernel(), hole + PAGE_SIZE, 0, 0, &size));
	EXPECT_EQ(size, PAGE_SIZE);
	vm_map_get_stats(map, &st);
	EXPECT_EQ(st.resident_2m, 3);
	EXPECT_EQ(st.resident_4k, 511);

	vm_map_lock_read(map);
	EXPECT_EQ(vm_map_check(map), 0);
	vm_map_unlock_read(map);
	vm_map_destroy(map);
	EXPECT_FALSE(pmap_query(pmap_kernel(), a, 0, 0, 0));
	EXPECT_EQ(idle_frames(), before);
}

KTEST(vm_fault, misaligned_range_gets_4k_pages_and_rights_are_enforced)
{
	size_t before = idle_frames();
	vm_map_t map = vm_map_create(pmap_kernel(), KVA_SCRATCH, KVA_SCRATCH + KVA_SCRATCH_SIZE);
	ASSERT_NONNULL(map);

	/* Starts 4 KiB past a 2 MiB boundary: no whole aligned 2 MiB around the faults. */
	vm_offset_t a = KVA_SCRATCH + PAGE_SIZE;
	ASSERT_EQ(vm_map_find(map, NULL, 0, &a, SUPERPAGE_SIZE, 0, VMFS_NO_SPACE, VM_PROT_READ, RW,
			      0),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_fault(map, a, VM_PROT_WRITE), KERN_PROTECTION_FAILURE);
	ASSERT_EQ(vm_fault(map, a + 5 * PAGE_SIZE, VM_PROT_READ), KERN_SUCCESS);
	vm_size_t size = 0;
	unsigned flags = 0;
	ASSERT_TRUE(pmap_query(pmap_kernel(), a + 5 * PAGE_SIZE, 0, &flags, &size));
	EXPECT_EQ(size, PAGE_SIZE);
	EXPECT_FALSE(flags & (MMU_WRITE | MMU_EXEC | MMU_USER));
	EXPECT_EQ(*(volatile uint64_t *)(a + 5 * PAGE_SIZE), 0); /* demand zero */

	/* The CPU enforces what the map says: read-only until protect allows writing. */
	struct fault_info fi;
	ASSERT_TRUE(trap_catch(touch, (void *)(a + 5 * PAGE_SIZE), &fi));
	EXPECT_TRUE(fi.error & PF_ERR_WRITE);
	ASSERT_EQ(vm_map_protect(map, a, a + SUPERPAGE_SIZE, RW, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_FALSE(trap_catch(touch, (void *)(a + 5 * PAGE_SIZE), &fi));
	EXPECT_EQ(vm_fault(map, a + SUPERPAGE_SIZE, VM_PROT_READ), KERN_INVALID_ADDRESS);

	vm_map_destroy(map);
	EXPECT_EQ(idle_frames(), before);
}
