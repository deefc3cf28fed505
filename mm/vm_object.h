/*
 * VM objects: what map entries map (FreeBSD's vm_object). Two kinds (objtype_t):
 *
 *   OBJT_DEFAULT  anonymous, zero-filled memory. The object owns its resident pages, one
 *                 reference (the pmm ref_count of 1) each, and frees them when they are removed
 *                 from it or when its last reference goes.
 *   OBJT_SG       a window onto frames someone else owns (FreeBSD's name: an object over a
 *                 scatter/gather list), e.g. a BPF map's values that a task maps (kernel/bpf/
 *                 map_mmap.h). Every page is resident from creation and stays so: nothing is
 *                 ever allocated for, inserted into or freed from such an object. Its owner keeps
 *                 the frames alive for as long as the object lives; when the last reference goes
 *                 the object calls the owner's release hook, once, which is where the owner drops
 *                 what it holds for the object (a map reference, say).
 *
 * Resident pages of an OBJT_DEFAULT object are kept in a radix tree of 64-way nodes indexed by
 * page index (offset >> 12); the tree is as tall as the object's size needs (at most 9 levels), so
 * lookup, insert and remove are O(height). Every node counts the pages beneath it, which lets
 * range queries skip empty subtrees. An OBJT_SG object keeps an array of its frames instead:
 * lookups are O(1).
 *
 * Kestrel has no fork and no copy-on-write: every page range of an object is mapped by at most one
 * map entry at a time. That is what lets vm_map free an object's pages the moment the range that
 * maps them is removed, and lets an object page be mapped without a reference of its own.
 * (Several OBJT_SG objects may show the same frames; each is still mapped by one entry at most.)
 *
 * Locking: ref_count is atomic. The page tree is protected by the object's spinlock
 * (vm_object_lock); functions below that touch pages say they expect it held. The lock nests
 * inside vm_map's lock and outside the pmap's and pmm's locks. The release hook runs without it.
 */
#ifndef MM_VM_OBJECT_H
#define MM_VM_OBJECT_H

#include "kernel/spinlock.h"
#include "mm/types.h"
#include "mm/vm_page.h"

#define VM_OBJECT_RADIX_SHIFT 6
#define VM_OBJECT_RADIX_SLOTS (1u << VM_OBJECT_RADIX_SHIFT)

/*
 * A node of the page tree. At level 0 the slots hold vm_page_t; above, child nodes. Invariants
 * (vm_object_check): count is the number of pages beneath the node and is never 0 (a node that
 * becomes empty is freed), and every page's index is below the object's size.
 */
struct vm_object_node {
	uint64_t count;
	void *slot[VM_OBJECT_RADIX_SLOTS];
};

typedef enum { OBJT_DEFAULT, OBJT_SG } objtype_t;

/*
 * Invariants (vm_object_check), besides the nodes': ref_count > 0 while in use; size is a multiple
 * of PAGE_SIZE; the tree is tall enough for size. OBJT_SG: root is NULL, and sg.pages holds
 * size / PAGE_SIZE frames, each one of an allocated pmm block, and sg.release is set.
 */
struct vm_object {
	spinlock_t lock;
	uint32_t ref_count;   /* atomic; the object is freed when it drops to 0 */
	objtype_t type;       /* fixed at allocation */
	uint8_t flags;        /* OBJ_*; set before the object is shared, fixed after */
	vm_offset_t map_base; /* OBJ_ONEMAPPING: the address that offset 0 stands for */
	uint8_t height;       /* levels of the page tree: 64^height pages are addressable */
	vm_size_t size;       /* bytes, a multiple of PAGE_SIZE; fixed at allocation */
	/* OBJT_DEFAULT: NULL while no page is resident; OBJT_SG: NULL */
	struct vm_object_node *root;
	struct {
		vm_page_t *pages;           /* page i's frame; kmalloc'ed, the object's */
		void (*release)(void *arg); /* called once, after the last reference went */
		void *arg;
	} sg; /* OBJT_SG only */
};

typedef struct vm_object *vm_object_t;

/*
 * The object vm_map made for one entry's anonymous memory (at its first fault or first clip): it
 * is mapped only in that map, by that entry, its pieces and anonymous memory mapped next to them
 * later, each mapping address a at offset a - map_base (vm_map invariant M5), so every part of
 * the object that no entry maps is free for a mapping of those addresses and holds no page
 * (vm_map's removals free what they unmap). FreeBSD's name, for a like meaning (one mapping, not
 * forked); its value there is 0x2000.
 */
#define OBJ_ONEMAPPING 0x01

/*
 * A new anonymous object of size bytes (rounded up to whole pages) with no resident pages and one
 * reference, owned by the caller. Returns NULL when out of memory.
 */
vm_object_t vm_object_allocate(vm_size_t size);

/*
 * A new OBJT_SG object of npages pages (npages > 0), page i being the frame pages[i] (each a frame
 * of an allocated pmm block), with one reference, owned by the caller. pages is an array from
 * kmalloc that the object takes over on success (it is freed with the object). The frames stay
 * their owner's: the object never frees them, and the owner must keep them allocated until
 * release(arg) is called. That happens exactly once, after the object's last reference is dropped
 * (vm_object_deallocate), without the object's lock. Returns NULL when out of memory: release is
 * not called and pages is still the caller's.
 */
vm_object_t vm_object_allocate_sg(vm_page_t *pages, uint64_t npages, void (*release)(void *arg),
				  void *arg);

/* Take one more reference to object. */
void vm_object_reference(vm_object_t object);

/*
 * Drop one reference; the last one frees every resident page (OBJT_SG: calls the release hook
 * instead) and the object. NULL is ignored. The caller must not hold the object's lock.
 */
void vm_object_deallocate(vm_object_t object);

static inline void vm_object_lock(vm_object_t object)
{
	spin_lock(&object->lock);
}
static inline void vm_object_unlock(vm_object_t object)
{
	spin_unlock(&object->lock);
}

/* The page resident at page index pindex, or NULL. Object lock held. */
vm_page_t vm_object_page_lookup(vm_object_t object, uint64_t pindex);

/*
 * Make page the page at pindex; the object takes over the caller's reference to it. pindex must be
 * inside the object and not resident (so never in an OBJT_SG object, where every page is).
 * Returns 0, or -ENOMEM (nothing changed, the caller still owns page) when a tree node could not
 * be had. Object lock held.
 */
int vm_object_page_insert(vm_object_t object, uint64_t pindex, vm_page_t page);

/*
 * Remove every resident page with index in [start, end) and give it back to pmm. The caller must
 * already have unmapped them. Returns how many were freed. An OBJT_SG object's pages are not its
 * own to free: for it this does nothing and returns 0. Object lock held.
 */
uint64_t vm_object_page_remove(vm_object_t object, uint64_t start, uint64_t end);

/*
 * The resident page with the lowest index in [start, end), its index stored in *pindex; NULL if
 * there is none. Object lock held.
 */
vm_page_t vm_object_page_next(vm_object_t object, uint64_t start, uint64_t end, uint64_t *pindex);

/* Resident pages of the object. Object lock held. */
uint64_t vm_object_resident_count(vm_object_t object);

/*
 * Check the object's invariants (see struct vm_object; for OBJT_DEFAULT: node counts exact, no
 * empty node, every page inside the object and allocated). Returns NULL, or a message naming the
 * broken one. O(resident pages). Object lock held.
 */
const char *vm_object_check(vm_object_t object);

#endif
