/* The boot CPU's per-CPU area (contract in arch/x86_64/percpu.h). */
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"

static struct percpu cpu0;

void percpu_init(void)
{
	cpu0.self = &cpu0;
	wrmsr(MSR_GS_BASE, (uint64_t)&cpu0);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void percpu_set_entry_stack(uint64_t top)
{
	this_cpu()->kernel_rsp = top;
	tss_set_rsp0(top);
}
