/*
 * The memory layer through the real MMU: pmm frames mapped with pmap_enter in the kernel pmap (the
 * one in CR3), checked by accessing them, by pmap_query and by the faults they must raise.
 */
#include "arch/x86_64/trap.h"
#include "kernel/ktest.h"
#include "kernel/string.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"
#include "mm/pmm.h"

#define VA(off) (KVA_SCRATCH + (off))

KTEST(mm, pmm_superpage_frames_are_aligned_and_zeroed)
{
	vm_page_t p = pmm_alloc_order(SUPERPAGE_ORDER, PMM_ZERO);
	ASSERT_NONNULL(p);
	vm_paddr_t pa = vm_page_to_phys(p);
	EXPECT_EQ(pa & SUPERPAGE_MASK, 0);
	const uint64_t *w = phys_to_virt(pa);
	uint64_t any = 0;
	for (size_t i = 0; i < SUPERPAGE_SIZE / 8; i++)
		any |= w[i];
	EXPECT_EQ(any, 0);
	pmm_free(p);
	EXPECT_NULL(pmm_check());
}

KTEST(mm, write_through_one_mapping_read_through_another)
{
	vm_page_t p = pmm_alloc_order(0, PMM_ZERO);
	ASSERT_NONNULL(p);
	vm_paddr_t pa = vm_page_to_phys(p);
	ASSERT_EQ(pmap_enter(pmap_kernel(), VA(0), pa, PAGE_SIZE, MMU_READ | MMU_WRITE), 0);

	volatile uint32_t *mine = (volatile uint32_t *)VA(0x10);
	*mine = 0xfeedface;
	EXPECT_EQ(*(volatile uint32_t *)((uint8_t *)phys_to_virt(pa) + 0x10), 0xfeedface);

	vm_paddr_t qpa;
	unsigned flags;
	vm_size_t size;
	ASSERT_TRUE(pmap_query(pmap_kernel(), VA(0x10), &qpa, &flags, &size));
	EXPECT_EQ(qpa, pa + 0x10);
	EXPECT_EQ(size, PAGE_SIZE);
	EXPECT_TRUE(flags & MMU_WRITE);
	EXPECT_FALSE(flags & (MMU_EXEC | MMU_USER));

	ASSERT_EQ(pmap_remove(pmap_kernel(), VA(0), PAGE_SIZE), 0);
	EXPECT_FALSE(pmap_query(pmap_kernel(), VA(0x10), 0, 0, 0));
	pmm_free(p);
}

KTEST(mm, superpage_mapping_reports_2m_and_splits_on_partial_unmap)
{
	vm_page_t p = pmm_alloc_order(SUPERPAGE_ORDER, PMM_ZERO);
	ASSERT_NONNULL(p);
	vm_paddr_t pa = vm_page_to_phys(p);
	ASSERT_EQ(pmap_enter(pmap_kernel(), VA(SUPERPAGE_SIZE), pa, SUPERPAGE_SIZE,
			     MMU_READ | MMU_WRITE),
		  0);

	vm_size_t size = 0;
	vm_paddr_t qpa = 0;
	ASSERT_TRUE(pmap_query(pmap_kernel(), VA(SUPERPAGE_SIZE + 0x12345), &qpa, 0, &size));
	EXPECT_EQ(size, SUPERPAGE_SIZE);
	EXPECT_EQ(qpa, pa + 0x12345);

	/* Fill every page with its index, punch a hole, and check the rest kept its contents. */
	for (size_t i = 0; i < 512; i++)
		*(volatile uint64_t *)VA(SUPERPAGE_SIZE + i * PAGE_SIZE) = i;
	ASSERT_EQ(pmap_remove(pmap_kernel(), VA(SUPERPAGE_SIZE + 100 * PAGE_SIZE), PAGE_SIZE), 0);
	EXPECT_FALSE(pmap_query(pmap_kernel(), VA(SUPERPAGE_SIZE + 100 * PAGE_SIZE), 0, 0, 0));
	ASSERT_TRUE(
		pmap_query(pmap_kernel(), VA(SUPERPAGE_SIZE + 101 * PAGE_SIZE), &qpa, 0, &size));
	EXPECT_EQ(size, PAGE_SIZE);
	EXPECT_EQ(qpa, pa + 101 * PAGE_SIZE);
	size_t bad = 0;
	for (size_t i = 0; i < 512; i++)
		if (i != 100 && *(volatile uint64_t *)VA(SUPERPAGE_SIZE + i * PAGE_SIZE) != i)
			bad++;
	EXPECT_EQ(bad, 0);

	ASSERT_EQ(pmap_remove(pmap_kernel(), VA(SUPERPAGE_SIZE), SUPERPAGE_SIZE), 0);
	pmm_free(p);
}

static void store_byte(void *va)
{
	*(volatile uint8_t *)va = 1;
}

static void call_at(void *va)
{
	((void (*)(void))va)();
}

KTEST(mm, write_to_read_only_page_faults)
{
	vm_page_t p = pmm_alloc_order(0, PMM_ZERO);
	ASSERT_NONNULL(p);
	ASSERT_EQ(pmap_enter(pmap_kernel(), VA(0), vm_page_to_phys(p), PAGE_SIZE, MMU_READ), 0);
	struct fault_info fi;
	EXPECT_EQ(*(volatile uint8_t *)VA(8), 0); /* reads are fine */
	ASSERT_TRUE(trap_catch(store_byte, (void *)VA(8), &fi));
	EXPECT_EQ(fi.vector, T_PF);
	EXPECT_EQ(fi.addr, VA(8));
	EXPECT_EQ(fi.error & (PF_ERR_PRESENT | PF_ERR_WRITE | PF_ERR_FETCH),
		  PF_ERR_PRESENT | PF_ERR_WRITE);

	/* protect to read+write: the same store now succeeds (the TLB was invalidated). */
	ASSERT_EQ(pmap_protect(pmap_kernel(), VA(0), PAGE_SIZE, MMU_READ | MMU_WRITE), 0);
	EXPECT_FALSE(trap_catch(store_byte, (void *)VA(8), &fi));
	EXPECT_EQ(*(volatile uint8_t *)((uint8_t *)phys_to_virt(vm_page_to_phys(p)) + 8), 1);
	ASSERT_EQ(pmap_remove(pmap_kernel(), VA(0), PAGE_SIZE), 0);
	pmm_free(p);
}

KTEST(mm, instruction_fetch_from_nx_page_faults)
{
	vm_page_t p = pmm_alloc_order(0, PMM_ZERO);
	ASSERT_NONNULL(p);
	*(volatile uint8_t *)phys_to_virt(vm_page_to_phys(p)) = 0xc3; /* ret */
	ASSERT_EQ(pmap_enter(pmap_kernel(), VA(0), vm_page_to_phys(p), PAGE_SIZE,
			     MMU_READ | MMU_WRITE),
		  0);
	struct fault_info fi;
	ASSERT_TRUE(trap_catch(call_at, (void *)VA(0), &fi));
	EXPECT_EQ(fi.vector, T_PF);
	EXPECT_EQ(fi.addr, VA(0));
	EXPECT_TRUE(fi.error & PF_ERR_FETCH);

	/* The same page mapped executable runs the ret. */
	ASSERT_EQ(pmap_protect(pmap_kernel(), VA(0), PAGE_SIZE, MMU_READ | MMU_EXEC), 0);
	EXPECT_FALSE(trap_catch(call_at, (void *)VA(0), &fi));
	ASSERT_EQ(pmap_remove(pmap_kernel(), VA(0), PAGE_SIZE), 0);
	pmm_free(p);
}

KTEST(mm, unmapped_page_faults_not_present)
{
	struct fault_info fi;
	ASSERT_TRUE(trap_catch(store_byte, (void *)VA(0x3000), &fi));
	EXPECT_EQ(fi.vector, T_PF);
	EXPECT_EQ(fi.error & PF_ERR_PRESENT, 0);
}

KTEST(mm, user_pmap_shares_kernel_half_and_frees_its_tables)
{
	kmem_reap();
	size_t before = pmm_free_count();
	pmap_t up = pmap_create();
	ASSERT_NONNULL(up);
	vm_page_t p = pmm_alloc_order(0, PMM_ZERO);
	ASSERT_NONNULL(p);
	ASSERT_EQ(pmap_enter(up, 0x400000, vm_page_to_phys(p), PAGE_SIZE, MMU_READ | MMU_USER), 0);
	unsigned flags = 0;
	EXPECT_TRUE(pmap_query(up, 0x400000, 0, &flags, 0));
	EXPECT_TRUE(flags & MMU_USER);
	/* The kernel image is visible through the user pmap (shared kernel half). */
	vm_paddr_t kpa;
	EXPECT_TRUE(pmap_query(up, (vm_offset_t)&pmap_create, &kpa, 0, 0));
	EXPECT_NULL(pmap_check(up));
	pmap_destroy(up);
	pmm_free(p);
	kmem_reap(); /* the pmap struct's slab */
	EXPECT_EQ(pmm_free_count(), before);
}

KTEST(mm, kmalloc_in_the_kernel)
{
	char *a = kmalloc(100), *b = kzalloc(5000);
	ASSERT_NONNULL(a);
	ASSERT_NONNULL(b);
	memset(a, 'x', 100);
	EXPECT_EQ(b[4999], 0);
	EXPECT_EQ((uintptr_t)a & 15, 0);
	kfree(a);
	kfree(b);
}
