/* The x86_64 part of booting (contract in <machine/machdep.h>). */
#include <machine/machdep.h>
#include <machine/fpu.h>
#include <machine/intr.h>
#include <machine/percpu.h>
#include <machine/serial.h>
#include <machine/timer.h>
#include "arch/x86_64/cpufeat.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/pic.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/syscall_arch.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/usercopy.h"
#include "mm/mmu.h"

void arch_console_init(void)
{
	serial_init();
}

void arch_console_rx_start(void (*rx)(char c))
{
	serial_rx_start(rx);
}

void arch_init_early(void)
{
	gdt_init();
	percpu_init();
	idt_init();
}

void arch_cpu_identify(void)
{
	cpu_features_init();
}

void arch_vm_bootstrap(vm_paddr_t phys_end)
{
	pmap_bootstrap(phys_end, cpu_features.pdpe1gb);
}

void arch_init_tasks(void)
{
	usercopy_init(cpu_features.smap);
	fpu_init();
	syscall_arch_init();
}

void arch_start_clock(void)
{
	pic_init();
	timer_init();
	irq_enable();
}

void arch_start_aps(void)
{
	smp_init();
}

void arch_triple_fault(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = {0, 0};
	__asm__ volatile("lidt %0; int3" ::"m"(empty));
	__builtin_unreachable();
}

void arch_hang(void)
{
	for (;;) {
		irq_disable();
		halt();
	}
}
