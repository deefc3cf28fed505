/*
 * kjmp_set / kjmp_long: setjmp and longjmp for the kernel (trap_catch uses them to abandon a
 * function that faulted). struct kjmp_buf: rbx, rbp, r12, r13, r14, r15, rsp, rip, rflags.
 *   int  kjmp_set(struct kjmp_buf *b)          returns 0, and again 1 when kjmp_long(b) runs
 *   void kjmp_long(struct kjmp_buf *b)         never returns; restores rflags (so IF) as saved
 */
	.text
	.globl kjmp_set, kjmp_long
kjmp_set:
	mov %rbx, 0(%rdi)
	mov %rbp, 8(%rdi)
	mov %r12, 16(%rdi)
	mov %r13, 24(%rdi)
	mov %r14, 32(%rdi)
	mov %r15, 40(%rdi)
	lea 8(%rsp), %rax                 /* rsp after our return */
	mov %rax, 48(%rdi)
	mov (%rsp), %rax                  /* our return address */
	mov %rax, 56(%rdi)
	pushfq
	popq 64(%rdi)
	xor %eax, %eax
	ret

kjmp_long:
	mov 0(%rdi), %rbx
	mov 8(%rdi), %rbp
	mov 16(%rdi), %r12
	mov 24(%rdi), %r13
	mov 32(%rdi), %r14
	mov 40(%rdi), %r15
	mov 48(%rdi), %rsp
	pushq 64(%rdi)
	popfq
	mov $1, %eax
	jmp *56(%rdi)
