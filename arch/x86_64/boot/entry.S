/*
 * Multiboot2 header and the 32-bit entry: from GRUB's protected mode to the higher-half kernel.
 *
 * GRUB enters _start in 32-bit protected mode, paging off, with eax = multiboot2 magic and
 * ebx = physical address of the multiboot2 information; no usable stack. This holds under UEFI too:
 * the header asks for the i386 entry and neither to keep boot services nor for a 64-bit EFI entry,
 * so GRUB's efi platform exits boot services, leaves the firmware's long mode and enters here in
 * the same state. What the firmware leaves in control registers is not ours to trust, though. We:
 *   1. take our own stack (boot_stack, physical address) and check magic and CPUID for long mode;
 *   2. build boot page tables (all in .boot.bss, zeroed here):
 *        PML4[0] and PML4[256] -> boot_pdpt_dmap: the first 16 GiB (BOOT_DMAP_SIZE in
 *          mm/memlayout.h) with 2 MiB pages, so that the
 *          entry code keeps running (identity) and phys_to_virt works at DMAP_BASE from the start;
 *        PML4[511] -> boot_pdpt_kern[510] -> boot_pd_kern -> boot_pt_kern[0..1]: the kernel image at
 *          KERNEL_BASE + phys with 4 KiB pages, W^X per section (text RX, rodata R+NX, data/bss RW+NX);
 *   3. set CR4 to PAE alone, load CR3, set EFER.LME and EFER.NXE, enable paging with CR0.WP;
 *   4. load a 64-bit GDT, far-jump into long mode, jump to the higher half, call
 *      kmain(magic, mbi_phys) on boot_stack with rbp = 0 (the backtrace's end marker).
 * arch/x86_64/pmap_boot.c later replaces these tables with the final kernel pmap.
 */
#define KERNEL_BASE 0xffffffff80000000
#define PHYS(x) ((x) - KERNEL_BASE)
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80
#define MB2_MAGIC 0xe85250d6
#define MB2_BOOT_MAGIC 0x36d76289
#define COM1 0x3f8

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long 0                                         /* architecture: i386 protected mode */
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + 0 + (mb2_header_end - mb2_header))
	.short 0, 0                                     /* end tag */
	.long 8
mb2_header_end:

	.section .boot.bss, "aw", @nobits
	.balign 4096
boot_pml4:	.skip 4096
boot_pdpt_dmap:	.skip 4096
boot_pd_dmap:	.skip 4096 * 16
boot_pdpt_kern:	.skip 4096
boot_pd_kern:	.skip 4096
boot_pt_kern:	.skip 4096 * 2
boot_tables_end:

	.section .boot.data, "a"
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff                        /* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff                        /* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdtr:
	.short boot_gdt_end - boot_gdt - 1
	.long boot_gdt
msg_magic:	.asciz "kestrel: not loaded by a multiboot2 loader\n"
msg_lm:		.asciz "kestrel: this CPU has no long mode\n"

	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	mov $PHYS(boot_stack_top), %esp
	mov %eax, %edi                                  /* survives into kmain's first argument */
	mov %ebx, %esi                                  /* second argument */

	cmp $MB2_BOOT_MAGIC, %eax
	mov $msg_magic, %ebx
	jne boot_fail32
	mov $0x80000000, %eax                           /* extended CPUID leaves present? */
	cpuid
	cmp $0x80000001, %eax
	mov $msg_lm, %ebx
	jb boot_fail32
	mov $0x80000001, %eax
	cpuid
	bt $29, %edx                                    /* LM */
	jnc boot_fail32

	/* Zero the boot page tables and the kernel's .bss. */
	xor %eax, %eax
	mov $boot_pml4, %edx
	mov %edx, %edi
	mov $(boot_tables_end - boot_pml4) / 4, %ecx
	rep stosl
	mov $PHYS(__bss_start), %edi
	mov $PHYS(__kernel_end), %ecx
	sub %edi, %ecx
	shr $2, %ecx
	rep stosl
	mov $MB2_BOOT_MAGIC, %edi                       /* rep stosl used edi; eax was checked equal to this */

	/* PML4[0] = PML4[256] = the 16 GiB 2 MiB-page map; PML4[511] = the kernel image. */
	mov $boot_pdpt_dmap + PTE_P + PTE_W, %eax
	mov %eax, boot_pml4
	mov %eax, boot_pml4 + 256 * 8
	mov $boot_pdpt_kern + PTE_P + PTE_W, %eax
	mov %eax, boot_pml4 + 511 * 8

	/* boot_pdpt_dmap[i] = boot_pd_dmap page i, for 16 GiB. */
	mov $boot_pd_dmap + PTE_P + PTE_W, %eax
	xor %ecx, %ecx
1:	mov %eax, boot_pdpt_dmap(, %ecx, 8)
	add $4096, %eax
	inc %ecx
	cmp $16, %ecx
	jb 1b

	/* 8192 PDEs of 2 MiB each: entry i maps physical i * 2 MiB (high dword = bits 32..). */
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $21, %eax
	or $PTE_P + PTE_W + PTE_PS, %eax
	mov %eax, boot_pd_dmap(, %ecx, 8)
	mov %ecx, %eax
	shr $11, %eax
	mov %eax, boot_pd_dmap + 4(, %ecx, 8)
	inc %ecx
	cmp $8192, %ecx
	jb 2b

	/* Kernel: PDPT[510] -> PD, PD[0..1] -> two PTs covering physical 0..4 MiB. */
	mov $boot_pd_kern + PTE_P + PTE_W, %eax
	mov %eax, boot_pdpt_kern + 510 * 8
	mov $boot_pt_kern + PTE_P + PTE_W, %eax
	mov %eax, boot_pd_kern
	add $4096, %eax
	mov %eax, boot_pd_kern + 8

	/* One PTE per kernel page from __text_start: text RX, rodata R NX, data and bss RW NX. */
	mov $PHYS(__text_start), %eax
3:	mov %eax, %ecx
	shr $12, %ecx                                   /* PTE index = physical page number */
	mov %eax, %edx
	or $PTE_P, %edx
	xor %ebx, %ebx
	cmp $PHYS(__rodata_start), %eax
	jb 4f
	mov $0x80000000, %ebx                           /* NX (bit 63) */
	cmp $PHYS(__data_start), %eax
	jb 4f
	or $PTE_W, %edx
4:	mov %edx, boot_pt_kern(, %ecx, 8)
	mov %ebx, boot_pt_kern + 4(, %ecx, 8)
	add $4096, %eax
	cmp $PHYS(__kernel_end), %eax
	jb 3b

	/*
	 * CR4 = PAE alone, then CR3, EFER.LME | EFER.NXE, paging and write protection. CR4 is written,
	 * not or-ed: leaving the firmware's long mode, GRUB clears only CR4.PAE, so firmware that ran
	 * with 5-level paging would leave CR4.LA57 set and our 4-level tables be walked as 5-level
	 * ones. The kernel sets the CR4 features it wants later (arch/x86_64/cpufeat.c, fpu.c).
	 */
	mov $(1 << 5), %eax
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $((1 << 8) | (1 << 11)), %eax
	wrmsr
	mov %cr0, %eax
	or $((1 << 31) | (1 << 16) | 1), %eax
	mov %eax, %cr0

	lgdt boot_gdtr
	ljmp $0x08, $long_mode_entry

/* Print the string at ebx on COM1 and halt: nothing else can report this early. */
boot_fail32:
	mov $COM1, %dx
1:	movb (%ebx), %al
	test %al, %al
	jz 2f
	outb %al, %dx
	inc %ebx
	jmp 1b
2:	cli
	hlt
	jmp 2b

	.code64
long_mode_entry:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs
	movabs $higher_half_entry, %rax
	jmp *%rax

	.text
higher_half_entry:
	mov $boot_stack_top, %rsp
	/* Drop the identity map (PML4[0]) so that a NULL or low-address access faults from now on. */
	movabs $(boot_pml4 + 0xffff800000000000), %rax
	movq $0, (%rax)
	mov %cr3, %rax
	mov %rax, %cr3
	mov %edi, %edi                                  /* zero-extend kmain's two 32-bit arguments */
	mov %esi, %esi
	xor %ebp, %ebp
	call kmain
1:	cli
	hlt
	jmp 1b

	.bss
	.balign 16
	.globl boot_stack, boot_stack_top
boot_stack:	.skip 16384
boot_stack_top:
