/*
 * Segment selectors. The order is what SYSCALL/SYSRET require: STAR[47:32] = KERNEL_CS
 * (SYSCALL loads CS = KERNEL_CS, SS = KERNEL_CS + 8) and STAR[63:48] = KERNEL_DS (SYSRET loads
 * SS = KERNEL_DS + 8 = USER_DS, CS = KERNEL_DS + 16 = USER_CS, both with RPL 3).
 *
 * Every CPU has its own GDT and TSS (struct cpu_gdt): ltr marks the TSS descriptor busy, so two
 * CPUs cannot load the same one, and each needs its own rsp0 and IST stacks anyway.
 */
#ifndef ARCH_X86_64_GDT_H
#define ARCH_X86_64_GDT_H

#include <stdint.h>

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS (0x18 | 3)
#define USER_CS (0x20 | 3)
#define TSS_SEL 0x28
#define GDT_ENTRIES 7 /* null, four segments, the 16-byte TSS descriptor */

#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_STACK_SIZE 8192

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "TSS layout");

/* One CPU's descriptor tables: its GDT, whose TSS descriptor points at its own TSS. */
struct cpu_gdt {
	uint64_t gdt[GDT_ENTRIES];
	struct tss tss;
};

/* The boot CPU's: gdt_load_cpu on static tables and IST stacks. Once, first thing at boot. */
void gdt_init(void);

/*
 * Fill g (IST stacks for #DF and NMI ending at df_top and nmi_top, 16-byte aligned, rsp0 0 until
 * percpu_set_entry_stack) and load it on the calling CPU: GDT, every segment register but FS and
 * GS, and TR. Once per CPU; g and the stacks must live as long as the CPU runs.
 */
void gdt_load_cpu(struct cpu_gdt *g, uint64_t df_top, uint64_t nmi_top);

/* The boot CPU's TSS (for its per-CPU area). */
struct tss *gdt_boot_tss(void);

#endif
