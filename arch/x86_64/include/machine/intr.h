/*
 * The interrupt flag and the spin-wait hint, as arch-neutral code sees them (spinlocks, the
 * scheduler's idle loop, panic): nothing else of the CPU, so that a lock header does not bring port
 * I/O, MSRs or control registers into mm/. The rest of the x86_64 wrappers are arch/x86_64/cpu.h,
 * for arch/ only.
 *
 * Host builds (KESTREL_HOST: mm/ and the page-table code run as ordinary programs) get versions
 * that touch no privileged state: irq_save returns 0 and irq_restore does nothing.
 */
#ifndef MACHINE_INTR_H
#define MACHINE_INTR_H

#include <stdbool.h>

/* RFLAGS.IF: interrupts are enabled (in a saved flags word or a trap frame's rflags). */
#define RFLAGS_IF (1ul << 9)

/* Whether flags, as irq_save returned them, had interrupts on (the caller ran in thread context). */
static inline bool irq_flags_enabled(unsigned long flags)
{
	return (flags & RFLAGS_IF) != 0;
}

#ifdef KESTREL_HOST
static inline unsigned long irq_save(void)
{
	return 0;
}
static inline void irq_restore(unsigned long flags)
{
	(void)flags;
}
static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}
static inline void cpu_spin_wait(void)
{
	cpu_relax();
}
#else

/* The CPU's RFLAGS register. */
static inline unsigned long read_rflags(void)
{
	unsigned long f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

/* Whether interrupts are enabled on this CPU now. */
static inline bool irq_enabled(void)
{
	return irq_flags_enabled(read_rflags());
}

/* Disable interrupts; returns the previous flags for irq_restore. */
static inline unsigned long irq_save(void)
{
	unsigned long f = read_rflags();
	__asm__ volatile("cli" ::: "memory");
	return f;
}
/* Re-enable interrupts if flags (from irq_save) had them enabled; otherwise leave them off. */
static inline void irq_restore(unsigned long flags)
{
	if (irq_flags_enabled(flags))
		__asm__ volatile("sti" ::: "memory");
}
static inline void irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}
static inline void irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}
/* The spin-wait hint for a busy loop (x86 pause). */
static inline void cpu_relax(void)
{
	__asm__ volatile("pause");
}
/*
 * One turn of a spinlock waiter's loop: carry out the TLB shootdown requests other CPUs sent this
 * one (arch/x86_64/tlb.c), then cpu_relax. A CPU shoots with interrupts off when it holds a
 * spinlock, and waits for every target; a target spinning with interrupts off (it holds another
 * spinlock) would never take the IPI, so it answers here instead.
 */
void cpu_spin_wait(void);
/* Wait for the next interrupt (with interrupts off: forever). */
static inline void halt(void)
{
	__asm__ volatile("hlt");
}
/* Enable interrupts and halt: sti takes effect after hlt began, so no interrupt slips in between. */
static inline void cpu_idle_halt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

#endif /* KESTREL_HOST */
#endif
