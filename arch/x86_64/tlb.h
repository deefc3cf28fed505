/*
 * TLB invalidation on every CPU that may cache a translation (x86-64 TLB shootdown), for the pmap
 * (arch/x86_64/pmap.c, whose header comment says when it calls this and why that is safe).
 *
 * One operation's work is a struct tlb_batch: up to TLB_BATCH_MAX page addresses (each invlpg'd,
 * whatever the page size: invlpg drops every TLB and paging-structure cache entry for the page
 * containing the address), or, beyond that, a full flush. tlb_invalidate does it here and on a
 * set of other CPUs with one round of IPI_TLB_SHOOTDOWN (kernel/ipi.h), and returns only once
 * each of them has done it.
 *
 * The protocol: each CPU has a mailbox for the batch it is sending and a count of the targets yet
 * to acknowledge it; each CPU has a pending set naming the CPUs whose mailboxes hold work for it.
 * A sender fills its mailbox, sets the count, adds itself to each target's pending set (release),
 * sends the IPIs and spins until the count is 0. A target takes its whole pending set at once
 * (an atomic exchange, acquire), carries out each named batch and decrements that sender's count
 * (release). A sender refills its mailbox only after its count reached 0, so no target reads a
 * mailbox that changes under it; IPIs that merge, or find their work already done, are harmless.
 *
 * Why it cannot deadlock: the sender waits with interrupts off (its mailbox is per CPU: nothing on
 * this CPU may start a second round in the middle, and the caller cannot migrate), but while it
 * waits it serves its own pending set, so CPUs waiting for one another's acknowledgements all make
 * progress, whatever order their IPIs arrive in. Any other target acknowledges from its IPI
 * handler as soon as its interrupts are on, which they are except inside a spinlock or an
 * interrupt handler; both are short and never wait for a sleeping task. What remains is a target
 * spinning with interrupts off for a lock that the sender holds while it waits: so a caller holds
 * no spinlock that anyone takes with interrupts already off (an outermost spinlock, such as a
 * vm_object's, is fine: its waiters spin with interrupts on), and the pmap calls this after
 * dropping the pmap's own lock. A round that is still unacknowledged after TLB_WAIT_NS panics
 * with the CPUs it waits for: a lost IPI or a broken rule, never a silent hang.
 */
#ifndef ARCH_X86_64_TLB_H
#define ARCH_X86_64_TLB_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/ipi.h"

/* More invalidations than this in one operation and a full flush is cheaper. */
#define TLB_BATCH_MAX 64

/* Page addresses to invalidate (n of them), or everything (flush_all; va and n unused). */
struct tlb_batch {
	uintptr_t va[TLB_BATCH_MAX];
	unsigned n;
	bool flush_all;
};

/* Invalidate b on this CPU alone. Any context. */
void tlb_invalidate_local(const struct tlb_batch *b);

/*
 * Invalidate b on this CPU and on each online CPU of targets (the bit of the CPU it runs on, taken
 * with interrupts off, and offline CPUs are ignored: ~0 means every other CPU), in one IPI round;
 * returns once every one of them has done it. Any interrupt state; the caller holds no spinlock
 * that another CPU may spin for with interrupts off (see above). Never sleeps.
 */
void tlb_invalidate(cpuset_t targets, const struct tlb_batch *b);

/* IPI_TLB_SHOOTDOWN's handler (arch/x86_64/ipi.c installs it). Interrupts off. */
void tlb_shootdown_ipi(void);

#endif
