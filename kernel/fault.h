/*
 * The user fault path: a page fault or other CPU exception from ring 3, and a page fault in the
 * kernel's user-copy routines. A user page fault is resolved through vm_fault on the current
 * task's map (traced as vm_fault); what cannot be resolved, or keeps recurring without progress
 * (TASK_FAULT_REPEAT_MAX), kills the task (kernel/task.h, struct task_fault).
 */
#ifndef KERNEL_FAULT_H
#define KERNEL_FAULT_H

/*
 * Install the fault path as the trap layer's hooks (trap_user_exception, trap_kernel_user_pf,
 * <machine/trap.h>). Once, at boot (task_init calls it), before any user task runs.
 */
void fault_init(void);

#endif
