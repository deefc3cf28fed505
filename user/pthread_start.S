/*
 * A new pthread's first instruction (pthread_create passes it to thread_create). The kernel starts
 * it as include/uapi/thread.h says: rdi = the thread's record, rsp = its stack top, 16-byte
 * aligned. As user/crt0.S does for main, call the C side so that it sees the ABI's alignment.
 */
	.text
	.globl __pthread_start
	.type __pthread_start, @function
__pthread_start:
	xorl	%ebp, %ebp
	call	__pthread_main
	ud2
	.size __pthread_start, . - __pthread_start

	.section .note.GNU-stack, "", @progbits
