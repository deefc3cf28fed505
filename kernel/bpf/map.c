/*
 * The generic BPF map (kernel/bpf/map.h): creation and lifetime, ids, user-side checks, the copies
 * between values and callers' buffers, and the dispatch to the map types' ops.
 */
#include "kernel/bpf/map.h"
#include "kernel/preempt.h"

#include "kernel/bpf/obj.h"
#include "kernel/panic.h"
#include "kernel/rcu.h"
#include "kernel/string.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "uapi/errno.h"

/* The map types: one ops table per file; the syscall layer never looks at the type itself. */
static const struct bpf_map_ops *const map_types[] = {
	[BPF_MAP_TYPE_HASH] = &bpf_htab_ops,        [BPF_MAP_TYPE_ARRAY] = &bpf_array_ops,
	[BPF_MAP_TYPE_PERCPU_HASH] = &bpf_htab_ops, [BPF_MAP_TYPE_PERCPU_ARRAY] = &bpf_array_ops,
	[BPF_MAP_TYPE_LRU_HASH] = &bpf_htab_ops,    [BPF_MAP_TYPE_LRU_PERCPU_HASH] = &bpf_htab_ops,
};

static struct bpf_id_table map_ids = BPF_ID_TABLE_INIT("bpf_map_ids");
static size_t maps_live;

#define ROUND8(x) (((uint64_t)(x) + 7) & ~(uint64_t)7)

/* ---------------------------------------------------------------------------------------------
 * Creation and lifetime
 */

void bpf_map_init_from_attr(struct bpf_map *map, const union bpf_attr *attr, bool percpu)
{
	map->type = attr->map_type;
	map->key_size = attr->key_size;
	map->value_size = attr->value_size;
	map->max_entries = attr->max_entries;
	map->map_flags = attr->map_flags & ~(BPF_F_RDONLY | BPF_F_WRONLY);
	map->value_stride = (uint32_t)ROUND8(attr->value_size);
	map->percpu = percpu;
	map->value_slots = percpu ? bpf_num_possible_cpus() : 1;
}

int bpf_map_fmode(uint32_t flags, unsigned *fmode)
{
	if ((flags & BPF_F_RDONLY) && (flags & BPF_F_WRONLY))
		return -EINVAL;
	*fmode = flags & BPF_F_RDONLY   ? BPF_MAP_FMODE_READ
		 : flags & BPF_F_WRONLY ? BPF_MAP_FMODE_WRITE
					: BPF_MAP_FMODE_RDWR;
	return 0;
}

int bpf_map_create(const union bpf_attr *attr, struct bpf_map **mapp)
{
	unsigned fmode;
	char name[BPF_OBJ_NAME_LEN];

	if (attr->map_extra)
		return -EINVAL;
	int err = bpf_map_fmode(attr->map_flags, &fmode);
	if (err)
		return err;
	if (attr->map_type >= sizeof(map_types) / sizeof(map_types[0]) ||
	    !map_types[attr->map_type])
		return -EINVAL;
	const struct bpf_map_ops *ops = map_types[attr->map_type];
	err = ops->alloc_check(attr);
	if (err)
		return err;
	err = bpf_obj_name_copy(name, attr->map_name);
	if (err)
		return err;

	struct bpf_map *map = ops->alloc(attr);
	if (!map)
		return -ENOMEM;
	spin_init(&map->lock, "bpf_map");
	map->ops = ops;
	map->refcnt = 1;
	memcpy(map->name, name, sizeof(name));
	err = bpf_id_alloc(&map_ids, map, &map->id);
	if (err) {
		ops->free(map);
		return err;
	}
	__atomic_fetch_add(&maps_live, 1, __ATOMIC_RELAXED);
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
	if (old != 1)
		return;
	bpf_id_remove(&map_ids, map->id);
	map->ops->free(map);
	__atomic_fetch_sub(&maps_live, 1, __ATOMIC_RELAXED);
}

/* bpf_id_get's reference: Linux's inc_not_zero, so that a map on its way out is not revived. */
static bool map_get_not_zero(void *obj)
{
	return bpf_ref_get_not_zero(&((struct bpf_map *)obj)->refcnt);
}

/* bpf_id_get without a reference: bpf_map_check's look at the table. */
static bool id_entry_only(void *obj)
{
	(void)obj;
	return true;
}

int bpf_map_get_by_id(uint32_t id, struct bpf_map **mapp)
{
	struct bpf_map *map = bpf_id_get(&map_ids, id, map_get_not_zero);

	if (!map)
		return -ENOENT;
	*mapp = map;
	return 0;
}

int bpf_map_get_next_id(uint32_t start, uint32_t *next)
{
	return bpf_id_next(&map_ids, start, next);
}

void bpf_map_get_info(const struct bpf_map *map, struct bpf_map_info *info)
{
	memset(info, 0, sizeof(*info));
	info->type = map->type;
	info->id = map->id;
	info->key_size = map->key_size;
	info->value_size = map->value_size;
	info->max_entries = map->max_entries;
	info->map_flags = map->map_flags;
	memcpy(info->name, map->name, sizeof(info->name));
}

uint32_t bpf_map_type(const struct bpf_map *map)
{
	return map->type;
}
uint32_t bpf_map_id(const struct bpf_map *map)
{
	return map->id;
}
uint32_t bpf_map_key_size(const struct bpf_map *map)
{
	return map->key_size;
}
uint32_t bpf_map_value_size(const struct bpf_map *map)
{
	return map->value_size;
}
uint32_t bpf_map_max_entries(const struct bpf_map *map)
{
	return map->max_entries;
}
uint32_t bpf_map_flags(const struct bpf_map *map)
{
	return map->map_flags;
}

bool bpf_map_frozen(const struct bpf_map *map)
{
	return __atomic_load_n(&map->frozen, __ATOMIC_RELAXED);
}

uint64_t bpf_map_direct_value_addr(struct bpf_map *map)
{
	return map->ops->direct_value ? map->ops->direct_value(map) : 0;
}

bool bpf_map_inline_lookup(struct bpf_map *map, uint64_t *base, uint32_t *stride)
{
	return map->ops->inline_lookup && map->ops->inline_lookup(map, base, stride);
}

uint32_t bpf_map_sys_value_size(const struct bpf_map *map)
{
	return map->percpu ? map->value_slots * map->value_stride : map->value_size;
}

size_t bpf_maps_live(void)
{
	return __atomic_load_n(&maps_live, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------------------------------------
 * Values: a CPU's copy inside a value base, and the flag check every update makes.
 */

static void *cpu_value(const struct bpf_map *map, void *base, unsigned cpu)
{
	return (uint8_t *)base + (size_t)cpu * map->value_stride;
}

static void *this_cpu_value(const struct bpf_map *map, void *base)
{
	return map->percpu ? cpu_value(map, base, cpu_this_id()) : base;
}

/* Linux's update flags: BPF_F_LOCK needs a bpf_spin_lock in the value, which no map has here. */
static int update_flags_check(uint64_t flags)
{
	return (flags & BPF_F_LOCK) || flags > BPF_EXIST ? -EINVAL : 0;
}

/* ---------------------------------------------------------------------------------------------
 * User space
 */

/* What each command needs of the fd, and whether it rejects flags other than BPF_F_LOCK up front. */
static const struct {
	uint8_t needs;
	bool lock_flag_only;
} sys_cmds[] = {
	[BPF_MAP_LOOKUP_ELEM] = {BPF_MAP_FMODE_READ, true},
	[BPF_MAP_UPDATE_ELEM] = {BPF_MAP_FMODE_WRITE, false},
	[BPF_MAP_DELETE_ELEM] = {BPF_MAP_FMODE_WRITE, false},
	[BPF_MAP_GET_NEXT_KEY] = {BPF_MAP_FMODE_READ, false},
	[BPF_MAP_LOOKUP_AND_DELETE_ELEM] = {BPF_MAP_FMODE_RDWR, true},
};

int bpf_map_sys_check(const struct bpf_map *map, unsigned fmode, int cmd, uint64_t flags)
{
	if (cmd < 0 || (size_t)cmd >= sizeof(sys_cmds) / sizeof(sys_cmds[0]) ||
	    !sys_cmds[cmd].needs)
		return -EINVAL;
	if (sys_cmds[cmd].lock_flag_only && (flags & ~(uint64_t)BPF_F_LOCK))
		return -EINVAL;
	/* Linux's map_get_sys_perms: a frozen map is read-only whatever the fd says. */
	if (__atomic_load_n(&map->frozen, __ATOMIC_RELAXED))
		fmode &= ~BPF_MAP_FMODE_WRITE;
	if ((fmode & sys_cmds[cmd].needs) != sys_cmds[cmd].needs)
		return -EPERM;
	if (flags & BPF_F_LOCK)
		return -EINVAL;
	return 0;
}

int bpf_map_sys_lookup(struct bpf_map *map, unsigned fmode, const void *key, void *value,
		       uint64_t flags)
{
	int err = bpf_map_sys_check(map, fmode, BPF_MAP_LOOKUP_ELEM, flags);

	if (err)
		return err;
	spin_lock(&map->lock);
	void *base = map->ops->lookup(map, key, false);
	if (base)
		memcpy(value, base, bpf_map_sys_value_size(map));
	spin_unlock(&map->lock);
	return base ? 0 : -ENOENT;
}

int bpf_map_sys_update(struct bpf_map *map, unsigned fmode, const void *key, const void *value,
		       uint64_t flags)
{
	int err = bpf_map_sys_check(map, fmode, BPF_MAP_UPDATE_ELEM, flags);

	if (!err)
		err = update_flags_check(flags);
	if (err)
		return err;
	void *base;
	bool created;
	spin_lock(&map->lock);
	err = map->frozen ? -EPERM : map->ops->update(map, key, flags, &base, &created);
	if (!err)
		memcpy(base, value, bpf_map_sys_value_size(map));
	spin_unlock(&map->lock);
	rcu_poll();
	return err;
}

/* Delete under the lock; a frozen map refuses when from user space. */
static int delete_locked(struct bpf_map *map, const void *key, bool user)
{
	if (user && map->frozen)
		return -EPERM;
	return map->ops->delete ? map->ops->delete (map, key) : -EINVAL;
}

int bpf_map_sys_delete(struct bpf_map *map, unsigned fmode, const void *key)
{
	int err = bpf_map_sys_check(map, fmode, BPF_MAP_DELETE_ELEM, 0);

	if (err)
		return err;
	spin_lock(&map->lock);
	err = delete_locked(map, key, true);
	spin_unlock(&map->lock);
	rcu_poll();
	return err;
}

int bpf_map_sys_get_next_key(struct bpf_map *map, unsigned fmode, const void *key, void *next_key)
{
	int err = bpf_map_sys_check(map, fmode, BPF_MAP_GET_NEXT_KEY, 0);

	if (err)
		return err;
	spin_lock(&map->lock);
	err = map->ops->get_next_key(map, key, next_key);
	spin_unlock(&map->lock);
	return err;
}

int bpf_map_sys_lookup_and_delete(struct bpf_map *map, unsigned fmode, const void *key, void *value,
				  uint64_t flags)
{
	int err = bpf_map_sys_check(map, fmode, BPF_MAP_LOOKUP_AND_DELETE_ELEM, flags);

	if (err)
		return err;
	if (!map->ops->delete)
		return -ENOTSUPP;
	void *base;
	spin_lock(&map->lock);
	if (map->frozen) {
		err = -EPERM;
	} else if (!(base = map->ops->lookup(map, key, false))) {
		err = -ENOENT;
	} else {
		memcpy(value, base, bpf_map_sys_value_size(map));
		err = map->ops->delete (map, key);
	}
	spin_unlock(&map->lock);
	rcu_poll();
	return err;
}

int bpf_map_freeze(struct bpf_map *map, unsigned fmode)
{
	int err = 0;

	if (!(fmode & BPF_MAP_FMODE_WRITE))
		return -EPERM;
	spin_lock(&map->lock);
	if (map->mmap_writable || map->frozen)
		err = -EBUSY;
	else
		__atomic_store_n(&map->frozen, true, __ATOMIC_RELAXED);
	spin_unlock(&map->lock);
	return err;
}

/* ---------------------------------------------------------------------------------------------
 * BPF programs
 */

/* key's value base for a program, under the lock (the pointer outlives it: see map.h). */
static void *prog_lookup(struct bpf_map *map, const void *key)
{
	KASSERT(rcu_read_active(), "bpf map %u: in-place lookup outside a read-side section",
		map->id);
	/* Elements that are never deleted never move either: their lookup needs no lock (map.h). */
	if (!map->ops->delete)
		return map->ops->lookup(map, key, true);
	spin_lock(&map->lock);
	void *base = map->ops->lookup(map, key, true);
	spin_unlock(&map->lock);
	return base;
}

void *bpf_map_lookup_elem(struct bpf_map *map, const void *key)
{
	void *base = prog_lookup(map, key);

	return base ? this_cpu_value(map, base) : NULL;
}

void *bpf_map_lookup_percpu_elem(struct bpf_map *map, const void *key, uint32_t cpu)
{
	if (!map->percpu || cpu >= map->value_slots)
		return NULL;
	void *base = prog_lookup(map, key);
	return base ? cpu_value(map, base, cpu) : NULL;
}

long bpf_map_update_elem(struct bpf_map *map, const void *key, const void *value, uint64_t flags)
{
	int err = update_flags_check(flags);

	if (err)
		return err;
	void *base;
	bool created;
	spin_lock(&map->lock);
	err = map->ops->update(map, key, flags, &base, &created);
	if (!err) {
		if (map->percpu && created)
			memset(base, 0, (size_t)map->value_slots * map->value_stride);
		/* memmove: a program may pass the element's own value (from a lookup) as value. */
		memmove(this_cpu_value(map, base), value, map->value_size);
	}
	spin_unlock(&map->lock);
	rcu_poll();
	return err;
}

long bpf_map_delete_elem(struct bpf_map *map, const void *key)
{
	spin_lock(&map->lock);
	int err = delete_locked(map, key, false);
	spin_unlock(&map->lock);
	rcu_poll();
	return err;
}

/* The next element's key and value base: iter_next with the end recorded. Lock held. */
static int iter_next_locked(struct bpf_map *map, struct bpf_map_iter *it, const void **key,
			    void **base)
{
	KASSERT(it->map == map, "bpf map iterator of map %p used on map %p", (const void *)it->map,
		(void *)map);
	int err = map->ops->iter_next(map, it, key, base);
	it->have_last = err == 0;
	return err;
}

long bpf_map_for_each_elem(struct bpf_map *map, bpf_func_t callback_fn, void *callback_ctx,
			   uint64_t flags)
{
	struct bpf_map_iter it;
	const void *key;
	void *base;
	long n = 0;

	if (flags)
		return -EINVAL;
	if (map->ops->for_each) {
		int rcu = rcu_read_lock();
		n = map->ops->for_each(map, callback_fn, callback_ctx,
				       (size_t)(map->percpu ? cpu_this_id() : 0) *
					       map->value_stride);
		rcu_read_unlock(rcu);
		return n;
	}
	/* A map whose elements cannot be deleted (arrays) never moves or frees a slot: no lock. */
	bool lock = map->ops->delete != NULL;
	int rcu = rcu_read_lock();
	bpf_map_iter_start(map, &it);
	for (;;) {
		if (lock)
			spin_lock(&map->lock);
		int err = iter_next_locked(map, &it, &key, &base);
		if (lock)
			spin_unlock(&map->lock);
		if (err)
			break;
		n++;
		if (callback_fn((uint64_t)(uintptr_t)map, (uint64_t)(uintptr_t)key,
				(uint64_t)(uintptr_t)this_cpu_value(map, base),
				(uint64_t)(uintptr_t)callback_ctx, 0))
			break;
	}
	rcu_read_unlock(rcu);
	return n;
}

/* ---------------------------------------------------------------------------------------------
 * The copying iteration
 */

void bpf_map_iter_start(struct bpf_map *map, struct bpf_map_iter *it)
{
	memset(it, 0, sizeof(*it));
	it->map = map;
	if (map->ops->iter_start) {
		spin_lock(&map->lock);
		map->ops->iter_start(map, it);
		spin_unlock(&map->lock);
	}
}

int bpf_map_iter_next(struct bpf_map *map, struct bpf_map_iter *it, void *key, void *value)
{
	const void *k;
	void *base;
	spin_lock(&map->lock);
	int err = iter_next_locked(map, it, &k, &base);
	if (!err) {
		memcpy(key, k, map->key_size);
		memcpy(value, this_cpu_value(map, base), map->value_size);
	}
	spin_unlock(&map->lock);
	return err;
}

int bpf_map_iter_writeback(struct bpf_map *map, struct bpf_map_iter *it, const void *value)
{
	KASSERT(it->map == map, "bpf map iterator of map %p used on map %p", (const void *)it->map,
		(void *)map);
	if (!it->have_last)
		return -ENOENT;
	spin_lock(&map->lock);
	void *base = map->ops->iter_current(map, it);
	if (base)
		memcpy(this_cpu_value(map, base), value, map->value_size);
	spin_unlock(&map->lock);
	return base ? 0 : -ENOENT;
}

/* ---------------------------------------------------------------------------------------------
 * mmap
 */

uint64_t bpf_map_mmap_size(const struct bpf_map *map)
{
	if (!(map->map_flags & BPF_F_MMAPABLE))
		return 0;
	return round_page((uint64_t)map->max_entries * map->value_stride);
}

int bpf_map_mmap_pages(struct bpf_map *map, uint64_t first, uint64_t n, vm_page_t *pages)
{
	uint64_t limit = bpf_map_mmap_size(map) >> PAGE_SHIFT;

	if (first > limit || n > limit - first)
		return -EINVAL;
	if (n)
		map->ops->mmap_pages(map, first, n, pages);
	return 0;
}

int bpf_map_mmap_writable_get(struct bpf_map *map)
{
	int err = 0;

	if (!(map->map_flags & BPF_F_MMAPABLE))
		return -EINVAL;
	spin_lock(&map->lock);
	if (map->frozen)
		err = -EPERM;
	else if (map->map_flags & BPF_F_RDONLY_PROG)
		err = -EACCES;
	else
		map->mmap_writable++;
	spin_unlock(&map->lock);
	return err;
}

void bpf_map_mmap_writable_put(struct bpf_map *map)
{
	spin_lock(&map->lock);
	KASSERT(map->mmap_writable > 0, "bpf map %u: writable mapping count underflow", map->id);
	map->mmap_writable--;
	spin_unlock(&map->lock);
}

/* ---------------------------------------------------------------------------------------------
 * Diagnostics
 */

const char *bpf_map_check(struct bpf_map *map)
{
	const char *why = NULL;

	if (__atomic_load_n(&map->refcnt, __ATOMIC_RELAXED) <= 0)
		return "map in use with no reference";
	if (map->value_stride != ROUND8(map->value_size))
		return "value stride is not the value size rounded up to 8";
	if (map->value_slots != (map->percpu ? bpf_num_possible_cpus() : 1))
		return "value copies are not one per possible CPU (per-CPU map) or one";
	spin_lock(&map->lock);
	if (map->frozen && map->mmap_writable)
		why = "frozen with a writable mapping";
	else if (map->mmap_writable && !(map->map_flags & BPF_F_MMAPABLE))
		why = "writable mapping of a map that is not mmapable";
	else
		why = map->ops->check(map);
	spin_unlock(&map->lock);
	if (!why && bpf_id_get(&map_ids, map->id, id_entry_only) != map)
		why = "map not found under its id";
	return why;
}

uint32_t bpf_map_longest_chain(struct bpf_map *map)
{
	if (!map->ops->longest_chain)
		return 0;
	spin_lock(&map->lock);
	uint32_t n = map->ops->longest_chain(map);
	spin_unlock(&map->lock);
	return n;
}

/* ---------------------------------------------------------------------------------------------
 * Areas
 */

/* Slots per chunk: the largest power of two whose slots fit in a chunk (at least 1), no more than needed. */
static uint32_t area_shift(uint32_t nslots, uint32_t slot_size)
{
	uint32_t shift = 0;

	while (((uint64_t)slot_size << (shift + 1)) <= BPF_AREA_CHUNK_BYTES &&
	       (1u << shift) < nslots)
		shift++;
	return shift;
}

uint64_t bpf_area_footprint(uint32_t nslots, uint32_t slot_size)
{
	uint32_t shift = area_shift(nslots, slot_size);
	uint64_t nchunks = ((uint64_t)nslots + (1u << shift) - 1) >> shift;

	return (uint64_t)nslots * slot_size + nchunks * sizeof(uint8_t *);
}

int bpf_area_alloc(struct bpf_area *a, uint32_t nslots, uint32_t slot_size, bool zero)
{
	uint32_t shift = area_shift(nslots, slot_size), per = 1u << shift;

	memset(a, 0, sizeof(*a));
	a->shift = shift;
	a->slot_size = slot_size;
	a->nslots = nslots;
	a->nchunks = (uint32_t)(((uint64_t)nslots + per - 1) >> shift);
	a->chunks = kzalloc((size_t)a->nchunks * sizeof(uint8_t *));
	if (!a->chunks)
		return -ENOMEM;
	for (uint32_t c = 0; c < a->nchunks; c++) {
		/* Up to 64 MiB to zero: let others run every 16 chunks (issue 14's starving creator). */
		if ((c & 15) == 15)
			preempt_point();
		uint32_t slots = c + 1 < a->nchunks ? per : nslots - c * per;
		size_t bytes = (size_t)slots * slot_size;
		a->chunks[c] = zero ? kzalloc(bytes) : kmalloc(bytes);
		if (!a->chunks[c]) {
			bpf_area_free(a);
			return -ENOMEM;
		}
	}
	return 0;
}

int bpf_area_alloc_block(struct bpf_area *a, uint32_t nslots, uint32_t slot_size)
{
	uint64_t pages = round_page((uint64_t)nslots * slot_size) >> PAGE_SHIFT;
	unsigned order = 0;

	memset(a, 0, sizeof(*a));
	while (((uint64_t)1 << order) < pages)
		order++;
	if (order > PMM_MAX_ORDER)
		return -ENOMEM;
	a->chunks = kzalloc(sizeof(uint8_t *));
	if (!a->chunks)
		return -ENOMEM;
	a->block = pmm_alloc_order(order, PMM_ZERO);
	if (!a->block) {
		kfree(a->chunks);
		a->chunks = NULL;
		return -ENOMEM;
	}
	a->chunks[0] = phys_to_virt(vm_page_to_phys(a->block));
	a->nchunks = 1;
	a->shift = 31;
	a->slot_size = slot_size;
	a->nslots = nslots;
	return 0;
}

void bpf_area_free(struct bpf_area *a)
{
	if (!a->chunks)
		return;
	if (a->block)
		pmm_free(a->block);
	else
		for (uint32_t c = 0; c < a->nchunks; c++) {
			if ((c & 15) == 15)
				preempt_point();
			kfree(a->chunks[c]);
		}
	kfree(a->chunks);
	a->chunks = NULL;
}

const char *bpf_area_check(const struct bpf_area *a)
{
	if (!a->chunks || a->nchunks == 0)
		return "area not allocated";
	if (((uint64_t)a->nchunks << a->shift) < a->nslots)
		return "area chunks do not cover its slots";
	if (a->block &&
	    (a->nchunks != 1 || a->chunks[0] != phys_to_virt(vm_page_to_phys(a->block))))
		return "block area is not its block";
	for (uint32_t c = 0; c < a->nchunks; c++)
		if (!a->chunks[c])
			return "area chunk missing";
	return NULL;
}
