/* Reader/writer locks with waiting writers first (contract in kernel/rwlock.h). */
#include "kernel/rwlock.h"
#include "kernel/kprintf.h"
#include "kernel/panic.h"
#include <machine/intr.h>

#include "kernel/witness.h"

#ifdef KESTREL_WITNESS
_Static_assert(WITNESS_HELD == sizeof(((struct rwlock_thread *)0)->witness_cls), "witness_cls");
#define WITNESS_ACQUIRE(t, l, try, at) \
	witness_rw_acquire((t), (l)->name, &(l)->witness_cls, (try), (at))
#define WITNESS_RELEASE(t, l) witness_rw_release((t), &(l)->witness_cls)
#else
#define WITNESS_ACQUIRE(t, l, try, at) ((void)(at))
#define WITNESS_RELEASE(t, l) ((void)(t))
#endif
#define CALLER ((uintptr_t)__builtin_return_address(0))

void (*rwlock_wait_hook)(void);
struct rwlock_thread *(*rwlock_self_hook)(void);

/* Before the scheduler: the one thread; in host tests, each pthread (tests run several). */
#ifdef KESTREL_HOST
static __thread struct rwlock_thread boot_thread;
#else
static struct rwlock_thread boot_thread;
#endif
static struct rwlock_thread disowned; /* the owner of a write lock held on behalf of no thread */

static struct rwlock_thread *self(void)
{
	return rwlock_self_hook ? rwlock_self_hook() : &boot_thread;
}

void rw_init(struct rwlock *l, const char *name)
{
	l->state = 0;
	l->owner = NULL;
	l->name = name;
	l->witness_cls = 0;
}

/* One attempt for reader t: no writer, and no waiting writer unless t already reads something. */
static bool try_rlock(struct rwlock *l, const struct rwlock_thread *t)
{
	uint32_t s = __atomic_load_n(&l->state, __ATOMIC_RELAXED);

	for (;;) {
		if (s & RW_WRITER)
			return false;
		if ((s & RW_WWAITERS) && !t->rlocks)
			return false;
		KASSERT((s & RW_READERS) != RW_READERS, "rw_rlock(%s): too many readers", l->name);
		if (__atomic_compare_exchange_n(&l->state, &s, s + 1, true, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
	}
}

bool rw_try_rlock(struct rwlock *l)
{
	struct rwlock_thread *t = self();

	if (!try_rlock(l, t))
		return false;
	t->rlocks++;
	WITNESS_ACQUIRE(t, l, true, CALLER);
	return true;
}

/* One attempt to turn a lock with no writer and no reader into a writer's; waiters kept as they are. */
static bool try_wlock(struct rwlock *l, uint32_t waiter_units)
{
	uint32_t s = __atomic_load_n(&l->state, __ATOMIC_RELAXED);

	while (!(s & (RW_WRITER | RW_READERS)))
		if (__atomic_compare_exchange_n(&l->state, &s, (s - waiter_units) | RW_WRITER, true,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
	return false;
}

bool rw_try_wlock(struct rwlock *l)
{
	if (!try_wlock(l, 0))
		return false;
	struct rwlock_thread *t = self();
	__atomic_store_n(&l->owner, t, __ATOMIC_RELAXED);
	WITNESS_ACQUIRE(t, l, true, CALLER);
	return true;
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
	struct rwlock_thread *t = self();

	WITNESS_MAY_SLEEP("rw_rlock", NULL);
	WITNESS_ACQUIRE(t, l, false, CALLER);
	while (!try_rlock(l, t))
		rw_wait();
	t->rlocks++;
}

void rw_wlock(struct rwlock *l)
{
	struct rwlock_thread *t = self();

	KASSERT(__atomic_load_n(&l->owner, __ATOMIC_RELAXED) != t,
		"rw_wlock(%s): already held for writing by this thread", l->name);
	WITNESS_MAY_SLEEP("rw_wlock", NULL);
	WITNESS_ACQUIRE(t, l, false, CALLER);
	if (!try_wlock(l, 0)) {
		/* Announce the wait: from now on only threads that already read may start reading. */
		uint32_t old = __atomic_fetch_add(&l->state, RW_WWAITER, __ATOMIC_RELAXED);
		KASSERT((old & RW_WWAITERS) != RW_WWAITERS,
			"rw_wlock(%s): too many waiting writers", l->name);
		while (!try_wlock(l, RW_WWAITER))
			rw_wait();
	}
	__atomic_store_n(&l->owner, t, __ATOMIC_RELAXED);
}

void rw_runlock(struct rwlock *l)
{
	struct rwlock_thread *t = self();

	KASSERT(t->rlocks > 0, "rw_runlock(%s): this thread holds no read lock", l->name);
	t->rlocks--;
	WITNESS_RELEASE(t, l);
	uint32_t old = __atomic_fetch_sub(&l->state, 1, __ATOMIC_RELEASE);
	KASSERT((old & RW_READERS) && !(old & RW_WRITER),
		"rw_runlock(%s): not read-locked (state %#x)", l->name, old);
}

void rw_wdisown(struct rwlock *l)
{
	KASSERT(rw_wowned(l), "rw_wdisown(%s): not write-locked by this thread", l->name);
	__atomic_store_n(&l->owner, &disowned, __ATOMIC_RELAXED);
	WITNESS_RELEASE(self(), l); /* no thread holds it now */
}

void rw_wunlock(struct rwlock *l)
{
	struct rwlock_thread *owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);

	KASSERT(rw_wlocked(l) && (owner == self() || owner == &disowned),
		"rw_wunlock(%s): not write-locked by this thread (state %#x)", l->name,
		__atomic_load_n(&l->state, __ATOMIC_RELAXED));
	if (owner != &disowned)
		WITNESS_RELEASE(owner, l);
	__atomic_store_n(&l->owner, NULL, __ATOMIC_RELAXED);
	__atomic_fetch_and(&l->state, ~RW_WRITER, __ATOMIC_RELEASE);
}

bool rw_wowned(const struct rwlock *l)
{
	return (__atomic_load_n(&l->state, __ATOMIC_RELAXED) & RW_WRITER) &&
	       __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == self();
}

bool rw_wlocked(const struct rwlock *l)
{
	return __atomic_load_n(&l->state, __ATOMIC_RELAXED) & RW_WRITER;
}

bool rw_locked(const struct rwlock *l)
{
	return __atomic_load_n(&l->state, __ATOMIC_RELAXED) & (RW_WRITER | RW_READERS);
}

bool rw_check(const struct rwlock *l)
{
	uint32_t s = __atomic_load_n(&l->state, __ATOMIC_RELAXED);

	if ((s & RW_WRITER) && (s & RW_READERS)) {
		kprintf("rwlock %s: a writer and %u readers\n", l->name, s & RW_READERS);
		return false;
	}
	return true;
}
