#include "arch/x86_64/gdt.h"
#include "kernel/string.h"

static struct cpu_gdt boot_gdt;
static uint8_t boot_ist_df[IST_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t boot_ist_nmi[IST_STACK_SIZE] __attribute__((aligned(16)));

#define SEG_CODE64_K 0x00af9a000000ffffull /* present, DPL 0, code, long mode */
#define SEG_DATA_K 0x00cf92000000ffffull   /* present, DPL 0, data, writable */
#define SEG_DATA_U 0x00cff2000000ffffull   /* present, DPL 3, data, writable */
#define SEG_CODE64_U 0x00affa000000ffffull /* present, DPL 3, code, long mode */

void gdt_load_cpu(struct cpu_gdt *g, uint64_t df_top, uint64_t nmi_top)
{
	struct tss *tss = &g->tss;
	uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;

	memset(tss, 0, sizeof(*tss));
	tss->ist[IST_DOUBLE_FAULT - 1] = df_top;
	tss->ist[IST_NMI - 1] = nmi_top;
	tss->iomap_base = sizeof(*tss); /* no I/O permission bitmap: ring 3 gets no ports */

	g->gdt[0] = 0;
	g->gdt[KERNEL_CS >> 3] = SEG_CODE64_K;
	g->gdt[KERNEL_DS >> 3] = SEG_DATA_K;
	g->gdt[USER_DS >> 3] = SEG_DATA_U;
	g->gdt[USER_CS >> 3] = SEG_CODE64_U;
	/* 64-bit available TSS descriptor: 16 bytes. */
	g->gdt[TSS_SEL >> 3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
			       (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	g->gdt[(TSS_SEL >> 3) + 1] = base >> 32;

	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = {sizeof(g->gdt) - 1, (uint64_t)g->gdt};

	__asm__ volatile("lgdt %0\n\t"
			 "mov %1, %%ds\n\t"
			 "mov %1, %%es\n\t"
			 "mov %1, %%ss\n\t"
			 "pushq %2\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "ltr %w3"
			 :
			 : "m"(gdtr), "r"((uint64_t)KERNEL_DS), "i"(KERNEL_CS), "r"(TSS_SEL)
			 : "rax", "memory");
}

void gdt_init(void)
{
	gdt_load_cpu(&boot_gdt, (uint64_t)(boot_ist_df + sizeof(boot_ist_df)),
		     (uint64_t)(boot_ist_nmi + sizeof(boot_ist_nmi)));
}

struct tss *gdt_boot_tss(void)
{
	return &boot_gdt.tss;
}
