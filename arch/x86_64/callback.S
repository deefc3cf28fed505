/*
 * Entering a user callback from inside a system call, coming back from it, and the code of the
 * trampoline page (the mechanism is described in kernel/callback.h).
 *
 * long callback_enter(uint64_t *ksp, const struct trapframe *utf)
 *   Saves the caller's callee-saved registers on the kernel stack and that stack pointer in *ksp,
 *   then enters ring 3 through a copy of utf. Stack it builds, from higher to lower addresses:
 *
 *       ... the suspended system call's frames (its trapframe at the old entry stack top)
 *       return address into callback_invoke
 *       rbp rbx r12 r13 r14 r15             <- *ksp
 *       (0 or 8 bytes of padding)
 *       new entry stack top                 16-byte aligned, just below everything live
 *       copy of utf (struct trapframe)      consumed by iretq; then, at the same place, the
 *                                           frame of every entry from ring 3 while the callback
 *                                           runs (its system calls, interrupts, faults)
 *
 *   The new top becomes the task's entry stack (task_set_entry_sp: the per-CPU syscall rsp and
 *   TSS.rsp0) with interrupts off, and stays so until the callback is over; trap_return then runs
 *   swapgs and iretq. It does not return by itself: callback_resume makes it return.
 *
 * void callback_resume(uint64_t ksp, long value)
 *   Makes the callback_enter that saved ksp return value, on its own stack: whatever ran below
 *   ksp since (the callback's system calls, callback_resume's own caller) is abandoned. Called
 *   with interrupts on, with the entry stack already given back (kernel/callback.c).
 *
 * void callback_rerun_syscall(const struct trapframe *tf, uint64_t top)
 *   Runs the system call of tf again from the start, with its frame copied to just below top,
 *   then returns to ring 3 through trap_return (iretq). Everything on the stack below top, the
 *   caller's frames included, is abandoned. For a system call that has abandoned levels on its
 *   way in (callback_abandon_left): its frame was built at the innermost level's entry stack,
 *   and without the move each longjmp out of a callback would leave the next call deeper.
 *   Interrupts on, top = the task's entry stack now.
 *
 * The trampoline template, callback_trampoline_start .. callback_trampoline_end, is copied into
 * every task's trampoline page (BPF_CB_TRAMPOLINE, include/uapi/bpf.h). It must be position
 * independent. A callback returns into it with its result in rax; it passes rax to
 * SYS_cb_return. callback_trampoline_ret is the address after the syscall instruction, the only
 * user rip from which SYS_cb_return is accepted. That call does not come back when accepted;
 * when refused, ud2 kills the task.
 */
#include "arch/x86_64/asm_frame.h"
#include <machine/percpu.h>
#include "uapi/syscall.h"


	.text
	.globl callback_enter
	.type callback_enter, @function
callback_enter:
	PUSH_CALLEE_SAVED
	movq	%rsp, (%rdi)
	andq	$-16, %rsp
	subq	$TRAPFRAME_SIZE, %rsp
	movq	%rsp, %rdi
	movl	$22, %ecx
	rep movsq
	cli
	leaq	TRAPFRAME_SIZE(%rsp), %rsi
	movq	%gs:PCPU_CURRENT, %rdi
	call	task_set_entry_sp
	jmp	trap_return
	.size callback_enter, . - callback_enter

	.globl callback_resume
	.type callback_resume, @function
callback_resume:
	movq	%rdi, %rsp
	movq	%rsi, %rax
	POP_CALLEE_SAVED
	ret
	.size callback_resume, . - callback_resume

	.globl callback_rerun_syscall
	.type callback_rerun_syscall, @function
callback_rerun_syscall:
	leaq	-TRAPFRAME_SIZE(%rsi), %rdx
	movq	%rdi, %rsi
	movq	%rdx, %rdi
	movl	$22, %ecx
	rep movsq
	movq	%rdx, %rsp
	movq	%rdx, %rdi
	xorl	%ebp, %ebp
	call	syscall_dispatch
	cli
	jmp	trap_return
	.size callback_rerun_syscall, . - callback_rerun_syscall

	.section .rodata
	.globl callback_trampoline_start, callback_trampoline_ret, callback_trampoline_end
callback_trampoline_start:
	movq	%rax, %rdi
	movl	$SYS_CB_RETURN_ASM, %eax
	syscall
callback_trampoline_ret:
	ud2
callback_trampoline_end:

	.section .note.GNU-stack, "", @progbits
