/*
 * Address-space statistics and the map listing (shared by the kernel and user/).
 *
 * SYS_vm_stat(int pid, struct vm_stat *out) -> 0
 * SYS_vm_map_list(int pid, struct vm_map_ent *out, size_t max, uint64_t from) -> count
 *
 * pid 0 means the caller. Both take one consistent snapshot of the target's map (the map lock held
 * for read while it is taken) and copy it out afterwards. vm_map_list stores up to max entries
 * whose end is above `from`, in ascending address order, and returns how many it stored; a caller
 * lists a whole map by passing the end of the last entry it got as the next `from` until a call
 * returns 0. max == 0 returns 0. A call stores at most 256 entries, so fewer than max does not mean
 * the end: only 0 does. Any user task may be inspected (Kestrel has no credentials).
 *
 * Errors (negated): ESRCH no task has that pid; EPERM the pid is a kernel thread; ENOENT the task
 * has no address space (it has exited, or it is not set up yet); EBUSY the target's map lock could
 * not be taken without sleeping behind a writer (SYS_task_lock_map, or the caller's own callback
 * running under that lock); EFAULT `out` is not writable user memory; ENOMEM (vm_map_list) no
 * kernel memory for the snapshot.
 */
#ifndef UAPI_VM_STAT_H
#define UAPI_VM_STAT_H

#include <stdint.h>

struct vm_stat {
	uint64_t faults;      /* page faults handled in the task's map (every vm_fault call) */
	uint64_t faults_2m;   /* of those, the ones that mapped a whole 2 MiB page */
	uint64_t resident_4k; /* 4 KiB mappings now (a 2 MiB page counts only in resident_2m) */
	uint64_t resident_2m; /* 2 MiB mappings now */
	uint64_t map_entries; /* entries in the task's map, guard entries included */
	uint64_t free_frames; /* free 4 KiB physical frames in the whole system, counted after the
				 kernel heap has given its empty slabs back (as the test harness's
				 leak check does): work that leaves nothing allocated leaves this
				 number as it found it */
};
_Static_assert(sizeof(struct vm_stat) == 48, "struct vm_stat is ABI");

/* vm_map_ent.flags */
#define VM_ENT_GUARD 0x1   /* MAP_GUARD reservation (or the stack's guard gap): any access faults */
#define VM_ENT_STACK 0x2   /* the task's user stack, or a MAP_STACK mapping (above its guard) */
#define VM_ENT_ANON 0x4    /* anonymous memory: zero-filled on first touch */
#define VM_ENT_IMAGE 0x8   /* loaded from the program's ELF file (text, data, bss) */
#define VM_ENT_SHARED 0x10 /* an mmap of a file: memory shared with a kernel object (a BPF map) */

/*
 * One entry of the map listing: FreeBSD's vm_map_entry as procstat -v shows it. Fields are only
 * ever added at the end, so each field keeps its offset; the record size (the stride of `out`)
 * grows with them, so a program must be built with the header of the kernel it runs on.
 */
struct vm_map_ent {
	uint64_t start;       /* first byte, page aligned */
	uint64_t end;         /* one past the last byte, page aligned, > start */
	uint32_t prot;        /* PROT_* (include/uapi/mman.h) now in effect */
	uint32_t max_prot;    /* PROT_* that mprotect may raise prot to */
	uint32_t flags;       /* VM_ENT_* */
	uint32_t resident_2m; /* 2 MiB pages mapped inside [start, end) */
	uint64_t resident_4k; /* 4 KiB pages mapped inside [start, end), 2 MiB pages not counted */
	/* From here on: added with minherit and mlock (sizeof was 40 before). */
	uint32_t inheritance; /* INHERIT_* (include/uapi/mman.h, minherit) */
	uint32_t wired_count; /* wirings of the range: 1 once mlock/mlockall wired it, else 0 */
};
_Static_assert(sizeof(struct vm_map_ent) == 48, "struct vm_map_ent is ABI");

#endif
