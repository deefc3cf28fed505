/*
 * Interrupt and exception entry points: 256 of them, 16 bytes apart starting at isr_vectors, so the
 * IDT entry for vector v points at isr_vectors + 16 * v.
 *
 * Each entry point pushes a zero error code when the CPU pushes none, then the vector, and jumps to
 * isr_common, which pushes the general registers to complete a struct trapframe
 * (arch/x86_64/trap.h) and calls trap_dispatch(frame). Stack on entry to trap_dispatch, from
 * higher to lower addresses:
 *     ss, rsp, rflags, cs, rip        pushed by the CPU (rsp was aligned to 16 first)
 *     error code, vector              pushed by the entry point
 *     rax rbx rcx rdx rsi rdi rbp r8 .. r15   pushed by isr_common
 * 22 quadwords in all: rsp is 16-byte aligned at the call, as the ABI requires.
 * Entries from ring 3 run swapgs on the way in and out so that GS holds the kernel's per-CPU base.
 * Every handler runs with RFLAGS.AC clear (SMAP in force).
 */
#include "arch/x86_64/asm_frame.h"

	.text
	.balign 16
	.globl isr_vectors
isr_vectors:
	vec = 0
	.rept 256
	.balign 16
	.if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp isr_common
	vec = vec + 1
	.endr

isr_common:
	PUSH_TRAPFRAME_REGS
	testb $3, TF_CS(%rsp)
	jz 1f
	swapgs
	/*
	 * An interrupt gate keeps RFLAGS.AC: ring 3 may have set it, and a user-copy routine has it
	 * set between stac and clac. No handler, nor a task it switches to, may run with SMAP off, so
	 * clear it here; iretq restores the interrupted code's AC from the frame. (clac is #UD
	 * without SMAP.)
	 */
1:	testb $1, usercopy_have_smap(%rip)
	jz 2f
	clac
2:	cld
	mov %rsp, %rdi
	call trap_dispatch

/* Return through the frame at rsp: also how a new task first enters ring 3. */
	.globl trap_return
trap_return:
	testb $3, TF_CS(%rsp)
	jz 1f
	swapgs
1:	POP_TRAPFRAME_REGS
	addq $16, %rsp
	iretq
