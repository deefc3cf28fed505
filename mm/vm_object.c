/*
 * VM objects: anonymous ones with their page trees, and OBJT_SG windows onto frames someone else
 * owns (contract and invariants in mm/vm_object.h).
 */
#include "mm/vm_object.h"
#include "kernel/preempt.h"
#include "kernel/panic.h"
#include "mm/kmem.h"
#include "mm/pmm.h"
#include "uapi/errno.h"

/* 64^9 = 2^54 pages: more than any 64-bit offset can address. */
#define VM_OBJECT_MAX_HEIGHT 9

static struct kmem_cache *object_cache, *node_cache;
static spinlock_t caches_lock = SPINLOCK_INIT("vm_object caches");

/*
 * Objects and tree nodes start on cache lines of their own: each fault writes its object's lock
 * and a node's slot, and two threads faulting in separate objects (separate mmaps) must not
 * write one line because their objects were allocated side by side.
 */
#define OBJECT_ALIGN 64

/* Create the caches on first use, so that no boot code has to remember to. */
static bool caches_ready(void)
{
	if (__atomic_load_n(&node_cache, __ATOMIC_ACQUIRE))
		return true;
	spin_lock(&caches_lock);
	if (!object_cache)
		object_cache = kmem_cache_create("vm_object structs", sizeof(struct vm_object),
						 OBJECT_ALIGN);
	if (object_cache && !node_cache)
		__atomic_store_n(&node_cache,
				 kmem_cache_create("vm_object_node", sizeof(struct vm_object_node),
						   OBJECT_ALIGN),
				 __ATOMIC_RELEASE);
	spin_unlock(&caches_lock);
	return __atomic_load_n(&node_cache, __ATOMIC_ACQUIRE) != NULL;
}

static unsigned slot_index(uint64_t pindex, unsigned level)
{
	return (pindex >> (level * VM_OBJECT_RADIX_SHIFT)) & (VM_OBJECT_RADIX_SLOTS - 1);
}

static uint64_t object_pages(vm_object_t object)
{
	return object->size >> PAGE_SHIFT;
}

vm_object_t vm_object_allocate(vm_size_t size)
{
	if (size > (vm_size_t)0 - PAGE_SIZE || !caches_ready())
		return NULL;
	vm_object_t object = kmem_cache_zalloc(object_cache);
	if (!object)
		return NULL;
	spin_init(&object->lock, "vm_object");
	object->ref_count = 1;
	object->size = round_page(size);
	object->height = 1;
	while (object->height < VM_OBJECT_MAX_HEIGHT &&
	       object_pages(object) > (1ull << (object->height * VM_OBJECT_RADIX_SHIFT)))
		object->height++;
	return object;
}

vm_object_t vm_object_allocate_sg(vm_page_t *pages, uint64_t npages, void (*release)(void *arg),
				  void *arg)
{
	KASSERT(npages > 0 && release, "vm_object_allocate_sg: no pages or no release hook");
	if (npages > ((vm_size_t)0 - PAGE_SIZE) >> PAGE_SHIFT)
		return NULL;
	vm_object_t object = vm_object_allocate(npages << PAGE_SHIFT);
	if (!object)
		return NULL;
	object->type = OBJT_SG;
	object->sg.pages = pages;
	object->sg.release = release;
	object->sg.arg = arg;
	return object;
}

void vm_object_reference(vm_object_t object)
{
	uint32_t old = __atomic_fetch_add(&object->ref_count, 1, __ATOMIC_RELAXED);
	KASSERT(old > 0, "vm_object_reference: object %p has no reference", (void *)object);
}

void vm_object_deallocate(vm_object_t object)
{
	if (!object)
		return;
	uint32_t old = __atomic_fetch_sub(&object->ref_count, 1, __ATOMIC_ACQ_REL);
	KASSERT(old > 0, "vm_object_deallocate: object %p has no reference", (void *)object);
	if (old > 1)
		return;
	if (object->type == OBJT_SG) {
		void (*release)(void *) = object->sg.release;
		void *arg = object->sg.arg;
		kfree(object->sg.pages);
		kmem_cache_free(object_cache, object);
		/* Last: release may free the frames, which nothing maps any more. */
		release(arg);
		return;
	}
	vm_object_lock(object);
	vm_object_page_remove(object, 0, object_pages(object));
	vm_object_unlock(object);
	kmem_cache_free(object_cache, object);
}

vm_page_t vm_object_page_lookup(vm_object_t object, uint64_t pindex)
{
	if (object->type == OBJT_SG)
		return pindex < object_pages(object) ? object->sg.pages[pindex] : NULL;
	struct vm_object_node *n = object->root;
	if (!n || pindex >= object_pages(object))
		return NULL;
	for (unsigned level = object->height - 1; level > 0; level--) {
		n = n->slot[slot_index(pindex, level)];
		if (!n)
			return NULL;
	}
	return n->slot[slot_index(pindex, 0)];
}

/* How many nodes an insert at pindex has to create. */
static unsigned nodes_missing(vm_object_t object, uint64_t pindex)
{
	struct vm_object_node *n = object->root;
	if (!n)
		return object->height;
	for (unsigned level = object->height - 1; level > 0; level--) {
		n = n->slot[slot_index(pindex, level)];
		if (!n)
			return level;
	}
	return 0;
}

int vm_object_page_insert(vm_object_t object, uint64_t pindex, vm_page_t page)
{
	KASSERT(pindex < object_pages(object),
		"vm_object_page_insert: index %llu beyond object of %llu pages",
		(unsigned long long)pindex, (unsigned long long)object_pages(object));
	KASSERT(!vm_object_page_lookup(object, pindex),
		"vm_object_page_insert: index %llu already resident", (unsigned long long)pindex);

	/* Take every node first, so that a failure leaves the tree as it was. */
	struct vm_object_node *spare[VM_OBJECT_MAX_HEIGHT];
	unsigned need = nodes_missing(object, pindex), got;
	for (got = 0; got < need; got++) {
		spare[got] = kmem_cache_zalloc(node_cache);
		if (!spare[got]) {
			while (got--)
				kmem_cache_free(node_cache, spare[got]);
			return -ENOMEM;
		}
	}

	if (!object->root)
		object->root = spare[--got];
	struct vm_object_node *n = object->root;
	for (unsigned level = object->height - 1; level > 0; level--) {
		n->count++;
		void **slot = &n->slot[slot_index(pindex, level)];
		if (!*slot)
			*slot = spare[--got];
		n = *slot;
	}
	n->count++;
	n->slot[slot_index(pindex, 0)] = page;
	return 0;
}

/*
 * Free the pages of n (at level, covering pages from base) whose index is in [start, end), and the
 * child nodes that become empty. The range must overlap n. Returns the pages freed.
 */
static uint64_t node_remove(struct vm_object_node *n, unsigned level, uint64_t base, uint64_t start,
			    uint64_t end)
{
	unsigned shift = level * VM_OBJECT_RADIX_SHIFT;
	uint64_t first = start > base ? (start - base) >> shift : 0;
	uint64_t last = (end - 1 - base) >> shift;
	if (last >= VM_OBJECT_RADIX_SLOTS)
		last = VM_OBJECT_RADIX_SLOTS - 1;
	uint64_t freed = 0;
	for (uint64_t i = first; i <= last && n->count; i++) {
		void *c = n->slot[i];
		if (!c)
			continue;
		if (level == 0) {
			pmm_free(c);
			freed++;
			n->count--;
		} else {
			struct vm_object_node *child = c;
			uint64_t f = node_remove(child, level - 1, base + (i << shift), start, end);
			freed += f;
			n->count -= f;
			/* every 512 pages freed: a large range takes many ticks */
			if (level == 1)
				preempt_point();
			if (child->count)
				continue;
			kmem_cache_free(node_cache, child);
		}
		n->slot[i] = NULL;
	}
	return freed;
}

uint64_t vm_object_page_remove(vm_object_t object, uint64_t start, uint64_t end)
{
	if (end > object_pages(object))
		end = object_pages(object);
	/* An OBJT_SG object has no tree: root is NULL, and its frames stay their owner's. */
	if (!object->root || start >= end)
		return 0;
	uint64_t freed = node_remove(object->root, object->height - 1, 0, start, end);
	if (object->root->count == 0) {
		kmem_cache_free(node_cache, object->root);
		object->root = NULL;
	}
	return freed;
}

static vm_page_t node_next(struct vm_object_node *n, unsigned level, uint64_t base, uint64_t start,
			   uint64_t end, uint64_t *pindex)
{
	unsigned shift = level * VM_OBJECT_RADIX_SHIFT;
	for (uint64_t i = start > base ? (start - base) >> shift : 0; i < VM_OBJECT_RADIX_SLOTS;
	     i++) {
		uint64_t cbase = base + (i << shift);
		if (cbase >= end)
			return NULL;
		void *c = n->slot[i];
		if (!c)
			continue;
		if (level == 0) {
			*pindex = cbase;
			return c;
		}
		vm_page_t p =
			node_next(c, level - 1, cbase, start > cbase ? start : cbase, end, pindex);
		if (p)
			return p;
	}
	return NULL;
}

vm_page_t vm_object_page_next(vm_object_t object, uint64_t start, uint64_t end, uint64_t *pindex)
{
	if (end > object_pages(object))
		end = object_pages(object);
	if (start >= end)
		return NULL;
	if (object->type == OBJT_SG) {
		*pindex = start;
		return object->sg.pages[start];
	}
	if (!object->root)
		return NULL;
	return node_next(object->root, object->height - 1, 0, start, end, pindex);
}

uint64_t vm_object_resident_count(vm_object_t object)
{
	if (object->type == OBJT_SG)
		return object_pages(object);
	return object->root ? object->root->count : 0;
}

static const char *node_check(const struct vm_object_node *n, unsigned level, uint64_t base,
			      uint64_t npages)
{
	if (n->count == 0)
		return "vm_object: empty node left in the page tree";
	unsigned shift = level * VM_OBJECT_RADIX_SHIFT;
	uint64_t sum = 0;
	for (uint64_t i = 0; i < VM_OBJECT_RADIX_SLOTS; i++) {
		const void *c = n->slot[i];
		uint64_t cbase = base + (i << shift);
		if (!c)
			continue;
		if (cbase >= npages)
			return "vm_object: page or node beyond the object's size";
		if (level == 0) {
			const struct vm_page *p = c;
			if (!(p->flags & VM_PAGE_ALLOC) || p->ref_count == 0)
				return "vm_object: resident page is not an allocated frame";
			sum++;
			continue;
		}
		const char *msg = node_check(c, level - 1, cbase, npages);
		if (msg)
			return msg;
		sum += ((const struct vm_object_node *)c)->count;
	}
	return sum == n->count ? NULL : "vm_object: node count differs from the pages beneath it";
}

/* The OBJT_SG part of vm_object_check. */
static const char *sg_check(vm_object_t object)
{
	if (object->root)
		return "vm_object: OBJT_SG object with a page tree";
	if (!object->sg.pages || !object->sg.release)
		return "vm_object: OBJT_SG object without its frames or release hook";
	for (uint64_t i = 0; i < object_pages(object); i++) {
		vm_page_t head = object->sg.pages[i] ? pmm_block_head(object->sg.pages[i]) : NULL;
		if (!head || !(head->flags & VM_PAGE_ALLOC))
			return "vm_object: OBJT_SG frame is not part of an allocated block";
	}
	return NULL;
}

const char *vm_object_check(vm_object_t object)
{
	if (object->ref_count == 0)
		return "vm_object: no reference";
	if (object->size & PAGE_MASK)
		return "vm_object: size not a multiple of the page size";
	if (object->height == 0 || object->height > VM_OBJECT_MAX_HEIGHT ||
	    (object->height < VM_OBJECT_MAX_HEIGHT &&
	     object_pages(object) > (1ull << (object->height * VM_OBJECT_RADIX_SHIFT))))
		return "vm_object: page tree too short for the object";
	if (object->type == OBJT_SG)
		return sg_check(object);
	if (object->type != OBJT_DEFAULT)
		return "vm_object: unknown type";
	return object->root ? node_check(object->root, object->height - 1, 0, object_pages(object))
			    : NULL;
}
