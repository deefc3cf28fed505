#include "kernel/rwlock.h"
#include "kernel/panic.h"
#include "arch/x86_64/cpu.h"

void (*rwlock_wait_hook)(void);

void rw_init(struct rwlock *l, const char *name)
{
	l->state = 0;
	l->name = name;
}

bool rw_try_rlock(struct rwlock *l)
{
	int s = __atomic_load_n(&l->state, __ATOMIC_RELAXED);
	while (s >= 0)
		if (__atomic_compare_exchange_n(&l->state, &s, s + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
	return false;
}

bool rw_try_wlock(struct rwlock *l)
{
	int free = 0;
	return __atomic_compare_exchange_n(&l->state, &free, -1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void rw_wait(void)
{
	if (rwlock_wait_hook)
		rwlock_wait_hook();
	else
		cpu_relax();
}

void rw_rlock(struct rwlock *l)
{
	while (!rw_try_rlock(l))
		rw_wait();
}

void rw_wlock(struct rwlock *l)
{
	while (!rw_try_wlock(l))
		rw_wait();
}

void rw_runlock(struct rwlock *l)
{
	int old = __atomic_fetch_sub(&l->state, 1, __ATOMIC_RELEASE);
	KASSERT(old > 0, "rw_runlock(%s): not read-locked (state %d)", l->name, old);
}

void rw_wunlock(struct rwlock *l)
{
	KASSERT(l->state == -1, "rw_wunlock(%s): not write-locked (state %d)", l->name, l->state);
	__atomic_store_n(&l->state, 0, __ATOMIC_RELEASE);
}

bool rw_wlocked(const struct rwlock *l) { return __atomic_load_n(&l->state, __ATOMIC_RELAXED) == -1; }
bool rw_locked(const struct rwlock *l) { return __atomic_load_n(&l->state, __ATOMIC_RELAXED) != 0; }
