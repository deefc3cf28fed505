/*
 * The physical memory manager: a binary buddy allocator (contract in mm/pmm.h, per-frame state in
 * mm/vm_page.h).
 *
 * vm_pages[] is indexed by frame number from base_pfn and covers [base_pfn, end_pfn): the usable
 * span rounded out to whole chunks, a chunk being the 4 MiB (2^PMM_MAX_ORDER frames) of a largest
 * block. No block crosses a chunk, so a buddy is found by flipping one bit of the frame index and
 * always lies in the same chunk. Holes: only chunks that hold some usable frame are present (a
 * bit in chunk_map); the entries of absent chunks are never written, and the array frames that
 * hold nothing but such entries are handed out like any other free frame. So a hole costs 1 bit
 * per 4 MiB once pmm_init is done; the one price left is that at boot the lowest usable range
 * must hold the array for the whole span (24 bytes per frame: 384 MiB for a span reaching
 * 64 GiB), contiguous because it is reached through the direct map.
 *
 * Invariants (pmm_check() verifies every one of them):
 *  I0  A chunk is present iff a usable range holds one of its frames; phys_to_vm_page is NULL
 *      for the frames of absent chunks, and nothing else below mentions them.
 *  I1  Every frame of a present chunk is either VM_PAGE_RESERVED or inside exactly one block; a
 *      block of order k is 2^k frames whose index is a multiple of 2^k (base_pfn is a multiple
 *      of 2^PMM_MAX_ORDER, so the physical address is aligned to the block size as well).
 *  I2  A block's head carries exactly one of VM_PAGE_FREE / VM_PAGE_ALLOC and its order; no other
 *      frame carries either, nor VM_PAGE_RESERVED. The non-head frames of a free block have
 *      flags 0 and ref_count 0, and a free head has ref_count 0.
 *  I3  free_area[k] is a NULL-terminated doubly linked list (head->prev == NULL) holding exactly
 *      the free heads of order k; count is its length.
 *  I4  free_frames == sum over k of free_area[k].count << k; total_frames == the number of frames
 *      that are not reserved.
 *  I5  No free block of order < PMM_MAX_ORDER has a free buddy of the same order (frees coalesce).
 * pmm_lock protects all of the above; vm_pages, chunk_map, base_pfn and end_pfn only change in
 * pmm_init.
 *
 * Per-CPU frame caches. Single frames (order 0, no address limit), the fault path's daily bread,
 * come from and go back to a small cache per CPU, refilled from and drained to the buddy lists a
 * batch at a time: two CPUs faulting at once then share no lock, no list head and no vm_page
 * line (a batch is a run of frames a CPU keeps to itself), where they took pmm_lock and wrote
 * neighbouring entries on every fault (measured: 2 threads' faults went from 1.2x to 1.5x of one
 * thread's under -smp 4, make bench's bench_thread). To the buddy a cached frame is an allocated
 * order-0 block, so I1-I5 stand as they are; the caches add
 *  I6  A frame carries VM_PAGE_CACHED iff it sits in exactly one cache: VM_PAGE_ALLOC, order 0,
 *      ref_count 0, nothing else in its flags; a cache holds at most PMM_CACHE_MAX frames.
 * Each cache has its own lock (taken before pmm_lock where both are held), so any CPU may drain
 * any cache: pmm_free_blocks drains them all before it counts (callers count 2 MiB blocks, which
 * cached frames would break up) and a failed allocation drains them and tries again once.
 * Cached frames are free: pmm_free_count counts them.
 */
#include "mm/pmm.h"
#include "kernel/cpu.h"
#include "kernel/kprintf.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "mm/memlayout.h"

#if defined(KESTREL_HOST) && defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
/*
 * The kernel heap poisons its free objects for AddressSanitizer. A host test that re-initializes
 * pmm forgets those slabs, and a fresh arena may be mapped at the same addresses: pmm hands out
 * plain memory, so it clears whatever poisoning is left on the ranges it takes over.
 */
static void unpoison_range(vm_paddr_t start, vm_paddr_t end)
{
	if (start < end)
		ASAN_UNPOISON_MEMORY_REGION(phys_to_virt(start), end - start);
}
#else
static void unpoison_range(vm_paddr_t start, vm_paddr_t end)
{
	(void)start, (void)end;
}
#endif

#define MAX_BLOCK_FRAMES ((uint64_t)1 << PMM_MAX_ORDER)

struct free_area {
	vm_page_t head;
	size_t count;
};

static spinlock_t pmm_lock = SPINLOCK_INIT("pmm");
static struct vm_page *vm_pages;
/* bit c: chunk c (frames from base_pfn + c * MAX_BLOCK_FRAMES) is present */
static uint64_t *chunk_map;
static uint64_t base_pfn, end_pfn;
static struct free_area free_area[PMM_MAX_ORDER + 1];
static size_t free_frames, total_frames;
static unsigned generation;

#define PMM_CACHE_MAX 64   /* frames a CPU's cache holds at most */
#define PMM_CACHE_BATCH 16 /* frames a refill takes from the buddy lists, or a drain gives back */

struct pmm_cache {
	spinlock_t lock;
	unsigned n; /* frames[0, n) are cached (I6); written under lock, read by pmm_free_count */
	unsigned changes; /* bumped under lock at every change: pmm_check's sign of a quiet cache */
	vm_page_t frames[PMM_CACHE_MAX];
} __attribute__((aligned(64)));

static struct pmm_cache caches[CPU_MAX];

static size_t span_frames(void)
{
	return (size_t)(end_pfn - base_pfn);
}

static vm_paddr_t index_to_phys(size_t idx)
{
	return (base_pfn + idx) << PAGE_SHIFT;
}

static bool chunk_present(size_t idx)
{
	size_t c = idx >> PMM_MAX_ORDER;
	return (chunk_map[c / 64] >> (c % 64)) & 1;
}

/* The first frame index of the chunk after the one holding idx. */
static size_t next_chunk(size_t idx)
{
	return (idx | (MAX_BLOCK_FRAMES - 1)) + 1;
}

static void list_push(unsigned order, vm_page_t p)
{
	struct free_area *fa = &free_area[order];
	p->prev = NULL;
	p->next = fa->head;
	if (fa->head)
		fa->head->prev = p;
	fa->head = p;
	fa->count++;
}

static void list_remove(unsigned order, vm_page_t p)
{
	struct free_area *fa = &free_area[order];
	if (p->prev)
		p->prev->next = p->next;
	else
		fa->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->next = p->prev = NULL;
	fa->count--;
}

static void make_free_block(size_t idx, unsigned order)
{
	vm_page_t p = &vm_pages[idx];
	p->flags = VM_PAGE_FREE;
	p->order = (uint8_t)order;
	p->ref_count = 0;
	list_push(order, p);
}

/* The lowest page-aligned address where `bytes` fit inside one usable range and clear of every reserved one. */
static vm_paddr_t place_array(vm_size_t bytes, const struct pmm_range *usable, size_t nusable,
			      const struct pmm_range *reserved, size_t nreserved)
{
	vm_paddr_t best = UINT64_MAX;
	for (size_t i = 0; i < nusable + nreserved; i++) {
		vm_paddr_t c =
			round_page(i < nusable ? usable[i].start : reserved[i - nusable].end);
		vm_paddr_t e = c + bytes;
		bool inside = false, clear = true;
		if (c >= best || e < c)
			continue;
		for (size_t u = 0; u < nusable && !inside; u++)
			inside = usable[u].start <= c && e <= trunc_page(usable[u].end);
		for (size_t r = 0; r < nreserved && clear; r++)
			clear = e <= trunc_page(reserved[r].start) ||
				c >= round_page(reserved[r].end);
		if (inside && clear)
			best = c;
	}
	if (best == UINT64_MAX)
		panic("pmm_init: no usable range holds the %llu-byte vm_page array",
		      (unsigned long long)bytes);
	return best;
}

/* Set (reserve: rounding outwards) or clear (rounding inwards) RESERVED on the span's frames of [start, end). */
static void mark_range(vm_paddr_t start, vm_paddr_t end, bool reserve)
{
	uint64_t s = reserve ? start >> PAGE_SHIFT : round_page(start) >> PAGE_SHIFT;
	uint64_t e = reserve ? round_page(end) >> PAGE_SHIFT : end >> PAGE_SHIFT;
	size_t idx = s > base_pfn ? (size_t)(s - base_pfn) : 0;
	size_t stop = e < end_pfn ? (size_t)(e - base_pfn) : span_frames();
	if (s >= end_pfn || e <= base_pfn)
		return;
	while (idx < stop) {
		if (!chunk_present(idx)) {
			idx = next_chunk(idx);
			continue;
		}
		vm_pages[idx++].flags = reserve ? VM_PAGE_RESERVED : 0;
	}
}

static void set_chunks_present(vm_paddr_t start, vm_paddr_t end)
{
	uint64_t s = round_page(start) >> PAGE_SHIFT, e = end >> PAGE_SHIFT;
	for (uint64_t c = (s - base_pfn) >> PMM_MAX_ORDER;
	     s < e && c <= (e - 1 - base_pfn) >> PMM_MAX_ORDER; c++)
		chunk_map[c / 64] |= (uint64_t)1 << (c % 64);
}

/* Hand back the frames of the array [array_pa, +entry_bytes) that hold only entries of absent chunks. */
static void release_unused_array(vm_paddr_t array_pa, vm_size_t entry_bytes)
{
	for (vm_size_t off = 0; off + PAGE_SIZE <= entry_bytes; off += PAGE_SIZE) {
		size_t first = off / sizeof(struct vm_page),
		       last = (off + PAGE_SIZE - 1) / sizeof(struct vm_page);
		bool used = false;
		for (size_t idx = first; idx <= last && !used; idx = next_chunk(idx))
			used = chunk_present(idx);
		if (!used)
			vm_pages[((array_pa + off) >> PAGE_SHIFT) - base_pfn].flags = 0;
	}
}

void pmm_init(const struct pmm_range *usable, size_t nusable, const struct pmm_range *reserved,
	      size_t nreserved)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < nusable; i++) {
		uint64_t s = round_page(usable[i].start) >> PAGE_SHIFT,
			 e = usable[i].end >> PAGE_SHIFT;
		if (s >= e)
			continue;
		lo = s < lo ? s : lo;
		hi = e > hi ? e : hi;
	}
	if (lo >= hi)
		panic("pmm_init: no usable memory");
	for (size_t i = 0; i < nusable; i++)
		unpoison_range(round_page(usable[i].start), trunc_page(usable[i].end));

	spin_lock(&pmm_lock);
	base_pfn = lo & ~(MAX_BLOCK_FRAMES - 1);
	end_pfn = (hi + MAX_BLOCK_FRAMES - 1) & ~(MAX_BLOCK_FRAMES - 1);
	size_t n = span_frames(), nchunks = n >> PMM_MAX_ORDER;
	vm_size_t entry_bytes = (vm_size_t)n * sizeof(struct vm_page);
	vm_size_t map_bytes = (nchunks + 63) / 64 * sizeof(uint64_t);
	vm_size_t array_bytes = round_page(entry_bytes + map_bytes);
	vm_paddr_t array_pa = place_array(array_bytes, usable, nusable, reserved, nreserved);
	vm_pages = phys_to_virt(array_pa);
	chunk_map = (uint64_t *)((char *)vm_pages + entry_bytes);

	memset(chunk_map, 0, map_bytes);
	for (size_t i = 0; i < nusable; i++)
		set_chunks_present(usable[i].start, usable[i].end);
	for (size_t idx = 0; idx < n; idx = next_chunk(idx))
		if (chunk_present(idx))
			for (size_t j = idx; j < next_chunk(idx); j++)
				vm_pages[j] = (struct vm_page){.flags = VM_PAGE_RESERVED};
	for (size_t i = 0; i < nusable; i++)
		mark_range(usable[i].start, usable[i].end, false);
	for (size_t i = 0; i < nreserved; i++)
		mark_range(reserved[i].start, reserved[i].end, true);
	mark_range(array_pa, array_pa + array_bytes, true);
	release_unused_array(array_pa, entry_bytes);

	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++)
		free_area[k] = (struct free_area){NULL, 0};
	free_frames = total_frames = 0;
	for (unsigned c = 0; c < CPU_MAX; c++) {
		spin_init(&caches[c].lock, "pmm cache");
		caches[c].n = 0;
	}

	/* Cut every run of unreserved frames into the largest aligned blocks, which leaves no free buddies apart. */
	size_t idx = 0;
	while (idx < n) {
		if (!chunk_present(idx)) {
			idx = next_chunk(idx);
			continue;
		}
		if (vm_pages[idx].flags & VM_PAGE_RESERVED) {
			idx++;
			continue;
		}
		size_t run_end = idx;
		while (run_end < n && chunk_present(run_end) &&
		       !(vm_pages[run_end].flags & VM_PAGE_RESERVED))
			run_end++;
		total_frames += run_end - idx;
		while (idx < run_end) {
			unsigned k = PMM_MAX_ORDER;
			while ((idx & (((size_t)1 << k) - 1)) || idx + ((size_t)1 << k) > run_end)
				k--;
			make_free_block(idx, k);
			idx += (size_t)1 << k;
		}
	}
	free_frames = total_frames;
	__atomic_store_n(&generation, generation + 1, __ATOMIC_RELEASE);
	spin_unlock(&pmm_lock);
}

unsigned pmm_generation(void)
{
	return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

vm_paddr_t vm_page_to_phys(vm_page_t page)
{
	return index_to_phys((size_t)(page - vm_pages));
}

vm_page_t phys_to_vm_page(vm_paddr_t pa)
{
	uint64_t pfn = pa >> PAGE_SHIFT;
	if (!vm_pages || pfn < base_pfn || pfn >= end_pfn ||
	    !chunk_present((size_t)(pfn - base_pfn)))
		return NULL;
	return &vm_pages[pfn - base_pfn];
}

static bool is_vm_page(vm_page_t page)
{
	uintptr_t off = (uintptr_t)page - (uintptr_t)vm_pages;
	return page >= vm_pages && page < vm_pages + span_frames() &&
	       off % sizeof(struct vm_page) == 0 && chunk_present((size_t)(page - vm_pages));
}

static vm_page_t block_head_locked(vm_page_t page)
{
	size_t idx = (size_t)(page - vm_pages);
	if (page->flags & VM_PAGE_RESERVED)
		return NULL;
	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++) {
		vm_page_t h = &vm_pages[idx & ~(((size_t)1 << k) - 1)];
		if ((h->flags & (VM_PAGE_FREE | VM_PAGE_ALLOC)) && h->order >= k)
			return h;
	}
	return NULL;
}

vm_page_t pmm_block_head(vm_page_t page)
{
	spin_lock(&pmm_lock);
	vm_page_t h = block_head_locked(page);
	spin_unlock(&pmm_lock);
	return h;
}

/* Panics unless page is the head of an allocated block; `who` names the caller in the message. */
static void check_alloc_head(vm_page_t page, const char *who)
{
	if (!is_vm_page(page))
		panic("%s: %p is not a managed vm_page", who, (void *)page);
	unsigned long long pa = index_to_phys((size_t)(page - vm_pages));
	if (page->flags & VM_PAGE_CACHED)
		panic("%s: double free: frame %#llx is already free (in a CPU's frame cache)", who,
		      pa);
	if (page->flags & VM_PAGE_ALLOC)
		return;
	if (page->flags & VM_PAGE_RESERVED)
		panic("%s: frame %#llx is reserved", who, pa);
	vm_page_t h = block_head_locked(page);
	if (h && (h->flags & VM_PAGE_FREE))
		panic("%s: double free: frame %#llx is already free (in the order-%u block at %#llx)",
		      who, pa, h->order, (unsigned long long)vm_page_to_phys(h));
	if (h)
		panic("%s: frame %#llx is a tail page of the order-%u block at %#llx", who, pa,
		      h->order, (unsigned long long)vm_page_to_phys(h));
	panic("%s: frame %#llx belongs to no block (allocator state corrupt)", who, pa);
}

/* A block of 2^order frames below limit from the buddy lists, or NULL. pmm_lock held. */
static vm_page_t buddy_alloc_locked(unsigned order, vm_paddr_t limit)
{
	unsigned k = order;
	vm_page_t page = NULL;
	for (; k <= PMM_MAX_ORDER; k++) {
		page = free_area[k].head;
		while (page && index_to_phys((size_t)(page - vm_pages)) + (PAGE_SIZE << k) > limit)
			page = page->next;
		if (page)
			break;
	}
	if (!page)
		return NULL;
	list_remove(k, page);
	while (k > order) {
		k--;
		make_free_block((size_t)(page - vm_pages) + ((size_t)1 << k), k);
	}
	page->flags = VM_PAGE_ALLOC;
	page->order = (uint8_t)order;
	page->ref_count = 1;
	free_frames -= (size_t)1 << order;
	return page;
}

static vm_page_t buddy_alloc(unsigned order, vm_paddr_t limit)
{
	spin_lock(&pmm_lock);
	vm_page_t page = buddy_alloc_locked(order, limit);
	spin_unlock(&pmm_lock);
	return page;
}

static void buddy_free(vm_page_t page);

/* The calling CPU's cache (another's, should the caller move: the lock makes either right). */
static struct pmm_cache *this_cache(void)
{
	return &caches[cpu_this_id()];
}

/* A frame from the calling CPU's cache, refilled from the buddy lists if it is empty; or NULL. */
static vm_page_t cache_alloc(void)
{
	struct pmm_cache *c = this_cache();
	spin_lock(&c->lock);
	if (c->n == 0) {
		/* A batch at once: one pmm_lock round trip per PMM_CACHE_BATCH frames. */
		spin_lock(&pmm_lock);
		for (vm_page_t p;
		     c->n < PMM_CACHE_BATCH && (p = buddy_alloc_locked(0, UINT64_MAX));) {
			p->ref_count = 0;
			p->flags = VM_PAGE_ALLOC | VM_PAGE_CACHED;
			c->frames[c->n++] = p;
		}
		c->changes++;
		spin_unlock(&pmm_lock);
	}
	vm_page_t p = c->n ? c->frames[--c->n] : NULL;
	if (p) {
		p->flags = VM_PAGE_ALLOC; /* not cached before it has a reference (I6) */
		p->ref_count = 1;
	}
	c->changes++;
	spin_unlock(&c->lock);
	return p;
}

/* Give n frames taken out of a cache back to the buddy lists. No cache lock held. */
static void give_back(vm_page_t *frames, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		frames[i]->flags = VM_PAGE_ALLOC; /* out of the cache: an allocated block again */
		buddy_free(frames[i]);
	}
}

/* Give every cache's frames back to the buddy lists. */
static void drain_caches(void)
{
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		struct pmm_cache *c = &caches[cpu];
		if (!__atomic_load_n(&c->n, __ATOMIC_RELAXED))
			continue;
		vm_page_t out[PMM_CACHE_MAX];
		spin_lock(&c->lock);
		unsigned n = c->n;
		memcpy(out, c->frames, n * sizeof(out[0]));
		c->n = 0;
		c->changes++;
		spin_unlock(&c->lock);
		give_back(out, n);
	}
}

vm_page_t pmm_alloc_order_below(unsigned order, unsigned flags, vm_paddr_t limit)
{
	if (order > PMM_MAX_ORDER)
		return NULL;
	vm_page_t page =
		order == 0 && limit == UINT64_MAX ? cache_alloc() : buddy_alloc(order, limit);
	if (!page) {
		drain_caches();
		page = buddy_alloc(order, limit);
	}
	if (page && (flags & PMM_ZERO))
		memset(phys_to_virt(vm_page_to_phys(page)), 0, PAGE_SIZE << order);
	return page;
}

vm_page_t pmm_alloc_order(unsigned order, unsigned flags)
{
	return pmm_alloc_order_below(order, flags, UINT64_MAX);
}

/* Put a plain single frame in the calling CPU's cache; a full cache gives its oldest batch back. */
static void cache_free(vm_page_t page)
{
	struct pmm_cache *c = this_cache();
	vm_page_t out[PMM_CACHE_BATCH];
	unsigned nout = 0;

	spin_lock(&c->lock);
	if (c->n == PMM_CACHE_MAX) {
		memcpy(out, c->frames, sizeof(out));
		memmove(c->frames, c->frames + PMM_CACHE_BATCH,
			(PMM_CACHE_MAX - PMM_CACHE_BATCH) * sizeof(out[0]));
		c->n -= PMM_CACHE_BATCH;
		nout = PMM_CACHE_BATCH;
	}
	page->ref_count = 0;
	page->flags = VM_PAGE_ALLOC | VM_PAGE_CACHED;
	c->frames[c->n++] = page;
	c->changes++;
	spin_unlock(&c->lock);
	give_back(out, nout);
}

/*
 * A plain allocated single frame (flags exactly VM_PAGE_ALLOC: not cached, not a page table,
 * not the heap's) goes to the cache; everything else to buddy_free, whose check under pmm_lock
 * panics for what is not an allocated block's head (a frame freed twice, one already in a
 * cache, a reserved frame, a pointer that is no vm_page).
 */
void pmm_free(vm_page_t page)
{
	if (is_vm_page(page) && page->order == 0 && page->flags == VM_PAGE_ALLOC)
		cache_free(page);
	else
		buddy_free(page);
}

/* Give a block back to the buddy lists, coalescing it with its free buddies. */
static void buddy_free(vm_page_t page)
{
	spin_lock(&pmm_lock);
	check_alloc_head(page, "pmm_free");
	unsigned k = page->order;
	size_t idx = (size_t)(page - vm_pages);
	page->flags = 0;
	page->ref_count = 0;
	page->order = 0;
	free_frames += (size_t)1 << k;
	while (k < PMM_MAX_ORDER) {
		vm_page_t buddy = &vm_pages[idx ^ ((size_t)1 << k)];
		if (!(buddy->flags & VM_PAGE_FREE) || buddy->order != k)
			break;
		list_remove(k, buddy);
		buddy->flags = 0;
		buddy->order = 0;
		idx &= ~((size_t)1 << k);
		k++;
	}
	make_free_block(idx, k);
	spin_unlock(&pmm_lock);
}

void pmm_split(vm_page_t page)
{
	spin_lock(&pmm_lock);
	check_alloc_head(page, "pmm_split");
	size_t n = (size_t)1 << page->order;
	uint16_t flags = page->flags;
	for (size_t i = 0; i < n; i++) {
		page[i].flags = flags;
		page[i].order = 0;
		page[i].ref_count = 1;
	}
	spin_unlock(&pmm_lock);
}

size_t pmm_free_count(void)
{
	spin_lock(&pmm_lock);
	size_t n = free_frames;
	spin_unlock(&pmm_lock);
	for (unsigned c = 0; c < CPU_MAX; c++)
		n += __atomic_load_n(&caches[c].n, __ATOMIC_RELAXED);
	return n;
}

size_t pmm_total_count(void)
{
	spin_lock(&pmm_lock);
	size_t n = total_frames;
	spin_unlock(&pmm_lock);
	return n;
}

size_t pmm_free_blocks(unsigned order)
{
	if (order > PMM_MAX_ORDER)
		return 0;
	drain_caches();
	spin_lock(&pmm_lock);
	size_t n = free_area[order].count;
	spin_unlock(&pmm_lock);
	return n;
}

static char check_msg[192];

#define CHECK_FAIL(...)                                               \
	do {                                                          \
		ksnprintf(check_msg, sizeof(check_msg), __VA_ARGS__); \
		return check_msg;                                     \
	} while (0)

/* I3 and the list side of I4. */
static const char *check_lists(size_t *listed)
{
	size_t n = span_frames();
	*listed = 0;
	for (unsigned k = 0; k <= PMM_MAX_ORDER; k++) {
		size_t len = 0;
		vm_page_t prev = NULL;
		for (vm_page_t p = free_area[k].head; p; prev = p, p = p->next) {
			if (!is_vm_page(p))
				CHECK_FAIL("I3: order-%u free list holds %p, not a vm_page", k,
					   (void *)p);
			size_t idx = (size_t)(p - vm_pages);
			if (p->prev != prev)
				CHECK_FAIL(
					"I3: order-%u free list: frame %#llx has a wrong prev link",
					k, (unsigned long long)index_to_phys(idx));
			if (!(p->flags & VM_PAGE_FREE) || p->order != k)
				CHECK_FAIL(
					"I3: order-%u free list holds frame %#llx with flags %#x order %u",
					k, (unsigned long long)index_to_phys(idx), p->flags,
					p->order);
			if (++len > n)
				CHECK_FAIL("I3: order-%u free list is cyclic", k);
		}
		if (len != free_area[k].count)
			CHECK_FAIL("I3: order-%u free list has %zu blocks, count says %zu", k, len,
				   free_area[k].count);
		*listed += len << k;
	}
	return NULL;
}

/* I1, I2, I5 and the frame side of I4, in one walk over the span. */
static const char *check_frames(size_t *free_seen, size_t *managed, size_t *cached)
{
	size_t n = span_frames(), idx = 0;
	*free_seen = *managed = *cached = 0;
	while (idx < n) {
		if (!chunk_present(idx)) {
			idx = next_chunk(idx);
			continue;
		}
		vm_page_t p = &vm_pages[idx];
		unsigned long long pa = index_to_phys(idx);
		uint16_t state = p->flags & (VM_PAGE_FREE | VM_PAGE_ALLOC | VM_PAGE_RESERVED);
		if (state == VM_PAGE_RESERVED) {
			idx++;
			continue;
		}
		if (state != VM_PAGE_FREE && state != VM_PAGE_ALLOC)
			CHECK_FAIL(
				"I1/I2: frame %#llx has flags %#x: not a block head nor reserved",
				pa, p->flags);
		unsigned k = p->order;
		size_t len = (size_t)1 << (k <= PMM_MAX_ORDER ? k : 0);
		if (k > PMM_MAX_ORDER || (idx & (len - 1)) || idx + len > n)
			CHECK_FAIL(
				"I1: block at %#llx of order %u is misaligned or leaves the span",
				pa, k);
		if (p->flags & VM_PAGE_CACHED) {
			if (p->flags != (VM_PAGE_ALLOC | VM_PAGE_CACHED) || k || p->ref_count)
				CHECK_FAIL("I6: cached frame %#llx has flags %#x order %u ref %u",
					   pa, p->flags, k, p->ref_count);
			++*cached;
		}
		bool is_free = state == VM_PAGE_FREE;
		if (is_free && p->ref_count)
			CHECK_FAIL("I2: free block at %#llx has ref_count %u", pa, p->ref_count);
		for (size_t j = 1; j < len; j++) {
			vm_page_t q = &vm_pages[idx + j];
			if (q->flags & (VM_PAGE_FREE | VM_PAGE_ALLOC | VM_PAGE_RESERVED))
				CHECK_FAIL(
					"I1: frame %#llx (flags %#x) overlaps the order-%u block at %#llx",
					(unsigned long long)index_to_phys(idx + j), q->flags, k,
					pa);
			if (is_free && (q->flags || q->ref_count))
				CHECK_FAIL(
					"I2: frame %#llx inside the free block at %#llx has flags %#x ref %u",
					(unsigned long long)index_to_phys(idx + j), pa, q->flags,
					q->ref_count);
		}
		if (is_free) {
			*free_seen += len;
			vm_page_t b = &vm_pages[idx ^ len];
			if (k < PMM_MAX_ORDER && (b->flags & VM_PAGE_FREE) && b->order == k)
				CHECK_FAIL(
					"I5: free order-%u blocks at %#llx and %#llx are buddies, not coalesced",
					k, pa, (unsigned long long)vm_page_to_phys(b));
		}
		*managed += len;
		idx += len;
	}
	return NULL;
}

/* The caches' sizes and change counts summed, read without their locks. */
static void cache_totals(size_t *frames, size_t *changes)
{
	*frames = *changes = 0;
	for (unsigned c = 0; c < CPU_MAX; c++) {
		*frames += __atomic_load_n(&caches[c].n, __ATOMIC_RELAXED);
		*changes += __atomic_load_n(&caches[c].changes, __ATOMIC_RELAXED);
	}
}

/* I6 inside each cache, under its lock: the shape of every frame, no frame twice. */
static const char *check_caches(void)
{
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		struct pmm_cache *c = &caches[cpu];
		const char *err = NULL;
		spin_lock(&c->lock);
		if (c->n > PMM_CACHE_MAX)
			err = "I6: a cache holds more than PMM_CACHE_MAX frames";
		for (unsigned i = 0; !err && i < c->n; i++) {
			vm_page_t p = c->frames[i];
			if (!is_vm_page(p) || p->flags != (VM_PAGE_ALLOC | VM_PAGE_CACHED) ||
			    p->order || p->ref_count)
				err = "I6: a cache holds a frame not marked cached";
			for (unsigned j = 0; !err && j < i; j++)
				if (c->frames[j] == p)
					err = "I6: a cache holds a frame twice";
		}
		spin_unlock(&c->lock);
		if (err)
			return err;
	}
	return NULL;
}

const char *pmm_check(void)
{
	size_t listed, free_seen, managed, cached = 0, frames0, changes0, frames1, changes1;
	const char *err = check_caches();
	if (err)
		return err;
	cache_totals(&frames0, &changes0);
	spin_lock(&pmm_lock);
	err = check_lists(&listed);
	if (!err)
		err = check_frames(&free_seen, &managed, &cached);
	if (!err && (listed != free_frames || free_seen != free_frames)) {
		ksnprintf(check_msg, sizeof(check_msg),
			  "I4: free_frames is %zu, free lists hold %zu, free blocks cover %zu",
			  free_frames, listed, free_seen);
		err = check_msg;
	}
	if (!err && managed != total_frames) {
		ksnprintf(check_msg, sizeof(check_msg), "I4: total_frames is %zu, blocks cover %zu",
			  total_frames, managed);
		err = check_msg;
	}
	spin_unlock(&pmm_lock);
	/* Caches that did not change meanwhile hold exactly the frames marked cached. */
	cache_totals(&frames1, &changes1);
	if (!err && changes0 == changes1 && frames1 != cached) {
		ksnprintf(check_msg, sizeof(check_msg),
			  "I6: %zu frames are marked cached, the caches hold %zu", cached, frames1);
		err = check_msg;
	}
	return err;
}
