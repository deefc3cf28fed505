/*
 * Benchmark of the x86_64 pmap on the simulated arena: one cycle maps 1 GiB of a user pmap with
 * pmap_enter and unmaps it with pmap_remove. With va and pa 2 MiB aligned that is 512 2 MiB pages
 * (one PD); with pa misaligned by 4 KiB, the same single pmap_enter call must use 262144 4 KiB
 * pages (512 PTs). Prints ms per cycle for each and their ratio.
 */
#include <stdio.h>

#include "mm/mmu.h"
#include "mm/types.h"
#include "tests/host/testutil.h"

#define GIB ((vm_size_t)1 << 30)

/* ms per map+unmap cycle of 1 GiB at va to pa, over `cycles` cycles; -1 on an error. */
static double cycle_ms(pmap_t pm, vm_offset_t va, vm_paddr_t pa, int cycles, vm_size_t expect_page)
{
	vm_size_t page = 0;
	if (pmap_enter(pm, va, pa, GIB, MMU_READ | MMU_WRITE | MMU_USER) ||
	    !pmap_query(pm, va, NULL, NULL, &page) || page != expect_page ||
	    pmap_remove(pm, va, GIB))
		return -1;
	double t0 = test_now();
	for (int i = 0; i < cycles; i++)
		if (pmap_enter(pm, va, pa, GIB, MMU_READ | MMU_WRITE | MMU_USER) ||
		    pmap_remove(pm, va, GIB))
			return -1;
	return (test_now() - t0) * 1e3 / cycles;
}

int main(void)
{
	pmap_t pm = pmap_create();
	if (!pm) {
		fprintf(stderr, "bench_pmap: pmap_create failed\n");
		return 1;
	}
	vm_offset_t va = GIB;
	vm_paddr_t pa = 4 * GIB; /* frames are never touched: any physical address will do */
	double big = cycle_ms(pm, va, pa, 20000, SUPERPAGE_SIZE);
	double small = cycle_ms(pm, va, pa + PAGE_SIZE, 100, PAGE_SIZE);
	if (big < 0 || small < 0 || pmap_pt_pages(pm) != 1) {
		fprintf(stderr, "bench_pmap: a map or unmap failed\n");
		return 1;
	}
	printf("pmap: map+unmap 1 GiB with 2 MiB pages: %.4f ms/cycle\n", big);
	printf("pmap: map+unmap 1 GiB with 4 KiB pages (pa misaligned by 4 KiB): %.3f ms/cycle\n",
	       small);
	printf("pmap: 4 KiB / 2 MiB time ratio: %.0f\n", small / big);
	pmap_destroy(pm);
	return 0;
}
