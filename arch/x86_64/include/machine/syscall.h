/*
 * <machine/syscall.h>: how a system call's number, arguments and result sit in its frame (the
 * x86-64 System V system-call convention, as Linux's: number in rax, arguments in rdi, rsi, rdx,
 * r10, r8, r9, result in rax). kernel/syscall.c dispatches through these and never names a
 * register.
 */
#ifndef MACHINE_SYSCALL_H
#define MACHINE_SYSCALL_H

#include <stdint.h>
#include <machine/frame.h>

struct pt_regs;

/* The system-call number of tf. */
static inline uint64_t syscall_number(const struct trapframe *tf)
{
	return tf->rax;
}

/* Argument n (0..5) of the system call: rdi, rsi, rdx, r10, r8, r9. */
static inline uint64_t syscall_arg(const struct trapframe *tf, int n)
{
	switch (n) {
	case 0:
		return tf->rdi;
	case 1:
		return tf->rsi;
	case 2:
		return tf->rdx;
	case 3:
		return tf->r10;
	case 4:
		return tf->r8;
	default:
		return tf->r9;
	}
}

/* The result the system call returns to user mode: set it, read it back. */
static inline void syscall_set_retval(struct trapframe *tf, uint64_t v)
{
	tf->rax = v;
}
static inline uint64_t syscall_retval(const struct trapframe *tf)
{
	return tf->rax;
}

/*
 * Fill *regs (Linux's struct pt_regs, what sys_enter and sys_exit programs read) from the frame of
 * system call nr (regs->orig_ax = nr). Implemented in arch/x86_64/syscall_arch.c.
 */
void syscall_pt_regs(const struct trapframe *tf, uint64_t nr, struct pt_regs *regs);

#endif
