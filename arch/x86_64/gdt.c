#include "arch/x86_64/gdt.h"
#include "kernel/string.h"

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

static struct tss tss;
static uint64_t gdt[7];
static uint8_t ist_df_stack[8192] __attribute__((aligned(16)));
static uint8_t ist_nmi_stack[8192] __attribute__((aligned(16)));

#define SEG_CODE64_K 0x00af9a000000ffffull /* present, DPL 0, code, long mode */
#define SEG_DATA_K 0x00cf92000000ffffull   /* present, DPL 0, data, writable */
#define SEG_DATA_U 0x00cff2000000ffffull   /* present, DPL 3, data, writable */
#define SEG_CODE64_U 0x00affa000000ffffull /* present, DPL 3, code, long mode */

void gdt_init(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;

	memset(&tss, 0, sizeof(tss));
	tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)(ist_df_stack + sizeof(ist_df_stack));
	tss.ist[IST_NMI - 1] = (uint64_t)(ist_nmi_stack + sizeof(ist_nmi_stack));
	tss.iomap_base = sizeof(tss); /* no I/O permission bitmap: ring 3 gets no ports */

	gdt[0] = 0;
	gdt[KERNEL_CS >> 3] = SEG_CODE64_K;
	gdt[KERNEL_DS >> 3] = SEG_DATA_K;
	gdt[USER_DS >> 3] = SEG_DATA_U;
	gdt[USER_CS >> 3] = SEG_CODE64_U;
	/* 64-bit available TSS descriptor: 16 bytes. */
	gdt[TSS_SEL >> 3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
			    (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[(TSS_SEL >> 3) + 1] = base >> 32;

	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = {sizeof(gdt) - 1, (uint64_t)gdt};

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

void tss_set_rsp0(uint64_t rsp0)
{
	tss.rsp[0] = rsp0;
}
