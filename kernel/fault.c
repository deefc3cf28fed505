/* The user fault path and its installation as the trap hooks (contract in kernel/fault.h). */
#include "kernel/fault.h"
#include <machine/frame.h>
#include <machine/intr.h>
#include <machine/trap.h>
#include <machine/usercopy.h>
#include "kernel/task.h"
#include "kernel/task_btf.h"
#include "kernel/task_impl.h"
#include "kernel/trace.h"
#include "kernel/usercopy.h"
#include "mm/memlayout.h"

/*
 * Resolve a fault on user address addr of the current task's map. Not when the task itself holds
 * its map's lock for writing (SYS_task_lock_map): that wait would never end.
 */
static bool user_fault_resolve(struct task *t, uint64_t addr, vm_prot_t access, bool irqs)
{
	if (!t->map || addr >= USER_MAX || t->map_locker == t)
		return false;
	if (irqs)
		irq_enable();
	vm_size_t page_size;
	int kr = vm_fault_mapped(t->map, addr, access, &page_size);
	if (trace_point_enabled(TRACE_VM_FAULT))
		trace_vm_fault(task_btf_view(t), addr, access, kr,
			       kr == KERN_SUCCESS ? page_size : 0);
	irq_disable();
	return kr == KERN_SUCCESS;
}

/*
 * Whether a resolved fault at (rip, addr) is the same one the task resolved last time with no
 * system call since: the instruction made no progress. Counts the repeats.
 */
static bool fault_repeats_without_progress(struct task *t, uint64_t rip, uint64_t addr)
{
	if (t->fault_repeats && t->last_fault_rip == rip && t->last_fault_addr == addr)
		return ++t->fault_repeats > TASK_FAULT_REPEAT_MAX;
	t->last_fault_rip = rip;
	t->last_fault_addr = addr;
	t->fault_repeats = 1;
	return false;
}

static void task_user_exception(struct trapframe *tf)
{
	struct task *t = task_current();
	struct trap_pf pf = {.addr = 0};

	if (trap_page_fault(tf, &pf)) {
		/*
		 * A fault from ring 3 that is not a user access is an implicit supervisor access (the
		 * CPU reading a descriptor table or, under TCG with SMAP, an iretq frame): the page
		 * being mapped does not help, so retrying would fault forever. Linux sends SIGSEGV; so
		 * do we.
		 */
		if (!pf.user)
			task_kill_by_fault(t, tf, pf.addr,
					   " (implicit supervisor access from ring 3)");
		if (pf.resolvable && user_fault_resolve(t, pf.addr, pf.access, true)) {
			if (fault_repeats_without_progress(t, tf->rip, pf.addr))
				task_kill_by_fault(t, tf, pf.addr,
						   " (the fault repeats without progress)");
			task_return_to_user(tf);
			return;
		}
	}
	task_kill_by_fault(t, tf, pf.addr, "");
}

static bool task_kernel_user_pf(struct trapframe *tf, uint64_t addr)
{
	struct trap_pf pf;

	/* A fault on the kernel side of a copy is a kernel bug: let it be reported as one. */
	if (!usercopy_contains(tf->rip) || addr >= USER_MAX || !trap_page_fault(tf, &pf))
		return false;
	if (pf.resolvable &&
	    user_fault_resolve(task_current(), addr, pf.access, frame_irq_enabled(tf)))
		return true;
	return usercopy_fixup(tf);
}

void fault_init(void)
{
	trap_user_exception = task_user_exception;
	trap_kernel_user_pf = task_kernel_user_pf;
}
