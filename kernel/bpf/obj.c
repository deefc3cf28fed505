/* Id tables and object names (kernel/bpf/obj.h). */
#include "kernel/bpf/obj.h"

#include "kernel/panic.h"
#include "kernel/string.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

/* The index of the first entry whose id is >= id (n if none). Lock held. */
static uint32_t id_lower_bound(const struct bpf_id_table *t, uint32_t id)
{
	uint32_t lo = 0, hi = t->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (t->ent[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Make room for one more entry. Lock held (kmem never sleeps). */
static int id_grow(struct bpf_id_table *t)
{
	if (t->n < t->cap)
		return 0;
	uint32_t cap = t->cap ? t->cap * 2 : 16;
	struct bpf_id_entry *ent = kmalloc((size_t)cap * sizeof(*ent));
	if (!ent)
		return -ENOMEM;
	if (t->n)
		memcpy(ent, t->ent, (size_t)t->n * sizeof(*ent));
	kfree(t->ent);
	t->ent = ent;
	t->cap = cap;
	return 0;
}

int bpf_id_alloc(struct bpf_id_table *t, void *obj, uint32_t *id)
{
	int err = 0;

	spin_lock(&t->lock);
	if (t->n >= BPF_ID_MAX) {
		err = -ENOSPC;
		goto out;
	}
	err = id_grow(t);
	if (err)
		goto out;
	/* The first id from `next` on that no entry holds: walk the run of taken ids, wrapping once. */
	uint32_t cand = t->next, i = id_lower_bound(t, cand);
	while (i < t->n && t->ent[i].id == cand) {
		if (cand == BPF_ID_MAX) {
			cand = 1;
			i = 0;
		} else {
			cand++;
			i++;
		}
	}
	memmove(&t->ent[i + 1], &t->ent[i], (size_t)(t->n - i) * sizeof(t->ent[0]));
	t->ent[i] = (struct bpf_id_entry){cand, obj};
	t->n++;
	t->next = cand == BPF_ID_MAX ? 1 : cand + 1;
	*id = cand;
out:
	spin_unlock(&t->lock);
	return err;
}

void bpf_id_remove(struct bpf_id_table *t, uint32_t id)
{
	spin_lock(&t->lock);
	uint32_t i = id_lower_bound(t, id);
	KASSERT(i < t->n && t->ent[i].id == id, "bpf_id_remove: id %u not in the table", id);
	memmove(&t->ent[i], &t->ent[i + 1], (size_t)(t->n - i - 1) * sizeof(t->ent[0]));
	t->n--;
	if (t->n == 0) {
		kfree(t->ent);
		t->ent = NULL;
		t->cap = 0;
	}
	spin_unlock(&t->lock);
}

void *bpf_id_get(struct bpf_id_table *t, uint32_t id, bool (*get)(void *obj))
{
	void *obj = NULL;

	spin_lock(&t->lock);
	uint32_t i = id_lower_bound(t, id);
	if (i < t->n && t->ent[i].id == id && get(t->ent[i].obj))
		obj = t->ent[i].obj;
	spin_unlock(&t->lock);
	return obj;
}

int bpf_id_next(struct bpf_id_table *t, uint32_t start, uint32_t *next)
{
	int err = -ENOENT;

	spin_lock(&t->lock);
	if (start < BPF_ID_MAX) {
		uint32_t i = id_lower_bound(t, start + 1);
		if (i < t->n) {
			*next = t->ent[i].id;
			err = 0;
		}
	}
	spin_unlock(&t->lock);
	return err;
}

const char *bpf_id_check(struct bpf_id_table *t)
{
	const char *why = NULL;

	spin_lock(&t->lock);
	if (t->n > t->cap || (t->cap && !t->ent))
		why = "more entries than capacity";
	else if (t->next < 1 || t->next > BPF_ID_MAX)
		why = "next id out of range";
	for (uint32_t i = 0; !why && i < t->n; i++) {
		if (t->ent[i].id < 1 || t->ent[i].id > BPF_ID_MAX)
			why = "id out of range";
		else if (i && t->ent[i].id <= t->ent[i - 1].id)
			why = "ids not strictly increasing";
		else if (!t->ent[i].obj)
			why = "id without an object";
	}
	spin_unlock(&t->lock);
	return why;
}

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

int bpf_obj_name_copy(char dst[BPF_OBJ_NAME_LEN], const char src[BPF_OBJ_NAME_LEN])
{
	size_t i = 0;

	memset(dst, 0, BPF_OBJ_NAME_LEN);
	for (; i < BPF_OBJ_NAME_LEN && src[i]; i++) {
		if (!name_char_ok(src[i]))
			return -EINVAL;
		dst[i] = src[i];
	}
	return i < BPF_OBJ_NAME_LEN ? 0 : -EINVAL;
}

bool bpf_ref_get_not_zero(int *refcnt)
{
	int old = __atomic_load_n(refcnt, __ATOMIC_RELAXED);

	while (old > 0)
		if (__atomic_compare_exchange_n(refcnt, &old, old + 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
	return false;
}
