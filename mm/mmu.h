/*
 * The arch-neutral MMU interface. mm/ calls only these; arch/x86_64/pmap.c implements them with
 * 4-level page tables. Flags are neutral (MMU_*); the arch translates them to PTE bits.
 *
 * Locking: each pmap has its own spinlock, taken by these functions; callers need none. Callers
 * that must keep a pmap consistent with other state (vm_map) hold their own lock around the call.
 * pmap_remove, pmap_protect and pmap_enter may wait for other CPUs to invalidate their TLBs (TLB
 * shootdown, after the pmap's lock is dropped): call them with no spinlock held that another CPU
 * may spin for with interrupts already off (an outermost one, such as a vm_object's, is fine).
 *
 * Page-table pages come from a replaceable allocator (mmu_set_pt_allocator), so that host tests run
 * this very code over a simulated physical arena.
 */
#ifndef MM_MMU_H
#define MM_MMU_H

#include "mm/types.h"

#define MMU_READ 0x1 /* every present mapping is readable on x86_64; kept for clarity */
#define MMU_WRITE 0x2
#define MMU_EXEC 0x4 /* without it the mapping is NX */
#define MMU_USER 0x8 /* reachable from ring 3 */

/*
 * Status bits: what the MMU recorded about the use of a mapping. pmap_query_status reports them;
 * pmap_enter and pmap_protect never take them (-EINVAL). MMU_ACCESSED: the page was read or
 * written through this mapping; MMU_DIRTY: written. The hardware sets them (x86_64: the leaf's A
 * and D bits; a 2 MiB page has one pair for its 512 pages) and Kestrel never clears them (there is
 * no page daemon), so a mapping keeps them until it is removed: pmap_protect keeps them, and the
 * 4 KiB mappings a 2 MiB page is split into inherit its pair. A new mapping has neither.
 */
#define MMU_ACCESSED 0x100
#define MMU_DIRTY 0x200

#define MMU_HUGEPAGE_SIZE ((vm_size_t)1 << 30) /* 1 GiB pages: the kernel's direct map only */

typedef struct pmap *pmap_t;

/*
 * Page-table page allocator: alloc returns the physical address of a zeroed 4 KiB frame, or 0 when
 * out of memory; free takes one back. The default uses pmm. Host tests install their own.
 */
struct mmu_pt_allocator {
	vm_paddr_t (*alloc)(void);
	void (*free)(vm_paddr_t pa);
};
/*
 * Install a copy of *a (NULL: the default again). Pages are freed through whatever allocator is
 * installed at the time, so a replacement must accept pages of the one it replaces: test
 * allocators wrap mmu_pt_pmm_allocator. Call it while no pmap function runs (boot, tests).
 */
void mmu_set_pt_allocator(const struct mmu_pt_allocator *a);
/* The default: order-0 pmm frames, zeroed, marked VM_PAGE_PT while they hold a table. */
extern const struct mmu_pt_allocator mmu_pt_pmm_allocator;

/*
 * The kernel's pmap: the direct map, the kernel image, and nothing of any user. It maps kernel-half
 * addresses only. Built on first use (pmap_bootstrap in the kernel; the first test that needs it on
 * the host) with every kernel-half PML4 slot populated; returns NULL only if that first build ran
 * out of memory.
 */
pmap_t pmap_kernel(void);

/*
 * A new user pmap whose kernel half (PML4 slots 256..511) is the kernel pmap's, so it sees every
 * kernel mapping made before or after. It maps user-half addresses only. Returns NULL when out of
 * memory. The caller owns it until pmap_destroy.
 */
pmap_t pmap_create(void);

/*
 * Destroy a user pmap: frees every page-table page of its user half and the pmap itself. Frames
 * still mapped are not freed (their owners free them); the pmap must not be active.
 */
void pmap_destroy(pmap_t pmap);

/*
 * Map [va, va + len) to [pa, pa + len) with flags. va, pa and len are 4 KiB aligned. Uses a 2 MiB
 * page wherever va and pa are 2 MiB aligned and at least 2 MiB remain, 4 KiB pages elsewhere.
 * Returns 0; -EEXIST if any page of the range is already mapped; -ENOMEM if a page-table page
 * could not be had. On failure nothing of the range is mapped.
 * -EINVAL for misuse, changing nothing: unaligned or wrapping input, a range outside the pmap's
 * half (user pmaps: below 0x0000800000000000; the kernel pmap: from 0xffff800000000000), MMU_USER
 * in the kernel pmap, unknown flags, pa + len beyond 2^52. len 0 does nothing and returns 0.
 * (The same -EINVAL and len-0 rules hold for pmap_remove and pmap_protect.)
 */
int pmap_enter(pmap_t pmap, vm_offset_t va, vm_paddr_t pa, vm_size_t len, unsigned flags);

/*
 * pmap_enter with a different largest page size: max_page_size is PAGE_SIZE (4 KiB pages only),
 * SUPERPAGE_SIZE (as pmap_enter) or MMU_HUGEPAGE_SIZE (also 1 GiB pages where va, pa and the
 * remaining length allow; the kernel pmap only, for the direct map). Anything else is -EINVAL.
 * A 1 GiB page is never split: removing or changing the flags of part of one is -EINVAL.
 */
int pmap_enter_pagesize(pmap_t pmap, vm_offset_t va, vm_paddr_t pa, vm_size_t len, unsigned flags,
			vm_size_t max_page_size);

/*
 * Unmap whatever is mapped in [va, va + len) (4 KiB aligned). A 2 MiB page partly covered is first
 * split into 4 KiB pages so that the rest stays mapped. Page-table pages that become empty are
 * freed; TLB entries are invalidated on every CPU before the call returns, so the caller may free
 * the frames.
 * Returns 0, or -ENOMEM if a split needed a page-table page and none could be had: only the two
 * 2 MiB pages at the ends of the range can need one, and they are split before anything else
 * changes, so on -ENOMEM nothing has changed. -EINVAL as pmap_enter, or if the range covers part
 * of a 1 GiB page.
 */
int pmap_remove(pmap_t pmap, vm_offset_t va, vm_size_t len);

/*
 * Set the flags of every mapped page in [va, va + len) (4 KiB aligned) to flags; unmapped pages
 * stay unmapped. Splits partly covered 2 MiB pages, as pmap_remove does. TLB entries of changed
 * pages are invalidated on every CPU before the call returns.
 * Returns 0, -ENOMEM or -EINVAL as pmap_remove.
 */
int pmap_protect(pmap_t pmap, vm_offset_t va, vm_size_t len, unsigned flags);

/*
 * Look up va. Returns true if mapped, with the physical address of va itself, the mapping's MMU_*
 * flags and its page size (PAGE_SIZE, SUPERPAGE_SIZE or MMU_HUGEPAGE_SIZE) stored through any
 * non-NULL pointer. MMU_READ is always among the flags. A kernel-half va of a user pmap is looked
 * up in the kernel pmap, whose tables it shares. A non-canonical va is not mapped.
 */
bool pmap_query(pmap_t pmap, vm_offset_t va, vm_paddr_t *pa, unsigned *flags, vm_size_t *page_size);

/*
 * pmap_query, and the mapping's status bits (MMU_ACCESSED, MMU_DIRTY) in *status if status is not
 * NULL; one lookup. The bits are a snapshot: the CPU may set them right after the call returns.
 */
bool pmap_query_status(pmap_t pmap, vm_offset_t va, vm_paddr_t *pa, unsigned *flags,
		       vm_size_t *page_size, unsigned *status);

#ifdef KESTREL_HOST
/*
 * The host's stand-in for the CPU's access to va (host tests only; nothing on the host walks the
 * tables as the CPU does): sets MMU_ACCESSED, and MMU_DIRTY if write, in the mapping of va, as the
 * x86_64 page walk would. Returns false, changing nothing, if va is not mapped or write is asked of
 * a read-only mapping (the CPU would fault instead).
 */
bool pmap_host_access(pmap_t pmap, vm_offset_t va, bool write);
#endif

/*
 * Page-table pages this pmap owns (its user half and its PML4, or for the kernel pmap all of it):
 * 1 for a user pmap that maps nothing.
 */
size_t pmap_pt_pages(pmap_t pmap);

/* Make pmap the current address space of this CPU (loads CR3; does nothing on the host). */
void pmap_activate(pmap_t pmap);

/*
 * The CPUs (bit i: CPU i, kernel/cpu.h's ids) whose last pmap_activate loaded pmap: the ones that
 * may cache its translations (FreeBSD's pm_active), for invalidating only those. The scheduler
 * loads each task's pmap as it switches it in (kernel/sched.h), so under sched_lock the bits of a
 * user pmap are the CPUs running its task. No lock (an atomic snapshot).
 */
uint64_t pmap_active_cpus(pmap_t pmap);

/*
 * TLB shootdown counters of CPU cpu (kernel/cpu.h's ids; all 0 for an id out of range), since boot,
 * for tests and benchmarks. Each pmap_remove, pmap_protect or failed pmap_enter that changed
 * something another CPU may cache (a CPU in the pmap's active set; for the kernel pmap, every
 * other online CPU) invalidates it there in one round of IPIs, and returns after every target
 * has acknowledged. At a quiescent point the sum of targets over the CPUs equals the sum of
 * requests (no lost acknowledgement). The host tests' build has one real CPU: there a round is
 * counted (rounds and targets at the sender, ipis, requests, pages and flushes at each target) and nothing is sent.
 */
struct mmu_shootdown_stats {
	uint64_t rounds;  /* rounds this CPU sent: operations with at least one other CPU to tell */
	uint64_t targets; /* the batches those rounds asked for: one per target CPU and round */
	uint64_t ipis;    /* shootdown IPIs this CPU took (merged ones count once) */
	uint64_t requests; /* other CPUs' batches it carried out (from an IPI or while it waited) */
	uint64_t flushes;  /* of those, the full flushes (more pages than one batch holds) */
	uint64_t pages;    /* pages it invalidated for the others (the other requests) */
};
void mmu_shootdown_stats(unsigned cpu, struct mmu_shootdown_stats *stats);

/*
 * Check pmap's invariants (listed at struct pmap in the arch code). Returns NULL, or a message
 * naming the broken one, valid until the next call. Takes the pmap's lock.
 */
const char *pmap_check(pmap_t pmap);

#ifndef KESTREL_HOST
/*
 * Boot: build the kernel pmap's direct map of [0, phys_end) and the W^X kernel image mapping, and
 * switch to it. Needs pmm initialized and the boot page tables still active. Panics if it cannot
 * (there is no kernel without its page tables).
 */
void pmap_bootstrap(vm_paddr_t phys_end, bool have_1g_pages);
#endif

#endif
