/*
 * BPF-like hash and array maps (see kernel/bpf_map.h for the contracts).
 *
 * ARRAY storage: the values live in chunks of at most BPF_ARRAY_CHUNK_BYTES, each holding a power
 * of two of slots, so that no single allocation exceeds what kmalloc serves well however large the
 * map; slot i is slot (i & mask) of chunk (i >> shift). Each slot is value_size rounded up to 8.
 *
 * HASH storage: a fixed power-of-two array of singly linked buckets, never resized (iteration
 * cursors depend on it). Each element holds its key, its value and its insertion sequence number.
 */
#include "kernel/bpf_map.h"

#include <stddef.h>

#include "uapi/errno.h"
#include "kernel/panic.h"
#include "kernel/random.h"
#include "kernel/siphash.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "mm/kmem.h"

#define BPF_ARRAY_CHUNK_BYTES (64u << 10)
/*
 * Beyond this many buckets chains grow instead (4 per bucket in a full 1<<20-entry map), so the
 * bucket array stays one 2 MiB block, which a fragmented pmm can still supply.
 */
#define BPF_HTAB_BUCKETS_MAX (1u << 18)

#define ROUND8(x) (((uint64_t)(x) + 7) & ~(uint64_t)7)

struct htab_elem {
	struct htab_elem *next; /* the next older element of the same bucket */
	uint64_t seq;           /* from htab.next_seq at insertion; never changes */
	uint32_t hash;          /* htab_hash of the key */
	/* key_size bytes of key, padded to 8, then value_size bytes of value */
	uint8_t data[] __attribute__((aligned(8)));
};

/*
 * Invariants (map->lock protects everything below the shape fields):
 *   refcnt > 0 while anyone may use the map.
 *   ARRAY: chunks[0 .. nchunks) are all allocated; nchunks = ceil(max_entries / 2^shift).
 *   HASH: the element with hash h is on bucket (h & (n_buckets - 1)); along each bucket seq is
 *   strictly decreasing and every seq < next_seq; no key appears twice; count is the number of
 *   elements and count <= max_entries.
 */
struct bpf_map {
	spinlock_t lock;
	uint32_t type, key_size, value_size, max_entries;
	uint32_t value_stride; /* value_size rounded up to 8 */
	int refcnt;            /* atomic */
	union {
		struct {
			uint8_t **chunks;
			uint32_t nchunks;
			uint32_t shift; /* slots per chunk = 1 << shift */
		} array;
		struct {
			struct htab_elem **buckets;
			uint32_t n_buckets;
			uint32_t count;
			uint64_t next_seq;
			size_t elem_size;
			uint32_t key_stride; /* key_size rounded up to 8: offset of the value */
			struct siphash_key seed; /* htab_hash's key, fixed at creation */
		} htab;
	};
};

/* ---------------------------------------------------------------------------------------- */
/* Creation and lifetime. */

static uint32_t roundup_pow2(uint32_t x)
{
	uint32_t p = 1;
	while (p < x)
		p <<= 1;
	return p;
}

static int array_alloc(struct bpf_map *map)
{
	uint32_t shift = 0;
	while (((uint64_t)map->value_stride << (shift + 1)) <= BPF_ARRAY_CHUNK_BYTES &&
	       (1u << shift) < map->max_entries)
		shift++;
	uint32_t per = 1u << shift;
	uint32_t n = (map->max_entries + per - 1) >> shift;

	map->array.shift = shift;
	map->array.nchunks = n;
	map->array.chunks = kzalloc((size_t)n * sizeof(uint8_t *));
	if (!map->array.chunks)
		return -ENOMEM;
	for (uint32_t c = 0; c < n; c++) {
		uint32_t slots = c + 1 < n ? per : map->max_entries - c * per;
		map->array.chunks[c] = kzalloc((size_t)slots * map->value_stride);
		if (!map->array.chunks[c])
			return -ENOMEM;
	}
	return 0;
}

static void array_free(struct bpf_map *map)
{
	if (!map->array.chunks)
		return;
	for (uint32_t c = 0; c < map->array.nchunks; c++)
		kfree(map->array.chunks[c]);
	kfree(map->array.chunks);
}

static void htab_free(struct bpf_map *map)
{
	if (!map->htab.buckets)
		return;
	for (uint32_t b = 0; b < map->htab.n_buckets; b++) {
		struct htab_elem *e = map->htab.buckets[b];
		while (e) {
			struct htab_elem *next = e->next;
			kfree(e);
			e = next;
		}
	}
	kfree(map->htab.buckets);
}

static void map_free(struct bpf_map *map)
{
	if (map->type == BPF_MAP_TYPE_ARRAY)
		array_free(map);
	else
		htab_free(map);
	kfree(map);
}

/* The whole-map footprint that BPF_MAP_MEM_MAX bounds; 64-bit, so it cannot overflow. */
static uint64_t map_footprint(uint32_t type, uint32_t key_size, uint32_t value_size,
			      uint32_t max_entries)
{
	if (type == BPF_MAP_TYPE_ARRAY)
		return (uint64_t)max_entries * ROUND8(value_size) + (uint64_t)max_entries * sizeof(void *);
	uint64_t elem = sizeof(struct htab_elem) + ROUND8(key_size) + ROUND8(value_size);
	uint64_t buckets = roundup_pow2(max_entries);
	if (buckets > BPF_HTAB_BUCKETS_MAX)
		buckets = BPF_HTAB_BUCKETS_MAX;
	return (uint64_t)max_entries * elem + buckets * sizeof(void *);
}

int bpf_map_create(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
		   struct bpf_map **mapp)
{
	struct siphash_key seed;

	random_bytes(&seed, sizeof(seed));
	return bpf_map_create_seeded(type, key_size, value_size, max_entries, &seed, mapp);
}

int bpf_map_create_seeded(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
			  const struct siphash_key *seed, struct bpf_map **mapp)
{
	if (type != BPF_MAP_TYPE_HASH && type != BPF_MAP_TYPE_ARRAY)
		return -EINVAL;
	if (key_size == 0 || value_size == 0 || max_entries == 0)
		return -EINVAL;
	if (type == BPF_MAP_TYPE_ARRAY && key_size != 4)
		return -EINVAL;
	if (key_size > BPF_MAP_KEY_SIZE_MAX || value_size > BPF_MAP_VALUE_SIZE_MAX ||
	    max_entries > BPF_MAP_ENTRIES_MAX)
		return -E2BIG;
	if (map_footprint(type, key_size, value_size, max_entries) > BPF_MAP_MEM_MAX)
		return -ENOMEM;

	struct bpf_map *map = kzalloc(sizeof(*map));
	if (!map)
		return -ENOMEM;
	spin_init(&map->lock, "bpf_map");
	map->type = type;
	map->key_size = key_size;
	map->value_size = value_size;
	map->max_entries = max_entries;
	map->value_stride = (uint32_t)ROUND8(value_size);
	map->refcnt = 1;

	int err = 0;
	if (type == BPF_MAP_TYPE_ARRAY) {
		err = array_alloc(map);
	} else {
		uint32_t n = roundup_pow2(max_entries);
		map->htab.n_buckets = n > BPF_HTAB_BUCKETS_MAX ? BPF_HTAB_BUCKETS_MAX : n;
		map->htab.key_stride = (uint32_t)ROUND8(key_size);
		map->htab.seed = *seed;
		map->htab.elem_size = sizeof(struct htab_elem) + map->htab.key_stride + map->value_stride;
		map->htab.buckets = kzalloc((size_t)map->htab.n_buckets * sizeof(struct htab_elem *));
		if (!map->htab.buckets)
			err = -ENOMEM;
	}
	if (err) {
		map_free(map);
		return err;
	}
	*mapp = map;
	return 0;
}

void bpf_map_get(struct bpf_map *map)
{
	int old = __atomic_fetch_add(&map->refcnt, 1, __ATOMIC_RELAXED);
	KASSERT(old > 0, "bpf_map_get: map %p has refcnt %d", (void *)map, old);
}

void bpf_map_put(struct bpf_map *map)
{
	int old = __atomic_fetch_sub(&map->refcnt, 1, __ATOMIC_ACQ_REL);
	KASSERT(old > 0, "bpf_map_put: map %p has refcnt %d", (void *)map, old);
	if (old == 1)
		map_free(map);
}

uint32_t bpf_map_type(const struct bpf_map *map) { return map->type; }
uint32_t bpf_map_key_size(const struct bpf_map *map) { return map->key_size; }
uint32_t bpf_map_value_size(const struct bpf_map *map) { return map->value_size; }
uint32_t bpf_map_max_entries(const struct bpf_map *map) { return map->max_entries; }

/* ---------------------------------------------------------------------------------------- */
/* Element access. The caller of every helper below holds map->lock. */

static uint32_t array_index(const void *key)
{
	uint32_t i;
	__builtin_memcpy(&i, key, sizeof(i));
	return i;
}

static uint8_t *array_slot(struct bpf_map *map, uint32_t i)
{
	uint32_t mask = (1u << map->array.shift) - 1;
	return map->array.chunks[i >> map->array.shift] + (size_t)(i & mask) * map->value_stride;
}

/*
 * SipHash under the map's own random key: a program that does not know the key cannot choose keys
 * that share a bucket (an unkeyed hash let precomputed keys all land in one chain).
 */
static uint32_t htab_hash(const struct bpf_map *map, const void *key)
{
	return (uint32_t)siphash(&map->htab.seed, key, map->key_size);
}

static uint32_t htab_bucket(const struct bpf_map *map, uint32_t hash)
{
	return hash & (map->htab.n_buckets - 1);
}

static uint8_t *elem_value(const struct bpf_map *map, struct htab_elem *e)
{
	return e->data + map->htab.key_stride;
}

/* The element holding key on its bucket, and in *prevp the link that points at it. */
static struct htab_elem *htab_find(struct bpf_map *map, const void *key, uint32_t hash,
				   struct htab_elem ***prevp)
{
	struct htab_elem **link = &map->htab.buckets[htab_bucket(map, hash)];
	for (struct htab_elem *e = *link; e; link = &e->next, e = e->next) {
		if (e->hash == hash && memcmp(e->data, key, map->key_size) == 0) {
			if (prevp)
				*prevp = link;
			return e;
		}
	}
	return NULL;
}

int bpf_map_lookup_elem(struct bpf_map *map, const void *key, void *value)
{
	int err = 0;

	if (map->type == BPF_MAP_TYPE_ARRAY) {
		uint32_t i = array_index(key);
		if (i >= map->max_entries)
			return -ENOENT;
		spin_lock(&map->lock);
		memcpy(value, array_slot(map, i), map->value_size);
		spin_unlock(&map->lock);
		return 0;
	}

	uint32_t hash = htab_hash(map, key);
	spin_lock(&map->lock);
	struct htab_elem *e = htab_find(map, key, hash, NULL);
	if (e)
		memcpy(value, elem_value(map, e), map->value_size);
	else
		err = -ENOENT;
	spin_unlock(&map->lock);
	return err;
}

static int htab_update(struct bpf_map *map, const void *key, const void *value, uint64_t flags)
{
	uint32_t hash = htab_hash(map, key);
	int err = 0;

	spin_lock(&map->lock);
	struct htab_elem *e = htab_find(map, key, hash, NULL);
	if (e) {
		if (flags == BPF_NOEXIST)
			err = -EEXIST;
		else
			memcpy(elem_value(map, e), value, map->value_size);
		goto out;
	}
	if (flags == BPF_EXIST) {
		err = -ENOENT;
		goto out;
	}
	if (map->htab.count >= map->max_entries) {
		err = -E2BIG;
		goto out;
	}
	e = kmalloc(map->htab.elem_size);
	if (!e) {
		err = -ENOMEM;
		goto out;
	}
	e->hash = hash;
	e->seq = map->htab.next_seq++;
	memcpy(e->data, key, map->key_size);
	memcpy(elem_value(map, e), value, map->value_size);
	struct htab_elem **head = &map->htab.buckets[htab_bucket(map, hash)];
	e->next = *head;
	*head = e;
	map->htab.count++;
out:
	spin_unlock(&map->lock);
	return err;
}

int bpf_map_update_elem(struct bpf_map *map, const void *key, const void *value, uint64_t flags)
{
	if (flags > BPF_EXIST)
		return -EINVAL;
	if (map->type == BPF_MAP_TYPE_HASH)
		return htab_update(map, key, value, flags);

	uint32_t i = array_index(key);
	if (i >= map->max_entries)
		return -E2BIG;
	if (flags == BPF_NOEXIST)
		return -EEXIST;
	spin_lock(&map->lock);
	memcpy(array_slot(map, i), value, map->value_size);
	spin_unlock(&map->lock);
	return 0;
}

int bpf_map_delete_elem(struct bpf_map *map, const void *key)
{
	if (map->type == BPF_MAP_TYPE_ARRAY)
		return -EINVAL;

	uint32_t hash = htab_hash(map, key);
	struct htab_elem **link;
	spin_lock(&map->lock);
	struct htab_elem *e = htab_find(map, key, hash, &link);
	if (e) {
		*link = e->next;
		map->htab.count--;
	}
	spin_unlock(&map->lock);
	if (!e)
		return -ENOENT;
	kfree(e);
	return 0;
}

int bpf_map_get_next_key(struct bpf_map *map, const void *key, void *next_key)
{
	if (map->type == BPF_MAP_TYPE_ARRAY) {
		uint32_t i = key ? array_index(key) : UINT32_MAX;
		if (i >= map->max_entries)
			i = 0;
		else if (i == map->max_entries - 1)
			return -ENOENT;
		else
			i++;
		__builtin_memcpy(next_key, &i, sizeof(i));
		return 0;
	}

	uint32_t b = 0;
	struct htab_elem *next = NULL;
	uint32_t hash = key ? htab_hash(map, key) : 0;
	spin_lock(&map->lock);
	struct htab_elem *e = key ? htab_find(map, key, hash, NULL) : NULL;
	if (e) {
		next = e->next;
		b = htab_bucket(map, hash) + 1;
	}
	for (; !next && b < map->htab.n_buckets; b++)
		next = map->htab.buckets[b];
	if (next)
		memcpy(next_key, next->data, map->key_size);
	spin_unlock(&map->lock);
	return next ? 0 : -ENOENT;
}

/* ---------------------------------------------------------------------------------------- */
/* Iteration (the cursor is explained in kernel/bpf_map.h). */

void bpf_map_iter_start(struct bpf_map *map, struct bpf_map_iter *it)
{
	memset(it, 0, sizeof(*it));
	it->map = map;
	if (map->type == BPF_MAP_TYPE_HASH) {
		spin_lock(&map->lock);
		it->snapshot = map->htab.next_seq;
		spin_unlock(&map->lock);
		it->bound = it->snapshot;
	}
}

int bpf_map_iter_next(struct bpf_map *map, struct bpf_map_iter *it, void *key, void *value)
{
	KASSERT(it->map == map, "bpf_map_iter_next: iterator of map %p used on map %p",
		(const void *)it->map, (void *)map);

	if (map->type == BPF_MAP_TYPE_ARRAY) {
		if (it->pos >= map->max_entries) {
			it->have_last = false;
			return -ENOENT;
		}
		uint32_t i = it->pos++;
		__builtin_memcpy(key, &i, sizeof(i));
		spin_lock(&map->lock);
		memcpy(value, array_slot(map, i), map->value_size);
		spin_unlock(&map->lock);
		it->last_pos = i;
		it->have_last = true;
		return 0;
	}

	int err = -ENOENT;
	spin_lock(&map->lock);
	it->have_last = false;
	while (it->pos < map->htab.n_buckets) {
		struct htab_elem *e = map->htab.buckets[it->pos];
		while (e && e->seq >= it->bound)
			e = e->next;
		if (e) {
			it->bound = e->seq;
			it->last_seq = e->seq;
			it->last_pos = it->pos;
			it->have_last = true;
			memcpy(key, e->data, map->key_size);
			memcpy(value, elem_value(map, e), map->value_size);
			err = 0;
			break;
		}
		it->pos++;
		it->bound = it->snapshot;
	}
	spin_unlock(&map->lock);
	return err;
}

int bpf_map_iter_writeback(struct bpf_map *map, struct bpf_map_iter *it, const void *value)
{
	KASSERT(it->map == map, "bpf_map_iter_writeback: iterator of map %p used on map %p",
		(const void *)it->map, (void *)map);
	if (!it->have_last)
		return -ENOENT;

	int err = -ENOENT;
	spin_lock(&map->lock);
	if (map->type == BPF_MAP_TYPE_ARRAY) {
		memcpy(array_slot(map, it->last_pos), value, map->value_size);
		err = 0;
	} else {
		/* Decreasing seq along the bucket: stop at the first older element. */
		struct htab_elem *e = map->htab.buckets[it->last_pos];
		while (e && e->seq > it->last_seq)
			e = e->next;
		if (e && e->seq == it->last_seq) {
			memcpy(elem_value(map, e), value, map->value_size);
			err = 0;
		}
	}
	spin_unlock(&map->lock);
	return err;
}

/* ---------------------------------------------------------------------------------------- */

static const char *htab_check(struct bpf_map *map)
{
	uint64_t count = 0;

	if (map->htab.n_buckets == 0 || (map->htab.n_buckets & (map->htab.n_buckets - 1)))
		return "bucket count is not a power of two";
	for (uint32_t b = 0; b < map->htab.n_buckets; b++) {
		/* Order first: a strictly decreasing list cannot be cyclic, so the walks below end. */
		for (struct htab_elem *e = map->htab.buckets[b]; e; e = e->next) {
			if (e->seq >= map->htab.next_seq)
				return "element seq not below the map's sequence counter";
			if (e->next && e->next->seq >= e->seq)
				return "bucket not in strictly decreasing seq order";
			if (++count > map->max_entries)
				return "more elements than max_entries";
		}
		for (struct htab_elem *e = map->htab.buckets[b]; e; e = e->next) {
			if (e->hash != htab_hash(map, e->data))
				return "element's stored hash does not match its key";
			if (htab_bucket(map, e->hash) != b)
				return "element on a bucket its key does not hash to";
			for (struct htab_elem *o = e->next; o; o = o->next)
				if (memcmp(o->data, e->data, map->key_size) == 0)
					return "key present twice";
		}
	}
	if (count != map->htab.count)
		return "element count does not match the buckets";
	return NULL;
}

uint32_t bpf_map_longest_chain(struct bpf_map *map)
{
	uint32_t longest = 0;

	if (map->type != BPF_MAP_TYPE_HASH)
		return 0;
	spin_lock(&map->lock);
	for (uint32_t b = 0; b < map->htab.n_buckets; b++) {
		uint32_t n = 0;
		for (struct htab_elem *e = map->htab.buckets[b]; e; e = e->next)
			n++;
		if (n > longest)
			longest = n;
	}
	spin_unlock(&map->lock);
	return longest;
}

const char *bpf_map_check(struct bpf_map *map)
{
	const char *err = NULL;

	if (__atomic_load_n(&map->refcnt, __ATOMIC_RELAXED) <= 0)
		return "map in use with no reference";
	spin_lock(&map->lock);
	if (map->type == BPF_MAP_TYPE_HASH) {
		err = htab_check(map);
	} else if (map->type == BPF_MAP_TYPE_ARRAY) {
		if (((uint64_t)map->array.nchunks << map->array.shift) < map->max_entries)
			err = "chunks do not cover max_entries";
		for (uint32_t c = 0; !err && c < map->array.nchunks; c++)
			if (!map->array.chunks[c])
				err = "array chunk missing";
	} else {
		err = "unknown map type";
	}
	spin_unlock(&map->lock);
	return err;
}
