/*
 * A user address space for the host tests of vm_fault and of what map entries map
 * (test_vm_fault.c, test_vm_object_sg.c): a vm_map over a fresh pmap on the simulated arena, and
 * the checks such a test ends with.
 */
#ifndef TESTS_HOST_VM_ENV_H
#define TESTS_HOST_VM_ENV_H

#include "kernel/ktest.h"
#include "mm/memlayout.h"
#include "mm/vm_map.h"
#include "tests/host/testutil.h"

struct vm_env {
	pmap_t pmap;
	vm_map_t map;
	size_t free_before; /* free frames (after reaping) just before the pmap was made */
};

/*
 * Build what is made on first use and then kept for the whole run (the kernel pmap, the caches of
 * map entries and objects), so that frame counts taken afterwards compare. false if the kernel
 * pmap could not be built.
 */
static inline bool vm_env_warm(void)
{
	if (!pmap_kernel())
		return false;
	vm_map_destroy(vm_map_create(NULL, USER_MIN, USER_MAX));
	vm_object_deallocate(vm_object_allocate(PAGE_SIZE));
	return true;
}

/* A user map over a fresh pmap, free_before counted once warm. false, with a failure recorded, if not. */
static inline bool vm_env_init(struct ktest_state *kt, struct vm_env *v)
{
	if (!vm_env_warm()) {
		KT_FAIL("pmap_kernel failed");
		return false;
	}
	v->free_before = free_frames_after_reap();
	v->pmap = pmap_create();
	v->map = v->pmap ? vm_map_create(v->pmap, USER_MIN, USER_MAX) : NULL;
	if (!v->map)
		KT_FAIL("pmap_create or vm_map_create failed");
	return v->map != NULL;
}

/* vm_map_check under the map's read lock. */
static inline int vm_env_check(vm_map_t map)
{
	vm_map_lock_read(map);
	int rc = vm_map_check(map);
	vm_map_unlock_read(map);
	return rc;
}

/* Check the map, destroy it, then its pmap, which must be down to its PML4 by then. */
static inline void vm_env_fini(struct ktest_state *kt, struct vm_env *v)
{
	EXPECT_EQ(vm_env_check(v->map), 0);
	vm_map_destroy(v->map);
	const char *msg = pmap_check(v->pmap);
	if (msg)
		KT_FAIL("pmap_check: %s", msg);
	EXPECT_EQ(pmap_pt_pages(v->pmap), 1);
	pmap_destroy(v->pmap);
}

#endif
