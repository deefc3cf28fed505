/* mmap of BPF map fds: the value area as an OBJT_SG vm_object (contract in kernel/bpf/map_mmap.h). */
#include "kernel/bpf/map_mmap.h"

#include "kernel/bpf/map.h"
#include "kernel/panic.h"
#include "mm/kmem.h"
#include "mm/vm_map.h"
#include "uapi/errno.h"
#include "uapi/mman.h"

/* Release hooks: what the object of a mapping holds on its map (map_mmap.h), given back. */
static void release_mapping(void *map)
{
	bpf_map_put(map);
}

static void release_writable_mapping(void *map)
{
	bpf_map_mmap_writable_put(map);
	bpf_map_put(map);
}

/*
 * The write checks of Linux's bpf_map_mmap, which come before array_map_mmap's refusal of an array
 * without a value area: EPERM frozen, EACCES BPF_F_RDONLY_PROG, then EINVAL. frozen is read without
 * the lock: a freeze racing with this call may land on either side of it.
 */
static int not_mmapable(const struct bpf_map *map, bool write)
{
	if (write && __atomic_load_n(&map->frozen, __ATOMIC_RELAXED))
		return -EPERM;
	if (write && (bpf_map_flags(map) & BPF_F_RDONLY_PROG))
		return -EACCES;
	return -EINVAL;
}

/* The object over map's whole value area of size bytes, holding what release drops. NULL: ENOMEM. */
static struct vm_object *area_object(struct bpf_map *map, uint64_t size, void (*release)(void *))
{
	uint64_t npages = size >> PAGE_SHIFT;
	vm_page_t *pages = kmalloc(npages * sizeof(*pages));

	if (!pages)
		return NULL;
	int err = bpf_map_mmap_pages(map, 0, npages, pages);
	KASSERT(err == 0, "bpf map %u: value area of %llu pages not mappable: %d", bpf_map_id(map),
		(unsigned long long)npages, err);
	bpf_map_get(map);
	struct vm_object *object = vm_object_allocate_sg(pages, npages, release, map);
	if (!object) {
		bpf_map_put(map);
		kfree(pages);
	}
	return object;
}

int bpf_map_mmap_object(struct bpf_map *map, unsigned fmode, uint64_t off, uint64_t len,
			vm_prot_t prot, int flags, struct vm_object **objp, vm_prot_t *maxp)
{
	bool write = prot & VM_PROT_WRITE, shared = flags & MAP_SHARED;
	uint64_t size = bpf_map_mmap_size(map);

	if (shared && write && !(fmode & BPF_MAP_FMODE_WRITE))
		return -EACCES;
	if (!(fmode & BPF_MAP_FMODE_READ))
		return -EACCES;
	/* Of Kestrel's types only ARRAY has a map_mmap method in Linux; the others are ENOTSUPP. */
	if (bpf_map_type(map) != BPF_MAP_TYPE_ARRAY)
		return -ENOTSUPP;
	if (!shared || !(fmode & BPF_MAP_FMODE_WRITE))
		return -EINVAL;
	if (!size)
		return not_mmapable(map, write);
	int err = write ? bpf_map_mmap_writable_get(map) : 0;
	if (err)
		return err;
	struct vm_object *object = NULL;
	if (off > size || len > size - off)
		err = -EINVAL;
	else if (!(object = area_object(map, size,
					write ? release_writable_mapping : release_mapping)))
		err = -ENOMEM;
	if (err) {
		if (write)
			bpf_map_mmap_writable_put(map);
		return err;
	}
	*objp = object;
	*maxp = VM_PROT_READ | prot;
	return 0;
}
