/*
 * Kestrel's native BPF system calls (contracts in include/uapi/bpf.h): maps through the map fds of
 * kernel/bpf/file.h, over kernel/bpf/map.h; find_vma and for_each_map_elem, which run user callbacks through
 * kernel/callback.h; and the batch call under the user library's task_vma iterator.
 *
 * What a callback level holds while its callback runs, and releases however the callback ends
 * (kernel/callback.h): find_vma, a pin on the target's map (task_map_get, which also keeps the
 * target's struct from being freed: it cannot finish exiting while pinned) and that map's lock
 * for reading, counted in the caller's map_lock_depth; for_each_map_elem, a reference to the map
 * file, its key/value buffer and the copy of the value as the callback got it.
 */
#include <stddef.h>
#include "kernel/usercopy.h"
#include "kernel/bpf/file.h"
#include "kernel/bpf/map.h"
#include "kernel/bpf/syscall.h"
#include "kernel/callback.h"
#include "kernel/fd.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/syscall.h"
#include "kernel/task.h"
#include "kernel/task_list.h"
#include "mm/kmem.h"
#include "mm/vm_map.h"
#include "mm/vm_map_pages.h"
#include "uapi/bpf.h"
#include "uapi/errno.h"

/* VMAs one SYS_bpf_task_vma_batch call returns at most. */
#define VMA_BATCH_MAX 64

_Static_assert(VM_READ == VM_PROT_READ && VM_WRITE == VM_PROT_WRITE && VM_EXEC == VM_PROT_EXECUTE,
	       "struct bpf_vma's protection bits are vm_prot_t's");
_Static_assert(VM_MAYREAD == VM_PROT_READ << 4 && VM_MAYWRITE == VM_PROT_WRITE << 4 &&
		       VM_MAYEXEC == VM_PROT_EXECUTE << 4,
	       "and the VM_MAY* bits are max_protection's, shifted");

/* ---------------------------------------------------------------------------------------------
 * Maps, through the map fds of kernel/bpf/file.h
 */

long sys_bpf_map_create(struct trapframe *tf)
{
	uint64_t type = syscall_arg(tf, 0), key_size = syscall_arg(tf, 1),
		 value_size = syscall_arg(tf, 2), max_entries = syscall_arg(tf, 3);
	union bpf_attr attr;
	struct bpf_map *map;

	if (type >> 32)
		return -EINVAL;
	if ((key_size | value_size | max_entries) >> 32)
		return -E2BIG;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = (uint32_t)type;
	attr.key_size = (uint32_t)key_size;
	attr.value_size = (uint32_t)value_size;
	attr.max_entries = (uint32_t)max_entries;
	int r = bpf_map_create(&attr, &map);
	return r ? r : bpf_map_fd_install(map, BPF_MAP_FMODE_RDWR);
}

/*
 * The element calls are bpf(2)'s element commands (kernel/bpf/syscall.h) on an attribute block
 * made of their arguments: one implementation, Linux's checks and errors.
 */
static long elem_cmd(int cmd, struct trapframe *tf, uint64_t flags)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)syscall_arg(tf, 0);
	attr.key = syscall_arg(tf, 1);
	attr.value = syscall_arg(tf, 2);
	attr.flags = flags;
	return bpf_map_elem_cmd(cmd, &attr);
}

long sys_bpf_map_update(struct trapframe *tf)
{
	return elem_cmd(BPF_MAP_UPDATE_ELEM, tf, syscall_arg(tf, 3));
}

long sys_bpf_map_lookup(struct trapframe *tf)
{
	return elem_cmd(BPF_MAP_LOOKUP_ELEM, tf, 0);
}

long sys_bpf_map_delete(struct trapframe *tf)
{
	return elem_cmd(BPF_MAP_DELETE_ELEM, tf, 0);
}

long sys_bpf_map_next_key(struct trapframe *tf)
{
	return elem_cmd(BPF_MAP_GET_NEXT_KEY, tf, 0);
}

/* ---------------------------------------------------------------------------------------------
 * Task address spaces
 */

/*
 * Whether the caller may look at task pid: 0 (its own task, 0 included, or a descendant; pid may
 * name any thread of it), -ESRCH or -EPERM. The rule kill and the console's foreground use
 * (task_may_inspect_locked's TASK_INSPECT_DESCENDANTS, through task_descendant_locked).
 */
static int task_related(int pid)
{
	struct task *t;

	if (pid == 0)
		return 0;
	spin_lock(&sched_lock);
	int r = task_descendant_locked(pid, true, true, &t);
	sched_unlock();
	return r;
}

/* Pin pid's map (task_map_get) after task_related: 0, -ESRCH, -EPERM or -ENOENT. */
static int target_get(int pid, struct task **out)
{
	int r = task_related(pid);

	return r ? r : task_map_get(pid, out);
}

/* The bpf_vma record of entry e. Map lock held. */
static void vma_record(vm_map_t map, vm_map_entry_t e, struct bpf_vma *v)
{
	v->vm_start = e->start;
	v->vm_end = e->end;
	v->vm_flags = e->protection | (uint64_t)e->max_protection << 4 |
		      (e->eflags & MAP_ENTRY_GUARD ? VM_GUARD : 0) |
		      (e->eflags & MAP_ENTRY_STACK ? VM_STACK : 0) |
		      (vm_map_entry_has_superpage(map, e) ? VM_SUPERPAGE : 0);
	v->vm_pgoff = e->offset >> PAGE_SHIFT;
}

/* The bpf_task record of t (pinned by the caller). */
static void task_record(struct task *t, struct bpf_task *r)
{
	memset(r, 0, sizeof(*r));
	spin_lock(&sched_lock);
	r->pid = t->pid;
	r->ppid = t->parent ? t->parent->pid : 0;
	sched_unlock();
	size_t n = strlen(t->name);
	memcpy(r->comm, t->name, n < BPF_TASK_COMM_LEN - 1 ? n : BPF_TASK_COMM_LEN - 1);
}

/* ---------------------------------------------------------------------------------------------
 * find_vma
 */
struct find_vma_call {
	struct cb_level lvl; /* first: release gets back to the struct by a cast */
	struct task *target; /* map pinned */
	bool locked;         /* target's map read-locked, counted in the caller's map_lock_depth */
};
_Static_assert(offsetof(struct find_vma_call, lvl) == 0, "see above");

static void find_vma_release(struct cb_level *lvl)
{
	struct find_vma_call *c = (struct find_vma_call *)lvl;

	if (c->locked) {
		vm_map_unlock_read(c->target->map);
		task_current()->map_lock_depth--;
	}
	if (c->target)
		task_map_put(c->target);
}

/* Steps of find_vma after the level is registered; the level's release undoes what they took. */
static int find_vma_run(struct find_vma_call *c, struct trapframe *tf)
{
	int pid = (int)syscall_arg(tf, 0);
	uint64_t addr = syscall_arg(tf, 1), cb = syscall_arg(tf, 2), ctx = syscall_arg(tf, 3);
	struct bpf_task task;
	struct bpf_vma vma;
	vm_map_entry_t e;
	struct cb_frame f;
	long ignored;

	int r = target_get(pid, &c->target);
	if (r)
		return r;
	c->lvl.pinned = c->target;
	if (!vm_map_trylock_read(c->target->map))
		return -EBUSY;
	c->locked = true;
	task_current()->map_lock_depth++;
	r = callback_check_fn(cb);
	if (r)
		return r;
	if (!vm_map_lookup_entry(c->target->map, addr, &e))
		return -ENOENT;
	vma_record(c->target->map, e, &vma);
	task_record(c->target, &task);

	callback_frame_init(&f, tf);
	r = callback_frame_push(&f, &vma, sizeof(vma), &f.arg[1]);
	if (!r)
		r = callback_frame_push(&f, &task, sizeof(task), &f.arg[0]);
	f.arg[2] = ctx;
	return r ? r : callback_invoke(&c->lvl, &f, cb, &ignored);
}

long sys_bpf_find_vma(struct trapframe *tf)
{
	struct find_vma_call c = {0};

	if (syscall_arg(tf, 4))
		return -EINVAL;
	int r = callback_begin(&c.lvl, find_vma_release);
	if (r)
		return r;
	r = find_vma_run(&c, tf);
	callback_end(&c.lvl);
	return r;
}

/* ---------------------------------------------------------------------------------------------
 * for_each_map_elem
 */

/*
 * for_each's map and kernel buffer: key_size bytes for a key, then a value in the user-space
 * layout (bpf_map_sys_value_size: all CPUs' values for a per-CPU map).
 */
struct elem_call {
	struct bpf_map_file *mf; /* referenced; NULL when nothing is held */
	void *key, *value;
};

/* Take fd's map and allocate the buffer: 0 (release with elem_end), -EBADF, -EINVAL or -ENOMEM. */
static int elem_begin(int fd, struct elem_call *ec)
{
	struct bpf_map_file *mf;
	int r = bpf_map_file_get(fd, &mf);

	if (r)
		return r;
	uint32_t koff = (bpf_map_key_size(mf->map) + 7) & ~7u;
	uint8_t *buf = kmalloc(koff + bpf_map_sys_value_size(mf->map));
	if (!buf) {
		file_put(&mf->file);
		return -ENOMEM;
	}
	*ec = (struct elem_call){mf, buf, buf + koff};
	return 0;
}

static void elem_end(struct elem_call *ec)
{
	kfree(ec->key);
	file_put(&ec->mf->file);
	ec->mf = NULL;
}

struct for_each_call {
	struct cb_level lvl; /* first: release gets back to the struct by a cast */
	struct elem_call ec; /* the map and the current element's key and value */
	void *given;         /* the value as the callback got it, or NULL */
};
_Static_assert(offsetof(struct for_each_call, lvl) == 0, "see above");

static void for_each_release(struct cb_level *lvl)
{
	struct for_each_call *c = (struct for_each_call *)lvl;

	if (c->ec.mf)
		elem_end(&c->ec);
	kfree(c->given);
}

/* The walk; returns the callbacks run or an error. The level's release undoes what it took. */
static long for_each_run(struct for_each_call *c, struct trapframe *tf)
{
	int fd = (int)syscall_arg(tf, 0);
	uint64_t cb = syscall_arg(tf, 1), ctx = syscall_arg(tf, 2);
	struct bpf_map_iter it;
	long visited = 0;

	int r = elem_begin(fd, &c->ec);
	if (r)
		return r;
	struct bpf_map *map = c->ec.mf->map;
	uint32_t ks = bpf_map_key_size(map), vs = bpf_map_value_size(map);
	c->given = kmalloc(vs);
	if (!c->given)
		return -ENOMEM;
	r = callback_check_fn(cb);
	if (r)
		return r;
	bpf_map_iter_start(map, &it);
	while (bpf_map_iter_next(map, &it, c->ec.key, c->ec.value) == 0) {
		struct cb_frame f;
		long stop;

		callback_frame_init(&f, tf);
		r = callback_frame_push(&f, c->ec.value, vs, &f.arg[2]);
		if (!r)
			r = callback_frame_push(&f, c->ec.key, ks, &f.arg[1]);
		f.arg[0] = (uint64_t)fd;
		f.arg[3] = ctx;
		memcpy(c->given, c->ec.value, vs);
		if (!r)
			r = callback_invoke(&c->lvl, &f, cb, &stop);
		if (!r)
			r = copyin((const void *)f.arg[2], c->ec.value, vs);
		if (r)
			return r;
		/*
		 * Only a copy the callback wrote to: storing an untouched one would undo what the
		 * callback did to the element through the map (an update of its own key). Fails
		 * (stores nothing) if the callback deleted the element: its value went with it.
		 */
		if (memcmp(c->given, c->ec.value, vs))
			(void)bpf_map_iter_writeback(map, &it, c->ec.value);
		visited++;
		if (stop)
			break;
	}
	return visited;
}

long sys_bpf_for_each_map_elem(struct trapframe *tf)
{
	struct for_each_call c = {0};

	if (syscall_arg(tf, 3))
		return -EINVAL;
	int r = callback_begin(&c.lvl, for_each_release);
	if (r)
		return r;
	long n = for_each_run(&c, tf);
	callback_end(&c.lvl);
	return n;
}

/* ---------------------------------------------------------------------------------------------
 * task_vma_batch
 */
long sys_bpf_task_vma_batch(struct trapframe *tf)
{
	int pid = (int)syscall_arg(tf, 0);
	uint64_t from = syscall_arg(tf, 1), uout = syscall_arg(tf, 2), max = syscall_arg(tf, 3);
	size_t n = 0, cap = max < VMA_BATCH_MAX ? max : VMA_BATCH_MAX;
	struct task *t;

	if (cap == 0)
		return 0;
	struct bpf_vma *buf = kmalloc(cap * sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	int r = target_get(pid, &t);
	if (!r && !vm_map_trylock_read(t->map)) {
		task_map_put(t);
		r = -EBUSY;
	}
	if (!r) {
		vm_map_t map = t->map;
		vm_map_entry_t e;
		if (!vm_map_lookup_entry(map, from, &e))
			e = e ? e->next : map->header.next;
		for (; e != &map->header && n < cap; e = e->next)
			vma_record(map, e, &buf[n++]);
		vm_map_unlock_read(map);
		task_map_put(t);
		r = copyout(buf, (void *)uout, n * sizeof(*buf));
	}
	kfree(buf);
	return r ? r : (long)n;
}
