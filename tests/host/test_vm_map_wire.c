/*
 * vm_map_wire / vm_map_unwire (mm/vm_map.h): wiring faults the range in (2 MiB pages where the
 * rules allow), marks the entries MAP_ENTRY_USER_WIRED with wired_count 1, counts user_wired, and
 * refuses holes and guards (NOHOLES), a limit that would be exceeded and bad arguments with the
 * map unchanged; user wirings do not nest; vm_map_release_pages skips wired entries; removal
 * unwires. vm_map_check after every operation, frames back to where they were after each test.
 */
#include "kernel/string.h"
#include "mm/vm_map_pages.h"
#include "tests/host/vm_env.h"
#include "uapi/mman.h"

#define K4 ((vm_size_t)0x1000)
#define M2 ((vm_size_t)0x200000)
#define RW (VM_PROT_READ | VM_PROT_WRITE)
#define BIG ((vm_size_t)1 << 40)
#define USER VM_MAP_WIRE_USER
#define HOLESOK (VM_MAP_WIRE_USER | VM_MAP_WIRE_HOLESOK)

/* The operations, each followed by vm_map_check (a failure is recorded where it is seen). */
static int check_after(struct ktest_state *kt, vm_map_t map, int rc)
{
	EXPECT_EQ(vm_env_check(map), 0);
	return rc;
}
#define WIRE(m, s, e, f, lim) check_after(kt, m, vm_map_wire(m, s, e, f, lim))
#define UNWIRE(m, s, e, f) check_after(kt, m, vm_map_unwire(m, s, e, f))
#define REMOVE(m, s, e) check_after(kt, m, vm_map_remove(m, s, e))

/* The entry containing a (NULL if none). */
static vm_map_entry_t at(vm_map_t map, vm_offset_t a)
{
	vm_map_entry_t e;
	vm_map_lock_read(map);
	bool found = vm_map_lookup_entry(map, a, &e);
	vm_map_unlock_read(map);
	return found ? e : NULL;
}

/* Whether the entry at a is [s, e) with wiring `wired`. */
static bool wired_entry(vm_map_t map, vm_offset_t a, vm_offset_t s, vm_offset_t e, bool wired)
{
	vm_map_entry_t x = at(map, a);
	return x && x->start == s && x->end == e && !!(x->eflags & MAP_ENTRY_USER_WIRED) == wired &&
	       x->wired_count == (wired ? 1 : 0);
}

/* Pages of [s, e) resident in their entries' objects (mincore's INCORE). */
static unsigned incore(vm_map_t map, vm_offset_t s, vm_offset_t e)
{
	static uint8_t vec[1024];
	unsigned n = 0;
	vm_map_lock_read(map);
	int rc = vm_map_mincore(map, s, e, vec);
	vm_map_unlock_read(map);
	for (size_t i = 0; rc == KERN_SUCCESS && i < (e - s) / K4; i++)
		n += vec[i] & MINCORE_INCORE;
	return n;
}

static vm_offset_t map_anon(struct vm_env *v, vm_size_t len, vm_prot_t prot)
{
	vm_offset_t a = M2;
	if (vm_map_find(v->map, NULL, 0, &a, len, 0, VMFS_SUPER_SPACE, prot, VM_PROT_ALL, 0) !=
	    KERN_SUCCESS)
		return 0;
	return a;
}

KTEST(vm_map_wire, wire_and_unwire_clip_count_and_coalesce)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = map_anon(&v, 8 * K4, RW);
	ASSERT_NE(a, 0);
	EXPECT_EQ(WIRE(v.map, a + 2 * K4, a + 6 * K4, USER, BIG), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_TRUE(wired_entry(v.map, a + 2 * K4, a + 2 * K4, a + 6 * K4, true));
	EXPECT_TRUE(wired_entry(v.map, a, a, a + 2 * K4, false));
	EXPECT_TRUE(wired_entry(v.map, a + 6 * K4, a + 6 * K4, a + 8 * K4, false));
	EXPECT_EQ(v.map->user_wired, 4 * K4);
	EXPECT_EQ(incore(v.map, a, a + 8 * K4), 4);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_4k, 4);
	/* Again: user wirings do not nest. Then overlapping: only the new bytes count. */
	EXPECT_EQ(WIRE(v.map, a + 2 * K4, a + 6 * K4, USER, BIG), KERN_SUCCESS);
	EXPECT_EQ(v.map->user_wired, 4 * K4);
	EXPECT_EQ(WIRE(v.map, a, a + 4 * K4, USER, BIG), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->user_wired, 6 * K4);
	EXPECT_TRUE(wired_entry(v.map, a, a, a + 6 * K4, true));
	EXPECT_EQ(v.map->nentries, 2);
	/* Unwire a hole into it, then NOHOLES over unwired parts fails and changes nothing. */
	EXPECT_EQ(UNWIRE(v.map, a + 2 * K4, a + 4 * K4, USER), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->nentries, 4);
	EXPECT_EQ(v.map->user_wired, 4 * K4);
	EXPECT_EQ(UNWIRE(v.map, a, a + 8 * K4, USER), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(UNWIRE(v.map, a, a + 2 * K4, USER), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->user_wired, 2 * K4);
	EXPECT_EQ(UNWIRE(v.map, vm_map_min(v.map), vm_map_max(v.map), HOLESOK), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->user_wired, 0);
	EXPECT_EQ(v.map->nentries, 1);
	/* Unwiring keeps the pages. */
	EXPECT_EQ(incore(v.map, a, a + 8 * K4), 6);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

KTEST(vm_map_wire, release_skips_wired_and_remove_unwires)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = map_anon(&v, 16 * K4, RW);
	ASSERT_NE(a, 0);
	vm_map_lock_read(v.map);
	EXPECT_EQ(vm_fault_range(v.map, a, a + 16 * K4), KERN_SUCCESS);
	vm_map_unlock_read(v.map);
	EXPECT_EQ(WIRE(v.map, a + 4 * K4, a + 8 * K4, USER, BIG), KERN_SUCCESS);
	vm_map_lock(v.map);
	EXPECT_EQ(vm_map_release_pages(v.map, a, a + 16 * K4), KERN_SUCCESS);
	EXPECT_EQ(vm_map_check(v.map), 0);
	vm_map_unlock(v.map);
	EXPECT_EQ(incore(v.map, a, a + 16 * K4), 4);
	EXPECT_EQ(incore(v.map, a + 4 * K4, a + 8 * K4), 4);
	/* munmap of part of the wired entry: the rest stays wired, the count follows. */
	EXPECT_EQ(REMOVE(v.map, a + 6 * K4, a + 10 * K4), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->user_wired, 2 * K4);
	EXPECT_TRUE(wired_entry(v.map, a + 4 * K4, a + 4 * K4, a + 6 * K4, true));
	/* A fixed mapping over wired memory replaces it, unwired. */
	EXPECT_EQ(vm_map_fixed(v.map, NULL, 0, a + 4 * K4, K4, RW, VM_PROT_ALL, 0), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->user_wired, K4);
	EXPECT_EQ(REMOVE(v.map, a, a + 16 * K4), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->user_wired, 0);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

KTEST(vm_map_wire, holes_guards_limits_and_bad_arguments_change_nothing)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t g = 64 * M2;
	vm_map_lock(v.map);
	ASSERT_EQ(vm_map_insert(v.map, NULL, 0, g, g + K4, VM_PROT_NONE, VM_PROT_NONE,
				MAP_CREATE_GUARD),
		  KERN_SUCCESS);
	ASSERT_EQ(vm_map_insert(v.map, NULL, 0, g + K4, g + 5 * K4, RW, VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	ASSERT_EQ(
		vm_map_insert(v.map, NULL, 0, g + 6 * K4, g + 8 * K4, VM_PROT_NONE, VM_PROT_ALL, 0),
		KERN_SUCCESS);
	vm_map_unlock(v.map);
	struct vm_map_stats before;
	vm_map_get_stats(v.map, &before);
	/* A guard, a hole, outside the map: nothing wired, nothing faulted. */
	EXPECT_EQ(WIRE(v.map, g, g + 2 * K4, USER, BIG), KERN_INVALID_ADDRESS);
	EXPECT_EQ(WIRE(v.map, g + K4, g + 7 * K4, USER, BIG), KERN_INVALID_ADDRESS);
	EXPECT_EQ(WIRE(v.map, vm_map_max(v.map) - K4, vm_map_max(v.map) + K4, USER, BIG),
		  KERN_INVALID_ADDRESS);
	EXPECT_EQ(WIRE(v.map, 0, K4, USER, BIG), KERN_INVALID_ADDRESS);
	EXPECT_EQ(WIRE(v.map, g + K4, g + 3 * K4, VM_MAP_WIRE_SYSTEM, BIG), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(WIRE(v.map, g + K4, g + 3 * K4, USER | 4, BIG), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(WIRE(v.map, g + K4 + 1, g + 3 * K4, USER, BIG), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(WIRE(v.map, g + 3 * K4, g + K4, USER, BIG), KERN_INVALID_ARGUMENT);
	/* The limit: four pages fit, five do not, and a refusal faults nothing. */
	EXPECT_EQ(WIRE(v.map, g + K4, g + 5 * K4, USER, 3 * K4), KERN_NO_SPACE);
	struct vm_map_stats now;
	vm_map_get_stats(v.map, &now);
	EXPECT_EQ(now.faults, before.faults);
	EXPECT_EQ(now.resident_4k, 0);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->user_wired, 0);
	EXPECT_EQ(v.map->nentries, 3);
	EXPECT_EQ(WIRE(v.map, g + K4, g + 5 * K4, USER, 4 * K4), KERN_SUCCESS);
	EXPECT_EQ(WIRE(v.map, g + K4, g + 5 * K4, USER, 4 * K4), KERN_SUCCESS);
	EXPECT_EQ(WIRE(v.map, g + 6 * K4, g + 7 * K4, USER, 4 * K4), KERN_NO_SPACE);
	EXPECT_EQ(vm_env_check(v.map), 0);
	/* HOLESOK over everything: the PROT_NONE entry is wired, not faulted; the guard is skipped. */
	EXPECT_EQ(WIRE(v.map, 0, vm_map_max(v.map), HOLESOK, BIG), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->user_wired, 6 * K4);
	EXPECT_TRUE(wired_entry(v.map, g, g, g + K4, false));
	EXPECT_TRUE(wired_entry(v.map, g + 6 * K4, g + 6 * K4, g + 8 * K4, true));
	EXPECT_EQ(vm_map_stats_now(v.map).resident_4k, 4);
	/* munlock over a guard or a hole fails whole. */
	EXPECT_EQ(UNWIRE(v.map, g, g + 2 * K4, USER), KERN_INVALID_ADDRESS);
	EXPECT_EQ(UNWIRE(v.map, g + K4, g + 8 * K4, USER), KERN_INVALID_ADDRESS);
	EXPECT_EQ(UNWIRE(v.map, g + K4, g + 3 * K4, 0), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(v.map->user_wired, 6 * K4);
	EXPECT_EQ(UNWIRE(v.map, g + 6 * K4, g + 6 * K4, USER), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

KTEST(vm_map_wire, superpages_and_out_of_memory)
{
	static struct test_hoard hoard;
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = map_anon(&v, 2 * M2, RW);
	ASSERT_NE(a, 0);
	EXPECT_EQ(WIRE(v.map, a, a + 2 * M2, USER, BIG), KERN_SUCCESS);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_2m, 2);
	EXPECT_EQ(vm_map_stats_now(v.map).resident_4k, 0);
	/* Out of memory: the wiring fails with the entries as they were. */
	vm_offset_t b = map_anon(&v, 8 * K4, RW);
	ASSERT_NE(b, 0);
	size_t entries = v.map->nentries;
	test_take_all_frames(&hoard);
	EXPECT_EQ(WIRE(v.map, b + K4, b + 3 * K4, USER, BIG), KERN_RESOURCE_SHORTAGE);
	test_give_back_frames(&hoard);
	EXPECT_EQ(vm_env_check(v.map), 0);
	EXPECT_EQ(v.map->nentries, entries);
	EXPECT_EQ(v.map->user_wired, 2 * M2);
	EXPECT_TRUE(wired_entry(v.map, b, b, b + 8 * K4, false));
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}

KTEST(vm_map_wire, checker_catches_bad_wiring)
{
	struct vm_env v;
	ASSERT_TRUE(vm_env_init(kt, &v));
	vm_offset_t a = map_anon(&v, 4 * K4, RW);
	ASSERT_NE(a, 0);
	EXPECT_EQ(WIRE(v.map, a, a + 4 * K4, USER, BIG), KERN_SUCCESS);
	vm_map_entry_t e = at(v.map, a);
	ASSERT_NONNULL(e);
	v.map->user_wired += K4;
	EXPECT_EQ(vm_env_check(v.map), VM_MAP_CHECK_WIRED);
	v.map->user_wired -= K4;
	e->wired_count = 2;
	EXPECT_EQ(vm_env_check(v.map), VM_MAP_CHECK_WIRED);
	e->wired_count = 1;
	v.map->flags = 0x80;
	EXPECT_EQ(vm_env_check(v.map), VM_MAP_CHECK_WIRED);
	v.map->flags = 0;
	EXPECT_EQ(vm_env_check(v.map), 0);
	vm_env_fini(kt, &v);
	EXPECT_EQ(free_frames_after_reap(), v.free_before);
}
