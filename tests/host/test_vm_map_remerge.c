/*
 * Pieces of anonymous memory coalesce again (mm/vm_map.h): clipping an entry that has no object
 * yet gives it one first (FreeBSD's vm_map_entry_back), so that pieces of it that are touched
 * (each faulting on its own) still share one object and merge once their protections match; and
 * new anonymous memory in a hole takes the object of its neighbours where it spans the hole. Every
 * operation is followed by vm_map_check, data written before a split is read back after the
 * merge, and every frame comes back at the end. Also: a guard never gets an object, and when no
 * object can be had the operation fails with the map unchanged.
 */
#include "mm/kmem.h"
#include "mm/pmm.h"
#include "tests/host/vm_env.h"

#define K4 ((vm_size_t)0x1000)
#define M2 ((vm_size_t)0x200000)
#define R VM_PROT_READ
#define RW (VM_PROT_READ | VM_PROT_WRITE)
#define SET_PROT VM_MAP_PROTECT_SET_PROT

/* 16 pages of untouched anonymous memory at a 2 MiB boundary (the first fit of an empty map). */
static vm_offset_t map16(struct ktest_state *kt, struct vm_env *v)
{
	vm_offset_t a = M2;
	EXPECT_EQ(vm_map_find(v->map, NULL, 0, &a, 16 * K4, 0, VMFS_ANY_SPACE, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(v->map->nentries, 1);
	return a;
}

/* Fault va in for writing and store byte there; then vm_map_check. */
static void poke(struct ktest_state *kt, struct vm_env *v, vm_offset_t va, unsigned char byte)
{
	vm_paddr_t pa;
	ASSERT_EQ(vm_fault(v->map, va, VM_PROT_WRITE), KERN_SUCCESS);
	ASSERT_TRUE(pmap_query(v->pmap, va, &pa, NULL, NULL));
	*(unsigned char *)phys_to_virt(pa) = byte;
	EXPECT_EQ(vm_env_check(v->map), 0);
}

/* The byte at va, faulted in for reading. */
static int peek(struct ktest_state *kt, struct vm_env *v, vm_offset_t va)
{
	vm_paddr_t pa;
	if (vm_fault(v->map, va, VM_PROT_READ) != KERN_SUCCESS ||
	    !pmap_query(v->pmap, va, &pa, NULL, NULL)) {
		KT_FAIL("0x%llx cannot be read", (unsigned long long)va);
		return -1;
	}
	return *(unsigned char *)phys_to_virt(pa);
}

static void protect(struct ktest_state *kt, struct vm_env *v, vm_offset_t s, vm_offset_t e,
		    vm_prot_t prot)
{
	EXPECT_EQ(vm_map_protect(v->map, s, e, prot, 0, SET_PROT), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v->map), 0);
}

/* The one entry of the map spans [s, e) with protection prot and has an object. */
static void one_entry(struct ktest_state *kt, struct vm_env *v, vm_offset_t s, vm_offset_t e,
		      vm_prot_t prot)
{
	vm_map_entry_t x = v->map->header.next;
	EXPECT_EQ(v->map->nentries, 1);
	EXPECT_EQ(x->start, s);
	EXPECT_EQ(x->end, e);
	EXPECT_EQ(x->protection, prot);
	EXPECT_NONNULL(x->object);
}

/* The case: split untouched, touch one piece, restore the protection: one entry again. */
KTEST(vm_map_remerge, untouched_split_then_one_piece_touched)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = map16(kt, &v);
	protect(kt, &v, a + 4 * K4, a + 8 * K4, R);
	EXPECT_EQ(v.map->nentries, 3);
	/* Every piece shares the object the clip made, at the offsets of one mapping. */
	vm_map_entry_t p0 = v.map->header.next, p1 = p0->next, p2 = p1->next;
	EXPECT_NONNULL(p0->object);
	EXPECT_TRUE(p0->object == p1->object && p1->object == p2->object);
	EXPECT_EQ(p1->offset, p0->offset + 4 * K4);
	EXPECT_EQ(p2->offset, p0->offset + 8 * K4);
	poke(kt, &v, a + 9 * K4, 0x5a);
	protect(kt, &v, a + 4 * K4, a + 8 * K4, RW);
	one_entry(kt, &v, a, a + 16 * K4, RW);
	EXPECT_EQ(peek(kt, &v, a + 9 * K4), 0x5a);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

/* Every piece touched, and the middle one made read-only in between: still one entry after. */
KTEST(vm_map_remerge, every_piece_touched)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = map16(kt, &v);
	protect(kt, &v, a + 2 * K4, a + 3 * K4, R);
	protect(kt, &v, a + 10 * K4, a + 12 * K4, VM_PROT_NONE);
	EXPECT_EQ(v.map->nentries, 5);
	poke(kt, &v, a, 1);
	poke(kt, &v, a + 5 * K4, 2);
	poke(kt, &v, a + 15 * K4, 3);
	EXPECT_EQ(peek(kt, &v, a + 2 * K4), 0);
	protect(kt, &v, a, a + 16 * K4, RW);
	one_entry(kt, &v, a, a + 16 * K4, RW);
	EXPECT_EQ(peek(kt, &v, a), 1);
	EXPECT_EQ(peek(kt, &v, a + 5 * K4), 2);
	EXPECT_EQ(peek(kt, &v, a + 15 * K4), 3);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

/* A hole punched into untouched memory, both sides touched, the hole mapped again: one entry. */
KTEST(vm_map_remerge, hole_mapped_again)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = map16(kt, &v);
	EXPECT_EQ(vm_map_remove(v.map, a + 6 * K4, a + 8 * K4), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->nentries, 2);
	poke(kt, &v, a + 5 * K4, 7);
	poke(kt, &v, a + 8 * K4, 8);
	EXPECT_EQ(vm_map_fixed(v.map, NULL, 0, a + 6 * K4, 2 * K4, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	one_entry(kt, &v, a, a + 16 * K4, RW);
	EXPECT_EQ(peek(kt, &v, a + 6 * K4), 0);
	EXPECT_EQ(peek(kt, &v, a + 5 * K4), 7);
	EXPECT_EQ(peek(kt, &v, a + 8 * K4), 8);

	/* At the bottom, only the entry above can give its object; found by first fit, too. */
	EXPECT_EQ(vm_map_remove(v.map, a, a + 2 * K4), KERN_SUCCESS);
	poke(kt, &v, a + 2 * K4, 9);
	vm_offset_t at = a;
	EXPECT_EQ(vm_map_find(v.map, NULL, 0, &at, 2 * K4, 0, VMFS_ANY_SPACE, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(at, a);
	EXPECT_EQ(vm_env_check(v.map), 0);
	one_entry(kt, &v, a, a + 16 * K4, RW);
	EXPECT_EQ(peek(kt, &v, a + 2 * K4), 9);

	/* Past the object's end there is nothing to take: a new entry with an object of its own. */
	at = a + 16 * K4;
	EXPECT_EQ(vm_map_find(v.map, NULL, 0, &at, K4, 0, VMFS_NO_SPACE, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	poke(kt, &v, at, 1);
	EXPECT_EQ(v.map->nentries, 2);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

/* A guard never gets an object, clipped or not; memory next to it gets none from it. */
KTEST(vm_map_remerge, guards_stay_without_object)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t g = M2;
	EXPECT_EQ(vm_map_find(v.map, NULL, 0, &g, 8 * K4, 0, VMFS_ANY_SPACE, VM_PROT_NONE,
			      VM_PROT_NONE, MAP_CREATE_GUARD),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_map_remove(v.map, g + 2 * K4, g + 3 * K4), KERN_SUCCESS);
	EXPECT_EQ(vm_map_fixed(v.map, NULL, 0, g + 5 * K4, K4, RW, VM_PROT_ALL, 0), KERN_SUCCESS);
	EXPECT_EQ(vm_map_protect(v.map, g, g + 8 * K4, R, 0, SET_PROT), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	vm_map_entry_t e;
	VM_MAP_ENTRY_FOREACH(e, v.map) {
		if (e->eflags & MAP_ENTRY_GUARD)
			EXPECT_NULL(e->object);
	}
	EXPECT_EQ(v.map->nentries, 4);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

/*
 * Without memory for the object a clip needs, protect, remove and fixed fail with
 * KERN_RESOURCE_SHORTAGE and change nothing. Every frame is taken and the object cache emptied;
 * the map's entries and tree nodes for the clips are had before.
 */
KTEST(vm_map_remerge, no_memory_for_the_object)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = map16(kt, &v);
	vm_map_entry_t e = v.map->header.next;

	static struct test_hoard hoard;
	static vm_object_t objs[4096];
	size_t nobj = 0;
	ASSERT_TRUE(vm_map_tree_reserve(&v.map->tree, 8));
	test_take_all_frames(&hoard);
	while (nobj < 4096 && (objs[nobj] = vm_object_allocate(K4)))
		nobj++;
	ASSERT_TRUE(nobj < 4096);

	vm_map_lock(v.map);
	EXPECT_EQ(vm_map_protect_locked(v.map, a + K4, a + 2 * K4, R, 0, SET_PROT),
		  KERN_RESOURCE_SHORTAGE);
	EXPECT_EQ(vm_map_delete(v.map, a + K4, a + 2 * K4), KERN_RESOURCE_SHORTAGE);
	EXPECT_EQ(vm_map_fixed_locked(v.map, NULL, 0, a + K4, K4, R, VM_PROT_ALL, 0),
		  KERN_RESOURCE_SHORTAGE);
	EXPECT_EQ(v.map->nentries, 1);
	EXPECT_TRUE(v.map->header.next == e && e->start == a && e->end == a + 16 * K4 &&
		    e->protection == RW);
	EXPECT_NULL(e->object);
	EXPECT_EQ(vm_map_check(v.map), 0);
	vm_map_unlock(v.map);

	while (nobj)
		vm_object_deallocate(objs[--nobj]);
	test_give_back_frames(&hoard);
	protect(kt, &v, a + K4, a + 2 * K4, R);
	EXPECT_EQ(v.map->nentries, 3);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}
