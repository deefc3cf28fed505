/*
 * <machine/machdep.h>: the machine's part of booting, as kmain (kernel/main.c) calls it, in this
 * order, on the boot CPU, once each:
 *
 *   arch_console_init        the console works (kprintf)
 *   arch_init_early          this CPU's descriptor tables, per-CPU area and trap vectors
 *   arch_cpu_identify        the CPU's features, reported on the console (after the boot info)
 *   arch_vm_bootstrap        the kernel's final page tables (after pmm_init)
 *   arch_init_tasks          what the first task needs: user copies, the FPU, system-call entry
 *   arch_start_clock         the tick and interrupts on (after task_init)
 *   arch_start_aps           every other CPU (after the tick runs)
 *
 * and the test aids of `make test`'s broken kernels (ktest.inject=...).
 */
#ifndef MACHINE_MACHDEP_H
#define MACHINE_MACHDEP_H

#include <stdbool.h>
#include "mm/types.h"

/* The architecture's name, for the banner. */
#define MACHINE_ARCH "x86_64"

/* Make the console (COM1) work for kprintf. First thing of all; nothing before it may print. */
void arch_console_init(void);

/*
 * Pass the console's received bytes to rx, from the receive interrupt, in order (the shell's
 * input). After arch_start_clock; rx may run with interrupts off.
 */
void arch_console_rx_start(void (*rx)(char c));

/* The boot CPU's GDT and TSS, its per-CPU area (cpu_this_id, the current task) and the IDT. */
void arch_init_early(void);

/* Find the CPU's features (NX, 1 GiB pages, SMEP, SMAP, ...), turn on the protections, report. */
void arch_cpu_identify(void);

/*
 * Build the kernel pmap (direct map of [0, phys_end), the W^X image) with the largest pages the
 * CPU has, and switch to it. After pmm_init and arch_cpu_identify.
 */
void arch_vm_bootstrap(vm_paddr_t phys_end);

/* User copies (SMAP or not), the FPU and the system-call entry: before task_init. */
void arch_init_tasks(void);

/* The interrupt controllers and the tick, then interrupts on: after task_init. */
void arch_start_clock(void);

/* Start the other CPUs (the kernel command line's smp=N limits them) and fix the CPU count. */
void arch_start_aps(void);

/* ktest.inject=triple: load an empty interrupt table and raise an exception. Never returns. */
__attribute__((noreturn)) void arch_triple_fault(void);

/* ktest.inject=hang: interrupts off, halt forever. Never returns. */
__attribute__((noreturn)) void arch_hang(void);

#endif
