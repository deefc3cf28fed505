/*
 * OBJT_SG objects (mm/vm_object.h) and their first user, the mmap of BPF map values
 * (kernel/bpf/map_mmap.h), through the real pmap over the simulated arena:
 *   - the object: its pages are the owner's frames, never freed with the object or a removed
 *     range; the release hook runs once, after the last reference; vm_object_check catches a
 *     broken one;
 *   - in a map: faults map exactly the owner's frames (4 KiB, and 2 MiB where the frames are one
 *     aligned run and the entry allows), vm_map_check after every operation, clips and protects
 *     share the object and leave the release to the last piece;
 *   - bpf_map_mmap_object: every error in Linux's order, the writable count tied to the object's
 *     life (BPF_MAP_FREEZE EBUSY while it lives), the map living as long as a mapping, values
 *     shared both ways, and superpages for a 2 MiB value area.
 * Every test runs under the frame-count leak check.
 */
#include <string.h>

#include "kernel/bpf/map_mmap.h"
#include "kernel/ktest.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "mm/vm_map.h"
#include "tests/host/bpf_map_util.h"
#include "tests/host/testutil.h"
#include "tests/host/vm_env.h"
#include "uapi/errno.h"
#include "uapi/mman.h"

#define K4 ((vm_size_t)0x1000)
#define M2 ((vm_size_t)0x200000)
#define R VM_PROT_READ
#define UFLAGS_R (MMU_READ | MMU_USER)

/*
 * The leak check of every test (kernel/ktest.c), counted once what is built on first use and lives
 * for the whole run exists: the kernel pmap, the caches of map entries and objects, the map ids.
 */
static size_t free_frames_warm(void)
{
	static bool warm;
	if (!warm) {
		vm_env_warm();
		bpf_map_put(make_map(BPF_MAP_TYPE_ARRAY, 4, 8, 1));
		warm = true;
	}
	return free_frames_after_reap();
}

__attribute__((constructor)) static void install_leak_check(void)
{
	ktest_free_frames = free_frames_warm;
}

static struct vm_map_stats stats(vm_map_t map)
{
	struct vm_map_stats st;
	vm_map_get_stats(map, &st);
	return st;
}

/* The frame and page size mapped at va, or 0 / 0 when nothing is. */
static vm_paddr_t pa_at(pmap_t pmap, vm_offset_t va, vm_size_t *size)
{
	vm_paddr_t pa = 0;
	*size = 0;
	return pmap_query(pmap, va, &pa, NULL, size) ? pa : 0;
}

/* The owner side: a block of frames and a count of release calls. */
struct owner {
	vm_page_t block;
	unsigned order;
	int released;
};

/* The owner of a fresh block of 2^order frames (zeroed), or false. */
static bool owner_alloc(struct owner *o, unsigned order)
{
	*o = (struct owner){.block = pmm_alloc_order(order, PMM_ZERO), .order = order};
	return o->block != NULL;
}

static void owner_release(void *arg)
{
	((struct owner *)arg)->released++;
}

static bool block_allocated(vm_page_t block)
{
	vm_page_t head = pmm_block_head(block);
	return head == block && (head->flags & VM_PAGE_ALLOC);
}

/* An OBJT_SG object over the owner's frames, in the order perm gives (NULL: in order). */
static vm_object_t sg_object(struct owner *o, const unsigned *perm)
{
	uint64_t n = (uint64_t)1 << o->order;
	vm_page_t *pages = kmalloc(n * sizeof(*pages));
	if (!pages)
		return NULL;
	for (uint64_t i = 0; i < n; i++)
		pages[i] = phys_to_vm_page(vm_page_to_phys(o->block) + (perm ? perm[i] : i) * K4);
	vm_object_t obj = vm_object_allocate_sg(pages, n, owner_release, o);
	if (!obj)
		kfree(pages);
	return obj;
}

/* ---------------------------------------------------------------------------------------------
 * The object on its own
 */

KTEST(vm_object_sg, pages_stay_the_owners_and_release_runs_once)
{
	struct owner o;
	ASSERT_TRUE(owner_alloc(&o, 2));
	static const unsigned perm[4] = {2, 0, 3, 1};
	vm_object_t obj = sg_object(&o, perm);
	ASSERT_NONNULL(obj);
	vm_paddr_t base = vm_page_to_phys(o.block);
	uint64_t idx = 99;

	vm_object_lock(obj);
	EXPECT_EQ(obj->type, OBJT_SG);
	EXPECT_EQ(obj->size, 4 * K4);
	for (uint64_t i = 0; i < 4; i++)
		EXPECT_EQ(vm_page_to_phys(vm_object_page_lookup(obj, i)), base + perm[i] * K4);
	EXPECT_NULL(vm_object_page_lookup(obj, 4));
	EXPECT_EQ(vm_object_resident_count(obj), 4);
	EXPECT_EQ(vm_page_to_phys(vm_object_page_next(obj, 1, 4, &idx)), base + perm[1] * K4);
	EXPECT_EQ(idx, 1);
	EXPECT_NULL(vm_object_page_next(obj, 4, 10, &idx));
	EXPECT_NULL(vm_object_page_next(obj, 2, 2, &idx));
	/* Removing pages frees none: they are the owner's. */
	EXPECT_EQ(vm_object_page_remove(obj, 0, 4), 0);
	EXPECT_EQ(vm_object_resident_count(obj), 4);
	EXPECT_NULL(vm_object_check(obj));
	vm_object_unlock(obj);

	vm_object_reference(obj);
	vm_object_deallocate(obj);
	EXPECT_EQ(o.released, 0);
	vm_object_deallocate(obj);
	EXPECT_EQ(o.released, 1);
	EXPECT_TRUE(block_allocated(o.block));
	pmm_free(o.block);
}

KTEST(vm_object_sg, check_catches_a_broken_object)
{
	struct owner o;
	ASSERT_TRUE(owner_alloc(&o, 1));
	vm_object_t obj = sg_object(&o, NULL);
	ASSERT_NONNULL(obj);

	vm_object_lock(obj);
	EXPECT_NULL(vm_object_check(obj));
	obj->sg.release = NULL;
	EXPECT_NONNULL(vm_object_check(obj));
	obj->sg.release = owner_release;
	vm_page_t second = obj->sg.pages[1];
	obj->sg.pages[1] = NULL;
	EXPECT_NONNULL(vm_object_check(obj));
	obj->sg.pages[1] = second;
	vm_object_unlock(obj);

	/* The owner freed its frames while the object still shows them. */
	pmm_free(o.block);
	vm_object_lock(obj);
	const char *msg = vm_object_check(obj);
	vm_object_unlock(obj);
	EXPECT_NONNULL(msg);
	if (msg)
		EXPECT_EQ(strcmp(msg, "vm_object: OBJT_SG frame is not part of an allocated block"),
			  0);
	vm_object_deallocate(obj);
	EXPECT_EQ(o.released, 1);
}

/* ---------------------------------------------------------------------------------------------
 * In a map
 */

KTEST(vm_object_sg, faults_map_the_owners_frames)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	struct owner o;
	ASSERT_TRUE(owner_alloc(&o, 2));
	static const unsigned perm[4] = {3, 1, 0, 2};
	vm_object_t obj = sg_object(&o, perm);
	ASSERT_NONNULL(obj);
	vm_paddr_t base = vm_page_to_phys(o.block);

	/* Object pages 1..3 at a. */
	vm_offset_t a = 0x100000;
	ASSERT_EQ(vm_map_find(v.map, obj, K4, &a, 3 * K4, 0, VMFS_NO_SPACE,
			      VM_PROT_READ | VM_PROT_WRITE, VM_PROT_READ | VM_PROT_WRITE, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	for (unsigned i = 0; i < 3; i++) {
		vm_size_t size;
		EXPECT_EQ(vm_fault(v.map, a + i * K4 + 0x10, VM_PROT_WRITE), KERN_SUCCESS);
		EXPECT_EQ(pa_at(v.pmap, a + i * K4, &size), base + perm[i + 1] * K4);
		EXPECT_EQ(size, K4);
		EXPECT_EQ(vm_env_check(v.map), 0);
	}
	/* What the owner writes is what the mapping shows. */
	*(uint32_t *)phys_to_virt(base + perm[2] * K4) = 0xfeedf00d;
	vm_size_t size;
	EXPECT_EQ(*(uint32_t *)phys_to_virt(pa_at(v.pmap, a + K4, &size)), 0xfeedf00d);
	EXPECT_EQ(stats(v.map).resident_4k, 3);

	/* Removing the middle page clips the entry: two pieces share the object, nothing is freed. */
	EXPECT_EQ(vm_map_remove(v.map, a + K4, a + 2 * K4), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->nentries, 2);
	EXPECT_EQ(obj->ref_count, 2);
	EXPECT_EQ(o.released, 0);
	EXPECT_EQ(pa_at(v.pmap, a + K4, &size), 0);
	EXPECT_EQ(*(uint32_t *)phys_to_virt(base + perm[2] * K4), 0xfeedf00d);
	EXPECT_EQ(stats(v.map).resident_4k, 2);

	/* Read-only, then back: the frames stay mapped with the new rights. */
	unsigned flags;
	EXPECT_EQ(vm_map_protect(v.map, a, a + 3 * K4, R, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	ASSERT_TRUE(pmap_query(v.pmap, a + 2 * K4, NULL, &flags, NULL));
	EXPECT_EQ(flags, UFLAGS_R);
	EXPECT_EQ(vm_fault(v.map, a, VM_PROT_WRITE), KERN_PROTECTION_FAILURE);
	EXPECT_EQ(vm_env_check(v.map), 0);

	EXPECT_EQ(vm_map_remove(v.map, a, a + K4), KERN_SUCCESS);
	EXPECT_EQ(o.released, 0);
	EXPECT_EQ(vm_map_remove(v.map, a + 2 * K4, a + 3 * K4), KERN_SUCCESS);
	EXPECT_EQ(o.released, 1);
	EXPECT_EQ(v.map->nentries, 0);
	EXPECT_TRUE(block_allocated(o.block));
	vm_env_fini(kt, &v);
	pmm_free(o.block);
}

KTEST(vm_object_sg, superpage_over_an_aligned_run)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	struct owner o;
	ASSERT_TRUE(owner_alloc(&o, SUPERPAGE_ORDER));
	vm_object_t obj = sg_object(&o, NULL);
	ASSERT_NONNULL(obj);
	vm_paddr_t base = vm_page_to_phys(o.block);
	for (unsigned i = 0; i < 512; i++)
		*(uint32_t *)phys_to_virt(base + i * K4) = i;

	/* OPTIMAL placement puts an object's mapping on a 2 MiB boundary, even from a crooked hint. */
	vm_offset_t a = 0x100000 + K4;
	ASSERT_EQ(vm_map_find(v.map, obj, 0, &a, M2, 0, VMFS_OPTIMAL_SPACE,
			      VM_PROT_READ | VM_PROT_WRITE, VM_PROT_READ | VM_PROT_WRITE, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(a & (M2 - 1), 0);
	EXPECT_EQ(vm_fault(v.map, a + 77 * K4, R), KERN_SUCCESS);
	vm_size_t size;
	EXPECT_EQ(pa_at(v.pmap, a, &size), base);
	EXPECT_EQ(size, M2);
	struct vm_map_stats st = stats(v.map);
	EXPECT_EQ(st.faults_2m, 1);
	EXPECT_EQ(st.resident_2m, 1);
	EXPECT_EQ(vm_env_check(v.map), 0);

	/* Protecting a few pages splits the 2 MiB page into 4 KiB ones, on the same frames. */
	EXPECT_EQ(vm_map_protect(v.map, a + 10 * K4, a + 12 * K4, R, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	st = stats(v.map);
	EXPECT_EQ(st.resident_2m, 0);
	EXPECT_EQ(st.resident_4k, 512);
	for (unsigned i = 0; i < 512; i += 73) {
		EXPECT_EQ(pa_at(v.pmap, a + i * K4, &size), base + i * K4);
		EXPECT_EQ(*(uint32_t *)phys_to_virt(base + i * K4), i);
	}

	/* Part of it unmapped: three entries of one object, then the whole map goes. */
	EXPECT_EQ(vm_map_remove(v.map, a + 100 * K4, a + 101 * K4), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(stats(v.map).resident_4k, 511);
	EXPECT_EQ(o.released, 0);
	vm_env_fini(kt, &v);
	EXPECT_EQ(o.released, 1);
	EXPECT_TRUE(block_allocated(o.block));
	pmm_free(o.block);
}

KTEST(vm_object_sg, no_superpage_unless_run_aligned_and_unmapped)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	struct owner o;
	ASSERT_TRUE(owner_alloc(&o, SUPERPAGE_ORDER + 1));
	static unsigned perm[1024];
	for (unsigned i = 0; i < 1024; i++)
		perm[i] = i;
	/* Object pages 0..511 are not one run: two frames swapped. */
	perm[7] = 8;
	perm[8] = 7;
	vm_object_t obj = sg_object(&o, perm), in_order = sg_object(&o, NULL);
	ASSERT_NONNULL(obj);
	ASSERT_NONNULL(in_order);
	vm_paddr_t base = vm_page_to_phys(o.block);
	vm_size_t size;

	vm_offset_t a = 0x40000000;
	ASSERT_EQ(vm_map_find(v.map, obj, 0, &a, M2, 0, VMFS_NO_SPACE, R, R, 0), KERN_SUCCESS);
	EXPECT_EQ(vm_fault(v.map, a + 8 * K4, R), KERN_SUCCESS);
	EXPECT_EQ(pa_at(v.pmap, a + 8 * K4, &size), base + 7 * K4);
	EXPECT_EQ(size, K4);

	/* Pages 512..1023 are a run, but mapped at an address not congruent to it modulo 2 MiB. */
	vm_offset_t b = 0x80000000 + K4;
	vm_object_reference(obj);
	ASSERT_EQ(vm_map_find(v.map, obj, M2, &b, M2 - K4, 0, VMFS_NO_SPACE, R, R, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_fault(v.map, b + M2 - 2 * K4, R), KERN_SUCCESS);
	EXPECT_EQ(pa_at(v.pmap, b + M2 - 2 * K4, &size), base + M2 + (M2 - 2 * K4));
	EXPECT_EQ(size, K4);

	/*
	 * That run (of another object) mapped congruently, but one of its pages is mapped 4 KiB
	 * before the entry covers the whole 2 MiB: the 2 MiB page cannot go in over it, the faults
	 * stay 4 KiB.
	 */
	vm_offset_t c = 0xc0000000;
	ASSERT_EQ(vm_map_find(v.map, in_order, M2, &c, M2, 0, VMFS_NO_SPACE, R, R, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(
		vm_map_protect(v.map, c + K4, c + 2 * K4, VM_PROT_NONE, 0, VM_MAP_PROTECT_SET_PROT),
		KERN_SUCCESS);
	EXPECT_EQ(vm_fault(v.map, c, R), KERN_SUCCESS);
	EXPECT_EQ(vm_map_protect(v.map, c + K4, c + 2 * K4, R, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(v.map->nentries, 3);
	EXPECT_EQ(vm_fault(v.map, c + 300 * K4, R), KERN_SUCCESS);
	EXPECT_EQ(pa_at(v.pmap, c + 300 * K4, &size), base + M2 + 300 * K4);
	EXPECT_EQ(size, K4);
	/* One run of 512 frames, but not starting on a 2 MiB boundary. */
	static unsigned shifted_perm[1024];
	for (unsigned i = 0; i < 1024; i++)
		shifted_perm[i] = (i + 1) % 1024;
	vm_object_t shifted = sg_object(&o, shifted_perm);
	ASSERT_NONNULL(shifted);
	vm_offset_t d = 0x100000000;
	ASSERT_EQ(vm_map_find(v.map, shifted, 0, &d, M2, 0, VMFS_NO_SPACE, R, R, 0), KERN_SUCCESS);
	EXPECT_EQ(vm_fault(v.map, d, R), KERN_SUCCESS);
	EXPECT_EQ(pa_at(v.pmap, d, &size), base + K4);
	EXPECT_EQ(size, K4);

	struct vm_map_stats st = stats(v.map);
	EXPECT_EQ(st.faults_2m, 0);
	EXPECT_EQ(st.resident_4k, 5);
	EXPECT_EQ(vm_env_check(v.map), 0);
	vm_env_fini(kt, &v);
	EXPECT_EQ(o.released, 3);
	pmm_free(o.block);
}

/* ---------------------------------------------------------------------------------------------
 * mmap of BPF map values
 */

#define RO BPF_MAP_FMODE_READ
#define WO BPF_MAP_FMODE_WRITE
#define PRW (PROT_READ | PROT_WRITE)

/* bpf_map_mmap_object's result, dropping the object if one was made. */
static int try_mmap(struct bpf_map *m, unsigned fmode, uint64_t off, uint64_t len, int prot,
		    int flags)
{
	struct vm_object *obj = NULL;
	vm_prot_t max;
	int r = bpf_map_mmap_object(m, fmode, off, len, (vm_prot_t)prot, flags, &obj, &max);
	vm_object_deallocate(obj);
	return r;
}

KTEST(bpf_map_mmap, errors_in_linux_order)
{
	struct bpf_map *hash = make_map(BPF_MAP_TYPE_HASH, 4, 8, 4);
	struct bpf_map *pcpu = make_map(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4);
	struct bpf_map *plain = make_map(BPF_MAP_TYPE_ARRAY, 4, 8, 4);
	struct bpf_map *plain_ro = make_map_flags(BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_RDONLY_PROG);
	struct bpf_map *plain_frozen = make_map(BPF_MAP_TYPE_ARRAY, 4, 8, 4);
	/* 2 pages */
	struct bpf_map *m = make_map_flags(BPF_MAP_TYPE_ARRAY, 4, 8, 1000, BPF_F_MMAPABLE);
	ASSERT_NONNULL(hash);
	ASSERT_NONNULL(pcpu);
	ASSERT_NONNULL(plain);
	ASSERT_NONNULL(plain_ro);
	ASSERT_NONNULL(plain_frozen);
	ASSERT_NONNULL(m);
	ASSERT_EQ(bpf_map_freeze(plain_frozen, RW), 0);

	/* The fd's mode comes first (do_mmap), then the type (bpf_map_mmap). */
	EXPECT_EQ(try_mmap(hash, RO, 0, K4, PRW, MAP_SHARED), -EACCES);
	EXPECT_EQ(try_mmap(hash, WO, 0, K4, PROT_READ, MAP_SHARED), -EACCES);
	EXPECT_EQ(try_mmap(hash, RW, 0, K4, PRW, MAP_SHARED), -ENOTSUPP);
	EXPECT_EQ(try_mmap(pcpu, RW, 0, K4, PROT_READ, MAP_SHARED), -ENOTSUPP);
	/* RO with PROT_WRITE but MAP_PRIVATE: do_mmap checks write mode for shared mappings only. */
	EXPECT_EQ(try_mmap(m, RO, 0, K4, PRW, MAP_PRIVATE), -EINVAL);
	/* No private mappings, and a read-only fd's shared mapping is not shared. */
	EXPECT_EQ(try_mmap(m, RW, 0, K4, PROT_READ, MAP_PRIVATE), -EINVAL);
	EXPECT_EQ(try_mmap(m, RW, 0, K4, PRW, MAP_PRIVATE), -EINVAL);
	EXPECT_EQ(try_mmap(m, RO, 0, K4, PROT_READ, MAP_SHARED), -EINVAL);
	EXPECT_EQ(try_mmap(plain_frozen, RW, 0, K4, PRW, MAP_PRIVATE), -EINVAL);
	/* The write checks come before the refusal of an array without a value area. */
	EXPECT_EQ(try_mmap(plain_frozen, RW, 0, K4, PRW, MAP_SHARED), -EPERM);
	EXPECT_EQ(try_mmap(plain_frozen, RW, 0, K4, PROT_READ, MAP_SHARED), -EINVAL);
	EXPECT_EQ(try_mmap(plain_ro, RW, 0, K4, PRW, MAP_SHARED), -EACCES);
	EXPECT_EQ(try_mmap(plain_ro, RW, 0, K4, PROT_READ, MAP_SHARED), -EINVAL);
	EXPECT_EQ(try_mmap(plain, RW, 0, K4, PRW, MAP_SHARED), -EINVAL);
	EXPECT_EQ(try_mmap(plain, RW, 0, K4, PROT_READ, MAP_SHARED), -EINVAL);
	/* Then the range: inside the value area's pages, any page offset. */
	EXPECT_EQ(try_mmap(m, RW, 0, 3 * K4, PRW, MAP_SHARED), -EINVAL);
	EXPECT_EQ(try_mmap(m, RW, K4, 2 * K4, PROT_READ, MAP_SHARED), -EINVAL);
	EXPECT_EQ(try_mmap(m, RW, 2 * K4, K4, PROT_READ, MAP_SHARED), -EINVAL);
	EXPECT_EQ(try_mmap(m, RW, ~0ull & ~(K4 - 1), K4, PRW, MAP_SHARED), -EINVAL);
	EXPECT_EQ(try_mmap(m, RW, 0, 2 * K4, PRW, MAP_SHARED), 0);
	EXPECT_EQ(try_mmap(m, RW, K4, K4, PRW, MAP_SHARED | MAP_FIXED), 0);
	/* A refused writable mapping left no count behind: the map can still be frozen. */
	EXPECT_EQ(bpf_map_freeze(m, RW), 0);
	EXPECT_EQ(try_mmap(m, RW, 0, K4, PRW, MAP_SHARED), -EPERM);
	EXPECT_EQ(try_mmap(m, RW, 0, 3 * K4, PRW, MAP_SHARED), -EPERM);
	EXPECT_EQ(try_mmap(m, RW, 0, K4, PROT_READ, MAP_SHARED), 0);

	struct bpf_map *rdonly_prog =
		make_map_flags(BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_MMAPABLE | BPF_F_RDONLY_PROG);
	ASSERT_NONNULL(rdonly_prog);
	EXPECT_EQ(try_mmap(rdonly_prog, RW, 0, K4, PRW, MAP_SHARED), -EACCES);
	EXPECT_EQ(try_mmap(rdonly_prog, RW, 0, K4, PROT_READ, MAP_SHARED), 0);

	struct bpf_map *all[] = {hash, pcpu, plain, plain_ro, plain_frozen, m, rdonly_prog};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		EXPECT_NULL(bpf_map_check(all[i]));
		bpf_map_put(all[i]);
	}
}

KTEST(bpf_map_mmap, max_protection_follows_prot)
{
	struct bpf_map *m = make_map_flags(BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_MMAPABLE);
	ASSERT_NONNULL(m);
	static const struct {
		int prot;
		vm_prot_t max;
	} cases[] = {
		{PROT_NONE, VM_PROT_READ},
		{PROT_READ, VM_PROT_READ},
		{PRW, VM_PROT_READ | VM_PROT_WRITE},
		{PROT_READ | PROT_EXEC, VM_PROT_READ | VM_PROT_EXECUTE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_object *obj = NULL;
		vm_prot_t max = 0;
		EXPECT_EQ(bpf_map_mmap_object(m, RW, 0, K4, (vm_prot_t)cases[i].prot, MAP_SHARED,
					      &obj, &max),
			  0);
		EXPECT_EQ(max, cases[i].max);
		ASSERT_NONNULL(obj);
		EXPECT_EQ(obj->type, OBJT_SG);
		EXPECT_EQ(obj->size, K4);
		vm_object_deallocate(obj);
	}
	bpf_map_put(m);
}

KTEST(bpf_map_mmap, writable_count_lives_with_the_object)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	/* 4 pages */
	struct bpf_map *m = make_map_flags(BPF_MAP_TYPE_ARRAY, 4, 8, 2048, BPF_F_MMAPABLE);
	ASSERT_NONNULL(m);
	struct vm_object *ro = NULL, *rw = NULL;
	vm_prot_t max;

	/* A read-only mapping does not hold off a freeze. */
	ASSERT_EQ(bpf_map_mmap_object(m, RW, 0, 4 * K4, PROT_READ, MAP_SHARED, &ro, &max), 0);
	ASSERT_EQ(bpf_map_mmap_object(m, RW, 0, 4 * K4, PRW, MAP_SHARED, &rw, &max), 0);
	vm_offset_t a = 0x100000, b = 0x200000;
	ASSERT_EQ(vm_map_find(v.map, ro, 0, &a, 4 * K4, 0, VMFS_NO_SPACE, R, R, 0), KERN_SUCCESS);
	ASSERT_EQ(vm_map_find(v.map, rw, 0, &b, 4 * K4, 0, VMFS_NO_SPACE, PRW, max, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(bpf_map_freeze(m, RW), -EBUSY);

	/* Splits and partial unmaps share the object: still one writable mapping. */
	EXPECT_EQ(vm_map_protect(v.map, b + K4, b + 2 * K4, R, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_map_remove(v.map, b + 2 * K4, b + 3 * K4), KERN_SUCCESS);
	EXPECT_EQ(v.map->nentries, 4);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(bpf_map_freeze(m, RW), -EBUSY);
	EXPECT_EQ(vm_map_remove(v.map, b, b + 2 * K4), KERN_SUCCESS);
	EXPECT_EQ(bpf_map_freeze(m, RW), -EBUSY);
	EXPECT_EQ(vm_map_remove(v.map, b + 3 * K4, b + 4 * K4), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(bpf_map_freeze(m, RW), 0);
	EXPECT_NULL(bpf_map_check(m));
	bpf_map_put(m);
	vm_env_fini(kt, &v);
}

KTEST(bpf_map_mmap, map_lives_while_mapped_and_values_are_shared)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	size_t live = bpf_maps_live();
	struct bpf_map *m = make_map_flags(BPF_MAP_TYPE_ARRAY, 4, 12, 600,
					   BPF_F_MMAPABLE); /* stride 16: 3 pages */
	ASSERT_NONNULL(m);
	struct vm_object *obj = NULL;
	vm_prot_t max;
	ASSERT_EQ(bpf_map_mmap_object(m, RW, K4, 2 * K4, PRW, MAP_SHARED, &obj, &max), 0);
	vm_offset_t a = 0x100000;
	ASSERT_EQ(vm_map_find(v.map, obj, K4, &a, 2 * K4, 0, VMFS_NO_SPACE, PRW, max, 0),
		  KERN_SUCCESS);
	/* The creator's reference goes (the fd is closed): the mapping keeps the map. */
	bpf_map_put(m);
	EXPECT_EQ(bpf_maps_live(), live + 1);

	/* Element 300 is at byte 4800 of the value area: page 1, the mapping's first. */
	uint32_t key = 300;
	uint8_t val[12], got[12];
	memset(val, 0xab, sizeof(val));
	EXPECT_EQ(update(m, &key, val, BPF_ANY), 0);
	EXPECT_EQ(vm_fault(v.map, a + 4800 - K4, VM_PROT_WRITE), KERN_SUCCESS);
	vm_size_t size;
	uint8_t *p = (uint8_t *)phys_to_virt(pa_at(v.pmap, a, &size)) + (4800 - K4);
	EXPECT_EQ(memcmp(p, val, sizeof(val)), 0);
	memset(p, 0x5c, sizeof(val));
	EXPECT_EQ(lookup(m, &key, got), 0);
	memset(val, 0x5c, sizeof(val));
	EXPECT_EQ(memcmp(got, val, sizeof(val)), 0);
	EXPECT_EQ(vm_env_check(v.map), 0);

	EXPECT_EQ(vm_map_remove(v.map, a, a + K4), KERN_SUCCESS);
	EXPECT_EQ(bpf_maps_live(), live + 1);
	EXPECT_EQ(vm_map_remove(v.map, a + K4, a + 2 * K4), KERN_SUCCESS);
	EXPECT_EQ(bpf_maps_live(), live);
	vm_env_fini(kt, &v);
}

KTEST(bpf_map_mmap, superpages_for_a_2m_value_area)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	/* 1.5 MiB */
	struct bpf_map *m = make_map_flags(BPF_MAP_TYPE_ARRAY, 4, 8, 3 * 65536, BPF_F_MMAPABLE);
	/* 2 MiB */
	struct bpf_map *big = make_map_flags(BPF_MAP_TYPE_ARRAY, 4, 8, 4 * 65536, BPF_F_MMAPABLE);
	ASSERT_NONNULL(m);
	ASSERT_NONNULL(big);
	EXPECT_EQ(bpf_map_mmap_size(big), M2);
	struct vm_object *obj = NULL;
	vm_prot_t max;
	ASSERT_EQ(bpf_map_mmap_object(big, RW, 0, M2, PRW, MAP_SHARED, &obj, &max), 0);
	vm_offset_t a = 0x100000;
	ASSERT_EQ(vm_map_find(v.map, obj, 0, &a, M2, 0, VMFS_OPTIMAL_SPACE, PRW, max, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(a & (M2 - 1), 0);
	EXPECT_EQ(vm_fault(v.map, a + 123 * K4, VM_PROT_WRITE), KERN_SUCCESS);
	vm_size_t size;
	vm_paddr_t pa = pa_at(v.pmap, a, &size);
	EXPECT_EQ(size, M2);
	uint32_t key = 200000;
	uint64_t val = 0x1122334455667788ull, got = 0;
	EXPECT_EQ(update(big, &key, &val, BPF_ANY), 0);
	EXPECT_EQ(*(uint64_t *)phys_to_virt(pa + key * 8), val);
	EXPECT_EQ(stats(v.map).faults_2m, 1);
	EXPECT_EQ(vm_env_check(v.map), 0);

	/* Less than 2 MiB of values: 4 KiB pages only. */
	obj = NULL;
	ASSERT_EQ(bpf_map_mmap_object(m, RW, 0, bpf_map_mmap_size(m), PRW, MAP_SHARED, &obj, &max),
		  0);
	vm_offset_t b = 0;
	ASSERT_EQ(vm_map_find(v.map, obj, 0, &b, bpf_map_mmap_size(m), 0, VMFS_OPTIMAL_SPACE, PRW,
			      max, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_fault(v.map, b, VM_PROT_WRITE), KERN_SUCCESS);
	pa = pa_at(v.pmap, b, &size);
	EXPECT_EQ(size, K4);
	*(uint64_t *)phys_to_virt(pa) = 42;
	key = 0;
	EXPECT_EQ(lookup(m, &key, &got), 0);
	EXPECT_EQ(got, 42);
	EXPECT_EQ(stats(v.map).faults_2m, 1);
	EXPECT_EQ(vm_env_check(v.map), 0);
	bpf_map_put(m);
	bpf_map_put(big);
	vm_env_fini(kt, &v);
}
