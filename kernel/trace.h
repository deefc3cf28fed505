/*
 * Kestrel's tracepoints: the places in the kernel where BPF programs attached as raw tracepoint
 * (SEC("raw_tp/NAME")) or BTF tracepoint (SEC("tp_btf/NAME")) programs run. The code at a
 * tracepoint calls its trace_NAME() below; the programs are kernel/bpf/raw_tp.h's business.
 *
 *   sys_enter (struct pt_regs *regs, long id)      every system call of every task, before its
 *                                                  handler, in the calling task
 *   sys_exit  (struct pt_regs *regs, long ret)     after the handler, before the return to user
 *                                                  space (not for exit, which does not return)
 *   vm_fault  (struct task_struct *task, unsigned long address, unsigned int access,
 *              int result, unsigned long page_size) every user page fault vm_fault handled, in the
 *                                                  faulting task (or the kernel copying on its
 *                                                  behalf): access VM_PROT_* bits, result
 *                                                  vm_fault's KERN_* code (0: resolved),
 *                                                  page_size the size of the page that maps
 *                                                  address afterwards (4 KiB or 2 MiB), 0 when
 *                                                  the fault failed
 * The argument types are the kernel BTF's (include/uapi/kestrel_btf_types.h: btf_trace_NAME).
 *
 * Cost when no program is attached: one load and a not-taken branch. The names and argument
 * lists are Linux's for sys_enter and sys_exit; vm_fault is Kestrel's own.
 */
#ifndef KERNEL_TRACE_H
#define KERNEL_TRACE_H

#include <stdbool.h>
#include <stdint.h>

enum trace_point { TRACE_SYS_ENTER, TRACE_SYS_EXIT, TRACE_VM_FAULT, TRACE_POINT_COUNT };

/* Programs attached to each tracepoint (kernel/bpf/raw_tp.c keeps it; read without a lock). */
extern uint32_t trace_point_nprogs[TRACE_POINT_COUNT];

/*
 * Run the programs attached to tp with its arguments (nargs of them, as listed above), in the
 * current task. kernel/bpf/raw_tp.c. Call with no spinlock held; does not sleep.
 */
void trace_point_run(enum trace_point tp, const uint64_t *args);

static inline bool trace_point_enabled(enum trace_point tp)
{
	return __builtin_expect(__atomic_load_n(&trace_point_nprogs[tp], __ATOMIC_RELAXED) != 0, 0);
}

/*
 * vm_fault's tracepoint (kernel/fault.c, after vm_fault); task is the task's BTF view or NULL.
 * The caller has seen trace_point_enabled(TRACE_VM_FAULT) (and only then made the view); a
 * program detached since then finds an empty list.
 */
static inline void trace_vm_fault(const void *task, uint64_t address, uint32_t access, int result,
				  uint64_t page_size)
{
	uint64_t args[5] = {(uint64_t)(uintptr_t)task, address, access, (uint64_t)(int64_t)result,
			    page_size};
	trace_point_run(TRACE_VM_FAULT, args);
}

#endif
