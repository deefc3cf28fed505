/*
 * BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH (kernel/bpf/map.h for the contracts).
 *
 * Buckets: a fixed power-of-two array of singly linked chains, never resized (iteration cursors
 * depend on it). An element holds its key (padded to 8 bytes), then its value base (value_slots
 * copies of value_stride bytes: one per possible CPU for the per-CPU types), its insertion sequence
 * number and its hash: SipHash under the map's own random key (BPF_F_ZERO_SEED: the zero key), so
 * that a program that does not know the key cannot choose keys that share a bucket.
 *
 * Element memory. A preallocated map (the default) allocates max_entries elements at creation (the
 * pool, a struct bpf_area) and keeps the unused ones on a free list; BPF_F_NO_PREALLOC allocates an
 * element on insert. A deleted or evicted element is "retired": if no RCU read-side section is in
 * progress (kernel/rcu.h) it is released at once (back to the free list, or kfree'd); otherwise it
 * waits in call_rcu, holding a map reference, until the sections that may point into it have ended.
 * So a pool element is always exactly one of linked, free, or retired; when an insert finds the
 * free list empty although the map is not full (its missing elements are retired, waiting), it
 * allocates a "heap" element outside the pool, which is freed rather than pooled when it goes.
 *
 * LRU: the LRU types keep every linked element on one list in order of last use (lru.h). A use is
 * an insert, an update of a present key (any flags that succeed), or a lookup by a program
 * (bpf_map_lookup_elem, bpf_map_lookup_percpu_elem); user-space lookups, get_next_key and
 * iterations do not count, as in Linux. Inserting into a full LRU map evicts exactly the element
 * least recently used, after the flag checks (an insert that fails evicts nothing). With no
 * read-side section in progress the evicted element's memory becomes the new element at once, so
 * such an insert allocates nothing and cannot fail with ENOMEM.
 *
 * Invariants (map lock held), checked by htab_check:
 *   H1 the element with hash h is on bucket h & (n_buckets - 1), and h is its key's hash;
 *   H2 along each bucket seq strictly decreases, and every seq < next_seq;
 *   H3 no key appears twice;
 *   H4 count is the number of linked elements, count <= max_entries;
 *   H5 LRU types: the use list holds exactly the linked elements;
 *   H6 preallocated: linked pool elements + nfree + retired_pool == max_entries, the free list has
 *      nfree pool elements; BPF_F_NO_PREALLOC: no pool, the free list is empty, every element is
 *      a heap element.
 */
#include "kernel/bpf/map.h"

#include <stddef.h>

#include "kernel/bpf/lru.h"
#include "kernel/panic.h"
#include "kernel/preempt.h"
#include "kernel/random.h"
#include "kernel/rcu.h"
#include "kernel/siphash.h"
#include "kernel/string.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

/*
 * Beyond this many buckets chains grow instead (4 per bucket in a full 1<<20-entry map), so the
 * bucket array stays one 2 MiB block, which a fragmented pmm can still supply.
 */
#define HTAB_BUCKETS_MAX (1u << 18)

struct bpf_htab;

struct htab_elem {
	struct htab_elem *next; /* the next older element of the bucket, or the next free one */
	union {
		struct bpf_lru_node lru; /* linked, LRU types: place in the use order */
		struct rcu_head rcu;     /* retired: waiting for its grace period */
	};
	struct bpf_htab *htab; /* retired: whose lock and free list the callback takes */
	uint64_t seq;          /* from next_seq when linked; never changes while linked */
	uint32_t hash;
	bool heap; /* kmalloc'd, not from the pool: freed, never put on the free list */
	/* key, padded to key_stride, then the value base */
	uint8_t data[] __attribute__((aligned(8)));
};

struct bpf_htab {
	struct bpf_map map; /* first: the ops get back to the struct by a cast */
	struct htab_elem **buckets;
	uint32_t n_buckets;
	uint32_t count;
	uint64_t next_seq;
	size_t elem_size;
	uint32_t key_stride;
	struct siphash_key seed;
	bool lru, prealloc;
	struct bpf_lru_node lru_head;
	struct bpf_area pool;   /* preallocated: max_entries elements */
	struct htab_elem *free; /* pool elements neither linked nor retired */
	uint32_t nfree;
	uint32_t retired_pool; /* pool elements waiting for a grace period */
};

static struct bpf_htab *to_htab(struct bpf_map *map)
{
	return (struct bpf_htab *)map;
}

static struct htab_elem *lru_elem(struct bpf_lru_node *n)
{
	return (struct htab_elem *)((uint8_t *)n - offsetof(struct htab_elem, lru));
}

/* ---------------------------------------------------------------------------------------------
 * Creation
 */

static bool type_lru(uint32_t type)
{
	return type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool type_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static uint32_t roundup_pow2(uint32_t x)
{
	uint32_t p = 1;
	while (p < x)
		p <<= 1;
	return p;
}

static uint32_t bucket_count(uint32_t max_entries)
{
	uint32_t n = roundup_pow2(max_entries);
	return n > HTAB_BUCKETS_MAX ? HTAB_BUCKETS_MAX : n;
}

static size_t elem_size(uint32_t key_size, uint32_t value_size, bool percpu)
{
	uint64_t stride = ((uint64_t)value_size + 7) & ~7ull;
	return sizeof(struct htab_elem) + (((size_t)key_size + 7) & ~(size_t)7) +
	       stride * (percpu ? bpf_num_possible_cpus() : 1);
}

/* Linux's htab_map_alloc_check (in its order), then Kestrel's size limits. */
static int htab_alloc_check(const union bpf_attr *attr)
{
	bool percpu = type_percpu(attr->map_type);

	if ((attr->map_flags & ~(BPF_F_NO_PREALLOC | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED)) ||
	    !bpf_map_flags_access_ok(attr->map_flags))
		return -EINVAL;
	if (type_lru(attr->map_type) && (attr->map_flags & BPF_F_NO_PREALLOC))
		return -ENOTSUPP;
	if (attr->max_entries == 0 || attr->key_size == 0 || attr->value_size == 0)
		return -EINVAL;
	if (attr->key_size > BPF_MAP_KEY_SIZE_MAX || attr->value_size > BPF_MAP_VALUE_SIZE_MAX ||
	    attr->max_entries > BPF_MAP_ENTRIES_MAX)
		return -E2BIG;
	if (percpu && ((attr->value_size + 7) & ~7u) > BPF_MAP_PERCPU_VALUE_SIZE_MAX)
		return -E2BIG;
	/* Whether preallocated or not, the map may come to hold max_entries elements. */
	uint64_t bytes =
		bpf_area_footprint(attr->max_entries,
				   (uint32_t)elem_size(attr->key_size, attr->value_size, percpu)) +
		(uint64_t)bucket_count(attr->max_entries) * sizeof(struct htab_elem *);
	return bytes > BPF_MAP_MEM_MAX ? -ENOMEM : 0;
}

static struct bpf_map *htab_alloc(const union bpf_attr *attr)
{
	struct bpf_htab *h = kzalloc(sizeof(*h));

	if (!h)
		return NULL;
	bpf_map_init_from_attr(&h->map, attr, type_percpu(attr->map_type));
	h->lru = type_lru(attr->map_type);
	h->prealloc = !(attr->map_flags & BPF_F_NO_PREALLOC);
	h->n_buckets = bucket_count(attr->max_entries);
	h->key_stride = (attr->key_size + 7) & ~7u;
	h->elem_size = elem_size(attr->key_size, attr->value_size, h->map.percpu);
	if (attr->map_flags & BPF_F_ZERO_SEED)
		h->seed = (struct siphash_key){0, 0};
	else
		random_bytes(&h->seed, sizeof(h->seed));
	bpf_lru_init(&h->lru_head);
	h->buckets = kzalloc((size_t)h->n_buckets * sizeof(struct htab_elem *));
	if (!h->buckets)
		goto fail;
	if (h->prealloc) {
		if (bpf_area_alloc(&h->pool, attr->max_entries, (uint32_t)h->elem_size, false))
			goto fail;
		/* Free list in pool order, so the first insert takes the first element. */
		for (uint32_t i = attr->max_entries; i-- > 0;) {
			struct htab_elem *e = bpf_area_slot(&h->pool, i);
			e->heap = false;
			e->next = h->free;
			h->free = e;
		}
		h->nfree = attr->max_entries;
	}
	return &h->map;
fail:
	kfree(h->buckets);
	kfree(h);
	return NULL;
}

static void htab_free(struct bpf_map *map)
{
	struct bpf_htab *h = to_htab(map);

	KASSERT(h->retired_pool == 0, "htab %u freed with %u elements retired", map->id,
		h->retired_pool);
	for (uint32_t b = 0; b < h->n_buckets; b++) {
		/* Up to 2^18 buckets and 2^20 heap elements: let others run now and then (close, exit). */
		if ((b & 1023) == 0)
			preempt_point();
		struct htab_elem *e = h->buckets[b];
		while (e) {
			struct htab_elem *next = e->next;
			if (e->heap)
				kfree(e);
			e = next;
		}
	}
	bpf_area_free(&h->pool);
	kfree(h->buckets);
	kfree(h);
}

/* ---------------------------------------------------------------------------------------------
 * Elements. The caller of everything below holds the map lock.
 */

static uint32_t htab_hash(const struct bpf_htab *h, const void *key)
{
	return (uint32_t)siphash(&h->seed, key, h->map.key_size);
}

static struct htab_elem **bucket_of(struct bpf_htab *h, uint32_t hash)
{
	return &h->buckets[hash & (h->n_buckets - 1)];
}

static void *elem_value(const struct bpf_htab *h, struct htab_elem *e)
{
	return e->data + h->key_stride;
}

/* The element holding key, and in *linkp (if not NULL) the link that points at it. */
static struct htab_elem *htab_find(struct bpf_htab *h, const void *key, uint32_t hash,
				   struct htab_elem ***linkp)
{
	struct htab_elem **link = bucket_of(h, hash);

	for (struct htab_elem *e = *link; e; link = &e->next, e = e->next) {
		if (e->hash == hash && memcmp(e->data, key, h->map.key_size) == 0) {
			if (linkp)
				*linkp = link;
			return e;
		}
	}
	return NULL;
}

/* Take e, whose bucket link is *link, out of the map (bucket, use order, count). */
static void elem_unlink(struct bpf_htab *h, struct htab_elem *e, struct htab_elem **link)
{
	__atomic_store_n(link, e->next, __ATOMIC_RELEASE); /* lockless walkers (htab_for_each) */
	if (h->lru)
		bpf_lru_remove(&e->lru);
	h->count--;
}

/* Give a retired element's memory back: to the free list (pool) or to kmem (heap). */
static void elem_release(struct bpf_htab *h, struct htab_elem *e)
{
	if (e->heap) {
		kfree(e);
		return;
	}
	e->next = h->free;
	h->free = e;
	h->nfree++;
}

/* The RCU callback of a retired element: its grace period is over. Takes the map lock. */
static void elem_rcu_release(struct rcu_head *head)
{
	struct htab_elem *e =
		(struct htab_elem *)((uint8_t *)head - offsetof(struct htab_elem, rcu));
	struct bpf_htab *h = e->htab;

	spin_lock(&h->map.lock);
	if (!e->heap)
		h->retired_pool--;
	elem_release(h, e);
	spin_unlock(&h->map.lock);
	bpf_map_put(&h->map);
}

/*
 * An unlinked element is done with: released now if no read-side section can hold a pointer into
 * it (rcu.h, R2), else after a grace period, keeping the map alive until then.
 */
static void elem_retire(struct bpf_htab *h, struct htab_elem *e)
{
	if (!rcu_read_active()) {
		elem_release(h, e);
		return;
	}
	if (!e->heap)
		h->retired_pool++;
	e->htab = h;
	bpf_map_get(&h->map);
	call_rcu(&e->rcu, elem_rcu_release);
}

/* Memory for a new element: a free pool element, else a heap one (NULL when out of memory). */
static struct htab_elem *elem_take(struct bpf_htab *h)
{
	struct htab_elem *e = h->free;

	if (e) {
		h->free = e->next;
		h->nfree--;
		return e;
	}
	e = kmalloc(h->elem_size);
	if (e)
		e->heap = true;
	return e;
}

/* The link pointing at e on its bucket (e is linked). */
static struct htab_elem **elem_link(struct bpf_htab *h, struct htab_elem *e)
{
	struct htab_elem **link = bucket_of(h, e->hash);

	while (*link != e)
		link = &(*link)->next;
	return link;
}

/* ---------------------------------------------------------------------------------------------
 * Operations
 */

static void *htab_lookup(struct bpf_map *map, const void *key, bool prog)
{
	struct bpf_htab *h = to_htab(map);
	struct htab_elem *e = htab_find(h, key, htab_hash(h, key), NULL);

	if (!e)
		return NULL;
	if (prog && h->lru)
		bpf_lru_touch(&h->lru_head, &e->lru);
	return elem_value(h, e);
}

/*
 * Memory for an insert into a full LRU map: evict the least recently used element; with no reader
 * in progress its memory is the new element, else a free or heap element is found first (so that
 * ENOMEM evicts nothing) and the evicted one is retired.
 */
static struct htab_elem *lru_evict_take(struct bpf_htab *h)
{
	struct htab_elem *victim = lru_elem(bpf_lru_oldest(&h->lru_head));

	if (!rcu_read_active()) {
		elem_unlink(h, victim, elem_link(h, victim));
		return victim;
	}
	struct htab_elem *e = elem_take(h);
	if (e) {
		elem_unlink(h, victim, elem_link(h, victim));
		elem_retire(h, victim);
	}
	return e;
}

static int htab_update(struct bpf_map *map, const void *key, uint64_t flags, void **value,
		       bool *created)
{
	struct bpf_htab *h = to_htab(map);
	uint32_t hash = htab_hash(h, key);
	struct htab_elem *e = htab_find(h, key, hash, NULL);

	if (e) {
		if (flags == BPF_NOEXIST)
			return -EEXIST;
		if (h->lru)
			bpf_lru_touch(&h->lru_head, &e->lru);
		*value = elem_value(h, e);
		*created = false;
		return 0;
	}
	if (flags == BPF_EXIST)
		return -ENOENT;
	if (h->count >= map->max_entries) {
		if (!h->lru)
			return -E2BIG;
		e = lru_evict_take(h);
	} else {
		e = elem_take(h);
	}
	if (!e)
		return -ENOMEM;
	e->hash = hash;
	e->seq = h->next_seq++;
	memcpy(e->data, key, map->key_size);
	struct htab_elem **head = bucket_of(h, hash);
	e->next = *head;
	/* Published last, so a lockless walker (htab_for_each) sees the element whole. */
	__atomic_store_n(head, e, __ATOMIC_RELEASE);
	if (h->lru)
		bpf_lru_push(&h->lru_head, &e->lru);
	h->count++;
	*value = elem_value(h, e);
	*created = true;
	return 0;
}

static int htab_delete(struct bpf_map *map, const void *key)
{
	struct bpf_htab *h = to_htab(map);
	struct htab_elem **link;
	struct htab_elem *e = htab_find(h, key, htab_hash(h, key), &link);

	if (!e)
		return -ENOENT;
	elem_unlink(h, e, link);
	elem_retire(h, e);
	return 0;
}

static int htab_get_next_key(struct bpf_map *map, const void *key, void *next_key)
{
	struct bpf_htab *h = to_htab(map);
	struct htab_elem *next = NULL;
	uint32_t b = 0;

	if (key) {
		uint32_t hash = htab_hash(h, key);
		struct htab_elem *e = htab_find(h, key, hash, NULL);
		if (e) {
			next = e->next;
			b = (hash & (h->n_buckets - 1)) + 1;
		}
	}
	for (; !next && b < h->n_buckets; b++)
		next = h->buckets[b];
	if (!next)
		return -ENOENT;
	memcpy(next_key, next->data, map->key_size);
	return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Iteration (the cursor is explained at struct bpf_map_iter)
 */

static void htab_iter_start(struct bpf_map *map, struct bpf_map_iter *it)
{
	it->snapshot = it->bound = to_htab(map)->next_seq;
}

static int htab_iter_next(struct bpf_map *map, struct bpf_map_iter *it, const void **key,
			  void **value)
{
	struct bpf_htab *h = to_htab(map);

	for (; it->pos < h->n_buckets; it->pos++, it->bound = it->snapshot) {
		struct htab_elem *e = h->buckets[it->pos];
		while (e && e->seq >= it->bound)
			e = e->next;
		if (e) {
			it->bound = it->last_seq = e->seq;
			it->last_pos = it->pos;
			*key = e->data;
			*value = elem_value(h, e);
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * bpf_map_for_each_elem without the lock: the cursor of struct bpf_map_iter kept in locals, and
 * each step starts again from its bucket's head, so no pointer is held across a callback (which
 * may delete anything). Without the lock a walker may meet an element being unlinked; it is
 * still whole, since elements are published and unlinked with release stores and retired, not
 * reused, while a read-side section (the caller's) is in progress (elem_retire, rcu.h R2).
 */
static long htab_for_each(struct bpf_map *map, bpf_func_t callback_fn, void *callback_ctx,
			  size_t cpu_off)
{
	struct bpf_htab *h = to_htab(map);
	uint64_t snapshot = __atomic_load_n(&h->next_seq, __ATOMIC_ACQUIRE);
	long n = 0;

	for (uint32_t b = 0; b < h->n_buckets; b++) {
		struct htab_elem **head = &h->buckets[b];
		uint64_t bound = snapshot;
		for (;;) {
			struct htab_elem *e = __atomic_load_n(head, __ATOMIC_ACQUIRE);
			while (e && e->seq >= bound)
				e = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE);
			if (!e)
				break;
			bound = e->seq;
			n++;
			if (callback_fn(
				    (uint64_t)(uintptr_t)map, (uint64_t)(uintptr_t)e->data,
				    (uint64_t)(uintptr_t)((uint8_t *)elem_value(h, e) + cpu_off),
				    (uint64_t)(uintptr_t)callback_ctx, 0))
				return n;
			if (!(n & (BPF_FOR_EACH_PREEMPT_EVERY - 1)))
				preempt_point();
		}
	}
	return n;
}

static void *htab_iter_current(struct bpf_map *map, const struct bpf_map_iter *it)
{
	struct bpf_htab *h = to_htab(map);
	struct htab_elem *e = h->buckets[it->last_pos];

	/* Decreasing seq along the bucket: stop at the first element not newer. */
	while (e && e->seq > it->last_seq)
		e = e->next;
	return e && e->seq == it->last_seq ? elem_value(h, e) : NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Diagnostics
 */

/* H1-H4, counting the linked pool elements into *pool_linked. */
static const char *check_buckets(struct bpf_htab *h, uint32_t *pool_linked)
{
	uint64_t count = 0;

	*pool_linked = 0;
	if (h->n_buckets == 0 || (h->n_buckets & (h->n_buckets - 1)))
		return "bucket count is not a power of two";
	for (uint32_t b = 0; b < h->n_buckets; b++) {
		/* Order first: a strictly decreasing list cannot be cyclic, so the walks below end. */
		for (struct htab_elem *e = h->buckets[b]; e; e = e->next) {
			if (e->seq >= h->next_seq)
				return "element seq not below the map's sequence counter";
			if (e->next && e->next->seq >= e->seq)
				return "bucket not in strictly decreasing seq order";
			if (++count > h->map.max_entries)
				return "more elements than max_entries";
			*pool_linked += !e->heap;
		}
		for (struct htab_elem *e = h->buckets[b]; e; e = e->next) {
			if (e->hash != htab_hash(h, e->data))
				return "element's stored hash does not match its key";
			if ((e->hash & (h->n_buckets - 1)) != b)
				return "element on a bucket its key does not hash to";
			for (struct htab_elem *o = e->next; o; o = o->next)
				if (memcmp(o->data, e->data, h->map.key_size) == 0)
					return "key present twice";
		}
	}
	return count == h->count ? NULL : "element count does not match the buckets";
}

/* H6. */
static const char *check_pool(struct bpf_htab *h, uint32_t pool_linked)
{
	uint32_t n = 0;

	if (!h->prealloc)
		return h->free || h->nfree || h->retired_pool || pool_linked
			       ? "pool element in a map without a pool"
			       : NULL;
	for (struct htab_elem *e = h->free; e; e = e->next) {
		if (e->heap)
			return "heap element on the free list";
		if (++n > h->nfree)
			return "free list longer than nfree";
	}
	if (n != h->nfree)
		return "free list shorter than nfree";
	if ((uint64_t)pool_linked + h->nfree + h->retired_pool != h->map.max_entries)
		return "pool elements are not each linked, free or retired";
	return bpf_area_check(&h->pool);
}

static const char *htab_check(struct bpf_map *map)
{
	struct bpf_htab *h = to_htab(map);
	uint32_t pool_linked;
	const char *why = check_buckets(h, &pool_linked);

	if (!why && h->lru)
		why = bpf_lru_check(&h->lru_head, h->count);
	if (!why && h->lru) {
		for (struct bpf_lru_node *n = h->lru_head.next; n != &h->lru_head; n = n->next) {
			struct htab_elem *e = lru_elem(n), **link = bucket_of(h, e->hash);
			while (*link && *link != e)
				link = &(*link)->next;
			if (!*link)
				return "element on the use list but not on its bucket";
		}
	}
	if (!why && !h->lru &&
	    (h->lru_head.next != &h->lru_head || h->lru_head.prev != &h->lru_head))
		why = "use list in a map that is not LRU";
	return why ? why : check_pool(h, pool_linked);
}

static uint32_t htab_longest_chain(struct bpf_map *map)
{
	struct bpf_htab *h = to_htab(map);
	uint32_t longest = 0;

	for (uint32_t b = 0; b < h->n_buckets; b++) {
		uint32_t n = 0;
		for (struct htab_elem *e = h->buckets[b]; e; e = e->next)
			n++;
		if (n > longest)
			longest = n;
	}
	return longest;
}

const struct bpf_map_ops bpf_htab_ops = {
	.alloc_check = htab_alloc_check,
	.alloc = htab_alloc,
	.free = htab_free,
	.lookup = htab_lookup,
	.update = htab_update,
	.delete = htab_delete,
	.get_next_key = htab_get_next_key,
	.iter_start = htab_iter_start,
	.iter_next = htab_iter_next,
	.iter_current = htab_iter_current,
	.for_each = htab_for_each,
	.check = htab_check,
	.longest_chain = htab_longest_chain,
};
