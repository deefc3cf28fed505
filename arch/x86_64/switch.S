/*
 * Kernel context switch and the first instructions of a new task (kernel/sched.c, kernel/task.c).
 *
 * void context_switch(uint64_t *save_rsp, uint64_t load_rsp)
 *   Pushes the callee-saved registers on the current kernel stack, stores rsp in *save_rsp,
 *   switches to load_rsp and pops the same registers from there, then returns on that stack: into
 *   whoever called context_switch on it, or into a start routine below for a new task. A saved
 *   context, from load_rsp up:
 *       r15 r14 r13 r12 rbx rbp, return address
 *   Interrupt flag, segment registers, CR3, FPU state and the entry stack are the scheduler's to
 *   switch; the caller-saved registers are the C caller's.
 *
 * task_kthread_start: a new kernel thread's return address. r12 = fn, r13 = arg; rsp 16-byte
 *   aligned. Calls task_kthread_main(fn, arg) (kernel/task.c), which never returns.
 * task_user_start: a new user task's return address; rsp = its struct trapframe (the user
 *   registers at the program entry) at the top of its kernel stack. Finishes the switch
 *   (sched_first_run), lets task_return_to_user end a task killed before it ever ran, and enters
 *   ring 3 through trap_return (isr.S).
 */
#include "arch/x86_64/asm_frame.h"

	.text
	.globl context_switch
	.type context_switch, @function
context_switch:
	PUSH_CALLEE_SAVED
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	POP_CALLEE_SAVED
	ret
	.size context_switch, . - context_switch

	.globl task_kthread_start
	.type task_kthread_start, @function
task_kthread_start:
	movq	%r12, %rdi
	movq	%r13, %rsi
	call	task_kthread_main
	ud2
	.size task_kthread_start, . - task_kthread_start

	.globl task_user_start
	.type task_user_start, @function
task_user_start:
	call	sched_first_run
	movq	%rsp, %rdi                      /* the task's first frame: task_return_to_user(tf) */
	call	task_return_to_user
	jmp	trap_return
	.size task_user_start, . - task_user_start

	.section .note.GNU-stack, "", @progbits
