/*
 * Spinlocks. Taken with interrupts disabled (spin_lock saves and restores the interrupt flag), so
 * a holder is never preempted and an interrupt handler on this CPU never spins on its own lock.
 * Not recursive. Hold them briefly and never across a sleep or a return to user mode. The kernel
 * build checks their order and sleeps under them (kernel/witness.h).
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <machine/intr.h>

typedef struct spinlock {
	volatile int locked;
	unsigned long saved_flags; /* the holder's interrupt flag, restored by spin_unlock */
	const char *name;
	uint8_t witness_cls; /* kernel/witness.h: the class of name, 0 until first seen */
} spinlock_t;

#define SPINLOCK_INIT(n)     \
	{                    \
		0, 0, (n), 0 \
	}

#ifdef KESTREL_WITNESS
#include "kernel/witness.h"
/* The caller's interrupt flag (in f, from irq_save) was on: it runs in thread context. */
#define SPIN_WITNESS_ACQUIRE(l, try, f) \
	witness_spin_acquire((l)->name, &(l)->witness_cls, (try), irq_flags_enabled(f))
#define SPIN_WITNESS_RELEASE(l) witness_spin_release(&(l)->witness_cls)
#else
#define SPIN_WITNESS_ACQUIRE(l, try, f) ((void)(f))
#define SPIN_WITNESS_RELEASE(l) ((void)0)
#endif

static inline void spin_init(spinlock_t *l, const char *name)
{
	l->locked = 0;
	l->saved_flags = 0;
	l->name = name;
	l->witness_cls = 0;
}

/* One attempt with interrupts off; they stay off on success (saved in l), restored on failure. */
static inline bool spin_try_once(spinlock_t *l)
{
	unsigned long f = irq_save();
	if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0) {
		l->saved_flags = f;
		return true;
	}
	irq_restore(f);
	return false;
}

static inline bool spin_trylock(spinlock_t *l)
{
	if (!spin_try_once(l))
		return false;
	SPIN_WITNESS_ACQUIRE(l, true, l->saved_flags);
	return true;
}

static inline void spin_lock(spinlock_t *l)
{
	while (!spin_try_once(l))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_spin_wait();
	SPIN_WITNESS_ACQUIRE(l, false, l->saved_flags);
}

static inline void spin_unlock(spinlock_t *l)
{
	unsigned long f = l->saved_flags;
	SPIN_WITNESS_RELEASE(l);
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	irq_restore(f);
}

static inline bool spin_held(const spinlock_t *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0;
}

#endif
