/*
 * The page-fault handler of vm_maps (contract at vm_fault in mm/vm_map.h): demand-zero pages from
 * the entry's object, a whole 2 MiB page where the entry, the alignment and the object allow; for
 * an OBJT_SG object, the frame the object names (nothing is allocated), as a 2 MiB page where the
 * entry and alignment allow and the frames behind it are one aligned 2 MiB run.
 *
 * Faults run under the map's read lock, so several may run at once on one map. What they share is
 * guarded thus: an anonymous entry's object is installed by compare-and-swap (a loser drops its
 * own); an object's pages, and the pmap_enter that maps them, are under the object's lock, so one
 * fault inserts and maps a page and a racing one finds it mapped (the page itself is allocated and
 * zeroed before the lock is taken, so faults in separate parts of one object do not serialize on
 * the zeroing); counters are atomic.
 */
#include "mm/vm_map.h"
#include "kernel/panic.h"
#include "kernel/preempt.h"
#include "mm/pmm.h"
#include "uapi/errno.h"

#define SUPERPAGE_PAGES (SUPERPAGE_SIZE / PAGE_SIZE)

/* The index in e's object of the page at va. */
static uint64_t entry_pindex(vm_map_entry_t e, vm_offset_t va)
{
	return (e->offset + (va - e->start)) >> PAGE_SHIFT;
}

/* The entry's object, made on the first fault of an anonymous entry. NULL when out of memory. */
static vm_object_t entry_object(vm_map_entry_t e)
{
	vm_object_t object = __atomic_load_n(&e->object, __ATOMIC_ACQUIRE);
	if (object)
		return object;
	/* The offset of an anonymous entry is start & SUPERPAGE_MASK (vm_map.h), fixed before now. */
	object = vm_object_allocate(e->offset + (e->end - e->start));
	if (!object)
		return NULL;
	object->flags |= OBJ_ONEMAPPING;
	object->map_base = e->start - e->offset;
	vm_object_t seen = NULL;
	if (__atomic_compare_exchange_n(&e->object, &seen, object, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return object;
	vm_object_deallocate(object);
	return seen;
}

/* Whether e covers the 2 MiB page around va and maps its object congruently modulo 2 MiB. */
static bool superpage_fits(vm_map_entry_t e, vm_offset_t va)
{
	vm_offset_t base = va & ~SUPERPAGE_MASK;
	return base >= e->start && e->end - base >= SUPERPAGE_SIZE &&
	       ((e->offset - e->start) & SUPERPAGE_MASK) == 0;
}

/* Whether none of the object's 2 MiB range behind the superpage around va is resident. Object lock held. */
static bool superpage_range_empty(vm_map_entry_t e, vm_object_t object, vm_offset_t va)
{
	uint64_t first = entry_pindex(e, va & ~SUPERPAGE_MASK), idx;
	return !vm_object_page_next(object, first, first + SUPERPAGE_PAGES, &idx);
}

/*
 * Map block (a zeroed 2 MiB pmm block) as the superpage around va. Returns false, with nothing
 * changed and block still the caller's, if a tree node could not be had; else true with the result
 * in *rc, block then belonging to the object. Object lock held; the object range must be empty.
 */
static bool map_superpage(vm_map_t map, vm_map_entry_t e, vm_object_t object, vm_offset_t va,
			  unsigned flags, vm_page_t block, int *rc)
{
	vm_offset_t base = va & ~SUPERPAGE_MASK;
	uint64_t first = entry_pindex(e, base);
	vm_paddr_t pa = vm_page_to_phys(block);

	/* The object keeps 512 independent frames, so that removing part of the range frees just that. */
	pmm_split(block);
	for (uint64_t i = 0; i < SUPERPAGE_PAGES; i++) {
		if (vm_object_page_insert(object, first + i, phys_to_vm_page(pa + i * PAGE_SIZE)) ==
		    0)
			continue;
		/* Give back what went in, then reassemble the block (the buddy allocator coalesces). */
		vm_object_page_remove(object, first, first + i);
		for (; i < SUPERPAGE_PAGES; i++)
			pmm_free(phys_to_vm_page(pa + i * PAGE_SIZE));
		return false;
	}

	int r = pmap_enter(map->pmap, base, pa, SUPERPAGE_SIZE, flags);
	KASSERT(r == 0 || r == -ENOMEM, "vm_fault: pmap_enter of 2 MiB at 0x%llx: %d",
		(unsigned long long)base, r);
	if (r == 0) {
		vm_map_stat_add(map, VM_MAP_STAT(resident_2m), 1);
		vm_map_stat_add(map, VM_MAP_STAT(faults_2m), 1);
	}
	/* On -ENOMEM the zeroed pages stay resident; a later fault maps them 4 KiB at a time. */
	*rc = r == 0 ? KERN_SUCCESS : KERN_RESOURCE_SHORTAGE;
	return true;
}

/* Map page at va with a 4 KiB mapping; on success *size is the size of the page mapping va. */
static int enter_page(vm_map_t map, vm_offset_t va, vm_page_t page, unsigned flags, vm_size_t *size)
{
	int r = pmap_enter(map->pmap, va, vm_page_to_phys(page), PAGE_SIZE, flags);
	if (r == 0) {
		vm_map_stat_add(map, VM_MAP_STAT(resident_4k), 1);
		*size = PAGE_SIZE;
		return KERN_SUCCESS;
	}
	/* -EEXIST: a fault on another CPU mapped the page (4 KiB or 2 MiB) between our look and our lock. */
	KASSERT(r == -EEXIST || r == -ENOMEM, "vm_fault: pmap_enter at 0x%llx: %d",
		(unsigned long long)va, r);
	if (r == -ENOMEM)
		return KERN_RESOURCE_SHORTAGE;
	pmap_query(map->pmap, va, NULL, NULL, size);
	return KERN_SUCCESS;
}

/*
 * Map the object page behind va, allocating it if it is not resident; as a superpage if *block (a
 * zeroed 2 MiB block, or NULL) is given and the superpage's object range is still empty, in which
 * case *block is consumed (set to NULL). A page to allocate is *spare if the caller brought one (a
 * zeroed 4 KiB frame, consumed then), else one zeroed here. On success *size is the size of the
 * page mapping va. Object lock held.
 */
static int fault_page(vm_map_t map, vm_map_entry_t e, vm_object_t object, vm_offset_t va,
		      unsigned flags, vm_page_t *block, vm_page_t *spare, vm_size_t *size)
{
	uint64_t pindex = entry_pindex(e, va);
	vm_page_t page = vm_object_page_lookup(object, pindex);
	int rc;
	if (!page && *block && superpage_range_empty(e, object, va)) {
		if (map_superpage(map, e, object, va, flags, *block, &rc)) {
			*block = NULL;
			*size = SUPERPAGE_SIZE;
			return rc;
		}
		*block = NULL; /* split and freed frame by frame */
	}
	if (!page) {
		page = *spare ? *spare : pmm_alloc_order(0, PMM_ZERO);
		*spare = NULL;
		if (!page)
			return KERN_RESOURCE_SHORTAGE;
		if (vm_object_page_insert(object, pindex, page)) {
			pmm_free(page);
			return KERN_RESOURCE_SHORTAGE;
		}
	}
	return enter_page(map, va, page, flags, size);
}

/*
 * Whether the OBJT_SG frames behind the superpage around va are one run of 512 frames starting
 * on a 2 MiB boundary (a superpage must map exactly that); the run's start in *pa. Object lock
 * held.
 */
static bool sg_superpage_run(vm_map_entry_t e, vm_object_t object, vm_offset_t va, vm_paddr_t *pa)
{
	uint64_t first = entry_pindex(e, va & ~SUPERPAGE_MASK);
	*pa = vm_page_to_phys(vm_object_page_lookup(object, first));
	if (*pa & SUPERPAGE_MASK)
		return false;
	for (uint64_t i = 1; i < SUPERPAGE_PAGES; i++)
		if (vm_page_to_phys(vm_object_page_lookup(object, first + i)) !=
		    *pa + i * PAGE_SIZE)
			return false;
	return true;
}

/*
 * Map the OBJT_SG frame behind va, or the whole superpage around it where it fits. A superpage
 * needs the whole 2 MiB unmapped: where part of it is mapped already (4 KiB faults before, or a
 * split), or its page table could not be had, the page goes in on its own. On success *size is
 * the size of the page mapping va. Object lock held.
 */
static int fault_sg(vm_map_t map, vm_map_entry_t e, vm_object_t object, vm_offset_t va,
		    unsigned flags, vm_size_t *size)
{
	vm_paddr_t pa;
	if (superpage_fits(e, va) && sg_superpage_run(e, object, va, &pa)) {
		int r = pmap_enter(map->pmap, va & ~SUPERPAGE_MASK, pa, SUPERPAGE_SIZE, flags);
		KASSERT(r == 0 || r == -EEXIST || r == -ENOMEM,
			"vm_fault: pmap_enter of 2 MiB at 0x%llx: %d", (unsigned long long)va, r);
		if (r == 0) {
			vm_map_stat_add(map, VM_MAP_STAT(resident_2m), 1);
			vm_map_stat_add(map, VM_MAP_STAT(faults_2m), 1);
			*size = SUPERPAGE_SIZE;
			return KERN_SUCCESS;
		}
	}
	return enter_page(map, va, vm_object_page_lookup(object, entry_pindex(e, va)), flags, size);
}

/* vm_fault_mapped's work, map lock held (read). */
static int fault_locked(vm_map_t map, vm_offset_t va, vm_prot_t fault_type, vm_size_t *size)
{
	vm_map_entry_t e;
	if (!vm_map_lookup_entry(map, va, &e) || (e->eflags & MAP_ENTRY_GUARD))
		return KERN_INVALID_ADDRESS;
	if (fault_type & ~e->protection)
		return KERN_PROTECTION_FAILURE;
	if (!map->pmap)
		return KERN_FAILURE;
	vm_object_t object = entry_object(e);
	if (!object)
		return KERN_RESOURCE_SHORTAGE;
	unsigned flags = vm_map_mmu_flags(map, e->protection);
	/*
	 * A page that is mapped already (a fault another thread resolved first, or one the TLB had
	 * not seen yet) is found by the object lookup below and pmap_enter's -EEXIST, and mapped
	 * pages always carry their entry's full rights (vm_map.h, M7): nothing more to do. No look at
	 * the pmap first: that would take the pmap's lock, which every thread of the task writes, a
	 * second time on every first touch.
	 */
	if (object->type == OBJT_SG) {
		vm_object_lock(object);
		int rc = fault_sg(map, e, object, va, flags, size);
		vm_object_unlock(object);
		return rc;
	}

	/*
	 * Zeroing a page takes long, too long for the object's spinlock (interrupts off), which every
	 * fault on the entry takes (threads faulting in separate parts of one entry, say): take a
	 * zeroed 2 MiB block (where a superpage could go and the object's range is empty: a look
	 * under the lock) or 4 KiB frame unlocked, and let fault_page look again; what a racing fault,
	 * or a page still resident but unmapped (PROT_NONE and back), made useless goes back.
	 */
	vm_page_t block = NULL, spare = NULL;
	bool resident = false;
	if (superpage_fits(e, va)) {
		vm_object_lock(object);
		resident = vm_object_page_lookup(object, entry_pindex(e, va)) != NULL;
		bool empty = !resident && superpage_range_empty(e, object, va);
		vm_object_unlock(object);
		if (empty)
			block = pmm_alloc_order(SUPERPAGE_ORDER, PMM_ZERO);
	}
	if (!resident && !block)
		spare = pmm_alloc_order(0, PMM_ZERO);
	vm_object_lock(object);
	int rc = fault_page(map, e, object, va, flags, &block, &spare, size);
	vm_object_unlock(object);
	if (block)
		pmm_free(block);
	if (spare)
		pmm_free(spare);
	return rc;
}

int vm_fault_mapped(vm_map_t map, vm_offset_t va, vm_prot_t fault_type, vm_size_t *page_size)
{
	vm_map_stat_add(map, VM_MAP_STAT(faults), 1);
	if (fault_type == VM_PROT_NONE || (fault_type & ~VM_PROT_ALL))
		return KERN_INVALID_ARGUMENT;
	vm_map_lock_read(map);
	int rc = fault_locked(map, trunc_page(va), fault_type, page_size);
	vm_map_unlock_read(map);
	return rc;
}

int vm_fault(vm_map_t map, vm_offset_t va, vm_prot_t fault_type)
{
	vm_size_t page_size;

	return vm_fault_mapped(map, va, fault_type, &page_size);
}

int vm_fault_range(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	if (((start | end) & PAGE_MASK) || start > end)
		return KERN_INVALID_ARGUMENT;
	vm_map_entry_t e;
	if (!vm_map_lookup_entry(map, start, &e))
		e = e ? e->next : map->header.next;
	for (; e != &map->header && e->start < end; e = e->next) {
		if ((e->eflags & MAP_ENTRY_GUARD) || e->protection == VM_PROT_NONE)
			continue;
		vm_offset_t va = start > e->start ? start : e->start;
		vm_offset_t stop = end < e->end ? end : e->end;
		while (va < stop) {
			vm_map_stat_add(map, VM_MAP_STAT(faults), 1);
			vm_size_t size;
			int rc = fault_locked(map, va, e->protection, &size);
			if (rc != KERN_SUCCESS)
				return rc;
			/* After a 2 MiB page, go on at the next 2 MiB boundary. */
			va = size == SUPERPAGE_SIZE ? (va & ~SUPERPAGE_MASK) + SUPERPAGE_SIZE
						    : va + PAGE_SIZE;
			preempt_point(); /* a range may be large; the read lock may sleep */
		}
	}
	return KERN_SUCCESS;
}
