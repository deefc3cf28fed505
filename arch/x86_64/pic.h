/*
 * The two cascaded 8259A interrupt controllers of the PC, remapped so that IRQ n arrives at vector
 * PIC_VECTOR_BASE + n (clear of the CPU's exception vectors 0..31). Every IRQ starts masked.
 */
#ifndef ARCH_X86_64_PIC_H
#define ARCH_X86_64_PIC_H

#include <stdbool.h>
#include <stdint.h>

#define PIC_VECTOR_BASE 32
#define PIC_IRQS 16

/*
 * Remap both controllers, mask every IRQ, and route the spurious-IRQ vectors (7 and 15) to a
 * handler that ignores them. Once, at boot, with interrupts off.
 */
void pic_init(void);

/* Let IRQ irq through. */
void pic_unmask(unsigned irq);

/* The IRQs let through now (bit n: IRQ n), the cascade line included. */
uint16_t pic_unmasked(void);

/*
 * Mask every IRQ, the cascade line too: the I/O APIC delivers them from now on
 * (arch/x86_64/isa_irq.c). Interrupts off.
 */
void pic_mask_all(void);

/* Signal the end of IRQ irq's handler (to both controllers for IRQs 8..15). */
void pic_eoi(unsigned irq);

#endif
