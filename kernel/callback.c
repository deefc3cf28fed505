/* User callbacks from inside system calls (contract and stack layouts in kernel/callback.h). */
#include "kernel/callback.h"
#include <machine/frame.h>
#include "kernel/exec.h"
#include "kernel/panic.h"
#include "kernel/syscall.h"
#include "kernel/usercopy.h"
#include "kernel/vm_errno.h"
#include "mm/memlayout.h"
#include "uapi/bpf.h"
#include "uapi/errno.h"

/* arch/x86_64/callback.S */
long callback_enter(uint64_t *ksp, const struct trapframe *utf);
__attribute__((noreturn)) void callback_resume(uint64_t ksp, long value);
__attribute__((noreturn)) void callback_rerun_syscall(const struct trapframe *tf, uint64_t top);
extern const char callback_trampoline_start[], callback_trampoline_ret[], callback_trampoline_end[];

#define RED_ZONE 128

_Static_assert(BPF_CB_TRAMPOLINE == USER_CB_TRAMPOLINE, "the trampoline address is ABI");
_Static_assert(BPF_CB_TRAMPOLINE % PAGE_SIZE == 0, "the trampoline is a page");

int callback_begin(struct cb_level *lvl, void (*release)(struct cb_level *lvl))
{
	struct task *t = task_current();
	unsigned depth = t->cb_top ? t->cb_top->depth + 1 : 1;

	if (depth > BPF_CB_MAX_DEPTH)
		return -ELOOP;
	*lvl = (struct cb_level){.outer = t->cb_top, .release = release, .depth = depth};
	t->cb_top = lvl;
	return 0;
}

/* Take lvl (the innermost level of t) off the list and release what it holds. */
static void level_drop(struct task *t, struct cb_level *lvl)
{
	KASSERT(t->cb_top == lvl, "callback level %u of task %d is not the innermost", lvl->depth,
		t->pid);
	t->cb_top = lvl->outer;
	if (lvl->running)
		task_set_entry_sp(t, lvl->saved_entry_sp);
	lvl->release(lvl);
}

bool callback_pins(const struct task *t, const struct task *target)
{
	for (const struct cb_level *l = t->cb_top; l; l = l->outer)
		if (l->pinned == target)
			return true;
	return false;
}

void callback_end(struct cb_level *lvl)
{
	level_drop(task_current(), lvl);
}

int callback_check_fn(uint64_t fn)
{
	vm_map_t map = task_current()->map;
	vm_map_entry_t e;

	if (fn - USER_CB_TRAMPOLINE < PAGE_SIZE)
		return -EFAULT;
	if (!vm_map_trylock_read(map))
		return -EBUSY;
	bool ok = vm_map_lookup_entry(map, fn, &e) && (e->protection & VM_PROT_EXECUTE);
	vm_map_unlock_read(map);
	return ok ? 0 : -EFAULT;
}

void callback_frame_init(struct cb_frame *f, const struct trapframe *tf)
{
	/* A wrapped or non-user rsp stays so: the first push then fails with EFAULT. */
	f->sp = (tf->rsp - RED_ZONE) & ~(uint64_t)15;
	f->arg[0] = f->arg[1] = f->arg[2] = f->arg[3] = 0;
}

int callback_frame_push(struct cb_frame *f, const void *data, size_t len, uint64_t *uaddr)
{
	uint64_t at = (f->sp - len) & ~(uint64_t)15;

	if (at > f->sp || copyout(data, (void *)at, len))
		return -EFAULT;
	f->sp = at;
	*uaddr = at;
	return 0;
}

int callback_invoke(struct cb_level *lvl, struct cb_frame *f, uint64_t fn, long *result)
{
	struct task *t = task_current();
	uint64_t ret = BPF_CB_TRAMPOLINE, sp = f->sp - 8;

	KASSERT(t->cb_top == lvl && !lvl->running,
		"callback_invoke: level %u is not the innermost idle one", lvl->depth);
	if ((uint64_t)__builtin_frame_address(0) - (uint64_t)t->kstack < CALLBACK_KSTACK_RESERVE)
		return -ELOOP;
	if (sp > f->sp || copyout(&ret, (void *)sp, sizeof(ret)))
		return -EFAULT;
	struct trapframe utf;
	frame_init_user(&utf, fn, sp, f->arg, 4);
	task_return_to_user(&utf);
	lvl->user_sp = sp + 8;
	lvl->saved_entry_sp = t->entry_sp;
	lvl->running = true;
	*result = callback_enter(&lvl->ksp, &utf);
	return 0;
}

/* SYS_cb_return, the trampoline's call: resume the innermost level, or -EINVAL (see callback.h). */
long sys_cb_return(struct trapframe *tf)
{
	struct task *t = task_current();
	struct cb_level *lvl = t->cb_top;
	uint64_t from =
		BPF_CB_TRAMPOLINE + (uint64_t)(callback_trampoline_ret - callback_trampoline_start);

	if (!lvl || !lvl->running || tf->rip != from || tf->rsp != lvl->user_sp)
		return -EINVAL;
	lvl->running = false;
	task_set_entry_sp(t, lvl->saved_entry_sp);
	callback_resume(lvl->ksp, (long)tf->rdi);
}

void callback_abandon_left(struct trapframe *tf)
{
	struct task *t = task_current();
	bool dropped = false;

	while (t->cb_top && tf->rsp > t->cb_top->user_sp) {
		level_drop(t, t->cb_top);
		dropped = true;
	}
	if (dropped)
		callback_rerun_syscall(tf, t->entry_sp);
}

const char *callback_check(const struct task *t)
{
	const struct cb_level *lvl = t->cb_top;

	if (lvl && lvl->running && t->entry_sp != (lvl->ksp & ~(uint64_t)15))
		return "C4: the entry stack is not the innermost callback's";
	for (; lvl; lvl = lvl->outer) {
		const struct cb_level *out = lvl->outer;
		if (lvl->depth != (out ? out->depth + 1 : 1) || lvl->depth > BPF_CB_MAX_DEPTH)
			return "C1: levels are not numbered 1.. from the outermost";
		if (out && !out->running)
			return "C2: an outer level is not running its callback";
		if (!lvl->running)
			continue;
		uint64_t top = lvl->ksp & ~(uint64_t)15;
		if (top <= (uint64_t)t->kstack || top >= t->kstack_top)
			return "C3: an entry top lies outside the kernel stack";
		if (out ? lvl->saved_entry_sp != (out->ksp & ~(uint64_t)15) ||
				    lvl->ksp >= out->ksp || lvl->user_sp >= out->user_sp
			: lvl->saved_entry_sp != t->kstack_top)
			return "C3: a level does not lie below the one outside it";
	}
	return NULL;
}

void callback_release_all(struct task *t)
{
	while (t->cb_top)
		level_drop(t, t->cb_top);
}

int callback_trampoline_map(vm_map_t map)
{
	vm_offset_t va = BPF_CB_TRAMPOLINE;
	size_t len = (size_t)(callback_trampoline_end - callback_trampoline_start);
	int kr;

	vm_map_lock(map);
	kr = vm_map_insert(map, NULL, 0, va, va + PAGE_SIZE, VM_PROT_READ | VM_PROT_WRITE,
			   VM_PROT_ALL, 0);
	vm_map_unlock(map);
	if (kr != KERN_SUCCESS)
		return vm_mmap_to_errno(kr);
	int r = exec_write_map(map, va, callback_trampoline_start, len);
	if (r)
		return r == -EFAULT ? -ENOMEM : r;
	/* Writable while being filled; then read+execute for good (max_protection too). */
	kr = vm_map_protect(map, va, va + PAGE_SIZE, VM_PROT_READ | VM_PROT_EXECUTE,
			    VM_PROT_READ | VM_PROT_EXECUTE,
			    VM_MAP_PROTECT_SET_PROT | VM_MAP_PROTECT_SET_MAXPROT);
	return vm_mmap_to_errno(kr);
}
