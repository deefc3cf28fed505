/*
 * syscall_entry: where the syscall instruction lands (MSR_LSTAR), and the return to ring 3.
 *
 * On arrival (syscall): ring 0, rip = here, rcx = user rip, r11 = user rflags, rsp = user rsp
 * (untrusted, not switched), GS = the user's, rflags & ~SYSCALL_RFLAGS_MASK (IF off).
 *
 * The entry builds a struct trapframe (arch/x86_64/trap.h) identical in layout to an interrupt
 * frame, so that one frame type describes every entry from ring 3:
 *
 *     %gs:PCPU_KERNEL_RSP (the entry stack top; == TSS.rsp0)
 *       ss       USER_DS
 *       rsp      the user rsp
 *       rflags   r11
 *       cs       USER_CS
 *       rip      rcx
 *       error    0
 *       vector   T_SYSCALL
 *       rax rbx rcx rdx rsi rdi rbp r8 .. r15      <- struct trapframe *, rdi for the C call
 *
 * 22 quadwords from a 16-byte-aligned top: rsp is 16-byte aligned at the call. The system call
 * runs with interrupts on. syscall_dispatch (kernel/syscall.c) stores the result in the frame's rax
 * and may rewrite any of it.
 *
 * Return: sysretq when the frame still describes a plain return to 64-bit ring 3 (cs = USER_CS,
 * ss = USER_DS) and rip is canonical; otherwise iretq through trap_return (isr.S). sysret to a
 * non-canonical rip would raise #GP in ring 0 on the user's stack: that path is never taken.
 * sysret loads rip from rcx and rflags from r11, so those two registers do not survive a system
 * call (as the ABI in include/uapi/syscall.h says).
 */
#include "arch/x86_64/asm_frame.h"
#include <machine/percpu.h>
#include "arch/x86_64/syscall_arch.h"


	.text
	.globl syscall_entry
	.type syscall_entry, @function
syscall_entry:
	swapgs
	movq	%rsp, %gs:PCPU_USER_RSP
	movq	%gs:PCPU_KERNEL_RSP, %rsp
	pushq	$SYSCALL_USER_DS
	pushq	%gs:PCPU_USER_RSP
	pushq	%r11
	pushq	$SYSCALL_USER_CS
	pushq	%rcx
	pushq	$0
	pushq	$T_SYSCALL
	PUSH_TRAPFRAME_REGS
	xorl	%ebp, %ebp                      /* the kernel backtrace ends here */
	movq	%rsp, %rdi
	sti
	call	syscall_dispatch
	cli

	cmpq	$SYSCALL_USER_CS, TF_CS(%rsp)
	jne	1f
	cmpq	$SYSCALL_USER_DS, TF_SS(%rsp)
	jne	1f
	movq	TF_RIP(%rsp), %rcx
	shrq	$47, %rcx                       /* canonical user rip: bits 63..47 clear */
	jnz	1f

	POP_TRAPFRAME_REGS
	/* Left: vector, error, rip, cs, rflags, rsp, ss. */
	movq	16(%rsp), %rcx
	movq	32(%rsp), %r11
	movq	40(%rsp), %rsp
	swapgs
	sysretq

1:	jmp	trap_return
	.size syscall_entry, . - syscall_entry

	.section .note.GNU-stack, "", @progbits
