/*
 * <machine/frame.h>: the register frame of a trap, an interrupt or a system call, as arch-neutral
 * code sees it (system calls, the fault path, the trace points). Built by the entry code
 * (arch/x86_64/isr.S, syscall_entry.S); the rest of the trap machinery is arch/x86_64/trap.h.
 */
#ifndef MACHINE_FRAME_H
#define MACHINE_FRAME_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The frame arch/x86_64/isr.S builds on the kernel stack: general registers pushed by the entry point,
 * then the vector and error code (0 when the CPU pushes none), then what the CPU pushed.
 */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct trapframe) == 22 * 8, "trapframe layout is shared with isr.S");

/* Whether tf was taken from user mode (ring 3). */
static inline bool trap_from_user(const struct trapframe *tf)
{
	return (tf->cs & 3) == 3;
}

/* Whether interrupts were on where tf was taken. */
static inline bool frame_irq_enabled(const struct trapframe *tf)
{
	return (tf->rflags & (1ul << 9)) != 0; /* RFLAGS.IF */
}

/*
 * Make *tf the frame a user thread starts from: at pc with stack pointer sp, in user mode with
 * interrupts on, the first nargs (0..4) of args in the C calling convention's argument registers
 * (rdi, rsi, rdx, rcx), every other register 0. The one place that builds a fresh user frame (a
 * new task, a new thread, a callback into user code); the return to user mode goes through iretq,
 * since rcx may carry an argument.
 */
void frame_init_user(struct trapframe *tf, uint64_t pc, uint64_t sp, const uint64_t *args,
		     unsigned nargs);

/*
 * Whether tf can be returned to user mode as it is (x86_64: its rip is canonical, or iretq would
 * fault in the kernel). If not, tf's vector and error become the fault the return would have
 * raised (#GP, 0), for the task's fault report, and false comes back.
 */
bool frame_user_return_ok(struct trapframe *tf);

/* The name of an exception vector ("Page fault"), or "Interrupt". */
const char *trap_name(uint64_t vector);

#endif
