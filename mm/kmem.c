/*
 * The kernel heap (contract in mm/kmem.h): slab caches of fixed-size objects, and kmalloc on top
 * of them.
 *
 * A slab is one pmm block of 2^slab_order frames, reached through the direct map. It starts with
 * its header (struct kmem_slab), a stack of the indices of its free objects and a bitmap of its
 * allocated ones, followed by the objects. Keeping the free list out of the objects means a free
 * object can be poisoned (0x6b, and for AddressSanitizer on host) as a whole, and the bitmap makes
 * a double free or a stray pointer detectable in every build. Every frame of a slab carries
 * VM_PAGE_KMEM and points at the slab (vm_page.kmem_slab), which is how kfree finds an object's
 * cache and size. kmalloc requests above the largest class are whole pmm blocks whose head frame
 * carries VM_PAGE_KMEM with kmem_slab NULL.
 *
 * Invariants, per cache (under its lock):
 *  K1  Every slab is on exactly one of the lists: full (nfree == 0), empty (nfree == per_slab),
 *      partial (otherwise).
 *  K2  free_stack[0..nfree) are distinct object indices whose inuse bit is clear; every other
 *      index has its bit set; nallocated is the sum of set bits over the cache's slabs.
 *  K3  With KESTREL_KMEM_DEBUG, every free object holds 0x6b in all of its bytes.
 *  K4  If epoch != pmm_generation(), the slab lists describe memory a pmm_init has forgotten;
 *      the next operation drops them (host tests re-initialize pmm).
 * kmem_check() verifies K1-K3. The cache list (caches_lock) holds every cache. caches_lock is
 * taken before a cache's lock, and a cache's lock is never held across a call that takes pmm's.
 */
#include "mm/kmem.h"
#include "kernel/kprintf.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"

#if defined(KESTREL_HOST) && defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define kmem_poison(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define kmem_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define kmem_poison(p, n) ((void)(p), (void)(n))
#define kmem_unpoison(p, n) ((void)(p), (void)(n))
#endif

#define POISON_FREE 0x6b
#define POISON_ALLOC 0xa5
#define KMALLOC_MIN_SHIFT 4
#define KMALLOC_MAX_SHIFT 11
#define KMALLOC_CLASSES (KMALLOC_MAX_SHIFT - KMALLOC_MIN_SHIFT + 1)
#define SLAB_MAX_OBJS 65535u

struct kmem_slab {
	struct kmem_slab *next, *prev; /* on its cache's full, partial or empty list */
	struct kmem_cache *cache;
	char *objs;
	uint16_t *free_stack;
	uint64_t *inuse;
	unsigned nfree;
};

struct kmem_cache {
	char name[32];
	size_t size;     /* as asked for: the bytes a caller may use */
	size_t obj_size; /* size rounded up to align: the stride between objects */
	size_t align;
	unsigned slab_order;
	unsigned per_slab;  /* objects per slab; 0 until the geometry is computed */
	size_t objs_offset; /* from the slab's start to its first object */
	spinlock_t lock;
	struct kmem_slab *full, *partial, *empty;
	size_t nallocated;
	unsigned epoch;
	struct kmem_cache *next; /* on the cache list */
};

#define STATIC_CACHE(n, sz, al)                                                              \
	{                                                                                    \
		.name = n, .size = sz, .obj_size = sz, .align = al, .lock = SPINLOCK_INIT(n) \
	}

/* Caches whose memory is not itself from the heap: the one kmem_cache_create allocates from, and kmalloc's. */
static struct kmem_cache static_caches[1 + KMALLOC_CLASSES] = {
	STATIC_CACHE("kmem_cache", sizeof(struct kmem_cache), 8),
	STATIC_CACHE("kmalloc-16", 16, 16),
	STATIC_CACHE("kmalloc-32", 32, 16),
	STATIC_CACHE("kmalloc-64", 64, 16),
	STATIC_CACHE("kmalloc-128", 128, 16),
	STATIC_CACHE("kmalloc-256", 256, 16),
	STATIC_CACHE("kmalloc-512", 512, 16),
	STATIC_CACHE("kmalloc-1024", 1024, 16),
	STATIC_CACHE("kmalloc-2048", 2048, 16),
};
#define cache_cache (&static_caches[0])
#define kmalloc_caches (&static_caches[1])

static spinlock_t caches_lock = SPINLOCK_INIT("kmem caches");
static struct kmem_cache *dynamic_caches; /* created by kmem_cache_create, newest first */
static unsigned caches_epoch;

static size_t align_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static size_t layout_end(const struct kmem_cache *c, size_t n, size_t *objs_offset)
{
	size_t off = sizeof(struct kmem_slab) + n * sizeof(uint16_t);
	off = align_up(off, 8) + ((n + 63) / 64) * sizeof(uint64_t);
	off = align_up(off, c->align);
	*objs_offset = off;
	return off + n * c->obj_size;
}

/* How many objects of c a slab of order o holds; *objs_offset gets where the first one starts. */
static unsigned objs_fitting(const struct kmem_cache *c, unsigned o, size_t *objs_offset)
{
	size_t bytes = PAGE_SIZE << o;
	size_t n = bytes / c->obj_size;
	if (n > SLAB_MAX_OBJS)
		n = SLAB_MAX_OBJS;
	while (n && layout_end(c, n, objs_offset) > bytes)
		n--;
	return (unsigned)n;
}

/*
 * Choose the smallest slab order that wastes at most 1/8 of the slab, or failing that the smallest
 * that holds one object. Returns false if not even a PMM_MAX_ORDER block holds one.
 */
static bool cache_geometry(struct kmem_cache *c)
{
	int chosen = -1;
	size_t off;
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++) {
		size_t n = objs_fitting(c, o, &off);
		if (!n)
			continue;
		if (chosen < 0)
			chosen = (int)o;
		if (n * c->obj_size * 8 >= (PAGE_SIZE << o) * 7) {
			chosen = (int)o;
			break;
		}
	}
	if (chosen < 0)
		return false;
	c->slab_order = (unsigned)chosen;
	c->per_slab = objs_fitting(c, c->slab_order, &c->objs_offset);
	return true;
}

static void list_insert(struct kmem_slab **head, struct kmem_slab *s)
{
	s->prev = NULL;
	s->next = *head;
	if (*head)
		(*head)->prev = s;
	*head = s;
}

static void list_unlink(struct kmem_slab **head, struct kmem_slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		*head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

/* K4; also computes a static cache's geometry on first use. Cache lock held. */
static void cache_sync(struct kmem_cache *c)
{
	unsigned gen = pmm_generation();
	if (c->epoch == gen)
		return;
	if (!c->per_slab && !cache_geometry(c))
		panic("kmem: static cache %s has no slab geometry", c->name);
	c->full = c->partial = c->empty = NULL;
	c->nallocated = 0;
	c->epoch = gen;
}

/* The cache list's side of K4: caches created before a pmm_init live in forgotten memory. Caches lock held. */
static void caches_sync(void)
{
	unsigned gen = pmm_generation();
	if (caches_epoch != gen) {
		dynamic_caches = NULL;
		caches_epoch = gen;
	}
}

static size_t slab_bytes(const struct kmem_cache *c)
{
	return PAGE_SIZE << c->slab_order;
}

/* Hand a slab's frames back to pmm. The slab is on no list. */
static void slab_release(struct kmem_cache *c, struct kmem_slab *s)
{
	vm_page_t head = phys_to_vm_page(virt_to_phys(s));
	size_t frames = (size_t)1 << c->slab_order;
	kmem_unpoison(s, slab_bytes(c));
	for (size_t i = 0; i < frames; i++) {
		head[i].flags &= (uint16_t)~VM_PAGE_KMEM;
		head[i].kmem_slab = NULL;
		head[i].prev = NULL;
	}
	pmm_free(head);
}

/* Release c's empty slabs; returns the frames released. Caches lock held, c's lock not. */
static size_t cache_reap(struct kmem_cache *c)
{
	size_t released = 0;
	spin_lock(&c->lock);
	cache_sync(c);
	struct kmem_slab *empty = c->empty;
	c->empty = NULL;
	spin_unlock(&c->lock);
	while (empty) {
		struct kmem_slab *s = empty;
		empty = s->next;
		slab_release(c, s);
		released += (size_t)1 << c->slab_order;
	}
	return released;
}

size_t kmem_reap(void)
{
	size_t released = 0;
	spin_lock(&caches_lock);
	caches_sync();
	for (size_t i = 0; i < sizeof(static_caches) / sizeof(static_caches[0]); i++)
		released += cache_reap(&static_caches[i]);
	for (struct kmem_cache *c = dynamic_caches; c; c = c->next)
		released += cache_reap(c);
	spin_unlock(&caches_lock);
	return released;
}

static struct kmem_slab *slab_create(struct kmem_cache *c)
{
	vm_page_t head = pmm_alloc_order(c->slab_order, 0);
	if (!head && kmem_reap())
		head = pmm_alloc_order(c->slab_order, 0);
	if (!head)
		return NULL;
	struct kmem_slab *s = phys_to_virt(vm_page_to_phys(head));
	s->cache = c;
	s->objs = (char *)s + c->objs_offset;
	s->free_stack = (uint16_t *)(s + 1);
	s->inuse =
		(uint64_t *)((char *)s + align_up(sizeof(*s) + c->per_slab * sizeof(uint16_t), 8));
	s->nfree = c->per_slab;
	for (unsigned i = 0; i < c->per_slab; i++)
		s->free_stack[i] = (uint16_t)(c->per_slab - 1 - i);
	memset(s->inuse, 0, ((c->per_slab + 63) / 64) * sizeof(uint64_t));
#ifdef KESTREL_KMEM_DEBUG
	memset(s->objs, POISON_FREE, (size_t)c->per_slab * c->obj_size);
#endif
	kmem_poison(s->objs, (size_t)c->per_slab * c->obj_size);
	for (size_t i = 0; i < ((size_t)1 << c->slab_order); i++) {
		head[i].flags |= VM_PAGE_KMEM;
		head[i].kmem_slab = s;
	}
	return s;
}

/* An object of c with `usable` bytes open to the caller (the rest stays poisoned for ASan). */
static void *cache_alloc(struct kmem_cache *c, bool zero, size_t usable)
{
	spin_lock(&c->lock);
	cache_sync(c);
	struct kmem_slab *s = c->partial;
	if (!s && c->empty) {
		s = c->empty;
		list_unlink(&c->empty, s);
		list_insert(&c->partial, s);
	}
	if (!s) {
		spin_unlock(&c->lock);
		s = slab_create(c);
		if (!s)
			return NULL;
		spin_lock(&c->lock);
		list_insert(&c->partial, s);
	}
	unsigned idx = s->free_stack[--s->nfree];
	s->inuse[idx / 64] |= (uint64_t)1 << (idx % 64);
	if (!s->nfree) {
		list_unlink(&c->partial, s);
		list_insert(&c->full, s);
	}
	c->nallocated++;
	spin_unlock(&c->lock);

	char *obj = s->objs + (size_t)idx * c->obj_size;
	kmem_unpoison(obj, c->obj_size);
#ifdef KESTREL_KMEM_DEBUG
	for (size_t i = 0; i < c->obj_size; i++)
		if ((unsigned char)obj[i] != POISON_FREE)
			panic("kmem: cache %s: object %p was written to after it was freed (byte %zu is %#x)",
			      c->name, (void *)obj, i, (unsigned char)obj[i]);
	if (!zero)
		memset(obj, POISON_ALLOC, c->obj_size);
#endif
	if (zero)
		memset(obj, 0, c->obj_size);
	kmem_poison(obj + usable, c->obj_size - usable);
	return obj;
}

/* The slab holding heap address p, or NULL if p is in a large kmalloc block. Panics if p is not heap memory. */
static struct kmem_slab *heap_slab(const void *p, const char *who)
{
	vm_page_t pg = phys_to_vm_page(virt_to_phys(p));
	if (!pg || !(pg->flags & VM_PAGE_KMEM))
		panic("%s: %p is not kernel heap memory", who, p);
	return pg->kmem_slab;
}

static void slab_free(struct kmem_cache *c, struct kmem_slab *s, void *obj, const char *who)
{
	size_t off = (size_t)((char *)obj - s->objs);
	spin_lock(&c->lock);
	if ((char *)obj < s->objs || off % c->obj_size || off / c->obj_size >= c->per_slab)
		panic("%s: cache %s: %p is not an object of this cache", who, c->name, obj);
	unsigned idx = (unsigned)(off / c->obj_size);
	uint64_t bit = (uint64_t)1 << (idx % 64);
	if (!(s->inuse[idx / 64] & bit))
		panic("%s: cache %s: double free of object %p", who, c->name, obj);
	kmem_unpoison(obj, c->obj_size);
#ifdef KESTREL_KMEM_DEBUG
	memset(obj, POISON_FREE, c->obj_size);
#endif
	kmem_poison(obj, c->obj_size);
	s->inuse[idx / 64] &= ~bit;
	s->free_stack[s->nfree++] = (uint16_t)idx;
	if (s->nfree == 1) {
		list_unlink(&c->full, s);
		list_insert(c->per_slab == 1 ? &c->empty : &c->partial, s);
	} else if (s->nfree == c->per_slab) {
		list_unlink(&c->partial, s);
		list_insert(&c->empty, s);
	}
	c->nallocated--;
	spin_unlock(&c->lock);
}

struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align)
{
	if (!align)
		align = 8;
	if (!size || (align & (align - 1)) || align > PAGE_SIZE)
		return NULL;
	struct kmem_cache *c = cache_alloc(cache_cache, true, sizeof(*c));
	if (!c)
		return NULL;
	size_t len = strlen(name);
	if (len >= sizeof(c->name))
		len = sizeof(c->name) - 1;
	memcpy(c->name, name, len);
	c->size = size;
	c->align = align;
	c->obj_size = align_up(size, align);
	if (!cache_geometry(c)) {
		kmem_cache_free(cache_cache, c);
		return NULL;
	}
	spin_init(&c->lock, c->name);
	spin_lock(&caches_lock);
	caches_sync();
	c->epoch = caches_epoch;
	c->next = dynamic_caches;
	dynamic_caches = c;
	spin_unlock(&caches_lock);
	return c;
}

struct kmem_cache *kmem_cache_create_once(struct kmem_cache **cachep, const char *name, size_t size,
					  size_t align)
{
	static spinlock_t once_lock = SPINLOCK_INIT("kmem_cache_create_once");
	struct kmem_cache *c = __atomic_load_n(cachep, __ATOMIC_ACQUIRE);
	if (c)
		return c;
	spin_lock(&once_lock); /* not caches_lock: kmem_cache_create takes that one */
	c = *cachep;
	if (!c) {
		c = kmem_cache_create(name, size, align);
		__atomic_store_n(cachep, c, __ATOMIC_RELEASE);
	}
	spin_unlock(&once_lock);
	return c;
}

void kmem_cache_destroy(struct kmem_cache *c)
{
	spin_lock(&caches_lock);
	caches_sync();
	spin_lock(&c->lock);
	cache_sync(c);
	if (c->nallocated)
		panic("kmem_cache_destroy: cache %s still has %zu objects allocated", c->name,
		      c->nallocated);
	struct kmem_cache **pp = &dynamic_caches;
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (!*pp)
		panic("kmem_cache_destroy: %p is not a cache made by kmem_cache_create", (void *)c);
	*pp = c->next;
	spin_unlock(&c->lock);
	cache_reap(c);
	spin_unlock(&caches_lock);
	kmem_cache_free(cache_cache, c);
}

void *kmem_cache_alloc(struct kmem_cache *c)
{
	return cache_alloc(c, false, c->size);
}

void *kmem_cache_zalloc(struct kmem_cache *c)
{
	return cache_alloc(c, true, c->size);
}

void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	struct kmem_slab *s = heap_slab(obj, "kmem_cache_free");
	if (!s)
		panic("kmem_cache_free: cache %s: %p is a large kmalloc block", c->name, obj);
	if (s->cache != c)
		panic("kmem_cache_free: cache %s: %p belongs to cache %s", c->name, obj,
		      s->cache->name);
	slab_free(c, s, obj, "kmem_cache_free");
}

static void *kmalloc_large(size_t size, bool zero)
{
	unsigned order = 0;
	while ((PAGE_SIZE << order) < size)
		if (++order > PMM_MAX_ORDER)
			return NULL;
	vm_page_t head = pmm_alloc_order(order, zero ? PMM_ZERO : 0);
	if (!head && kmem_reap())
		head = pmm_alloc_order(order, zero ? PMM_ZERO : 0);
	if (!head)
		return NULL;
	head->flags |= VM_PAGE_KMEM;
	head->kmem_slab = NULL;
	void *p = phys_to_virt(vm_page_to_phys(head));
#ifdef KESTREL_KMEM_DEBUG
	if (!zero)
		memset(p, POISON_ALLOC, PAGE_SIZE << order);
#endif
	return p;
}

static void *kmalloc_common(size_t size, bool zero)
{
	if (size > ((size_t)1 << KMALLOC_MAX_SHIFT))
		return kmalloc_large(size, zero);
	unsigned cls = 0;
	while (((size_t)1 << (KMALLOC_MIN_SHIFT + cls)) < size)
		cls++;
	return cache_alloc(&kmalloc_caches[cls], zero, size);
}

void *kmalloc(size_t size)
{
	return kmalloc_common(size, false);
}

void *kzalloc(size_t size)
{
	return kmalloc_common(size, true);
}

void kfree(const void *block)
{
	void *p = (void *)(uintptr_t)block; /* the block is the allocator's again */

	if (!p)
		return;
	struct kmem_slab *s = heap_slab(p, "kfree");
	if (s) {
		slab_free(s->cache, s, p, "kfree");
		return;
	}
	vm_page_t head = phys_to_vm_page(virt_to_phys(p));
	if (!(head->flags & VM_PAGE_ALLOC) || virt_to_phys(p) != vm_page_to_phys(head))
		panic("kfree: %p is not the start of a large kmalloc block", p);
#ifdef KESTREL_KMEM_DEBUG
	memset(p, POISON_FREE, PAGE_SIZE << head->order);
#endif
	head->flags &= (uint16_t)~VM_PAGE_KMEM;
	head->prev = NULL;
	pmm_free(head);
}

static char check_msg[192];

#define CHECK_FAIL(...)                                               \
	do {                                                          \
		ksnprintf(check_msg, sizeof(check_msg), __VA_ARGS__); \
		return check_msg;                                     \
	} while (0)

/* K2 and K3 for one slab; the bitmap is briefly completed with the free stack and restored. */
static const char *slab_check(struct kmem_cache *c, struct kmem_slab *s)
{
	vm_page_t head = phys_to_vm_page(virt_to_phys(s));
	if (!head || !(head->flags & VM_PAGE_ALLOC) || head->order != c->slab_order)
		CHECK_FAIL("cache %s: slab %p is not an allocated order-%u block", c->name,
			   (void *)s, c->slab_order);
	for (size_t i = 0; i < ((size_t)1 << c->slab_order); i++)
		if (!(head[i].flags & VM_PAGE_KMEM) || head[i].kmem_slab != s)
			CHECK_FAIL("cache %s: frame %zu of slab %p is not marked as the slab's",
				   c->name, i, (void *)s);
	const char *err = NULL;
	unsigned pushed = 0;
	for (; pushed < s->nfree; pushed++) {
		unsigned idx = s->free_stack[pushed];
		uint64_t bit = (uint64_t)1 << (idx % 64);
		if (idx >= c->per_slab || (s->inuse[idx / 64] & bit)) {
			ksnprintf(
				check_msg, sizeof(check_msg),
				"K2: cache %s: slab %p free stack holds index %u, out of range, allocated or twice",
				c->name, (void *)s, idx);
			err = check_msg;
			break;
		}
		s->inuse[idx / 64] |= bit;
	}
	for (unsigned i = 0; i < c->per_slab && !err; i++)
		if (!(s->inuse[i / 64] & ((uint64_t)1 << (i % 64)))) {
			ksnprintf(
				check_msg, sizeof(check_msg),
				"K2: cache %s: slab %p object %u is neither allocated nor on the free stack",
				c->name, (void *)s, i);
			err = check_msg;
		}
	while (pushed--)
		s->inuse[s->free_stack[pushed] / 64] &=
			~((uint64_t)1 << (s->free_stack[pushed] % 64));
#ifdef KESTREL_KMEM_DEBUG
	for (unsigned i = 0; i < s->nfree && !err; i++) {
		unsigned char *obj =
			(unsigned char *)s->objs + (size_t)s->free_stack[i] * c->obj_size;
		kmem_unpoison(obj, c->obj_size);
		for (size_t b = 0; b < c->obj_size && !err; b++)
			if (obj[b] != POISON_FREE) {
				ksnprintf(
					check_msg, sizeof(check_msg),
					"K3: cache %s: free object %p byte %zu is %#x, not the free poison",
					c->name, (void *)obj, b, obj[b]);
				err = check_msg;
			}
		kmem_poison(obj, c->obj_size);
	}
#endif
	return err;
}

/* K1, K2, K3 for one cache. Its lock held. A list longer than `limit` slabs must be cyclic. */
static const char *cache_check(struct kmem_cache *c, size_t limit)
{
	struct kmem_slab *lists[3] = {c->full, c->partial, c->empty};
	static const char *const names[3] = {"full", "partial", "empty"};
	size_t allocated = 0;
	for (int l = 0; l < 3; l++) {
		struct kmem_slab *prev = NULL;
		size_t n = 0;
		for (struct kmem_slab *s = lists[l]; s; prev = s, s = s->next) {
			if (++n > limit)
				CHECK_FAIL("K1: cache %s: %s slab list is cyclic", c->name,
					   names[l]);
			if (s->cache != c || s->prev != prev)
				CHECK_FAIL(
					"K1: cache %s: slab %p on the %s list has a wrong cache or prev link",
					c->name, (void *)s, names[l]);
			bool fits = l == 0   ? s->nfree == 0
				    : l == 2 ? s->nfree == c->per_slab
					     : s->nfree > 0 && s->nfree < c->per_slab;
			if (!fits)
				CHECK_FAIL(
					"K1: cache %s: slab %p with %u of %u objects free is on the %s list",
					c->name, (void *)s, s->nfree, c->per_slab, names[l]);
			const char *err = slab_check(c, s);
			if (err)
				return err;
			allocated += c->per_slab - s->nfree;
		}
	}
	if (allocated != c->nallocated)
		CHECK_FAIL("K2: cache %s: slabs hold %zu objects, nallocated says %zu", c->name,
			   allocated, c->nallocated);
	return NULL;
}

static const char *cache_check_locked(struct kmem_cache *c, size_t limit)
{
	spin_lock(&c->lock);
	cache_sync(c);
	const char *err = cache_check(c, limit);
	spin_unlock(&c->lock);
	return err;
}

const char *kmem_check(void)
{
	const char *err = NULL;
	size_t limit = pmm_total_count();
	spin_lock(&caches_lock);
	caches_sync();
	for (size_t i = 0; i < sizeof(static_caches) / sizeof(static_caches[0]) && !err; i++)
		err = cache_check_locked(&static_caches[i], limit);
	for (struct kmem_cache *c = dynamic_caches; c && !err; c = c->next)
		err = cache_check_locked(c, limit);
	spin_unlock(&caches_lock);
	return err;
}
