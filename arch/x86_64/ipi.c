/* Interprocessor interrupts through the local APIC (contracts in kernel/ipi.h, arch/x86_64/ipi.h). */
#include "arch/x86_64/ipi.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/tlb.h"
#include "arch/x86_64/trap.h"
#include "uapi/errno.h"

static void (*handlers[IPI_KINDS])(void);

static void ipi_irq(struct trapframe *tf)
{
	void (*fn)(void) =
		__atomic_load_n(&handlers[tf->vector - IPI_VECTOR_BASE], __ATOMIC_ACQUIRE);
	if (fn)
		fn();
	lapic_eoi();
}

void ipi_init(void)
{
	for (int k = 0; k < IPI_KINDS; k++)
		trap_register(IPI_VECTOR_BASE + k, ipi_irq);
	ipi_set_handler(IPI_TLB_SHOOTDOWN, tlb_shootdown_ipi);
}

void ipi_set_handler(enum ipi_kind kind, void (*fn)(void))
{
	__atomic_store_n(&handlers[kind], fn, __ATOMIC_RELEASE);
}

int ipi_send(unsigned cpu, enum ipi_kind kind)
{
	if ((unsigned)kind >= IPI_KINDS || !smp_cpu_online(cpu) || cpu == smp_this_cpu())
		return -EINVAL;
	return lapic_send(smp_cpu_apic_id(cpu), LAPIC_ICR_FIXED | (IPI_VECTOR_BASE + kind)) ? 0
											    : -EIO;
}

int ipi_send_set(cpuset_t set, enum ipi_kind kind)
{
	int err = 0;
	for (unsigned cpu = 0; cpu < SMP_CPUS_MAX; cpu++) {
		if (!(set & CPUSET_CPU(cpu)))
			continue;
		int r = ipi_send(cpu, kind);
		if (r && !err)
			err = r;
	}
	return err;
}

int ipi_send_others(enum ipi_kind kind)
{
	if ((unsigned)kind >= IPI_KINDS)
		return -EINVAL;
	cpuset_t set = 0;
	for (unsigned cpu = 0; cpu < smp_cpu_count(); cpu++)
		if (cpu != smp_this_cpu())
			set |= CPUSET_CPU(cpu);
	return ipi_send_set(set, kind);
}
