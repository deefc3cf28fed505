/*
 * BPF-like maps: fixed-shape key/value stores shared between user programs through file
 * descriptors, with the contracts and error codes of Linux's BPF_MAP_TYPE_HASH and
 * BPF_MAP_TYPE_ARRAY (kernel/bpf/hashtab.c, arraymap.c, syscall.c).
 *
 *   HASH:  keys of key_size bytes compared bytewise, at most max_entries elements, elements
 *          allocated on insert and freed on delete (Linux's BPF_F_NO_PREALLOC behaviour: an
 *          insert may fail with -ENOMEM).
 *   ARRAY: key_size is 4 (a host-endian uint32_t index), max_entries slots that always exist and
 *          start zeroed; elements cannot be deleted.
 *
 * Every function takes the map's spinlock itself: the caller holds nothing, and must not hold
 * a lock that kmem takes (lock order: map lock, then kmem's). Keys and values are kernel buffers
 * of exactly key_size / value_size bytes; copying them to or from user memory is the caller's
 * job, done outside these calls because a spinlock is never held across a user access.
 */
#ifndef KERNEL_BPF_MAP_H
#define KERNEL_BPF_MAP_H

#include <stdbool.h>
#include <stdint.h>

/* BPF_MAP_TYPE_HASH/ARRAY and the update flags BPF_ANY/NOEXIST/EXIST are user-visible. */
#include "uapi/bpf.h"

/*
 * Shape limits, checked by bpf_map_create. Over a per-field limit is -E2BIG, as Linux answers
 * for a key larger than the BPF stack (512 bytes), a value too large to copy to user space in
 * one piece, or a hash table whose bucket array would overflow. Over the whole-map bound
 * (max_entries times the per-element footprint, plus the index) is -ENOMEM, as Linux answers
 * when an array's total size overflows or the map's memory cannot be charged.
 */
#define BPF_MAP_KEY_SIZE_MAX 512u
#define BPF_MAP_VALUE_SIZE_MAX (64u << 10)
#define BPF_MAP_ENTRIES_MAX (1u << 20)
#define BPF_MAP_MEM_MAX ((uint64_t)64 << 20)

struct bpf_map;

/*
 * Create a map. Returns 0 and *mapp with one reference (the caller's), or: -EINVAL for an
 * unknown type, a zero key_size, value_size or max_entries, or an ARRAY whose key_size is not 4;
 * -E2BIG for key_size > BPF_MAP_KEY_SIZE_MAX, value_size > BPF_MAP_VALUE_SIZE_MAX or
 * max_entries > BPF_MAP_ENTRIES_MAX; -ENOMEM when the map would exceed BPF_MAP_MEM_MAX or memory
 * runs out. An ARRAY's values start zeroed; a HASH starts empty.
 */
int bpf_map_create(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
		   struct bpf_map **mapp);


/*
 * bpf_map_create with the HASH function's key given instead of drawn from kernel/random.h (as
 * Linux's BPF_F_ZERO_SEED, for tests that need a known bucket layout). Ignored for an ARRAY.
 */
struct siphash_key;
int bpf_map_create_seeded(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
			  const struct siphash_key *seed, struct bpf_map **mapp);

/* Take another reference (an fd, an in-flight syscall). The caller must already hold one. */
void bpf_map_get(struct bpf_map *map);
/* Drop a reference; the last one frees the map and every element. */
void bpf_map_put(struct bpf_map *map);

/* The map's shape, fixed at creation (the syscall layer sizes its copies by them). No lock. */
uint32_t bpf_map_type(const struct bpf_map *map);
uint32_t bpf_map_key_size(const struct bpf_map *map);
uint32_t bpf_map_value_size(const struct bpf_map *map);
uint32_t bpf_map_max_entries(const struct bpf_map *map);

/*
 * Copy the value stored under key into value. Returns 0, or -ENOENT if the key is absent (for an
 * ARRAY: the index is >= max_entries).
 */
int bpf_map_lookup_elem(struct bpf_map *map, const void *key, void *value);

/*
 * Store value under key. flags: BPF_ANY, BPF_NOEXIST or BPF_EXIST, else -EINVAL.
 * ARRAY: -E2BIG if the index is >= max_entries, then -EEXIST for BPF_NOEXIST (every slot exists).
 * HASH: -EEXIST for BPF_NOEXIST on a present key, -ENOENT for BPF_EXIST on an absent one, -E2BIG
 * when inserting into a map holding max_entries elements (overwriting a present key in a full map
 * succeeds), -ENOMEM if the element cannot be allocated. Overwriting keeps the element (and so its
 * place in an iteration); only an insert creates one.
 */
int bpf_map_update_elem(struct bpf_map *map, const void *key, const void *value, uint64_t flags);

/* Remove key. Returns 0; -ENOENT if a HASH lacks it; -EINVAL on an ARRAY (slots are permanent). */
int bpf_map_delete_elem(struct bpf_map *map, const void *key);

/*
 * The key after key, in the map's own order, written to next_key. key NULL, or a key that is not in
 * the map, gives the first key. Returns 0, or -ENOENT after the last key (or for an empty HASH).
 * ARRAY order is the index order, and an index >= max_entries gives 0. A walk from NULL that runs
 * with no concurrent insert or delete returns every key exactly once.
 */
int bpf_map_get_next_key(struct bpf_map *map, const void *key, void *next_key);

/*
 * An iteration for bpf_for_each_map_elem whose caller runs a user callback between steps: no lock
 * is held and no element is pinned between calls, so the callback may update, insert and delete
 * freely (including the element it was given).
 *
 * What it visits: an ARRAY, every slot in index order. A HASH, every element present at
 * bpf_map_iter_start exactly once, in bpf_map_get_next_key's order, except those deleted before
 * the cursor reached them. Elements inserted after bpf_map_iter_start are never visited, a key deleted and
 * re-inserted included (it is a new element), which is what bounds the iteration: it takes at most
 * as many steps as the map held at the start.
 *
 * How (HASH): every element gets a sequence number from a per-map counter when it is inserted, and
 * each bucket list is kept in strictly decreasing sequence order (inserts go to the head). The
 * cursor is (bucket, bound): the next element is the first one in the bucket with seq < bound,
 * and visiting it lowers bound to its seq. bound starts at the counter's value at start, so later
 * inserts (seq >= that) are skipped; buckets never resize and an element never changes bucket or
 * seq, so a lowered bound never re-admits a visited element. The cursor names no element, so
 * deleting anything between steps leaves it valid.
 *
 * The fields are private to kernel/bpf_map.c; the struct is public so callers can put it on the
 * stack. The caller holds a reference on the map for the whole iteration; no cleanup call exists.
 */
struct bpf_map_iter {
	const struct bpf_map *map;
	uint64_t snapshot; /* HASH: the sequence counter at start; seq >= snapshot is never visited */
	uint64_t bound;    /* HASH: the next element of bucket `pos` has seq < bound */
	uint64_t last_seq; /* HASH: seq of the element last returned */
	uint32_t pos;      /* HASH: bucket being walked; ARRAY: next index */
	uint32_t last_pos; /* bucket (HASH) or index (ARRAY) of the element last returned */
	bool have_last;    /* an element was returned and the iteration has not ended */
};

/* Position it before the first element. Never fails. */
void bpf_map_iter_start(struct bpf_map *map, struct bpf_map_iter *it);

/*
 * Advance: copy the next element's key and value into key and value and return 0, or return
 * -ENOENT when the iteration is over (and on every later call).
 */
int bpf_map_iter_next(struct bpf_map *map, struct bpf_map_iter *it, void *key, void *value);

/*
 * Store value into the element bpf_map_iter_next last returned (the callback's writes to its copy
 * of the value). Returns 0, or -ENOENT, storing nothing, if that element has been deleted since
 * (a re-inserted key is a different element) or no element has been returned.
 */
int bpf_map_iter_writeback(struct bpf_map *map, struct bpf_map_iter *it, const void *value);

/*
 * HASH: the number of elements on the longest bucket chain (0 for an ARRAY or an empty map), how
 * well the keyed hash spreads the keys it was given. Takes the lock.
 */
uint32_t bpf_map_longest_chain(struct bpf_map *map);

/*
 * Check the map's invariants (HASH: element count, every element in the bucket its key hashes to,
 * strictly decreasing seq below the counter along each bucket, no duplicate key; ARRAY: every
 * chunk present). Returns NULL, or a message naming the broken invariant. Takes the lock.
 */
const char *bpf_map_check(struct bpf_map *map);

#endif
