/* TLB shootdown (contract and protocol in arch/x86_64/tlb.h; counters in mm/mmu.h). */
#include "arch/x86_64/tlb.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/smp.h"
#include "kernel/cpu.h"
#include "kernel/ktime.h"
#include "kernel/panic.h"
#include "mm/mmu.h"

/* Far longer than any vCPU of a loaded host takes to take an IPI: only a lost one or a bug. */
#define TLB_WAIT_NS (30ull * 1000000000ull)
/* Spins between two looks at the clock while waiting. */
#define TLB_WAIT_SPINS 1024

/* What a CPU sends: written by that CPU only, while remaining is 0. */
struct tlb_mailbox {
	struct tlb_batch batch;
	unsigned remaining; /* targets that have not acknowledged the batch yet */
} __attribute__((aligned(64)));

/* What a CPU receives, and its counters (written by that CPU only; read by anyone). */
struct tlb_cpu {
	cpuset_t pending; /* the senders whose mailbox holds work for this CPU */
	struct mmu_shootdown_stats stats;
} __attribute__((aligned(64)));

static struct tlb_mailbox mailbox[CPU_MAX];
static struct tlb_cpu tlb_cpus[CPU_MAX];

static unsigned cpuset_count(cpuset_t s)
{
	unsigned n = 0;
	for (; s; s &= s - 1)
		n++;
	return n;
}

static void stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED); /* one writer: its own CPU */
}

void tlb_invalidate_local(const struct tlb_batch *b)
{
	if (b->flush_all) {
		tlb_flush_all();
		return;
	}
	for (unsigned i = 0; i < b->n; i++)
		invlpg(b->va[i]);
}

/* Carry out every batch pending for this CPU and acknowledge each. Interrupts off. */
static void serve_pending(unsigned me)
{
	struct tlb_cpu *c = &tlb_cpus[me];
	cpuset_t from = __atomic_exchange_n(&c->pending, 0, __ATOMIC_ACQUIRE);
	while (from) {
		unsigned s = (unsigned)__builtin_ctzll(from);
		from &= from - 1;
		struct tlb_mailbox *m = &mailbox[s];
		tlb_invalidate_local(&m->batch);
		stat_add(&c->stats.requests, 1);
		if (m->batch.flush_all)
			stat_add(&c->stats.flushes, 1);
		else
			stat_add(&c->stats.pages, m->batch.n);
		__atomic_sub_fetch(&m->remaining, 1, __ATOMIC_RELEASE);
	}
}

/*
 * A look first, with interrupts as they are: only a request pending switches them off, so that
 * the wait does not save and restore them every turn (under TCG each sti leaves translated code).
 * Serving needs this CPU's id to stay this CPU's: taken again with interrupts off (a waiter that
 * moved meanwhile looked at another CPU's requests, harmlessly, and looks again next turn).
 */
void cpu_spin_wait(void)
{
	if (__atomic_load_n(&tlb_cpus[cpu_this_id()].pending, __ATOMIC_RELAXED)) {
		unsigned long f = irq_save();
		unsigned me = cpu_this_id();
		if (__atomic_load_n(&tlb_cpus[me].pending, __ATOMIC_RELAXED))
			serve_pending(me);
		irq_restore(f);
	}
	cpu_relax();
}

void tlb_shootdown_ipi(void)
{
	unsigned me = cpu_this_id();
	stat_add(&tlb_cpus[me].stats.ipis, 1);
	serve_pending(me);
}

/* Panic naming the CPUs of targets that did not take their work from this CPU's mailbox. */
static void wait_timed_out(unsigned me, cpuset_t targets)
{
	cpuset_t late = 0;
	for (cpuset_t t = targets; t; t &= t - 1) {
		unsigned cpu = (unsigned)__builtin_ctzll(t);
		if (__atomic_load_n(&tlb_cpus[cpu].pending, __ATOMIC_ACQUIRE) & CPUSET_CPU(me))
			late |= CPUSET_CPU(cpu);
	}
	panic("tlb: CPU %u waited %llu s for a shootdown of CPUs %llx; not taken by %llx", me,
	      (unsigned long long)(TLB_WAIT_NS / 1000000000ull), (unsigned long long)targets,
	      (unsigned long long)late);
}

void tlb_invalidate(cpuset_t targets, const struct tlb_batch *b)
{
	unsigned long f = irq_save();
	unsigned me = cpu_this_id();
	tlb_invalidate_local(b);
	unsigned n = smp_cpu_count();
	targets &= ~CPUSET_CPU(me) & (n >= 64 ? ~(cpuset_t)0 : CPUSET_CPU(n) - 1);
	if (!targets) {
		irq_restore(f);
		return;
	}

	struct tlb_mailbox *m = &mailbox[me];
	m->batch.flush_all = b->flush_all;
	m->batch.n = b->flush_all ? 0 : b->n;
	for (unsigned i = 0; i < m->batch.n; i++)
		m->batch.va[i] = b->va[i];
	__atomic_store_n(&m->remaining, cpuset_count(targets), __ATOMIC_RELAXED);
	for (cpuset_t t = targets; t; t &= t - 1) {
		unsigned cpu = (unsigned)__builtin_ctzll(t);
		__atomic_fetch_or(&tlb_cpus[cpu].pending, CPUSET_CPU(me), __ATOMIC_RELEASE);
	}
	if (ipi_send_set(targets, IPI_TLB_SHOOTDOWN))
		panic("tlb: CPU %u could not send a shootdown IPI to CPUs %llx", me,
		      (unsigned long long)targets);
	stat_add(&tlb_cpus[me].stats.rounds, 1);
	stat_add(&tlb_cpus[me].stats.targets, cpuset_count(targets));

	uint64_t deadline = 0;
	for (unsigned spins = 0; __atomic_load_n(&m->remaining, __ATOMIC_ACQUIRE); spins++) {
		/* Another CPU may be waiting for us as we wait for it: do its work meanwhile. */
		if (__atomic_load_n(&tlb_cpus[me].pending, __ATOMIC_RELAXED))
			serve_pending(me);
		cpu_relax();
		if (spins % TLB_WAIT_SPINS == TLB_WAIT_SPINS - 1) {
			uint64_t now = ktime_get_ns();
			if (!deadline)
				deadline = now + TLB_WAIT_NS;
			else if (now > deadline)
				wait_timed_out(me, targets);
		}
	}
	irq_restore(f);
}

void mmu_shootdown_stats(unsigned cpu, struct mmu_shootdown_stats *st)
{
	const struct mmu_shootdown_stats *s = &tlb_cpus[cpu < CPU_MAX ? cpu : 0].stats;
	if (cpu >= CPU_MAX) {
		*st = (struct mmu_shootdown_stats){0};
		return;
	}
	st->rounds = __atomic_load_n(&s->rounds, __ATOMIC_RELAXED);
	st->targets = __atomic_load_n(&s->targets, __ATOMIC_RELAXED);
	st->ipis = __atomic_load_n(&s->ipis, __ATOMIC_RELAXED);
	st->requests = __atomic_load_n(&s->requests, __ATOMIC_RELAXED);
	st->flushes = __atomic_load_n(&s->flushes, __ATOMIC_RELAXED);
	st->pages = __atomic_load_n(&s->pages, __ATOMIC_RELAXED);
}
