/*
 * kernel/ipi.h on x86-64: each IPI kind is a fixed-delivery interrupt at vector
 * IPI_VECTOR_BASE + kind, sent through the sender's local APIC to the target's APIC id.
 */
#ifndef ARCH_X86_64_IPI_H
#define ARCH_X86_64_IPI_H

#include "kernel/ipi.h"

#define IPI_VECTOR_BASE 0xf0
_Static_assert(IPI_VECTOR_BASE + IPI_KINDS <= 0xff, "IPI vectors stay below the spurious vector");

/*
 * Route the IPI vectors to their handlers on every CPU, and install the arch's own handlers
 * (IPI_TLB_SHOOTDOWN: arch/x86_64/tlb.h). Once, after lapic_init, before any IPI.
 */
void ipi_init(void);

#endif
