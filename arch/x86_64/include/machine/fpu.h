/*
 * <machine/fpu.h>: the x87/SSE state of user tasks. The kernel never touches these registers (it is built with
 * -mgeneral-regs-only), so only user tasks have a state to keep, saved with fxsave and restored
 * with fxrstor when the CPU moves between user tasks (kernel/sched.c).
 */
#ifndef MACHINE_FPU_H
#define MACHINE_FPU_H

#define FPU_STATE_SIZE 512 /* the fxsave area */
#define FPU_STATE_ALIGN 16

/*
 * Turn on SSE for ring 3 (CR4.OSFXSR and OSXMMEXCPT, CR0.MP and NE set, CR0.EM and TS clear) and record
 * the initial state a new task starts with: x87 control word 0x37f, MXCSR 0x1f80, all registers
 * zero (user/crt0.S's entry contract). Once, at boot.
 */
void fpu_init(void);

/* Fill a task's state area (FPU_STATE_SIZE bytes, FPU_STATE_ALIGN aligned) with the initial state. */
void fpu_state_init(void *area);

/* Save the CPU's registers into area / load them from area. */
static inline void fpu_save(void *area)
{
	__asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}
static inline void fpu_restore(void *area)
{
	__asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}

#endif
