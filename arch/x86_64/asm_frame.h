/*
 * Register save/restore sequences shared by the assembly entry points, and the struct trapframe
 * offsets they use (arch/x86_64/trap.h; trap.h's static assert checks the size).
 * Include from .S files only.
 */
#ifndef ARCH_X86_64_ASM_FRAME_H
#define ARCH_X86_64_ASM_FRAME_H

#define TF_RIP (17 * 8)
#define TF_CS (18 * 8)
#define TF_SS (21 * 8)
#define TRAPFRAME_SIZE (22 * 8)

/* The general registers of a struct trapframe, pushed so that r15 ends up at the lowest address. */
.macro PUSH_TRAPFRAME_REGS
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
.endm

.macro POP_TRAPFRAME_REGS
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
.endm

/* The System V callee-saved registers, as a kernel context that switches stacks keeps them. */
.macro PUSH_CALLEE_SAVED
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
.endm

.macro POP_CALLEE_SAVED
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
.endm

#endif
