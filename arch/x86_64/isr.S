/*
 * Interrupt and exception entry stubs: 256 of them, 16 bytes apart starting at isr_stubs, so the
 * IDT entry for vector v points at isr_stubs + 16 * v.
 *
 * Each stub pushes a zero error code when the CPU pushes none, then the vector, and jumps to
 * isr_common, which pushes the general registers to complete a struct trapframe
 * (arch/x86_64/trap.h) and calls trap_dispatch(frame). Stack on entry to trap_dispatch, from
 * higher to lower addresses:
 *     ss, rsp, rflags, cs, rip        pushed by the CPU (rsp was aligned to 16 first)
 *     error code, vector              pushed by the stub
 *     rax rbx rcx rdx rsi rdi rbp r8 .. r15   pushed by isr_common
 * 22 quadwords in all: rsp is 16-byte aligned at the call, as the ABI requires.
 * Entries from ring 3 run swapgs on the way in and out so that GS holds the kernel's per-CPU base.
 */
#define TF_CS (18 * 8)

	.text
	.balign 16
	.globl isr_stubs
isr_stubs:
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
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	testb $3, TF_CS(%rsp)
	jz 1f
	swapgs
1:	cld
	mov %rsp, %rdi
	call trap_dispatch

/* Return through the frame at rsp: also how a new task first enters ring 3. */
	.globl trap_return
trap_return:
	testb $3, TF_CS(%rsp)
	jz 1f
	swapgs
1:	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq
