/*
 * Spinlocks. Taken with interrupts disabled (spin_lock saves and restores the interrupt flag), so
 * a holder is never preempted and an interrupt handler on this CPU never spins on its own lock.
 * Not recursive. Hold them briefly and never across a sleep or a return to user mode.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <stdbool.h>
#include "arch/x86_64/cpu.h"

typedef struct spinlock {
	volatile int locked;
	unsigned long saved_flags; /* the holder's interrupt flag, restored by spin_unlock */
	const char *name;
} spinlock_t;

#define SPINLOCK_INIT(n) { 0, 0, (n) }

static inline void spin_init(spinlock_t *l, const char *name)
{
	l->locked = 0;
	l->saved_flags = 0;
	l->name = name;
}

static inline bool spin_trylock(spinlock_t *l)
{
	unsigned long f = irq_save();
	if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0) {
		l->saved_flags = f;
		return true;
	}
	irq_restore(f);
	return false;
}

static inline void spin_lock(spinlock_t *l)
{
	while (!spin_trylock(l))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
}

static inline void spin_unlock(spinlock_t *l)
{
	unsigned long f = l->saved_flags;
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	irq_restore(f);
}

static inline bool spin_held(const spinlock_t *l) { return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0; }

#endif
