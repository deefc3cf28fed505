/*
 * The AP's way from real mode to the kernel (contract in arch/x86_64/smp.h).
 *
 * smp_trampoline_start .. smp_trampoline_end is copied to a page P below 1 MiB; the SIPI vector
 * P >> 12 starts the AP in real mode at CS = P >> 4, IP = 0, with no stack. The code is position
 * independent: it finds P from CS and patches its own GDT pointer and far-jump targets. Then:
 *   16-bit: record "alive", load the temporary GDT, set CR0.PE, far jump to 32-bit code;
 *   32-bit: CR4 = PAE, CR3 = the temporary PML4 (which maps P's first 2 MiB 1:1 and the kernel half
 *           as the kernel pmap does), EFER.LME|NXE, CR0.PG|WP, far jump to 64-bit code;
 *   64-bit: rsp = the AP's stack, rdi = its area, rsi = the kernel CR3, jump to smp_ap_entry.
 * ebx holds P throughout. smp_ap_entry (kernel text, reached through the kernel half) loads the
 * kernel CR3, dropping the identity map, and calls smp_ap_main(area) on the AP's stack (rsp is
 * 16-byte aligned there, rbp 0 ends backtraces).
 */
#include "arch/x86_64/smp.h"

#define CR0_PE 0x1
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define SEL_CODE32 0x08
#define SEL_DATA 0x10
#define SEL_CODE64 0x18
#define OFF(x) ((x) - smp_trampoline_start)
#define PARAM(f) (OFF(smp_trampoline_params) + (f))

	.section .rodata.smp_trampoline, "a"
	.balign 16
	.globl smp_trampoline_start, smp_trampoline_end, smp_trampoline_params
	.code16
smp_trampoline_start:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	movl $1, PARAM(SMP_TP_ALIVE)
	xor %ebx, %ebx
	mov %cs, %bx
	shl $4, %ebx
	mov %ebx, %eax
	add $OFF(tr_gdt), %eax
	mov %eax, OFF(tr_gdtr) + 2
	mov %ebx, %eax
	add $OFF(tr_pm), %eax
	mov %eax, OFF(tr_pm_ptr)
	mov %ebx, %eax
	add $OFF(tr_lm), %eax
	mov %eax, OFF(tr_lm_ptr)
	lgdtl OFF(tr_gdtr)
	mov %cr0, %eax
	or $CR0_PE, %eax
	mov %eax, %cr0
	ljmpl *OFF(tr_pm_ptr)

	.code32
tr_pm:
	mov $SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $CR4_PAE, %eax
	mov %eax, %cr4
	mov PARAM(SMP_TP_PML4)(%ebx), %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $(EFER_LME | EFER_NXE), %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PG | CR0_WP), %eax
	mov %eax, %cr0
	ljmp *OFF(tr_lm_ptr)(%ebx)

	.code64
tr_lm:
	mov %ebx, %ebx                                  /* zero-extend P */
	mov PARAM(SMP_TP_STACK)(%rbx), %rsp
	mov PARAM(SMP_TP_ARG)(%rbx), %rdi
	mov PARAM(SMP_TP_CR3)(%rbx), %rsi
	jmp *PARAM(SMP_TP_ENTRY)(%rbx)

	.balign 8
tr_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff                        /* 0x08: 32-bit code, flat */
	.quad 0x00cf92000000ffff                        /* 0x10: data, flat */
	.quad 0x00af9a000000ffff                        /* 0x18: 64-bit code */
tr_gdtr:
	.short tr_gdtr - tr_gdt - 1
	.long 0                                         /* P + OFF(tr_gdt) */
tr_pm_ptr:
	.long 0                                         /* P + OFF(tr_pm) */
	.short SEL_CODE32
tr_lm_ptr:
	.long 0                                         /* P + OFF(tr_lm) */
	.short SEL_CODE64
	.balign 8
smp_trampoline_params:
	.skip SMP_TP_SIZE
smp_trampoline_end:

	.text
	.globl smp_ap_entry
smp_ap_entry:
	mov %rsi, %cr3
	xor %ebp, %ebp
	call smp_ap_main
1:	cli
	hlt
	jmp 1b
