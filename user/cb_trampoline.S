/*
 * Where a BPF callback returns to (the trampoline protocol in include/uapi/bpf.h). The kernel
 * enters the callback with this address as its return address; the callback's result is in rax.
 *
 *   stack on arrival: whatever the callback's caller frame (set up by the kernel) left, rsp
 *                     16-byte aligned (the callback's `ret` popped the return address)
 *
 * SYS_cb_return hands rax back to the kernel and does not return here. If it does (no callback is
 * running: someone jumped here), fault rather than run on.
 */
#include "uapi/syscall.h"

	.text
	.globl __bpf_cb_trampoline
	.type __bpf_cb_trampoline, @function
__bpf_cb_trampoline:
	movq	%rax, %rdi
	movl	$SYS_cb_return, %eax
	syscall
	ud2
	.size __bpf_cb_trampoline, . - __bpf_cb_trampoline

	.section .note.GNU-stack, "", @progbits
