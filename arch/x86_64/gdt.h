/*
 * Segment selectors. The order is what SYSCALL/SYSRET require: STAR[47:32] = KERNEL_CS
 * (SYSCALL loads CS = KERNEL_CS, SS = KERNEL_CS + 8) and STAR[63:48] = KERNEL_DS (SYSRET loads
 * SS = KERNEL_DS + 8 = USER_DS, CS = KERNEL_DS + 16 = USER_CS, both with RPL 3).
 */
#ifndef ARCH_X86_64_GDT_H
#define ARCH_X86_64_GDT_H

#include <stdint.h>

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS (0x18 | 3)
#define USER_CS (0x20 | 3)
#define TSS_SEL 0x28

#define IST_DOUBLE_FAULT 1
#define IST_NMI 2

/* Load the kernel's GDT and TSS (with IST stacks for #DF and NMI) and reload every segment. */
void gdt_init(void);
/* Stack the CPU switches to on an interrupt or exception from ring 3 (TSS.rsp0). */
void tss_set_rsp0(uint64_t rsp0);

#endif
