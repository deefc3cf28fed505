/*
 * The kernel's final page tables, built once at boot into pmap_kernel() (kernel only; the host
 * builds none of this, since it needs the linker's section symbols and a real CR3).
 *
 * arch/x86_64/boot/entry.S left the CPU on boot tables: an identity map and a direct map of the
 * first 16 GiB with 2 MiB pages, the kernel image W^X with 4 KiB pages, EFER.NXE and CR0.WP set, CR4.PGE
 * clear (so no global TLB entry outlives the CR3 load below). Those tables live in .boot.bss and are
 * abandoned after the switch; the identity map goes with them.
 */
#include "arch/x86_64/cpu.h"
#include "kernel/kprintf.h"
#include "kernel/panic.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"
#include "mm/pmm.h"

/* linker.ld: page-aligned kernel-image virtual addresses. */
extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[],
	__kernel_end[];

/*
 * The end of arch/x86_64/boot/entry.S's direct map. Until pmap_activate below, a frame past it
 * cannot be zeroed or written, yet pmm may hand out any free frame (with memory above it, often one there).
 */

/* The page-table allocator while the boot tables are active: mmu_pt_pmm_allocator's, below BOOT_DMAP_SIZE. */
static vm_paddr_t boot_pt_alloc(void)
{
	vm_page_t p = pmm_alloc_order_below(0, PMM_ZERO, BOOT_DMAP_SIZE);
	if (!p)
		return 0;
	p->flags |= VM_PAGE_PT;
	return vm_page_to_phys(p);
}

/* Map kernel-image section [start, end) at its link address, 4 KiB pages, or panic. */
static void map_section(pmap_t kp, const char *name, char *start, char *end, unsigned flags)
{
	vm_offset_t va = (vm_offset_t)start;
	int r = pmap_enter_pagesize(kp, va, kimg_to_phys(start), (vm_size_t)(end - start), flags,
				    PAGE_SIZE);
	if (r)
		panic("pmap_bootstrap: mapping kernel %s 0x%lx-0x%lx failed (%d)", name,
		      (unsigned long)va, (unsigned long)end, r);
}

void pmap_bootstrap(vm_paddr_t phys_end, bool have_1g_pages)
{
	const struct mmu_pt_allocator boot_allocator = {boot_pt_alloc, mmu_pt_pmm_allocator.free};
	mmu_set_pt_allocator(&boot_allocator);
	pmap_t kp = pmap_kernel();
	if (!kp)
		panic("pmap_bootstrap: no memory for the kernel PML4 and PDPTs");

	/*
	 * The direct map covers whole pages of the chosen size: bytes past phys_end in the last one are
	 * never handed out by pmm, so mapping them costs nothing and keeps every page large.
	 */
	vm_size_t page = have_1g_pages ? MMU_HUGEPAGE_SIZE : SUPERPAGE_SIZE;
	vm_size_t dmap_len = (phys_end + page - 1) & ~(page - 1);
	if (dmap_len > DMAP_SIZE)
		panic("pmap_bootstrap: 0x%llx bytes of physical memory exceed the direct map",
		      (unsigned long long)phys_end);
	int r = pmap_enter_pagesize(kp, DMAP_BASE, 0, dmap_len, MMU_READ | MMU_WRITE, page);
	if (r)
		panic("pmap_bootstrap: direct map of 0x%llx bytes failed (%d)",
		      (unsigned long long)dmap_len, r);

	/* W^X: nothing of the image is both writable and executable. */
	map_section(kp, "text", __text_start, __text_end, MMU_READ | MMU_EXEC);
	map_section(kp, "rodata", __rodata_start, __rodata_end, MMU_READ);
	map_section(kp, "data", __data_start, __kernel_end, MMU_READ | MMU_WRITE);

	pmap_activate(kp);
	dmap_size = dmap_len;
	mmu_set_pt_allocator(NULL);

	kprintf("pmap: direct map 0-0x%llx with %s pages, kernel W^X (text 0x%lx rodata 0x%lx data 0x%lx-0x%lx), "
		"%zu page-table pages\n",
		(unsigned long long)dmap_len, have_1g_pages ? "1 GiB" : "2 MiB",
		(unsigned long)__text_start, (unsigned long)__rodata_start,
		(unsigned long)__data_start, (unsigned long)__kernel_end, pmap_pt_pages(kp));
}
