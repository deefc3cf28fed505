/* The walk over an entry's resident pages (contract in mm/vm_map_pages.h). */
#include "mm/vm_map_pages.h"
#include "kernel/string.h"
#include "uapi/mman.h"

/* The object page index of va in e (va inside e, or its end). */
static uint64_t entry_pindex(vm_map_entry_t e, vm_offset_t va)
{
	return (e->offset + (va - e->start)) >> PAGE_SHIFT;
}

void vm_map_pages_init(struct vm_map_pages *it, vm_map_t map, vm_map_entry_t entry,
		       vm_offset_t start, vm_offset_t end)
{
	if (start < entry->start)
		start = entry->start;
	if (end > entry->end)
		end = entry->end;
	it->map = map;
	it->entry = entry;
	it->next = it->end = 0;
	if (start < end) {
		it->next = entry_pindex(entry, start);
		it->end = entry_pindex(entry, end);
	}
}

bool vm_map_pages_next(struct vm_map_pages *it)
{
	vm_map_entry_t e = it->entry;
	/* A fault may install an anonymous entry's object under the read lock (vm_map.h): read it once. */
	vm_object_t object = __atomic_load_n(&e->object, __ATOMIC_ACQUIRE);
	uint64_t pindex;

	if (!object || it->next >= it->end)
		return false;
	vm_object_lock(object);
	it->page = vm_object_page_next(object, it->next, it->end, &pindex);
	vm_object_unlock(object);
	if (!it->page) {
		it->next = it->end;
		return false;
	}
	it->next = pindex + 1;
	it->va = e->start + ((pindex << PAGE_SHIFT) - e->offset);
	it->size = 0;
	it->status = 0;
	if (it->map->pmap &&
	    !pmap_query_status(it->map->pmap, it->va, &it->pa, &it->flags, &it->size, &it->status))
		it->size = 0;
	return true;
}

void vm_map_pages_skip(struct vm_map_pages *it, vm_offset_t va)
{
	uint64_t at = va >= it->entry->end ? it->end : entry_pindex(it->entry, va);
	if (at > it->next)
		it->next = at < it->end ? at : it->end;
}

/* The mincore byte of the page the walk is at (contract of vm_map_mincore). */
static uint8_t mincore_byte(const struct vm_map_pages *it)
{
	uint8_t b = MINCORE_INCORE;

	if (!it->size)
		return b;
	if (it->size == SUPERPAGE_SIZE)
		b |= MINCORE_PSIND(1);
	if (it->status & MMU_ACCESSED)
		b |= MINCORE_REFERENCED | MINCORE_REFERENCED_OTHER;
	if (it->status & MMU_DIRTY)
		b |= MINCORE_MODIFIED | MINCORE_MODIFIED_OTHER;
	return b;
}

bool vm_map_entry_superpage_walk(vm_map_t map, const struct vm_map_entry *e)
{
	struct vm_map_pages it;

	/* The walk only reads the entry: the cast drops no promise the map lock does not keep. */
	vm_map_pages_init(&it, map, (vm_map_entry_t)(uintptr_t)e,
			  (e->start + SUPERPAGE_MASK) & ~SUPERPAGE_MASK, e->end & ~SUPERPAGE_MASK);
	while (vm_map_pages_next(&it)) {
		if (it.size == SUPERPAGE_SIZE)
			return true;
		vm_map_pages_skip(&it, (it.va & ~SUPERPAGE_MASK) + SUPERPAGE_SIZE);
	}
	return false;
}

int vm_map_mincore(vm_map_t map, vm_offset_t start, vm_offset_t end, uint8_t *vec)
{
	if (((start | end) & PAGE_MASK) || start >= end)
		return KERN_INVALID_ARGUMENT;
	memset(vec, 0, (end - start) >> PAGE_SHIFT);
	vm_map_entry_t e;
	if (!vm_map_lookup_entry(map, start, &e))
		return KERN_INVALID_ADDRESS;
	for (vm_offset_t va = start; va < end; e = e->next) {
		if (e == &map->header || e->start > va)
			return KERN_INVALID_ADDRESS;
		vm_offset_t stop = end < e->end ? end : e->end;
		struct vm_map_pages it;
		/* A guard has no object: the walk ends at once and its bytes stay 0. */
		vm_map_pages_init(&it, map, e, va, stop);
		while (vm_map_pages_next(&it))
			vec[(it.va - start) >> PAGE_SHIFT] = mincore_byte(&it);
		va = stop;
	}
	return KERN_SUCCESS;
}
