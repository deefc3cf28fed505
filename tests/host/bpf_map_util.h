/*
 * Helpers for the BPF map host tests (test_bpf_map*.c): creating maps from a few numbers, the
 * user-space calls with an fd that may read and write, and the invariant check as a test failure.
 */
#ifndef TESTS_HOST_BPF_MAP_UTIL_H
#define TESTS_HOST_BPF_MAP_UTIL_H

#include <string.h>

#include "kernel/bpf/map.h"
#include "kernel/ktest.h"
#include "tests/host/testutil.h"
#include "mm/kmem.h"
#include "mm/pmm.h"

static inline union bpf_attr map_attr(uint32_t type, uint32_t ks, uint32_t vs, uint32_t n,
				      uint32_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = ks;
	a.value_size = vs;
	a.max_entries = n;
	a.map_flags = flags;
	return a;
}

/* bpf_map_create from the shape and map_flags. */
static inline int create_flags(uint32_t type, uint32_t ks, uint32_t vs, uint32_t n, uint32_t flags,
			       struct bpf_map **m)
{
	union bpf_attr a = map_attr(type, ks, vs, n, flags);
	return bpf_map_create(&a, m);
}

static inline int create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t n, struct bpf_map **m)
{
	return create_flags(type, ks, vs, n, 0, m);
}

/* The map, or NULL if it cannot be created. */
static inline struct bpf_map *make_map_flags(uint32_t type, uint32_t ks, uint32_t vs, uint32_t n,
					     uint32_t flags)
{
	struct bpf_map *m = NULL;
	return create_flags(type, ks, vs, n, flags, &m) == 0 ? m : NULL;
}

static inline struct bpf_map *make_map(uint32_t type, uint32_t ks, uint32_t vs, uint32_t n)
{
	return make_map_flags(type, ks, vs, n, 0);
}

/* User-space calls through an fd that may read and write. */
#define RW BPF_MAP_FMODE_RDWR
static inline int lookup(struct bpf_map *m, const void *k, void *v)
{
	return bpf_map_sys_lookup(m, RW, k, v, 0);
}
static inline int update(struct bpf_map *m, const void *k, const void *v, uint64_t f)
{
	return bpf_map_sys_update(m, RW, k, v, f);
}
static inline int del(struct bpf_map *m, const void *k)
{
	return bpf_map_sys_delete(m, RW, k);
}
static inline int next_key(struct bpf_map *m, const void *k, void *n)
{
	return bpf_map_sys_get_next_key(m, RW, k, n);
}

/* Take every free frame from pmm, so that kmem cannot grow; free_hoard gives them back. */
static inline vm_page_t hoard_all_frames(void)
{
	vm_page_t hoard = NULL;

	for (int order = PMM_MAX_ORDER; order >= 0; order--) {
		vm_page_t p;
		while ((p = pmm_alloc_order((unsigned)order, 0)) != NULL) {
			p->next = hoard;
			hoard = p;
		}
	}
	return hoard;
}

static inline void free_hoard(vm_page_t hoard)
{
	while (hoard) {
		vm_page_t next = hoard->next;
		pmm_free(hoard);
		hoard = next;
	}
}

#define CHECK_MAP(m)                                        \
	do {                                                \
		const char *why_ = bpf_map_check(m);        \
		if (why_)                                   \
			KT_FAIL("bpf_map_check: %s", why_); \
	} while (0)

#endif
