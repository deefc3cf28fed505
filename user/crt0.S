/*
 * Process entry. The kernel's ELF loader starts every user program here, in this state:
 *
 *   rip     the ELF header's e_entry (_start)
 *   rsp     16-byte aligned, inside the user stack; above it (higher addresses) the kernel has
 *           copied the argv pointer array and the strings it points to
 *   rdi     argc (number of argv pointers before the NULL)
 *   rsi     argv: pointer to argc string pointers followed by a NULL pointer
 *   rdx     envp: a NULL-terminated array like argv, or NULL (no environment)
 *   rbp     anything (cleared here so debuggers see the end of the frame chain)
 *   other   general registers unspecified; rflags with DF clear and IF set
 *   FPU     x87 control word 0x37f, MXCSR 0x1f80 (as after fninit/ldmxcsr), SSE enabled
 *           (CR4.OSFXSR), and the state saved and restored with the task: the compiler uses
 *           SSE registers in ordinary user code
 *   memory  each PT_LOAD segment mapped at p_vaddr with its p_flags, bytes from p_filesz to
 *           p_memsz zeroed (.bss); page 0 unmapped
 *
 * _start points the thread pointer at the first thread's record (__pthread_init: errno and
 * pthread_self need it), calls main(argc, argv, envp) and passes its return value to exit().
 */
	.text
	.globl _start
	.type _start, @function
_start:
	xorl	%ebp, %ebp
	movq	%rdi, %r12                      /* argc, argv, envp across the call */
	movq	%rsi, %r13
	movq	%rdx, %r14
	call	__pthread_init
	movq	%r12, %rdi
	movq	%r13, %rsi
	movq	%r14, %rdx
	call	main
	movl	%eax, %edi
	call	exit
	ud2
	.size _start, . - _start

	.section .note.GNU-stack, "", @progbits
