/* Host tests of the buddy allocator (mm/pmm.c). */
#include <string.h>

#include "kernel/ktest.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "tests/host/shim.h"

#define CHECK_PMM()                                                 \
	do {                                                        \
		const char *err_ = pmm_check();                     \
		if (err_)                                           \
			KT_FAIL("pmm_check: %s", err_);             \
	} while (0)

KTEST(pmm, default_arena_alloc_free)
{
	host_pmm_init(HOST_DEFAULT_ARENA);
	CHECK_PMM();
	size_t before = pmm_free_count();
	EXPECT_EQ(pmm_total_count(), before);
	vm_page_t p = pmm_alloc_order(0, 0);
	ASSERT_NONNULL(p);
	EXPECT_EQ(p->ref_count, 1);
	EXPECT_EQ(pmm_free_count(), before - 1);
	CHECK_PMM();
	pmm_free(p);
	EXPECT_EQ(pmm_free_count(), before);
	CHECK_PMM();
}
