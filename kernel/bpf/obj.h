/*
 * What BPF maps and programs share as kernel objects: the id tables behind BPF_*_GET_NEXT_ID and
 * BPF_*_GET_FD_BY_ID, and the rule for object names (BPF_MAP_CREATE's map_name, BPF_PROG_LOAD's
 * prog_name).
 *
 * Ids are handed out as Linux's idr_alloc_cyclic does: from 1 upwards, each new object getting the
 * id after the last one given, wrapping from BPF_ID_MAX back to 1 and skipping ids still in use, so
 * an id is not reused until the whole range has gone round. Id 0 is never an object's.
 */
#ifndef KERNEL_BPF_OBJ_H
#define KERNEL_BPF_OBJ_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/spinlock.h"
#include "uapi/linux/bpf.h"

#define BPF_ID_MAX 0x7fffffffu /* INT_MAX, as Linux: ids are positive ints */

struct bpf_id_entry {
	uint32_t id;
	void *obj;
};

/*
 * An id table. Invariants (lock held): ent[0 .. n) are the live (id, object) pairs, sorted by
 * strictly increasing id, each id in [1, BPF_ID_MAX]; n <= cap; next is in [1, BPF_ID_MAX] and is
 * where the search for the next free id starts. Define one with BPF_ID_TABLE_INIT.
 */
struct bpf_id_table {
	spinlock_t lock;
	uint32_t next;
	uint32_t n, cap;
	struct bpf_id_entry *ent; /* kmalloc'd, cap entries */
};

#define BPF_ID_TABLE_INIT(name)                    \
	{                                          \
		SPINLOCK_INIT(name), 1, 0, 0, NULL \
	}

/*
 * Give obj an id: 0 and *id, or -ENOMEM (the table cannot grow) or -ENOSPC (every id is in use).
 * Takes t->lock (then kmem's).
 */
int bpf_id_alloc(struct bpf_id_table *t, void *obj, uint32_t *id);

/* Forget id (its object is going away); a later bpf_id_get no longer finds it. Takes t->lock. */
void bpf_id_remove(struct bpf_id_table *t, uint32_t id);

/*
 * The object with this id, or NULL. get(obj), called under t->lock, must take a reference on obj
 * unless obj is already dying (its last reference gone: Linux's inc_not_zero) and say whether it
 * did; NULL is returned when it did not. Since an object leaves the table (bpf_id_remove) before it
 * is freed, the caller's reference keeps what it gets alive.
 */
void *bpf_id_get(struct bpf_id_table *t, uint32_t id, bool (*get)(void *obj));

/*
 * Take a reference on an object whose count (*refcnt, atomic) may have dropped to 0 meanwhile
 * (Linux's inc_not_zero): true if taken, false if the object is dying. For bpf_id_get's get.
 */
bool bpf_ref_get_not_zero(int *refcnt);

/* The smallest id above start in use: 0 and *next, or -ENOENT when there is none. Takes t->lock. */
int bpf_id_next(struct bpf_id_table *t, uint32_t start, uint32_t *next);

/* Check t's invariants: NULL, or what is broken. Takes t->lock. */
const char *bpf_id_check(struct bpf_id_table *t);

/*
 * Copy an object name from the user's fixed BPF_OBJ_NAME_LEN field: 0, or -EINVAL when it holds a
 * character other than a letter, a digit, '_' or '.' before its terminating NUL, or has no NUL
 * (Linux's bpf_obj_name_cpy). dst is NUL-padded. No lock.
 */
int bpf_obj_name_copy(char dst[BPF_OBJ_NAME_LEN], const char src[BPF_OBJ_NAME_LEN]);

#endif
