/*
 * The kernel heap: object caches for fixed-size kernel objects (map entries, objects, tasks) and
 * kmalloc/kfree with power-of-two size classes on top of them; requests above the largest class
 * go to the frame allocator directly. Memory comes from pmm and is reached through the direct map.
 *
 * Thread-safe (each cache has a spinlock); never sleeps. Out of memory returns NULL.
 * In test builds (KESTREL_KMEM_DEBUG) freed memory is filled with 0x6b, allocated memory with
 * 0xa5 unless zeroed, and a double free or a free of a foreign pointer panics.
 */
#ifndef MM_KMEM_H
#define MM_KMEM_H

#include <stddef.h>

struct kmem_cache;

/*
 * A cache of objects of `size` bytes aligned to `align` (0: 8). Returns NULL if out of memory.
 * name is also the lock-order checker's class of the cache's lock (kernel/witness.h): it must not
 * be the name of any other lock (a cache of vm_maps is not "vm_map", the maps' own lock).
 */
struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align);
/*
 * The cache *cachep, created by kmem_cache_create(name, size, align) on the first call, so that
 * no boot code has to remember to. Safe to race: one cache is created, every caller sees it.
 * Returns NULL (and tries again next time) if out of memory.
 */
struct kmem_cache *kmem_cache_create_once(struct kmem_cache **cachep, const char *name, size_t size,
					  size_t align);
/* Destroy an empty cache; panics if objects are still allocated from it. */
void kmem_cache_destroy(struct kmem_cache *c);
/* An object from the cache, or NULL. The caller owns it until kmem_cache_free. */
void *kmem_cache_alloc(struct kmem_cache *c);
void *kmem_cache_zalloc(struct kmem_cache *c);
void kmem_cache_free(struct kmem_cache *c, void *obj);

/* size bytes aligned to 8 (to 16 for sizes >= 16), or NULL. kzalloc zero-fills. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
/* Free memory from kmalloc/kzalloc; NULL is ignored. */
void kfree(const void *p);

/* Give every cache's completely free slabs back to pmm. Returns the frames released. */
size_t kmem_reap(void);

/*
 * Check every cache's invariants (mm/kmem.c: slab lists, free stacks against the allocation
 * bitmaps, object counts, frame marks, and in debug builds the poison of free objects). Returns
 * NULL, or a message naming the cache and the broken invariant. Takes the caches' locks.
 */
const char *kmem_check(void);

#endif
