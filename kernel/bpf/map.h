/*
 * BPF maps: the generic map object and the one interface every user goes through (the bpf(2)
 * commands, the native-callback system calls in kernel/bpf_syscalls.c, and BPF programs through
 * their helpers). Semantics and error codes are Linux's (kernel/bpf/syscall.c, arraymap.c,
 * hashtab.c); where Kestrel differs it says so here.
 *
 * Structure, as Linux's: this file's map.c owns what every map has (reference count, id, name,
 * map_flags, the frozen state, the user-side permission checks, the copies between a map's values
 * and callers' buffers) and dispatches the rest through the map's struct bpf_map_ops, one table per
 * file: arraymap.c (ARRAY, PERCPU_ARRAY) and hashtab.c (HASH, PERCPU_HASH, LRU_HASH,
 * LRU_PERCPU_HASH, with the LRU list in lru.h). Nothing above this interface branches on the type.
 *
 * Two ways in:
 *   - user space (bpf_map_sys_*): keys and values are kernel buffers the caller has copied from or
 *     will copy to user memory (a spinlock is never held across a user access). Values use the
 *     user-space layout: bpf_map_sys_value_size(map) bytes, which for a per-CPU map is one value
 *     per possible CPU, each rounded up to 8 bytes (Linux's layout). Access is checked against the
 *     fd's mode (BPF_MAP_FMODE_*) and the frozen state, as Linux's map_get_sys_perms.
 *   - BPF programs (bpf_map_lookup_elem and friends): lookups return a pointer to the value in place
 *     (a per-CPU map: this CPU's copy), which the program may read and write until it exits, even
 *     after the element is deleted (see "Lifetime of element memory"). No permission checks: the
 *     verifier enforces BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG at load time.
 *
 * Locking: every function takes the map's spinlock itself; the caller holds no other map's and none
 * of the locks that come after it (lock order: a map's lock, then the RCU queue's and kmem's; the
 * map id table's lock is never held together with a map's). Nothing here sleeps, so the BPF-side
 * calls work with interrupts off. No lock is held across a callback (for_each), so a callback may
 * call back into the same map.
 *
 * Lifetime of element memory: a deleted (or evicted) hash element is handed to call_rcu
 * (kernel/rcu.h) and freed, or returned to its map's free list, only after every read-side section
 * in progress at the delete has ended; with no section in progress it is reused at once. Program
 * runs are read-side sections (the caller of a program wraps the run in rcu_read_lock/unlock), so a
 * value pointer a program got stays valid, with its old contents unless the program writes them,
 * until the program exits. Array slots live as long as the map.
 *
 * Differences from Linux, by design:
 *   - an update of a present key writes the element's value in place (Linux replaces the element
 *     of a non-per-CPU hash map), so a pointer to it sees the new value, and the element keeps its
 *     place in a running iteration;
 *   - LRU maps keep one exact least-recently-used order (see "LRU" in hashtab.c) rather than
 *     Linux's approximation (reference bits, lazily rotated lists, per-CPU free lists); per-CPU
 *     LRU lists (BPF_F_NO_COMMON_LRU) are not supported (EINVAL);
 *   - a preallocated hash map (the default) holds max_entries elements from creation, so inserting
 *     never fails with ENOMEM, except when the only free elements are ones deleted during the
 *     current grace period: then one is allocated outside the pool (and freed, not pooled, when it
 *     goes), which can fail with ENOMEM. Linux instead reuses deleted elements immediately;
 *   - no BTF: no value holds a bpf_spin_lock, so BPF_F_LOCK is always EINVAL (as Linux answers
 *     for a map without one); BPF_F_NUMA_NODE and BPF_F_INNER_MAP are EINVAL;
 *   - BPF_F_MMAPABLE value areas are one physically contiguous block, at most 4 MiB.
 */
#ifndef KERNEL_BPF_MAP_H
#define KERNEL_BPF_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/bpf/exec.h"
#include "kernel/cpu.h"
#include "kernel/spinlock.h"
#include "mm/vm_page.h"
#include "uapi/linux/bpf.h"

/*
 * Shape limits (Kestrel's own), checked at creation. Over a per-field limit is -E2BIG, as Linux
 * answers for a key larger than the BPF stack, a value too large to copy to user space in one
 * piece, or a per-CPU value over PCPU_MIN_UNIT_SIZE (32 KiB). Over the whole-map bound (what the
 * map would allocate) is -ENOMEM, as Linux answers when the map's memory cannot be charged.
 */
#define BPF_MAP_KEY_SIZE_MAX 512u
#define BPF_MAP_VALUE_SIZE_MAX (64u << 10)
#define BPF_MAP_PERCPU_VALUE_SIZE_MAX (32u << 10)
#define BPF_MAP_ENTRIES_MAX (1u << 20)
#define BPF_MAP_MEM_MAX ((uint64_t)64 << 20)

/* How many values a per-CPU map keeps per element: one per possible CPU (Linux's name). */
static inline uint32_t bpf_num_possible_cpus(void)
{
	return cpu_possible_count();
}

/* ---------------------------------------------------------------------------------------------
 * Creation, references, ids, info
 */

struct bpf_map;

/*
 * Create a map from BPF_MAP_CREATE's attributes: map_type, key_size, value_size, max_entries,
 * map_flags, map_name and map_extra are read; the other fields (BTF, inner map, ifindex,
 * numa_node, token) are the syscall layer's to check. Returns 0 and *mapp holding one reference
 * (the caller's), with an id (ids start at 1 and are not reused soon). Errors, in Linux's order:
 *   EINVAL  map_extra not 0; BPF_F_RDONLY with BPF_F_WRONLY; an unknown map_type;
 *   then the type's checks (arraymap.c, hashtab.c): EINVAL for a flag the type does not take
 *   (unknown flags included), BPF_F_RDONLY_PROG with BPF_F_WRONLY_PROG, a zero key_size,
 *   value_size or max_entries, an array key_size other than 4; ENOTSUPP for BPF_F_NO_PREALLOC on
 *   an LRU map; E2BIG and ENOMEM for the limits above;
 *   EINVAL  a bad map_name (bpf_obj_name_copy);
 *   ENOMEM  out of memory; ENOSPC no id left.
 * Arrays start zeroed; hash maps start empty.
 */
int bpf_map_create(const union bpf_attr *attr, struct bpf_map **mapp);

/* Take another reference (an fd, a program using the map, a call in progress). The caller holds one. */
void bpf_map_get(struct bpf_map *map);
/*
 * Drop a reference. The last one removes the map's id and frees it with every element; elements
 * whose freeing waits for a grace period hold a reference each, so that happens after them. May be
 * called from an RCU callback. Takes no map lock.
 */
void bpf_map_put(struct bpf_map *map);

/* BPF_MAP_GET_FD_BY_ID: the map with this id with a reference taken (0), or -ENOENT. */
int bpf_map_get_by_id(uint32_t id, struct bpf_map **mapp);
/* BPF_MAP_GET_NEXT_ID: the smallest map id above start (0 and *next), or -ENOENT. */
int bpf_map_get_next_id(uint32_t start, uint32_t *next);

/*
 * BPF_OBJ_GET_INFO_BY_FD: type, id, key_size, value_size, max_entries, map_flags (without
 * BPF_F_RDONLY/WRONLY, which belong to an fd, as Linux) and name; every other field zero. No lock.
 */
void bpf_map_get_info(const struct bpf_map *map, struct bpf_map_info *info);

/* The map's shape, fixed at creation. No lock. */
uint32_t bpf_map_type(const struct bpf_map *map);
uint32_t bpf_map_id(const struct bpf_map *map);
uint32_t bpf_map_key_size(const struct bpf_map *map);
uint32_t bpf_map_value_size(const struct bpf_map *map);
uint32_t bpf_map_max_entries(const struct bpf_map *map);
uint32_t bpf_map_flags(const struct bpf_map *map);
/* Bytes of a value in the user-space layout: value_size, or per-CPU round_up(value_size, 8) * CPUs. */
uint32_t bpf_map_sys_value_size(const struct bpf_map *map);

/* Whether BPF_MAP_FREEZE was done on the map (it is never undone). No lock. */
bool bpf_map_frozen(const struct bpf_map *map);

/*
 * The kernel address that BPF_PSEUDO_MAP_VALUE constants are offsets from (Linux's
 * map_direct_value_addr): the value of a single-element ARRAY, which lives as long as the map
 * (libbpf's global data); 0 for every other map, whose values a program reaches only through
 * lookups. No lock.
 */
uint64_t bpf_map_direct_value_addr(struct bpf_map *map);

/*
 * Whether a program's bpf_map_lookup_elem(map, &k) is exactly "k < max_entries ? base + k *
 * stride : NULL" for a u32 k, with base, stride and max_entries fixed for the map's life (Linux's
 * map_gen_lookup, which its JIT inlines): true with *base and *stride set for a plain ARRAY (not
 * per-CPU) whose values are one contiguous run; false for every other map. No lock.
 */
bool bpf_map_inline_lookup(struct bpf_map *map, uint64_t *base, uint32_t *stride);

/* Maps alive now (created and not yet freed): leak checks. */
size_t bpf_maps_live(void);

/* ---------------------------------------------------------------------------------------------
 * User space (bpf(2) and the native system calls)
 */

/* What an fd lets its holder do (Linux's FMODE_CAN_READ / FMODE_CAN_WRITE). */
#define BPF_MAP_FMODE_READ 1u
#define BPF_MAP_FMODE_WRITE 2u
#define BPF_MAP_FMODE_RDWR (BPF_MAP_FMODE_READ | BPF_MAP_FMODE_WRITE)

/*
 * The mode of an fd opened with these flags (BPF_MAP_CREATE's map_flags, GET_FD_BY_ID's
 * open_flags): BPF_F_RDONLY gives read only, BPF_F_WRONLY write only, neither both. 0, or -EINVAL
 * for both at once. Other bits are ignored (the caller checks them).
 */
int bpf_map_fmode(uint32_t flags, unsigned *fmode);

/*
 * The checks Linux makes before copying the key in, in its order, so that a syscall layer can
 * make them before its own copies (EFAULT comes after them). cmd is BPF_MAP_LOOKUP_ELEM,
 * BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM, BPF_MAP_GET_NEXT_KEY or
 * BPF_MAP_LOOKUP_AND_DELETE_ELEM; flags is the attr's (0 for the commands without). Returns 0 or:
 *   EINVAL  LOOKUP, LOOKUP_AND_DELETE: a flag other than BPF_F_LOCK;
 *   EPERM   the fd may not read (LOOKUP, GET_NEXT_KEY, LOOKUP_AND_DELETE) or write (UPDATE,
 *           DELETE, LOOKUP_AND_DELETE); a frozen map is not writable from user space;
 *   EINVAL  BPF_F_LOCK (no map value has a bpf_spin_lock); an unknown cmd.
 * Every bpf_map_sys_* call makes these checks itself too. No lock.
 */
int bpf_map_sys_check(const struct bpf_map *map, unsigned fmode, int cmd, uint64_t flags);

/*
 * BPF_MAP_LOOKUP_ELEM: copy key's value (user layout) into value. 0, the errors of
 * bpf_map_sys_check, or -ENOENT (absent; for an array, an index >= max_entries). Does not mark an
 * LRU element used (as Linux's lookup from the syscall).
 */
int bpf_map_sys_lookup(struct bpf_map *map, unsigned fmode, const void *key, void *value,
		       uint64_t flags);

/*
 * BPF_MAP_UPDATE_ELEM: store value (user layout) under key. 0, the errors of bpf_map_sys_check,
 * EPERM if the map was frozen meanwhile, or:
 *   EINVAL  flags other than BPF_ANY, BPF_NOEXIST, BPF_EXIST;
 *   array:  E2BIG index >= max_entries, then EEXIST for BPF_NOEXIST (every slot exists);
 *   hash:   EEXIST for BPF_NOEXIST on a present key, ENOENT for BPF_EXIST on an absent one;
 *           inserting into a full map: E2BIG (HASH, PERCPU_HASH), or evict the least recently
 *           used element (LRU types); ENOMEM (see the differences above).
 * An update of a present key writes in place and, in an LRU map, marks the element used.
 */
int bpf_map_sys_update(struct bpf_map *map, unsigned fmode, const void *key, const void *value,
		       uint64_t flags);

/*
 * BPF_MAP_DELETE_ELEM. 0, the errors of bpf_map_sys_check, EPERM if frozen meanwhile, -ENOENT
 * (hash: absent), or -EINVAL (array: slots cannot be deleted).
 */
int bpf_map_sys_delete(struct bpf_map *map, unsigned fmode, const void *key);

/*
 * BPF_MAP_GET_NEXT_KEY: the key after key in the map's order, into next_key. key NULL, or a key
 * not in the map, gives the first key. 0, the errors of bpf_map_sys_check, or -ENOENT after the
 * last key (or for an empty hash). Array order is index order (an index >= max_entries gives 0);
 * hash order is bucket order, stable while the map does not change, so that a walk from NULL with
 * no concurrent change returns every key once.
 */
int bpf_map_sys_get_next_key(struct bpf_map *map, unsigned fmode, const void *key, void *next_key);

/*
 * BPF_MAP_LOOKUP_AND_DELETE_ELEM: copy key's value (user layout) into value and delete the
 * element, atomically. 0, the errors of bpf_map_sys_check, EPERM if frozen meanwhile, -ENOENT, or
 * -ENOTSUPP for the array types (Linux's answer for maps without it).
 */
int bpf_map_sys_lookup_and_delete(struct bpf_map *map, unsigned fmode, const void *key, void *value,
				  uint64_t flags);

/*
 * BPF_MAP_FREEZE: from now on user space may not change the map (updates and deletes give EPERM,
 * a writable mmap is refused); programs still may, unless BPF_F_RDONLY_PROG. 0, or: EPERM the fd
 * may not write; EBUSY a writable mapping of the map exists, or it is frozen already.
 */
int bpf_map_freeze(struct bpf_map *map, unsigned fmode);

/* ---------------------------------------------------------------------------------------------
 * BPF programs (the helpers). The caller is inside rcu_read_lock() (a program run) for the
 * pointer-returning calls, which assert that a read-side section is in progress.
 */

/*
 * bpf_map_lookup_elem: a pointer to key's value in place (a per-CPU map: this CPU's copy), valid
 * until the caller's read-side section ends, or NULL if absent. Marks an LRU element used.
 */
void *bpf_map_lookup_elem(struct bpf_map *map, const void *key);

/*
 * bpf_map_lookup_percpu_elem: CPU cpu's copy of key's value in a per-CPU map, as above; NULL if
 * absent, if cpu >= bpf_num_possible_cpus(), or if the map is not per-CPU.
 */
void *bpf_map_lookup_percpu_elem(struct bpf_map *map, const void *key, uint32_t cpu);

/*
 * bpf_map_update_elem: store value_size bytes under key (a per-CPU map: into this CPU's copy; a
 * new element's other copies start zeroed). Errors as bpf_map_sys_update after its checks, with
 * BPF_F_LOCK EINVAL; no frozen or permission check.
 */
long bpf_map_update_elem(struct bpf_map *map, const void *key, const void *value, uint64_t flags);

/* bpf_map_delete_elem: 0, -ENOENT (hash: absent) or -EINVAL (array). */
long bpf_map_delete_elem(struct bpf_map *map, const void *key);

/*
 * bpf_for_each_map_elem: run callback_fn((u64)map, (u64)key, (u64)value, (u64)callback_ctx, 0)
 * for the elements in get_next_key order, key pointing at a copy of the key or the key in place
 * (the callback must not write it), value at the value in place (a per-CPU map: this CPU's copy),
 * both valid until the caller's read-side section ends. Stops after a callback that returns
 * nonzero (the verifier lets only 0 and 1 through). Returns the number of callbacks run (the
 * stopping one included), or -EINVAL if flags is not 0.
 *
 * Which elements: an array's every slot in index order. A hash map's elements present at the call,
 * each at most once, except those deleted before their turn; elements inserted during the walk
 * are not visited (a key deleted and inserted again is a new element). The callback may update,
 * insert and delete freely, the element it was given included: no lock is held while it runs, and
 * the walk's cursor names no element (see struct bpf_map_iter). Takes its own read-side section.
 */
long bpf_map_for_each_elem(struct bpf_map *map, bpf_func_t callback_fn, void *callback_ctx,
			   uint64_t flags);

/* A walk passes a preemption point (kernel/preempt.h) after every this many callbacks. */
#define BPF_FOR_EACH_PREEMPT_EVERY 1024u

/* ---------------------------------------------------------------------------------------------
 * The copying iteration of the native for_each system call, whose callback runs in user mode
 * between steps: same elements and order as bpf_map_for_each_elem, with keys and values copied.
 */

/*
 * The cursor. For a hash map it names no element: every element gets a sequence number from a
 * per-map counter when inserted, each bucket is kept in strictly decreasing sequence order, and
 * the cursor is (bucket, bound): the next element is the first of the bucket with seq < bound, and
 * visiting it lowers bound to its seq. bound starts at the counter's value at the start, so later
 * inserts are skipped; elements never change bucket or seq, so a lowered bound never re-admits one
 * visited. Deleting anything between steps leaves the cursor valid.
 *
 * The fields belong to map.c and the map types; the struct is public so that callers can keep it
 * on the stack. The caller holds a reference on the map for the whole iteration; there is no
 * cleanup call.
 */
struct bpf_map_iter {
	const struct bpf_map *map;
	/* hash: the sequence counter at start; seq >= snapshot is never visited */
	uint64_t snapshot;
	uint64_t bound;    /* hash: the next element of bucket `pos` has seq < bound */
	uint64_t last_seq; /* hash: seq of the element last returned */
	uint32_t pos;      /* hash: bucket being walked; array: next index */
	uint32_t last_pos; /* bucket (hash) or index (array) of the element last returned */
	uint32_t key;      /* array: the index last returned, which the key pointer points at */
	bool have_last;    /* an element was returned and the iteration has not ended */
};

/* Position it before the first element. Never fails. */
void bpf_map_iter_start(struct bpf_map *map, struct bpf_map_iter *it);

/*
 * Copy the next element's key and value (value_size bytes; a per-CPU map: this CPU's copy) and
 * return 0, or return -ENOENT when the iteration is over (and on every later call).
 */
int bpf_map_iter_next(struct bpf_map *map, struct bpf_map_iter *it, void *key, void *value);

/*
 * Store value into the element bpf_map_iter_next last returned (a per-CPU map: this CPU's copy).
 * 0, or -ENOENT, storing nothing, if it has been deleted since (a re-inserted key is another
 * element) or nothing was returned.
 */
int bpf_map_iter_writeback(struct bpf_map *map, struct bpf_map_iter *it, const void *value);

/* ---------------------------------------------------------------------------------------------
 * mmap of BPF_F_MMAPABLE arrays (for the mmap code). The value area is the array's values at
 * index * round_up(value_size, 8), zero-padded to whole pages; its pages belong to the map and
 * live until the map is freed, so a mapping holds a map reference (bpf_map_get) for its lifetime.
 */

/* Bytes a mapping may cover (a multiple of PAGE_SIZE), or 0 if the map is not mmapable. No lock. */
uint64_t bpf_map_mmap_size(const struct bpf_map *map);

/*
 * The frames behind pages [first, first + n) of the value area, into pages[0 .. n). 0, or -EINVAL
 * if the map is not mmapable or the range goes past bpf_map_mmap_size. No lock (they never change).
 */
int bpf_map_mmap_pages(struct bpf_map *map, uint64_t first, uint64_t n, vm_page_t *pages);

/*
 * A writable mapping is being made: count it, so that BPF_MAP_FREEZE fails with EBUSY while it
 * exists. 0, or -EPERM if the map is frozen, -EACCES if it is BPF_F_RDONLY_PROG (Linux's answers),
 * -EINVAL if it is not mmapable. Atomic with bpf_map_freeze (both under the map lock).
 */
int bpf_map_mmap_writable_get(struct bpf_map *map);
/* A writable mapping counted by bpf_map_mmap_writable_get is gone. */
void bpf_map_mmap_writable_put(struct bpf_map *map);

/* ---------------------------------------------------------------------------------------------
 * Diagnostics
 */

/*
 * Check the map's invariants (the generic ones below, then the type's: see arraymap.c and
 * hashtab.c). Returns NULL, or a message naming the broken invariant. Takes the lock.
 */
const char *bpf_map_check(struct bpf_map *map);

/* Hash types: the number of elements on the longest bucket chain (0 for other types). Takes the lock. */
uint32_t bpf_map_longest_chain(struct bpf_map *map);

/* ---------------------------------------------------------------------------------------------
 * For the map types (arraymap.c, hashtab.c) only.
 */

/*
 * What every map has. Invariants:
 *   refcnt > 0 while anyone may use the map; id is in the map id table exactly while refcnt > 0;
 *   value_stride = round_up(value_size, 8); value_slots = bpf_num_possible_cpus() at creation for
 *   a per-CPU map, else 1;
 *   frozen and mmap_writable change only under lock, and frozen implies mmap_writable == 0.
 */
struct bpf_map {
	spinlock_t lock;
	const struct bpf_map_ops *ops;
	uint32_t type, key_size, value_size, max_entries;
	uint32_t map_flags;    /* BPF_MAP_CREATE's, without BPF_F_RDONLY/WRONLY */
	uint32_t value_stride; /* distance between per-CPU copies (and between array slots) */
	uint32_t value_slots;  /* copies of the value per element */
	bool percpu;
	bool frozen;
	uint32_t mmap_writable; /* writable mappings of the value area */
	uint32_t id;
	int refcnt; /* atomic */
	char name[BPF_OBJ_NAME_LEN];
};

/*
 * A map type. Every method but alloc_check, alloc and free is called with map->lock held and must
 * not sleep or drop it. "Value base" is the start of an element's value area: value_slots copies
 * of value_stride bytes each; map.c picks a CPU's copy and does every copy in and out.
 */
struct bpf_map_ops {
	/* The type's creation checks, in Linux's order: 0 or -errno. */
	int (*alloc_check)(const union bpf_attr *attr);
	/* The map with its storage (bpf_map_init_from_attr done), or NULL when out of memory. */
	struct bpf_map *(*alloc)(const union bpf_attr *attr);
	/* Free the map and every element (refcnt is 0: no one, no pending callback, uses it). */
	void (*free)(struct bpf_map *map);
	/* key's value base, or NULL. prog: a program's lookup (marks an LRU element used). */
	void *(*lookup)(struct bpf_map *map, const void *key, bool prog);
	/*
	 * Find or make key's element for an update that passed the flag checks (flags is BPF_ANY,
	 * BPF_NOEXIST or BPF_EXIST): 0 with *value its value base and *created whether it is new
	 * (its value is then the caller's to fill), or the errors of bpf_map_sys_update.
	 */
	int (*update)(struct bpf_map *map, const void *key, uint64_t flags, void **value,
		      bool *created);
	/*
	 * Delete key's element: 0 or -ENOENT. NULL: elements cannot be deleted (arrays); such a
	 * map's iter_next and its lookup must then work without the map's lock
	 * (bpf_map_for_each_elem and a program's bpf_map_lookup_elem skip it).
	 */
	int (*delete)(struct bpf_map *map, const void *key);
	/* As bpf_map_sys_get_next_key. */
	int (*get_next_key)(struct bpf_map *map, const void *key, void *next_key);
	/* Set the type's cursor fields (it is zeroed, it->map set); NULL: nothing to set. */
	void (*iter_start)(struct bpf_map *map, struct bpf_map_iter *it);
	/* The next element (key and value base in place, last_* recorded), or -ENOENT. */
	int (*iter_next)(struct bpf_map *map, struct bpf_map_iter *it, const void **key,
			 void **value);
	/* The value base of the element last returned if it is still in the map, else NULL. */
	void *(*iter_current)(struct bpf_map *map, const struct bpf_map_iter *it);
	/*
	 * The walk of bpf_map_for_each_elem (its contract: elements, order, stopping, the return),
	 * flags already checked, called inside the caller's read-side section WITHOUT the map lock:
	 * the type's own loop, so that an element costs no lock and no method call. The callback's
	 * value is the value base + cpu_off (this CPU's copy). NULL: the generic walk by iter_next.
	 */
	long (*for_each)(struct bpf_map *map, bpf_func_t callback_fn, void *callback_ctx,
			 size_t cpu_off);
	/* The type's invariants: NULL or what is broken. */
	const char *(*check)(struct bpf_map *map);
	/* As bpf_map_mmap_pages, range already checked; NULL for types never mmapable. No lock needed. */
	void (*mmap_pages)(struct bpf_map *map, uint64_t first, uint64_t n, vm_page_t *pages);
	/* As bpf_map_longest_chain; NULL: 0. */
	uint32_t (*longest_chain)(struct bpf_map *map);
	/* As bpf_map_direct_value_addr; NULL: 0. No lock needed. */
	uint64_t (*direct_value)(struct bpf_map *map);
	/* As bpf_map_inline_lookup; NULL: false. No lock needed. */
	bool (*inline_lookup)(struct bpf_map *map, uint64_t *base, uint32_t *stride);
};

extern const struct bpf_map_ops bpf_array_ops, bpf_htab_ops;

/* The map_flags about access, which every type takes (Linux's BPF_F_ACCESS_MASK). */
#define BPF_F_ACCESS_MASK (BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG)

/* Programs may not be both read-only and write-only on a map (Linux's bpf_map_flags_access_ok). */
static inline bool bpf_map_flags_access_ok(uint32_t flags)
{
	return (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !=
	       (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
}

/* Fill map's shape fields from attr (called by alloc); percpu: whether the type is per-CPU. */
void bpf_map_init_from_attr(struct bpf_map *map, const union bpf_attr *attr, bool percpu);

/*
 * Storage for nslots fixed-size slots at stable addresses: chunks of at most BPF_AREA_CHUNK_BYTES
 * holding 2^shift slots each (slot i is slot i & (2^shift - 1) of chunk i >> shift), so that no
 * allocation is larger than kmalloc serves well however many slots there are; or, for a mappable
 * area, one zeroed pmm block holding every slot in order (block != NULL, one chunk).
 */
#define BPF_AREA_CHUNK_BYTES (64u << 10)
struct bpf_area {
	uint8_t **chunks;
	uint32_t nchunks, shift, slot_size, nslots;
	vm_page_t block;
};

/* Allocate a's slots (zeroed if zero): 0 or -ENOMEM, with nothing left allocated. */
int bpf_area_alloc(struct bpf_area *a, uint32_t nslots, uint32_t slot_size, bool zero);
/* Allocate a as one zeroed pmm block of at least nslots * slot_size bytes: 0 or -ENOMEM. */
int bpf_area_alloc_block(struct bpf_area *a, uint32_t nslots, uint32_t slot_size);
/* Free what bpf_area_alloc* allocated (nothing if it failed). */
void bpf_area_free(struct bpf_area *a);
/* Bytes the area's allocation takes for these shapes (for the BPF_MAP_MEM_MAX check). */
uint64_t bpf_area_footprint(uint32_t nslots, uint32_t slot_size);
/* Check the area's shape: NULL or what is broken. */
const char *bpf_area_check(const struct bpf_area *a);

/* Slot i (< nslots). */
static inline void *bpf_area_slot(const struct bpf_area *a, uint32_t i)
{
	return a->chunks[i >> a->shift] + (size_t)(i & ((1u << a->shift) - 1)) * a->slot_size;
}

#endif
