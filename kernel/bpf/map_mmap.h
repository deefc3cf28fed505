/*
 * mmap of a BPF map fd: a BPF_F_MMAPABLE array's value area shown in a task's address space,
 * shared with the map (what Linux's bpf_map_mmap and array_map_mmap do, and how libbpf skeletons
 * reach global variables). A store through the mapping is what a lookup returns next, and an update
 * is what the mapping shows next: both are the same frames.
 *
 * A mapping is an OBJT_SG vm_object (mm/vm_object.h) over the whole value area's frames, which the
 * map owns; the mapping shows the object's bytes [off, off + len), so a map entry's offset is the
 * mmap offset (Linux's vm_pgoff). The object holds, through its release hook, what the mapping
 * needs of the map: a map reference, so that the frames live as long as the map or any mapping
 * does; and, for a mapping made with PROT_WRITE, a count in the map's writable mappings, so that
 * BPF_MAP_FREEZE fails with EBUSY while it exists. Both go when the object does, that is when the
 * last map entry made from it goes: splitting an entry (munmap of part, mprotect of part) only
 * shares the object, so the count stays one per mmap call, as Linux's count of writable mappings.
 * Like Linux, Kestrel keeps counting a writable mapping that mprotect made read-only.
 */
#ifndef KERNEL_BPF_MAP_MMAP_H
#define KERNEL_BPF_MAP_MMAP_H

#include <stdint.h>

#include "mm/types.h"

struct bpf_map;
struct vm_object;

/*
 * The object for mmap(addr, len, prot, flags, map_fd, off) of map through an fd of mode fmode
 * (BPF_MAP_FMODE_*): off and len page aligned, len > 0 and off + len not wrapping (the mmap system
 * call checked them), prot PROT_* bits, flags mmap's. Returns 0 with *objp, a new object reference
 * the caller owns, to map at object offset off, and *maxp, the mapping's max_protection:
 * VM_PROT_READ | prot, so that a mapping made without PROT_WRITE can never be made writable
 * (Linux clears VM_MAYWRITE) and one without PROT_EXEC never executable (Linux clears VM_MAYEXEC).
 * Errors, in Linux's order (do_mmap's checks of the file, then bpf_map_mmap's, then
 * array_map_mmap's):
 *   EACCES    MAP_SHARED with PROT_WRITE and an fd that may not write;
 *   EACCES    an fd that may not read;
 *   ENOTSUPP  a map type that is never mmapable (every type but BPF_MAP_TYPE_ARRAY);
 *   EINVAL    not MAP_SHARED (no private mappings of a map: Linux refuses them whatever prot), or
 *             an fd that may not write (Linux maps a read-only fd's MAP_SHARED as not shared);
 *   EPERM     PROT_WRITE and the map is frozen;
 *   EACCES    PROT_WRITE and the map is BPF_F_RDONLY_PROG;
 *   EINVAL    an array without BPF_F_MMAPABLE;
 *   EINVAL    off + len beyond the value area (bpf_map_mmap_size);
 *   ENOMEM    out of memory.
 * A PROT_WRITE mapping is counted atomically with BPF_MAP_FREEZE (bpf_map_mmap_writable_get). No
 * lock held by the caller; takes the map's lock.
 */
int bpf_map_mmap_object(struct bpf_map *map, unsigned fmode, uint64_t off, uint64_t len,
			vm_prot_t prot, int flags, struct vm_object **objp, vm_prot_t *maxp);

#endif
