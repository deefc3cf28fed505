/* The lock-order checker (contract in kernel/witness.h). */
#include "kernel/witness.h"
#include "kernel/cpu.h"
#include "kernel/kprintf.h"
#include "kernel/ksyms.h"
#include "kernel/rwlock.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"

/*
 * Classes are numbered from 1 (0 in a lock's cache: not yet looked up). after[a] has bit b when
 * class b was taken while a was held; site[a][b] is where that was first seen. Invariant: the
 * graph of after[] has no cycle (an edge that would close one is reported instead of added), and
 * reported[a] has bit b once the reversal "a held, b taken" has been reported.
 * Written under table_lock; after[] is read without it (a missed new edge only delays a report).
 */
static const char *class_name[WITNESS_CLASSES + 1];
static unsigned n_classes;
static uint64_t after[WITNESS_CLASSES + 1];
static uint64_t reported[WITNESS_CLASSES + 1];
static uintptr_t site[WITNESS_CLASSES + 1][WITNESS_CLASSES + 1];
static int table_lock; /* a bare flag: the witness cannot use the locks it watches */
static bool running, overflow_said;
static unsigned reports;

/* Spinlocks held per CPU: only that CPU touches its own entry, with interrupts off. */
static struct {
	unsigned n;
	uint8_t cls[WITNESS_HELD];
	uintptr_t site[WITNESS_HELD];
} held_spin[CPU_MAX];

#define BIT(c) (1ull << ((c)-1))

static void table_enter(void)
{
	while (__atomic_exchange_n(&table_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&table_lock, __ATOMIC_RELAXED))
			;
}

static void table_leave(void)
{
	__atomic_store_n(&table_lock, 0, __ATOMIC_RELEASE);
}

void witness_start(void)
{
	__atomic_store_n(&running, true, __ATOMIC_RELEASE);
}

unsigned witness_reports(void)
{
	return __atomic_load_n(&reports, __ATOMIC_RELAXED);
}

void witness_forgive(unsigned n)
{
	__atomic_fetch_sub(&reports, n, __ATOMIC_RELAXED);
}

static void print_site(const char *label, uintptr_t at)
{
	uint64_t off = 0;
	const char *fn = ksym_lookup(at, &off);

	if (fn)
		kprintf("    # witness:   %s at %s+0x%lx (0x%lx)\n", label, fn, (unsigned long)off,
			(unsigned long)at);
	else
		kprintf("    # witness:   %s at 0x%lx\n", label, (unsigned long)at);
}

/* The class number of name, cached in *cls; 0 if the table is full. */
static unsigned class_of(const char *name, uint8_t *cls)
{
	unsigned c = __atomic_load_n(cls, __ATOMIC_RELAXED);

	if (c)
		return c;
	table_enter();
	for (unsigned i = 1; i <= n_classes && !c; i++)
		if (!strcmp(class_name[i], name ? name : "?"))
			c = i;
	if (!c && n_classes < WITNESS_CLASSES) {
		c = ++n_classes;
		class_name[c] = name ? name : "?";
	} else if (!c && !overflow_said) {
		overflow_said = true;
		kprintf("    # witness: more than %d lock classes; %s and later ones are not checked\n",
			WITNESS_CLASSES, name);
	}
	table_leave();
	__atomic_store_n(cls, (uint8_t)c, __ATOMIC_RELAXED);
	return c;
}

/* Is there a path from class `from` to class `to` in the order graph? table_lock held. */
static bool reaches(unsigned from, unsigned to)
{
	uint64_t seen = BIT(from), frontier = BIT(from);

	while (frontier) {
		uint64_t next = 0;
		for (unsigned c = 1; c <= n_classes; c++)
			if (frontier & BIT(c))
				next |= after[c];
		if (next & BIT(to))
			return true;
		frontier = next & ~seen;
		seen |= next;
	}
	return false;
}

/* The first edge on a path from `from` to `to` whose far end reaches `to`: for the report. */
static unsigned first_hop(unsigned from, unsigned to)
{
	for (unsigned c = 1; c <= n_classes; c++)
		if ((after[from] & BIT(c)) && (c == to || reaches(c, to)))
			return c;
	return to;
}

/* Class b is taken at `at` while class a (taken at a_at) is held. */
static void order(unsigned a, uintptr_t a_at, unsigned b, uintptr_t at)
{
	if (!a || !b || a == b || (__atomic_load_n(&after[a], __ATOMIC_RELAXED) & BIT(b)))
		return;
	table_enter();
	if (after[a] & BIT(b)) {
		table_leave();
		return;
	}
	if (!reaches(b, a)) {
		__atomic_fetch_or(&after[a], BIT(b), __ATOMIC_RELAXED);
		site[a][b] = at;
		table_leave();
		return;
	}
	bool first = !(reported[a] & BIT(b));
	reported[a] |= BIT(b);
	unsigned hop = first_hop(b, a);
	uintptr_t hop_at = site[b][hop];
	table_leave();
	if (!first)
		return;
	__atomic_fetch_add(&reports, 1, __ATOMIC_RELAXED);
	kprintf("    # witness: lock order reversal: \"%s\" taken while \"%s\" is held, but \"%s\" "
		"was seen before \"%s\"%s\n",
		class_name[b], class_name[a], class_name[b],
		hop == a ? class_name[a] : class_name[hop], hop == a ? "" : " (on the way there)");
	print_site("now: held", a_at);
	print_site("now: taken", at);
	print_site("before: taken", hop_at);
}

static void thread_orders(const struct rwlock_thread *t, unsigned b, uintptr_t at)
{
	for (unsigned i = 0; t && i < t->witness_n && i < WITNESS_HELD; i++)
		order(t->witness_cls[i], t->witness_site[i], b, at);
}

void witness_spin_acquire(const char *name, uint8_t *cls, bool try, bool thread_ctx)
{
	if (!__atomic_load_n(&running, __ATOMIC_ACQUIRE))
		return;
	uintptr_t at = (uintptr_t)__builtin_return_address(0);
	unsigned b = class_of(name, cls), cpu = cpu_this_id();

	if (!try) {
		for (unsigned i = 0; i < held_spin[cpu].n && i < WITNESS_HELD; i++)
			order(held_spin[cpu].cls[i], held_spin[cpu].site[i], b, at);
		if (thread_ctx && rwlock_self_hook)
			thread_orders(rwlock_self_hook(), b, at);
	}
	unsigned n = held_spin[cpu].n++;
	if (n < WITNESS_HELD) {
		held_spin[cpu].cls[n] = (uint8_t)b;
		held_spin[cpu].site[n] = at;
	}
}

/* Remove the last occurrence of class c from a held list of n entries; the new count. */
static unsigned drop(uint8_t *cls, uintptr_t *sites, unsigned n, unsigned c)
{
	if (n > WITNESS_HELD) /* the overflowed entries are not kept: just count down */
		return n - 1;
	for (unsigned i = n; i-- > 0;) {
		if (cls[i] != c)
			continue;
		for (unsigned j = i; j + 1 < n; j++) {
			cls[j] = cls[j + 1];
			sites[j] = sites[j + 1];
		}
		return n - 1;
	}
	return n; /* taken before the witness ran */
}

void witness_spin_release(const uint8_t *cls)
{
	if (!__atomic_load_n(&running, __ATOMIC_ACQUIRE))
		return;
	unsigned cpu = cpu_this_id();

	held_spin[cpu].n = drop(held_spin[cpu].cls, held_spin[cpu].site, held_spin[cpu].n,
				__atomic_load_n(cls, __ATOMIC_RELAXED));
}

void witness_rw_acquire(struct rwlock_thread *t, const char *name, uint8_t *cls, bool try,
			uintptr_t at)
{
	if (!__atomic_load_n(&running, __ATOMIC_ACQUIRE))
		return;
	unsigned b = class_of(name, cls);

	if (!try)
		thread_orders(t, b, at);
	unsigned n = t->witness_n++;
	if (n < WITNESS_HELD) {
		t->witness_cls[n] = (uint8_t)b;
		t->witness_site[n] = at;
	}
}

void witness_rw_release(struct rwlock_thread *t, const uint8_t *cls)
{
	if (!__atomic_load_n(&running, __ATOMIC_ACQUIRE) || !t->witness_n)
		return;
	t->witness_n = drop(t->witness_cls, t->witness_site, t->witness_n,
			    __atomic_load_n(cls, __ATOMIC_RELAXED));
}

void witness_may_sleep(const char *what, const uint8_t *allowed_cls, uintptr_t at)
{
	if (!__atomic_load_n(&running, __ATOMIC_ACQUIRE))
		return;
	unsigned long f = irq_save();
	unsigned cpu = cpu_this_id(), allowed = allowed_cls ? *allowed_cls : 0;

	for (unsigned i = 0; i < held_spin[cpu].n && i < WITNESS_HELD; i++) {
		unsigned c = held_spin[cpu].cls[i];
		if (c == allowed) {
			allowed = 0; /* once */
			continue;
		}
		__atomic_fetch_add(&reports, 1, __ATOMIC_RELAXED);
		kprintf("    # witness: %s while spinlock \"%s\" is held\n", what, class_name[c]);
		print_site("spinlock taken", held_spin[cpu].site[i]);
		print_site(what, at);
	}
	irq_restore(f);
}
