/* 8259A PIC setup (contract in arch/x86_64/pic.h). Port and command values: the 8259A datasheet. */
#include "arch/x86_64/pic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define ICW1_INIT_ICW4 0x11 /* edge triggered, cascade, ICW4 follows */
#define ICW4_8086 0x01
#define OCW2_EOI 0x20
#define OCW3_READ_ISR 0x0b

static uint16_t masked = 0xffff;

static void write_masks(void)
{
	outb(PIC1_DATA, (uint8_t)masked);
	outb(PIC2_DATA, (uint8_t)(masked >> 8));
}

static uint8_t read_isr(uint16_t cmd_port)
{
	outb(cmd_port, OCW3_READ_ISR);
	return inb(cmd_port);
}

/*
 * IRQ 7 or 15 without its in-service bit set is a spurious interrupt (a request withdrawn before
 * the CPU acknowledged it): no EOI for it, except that the master must hear about a spurious
 * slave IRQ, since it did see the cascade line.
 */
static void spurious(struct trapframe *tf)
{
	unsigned irq = (unsigned)tf->vector - PIC_VECTOR_BASE;

	if (irq == 7 && (read_isr(PIC1_CMD) & 0x80))
		pic_eoi(7);
	else if (irq == 15 && (read_isr(PIC2_CMD) & 0x80))
		pic_eoi(15);
	else if (irq == 15)
		outb(PIC1_CMD, OCW2_EOI);
}

void pic_init(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	outb(PIC1_DATA, PIC_VECTOR_BASE);
	outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
	outb(PIC1_DATA, 1 << 2); /* the slave hangs off IRQ 2 */
	outb(PIC2_DATA, 2);      /* its cascade identity */
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	masked = 0xffff & ~(1u << 2); /* the cascade line itself stays open */
	write_masks();
	trap_register(PIC_VECTOR_BASE + 7, spurious);
	trap_register(PIC_VECTOR_BASE + 15, spurious);
}

void pic_unmask(unsigned irq)
{
	unsigned long f = irq_save();
	masked &= (uint16_t) ~(1u << irq);
	write_masks();
	irq_restore(f);
}

uint16_t pic_unmasked(void)
{
	return (uint16_t)~masked;
}

void pic_mask_all(void)
{
	masked = 0xffff;
	write_masks();
}

void pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, OCW2_EOI);
	outb(PIC1_CMD, OCW2_EOI);
}
