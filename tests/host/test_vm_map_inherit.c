/*
 * vm_map_inherit (mm/vm_map.h): inheritance is stored per entry (VM_INHERIT_DEFAULT for new
 * memory, VM_INHERIT_SHARE with MAP_INHERIT_SHARE), set on a range by clipping, kept by clips,
 * compared by coalescing (pieces merge back once equal again, touched or not), skipped over holes,
 * not VM_INHERIT_ZERO on guards; bad arguments change nothing. vm_map_check after every
 * operation, frames back to where they were.
 */
#include "tests/host/vm_env.h"

#define K4 ((vm_size_t)0x1000)
#define M2 ((vm_size_t)0x200000)
#define RW (VM_PROT_READ | VM_PROT_WRITE)

/* The operations, each followed by vm_map_check (a failure is recorded where it is seen). */
static int check_after(struct ktest_state *kt, vm_map_t map, int rc)
{
	EXPECT_EQ(vm_env_check(map), 0);
	return rc;
}
#define INHERIT(m, s, e, v) check_after(kt, m, vm_map_inherit(m, s, e, v))

/* The entry containing a (NULL if none). */
static vm_map_entry_t at(vm_map_t map, vm_offset_t a)
{
	vm_map_entry_t e;
	vm_map_lock_read(map);
	bool found = vm_map_lookup_entry(map, a, &e);
	vm_map_unlock_read(map);
	return found ? e : NULL;
}

/* Whether the entry at a is [s, e) with inheritance inh. */
static bool inh_entry(vm_map_t map, vm_offset_t a, vm_offset_t s, vm_offset_t e, vm_inherit_t inh)
{
	vm_map_entry_t x = at(map, a);
	return x && x->start == s && x->end == e && x->inheritance == inh;
}

KTEST(vm_map_inherit, set_clip_and_merge_back)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = 16 * M2;
	vm_map_lock(v.map);
	ASSERT_EQ(vm_map_insert(v.map, NULL, 0, a, a + 8 * K4, RW, VM_PROT_ALL, 0), KERN_SUCCESS);
	vm_map_unlock(v.map);
	EXPECT_TRUE(inh_entry(v.map, a, a, a + 8 * K4, VM_INHERIT_COPY));
	/* Untouched memory: the pieces get one object at the clip and merge back later. */
	EXPECT_EQ(INHERIT(v.map, a + 2 * K4, a + 4 * K4, VM_INHERIT_NONE), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->nentries, 3);
	EXPECT_TRUE(inh_entry(v.map, a + 2 * K4, a + 2 * K4, a + 4 * K4, VM_INHERIT_NONE));
	EXPECT_TRUE(inh_entry(v.map, a, a, a + 2 * K4, VM_INHERIT_COPY));
	ASSERT_EQ(vm_fault(v.map, a + 3 * K4, VM_PROT_WRITE), KERN_SUCCESS);
	EXPECT_EQ(INHERIT(v.map, a + 3 * K4, a + 6 * K4, VM_INHERIT_ZERO), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->nentries, 4);
	/* A protection change clips too: the piece keeps its inheritance. */
	EXPECT_EQ(vm_map_protect(v.map, a + 4 * K4, a + 5 * K4, VM_PROT_READ, 0,
				 VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_TRUE(inh_entry(v.map, a + 4 * K4, a + 4 * K4, a + 5 * K4, VM_INHERIT_ZERO));
	EXPECT_EQ(vm_map_protect(v.map, a + 4 * K4, a + 5 * K4, RW, 0, VM_MAP_PROTECT_SET_PROT),
		  KERN_SUCCESS);
	EXPECT_EQ(INHERIT(v.map, a, a + 8 * K4, VM_INHERIT_SHARE), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->nentries, 1);
	EXPECT_TRUE(inh_entry(v.map, a, a, a + 8 * K4, VM_INHERIT_SHARE));
	/* New memory next to it has the default: it stays apart until it is made the same. */
	vm_map_lock(v.map);
	ASSERT_EQ(vm_map_insert(v.map, NULL, 0, a + 8 * K4, a + 9 * K4, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	vm_map_unlock(v.map);
	EXPECT_EQ(v.map->nentries, 2);
	EXPECT_EQ(INHERIT(v.map, a + 8 * K4, a + 9 * K4, VM_INHERIT_SHARE), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->nentries, 2); /* different objects: apart for good, as before */
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

KTEST(vm_map_inherit, guards_holes_share_flag_and_bad_arguments)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t g = 32 * M2;
	vm_map_lock(v.map);
	ASSERT_EQ(vm_map_insert(v.map, NULL, 0, g, g + K4, VM_PROT_NONE, VM_PROT_NONE,
				MAP_CREATE_GUARD),
		  KERN_SUCCESS);
	ASSERT_EQ(vm_map_insert(v.map, NULL, 0, g + K4, g + 3 * K4, RW, VM_PROT_ALL,
				MAP_INHERIT_SHARE),
		  KERN_SUCCESS);
	ASSERT_EQ(vm_map_insert(v.map, NULL, 0, g + 5 * K4, g + 6 * K4, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	vm_map_unlock(v.map);
	EXPECT_TRUE(inh_entry(v.map, g + K4, g + K4, g + 3 * K4, VM_INHERIT_SHARE));
	EXPECT_TRUE(inh_entry(v.map, g, g, g + K4, VM_INHERIT_COPY));
	/* Over a guard and a hole: ZERO skips the guard, the hole is no error. */
	EXPECT_EQ(INHERIT(v.map, g, g + 6 * K4, VM_INHERIT_ZERO), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_TRUE(inh_entry(v.map, g, g, g + K4, VM_INHERIT_COPY));
	EXPECT_TRUE(inh_entry(v.map, g + K4, g + K4, g + 3 * K4, VM_INHERIT_ZERO));
	EXPECT_TRUE(inh_entry(v.map, g + 5 * K4, g + 5 * K4, g + 6 * K4, VM_INHERIT_ZERO));
	EXPECT_EQ(INHERIT(v.map, g, g + 6 * K4, VM_INHERIT_NONE), KERN_SUCCESS);
	EXPECT_TRUE(inh_entry(v.map, g, g, g + K4, VM_INHERIT_NONE));
	/* Bad arguments change nothing. */
	size_t n = v.map->nentries;
	EXPECT_EQ(INHERIT(v.map, g + K4, g + 2 * K4, 4), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(INHERIT(v.map, g + K4, g + 2 * K4, 0xff), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(INHERIT(v.map, g + K4 + 1, g + 2 * K4, VM_INHERIT_COPY), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(INHERIT(v.map, g + 2 * K4, g + K4, VM_INHERIT_COPY), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(v.map->nentries, n);
	EXPECT_TRUE(inh_entry(v.map, g + K4, g + K4, g + 3 * K4, VM_INHERIT_NONE));
	/* Clamped to the map; empty ranges succeed. */
	EXPECT_EQ(INHERIT(v.map, 0, ~(vm_offset_t)0 & ~(vm_offset_t)0xfff, VM_INHERIT_COPY),
		  KERN_SUCCESS);
	EXPECT_EQ(INHERIT(v.map, g, g, VM_INHERIT_SHARE), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_TRUE(inh_entry(v.map, g + 5 * K4, g + 5 * K4, g + 6 * K4, VM_INHERIT_COPY));
	/* The checker sees a bad value and ZERO on a guard. */
	vm_map_entry_t e = at(v.map, g);
	ASSERT_NONNULL(e);
	e->inheritance = VM_INHERIT_ZERO;
	EXPECT_EQ(vm_env_check(v.map), VM_MAP_CHECK_WIRED);
	e->inheritance = 9;
	EXPECT_EQ(vm_env_check(v.map), VM_MAP_CHECK_WIRED);
	e->inheritance = VM_INHERIT_COPY;
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}
