/*
 * BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (kernel/bpf/map.h for the contracts).
 *
 * Keys are host-endian uint32_t indexes; max_entries slots exist from creation, zeroed, and are
 * never deleted. Slot i holds the value base of element i: value_slots copies of value_stride
 * bytes (one per possible CPU for PERCPU_ARRAY). The slots live in a struct bpf_area, chunked; a
 * BPF_F_MMAPABLE array's live in one zeroed pmm block instead, in index order from its first
 * byte, which is exactly the value area user space maps.
 *
 * Invariants (map lock held): values is allocated with max_entries slots of
 * value_slots * value_stride bytes; values.block is set exactly for a BPF_F_MMAPABLE map.
 */
#include "kernel/bpf/map.h"

#include <machine/nospec.h>
#include "kernel/preempt.h"
#include "kernel/string.h"
#include "mm/kmem.h"
#include "mm/pmm.h"
#include "uapi/errno.h"

struct bpf_array {
	struct bpf_map map; /* first: the ops get back to the struct by a cast */
	struct bpf_area values;
};

static struct bpf_array *to_array(struct bpf_map *map)
{
	return (struct bpf_array *)map;
}

static bool array_percpu(const union bpf_attr *attr)
{
	return attr->map_type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

/* Linux's array_map_alloc_check, then Kestrel's size limits. */
static int array_alloc_check(const union bpf_attr *attr)
{
	bool percpu = array_percpu(attr);
	uint32_t allowed = BPF_F_ACCESS_MASK | (percpu ? 0 : BPF_F_MMAPABLE);

	if (attr->max_entries == 0 || attr->key_size != 4 || attr->value_size == 0 ||
	    (attr->map_flags & ~allowed) || !bpf_map_flags_access_ok(attr->map_flags))
		return -EINVAL;
	if (attr->value_size > BPF_MAP_VALUE_SIZE_MAX || attr->max_entries > BPF_MAP_ENTRIES_MAX)
		return -E2BIG;
	uint32_t stride = (attr->value_size + 7) & ~7u;
	if (percpu && stride > BPF_MAP_PERCPU_VALUE_SIZE_MAX)
		return -E2BIG;
	uint32_t slot = stride * (percpu ? bpf_num_possible_cpus() : 1);
	if (bpf_area_footprint(attr->max_entries, slot) > BPF_MAP_MEM_MAX)
		return -ENOMEM;
	/* The mappable area is one pmm block: PAGE_SIZE << PMM_MAX_ORDER at most. */
	if ((attr->map_flags & BPF_F_MMAPABLE) &&
	    (uint64_t)attr->max_entries * stride > (PAGE_SIZE << PMM_MAX_ORDER))
		return -ENOMEM;
	return 0;
}

static struct bpf_map *array_alloc(const union bpf_attr *attr)
{
	struct bpf_array *a = kzalloc(sizeof(*a));

	if (!a)
		return NULL;
	bpf_map_init_from_attr(&a->map, attr, array_percpu(attr));
	uint32_t slot = a->map.value_slots * a->map.value_stride;
	int err = attr->map_flags & BPF_F_MMAPABLE
			  ? bpf_area_alloc_block(&a->values, attr->max_entries, slot)
			  : bpf_area_alloc(&a->values, attr->max_entries, slot, true);
	if (err) {
		kfree(a);
		return NULL;
	}
	return &a->map;
}

static void array_free(struct bpf_map *map)
{
	bpf_area_free(&to_array(map)->values);
	kfree(map);
}

static uint32_t array_index(const void *key)
{
	uint32_t i;
	memcpy(&i, key, sizeof(i));
	return i;
}

/*
 * A program's index is checked, then clamped without a branch (machine/nospec.h), as Linux's
 * array maps do: a mispredicted check must not load past the array.
 */
static void *array_lookup(struct bpf_map *map, const void *key, bool prog)
{
	(void)prog;
	uint32_t i = array_index(key);
	if (i >= map->max_entries)
		return NULL;
	return bpf_area_slot(&to_array(map)->values, array_index_nospec(i, map->max_entries));
}

static int array_update(struct bpf_map *map, const void *key, uint64_t flags, void **value,
			bool *created)
{
	uint32_t i = array_index(key);

	/* Linux checks the index before BPF_NOEXIST. */
	if (i >= map->max_entries)
		return -E2BIG;
	if (flags == BPF_NOEXIST)
		return -EEXIST;
	*value = bpf_area_slot(&to_array(map)->values, array_index_nospec(i, map->max_entries));
	*created = false;
	return 0;
}

static int array_get_next_key(struct bpf_map *map, const void *key, void *next_key)
{
	uint32_t i = key ? array_index(key) : UINT32_MAX;

	if (i >= map->max_entries)
		i = 0;
	else if (i == map->max_entries - 1)
		return -ENOENT;
	else
		i++;
	memcpy(next_key, &i, sizeof(i));
	return 0;
}

static int array_iter_next(struct bpf_map *map, struct bpf_map_iter *it, const void **key,
			   void **value)
{
	if (it->pos >= map->max_entries)
		return -ENOENT;
	it->key = it->last_pos = it->pos++;
	*key = &it->key;
	*value = bpf_area_slot(&to_array(map)->values, it->last_pos);
	return 0;
}

/* Slot by slot, chunk by chunk: no element is ever freed or moved, so nothing is locked. */
static long array_for_each(struct bpf_map *map, bpf_func_t callback_fn, void *callback_ctx,
			   size_t cpu_off)
{
	const struct bpf_area *a = &to_array(map)->values;
	uint32_t per_chunk = 1u << a->shift, key = 0;
	long n = 0;

	for (uint32_t c = 0; c < a->nchunks; c++) {
		uint8_t *value = a->chunks[c] + cpu_off;
		uint32_t end =
			key + per_chunk < map->max_entries ? key + per_chunk : map->max_entries;
		for (uint32_t i = key; i < end; i++, value += a->slot_size) {
			key = i; /* the callback gets its address: a fresh copy each time */
			n++;
			if (callback_fn((uint64_t)(uintptr_t)map, (uint64_t)(uintptr_t)&key,
					(uint64_t)(uintptr_t)value,
					(uint64_t)(uintptr_t)callback_ctx, 0))
				return n;
			if (!(n & (BPF_FOR_EACH_PREEMPT_EVERY - 1)))
				preempt_point();
		}
		key = end;
	}
	return n;
}

static void *array_iter_current(struct bpf_map *map, const struct bpf_map_iter *it)
{
	return bpf_area_slot(&to_array(map)->values, it->last_pos);
}

static const char *array_check(struct bpf_map *map)
{
	const struct bpf_area *v = &to_array(map)->values;
	const char *why = bpf_area_check(v);

	if (why)
		return why;
	if (v->nslots != map->max_entries || v->slot_size != map->value_slots * map->value_stride)
		return "array area not max_entries slots of the value base's size";
	if (!v->block != !(map->map_flags & BPF_F_MMAPABLE))
		return "array area is a pmm block exactly when mmapable: not so";
	return NULL;
}

static void array_mmap_pages(struct bpf_map *map, uint64_t first, uint64_t n, vm_page_t *pages)
{
	vm_paddr_t base = vm_page_to_phys(to_array(map)->values.block);

	for (uint64_t i = 0; i < n; i++)
		pages[i] = phys_to_vm_page(base + ((first + i) << PAGE_SHIFT));
}

/* Linux gives direct value access to single-element arrays only (not per-CPU ones). */
static uint64_t array_direct_value(struct bpf_map *map)
{
	if (map->percpu || map->max_entries != 1)
		return 0;
	return (uint64_t)(uintptr_t)bpf_area_slot(&to_array(map)->values, 0);
}

/* One chunk (or the mmapable block): the slots are one run from chunks[0], i.e. slot i is at
   chunks[0] + i * slot_size for every i < max_entries. */
static bool array_inline_lookup(struct bpf_map *map, uint64_t *base, uint32_t *stride)
{
	const struct bpf_area *a = &to_array(map)->values;

	if (map->percpu || a->nchunks != 1)
		return false;
	*base = (uint64_t)(uintptr_t)a->chunks[0];
	*stride = a->slot_size;
	return true;
}

const struct bpf_map_ops bpf_array_ops = {
	.alloc_check = array_alloc_check,
	.alloc = array_alloc,
	.free = array_free,
	.lookup = array_lookup,
	.update = array_update,
	.get_next_key = array_get_next_key,
	.iter_next = array_iter_next,
	.iter_current = array_iter_current,
	.for_each = array_for_each,
	.check = array_check,
	.mmap_pages = array_mmap_pages,
	.direct_value = array_direct_value,
	.inline_lookup = array_inline_lookup,
};
