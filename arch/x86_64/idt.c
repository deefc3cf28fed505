/* The interrupt descriptor table: every vector points at its entry point in isr.S. */
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/trap.h"

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define GATE_DPL3 0x60

extern char isr_vectors[];
static struct idt_gate idt[256];

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {sizeof(idt) - 1, (uint64_t)idt};
	__asm__ volatile("lidt %0" ::"m"(idtr));
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		uint64_t off = (uint64_t)(isr_vectors + 16 * v);
		idt[v] = (struct idt_gate){
			.off_lo = (uint16_t)off,
			.sel = KERNEL_CS,
			.ist = v == T_DF    ? IST_DOUBLE_FAULT
			       : v == T_NMI ? IST_NMI
					    : 0,
			.type_attr = GATE_INTERRUPT | (v == T_BP ? GATE_DPL3 : 0),
			.off_mid = (uint16_t)(off >> 16),
			.off_hi = (uint32_t)(off >> 32),
		};
	}
	idt_load();
}
