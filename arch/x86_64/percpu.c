/* Per-CPU areas (contract in <machine/percpu.h>). */
#include <machine/percpu.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "kernel/cpu.h"

static struct percpu cpu0;

void percpu_init_ap(struct percpu *p)
{
	p->self = p;
	wrmsr(MSR_GS_BASE, (uint64_t)p);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void percpu_init(void)
{
	cpu0.tss = gdt_boot_tss();
	cpu0.cpu_id = 0;
	percpu_init_ap(&cpu0);
}

struct percpu *percpu_this_early(void)
{
	struct percpu *p = (struct percpu *)rdmsr(MSR_GS_BASE);
	return p && p->self == p ? p : NULL;
}

void percpu_set_entry_stack(uint64_t top)
{
	struct percpu *p = this_cpu();
	p->kernel_rsp = top;
	p->tss->rsp[0] = top;
}

/* kernel/cpu.h's CPU id: this CPU's area says it (smp.c numbers the APs as they come online). */
unsigned cpu_this_id(void)
{
	return this_cpu()->cpu_id;
}
