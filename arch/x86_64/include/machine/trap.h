/*
 * <machine/trap.h>: traps as arch-neutral code meets them: the hooks through which the arch's trap
 * path hands user exceptions and user-memory faults to the task code, a page fault decoded into
 * the access it was (the arch-neutral fault path never reads an error code), the fault report,
 * and trap_catch for tests. The IDT and the vectors are arch/x86_64/trap.h.
 */
#ifndef MACHINE_TRAP_H
#define MACHINE_TRAP_H

#include <stdbool.h>
#include <stdint.h>
#include <machine/frame.h>
#include "mm/types.h"

/*
 * Called for an exception raised in ring 3 (set by the task code). Returns only if the task may go
 * on (for example after a page fault was resolved). NULL: ring-3 exceptions are fatal.
 */
extern void (*trap_user_exception)(struct trapframe *tf);

/*
 * Called for a page fault in ring 0 on a user address (a user-copy routine touching unpopulated user
 * memory). Returns true if the fault was resolved and the access may be retried.
 */
extern bool (*trap_kernel_user_pf)(struct trapframe *tf, uint64_t addr);

/*
 * A page fault as the arch-neutral fault path needs it (trap_page_fault). user is false for a
 * fault from ring 3 that the CPU made on its own behalf (reading a descriptor table or an iretq
 * frame: an implicit supervisor access); resolvable is false when the entry had reserved bits set,
 * so that mapping the page cannot help.
 */
struct trap_pf {
	uint64_t addr;    /* the address that faulted */
	vm_prot_t access; /* VM_PROT_READ, VM_PROT_WRITE or VM_PROT_EXECUTE */
	bool user;        /* a user-mode access */
	bool resolvable;  /* mapping the page can help */
};

/*
 * Whether tf is a page fault; if so, fill *pf. Call it in the trap's handler before anything else
 * can fault (x86_64 reads the address from CR2). Interrupts off.
 */
bool trap_page_fault(const struct trapframe *tf, struct trap_pf *pf);

/* Print the full report of an exception (name, error code, RIP, RSP, CR2, registers, backtrace). */
void trap_report(const struct trapframe *tf, const char *who);

/* What trap_catch saw. */
struct fault_info {
	uint64_t vector, error, addr, rip;
};

/*
 * Run fn(arg). If it raises an exception in ring 0, abandon it (its stack frames are discarded,
 * locks it took are not released) and return true with *fi describing the exception; otherwise
 * return false. For tests that expect a fault. Nests.
 */
bool trap_catch(void (*fn)(void *), void *arg, struct fault_info *fi);

#endif
