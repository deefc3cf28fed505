/*
 * copyin, copyout, copyout_u32s, copyinstr (contracts in kernel/usercopy.h).
 *
 * Every routine between usercopy_begin and usercopy_end is a leaf that pushes nothing, so that a
 * fault anywhere inside can be finished by usercopy_efault: the page-fault path
 * (arch/x86_64/usercopy.c, usercopy_fixup) points the frame's rip there, and its `ret` returns
 * -EFAULT straight to the routine's caller with the stack as the routine found it. The range
 * checks come before stac, so only user addresses below USER_MAX are ever touched with AC set.
 */
#include "uapi/errno.h"

#define USER_MAX 0x00007ffffffff000

/*
 * The copy proper, rsi to rdi, rdx bytes: quadwords, then the last 0-7 bytes as at most one
 * movsl, one movsw and one movsb. Under QEMU's TCG every iteration of a rep instruction costs
 * about as much as a short instruction sequence, so moving 8 bytes an iteration is what makes a
 * bpf_attr copy cheap, and a 4-byte result (BPF_PROG_TEST_RUN's retval) is one instruction;
 * real CPUs do either form well.
 */
.macro COPY_BYTES
	movq	%rdx, %rcx
	shrq	$3, %rcx
	jz	.Lno_quads\@
	rep movsq
.Lno_quads\@:
	testb	$4, %dl
	jz	.Lno4\@
	movsl
.Lno4\@:
	testb	$2, %dl
	jz	.Lno2\@
	movsw
.Lno2\@:
	testb	$1, %dl
	jz	.Lno1\@
	movsb
.Lno1\@:
.endm

/* stac/clac exist only on CPUs with SMAP (they raise #UD elsewhere). */
.macro SMAP_OPEN
	testb	$1, usercopy_have_smap(%rip)
	jz	.Lno_stac\@
	stac
.Lno_stac\@:
.endm
.macro SMAP_CLOSE
	testb	$1, usercopy_have_smap(%rip)
	jz	.Lno_clac\@
	clac
.Lno_clac\@:
.endm

	.text
	.globl usercopy_begin, usercopy_end, usercopy_efault
usercopy_begin:

/* int copyin(const void *uaddr rdi, void *kaddr rsi, size_t len rdx) */
	.globl copyin
	.type copyin, @function
copyin:
	movq	%rdx, %rcx
	movq	%rdi, %rax
	addq	%rcx, %rax                      /* rax = end of the user range */
	jc	usercopy_efault_nostac
	movabsq	$USER_MAX, %r8
	cmpq	%r8, %rax
	ja	usercopy_efault_nostac
	xchgq	%rdi, %rsi                      /* movsb: rsi = source (user), rdi = destination */
	SMAP_OPEN
	COPY_BYTES
	SMAP_CLOSE
	xorl	%eax, %eax
	ret
	.size copyin, . - copyin

/* int copyout(const void *kaddr rdi, void *uaddr rsi, size_t len rdx) */
	.globl copyout
	.type copyout, @function
copyout:
	movq	%rdx, %rcx
	movq	%rsi, %rax
	addq	%rcx, %rax
	jc	usercopy_efault_nostac
	movabsq	$USER_MAX, %r8
	cmpq	%r8, %rax
	ja	usercopy_efault_nostac
	xchgq	%rdi, %rsi                      /* movsb: rsi = source (kernel), rdi = destination */
	SMAP_OPEN
	COPY_BYTES
	SMAP_CLOSE
	xorl	%eax, %eax
	ret
	.size copyout, . - copyout

/*
 * int copyout_u32s(void *ubase rdi, size_t span rsi, const struct user_u32 *puts rdx, size_t n rcx)
 * The block is checked once; each store's offset is checked against span inside the window (a bad
 * one leaves through usercopy_efault, which closes it).
 */
	.globl copyout_u32s
	.type copyout_u32s, @function
copyout_u32s:
	movq	%rdi, %rax
	addq	%rsi, %rax
	jc	usercopy_efault_nostac
	movabsq	$USER_MAX, %r8
	cmpq	%r8, %rax
	ja	usercopy_efault_nostac
	testq	%rcx, %rcx
	jz	2f
	SMAP_OPEN
1:	movl	(%rdx), %r8d                    /* off */
	leaq	4(%r8), %rax
	cmpq	%rsi, %rax
	ja	usercopy_efault
	movl	4(%rdx), %eax                   /* val */
	movl	%eax, (%rdi, %r8)
	addq	$8, %rdx
	decq	%rcx
	jnz	1b
	SMAP_CLOSE
2:	xorl	%eax, %eax
	ret
	.size copyout_u32s, . - copyout_u32s

/*
 * int copyinstr(const void *uaddr rdi, char *kaddr rsi, size_t maxlen rdx, size_t *done rcx)
 * r8 = bytes we may read before USER_MAX; r9 = min(maxlen, r8); r10 = bytes copied.
 */
	.globl copyinstr
	.type copyinstr, @function
copyinstr:
	movabsq	$USER_MAX, %r8
	cmpq	%r8, %rdi
	jae	usercopy_efault_nostac
	subq	%rdi, %r8
	movq	%rdx, %r9
	cmpq	%r8, %r9
	cmova	%r8, %r9
	xorl	%r10d, %r10d
	SMAP_OPEN
1:	cmpq	%r9, %r10
	je	2f
	movb	(%rdi, %r10), %al
	movb	%al, (%rsi, %r10)
	incq	%r10
	testb	%al, %al
	jnz	1b
	SMAP_CLOSE
	testq	%rcx, %rcx
	jz	3f
	movq	%r10, (%rcx)
3:	xorl	%eax, %eax
	ret
2:	SMAP_CLOSE                                    /* ran out: of maxlen, or of user space */
	cmpq	%rdx, %r10
	jb	usercopy_efault_nostac
	testq	%rcx, %rcx
	jz	4f
	movq	%r10, (%rcx)
4:	movq	$-ENAMETOOLONG, %rax
	ret
	.size copyinstr, . - copyinstr

/* Where a fault inside the routines above resumes: AC off, -EFAULT to the routine's caller. */
usercopy_efault:
	SMAP_CLOSE
usercopy_efault_nostac:
	movq	$-EFAULT, %rax
	ret
usercopy_end:

	.data
	.globl usercopy_have_smap
usercopy_have_smap:
	.byte 0

	.section .note.GNU-stack, "", @progbits
