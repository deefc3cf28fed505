/*
 * The syscall instruction's machine setup. The entry path itself is arch/x86_64/syscall_entry.S;
 * the dispatch is kernel/syscall.c.
 */
#ifndef ARCH_X86_64_SYSCALL_ARCH_H
#define ARCH_X86_64_SYSCALL_ARCH_H

/*
 * trapframe.vector of a frame built by syscall_entry: outside the 0..255 of real vectors, so one
 * frame type describes every entry and code can still tell a system call from an interrupt.
 */
#define T_SYSCALL 0x100

/*
 * RFLAGS bits the CPU clears on syscall (MSR_SFMASK): IF (the entry runs on a stack it has not
 * switched to yet), DF (the C ABI), TF (no single-step trap in the entry code), AC (SMAP stays on
 * in the kernel) and NT (an iretq inside the kernel with NT set would fault).
 */
/* USER_CS and USER_DS of arch/x86_64/gdt.h, for the assembly (gdt.h is C only; checked in syscall_arch.c). */
#define SYSCALL_USER_CS 0x23
#define SYSCALL_USER_DS 0x1b

#define SYSCALL_RFLAGS_MASK ((1u << 9) | (1u << 10) | (1u << 8) | (1u << 18) | (1u << 14))

#ifndef __ASSEMBLER__
/* Enable syscall/sysret (EFER.SCE) and program STAR, LSTAR and SFMASK. Needs percpu_init. */
void syscall_arch_init(void);

/* The entry point LSTAR names (syscall_entry.S). */
void syscall_entry(void);
#endif

#endif
