/*
 * Symmetric multiprocessing: find every CPU (ACPI's MADT), start the application processors
 * (APs) and let each schedule tasks (kernel/sched.h) with its own idle task, preempted by its own
 * APIC timer (lapic_timer.h), woken from its halt by interprocessor interrupts (kernel/ipi.h).
 *
 * Bring-up, one AP at a time: the real-mode trampoline (smp_trampoline.S) is copied to free memory
 * below 1 MiB, which pmm never hands out; INIT, 10 ms, SIPI, 200 us, SIPI, 200 us (Intel SDM vol. 3,
 * "MP initialization"); the AP goes from real mode through protected mode to long mode on temporary
 * page tables (the trampoline identity-mapped, plus the kernel pmap's kernel half), jumps to
 * smp_ap_entry in the kernel image, loads the kernel pmap's CR3 and runs smp_ap_main with its own
 * stack, GDT, TSS, IST stacks, per-CPU area and APIC timer, then sets its bit in the online set and
 * becomes a scheduling CPU (its idle task, made before it counts as online, runs through
 * sched_cpu_start and turns interrupts on). The kernel command line "smp=N" starts at most N CPUs in all.
 */
#ifndef ARCH_X86_64_SMP_H
#define ARCH_X86_64_SMP_H

/* The trampoline's parameter block (struct smp_params in smp.c; offsets shared with the assembly). */
#define SMP_TP_ALIVE 0  /* u32: the AP sets it to 1 first thing in real mode */
#define SMP_TP_PML4 4   /* u32: physical address of the temporary PML4 */
#define SMP_TP_ENTRY 8  /* u64: smp_ap_entry */
#define SMP_TP_CR3 16   /* u64: the kernel pmap's CR3 */
#define SMP_TP_STACK 24 /* u64: the AP's stack top */
#define SMP_TP_ARG 32   /* u64: its struct ap_area */
#define SMP_TP_SIZE 40

#define SMP_CPUS_MAX 64 /* ids fit a cpuset_t */

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

/*
 * Find the CPUs, enable the boot CPU's local APIC, start up to smp=N - 1 APs and print the banner
 * ("smp: 4 CPUs: APIC ids 0 1 2 3"), then fix kernel/cpu.h's possible count at the CPUs online.
 * Without ACPI, a MADT or a usable local APIC: one CPU, said on the console. Once, at boot, after
 * the kernel pmap, pmm, ktime and the IDT are up, before any per-CPU map exists.
 */
void smp_init(void);

/* CPUs online (1 until smp_init has started others). Ids are 0 .. smp_cpu_count() - 1. No lock. */
unsigned smp_cpu_count(void);

/* Enabled CPUs the MADT listed (1 without a MADT): how many smp=N could have started. */
unsigned smp_cpus_listed(void);

/* Whether CPU id has marked itself online. */
bool smp_cpu_online(unsigned id);

/* The local APIC id of online CPU id. */
uint32_t smp_cpu_apic_id(unsigned id);

/* Check the invariants at the CPU table (arch/x86_64/smp.c): NULL, or what is broken. No lock. */
const char *smp_check(void);

/* The id of the calling CPU (0 before smp_init). Interrupts off or no migration, as kernel/cpu.h. */
unsigned smp_this_cpu(void);

/* How many CPUs "smp=value" allows: value's number, at least 1; no value (NULL) or junk: SMP_CPUS_MAX. */
unsigned smp_limit_parse(const char *value);

#endif
#endif
