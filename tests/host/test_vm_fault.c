/*
 * vm_fault through the real pmap (arch/x86_64/pmap.c over the simulated arena): demand-zero 4 KiB
 * pages, 2 MiB pages where entry, alignment and object allow (and not where they do not), rights,
 * partial remove and protect inside a 2 MiB page keeping the data, the fallbacks when memory runs
 * out, concurrent faults, exact counters, and every frame back after vm_map_destroy.
 */
#include <pthread.h>
#include <string.h>

#include "kernel/ktest.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "mm/vm_map.h"
#include "tests/host/testutil.h"
#include "tests/host/vm_env.h"

#define K4 ((vm_size_t)0x1000)
#define M2 ((vm_size_t)0x200000)
#define R VM_PROT_READ
#define RW (VM_PROT_READ | VM_PROT_WRITE)
#define RX (VM_PROT_READ | VM_PROT_EXECUTE)
#define UFLAGS_RW (MMU_READ | MMU_WRITE | MMU_USER)
#define UFLAGS_R (MMU_READ | MMU_USER)

/* Destroy map and pmap, and check that every frame came back. */
static void env_fini(struct ktest_state *kt, struct vm_env *v)
{
	vm_env_fini(kt, v);
	EXPECT_EQ(free_frames_after_reap(), v->free_before);
}

static vm_offset_t map_anon(struct ktest_state *kt, vm_map_t map, vm_offset_t addr, vm_size_t len,
			    vm_prot_t prot)
{
	int rc = vm_map_find(map, NULL, 0, &addr, len, 0, VMFS_NO_SPACE, prot, VM_PROT_ALL, 0);
	EXPECT_EQ(rc, KERN_SUCCESS);
	return addr;
}

static struct vm_map_stats stats(vm_map_t map)
{
	struct vm_map_stats st;
	vm_map_get_stats(map, &st);
	return st;
}

static bool mapped(pmap_t pm, vm_offset_t va, vm_paddr_t *pa, unsigned *flags, vm_size_t *size)
{
	return pmap_query(pm, va, pa, flags, size);
}

static bool page_is(vm_paddr_t pa, unsigned char c)
{
	const unsigned char *p = phys_to_virt(pa);
	for (size_t i = 0; i < K4; i++)
		if (p[i] != c)
			return false;
	return true;
}

static vm_object_t object_at(vm_map_t map, vm_offset_t va)
{
	vm_map_entry_t e;
	vm_map_lock_read(map);
	vm_object_t obj = vm_map_lookup_entry(map, va, &e) ? e->object : NULL;
	vm_map_unlock_read(map);
	return obj;
}

KTEST(vm_fault, demand_zero_4k)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = map_anon(kt, v.map, 0x10000, 3 * K4, RW);
	EXPECT_NULL(object_at(v.map, a));
	EXPECT_EQ(vm_fault(v.map, a + K4 + 0x123, R), KERN_SUCCESS);
	EXPECT_NONNULL(object_at(v.map, a)); /* made at the first fault */
	vm_paddr_t pa;
	unsigned flags;
	vm_size_t size;
	ASSERT_TRUE(mapped(v.pmap, a + K4, &pa, &flags, &size));
	EXPECT_EQ(size, K4);
	EXPECT_EQ(flags, UFLAGS_RW);
	EXPECT_TRUE(page_is(pa, 0));
	EXPECT_FALSE(mapped(v.pmap, a, NULL, NULL, NULL));
	EXPECT_FALSE(mapped(v.pmap, a + 2 * K4, NULL, NULL, NULL));
	/* Spurious: already mapped with enough rights. */
	EXPECT_EQ(vm_fault(v.map, a + K4, VM_PROT_WRITE), KERN_SUCCESS);
	vm_paddr_t pa2;
	ASSERT_TRUE(mapped(v.pmap, a + K4, &pa2, NULL, NULL));
	EXPECT_EQ(pa2, pa);
	struct vm_map_stats st = stats(v.map);
	EXPECT_EQ(st.faults, 2);
	EXPECT_EQ(st.faults_2m, 0);
	EXPECT_EQ(st.resident_4k, 1);
	EXPECT_EQ(st.resident_2m, 0);
	EXPECT_EQ(vm_env_check(v.map), 0);
	/* Writes through the mapping's frame survive a fault elsewhere and land in the object. */
	*(unsigned char *)phys_to_virt(pa) = 0x5a;
	EXPECT_EQ(vm_fault(v.map, a, VM_PROT_WRITE), KERN_SUCCESS);
	EXPECT_EQ(*(unsigned char *)phys_to_virt(pa), 0x5a);
	EXPECT_EQ(stats(v.map).resident_4k, 2);
	env_fini(kt, &v);
}

KTEST(vm_fault, rights_and_bad_addresses)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = map_anon(kt, v.map, 0x10000, 2 * K4, R);
	vm_offset_t x = map_anon(kt, v.map, 0x20000, K4, RX);
	vm_offset_t g = 0x30000;
	EXPECT_EQ(vm_map_find(v.map, NULL, 0, &g, K4, 0, VMFS_NO_SPACE, R, R, MAP_CREATE_GUARD),
		  KERN_SUCCESS);
	vm_offset_t n = map_anon(kt, v.map, 0x40000, K4, VM_PROT_NONE);

	EXPECT_EQ(vm_fault(v.map, a, VM_PROT_WRITE), KERN_PROTECTION_FAILURE);
	EXPECT_EQ(vm_fault(v.map, a, VM_PROT_EXECUTE), KERN_PROTECTION_FAILURE);
	EXPECT_FALSE(mapped(v.pmap, a, NULL, NULL, NULL));
	EXPECT_EQ(vm_fault(v.map, a, R), KERN_SUCCESS);
	unsigned flags;
	ASSERT_TRUE(mapped(v.pmap, a, NULL, &flags, NULL));
	EXPECT_EQ(flags, UFLAGS_R);
	EXPECT_EQ(vm_fault(v.map, a, VM_PROT_WRITE),
		  KERN_PROTECTION_FAILURE); /* mapped, still not writable */
	EXPECT_EQ(vm_fault(v.map, x, VM_PROT_EXECUTE), KERN_SUCCESS);
	ASSERT_TRUE(mapped(v.pmap, x, NULL, &flags, NULL));
	EXPECT_EQ(flags, UFLAGS_R | MMU_EXEC);
	EXPECT_EQ(vm_fault(v.map, g, R), KERN_INVALID_ADDRESS);
	EXPECT_EQ(vm_fault(v.map, n, R), KERN_PROTECTION_FAILURE);
	EXPECT_EQ(vm_fault(v.map, 0x50000, R), KERN_INVALID_ADDRESS);
	EXPECT_EQ(vm_fault(v.map, 0, R), KERN_INVALID_ADDRESS);
	EXPECT_EQ(vm_fault(v.map, a, VM_PROT_NONE), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_fault(v.map, a, 0x10), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(stats(v.map).faults, 11);
	EXPECT_EQ(stats(v.map).resident_4k, 2);

	/* Raising the rights updates the mapping at once; PROT_NONE unmaps but keeps the data. */
	vm_paddr_t pa;
	ASSERT_TRUE(mapped(v.pmap, a, &pa, NULL, NULL));
	*(unsigned char *)phys_to_virt(pa) = 0x77;
	EXPECT_EQ(vm_map_protect(v.map, a, a + 2 * K4, RW, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	ASSERT_TRUE(mapped(v.pmap, a, NULL, &flags, NULL));
	EXPECT_EQ(flags, UFLAGS_RW);
	EXPECT_EQ(vm_map_protect(v.map, a, a + 2 * K4, VM_PROT_NONE, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_FALSE(mapped(v.pmap, a, NULL, NULL, NULL));
	EXPECT_EQ(stats(v.map).resident_4k, 1);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(vm_map_protect(v.map, a, a + 2 * K4, R, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_fault(v.map, a, R), KERN_SUCCESS);
	vm_paddr_t pa2;
	ASSERT_TRUE(mapped(v.pmap, a, &pa2, NULL, NULL));
	EXPECT_EQ(pa2, pa);
	EXPECT_EQ(*(unsigned char *)phys_to_virt(pa2), 0x77);

	/* A map without pmap cannot fault. */
	vm_map_t books = vm_map_create(NULL, USER_MIN, USER_MAX);
	ASSERT_NONNULL(books);
	map_anon(kt, books, 0x10000, K4, RW);
	EXPECT_EQ(vm_fault(books, 0x10000, R), KERN_FAILURE);
	vm_map_destroy(books);
	env_fini(kt, &v);
}

KTEST(vm_fault, superpage_where_aligned)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = 0;
	ASSERT_EQ(vm_map_find(v.map, NULL, 0, &a, 2 * M2 + 3 * K4, 0, VMFS_SUPER_SPACE, RW, RW, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(a & (M2 - 1), 0);
	EXPECT_EQ(vm_fault(v.map, a + 0x12345, VM_PROT_WRITE), KERN_SUCCESS);
	vm_paddr_t pa;
	unsigned flags;
	vm_size_t size;
	ASSERT_TRUE(mapped(v.pmap, a + 0x12345, &pa, &flags, &size));
	EXPECT_EQ(size, M2);
	EXPECT_EQ(flags, UFLAGS_RW);
	EXPECT_EQ((pa - 0x12345) & (M2 - 1), 0);
	EXPECT_TRUE(page_is(pa & ~(K4 - 1), 0));
	EXPECT_TRUE(page_is((pa - 0x12345) + M2 - K4, 0));
	ASSERT_TRUE(mapped(v.pmap, a + M2 - 1, NULL, NULL, &size));
	EXPECT_EQ(size, M2);
	vm_object_t obj = object_at(v.map, a);
	ASSERT_NONNULL(obj);
	vm_object_lock(obj);
	EXPECT_EQ(vm_object_resident_count(obj), 512);
	vm_object_unlock(obj);
	/* The second 2 MiB too; the 3-page tail is not a whole superpage: 4 KiB. */
	EXPECT_EQ(vm_fault(v.map, a + M2 + M2 - K4, R), KERN_SUCCESS);
	ASSERT_TRUE(mapped(v.pmap, a + M2, NULL, NULL, &size));
	EXPECT_EQ(size, M2);
	EXPECT_EQ(vm_fault(v.map, a + 2 * M2 + K4, R), KERN_SUCCESS);
	ASSERT_TRUE(mapped(v.pmap, a + 2 * M2 + K4, NULL, NULL, &size));
	EXPECT_EQ(size, K4);
	EXPECT_FALSE(mapped(v.pmap, a + 2 * M2, NULL, NULL, NULL));
	struct vm_map_stats st = stats(v.map);
	EXPECT_EQ(st.faults, 3);
	EXPECT_EQ(st.faults_2m, 2);
	EXPECT_EQ(st.resident_2m, 2);
	EXPECT_EQ(st.resident_4k, 1);
	EXPECT_EQ(vm_env_check(v.map), 0);
	env_fini(kt, &v);
}

KTEST(vm_fault, no_superpage_when_not_allowed)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_size_t size;

	/* The entry does not cover the whole aligned 2 MiB around va. */
	vm_offset_t a = map_anon(kt, v.map, 0x1000000 + K4, 3 * M2, RW);
	EXPECT_EQ(vm_fault(v.map, a, R), KERN_SUCCESS);
	ASSERT_TRUE(mapped(v.pmap, a, NULL, NULL, &size));
	EXPECT_EQ(size, K4);
	/* ...but the next aligned 2 MiB inside the same entry does get one. */
	EXPECT_EQ(vm_fault(v.map, 0x1200000, R), KERN_SUCCESS);
	ASSERT_TRUE(mapped(v.pmap, 0x1200000, NULL, NULL, &size));
	EXPECT_EQ(size, M2);

	/* Object offset not congruent to the address modulo 2 MiB. */
	vm_object_t obj = vm_object_allocate(4 * M2);
	ASSERT_NONNULL(obj);
	vm_offset_t b = 0x2000000;
	ASSERT_EQ(vm_map_find(v.map, obj, K4, &b, 2 * M2, 0, VMFS_NO_SPACE, RW, RW, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_fault(v.map, b + 5 * K4, R), KERN_SUCCESS);
	ASSERT_TRUE(mapped(v.pmap, b + 5 * K4, NULL, NULL, &size));
	EXPECT_EQ(size, K4);

	/* A page of the 2 MiB object range already resident when the entry grows to cover it. */
	vm_object_t half = vm_object_allocate(M2);
	ASSERT_NONNULL(half);
	vm_object_reference(half);
	vm_offset_t c = 0x3000000;
	ASSERT_EQ(vm_map_find(v.map, half, 0, &c, M2 / 2, 0, VMFS_NO_SPACE, RW, RW, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_fault(v.map, c, R), KERN_SUCCESS); /* the entry does not cover 2 MiB: 4 KiB */
	c += M2 / 2;
	ASSERT_EQ(vm_map_find(v.map, half, M2 / 2, &c, M2 / 2, 0, VMFS_NO_SPACE, RW, RW, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(v.map->nentries, 3);
	EXPECT_EQ(vm_fault(v.map, c + M2 / 2 - K4, R), KERN_SUCCESS);
	ASSERT_TRUE(mapped(v.pmap, c + M2 / 2 - K4, NULL, NULL, &size));
	EXPECT_EQ(size, K4);

	/* No free 2 MiB block in pmm: 4 KiB. Keep some small frames free, take every 2 MiB block. */
	vm_page_t small = pmm_alloc_order(SUPERPAGE_ORDER, 0);
	ASSERT_NONNULL(small);
	vm_paddr_t small_pa = vm_page_to_phys(small);
	pmm_split(small);
	for (size_t i = 256; i < 512; i++)
		pmm_free(phys_to_vm_page(small_pa + i * K4));
	static vm_page_t hoard[1024];
	size_t nhoard = 0;
	while (nhoard < 1024 && (hoard[nhoard] = pmm_alloc_order(SUPERPAGE_ORDER, 0)))
		nhoard++;
	EXPECT_LT(nhoard, 1024);
	vm_offset_t d = 0x4000000;
	ASSERT_EQ(vm_map_find(v.map, NULL, 0, &d, M2, 0, VMFS_NO_SPACE, RW, RW, 0), KERN_SUCCESS);
	EXPECT_EQ(vm_fault(v.map, d, R), KERN_SUCCESS);
	ASSERT_TRUE(mapped(v.pmap, d, NULL, NULL, &size));
	EXPECT_EQ(size, K4);
	while (nhoard)
		pmm_free(hoard[--nhoard]);
	for (size_t i = 0; i < 256; i++)
		pmm_free(phys_to_vm_page(small_pa + i * K4));
	/* Blocks are back, but a page of that range is resident now: still 4 KiB. */
	EXPECT_EQ(vm_fault(v.map, d + M2 - K4, R), KERN_SUCCESS);
	ASSERT_TRUE(mapped(v.pmap, d + M2 - K4, NULL, NULL, &size));
	EXPECT_EQ(size, K4);

	struct vm_map_stats st = stats(v.map);
	EXPECT_EQ(st.faults_2m, 1);
	EXPECT_EQ(st.resident_2m, 1);
	EXPECT_EQ(st.resident_4k, 6);
	EXPECT_EQ(vm_env_check(v.map), 0);
	env_fini(kt, &v);
}

/* Fill each page of the 2 MiB page at a with its index, as seen through the direct map. */
static vm_paddr_t fill_superpage(struct ktest_state *kt, struct vm_env *v, vm_offset_t a)
{
	vm_paddr_t base;
	vm_size_t size;
	if (!mapped(v->pmap, a, &base, NULL, &size) || size != M2) {
		KT_FAIL("no 2 MiB page at 0x%llx", (unsigned long long)a);
		return 0;
	}
	for (size_t i = 0; i < 512; i++)
		memset(phys_to_virt(base + i * K4), (int)(i & 0xff) ^ 0x3c, K4);
	return base;
}

/* Every page of [a, a + 2 MiB) except [hole, hole_end) is mapped 4 KiB at its old frame with its data. */
static void expect_kept(struct ktest_state *kt, struct vm_env *v, vm_offset_t a, vm_paddr_t base,
			vm_offset_t hole, vm_offset_t hole_end)
{
	for (size_t i = 0; i < 512; i++) {
		vm_offset_t va = a + i * K4;
		vm_paddr_t pa;
		vm_size_t size;
		bool m = mapped(v->pmap, va, &pa, NULL, &size);
		if (va >= hole && va < hole_end) {
			EXPECT_FALSE(m);
			continue;
		}
		EXPECT_TRUE(m);
		if (!m)
			continue;
		EXPECT_EQ(size, K4);
		EXPECT_EQ(pa, base + i * K4);
		EXPECT_TRUE(page_is(pa, (unsigned char)((i & 0xff) ^ 0x3c)));
	}
}

KTEST(vm_fault, partial_remove_keeps_the_rest)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = 0x40000000;
	ASSERT_EQ(vm_map_find(v.map, NULL, 0, &a, M2, 0, VMFS_NO_SPACE, RW, RW, 0), KERN_SUCCESS);
	ASSERT_EQ(vm_fault(v.map, a, VM_PROT_WRITE), KERN_SUCCESS);
	vm_paddr_t base = fill_superpage(kt, &v, a);
	ASSERT_NE(base, 0);
	vm_object_t obj = object_at(v.map, a);

	EXPECT_EQ(vm_map_remove(v.map, a + 100 * K4, a + 103 * K4), KERN_SUCCESS);
	expect_kept(kt, &v, a, base, a + 100 * K4, a + 103 * K4);
	struct vm_map_stats st = stats(v.map);
	EXPECT_EQ(st.resident_2m, 0);
	EXPECT_EQ(st.resident_4k, 509);
	vm_object_lock(obj);
	EXPECT_EQ(vm_object_resident_count(obj), 509);
	EXPECT_NULL(vm_object_page_lookup(obj, 101));
	vm_object_unlock(obj);
	/* The removed frames went back to pmm one by one. */
	EXPECT_EQ(phys_to_vm_page(base + 101 * K4)->ref_count, 0);
	EXPECT_EQ(v.map->nentries, 2);
	EXPECT_EQ(obj->ref_count, 2);
	EXPECT_EQ(vm_env_check(v.map), 0);

	/* Remove the first page: only 4 KiB pages remain, counters follow. */
	EXPECT_EQ(vm_map_remove(v.map, a, a + K4), KERN_SUCCESS);
	EXPECT_EQ(stats(v.map).resident_4k, 508);
	EXPECT_EQ(vm_env_check(v.map), 0);
	env_fini(kt, &v);
}

KTEST(vm_fault, partial_protect_keeps_data)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = 0x40000000;
	ASSERT_EQ(vm_map_find(v.map, NULL, 0, &a, 2 * M2, 0, VMFS_NO_SPACE, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	ASSERT_EQ(vm_fault(v.map, a, VM_PROT_WRITE), KERN_SUCCESS);
	ASSERT_EQ(vm_fault(v.map, a + M2, VM_PROT_WRITE), KERN_SUCCESS);
	vm_paddr_t base = fill_superpage(kt, &v, a);
	ASSERT_NE(base, 0);

	/* Part of the first: split, rights per page, data and frames kept. */
	EXPECT_EQ(vm_map_protect(v.map, a + 10 * K4, a + 20 * K4, R, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	expect_kept(kt, &v, a, base, 0, 0);
	unsigned flags;
	ASSERT_TRUE(mapped(v.pmap, a + 15 * K4, NULL, &flags, NULL));
	EXPECT_EQ(flags, UFLAGS_R);
	ASSERT_TRUE(mapped(v.pmap, a + 20 * K4, NULL, &flags, NULL));
	EXPECT_EQ(flags, UFLAGS_RW);
	struct vm_map_stats st = stats(v.map);
	EXPECT_EQ(st.resident_2m, 1);
	EXPECT_EQ(st.resident_4k, 512);
	EXPECT_EQ(v.map->nentries, 3);
	EXPECT_EQ(vm_env_check(v.map), 0);
	/* Back to RW: one entry again, the pages stay 4 KiB. */
	EXPECT_EQ(vm_map_protect(v.map, a + 10 * K4, a + 20 * K4, RW, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(v.map->nentries, 1);
	expect_kept(kt, &v, a, base, 0, 0);

	/* All of the second, aligned: the 2 MiB page stays whole. */
	EXPECT_EQ(vm_map_protect(v.map, a + M2, a + 2 * M2, RX, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	vm_size_t size;
	ASSERT_TRUE(mapped(v.pmap, a + M2 + 7 * K4, NULL, &flags, &size));
	EXPECT_EQ(size, M2);
	EXPECT_EQ(flags, UFLAGS_R | MMU_EXEC);
	EXPECT_EQ(stats(v.map).resident_2m, 1);
	/* set_max on one page without changing the rights: the 2 MiB page spans two entries. */
	EXPECT_EQ(vm_map_protect(v.map, a + M2, a + M2 + K4, 0, RX, VM_MAP_PROTECT_SET_MAXPROT),
		  KERN_SUCCESS);
	EXPECT_EQ(v.map->nentries, 3);
	ASSERT_TRUE(mapped(v.pmap, a + M2, NULL, NULL, &size));
	EXPECT_EQ(size, M2);
	EXPECT_EQ(vm_env_check(v.map), 0);
	/* Removing that one page splits it. */
	EXPECT_EQ(vm_map_remove(v.map, a + M2, a + M2 + K4), KERN_SUCCESS);
	st = stats(v.map);
	EXPECT_EQ(st.resident_2m, 0);
	EXPECT_EQ(st.resident_4k, 512 + 511);
	EXPECT_EQ(vm_env_check(v.map), 0);
	env_fini(kt, &v);
}

/* A page-table allocator that fails on demand, wrapping the default as mm/mmu.h asks. */
static bool pt_fail;
static vm_paddr_t failing_alloc(void)
{
	return pt_fail ? 0 : mmu_pt_pmm_allocator.alloc();
}
static void passing_free(vm_paddr_t pa)
{
	mmu_pt_pmm_allocator.free(pa);
}
static const struct mmu_pt_allocator failing_allocator = {failing_alloc, passing_free};

KTEST(vm_fault, out_of_page_tables)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	mmu_set_pt_allocator(&failing_allocator);
	vm_offset_t a = 0x40000000;
	ASSERT_EQ(vm_map_find(v.map, NULL, 0, &a, 2 * M2, 0, VMFS_NO_SPACE, RW, RW, 0),
		  KERN_SUCCESS);
	ASSERT_EQ(vm_fault(v.map, a, VM_PROT_WRITE), KERN_SUCCESS);
	vm_paddr_t base = fill_superpage(kt, &v, a);
	ASSERT_NE(base, 0);

	/* A split needs a page table: without one the whole 2 MiB mapping goes, the data stays. */
	pt_fail = true;
	EXPECT_EQ(vm_map_remove(v.map, a + 5 * K4, a + 6 * K4), KERN_SUCCESS);
	EXPECT_FALSE(mapped(v.pmap, a, NULL, NULL, NULL));
	EXPECT_FALSE(mapped(v.pmap, a + 300 * K4, NULL, NULL, NULL));
	struct vm_map_stats st = stats(v.map);
	EXPECT_EQ(st.resident_2m, 0);
	EXPECT_EQ(st.resident_4k, 0);
	EXPECT_EQ(vm_env_check(v.map), 0);
	/* A 4 KiB fault needing a page table fails, and succeeds once there is memory again. */
	EXPECT_EQ(vm_fault(v.map, a + 300 * K4, R), KERN_RESOURCE_SHORTAGE);
	pt_fail = false;
	EXPECT_EQ(vm_fault(v.map, a + 300 * K4, R), KERN_SUCCESS);
	vm_paddr_t pa;
	vm_size_t size;
	ASSERT_TRUE(mapped(v.pmap, a + 300 * K4, &pa, NULL, &size));
	EXPECT_EQ(size, K4);
	EXPECT_EQ(pa, base + 300 * K4);
	EXPECT_TRUE(page_is(pa, (unsigned char)((300 & 0xff) ^ 0x3c)));
	EXPECT_EQ(stats(v.map).resident_4k, 1);
	mmu_set_pt_allocator(NULL);
	env_fini(kt, &v);
}

/* Kernel-half maps get no MMU_USER. */
KTEST(vm_fault, kernel_map_has_no_user_bit)
{
	ASSERT_NONNULL(pmap_kernel());
	vm_offset_t lo = 0xffffc80000000000ull;
	vm_map_t map = vm_map_create(pmap_kernel(), lo, lo + ((vm_size_t)1 << 30));
	ASSERT_NONNULL(map);
	map_anon(kt, map, lo, 3 * K4, RW);
	EXPECT_EQ(vm_fault(map, lo + K4, VM_PROT_WRITE), KERN_SUCCESS);
	unsigned flags;
	ASSERT_TRUE(pmap_query(pmap_kernel(), lo + K4, NULL, &flags, NULL));
	EXPECT_EQ(flags, MMU_READ | MMU_WRITE);
	EXPECT_EQ(vm_env_check(map), 0);
	vm_map_destroy(map);
	EXPECT_FALSE(pmap_query(pmap_kernel(), lo + K4, NULL, NULL, NULL));
}

struct fault_job {
	vm_map_t map;
	vm_offset_t start;
	size_t pages;
	bool backwards;
	int failures;
};

static void *fault_all(void *arg)
{
	struct fault_job *j = arg;
	for (size_t i = 0; i < j->pages; i++) {
		size_t k = j->backwards ? j->pages - 1 - i : i;
		if (vm_fault(j->map, j->start + k * K4, (k & 1) ? VM_PROT_WRITE : R) !=
		    KERN_SUCCESS)
			j->failures++;
	}
	return NULL;
}

/* Two threads fault the same pages (and 2 MiB ranges) at once under the read lock. */
KTEST(vm_fault, concurrent_faults)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	for (int round = 0; round < 4; round++) {
		vm_offset_t a = 0x40000000 + (vm_offset_t)round * 0x10000000 - (round & 1) * 3 * K4;
		size_t pages = 3 * 512 + 7;
		ASSERT_EQ(vm_map_find(v.map, NULL, 0, &a, pages * K4, 0, VMFS_NO_SPACE, RW, RW, 0),
			  KERN_SUCCESS);
		struct fault_job j1 = {v.map, a, pages, false, 0}, j2 = {v.map, a, pages, true, 0};
		pthread_t t1, t2;
		ASSERT_EQ(pthread_create(&t1, NULL, fault_all, &j1), 0);
		ASSERT_EQ(pthread_create(&t2, NULL, fault_all, &j2), 0);
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
		EXPECT_EQ(j1.failures + j2.failures, 0);
		for (size_t i = 0; i < pages; i++)
			EXPECT_TRUE(mapped(v.pmap, a + i * K4, NULL, NULL, NULL));
		EXPECT_EQ(vm_env_check(v.map), 0);
		vm_object_t obj = object_at(v.map, a);
		ASSERT_NONNULL(obj);
		vm_object_lock(obj);
		EXPECT_EQ(vm_object_resident_count(obj), pages);
		vm_object_unlock(obj);
	}
	struct vm_map_stats st = stats(v.map);
	EXPECT_EQ(st.faults, 4 * 2 * (3 * 512 + 7));
	EXPECT_EQ(st.resident_4k + 512 * st.resident_2m, 4 * (3 * 512 + 7));
	EXPECT_GT(st.resident_2m, 0);
	env_fini(kt, &v);
}

/* Many faults, removes and protects at random, then destroy: counters exact, every frame back. */
KTEST(vm_fault, random_churn_gives_every_frame_back)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	struct test_rng rng;
	test_rng_init(&rng, 0x9e3779b97f4a7c15ull);
	vm_offset_t base = 0x40000000, span = 8 * M2;
	for (int op = 0; op < 3000; op++) {
		uint64_t x = test_rng_next(&rng);
		vm_offset_t s = base + (x % (span / K4)) * K4;
		vm_offset_t e = s + ((x >> 32) % 700 + 1) * K4;
		if (e > base + span)
			e = base + span;
		switch ((x >> 20) % 8) {
		case 0:
			vm_map_fixed(v.map, NULL, 0, s, e - s, RW, VM_PROT_ALL, 0);
			break;
		case 1:
			EXPECT_EQ(vm_map_remove(v.map, s, e), KERN_SUCCESS);
			break;
		case 2:
			EXPECT_EQ(vm_map_protect(v.map, s, e, (vm_prot_t)((x >> 40) % 8), 0,
						 VM_MAP_PROTECT_SET_PROT),
				  KERN_SUCCESS);
			break;
		default:
			vm_fault(v.map, s, R);
			break;
		}
		if (op % 16 == 0 && vm_env_check(v.map)) {
			KT_FAIL("vm_map_check failed after op %d", op);
			break;
		}
	}
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_GT(stats(v.map).faults_2m, 0);
	env_fini(kt, &v);
}
