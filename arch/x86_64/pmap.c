/*
 * The x86_64 pmap: 4-level page tables behind the arch-neutral MMU interface (mm/mmu.h).
 *
 * Built for the kernel and for the host, where the same code runs over a simulated physical arena:
 * page-table pages are reached only through phys_to_virt(), come from a replaceable allocator, and
 * the CPU is touched only through arch/x86_64/cpu.h (invlpg, tlb_flush_all) and load_cr3 below.
 *
 * Page sizes: pmap_enter uses 2 MiB pages where it can; 1 GiB pages exist only where the kernel asks
 * for them (the direct map, pmap_enter_pagesize). pmap_remove and pmap_protect split a partly
 * covered 2 MiB page into 512 PTEs; they never split a 1 GiB page (-EINVAL), since nothing but the
 * direct map has them and nothing changes part of the direct map.
 *
 * TLB: every change to a present entry is invalidated, on every CPU that may cache it, before the
 * operation returns: one invlpg per changed page (4 KiB or 2 MiB alike), or one tlb_flush_all when
 * an operation would need more than TLB_BATCH_MAX. Making a non-present entry present needs none:
 * the CPU caches no translation, and no paging-structure entry, from an entry whose P bit is clear
 * (SDM vol. 3A, 4.10.4.3), so pmap_enter invalidates nothing (but its -ENOMEM rollback, which
 * frees tables it linked, does). Page-table pages unlinked by an operation are freed only after
 * its invalidation. Kestrel never sets PTE_G: a global entry would survive tlb_flush_all (a CR3
 * load).
 *
 * Shootdown (SMP): an operation collects its invalidations in a struct pmap_batch under the
 * pmap's lock, drops the lock, and then batch_finish invalidates them here and on the other CPUs
 * that may cache them, in one IPI round that returns once each has acknowledged
 * (arch/x86_64/tlb.h), and only then frees the unlinked tables; the operation returns after that,
 * so its caller frees frames only once no CPU can reach them. The other CPUs are, for a user
 * pmap, its active set (pm_active: the CPUs that have it in CR3), read after the entries changed;
 * for the kernel pmap, whose half every pmap shares, every other online CPU. The active set is
 * exact enough to skip a CPU safely: pmap_activate sets the new pmap's bit before loading CR3 and
 * clears the old one's after, so a CPU missing from a set read after the change either loads CR3
 * after the change (and sees it) or has loaded another pmap (a CR3 load flushes every entry and
 * paging-structure cache of the old one: no PCIDs). A CPU that switches away meanwhile still
 * acknowledges; its work is then redundant.
 *
 * Why the round is outside the pmap's lock: a spinlock holds interrupts off, and a CPU spinning
 * for this pmap's lock with interrupts off (it holds another spinlock, or runs an interrupt
 * handler) could not take the IPI while we wait for it under the lock. Outside it, the waiting CPU
 * still runs with interrupts off (the mailbox is per CPU) but serves the requests sent to it while
 * it waits, so two CPUs shooting at each other both finish; tlb.h has the whole argument and the
 * one rule it leaves to callers: call pmap_remove, pmap_protect and pmap_enter with no spinlock
 * held that another CPU may spin for with interrupts already off. Concurrent operations on one
 * pmap are safe in any interleaving of their rounds: each only removes translations, and a page
 * mapped again after a removal may take a redundant invalidation, never a stale entry.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/pte.h"
#include "arch/x86_64/tlb.h"
#include "kernel/cpu.h"
#include "kernel/kprintf.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"
#include "mm/pmm.h"
#include "uapi/errno.h"

/*
 * An address space: a PML4 and the tables beneath it.
 *
 * Invariants (pmap_check):
 *   I1 The kernel pmap's PML4 slots 0..255 are empty and 256..511 each point to a PDPT made with
 *      it; those slots never change and those PDPTs are never freed, so a user pmap's slots
 *      256..511, copied at pmap_create, stay equal to them.
 *   I2 A pmap owns the tables beneath its own half's slots: 0..255 for a user pmap, 256..511 for the
 *      kernel pmap. Every owned PDPT, PD and PT other than the kernel's 256 PDPTs has at least one
 *      present entry (pmap_remove frees a table that becomes empty).
 *   I3 Leaves: 4 KiB in PTs, 2 MiB in PDs, 1 GiB in PDPTs of the kernel pmap only; the frame is
 *      aligned to the page size and below 2^52; no PTE_US in the kernel half; no bits besides
 *      those pte.h's helpers put there (no PTE_G, no PAT). Table entries are pte_table() of their
 *      half.
 *   I4 pt_pages counts the PML4 and every owned table.
 * The tables of a pmap, and pt_pages, are protected by its lock; pml4_pa and kernel are fixed at
 * creation. A table an operation unlinked is no longer counted (I4) while it waits, outside the
 * lock, for the shootdown that must precede its freeing (struct pmap_batch).
 */
struct pmap {
	spinlock_t lock;
	vm_paddr_t pml4_pa;
	size_t pt_pages;
	bool kernel;
	/*
	 * The CPUs that have it loaded (bit i: CPU i; FreeBSD's pm_active): pmap_activate sets the
	 * caller's bit here before loading CR3 and clears it in the pmap it replaces after. Atomic;
	 * not under the lock. The targets of a user pmap's shootdown.
	 */
	uint64_t active;
};

/* The pmap each CPU loaded last (NULL: the one boot left, the kernel's), for its active bit. */
static struct pmap *cpu_loaded[CPU_MAX];

/*
 * The TLB work of one operation: collected under the pmap's lock, done by batch_finish after the
 * lock is dropped (on every CPU that may cache it) and before the operation returns.
 */
struct pmap_batch {
	struct tlb_batch tlb;
	/*
	 * Unlinked tables, freed after the shootdown, chained through their first word: a
	 * page-aligned address, so a walk still reaching the table through a stale cache reads "not
	 * present". Already uncounted in pt_pages.
	 */
	vm_paddr_t freed;
};

static const struct mmu_pt_allocator *pt_allocator = &mmu_pt_pmm_allocator;
static struct mmu_pt_allocator pt_allocator_copy;

static struct pmap kernel_pmap = {.lock = SPINLOCK_INIT("kernel pmap"), .kernel = true};
static bool kernel_pmap_ready;
static spinlock_t kernel_pmap_build_lock = SPINLOCK_INIT("kernel pmap build");

static vm_paddr_t pt_pmm_alloc(void)
{
	vm_page_t p = pmm_alloc_order(0, PMM_ZERO);
	if (!p)
		return 0;
	p->flags |= VM_PAGE_PT;
	return vm_page_to_phys(p);
}

static void pt_pmm_free(vm_paddr_t pa)
{
	vm_page_t p = phys_to_vm_page(pa);
	p->flags &= (uint16_t)~VM_PAGE_PT;
	pmm_free(p);
}

const struct mmu_pt_allocator mmu_pt_pmm_allocator = {pt_pmm_alloc, pt_pmm_free};

void mmu_set_pt_allocator(const struct mmu_pt_allocator *a)
{
	if (!a) {
		pt_allocator = &mmu_pt_pmm_allocator;
		return;
	}
	pt_allocator_copy = *a;
	pt_allocator = &pt_allocator_copy;
}

static pt_entry_t *pt_table(vm_paddr_t pa)
{
	return phys_to_virt(pa);
}

/* A zeroed page-table page for pm, or 0. */
static vm_paddr_t pt_alloc(struct pmap *pm)
{
	vm_paddr_t pa = pt_allocator->alloc();
	if (pa)
		pm->pt_pages++;
	return pa;
}

static void pt_free(struct pmap *pm, vm_paddr_t pa)
{
	pm->pt_pages--;
	pt_allocator->free(pa);
}

static inline void load_cr3(vm_paddr_t pml4_pa)
{
#ifdef KESTREL_HOST
	(void)pml4_pa; /* a host process has no CR3: its tables are only ever walked in software */
#else
	write_cr3(pml4_pa);
#endif
}

static void batch_invalidate(struct pmap_batch *b, vm_offset_t va)
{
	if (b->tlb.n < TLB_BATCH_MAX)
		b->tlb.va[b->tlb.n++] = va;
	else
		b->tlb.flush_all = true;
}

/*
 * Queue table page pa, already unlinked, to be freed once no TLB refers to it; it leaves pm's
 * count now. Caller holds pm->lock.
 */
static void batch_free_table(struct pmap *pm, struct pmap_batch *b, vm_paddr_t pa)
{
	pm->pt_pages--;
	*(vm_paddr_t *)phys_to_virt(pa) = b->freed;
	b->freed = pa;
}

#ifdef KESTREL_HOST
/*
 * The host has one real CPU: "other CPUs" are the ones host tests pretend to be on (host_cpu_id,
 * as cpu_this_id), and a shootdown of them is counted, not sent.
 */
static struct mmu_shootdown_stats host_stats[CPU_MAX];

void tlb_invalidate(cpuset_t targets, const struct tlb_batch *b)
{
	if (b->flush_all) {
		tlb_flush_all();
	} else {
		for (unsigned i = 0; i < b->n; i++)
			invlpg(b->va[i]);
	}
	targets &= (CPUSET_CPU(cpu_possible_count()) - 1) & ~CPUSET_CPU(cpu_this_id());
	if (!targets)
		return;
	host_stats[cpu_this_id()].rounds++;
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		if (!(targets & CPUSET_CPU(cpu)))
			continue;
		host_stats[cpu_this_id()].targets++;
		host_stats[cpu].ipis++;
		host_stats[cpu].requests++;
		if (b->flush_all)
			host_stats[cpu].flushes++;
		else
			host_stats[cpu].pages += b->n;
	}
}

void mmu_shootdown_stats(unsigned cpu, struct mmu_shootdown_stats *st)
{
	*st = cpu < CPU_MAX ? host_stats[cpu] : (struct mmu_shootdown_stats){0};
}
#endif

/*
 * Invalidate b's pages on every CPU that may cache them, then free its tables. Called after
 * pm->lock is dropped, with no spinlock held that another CPU may wait for with interrupts off
 * (arch/x86_64/tlb.h).
 */
static void batch_finish(struct pmap *pm, struct pmap_batch *b)
{
	if (b->tlb.n || b->tlb.flush_all || b->freed) {
		/*
		 * The entries changed before the active set is read (see pmap_activate). The kernel
		 * pmap's set is every CPU. tlb_invalidate drops the caller's own CPU with interrupts
		 * off: a preemptible caller may have moved since, and the CPU it left must be told.
		 */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		cpuset_t targets = pm->kernel ? ~(cpuset_t)0 : pmap_active_cpus(pm);
		/* A freed table may be in a paging-structure cache even if no leaf changed. */
		if (!b->tlb.n && !b->tlb.flush_all)
			b->tlb.flush_all = true;
		tlb_invalidate(targets, &b->tlb);
	}
	while (b->freed) {
		vm_paddr_t pa = b->freed;
		b->freed = *(vm_paddr_t *)phys_to_virt(pa);
		pt_allocator->free(pa);
	}
}

static bool table_empty(const pt_entry_t *t)
{
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		if (pte_load(&t[i]) & PTE_P)
			return false;
	return true;
}

/*
 * The level-`level` table covering va, making the missing tables above it; NULL when out of
 * memory (tables made so far stay linked, empty: the caller's rollback frees them). The range is
 * known to hold no leaf on the way. Caller holds pm->lock.
 */
static pt_entry_t *walk_alloc(struct pmap *pm, vm_offset_t va, int level)
{
	pt_entry_t *t = pt_table(pm->pml4_pa);
	for (int l = PT_LEVELS; l > level; l--) {
		pt_entry_t *e = &t[pt_index(va, l)];
		pt_entry_t v = pte_load(e);
		if (!(v & PTE_P)) {
			vm_paddr_t pa = pt_alloc(pm);
			if (!pa)
				return NULL;
			v = pte_table(pa, !pm->kernel);
			pte_store(e, v);
		}
		t = pt_table(pte_addr(v, l));
	}
	return t;
}

/* The present leaf mapping va and its level, or NULL. Caller holds pm->lock. */
static pt_entry_t *leaf_lookup(struct pmap *pm, vm_offset_t va, int *levelp)
{
	pt_entry_t *t = pt_table(pm->pml4_pa);
	for (int l = PT_LEVELS;; l--) {
		pt_entry_t *e = &t[pt_index(va, l)];
		pt_entry_t v = pte_load(e);
		if (!(v & PTE_P))
			return NULL;
		if (pte_is_leaf(v, l)) {
			*levelp = l;
			return e;
		}
		t = pt_table(pte_addr(v, l));
	}
}

/* Whether any page in [va, last] is mapped beneath table t of level `level`. */
static bool range_mapped(const pt_entry_t *t, int level, vm_offset_t va, vm_offset_t last)
{
	vm_size_t size = pt_level_size(level);
	for (unsigned i = pt_index(va, level);; i++) {
		vm_offset_t elast = (va & ~(size - 1)) + (size - 1);
		vm_offset_t sub_last = elast < last ? elast : last;
		pt_entry_t v = pte_load(&t[i]);
		if (v & PTE_P) {
			if (pte_is_leaf(v, level))
				return true;
			if (range_mapped(pt_table(pte_addr(v, level)), level - 1, va, sub_last))
				return true;
		}
		if (sub_last == last)
			return false;
		va = sub_last + 1;
	}
}

/* What walk_range does to each leaf. */
struct pmap_walk {
	struct pmap *pm;
	bool remove;     /* unmap; otherwise set the permission bits to prot */
	pt_entry_t prot; /* PTE_PROT_MASK bits, for protect */
	struct pmap_batch batch;
};

/*
 * Remove or protect the leaves in [va, last] beneath table t of level `level`, freeing tables
 * that become empty (remove). Every large leaf that this would change is wholly inside the range:
 * split_ends ran first. Caller holds pm->lock.
 */
static void walk_range(struct pmap_walk *w, pt_entry_t *t, int level, vm_offset_t va,
		       vm_offset_t last)
{
	vm_size_t size = pt_level_size(level);
	for (unsigned i = pt_index(va, level);; i++) {
		vm_offset_t base = va & ~(size - 1);
		vm_offset_t elast = base + (size - 1);
		vm_offset_t sub_last = elast < last ? elast : last;
		bool whole = va == base && sub_last == elast;
		pt_entry_t *e = &t[i];
		pt_entry_t v = pte_load(e);

		if (!(v & PTE_P)) {
			/* nothing mapped here */
		} else if (pte_is_leaf(v, level)) {
			pt_entry_t nv = w->remove ? 0 : (v & ~PTE_PROT_MASK) | w->prot;
			if (nv != v) {
				KASSERT(whole,
					"pmap: changing part of a 0x%llx-byte page at 0x%llx",
					(unsigned long long)size, (unsigned long long)base);
				pte_store(e, nv);
				batch_invalidate(&w->batch, base);
			}
		} else {
			vm_paddr_t child = pte_addr(v, level);
			walk_range(w, pt_table(child), level - 1, va, sub_last);
			/* The kernel's PDPTs are shared by every user pmap: they stay. */
			bool freeable = !(level == PT_LEVELS && w->pm->kernel);
			if (w->remove && freeable && (whole || table_empty(pt_table(child)))) {
				pte_store(e, 0);
				batch_free_table(w->pm, &w->batch, child);
			}
		}
		if (sub_last == last)
			return;
		va = sub_last + 1;
	}
}

/* Replace 2 MiB leaf *e, which maps base, by the PT at pt_pa holding the same 512 translations. */
static void split_2m(struct pmap_walk *w, pt_entry_t *e, vm_offset_t base, vm_paddr_t pt_pa)
{
	pt_entry_t v = pte_load(e);
	pt_entry_t bits = pte_split_bits(v);
	vm_paddr_t pa = pte_addr(v, 2);
	pt_entry_t *pt = pt_table(pt_pa);
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		pte_store(&pt[i], (pa + (vm_paddr_t)i * PAGE_SIZE) | bits);
	/* A page-size change must be invalidated even though every translation stays the same. */
	pte_store(e, pte_table(pt_pa, !w->pm->kernel));
	batch_invalidate(&w->batch, base);
}

/*
 * Split the 2 MiB pages at the two ends of [va, last] that the range covers only in part (even
 * if protect would leave their flags as they are: callers count on partly covered pages being
 * split), taking every page table needed before changing anything. Returns 0, -ENOMEM or -EINVAL (part of
 * a 1 GiB page), in both cases with nothing changed. Caller holds pm->lock.
 */
static int split_ends(struct pmap_walk *w, vm_offset_t va, vm_offset_t last)
{
	const vm_offset_t ends[2] = {va, last};
	pt_entry_t *split[2];
	vm_offset_t split_base[2];
	vm_paddr_t pts[2];
	int n = 0;

	for (int k = 0; k < 2; k++) {
		int level;
		pt_entry_t *e = leaf_lookup(w->pm, ends[k], &level);
		if (!e || level == 1)
			continue;
		vm_size_t size = pt_level_size(level);
		vm_offset_t base = ends[k] & ~(size - 1);
		if (base >= va && base + (size - 1) <= last)
			continue;
		if (level != 2) {
			/* A 1 GiB page is never split; protecting part of it to what it has is no change. */
			if (!w->remove && (pte_load(e) & PTE_PROT_MASK) == w->prot)
				continue;
			return -EINVAL;
		}
		if (n == 1 && split[0] == e)
			continue;
		split[n] = e;
		split_base[n++] = base;
	}
	for (int k = 0; k < n; k++) {
		pts[k] = pt_alloc(w->pm);
		if (!pts[k]) {
			while (k-- > 0)
				pt_free(w->pm, pts[k]);
			return -ENOMEM;
		}
	}
	for (int k = 0; k < n; k++)
		split_2m(w, split[k], split_base[k], pts[k]);
	return 0;
}

/*
 * Check the arguments shared by enter, remove and protect, and compute the range's last byte.
 * Returns 0, 1 for an empty range (nothing to do), or -EINVAL.
 */
static int check_range(struct pmap *pm, vm_offset_t va, vm_size_t len, vm_offset_t *lastp)
{
	if ((va | len) & PAGE_MASK)
		return -EINVAL;
	if (len == 0)
		return 1;
	vm_offset_t last = va + (len - 1);
	if (last < va)
		return -EINVAL;
	if (pm->kernel ? va < VM_MIN_KERNEL_ADDRESS : last >= VM_MAXUSER_ADDRESS)
		return -EINVAL;
	*lastp = last;
	return 0;
}

static int check_flags(struct pmap *pm, unsigned flags)
{
	if (flags & ~(unsigned)(MMU_READ | MMU_WRITE | MMU_EXEC | MMU_USER))
		return -EINVAL;
	if (pm->kernel && (flags & MMU_USER))
		return -EINVAL;
	return 0;
}

/*
 * Unmap [va, last], which holds no partly covered large page, leaving the invalidations and the
 * tables to free in *b (for batch_finish, once the lock is dropped). Caller holds pm->lock.
 */
static void remove_locked(struct pmap *pm, vm_offset_t va, vm_offset_t last, struct pmap_batch *b)
{
	struct pmap_walk w = {.pm = pm, .remove = true};
	walk_range(&w, pt_table(pm->pml4_pa), PT_LEVELS, va, last);
	*b = w.batch;
}

/* Map [va, last]; on -ENOMEM, the rollback's TLB work is left in *b. Caller holds pm->lock. */
static int enter_locked(struct pmap *pm, vm_offset_t va, vm_paddr_t pa, vm_offset_t last,
			pt_entry_t prot, int max_level, struct pmap_batch *b)
{
	if (range_mapped(pt_table(pm->pml4_pa), PT_LEVELS, va, last))
		return -EEXIST;

	vm_offset_t cur = va;
	pt_entry_t *pt = NULL; /* the PT of the previous 4 KiB page, reused while cur stays in it */
	for (;;) {
		vm_size_t remaining = last - cur + 1;
		int level = max_level;
		while (level > 1 && (((cur | pa) & (pt_level_size(level) - 1)) ||
				     remaining < pt_level_size(level)))
			level--;
		pt_entry_t *t;
		if (level == 1 && pt && pt_index(cur, 1) != 0)
			t = pt;
		else
			t = walk_alloc(pm, cur, level);
		if (!t) {
			/*
			 * Everything in [va, last] is ours: the range was empty. Removing all of it also
			 * frees the tables made on the failed walk, which lie in the range.
			 */
			remove_locked(pm, va, last, b);
			return -ENOMEM;
		}
		pt = level == 1 ? t : NULL;
		pt_entry_t *e = &t[pt_index(cur, level)];
		/* range_mapped found no leaf, and by I2 there is no empty table a leaf could hide. */
		KASSERT(pte_load(e) == 0, "pmap_enter: entry 0x%llx in the way at va 0x%llx",
			(unsigned long long)pte_load(e), (unsigned long long)cur);
		pte_store(e, pte_leaf(pa, level, prot));
		vm_size_t size = pt_level_size(level);
		if (remaining == size)
			return 0;
		cur += size;
		pa += size;
	}
}

int pmap_enter_pagesize(pmap_t pm, vm_offset_t va, vm_paddr_t pa, vm_size_t len, unsigned flags,
			vm_size_t max_page_size)
{
	int max_level;
	if (max_page_size == PAGE_SIZE)
		max_level = 1;
	else if (max_page_size == SUPERPAGE_SIZE)
		max_level = 2;
	else if (max_page_size == MMU_HUGEPAGE_SIZE && pm->kernel)
		max_level = 3;
	else
		return -EINVAL;

	vm_offset_t last = 0;
	int r = check_range(pm, va, len, &last);
	if (r < 0 || check_flags(pm, flags) || (pa & PAGE_MASK) || pa >= PTE_PHYS_LIMIT ||
	    len > PTE_PHYS_LIMIT - pa)
		return -EINVAL;
	if (r)
		return 0;

	/* Only the rollback of a failure fills it: its 64 addresses need no zeroing on every call. */
	struct pmap_batch b;
	b.tlb.n = 0;
	b.tlb.flush_all = false;
	b.freed = 0;
	spin_lock(&pm->lock);
	r = enter_locked(pm, va, pa, last, pte_prot(flags), max_level, &b);
	spin_unlock(&pm->lock);
	batch_finish(pm, &b);
	return r;
}

int pmap_enter(pmap_t pm, vm_offset_t va, vm_paddr_t pa, vm_size_t len, unsigned flags)
{
	return pmap_enter_pagesize(pm, va, pa, len, flags, SUPERPAGE_SIZE);
}

/* pmap_remove (remove) or pmap_protect (!remove, with prot). */
static int change_range(struct pmap *pm, vm_offset_t va, vm_size_t len, bool remove,
			pt_entry_t prot)
{
	vm_offset_t last = 0;
	int r = check_range(pm, va, len, &last);
	if (r)
		return r < 0 ? r : 0;

	spin_lock(&pm->lock);
	struct pmap_walk w = {.pm = pm, .remove = remove, .prot = prot};
	r = split_ends(&w, va, last);
	if (r == 0)
		walk_range(&w, pt_table(pm->pml4_pa), PT_LEVELS, va, last);
	spin_unlock(&pm->lock);
	batch_finish(pm, &w.batch);
	return r;
}

int pmap_remove(pmap_t pm, vm_offset_t va, vm_size_t len)
{
	return change_range(pm, va, len, true, 0);
}

int pmap_protect(pmap_t pm, vm_offset_t va, vm_size_t len, unsigned flags)
{
	if (check_flags(pm, flags))
		return -EINVAL;
	return change_range(pm, va, len, false, pte_prot(flags));
}

bool pmap_query(pmap_t pm, vm_offset_t va, vm_paddr_t *pap, unsigned *flagsp, vm_size_t *sizep)
{
	return pmap_query_status(pm, va, pap, flagsp, sizep, NULL);
}

size_t pmap_pt_pages(pmap_t pm)
{
	spin_lock(&pm->lock);
	size_t n = pm->pt_pages;
	spin_unlock(&pm->lock);
	return n;
}

/*
 * The new pmap's bit is set before CR3 is loaded and the old one's cleared after (FreeBSD's
 * order), so that a shootdown that reads an active set after changing entries misses no CPU that
 * could still use the old entries (see the header comment).
 */
void pmap_activate(pmap_t pm)
{
	unsigned long f = irq_save();
	unsigned cpu = cpu_this_id();
	struct pmap *old = cpu_loaded[cpu] ? cpu_loaded[cpu] : &kernel_pmap;

	__atomic_fetch_or(&pm->active, 1ull << cpu, __ATOMIC_SEQ_CST);
	load_cr3(pm->pml4_pa);
	if (old != pm) {
		__atomic_fetch_and(&old->active, ~(1ull << cpu), __ATOMIC_SEQ_CST);
		cpu_loaded[cpu] = pm;
	}
	irq_restore(f);
}

uint64_t pmap_active_cpus(pmap_t pm)
{
	return __atomic_load_n(&pm->active, __ATOMIC_SEQ_CST);
}

/* Free table pa of level `level` and every table beneath it, at once: the pmap is not active. */
static void free_tree(struct pmap *pm, vm_paddr_t pa, int level)
{
	pt_entry_t *t = pt_table(pa);
	if (level > 1) {
		for (unsigned i = 0; i < PT_ENTRIES; i++) {
			pt_entry_t v = pte_load(&t[i]);
			if ((v & PTE_P) && !pte_is_leaf(v, level))
				free_tree(pm, pte_addr(v, level), level - 1);
		}
	}
	pt_free(pm, pa);
}

/* Make the kernel pmap's PML4 and its 256 kernel-half PDPTs. Returns 0 or -ENOMEM with nothing kept. */
static int kernel_pmap_build(void)
{
	struct pmap *pm = &kernel_pmap;
	pm->pml4_pa = pt_alloc(pm);
	if (!pm->pml4_pa)
		return -ENOMEM;
	pt_entry_t *pml4 = pt_table(pm->pml4_pa);
	for (unsigned i = PML4_KERNEL_SLOT; i < PT_ENTRIES; i++) {
		vm_paddr_t pdpt = pt_alloc(pm);
		if (!pdpt) {
			for (unsigned j = PML4_KERNEL_SLOT; j < i; j++)
				pt_free(pm, pte_addr(pte_load(&pml4[j]), PT_LEVELS));
			pt_free(pm, pm->pml4_pa);
			pm->pml4_pa = 0;
			return -ENOMEM;
		}
		pte_store(&pml4[i], pte_table(pdpt, false));
	}
	return 0;
}

pmap_t pmap_kernel(void)
{
	if (__atomic_load_n(&kernel_pmap_ready, __ATOMIC_ACQUIRE))
		return &kernel_pmap;
	spin_lock(&kernel_pmap_build_lock);
	if (!kernel_pmap_ready && kernel_pmap_build() == 0)
		__atomic_store_n(&kernel_pmap_ready, true, __ATOMIC_RELEASE);
	bool ready = kernel_pmap_ready;
	spin_unlock(&kernel_pmap_build_lock);
	return ready ? &kernel_pmap : NULL;
}

pmap_t pmap_create(void)
{
	struct pmap *kp = pmap_kernel();
	if (!kp)
		return NULL;
	struct pmap *pm = kzalloc(sizeof(*pm));
	if (!pm)
		return NULL;
	spin_init(&pm->lock, "pmap");
	pm->pml4_pa = pt_alloc(pm);
	if (!pm->pml4_pa) {
		kfree(pm);
		return NULL;
	}
	/* The kernel half never changes after the kernel pmap is built (I1): no lock needed. */
	memcpy(pt_table(pm->pml4_pa) + PML4_KERNEL_SLOT, pt_table(kp->pml4_pa) + PML4_KERNEL_SLOT,
	       (PT_ENTRIES - PML4_KERNEL_SLOT) * sizeof(pt_entry_t));
	return pm;
}

void pmap_destroy(pmap_t pm)
{
	KASSERT(!pm->kernel, "pmap_destroy: the kernel pmap");
#ifndef KESTREL_HOST
	KASSERT((read_cr3() & PTE_ADDR_MASK) != pm->pml4_pa, "pmap_destroy: pmap is active");
#endif
	pt_entry_t *pml4 = pt_table(pm->pml4_pa);
	for (unsigned i = 0; i < PML4_KERNEL_SLOT; i++) {
		pt_entry_t v = pte_load(&pml4[i]);
		if (v & PTE_P)
			free_tree(pm, pte_addr(v, PT_LEVELS), PT_LEVELS - 1);
	}
	pt_free(pm, pm->pml4_pa);
	KASSERT(pm->pt_pages == 0, "pmap_destroy: %zu page-table pages unaccounted for",
		pm->pt_pages);
	kfree(pm);
}

/* pmap_check's message, valid until the next call. */
static char check_msg[160];

#define CHECK_FAIL(...)                                               \
	do {                                                          \
		ksnprintf(check_msg, sizeof(check_msg), __VA_ARGS__); \
		return check_msg;                                     \
	} while (0)

/*
 * Check table t of level `level`, which maps from va (I2, I3), and count the tables beneath it.
 * The CPU sets PTE_A in table entries and PTE_A/PTE_D in leaves as it pleases: both are allowed.
 */
static const char *check_table(const struct pmap *pm, const pt_entry_t *t, int level,
			       vm_offset_t va, size_t *tables)
{
	vm_size_t size = pt_level_size(level);
	const pt_entry_t leaf_bits =
		PTE_P | PTE_PROT_MASK | PTE_A | PTE_D | (level > 1 ? PTE_PS : 0);
	bool kernel_half = va >= VM_MIN_KERNEL_ADDRESS;
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		pt_entry_t v = pte_load(&t[i]);
		vm_offset_t eva = va + (vm_offset_t)i * size;
		if (!(v & PTE_P)) {
			if (v)
				CHECK_FAIL("I3: non-present entry 0x%llx at va 0x%llx level %d",
					   (unsigned long long)v, (unsigned long long)eva, level);
			continue;
		}
		if (!pte_is_leaf(v, level)) {
			vm_paddr_t child = pte_addr(v, level);
			if ((v & ~PTE_A) != pte_table(child, !kernel_half))
				CHECK_FAIL("I3: table entry 0x%llx at va 0x%llx level %d",
					   (unsigned long long)v, (unsigned long long)eva, level);
			if (table_empty(pt_table(child)))
				CHECK_FAIL("I2: empty level-%d table at va 0x%llx", level - 1,
					   (unsigned long long)eva);
			++*tables;
			const char *err = check_table(pm, pt_table(child), level - 1, eva, tables);
			if (err)
				return err;
			continue;
		}
		vm_paddr_t pa = pte_addr(v, level);
		if ((v & ~PTE_ADDR_MASK & ~leaf_bits) || (pa & (size - 1)))
			CHECK_FAIL("I3: leaf 0x%llx at va 0x%llx level %d", (unsigned long long)v,
				   (unsigned long long)eva, level);
		if (level == 3 && !pm->kernel)
			CHECK_FAIL("I3: 1 GiB page at va 0x%llx of a user pmap",
				   (unsigned long long)eva);
		if (kernel_half && (v & PTE_US))
			CHECK_FAIL("I3: user page at kernel va 0x%llx", (unsigned long long)eva);
	}
	return NULL;
}

/* Check pm's PML4 and everything beneath its own half (I1..I4). Caller holds pm->lock. */
static const char *check_pmap(const struct pmap *pm, const struct pmap *kp)
{
	const pt_entry_t *pml4 = pt_table(pm->pml4_pa);
	const pt_entry_t *kpml4 = pt_table(kp->pml4_pa);
	size_t tables = 1;
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		pt_entry_t v = pte_load(&pml4[i]);
		bool kernel_slot = i >= PML4_KERNEL_SLOT;
		vm_offset_t va = (vm_offset_t)i << pt_level_shift(PT_LEVELS);
		if (kernel_slot)
			va |= ~(VM_MAXUSER_ADDRESS - 1);
		if (kernel_slot != pm->kernel) {
			if (pm->kernel ? v != 0 : (v & ~PTE_A) != (pte_load(&kpml4[i]) & ~PTE_A))
				CHECK_FAIL("I1: PML4 slot %u is 0x%llx", i, (unsigned long long)v);
			continue;
		}
		if (!(v & PTE_P)) {
			if (v || pm->kernel)
				CHECK_FAIL("I1/I3: PML4 slot %u is 0x%llx", i,
					   (unsigned long long)v);
			continue;
		}
		vm_paddr_t pdpt = pte_addr(v, PT_LEVELS);
		if ((v & ~PTE_A) != pte_table(pdpt, !kernel_slot))
			CHECK_FAIL("I3: PML4 slot %u is 0x%llx", i, (unsigned long long)v);
		if (!pm->kernel && table_empty(pt_table(pdpt)))
			CHECK_FAIL("I2: empty PDPT at PML4 slot %u", i);
		tables++;
		const char *err = check_table(pm, pt_table(pdpt), PT_LEVELS - 1, va, &tables);
		if (err)
			return err;
	}
	if (tables != pm->pt_pages)
		CHECK_FAIL("I4: pt_pages is %zu, the tables are %zu", pm->pt_pages, tables);
	return NULL;
}

const char *pmap_check(pmap_t pm)
{
	const struct pmap *kp = pmap_kernel();
	spin_lock(&pm->lock);
	const char *err = check_pmap(pm, kp);
	spin_unlock(&pm->lock);
	return err;
}

/* ---------------------------------------------------------------------------------------------
 * The status bits the CPU keeps in the leaves (mm/mmu.h, MMU_ACCESSED and MMU_DIRTY).
 */
bool pmap_query_status(pmap_t pm, vm_offset_t va, vm_paddr_t *pap, unsigned *flagsp,
		       vm_size_t *sizep, unsigned *statusp)
{
	if (!va_canonical(va))
		return false;
	if (!pm->kernel && va >= VM_MIN_KERNEL_ADDRESS)
		pm = pmap_kernel();

	spin_lock(&pm->lock);
	int level;
	pt_entry_t *e = leaf_lookup(pm, va, &level);
	pt_entry_t v = e ? pte_load(e) : 0;
	spin_unlock(&pm->lock);
	if (!e)
		return false;

	vm_size_t size = pt_level_size(level);
	if (pap)
		*pap = pte_addr(v, level) + (va & (size - 1));
	if (flagsp)
		*flagsp = pte_to_mmu(v);
	if (sizep)
		*sizep = size;
	if (statusp)
		*statusp = pte_to_mmu_status(v);
	return true;
}

#ifdef KESTREL_HOST
bool pmap_host_access(pmap_t pm, vm_offset_t va, bool write)
{
	if (!va_canonical(va))
		return false;
	spin_lock(&pm->lock);
	int level;
	pt_entry_t *e = leaf_lookup(pm, va, &level);
	bool ok = e && (!write || (pte_load(e) & PTE_RW));
	/* The CPU sets the bits with a locked operation: so does its stand-in. */
	if (ok)
		__atomic_or_fetch(e, PTE_A | (write ? PTE_D : 0), __ATOMIC_RELAXED);
	spin_unlock(&pm->lock);
	return ok;
}
#endif
