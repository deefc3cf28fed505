/*
 * Interprocessor interrupts, arch-neutral: ask other CPUs to run a handler. arch/x86_64/ipi.c
 * implements it with the local APICs.
 *
 * CPUs are named by their ids: 0 is the boot CPU, then the others in the order they came online
 * (the arch's bring-up numbers them); a cpuset_t has bit i set for CPU i. Each kind of IPI has one
 * handler, run on the receiving CPU in interrupt context with interrupts off; it must not sleep or
 * take a lock that its sender may hold with interrupts off. IPIs of one kind sent to one CPU while
 * an earlier one is still pending there may merge into one run of the handler.
 *
 * Every CPU schedules tasks (kernel/sched.h); an idle one halts until an interrupt, such as an IPI.
 */
#ifndef KERNEL_IPI_H
#define KERNEL_IPI_H

#include <stdint.h>

typedef uint64_t cpuset_t;
#define CPUSET_CPU(id) ((cpuset_t)1 << (id))

enum ipi_kind {
	IPI_PING,    /* nothing but the handler: tests */
	IPI_RESCHED, /* an idle CPU has work on the run queue (kernel/sched.c): ends its halt */
	/*
	 * TLB shootdown: invalidate what other CPUs asked for (the arch's pmap; counters in mm/mmu.h).
	 * Its handler is the arch's own, installed by the arch before any IPI: not for ipi_set_handler.
	 */
	IPI_TLB_SHOOTDOWN,
	IPI_KINDS
};

/*
 * Make fn the handler of kind on every CPU (NULL: IPIs of that kind are taken and ignored). Takes
 * effect for IPIs received after it returns; the caller makes sure none of its own is in flight
 * when it replaces fn.
 */
void ipi_set_handler(enum ipi_kind kind, void (*fn)(void));

/*
 * Send kind to CPU cpu, to each CPU in set, or to every online CPU but the caller. The caller is
 * never interrupted by its own send (cpu == the caller, or its bit in set, is -EINVAL; the others of
 * the set still get theirs). Returns 0 once every IPI was accepted for delivery (not yet handled);
 * -EINVAL for a CPU that is not online; -EIO if the hardware did not take one. Any context.
 */
int ipi_send(unsigned cpu, enum ipi_kind kind);
int ipi_send_set(cpuset_t set, enum ipi_kind kind);
int ipi_send_others(enum ipi_kind kind);

#endif
