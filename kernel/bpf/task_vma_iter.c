/*
 * The open-coded task VMA iterator's kfuncs (kernel/bpf/kfunc.h): bpf_iter_task_vma_new(it, task,
 * addr), _next(it), _destroy(it), Linux 6.7's contract. The program's 8-byte struct
 * bpf_iter_task_vma holds a pointer to a kernel allocation (struct task_vma_iter), or NULL when
 * _new failed; the verifier makes the program call _destroy on every path and never lets it touch
 * those bytes, so the pointer is the kernel's own.
 *
 * Map changes: as Linux (mmap_read_trylock in _new, unlock in _destroy), a successful _new holds
 * the task's map lock for reading until _destroy, so the map cannot change between calls and the
 * iterator walks the entry list itself: _next is O(1). The lock is only tried: a map locked for
 * writing gives -EBUSY at once (waiting could be waiting for the program's own task). What _next
 * returns is a snapshot (kernel/vma_btf.h) in the allocation, rewritten by the next call; the
 * verifier turns the program's copies of it into numbers at _destroy, which frees it.
 *
 * The entries are exactly those vm_map_list lists for the task, in the same order (guards and the
 * callback trampoline included), from the one containing addr or the first above it.
 *
 * Which tasks: any task a trusted pointer names (the verifier admits no other), as Linux. The
 * iterator pins the task's map (task_map_get, by pid: kernel/task_btf.h maps the program's view
 * back to its task, checked again once pinned) as Linux takes a task reference. A task without an
 * address space (a kernel thread, or one exiting or gone) gives -ENOENT, as Linux's for no mm.
 */
#include "kernel/bpf/kfunc.h"

#include "kernel/rwlock.h"
#include "kernel/task.h"
#include "kernel/task_btf.h"
#include "kernel/vma_btf.h"
#include "mm/kmem.h"
#include "mm/vm_map.h"
#include "uapi/errno.h"
#include "uapi/kestrel_btf_types.h"

/* Pin the map of the task whose view is view: 0 and *out, or -ENOENT. */
static int pin_task(const struct task_struct *view, struct task **out)
{
	struct task *cur = task_current();

	/* bpf_get_current_task_btf's answer when the view could not be made */
	if (!view)
		return -ENOENT;
	int pid = view == task_btf_peek(cur) ? 0 : task_btf_pid(view);

	if (pid < 0 || task_map_get(pid, out))
		return -ENOENT;
	if (task_btf_peek(*out) != view) {
		task_map_put(*out);
		return -ENOENT;
	}
	return 0;
}

/*
 * The kernel's side of one iterator. Invariant (bpf_iter_task_vma_check): task's map is pinned
 * (task_map_get) and read-locked from _new to _destroy, and map is that map; next is an entry of
 * that map or its header (the end); ctx was made for that map.
 */
struct task_vma_iter {
	struct task *task;
	vm_map_t map;
	vm_map_entry_t next;
	struct vma_btf_ctx ctx; /* made once in _new: _next is the hot path */
	struct vma_btf vma;
};

_Static_assert(sizeof(struct bpf_iter_task_vma) == sizeof(struct task_vma_iter *),
	       "the program's iterator holds the kernel's pointer");
_Static_assert(_Alignof(struct bpf_iter_task_vma) >= _Alignof(struct task_vma_iter *),
	       "the program's iterator holds the kernel's pointer");

static struct task_vma_iter **iter_slot(uint64_t it)
{
	return (struct task_vma_iter **)(uintptr_t)it;
}

uint64_t bpf_iter_task_vma_new_impl(uint64_t it, uint64_t task, uint64_t addr, uint64_t r4,
				    uint64_t r5)
{
	struct task_vma_iter **slot = iter_slot(it);
	struct task *t;
	int err;

	(void)r4;
	(void)r5;
	*slot = NULL;
	if ((err = pin_task((const struct task_struct *)(uintptr_t)task, &t)))
		return (uint64_t)err;
	struct task_vma_iter *kit = NULL;
	if ((err = vma_btf_prepare(t)) || !(kit = kmalloc(sizeof(*kit)))) {
		task_map_put(t);
		return (uint64_t)(err ? err : -ENOMEM);
	}
	if (!vm_map_trylock_read(t->map)) {
		kfree(kit);
		task_map_put(t);
		return (uint64_t)-EBUSY;
	}
	kit->task = t;
	kit->map = t->map;
	vma_btf_ctx_init(&kit->ctx, t);
	vm_map_entry_t e;
	if (!vm_map_lookup_entry(kit->map, (vm_offset_t)addr, &e))
		e = e ? e->next : kit->map->header.next;
	kit->next = e;
	*slot = kit;
	return 0;
}

uint64_t bpf_iter_task_vma_next_impl(uint64_t it, uint64_t r2, uint64_t r3, uint64_t r4,
				     uint64_t r5)
{
	struct task_vma_iter *kit = *iter_slot(it);

	(void)r2;
	(void)r3;
	(void)r4;
	(void)r5;
	if (!kit || kit->next == &kit->map->header)
		return 0;
	vma_btf_fill_ctx(&kit->vma, &kit->ctx, kit->next);
	kit->next = kit->next->next;
	return (uint64_t)(uintptr_t)&kit->vma.vma;
}

uint64_t bpf_iter_task_vma_destroy_impl(uint64_t it, uint64_t r2, uint64_t r3, uint64_t r4,
					uint64_t r5)
{
	struct task_vma_iter **slot = iter_slot(it);
	struct task_vma_iter *kit = *slot;

	(void)r2;
	(void)r3;
	(void)r4;
	(void)r5;
	if (!kit)
		return 0;
	vm_map_unlock_read(kit->map);
	task_map_put(kit->task);
	kfree(kit);
	*slot = NULL;
	return 0;
}

const char *bpf_iter_task_vma_check(const struct bpf_iter_task_vma *it)
{
	const struct task_vma_iter *kit = *(struct task_vma_iter *const *)it;

	if (!kit)
		return NULL;
	if (!kit->task || !kit->map)
		return "the iterator names no task or no map";
	if (!__atomic_load_n(&kit->task->map_users, __ATOMIC_RELAXED))
		return "the task's map is not pinned";
	if (!rw_locked(&kit->map->lock) || rw_wlocked(&kit->map->lock))
		return "the map is not read-locked";
	if (kit->ctx.map != kit->map)
		return "the VMA context is another map's";
	const struct vm_map_entry *e = &kit->map->header;
	do {
		if (kit->next == e)
			return NULL;
		e = e->next;
	} while (e != &kit->map->header);
	return "next is neither an entry of the map nor its end";
}
