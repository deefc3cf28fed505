/*
 * The memory system calls: mmap, munmap, mprotect, madvise, mincore, msync, minherit and the wiring
 * calls mlock, munlock, mlockall, munlockall (anonymous memory and files that can be mapped,
 * FreeBSD's flags and semantics, include/uapi/mman.h) and the
 * address-space inspection calls vm_stat and vm_map_list (include/uapi/vm_stat.h). The work is
 * mm/vm_map.h's; this file validates every argument, chooses the placement strategy, takes the map
 * lock the way the caller's state allows and translates KERN_* results to errno, once
 * (kernel/vm_errno.h). (K) marks Kestrel's own choices.
 *
 * mmap, munmap and mprotect: their contract (every errno in the order checked, placement, what
 * file mappings do) is include/uapi/mman.h's. A file mapping maps the vm_object that the file's
 * mmap method (kernel/fd.h) hands over, with the max_protection it says, from off in the object.
 *
 * vm_stat(pid, out) and vm_map_list(pid, out, max, from): pid 0 is the caller; any other user
 * task may be inspected (K: Kestrel has no credentials, the calls only read, and procstat -v and
 * the BPF task iterators inspect any process). Each call takes one snapshot under the target's
 * map lock held for reading, releases it, then copies out: a copyout that faults on the caller's
 * own map never happens under that map's lock. vm_map_list stores at most VM_MAP_LIST_BATCH
 * entries per call (fewer than max is not the end; 0 is).
 *
 * Locking. The map-changing calls take the caller's map lock for writing and block, except when
 * the caller may itself be what holds it: it runs a callback under a map lock
 * (task.map_lock_depth) or holds its own map's lock for writing (SYS_task_lock_map). Then they
 * only try, and fail with EBUSY. The inspection calls take the lock for reading; they wait behind
 * a system call's short hold, but fail with EBUSY instead when the writer is a SYS_task_lock_map
 * holder (whose hold may last) or when the caller runs a callback under a map lock.
 */
#include "kernel/usercopy.h"
#include "kernel/fd.h"
#include "kernel/syscall.h"
#include "kernel/task.h"
#include "kernel/vm_errno.h"
#include "mm/kmem.h"
#include "mm/pmm.h"
#include "mm/vm_map.h"
#include "mm/vm_map_pages.h"
#include "uapi/errno.h"
#include "uapi/mman.h"
#include "uapi/vm_stat.h"

_Static_assert(PROT_READ == VM_PROT_READ && PROT_WRITE == VM_PROT_WRITE &&
		       PROT_EXEC == VM_PROT_EXECUTE,
	       "PROT_* and VM_PROT_* are used interchangeably");
_Static_assert(INHERIT_SHARE == VM_INHERIT_SHARE && INHERIT_COPY == VM_INHERIT_COPY &&
		       INHERIT_NONE == VM_INHERIT_NONE && INHERIT_ZERO == VM_INHERIT_ZERO,
	       "INHERIT_* and VM_INHERIT_* are used interchangeably");

#define PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)
#define MMAP_FLAGS                                                                            \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANON | MAP_GUARD | MAP_EXCL | MAP_STACK | \
	 MAP_NOCORE | MAP_ALIGNMENT_MASK)
#define MMAP_GUARD_FLAGS (MAP_GUARD | MAP_FIXED | MAP_EXCL | MAP_ALIGNMENT_MASK)
#define MAP_ALIGNED_MIN PAGE_SHIFT
#define MAP_ALIGNED_MAX 47

#define VM_MAP_LIST_BATCH 256

/* Whether t must not wait for its own map's lock (see "Locking" above). */
static bool must_not_wait(struct task *t)
{
	/* Only t itself makes map_locker equal t, so this racy read is exact for that question. */
	return t->map_lock_depth || __atomic_load_n(&t->map_locker, __ATOMIC_RELAXED) == t;
}

/* Take the caller's map for writing as "Locking" says: 0, or -EBUSY. */
static int own_map_lock(struct task *t)
{
	if (must_not_wait(t))
		return vm_map_trylock(t->map) ? 0 : -EBUSY;
	vm_map_lock(t->map);
	return 0;
}

/* Take target's map for reading on behalf of the caller cur as "Locking" says: 0, or -EBUSY. */
static int map_lock_read(struct task *cur, struct task *target)
{
	if (vm_map_trylock_read(target->map))
		return 0;
	if (cur->map_lock_depth || __atomic_load_n(&target->map_locker, __ATOMIC_RELAXED))
		return -EBUSY;
	vm_map_lock_read(target->map);
	return 0;
}

/* len rounded up to whole pages in *size; false if that wraps past 2^64. */
static bool round_len(uint64_t len, uint64_t *size)
{
	*size = round_page(len);
	return *size >= len;
}

/* Whether [addr, addr + size) lies inside map's range (no wrap). */
static bool range_in_map(vm_map_t map, uint64_t addr, uint64_t size)
{
	return addr >= vm_map_min(map) && addr <= vm_map_max(map) && size <= vm_map_max(map) - addr;
}

/*
 * Split prot into the protection (*prot) and its PROT_MAX part (*max, 0: none given), checking
 * both (include/uapi/mman.h, mmap's step 1 and mprotect's first two): 0 or a negated errno.
 */
static long prot_split(int prot, vm_prot_t *cur, vm_prot_t *max)
{
	*cur = *max = 0;
	if (prot & ~(PROT_ALL | PROT_MAX(PROT_ALL)))
		return -EINVAL;
	*cur = (vm_prot_t)PROT_EXTRACT(prot);
	*max = (vm_prot_t)PROT_MAX_EXTRACT(prot);
	return *max && (*cur & ~*max) ? -ENOTSUP : 0;
}

/*
 * mmap's checks of everything but the address and the file (include/uapi/mman.h, steps 2-7, in
 * FreeBSD's kern_mmap order), prot being PROT_EXTRACT'ed: 0 or a negated errno. MAP_STACK makes
 * *flags MAP_ANON too.
 */
static long mmap_check_args(uint64_t len, int prot, int *flagsp, int fd, int64_t off)
{
	int flags = *flagsp;

	if (len == 0 || ((flags & MAP_ANON) && (fd != -1 || off != 0)))
		return -EINVAL;
	if (flags & MAP_STACK) {
		if (fd != -1 || (prot & (PROT_READ | PROT_WRITE)) != (PROT_READ | PROT_WRITE))
			return -EINVAL;
		flags |= MAP_ANON;
		*flagsp = flags;
	}
	if (flags & ~MMAP_FLAGS)
		return -EINVAL;
	if ((flags & (MAP_EXCL | MAP_FIXED)) == MAP_EXCL)
		return -EINVAL;
	if ((flags & (MAP_SHARED | MAP_PRIVATE)) == (MAP_SHARED | MAP_PRIVATE))
		return -EINVAL;
	if ((flags & MAP_GUARD) &&
	    (prot != PROT_NONE || fd != -1 || off != 0 || (flags & ~MMAP_GUARD_FLAGS)))
		return -EINVAL;
	if ((flags & (MAP_ANON | MAP_SHARED)) == (MAP_ANON | MAP_SHARED))
		return -EINVAL;
	return 0;
}

/* Whether MAP_ALIGNED(n) in flags, if any, asks for an alignment mmap knows (step 9). */
static bool mmap_align_ok(int flags)
{
	unsigned align = ((unsigned)flags & MAP_ALIGNMENT_MASK) >> MAP_ALIGNMENT_SHIFT;

	return align <= 1 || (align >= MAP_ALIGNED_MIN && align <= MAP_ALIGNED_MAX);
}

/*
 * The vm_map_find strategy for a non-fixed mapping with these flags: OPTIMAL without an alignment
 * flag (FreeBSD's choice), which places an object's mapping for superpages and anonymous memory
 * first fit.
 */
static int find_space_of(int flags)
{
	unsigned align = ((unsigned)flags & MAP_ALIGNMENT_MASK) >> MAP_ALIGNMENT_SHIFT;

	if (align == 1)
		return VMFS_SUPER_SPACE;
	if (align)
		return VMFS_ALIGNED_SPACE((int)align);
	return VMFS_OPTIMAL_SPACE;
}

/* What a mapping shows: object (NULL: anonymous memory) from offset, with rights up to max. */
struct mmap_what {
	vm_object_t object;
	vm_ooffset_t offset;
	vm_prot_t max;
};

/*
 * Map [*addr, + size) of w as flags say, the caller's map write-locked. Returns 0, the entry then
 * holding w's object reference, or a negated errno, the reference still the caller's.
 */
static long mmap_locked(vm_map_t map, uint64_t *addr, uint64_t size, vm_prot_t prot, int flags,
			const struct mmap_what *w)
{
	int cow = flags & MAP_GUARD   ? MAP_CREATE_GUARD
		  : flags & MAP_STACK ? MAP_CREATE_GUARDED_STACK
				      : 0;
	int kr;

	/* FreeBSD's vm_mmap_object */
	if (flags & MAP_SHARED)
		cow |= MAP_INHERIT_SHARE;

	if ((flags & (MAP_FIXED | MAP_EXCL)) == (MAP_FIXED | MAP_EXCL)) {
		kr = vm_map_find_locked(map, w->object, w->offset, addr, size, 0, VMFS_NO_SPACE,
					prot, w->max, cow);
		/* A taken range is mman.h's EEXIST (K), where FreeBSD's translation says ENOMEM. */
		return kr == KERN_NO_SPACE ? -EEXIST : vm_mmap_to_errno(kr);
	}
	if (flags & MAP_FIXED)
		return vm_mmap_to_errno(vm_map_fixed_locked(map, w->object, w->offset, *addr, size,
							    prot, w->max, cow));

	/* No hint: from the task's mmap base (mm/aslr.h), as FreeBSD's anon_loc, then from the bottom. */
	int find_space = find_space_of(flags);
	vm_offset_t hint = *addr ? *addr : map->anon_loc, at = hint;
	kr = vm_map_find_locked(map, w->object, w->offset, &at, size, 0, find_space, prot, w->max,
				cow);
	if (kr == KERN_NO_SPACE && hint > vm_map_min(map)) {
		at = vm_map_min(map);
		kr = vm_map_find_locked(map, w->object, w->offset, &at, size, 0, find_space, prot,
					w->max, cow);
	}
	if (kr == KERN_SUCCESS)
		*addr = at;
	return vm_mmap_to_errno(kr);
}

/*
 * The file steps of a file mapping (include/uapi/mman.h, step 11): the fd, the flags and offset a
 * file needs, then the file's own checks, which fill in w. 0 or a negated errno; on success w's
 * object reference is the caller's.
 */
static long mmap_file(int fd, int64_t off, uint64_t size, int prot, int flags, struct mmap_what *w)
{
	struct file *f = fd_get(&task_current()->fds, fd);
	long r;

	if (!f)
		return -EBADF;
	if (!(flags & (MAP_SHARED | MAP_PRIVATE)))
		r = -EINVAL;
	else if (!f->ops->mmap)
		r = -ENODEV;
	else if (off < 0 || (off & PAGE_MASK))
		r = -EINVAL;
	else
		r = f->ops->mmap(f, (vm_ooffset_t)off, size, (vm_prot_t)prot, flags, &w->object,
				 &w->max);
	if (!r)
		w->offset = (vm_ooffset_t)off;
	/* The object, if any, holds what the mapping needs of the file. */
	file_put(f);
	return r;
}

long sys_mmap(struct trapframe *tf)
{
	uint64_t addr = syscall_arg(tf, 0), len = syscall_arg(tf, 1), size = 0;
	int flags = (int)syscall_arg(tf, 3), fd = (int)syscall_arg(tf, 4);
	int64_t off = (int64_t)syscall_arg(tf, 5);
	struct task *t = task_current();
	struct mmap_what w = {.object = NULL, .offset = 0, .max = VM_PROT_ALL};
	vm_prot_t prot, max_prot;
	long r = prot_split((int)syscall_arg(tf, 2), &prot, &max_prot);

	if (!r)
		r = mmap_check_args(len, prot, &flags, fd, off);

	if (!r && !round_len(len, &size))
		r = -ENOMEM;
	if (!r && !mmap_align_ok(flags))
		r = -EINVAL;
	if (!r && (flags & MAP_FIXED) && ((addr & PAGE_MASK) || !range_in_map(t->map, addr, size)))
		r = -EINVAL;
	if (!r && !(flags & (MAP_ANON | MAP_GUARD)))
		r = mmap_file(fd, off, size, prot, flags, &w);
	/* FreeBSD's file mmap methods grant at most what PROT_MAX asked for; anonymous memory too. */
	if (max_prot)
		w.max &= max_prot;
	if (!r)
		r = own_map_lock(t);
	if (r) {
		vm_object_deallocate(w.object);
		return r;
	}
	/* mlockall(MCL_FUTURE): the limit first (step 13), the wiring once mapped (mman.h). */
	bool wire = (t->map->flags & MAP_WIREFUTURE) && !(flags & MAP_GUARD);
	if (wire && (size > MEMLOCK_LIMIT || t->map->user_wired > MEMLOCK_LIMIT - size))
		r = -ENOMEM;
	if (!r)
		r = mmap_locked(t->map, &addr, size, prot, flags, &w);
	if (!r && wire)
		(void)vm_map_wire_locked(t->map, addr, addr + size,
					 VM_MAP_WIRE_USER | VM_MAP_WIRE_HOLESOK, MEMLOCK_LIMIT);
	vm_map_unlock(t->map);
	if (r)
		vm_object_deallocate(w.object);
	return r ? r : (long)addr;
}

long sys_munmap(struct trapframe *tf)
{
	uint64_t addr = syscall_arg(tf, 0), len = syscall_arg(tf, 1), size;
	struct task *t = task_current();

	if ((addr & PAGE_MASK) || len == 0 || !round_len(len, &size) ||
	    !range_in_map(t->map, addr, size))
		return -EINVAL;
	long r = own_map_lock(t);
	if (r)
		return r;
	r = vm_mmap_to_errno(vm_map_delete(t->map, addr, addr + size));
	vm_map_unlock(t->map);
	return r;
}

long sys_mprotect(struct trapframe *tf)
{
	uint64_t addr = syscall_arg(tf, 0), len = syscall_arg(tf, 1), size;
	struct task *t = task_current();
	vm_prot_t prot, max_prot;
	long r = prot_split((int)syscall_arg(tf, 2), &prot, &max_prot);

	if (r)
		return r;
	if ((addr & PAGE_MASK) || !round_len(len, &size) || !range_in_map(t->map, addr, size))
		return -EINVAL;
	if (size == 0)
		return 0;
	r = own_map_lock(t);
	if (r)
		return r;
	int flags = VM_MAP_PROTECT_SET_PROT | (max_prot ? VM_MAP_PROTECT_SET_MAXPROT : 0);
	r = vm_mmap_to_errno(
		vm_map_protect_locked(t->map, addr, addr + size, prot, max_prot, flags));
	vm_map_unlock(t->map);
	return r;
}

/* Take the caller's map for reading as "Locking" says: 0, or -EBUSY. */
static int own_map_lock_read(struct task *t)
{
	if (must_not_wait(t))
		return vm_map_trylock_read(t->map) ? 0 : -EBUSY;
	vm_map_lock_read(t->map);
	return 0;
}

long sys_madvise(struct trapframe *tf)
{
	uint64_t addr = syscall_arg(tf, 0), len = syscall_arg(tf, 1);
	int behav = (int)syscall_arg(tf, 2);
	struct task *t = task_current();

	if (behav < MADV_NORMAL || behav > MADV_CORE)
		return -EINVAL;
	if (!range_in_map(t->map, addr, len))
		return -EINVAL;
	if (len == 0 || (behav != MADV_WILLNEED && behav != MADV_DONTNEED && behav != MADV_FREE))
		return 0;
	uint64_t start = trunc_page(addr), end = round_page(addr + len);
	long r;
	if (behav == MADV_WILLNEED) {
		r = own_map_lock_read(t);
		if (r)
			return r;
		/* Advice: running out of memory ends the pre-faulting early, not the call. */
		(void)vm_fault_range(t->map, start, end);
		vm_map_unlock_read(t->map);
		return 0;
	}
	r = own_map_lock(t);
	if (r)
		return r;
	r = vm_mmap_to_errno(vm_map_release_pages(t->map, start, end));
	vm_map_unlock(t->map);
	return r;
}

/* Pages per step of mincore: one buffer's worth filled under the lock, then copied out without it. */
#define MINCORE_BATCH 4096

long sys_mincore(struct trapframe *tf)
{
	uint64_t addr = syscall_arg(tf, 0), len = syscall_arg(tf, 1), uvec = syscall_arg(tf, 2),
		 size;
	struct task *t = task_current();
	uint64_t start = trunc_page(addr);

	if (!round_len(len, &size) || !range_in_map(t->map, start, size))
		return -ENOMEM;
	if (size == 0)
		return 0;
	if (!user_range_ok(uvec, size >> PAGE_SHIFT))
		return -EFAULT;
	uint8_t *buf = kmalloc(MINCORE_BATCH);
	if (!buf)
		return -ENOMEM;
	long r = 0;
	for (uint64_t done = 0; !r && done < size;) {
		uint64_t step = (uint64_t)MINCORE_BATCH * PAGE_SIZE;
		if (step > size - done)
			step = size - done;
		r = own_map_lock_read(t);
		if (r)
			break;
		r = vm_mmap_to_errno(
			vm_map_mincore(t->map, start + done, start + done + step, buf));
		vm_map_unlock_read(t->map);
		/* The bytes before a hole are copied out too, as FreeBSD leaves them. */
		long c = copyout(buf, (void *)(uvec + (done >> PAGE_SHIFT)), step >> PAGE_SHIFT);
		if (!r)
			r = c;
		done += step;
	}
	kfree(buf);
	return r;
}

/* Whether every page of [start, end) (start < end) lies in an entry. Map lock held. */
static bool range_mapped(vm_map_t map, uint64_t start, uint64_t end)
{
	vm_map_entry_t e;

	if (!vm_map_lookup_entry(map, start, &e))
		return false;
	while (e->end < end) {
		if (e->next == &map->header || e->next->start != e->end)
			return false;
		e = e->next;
	}
	return true;
}

long sys_msync(struct trapframe *tf)
{
	uint64_t addr = syscall_arg(tf, 0), len = syscall_arg(tf, 1);
	int flags = (int)syscall_arg(tf, 2);
	struct task *t = task_current();

	if ((flags & ~(MS_ASYNC | MS_INVALIDATE)) || flags == (MS_ASYNC | MS_INVALIDATE))
		return -EINVAL;
	if (!range_in_map(t->map, addr, len))
		return -EINVAL;
	uint64_t start = trunc_page(addr), end = round_page(addr + len);
	if (start == end)
		return 0;
	long r = own_map_lock_read(t);
	if (r)
		return r;
	/* Nothing to write back (include/uapi/mman.h): only the range's holes are an answer. */
	r = range_mapped(t->map, start, end) ? 0 : -ENOMEM;
	vm_map_unlock_read(t->map);
	return r;
}

long sys_minherit(struct trapframe *tf)
{
	uint64_t addr = syscall_arg(tf, 0), len = syscall_arg(tf, 1), inherit = syscall_arg(tf, 2);
	struct task *t = task_current();

	if (addr + len < addr)
		return -EINVAL;
	if (inherit > INHERIT_ZERO)
		return -EINVAL;
	if (!range_in_map(t->map, addr, len))
		return -EINVAL;
	uint64_t start = trunc_page(addr), end = round_page(addr + len);
	if (start == end)
		return 0;
	long r = own_map_lock(t);
	if (r)
		return r;
	r = vm_mmap_to_errno(vm_map_inherit_locked(t->map, start, end, (vm_inherit_t)inherit));
	vm_map_unlock(t->map);
	return r;
}

/*
 * The range of mlock and munlock (include/uapi/mman.h): [*start, *end) from addr and len, or the
 * first error: EINVAL for a wrap, ENOMEM outside the user range. 0 also for an empty range.
 */
static long wire_range(struct task *t, uint64_t addr, uint64_t len, uint64_t *start, uint64_t *end)
{
	if (addr + len < addr || round_page(addr + len) < addr)
		return -EINVAL;
	if (!range_in_map(t->map, addr, len))
		return -ENOMEM;
	*start = trunc_page(addr);
	*end = round_page(addr + len);
	return 0;
}

/*
 * mlock (wire) and munlock (unwire) of [addr, addr + len): every failure past the range checks is
 * ENOMEM (FreeBSD's kern_mlock and kern_munlock).
 */
static long wire_call(struct trapframe *tf, bool wire)
{
	struct task *t = task_current();
	uint64_t start, end;
	long r = wire_range(t, syscall_arg(tf, 0), syscall_arg(tf, 1), &start, &end);

	if (r || start == end)
		return r;
	if ((r = own_map_lock(t)))
		return r;
	int flags = VM_MAP_WIRE_USER | VM_MAP_WIRE_NOHOLES;
	int kr = wire ? vm_map_wire_locked(t->map, start, end, flags, MEMLOCK_LIMIT)
		      : vm_map_unwire_locked(t->map, start, end, flags);
	vm_map_unlock(t->map);
	return kr == KERN_SUCCESS ? 0 : -ENOMEM;
}

long sys_mlock(struct trapframe *tf)
{
	return wire_call(tf, true);
}

long sys_munlock(struct trapframe *tf)
{
	return wire_call(tf, false);
}

long sys_mlockall(struct trapframe *tf)
{
	uint64_t how = syscall_arg(tf, 0);
	struct task *t = task_current();

	if (how == 0 || (how & ~(uint64_t)(MCL_CURRENT | MCL_FUTURE)))
		return -EINVAL;
	long r = own_map_lock(t);
	if (r)
		return r;
	vm_map_t map = t->map;
	int kr = KERN_SUCCESS;
	if (how & MCL_CURRENT)
		kr = vm_map_wire_locked(map, vm_map_min(map), vm_map_max(map),
					VM_MAP_WIRE_USER | VM_MAP_WIRE_HOLESOK, MEMLOCK_LIMIT);
	/* Over the limit nothing changes; FreeBSD checks it before it sets MAP_WIREFUTURE. */
	if (kr != KERN_NO_SPACE && (how & MCL_FUTURE))
		map->flags |= MAP_WIREFUTURE;
	vm_map_unlock(map);
	if (kr == KERN_SUCCESS)
		return 0;
	return kr == KERN_NO_SPACE || kr == KERN_RESOURCE_SHORTAGE ? -ENOMEM : -EAGAIN;
}

long sys_munlockall(struct trapframe *tf)
{
	(void)tf;
	struct task *t = task_current();
	long r = own_map_lock(t);

	if (r)
		return r;
	vm_map_t map = t->map;
	int kr = vm_map_unwire_locked(map, vm_map_min(map), vm_map_max(map),
				      VM_MAP_WIRE_USER | VM_MAP_WIRE_HOLESOK);
	if (kr == KERN_SUCCESS)
		map->flags &= ~MAP_WIREFUTURE;
	vm_map_unlock(map);
	return kr == KERN_SUCCESS ? 0 : -ENOMEM;
}

long sys_vm_stat(struct trapframe *tf)
{
	int pid = (int)syscall_arg(tf, 0);
	uint64_t uout = syscall_arg(tf, 1);
	struct task *cur = task_current(), *target;
	struct vm_map_stats st;
	struct vm_stat out;
	int r = task_map_get(pid, &target);

	if (r)
		return r;
	r = map_lock_read(cur, target);
	if (!r) {
		vm_map_get_stats(target->map, &st);
		out = (struct vm_stat){
			.faults = st.faults,
			.faults_2m = st.faults_2m,
			.resident_4k = st.resident_4k,
			.resident_2m = st.resident_2m,
			.map_entries = target->map->nentries,
		};
		vm_map_unlock_read(target->map);
	}
	task_map_put(target);
	if (r)
		return r;
	/* Empty heap slabs are free memory the heap merely caches: count them as free (vm_stat.h). */
	kmem_reap();
	out.free_frames = pmm_free_count();
	return copyout(&out, (void *)uout, sizeof(out));
}

/*
 * The pages of e mapped in map's pmap: 2 MiB mappings in *r2m, 4 KiB ones in *r4k (a 2 MiB mapping
 * is counted once, at the first resident page it maps in e). O(resident pages). Map lock held
 * (read is enough).
 */
static void entry_resident(vm_map_t map, vm_map_entry_t e, uint64_t *r4k, uint32_t *r2m)
{
	struct vm_map_pages it;

	*r4k = 0;
	*r2m = 0;
	if (e->protection == VM_PROT_NONE)
		return;
	vm_map_pages_init(&it, map, e, e->start, e->end);
	while (vm_map_pages_next(&it)) {
		if (it.size == SUPERPAGE_SIZE) {
			(*r2m)++;
			vm_map_pages_skip(&it, (it.va & ~SUPERPAGE_MASK) + SUPERPAGE_SIZE);
		} else if (it.size) {
			(*r4k)++;
		}
	}
}

/*
 * VM_ENT_* of e. The program image is what kernel/exec.c maps (MAP_ENTRY_IMAGE). The callback
 * trampoline page (kernel/callback.h) is neither image nor anonymous memory; an mmap of a file
 * shares a kernel object's frames (an OBJT_SG object).
 */
static uint32_t entry_flags(vm_map_entry_t e)
{
	if (e->eflags & MAP_ENTRY_GUARD)
		return VM_ENT_GUARD;
	if (e->eflags & MAP_ENTRY_STACK)
		return VM_ENT_STACK | VM_ENT_ANON;
	if (e->start == USER_CB_TRAMPOLINE && e->max_protection != VM_PROT_ALL)
		return 0;
	/* A fault may install an anonymous entry's object meanwhile (vm_map.h): read it once. */
	vm_object_t object = __atomic_load_n(&e->object, __ATOMIC_ACQUIRE);
	if (object && object->type == OBJT_SG)
		return VM_ENT_SHARED;
	return e->eflags & MAP_ENTRY_IMAGE ? VM_ENT_IMAGE : VM_ENT_ANON;
}

/* Fill buf with up to n entries of map ending above from; returns how many. Map lock held. */
static size_t map_snapshot(vm_map_t map, uint64_t from, struct vm_map_ent *buf, size_t n)
{
	vm_map_entry_t e;
	size_t k = 0;

	if (!vm_map_lookup_entry(map, from, &e))
		e = e ? e->next : map->header.next;
	for (; e != &map->header && k < n; e = e->next, k++) {
		buf[k] = (struct vm_map_ent){
			.start = e->start,
			.end = e->end,
			.prot = e->protection,
			.max_prot = e->max_protection,
			.flags = entry_flags(e),
			.inheritance = e->inheritance,
			.wired_count = e->wired_count,
		};
		entry_resident(map, e, &buf[k].resident_4k, &buf[k].resident_2m);
	}
	return k;
}

long sys_vm_map_list(struct trapframe *tf)
{
	int pid = (int)syscall_arg(tf, 0);
	uint64_t uout = syscall_arg(tf, 1), max = syscall_arg(tf, 2), from = syscall_arg(tf, 3);
	struct task *cur = task_current(), *target;
	struct vm_map_ent *buf = NULL;
	size_t n = max < VM_MAP_LIST_BATCH ? max : VM_MAP_LIST_BATCH;

	if (n == 0)
		return 0;
	if (!user_range_ok(uout, n * sizeof(*buf)))
		return -EFAULT;
	int r = task_map_get(pid, &target);
	if (r)
		return r;
	r = map_lock_read(cur, target);
	if (!r) {
		vm_map_t map = target->map;
		if (n > map->nentries)
			n = map->nentries;
		buf = n ? kmalloc(n * sizeof(*buf)) : NULL;
		if (n && !buf)
			r = -ENOMEM;
		else
			n = map_snapshot(map, from, buf, n);
		vm_map_unlock_read(map);
	}
	task_map_put(target);
	if (!r)
		r = copyout(buf, (void *)uout, n * sizeof(*buf));
	kfree(buf);
	return r ? r : (long)n;
}
