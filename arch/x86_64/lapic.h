/*
 * The local APIC of each CPU, in xAPIC mode: its registers are a 4 KiB MMIO page at the address
 * ACPI's MADT gives (the IA32_APIC_BASE MSR must agree). Register offsets and ICR fields: Intel SDM
 * vol. 3, chapter "Advanced Programmable Interrupt Controller".
 *
 * The boot CPU's APIC starts in virtual wire mode: LINT0 takes the 8259 PIC's interrupts as
 * ExtINT, LINT1 the NMI, until the I/O APIC takes the ISA interrupts over (arch/x86_64/isa_irq.h)
 * and LINT0 is masked. Application processors mask both (only the boot CPU took the PIC's).
 * x2APIC mode is not used: if the firmware left it on, lapic_init refuses and Kestrel stays on one
 * CPU.
 */
#ifndef ARCH_X86_64_LAPIC_H
#define ARCH_X86_64_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define LAPIC_SPURIOUS_VECTOR 0xff

/* The timer's LVT entry: a vector, masked or not, one-shot or periodic. */
#define LAPIC_TIMER_MASKED 0x10000u
#define LAPIC_TIMER_PERIODIC 0x20000u

/* ICR low word: delivery mode, level, trigger, destination shorthand. */
#define LAPIC_ICR_FIXED 0x00000u
#define LAPIC_ICR_INIT 0x00500u
#define LAPIC_ICR_STARTUP 0x00600u
#define LAPIC_ICR_ASSERT 0x04000u
#define LAPIC_ICR_LEVEL 0x08000u

/*
 * Bring up the boot CPU's local APIC: CPUID must report one, IA32_APIC_BASE must have it enabled
 * in xAPIC mode at phys (the MADT's address), and its page gets a kernel mapping (the direct map's
 * address for phys, mapped now if RAM's direct map does not reach it). Then software-enable it
 * (spurious vector LAPIC_SPURIOUS_VECTOR, task priority 0, LINT0 ExtINT, LINT1 NMI, errors masked).
 * Returns 0, or -ENODEV with a console line saying why. Once, at boot, before any other lapic_*.
 */
int lapic_init(uint64_t phys);

/* Enable the calling application processor's local APIC (LINT0 and LINT1 masked). After lapic_init. */
void lapic_init_ap(void);

/* Mask the calling CPU's LINT0: the 8259 PIC's interrupts no longer come in (the I/O APIC's do). */
void lapic_mask_lint0(void);

/* The calling CPU's local APIC id (8 bits in xAPIC mode). */
uint32_t lapic_id(void);

/* End of interrupt: the handler of an APIC-delivered interrupt (not the PIC's) calls it last. */
void lapic_eoi(void);

/*
 * Send the interprocessor interrupt icr_lo (vector | LAPIC_ICR_* bits) to the APIC with id
 * apic_id. Waits until the APIC has taken the previous one from its
 * command register; interrupts may be on or off (it disables them around the two-register write).
 * Returns false if the APIC never took it (a hardware fault), true otherwise.
 */
bool lapic_send(uint32_t apic_id, uint32_t icr_lo);

/*
 * Program the calling CPU's APIC timer: LVT entry lvt (vector | LAPIC_TIMER_*), counting down from
 * initial at the bus clock divided by 16; initial 0 stops it. Policy (calibration, what a tick
 * does) is arch/x86_64/lapic_timer.c's. Interrupts off or on.
 */
void lapic_timer_arm(uint32_t lvt, uint32_t initial);

/* The calling CPU's APIC timer count now (0 once a one-shot count ran out). */
uint32_t lapic_timer_current(void);

#endif
