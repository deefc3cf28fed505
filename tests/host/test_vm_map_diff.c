/*
 * Differential test of vm_map against a reference model: a sorted array of ranges with linear
 * first fit, written from the contract in mm/vm_map.h and sharing no code with mm/vm_map.c.
 *
 * 10^6 random operations over two small maps (one low, one ending at the last page below 2^64):
 * vm_map_find with every strategy, hint, length and max_addr (including unaligned, zero and huge
 * values), vm_map_insert, vm_map_fixed, vm_map_remove and vm_map_protect (every combination of
 * VM_MAP_PROTECT_SET_PROT and _SET_MAXPROT, and bad flags) on random sub-ranges, with NULL and
 * real objects, guards and stacks. After every operation the result, the returned address, every
 * entry, lookups of a few addresses and every object's reference count are compared with the
 * model, and vm_map_check runs after every operation. An anonymous entry that is clipped gets an
 * object first (vm_map.h): the model names such objects by a number of its own, which must stand
 * for one object of the map's for as long as the number is in use.
 *
 * Seeded from VM_MAP_SEED if set, else from the clock; the seed is printed, and again on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernel/ktest.h"
#include "mm/vm_map.h"
#include "tests/host/testutil.h"

#define OPS 1000000
#define MODEL_MAX 4096
#define NOBJ 3
#define K4 ((vm_size_t)0x1000)
#define M2 ((vm_size_t)0x200000)
#define WINDOW ((vm_size_t)64 << 20)

static struct test_rng rng;

static uint64_t below(uint64_t n)
{
	return test_rng_below(&rng, n);
}
static bool chance(unsigned percent)
{
	return below(100) < percent;
}

struct mentry {
	vm_offset_t start, end;
	vm_prot_t prot, max;
	uint16_t eflags;
	vm_object_t object;
	unsigned backed; /* object NULL: 0, or the model's name for the object a clip gave it */
	vm_ooffset_t offset;
};

struct model {
	vm_offset_t min, max;
	size_t n;
	struct mentry e[MODEL_MAX];
};

struct world {
	vm_map_t map;
	struct model m;
};

static vm_object_t objects[NOBJ];

/*
 * The objects clips make, by the model's numbers (1, 2, ...; at most two per operation): which of
 * the map's objects each stands for (NULL: not seen yet) and its size, which says which addresses
 * a new anonymous neighbour may take from it.
 */
#define BACKED_MAX (2 * OPS + 2)
static unsigned next_backed = 1;
static vm_object_t *backed_as;
static vm_size_t *backed_size;

/* ---------------------------------------------------------------------------------------------
 * The model.
 */
static bool m_mergeable(const struct mentry *a, const struct mentry *b)
{
	if (a->end != b->start || a->prot != b->prot || a->max != b->max || a->eflags != b->eflags)
		return false;
	if (!a->object && !b->object && !a->backed && !b->backed)
		return true;
	return a->object == b->object && a->backed == b->backed &&
	       a->offset + (a->end - a->start) == b->offset;
}

static void m_normalize(struct model *m)
{
	size_t out = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (out && m_mergeable(&m->e[out - 1], &m->e[i])) {
			m->e[out - 1].end = m->e[i].end;
			continue;
		}
		m->e[out++] = m->e[i];
	}
	m->n = out;
}

static bool m_overlaps(const struct model *m, vm_offset_t start, vm_offset_t end)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].start < end && start < m->e[i].end)
			return true;
	return false;
}

/*
 * New anonymous memory x, to go in at index i, takes the object of a touching neighbour that a
 * clip made when that object spans x's addresses: the one below first, else the one above.
 */
static void m_adopt(const struct model *m, size_t i, struct mentry *x)
{
	vm_size_t len = x->end - x->start;
	if (x->object || x->backed || (x->eflags & MAP_ENTRY_GUARD))
		return;
	if (i > 0 && m->e[i - 1].end == x->start && m->e[i - 1].backed) {
		const struct mentry *b = &m->e[i - 1];
		vm_ooffset_t off = b->offset + (b->end - b->start);
		if (off + len <= backed_size[b->backed]) {
			x->backed = b->backed;
			x->offset = off;
			return;
		}
	}
	if (i < m->n && m->e[i].start == x->end && m->e[i].backed && m->e[i].offset >= len) {
		x->backed = m->e[i].backed;
		x->offset = m->e[i].offset - len;
	}
}

static void m_add(struct model *m, struct mentry x)
{
	size_t i = 0;
	while (i < m->n && m->e[i].start < x.start)
		i++;
	m_adopt(m, i, &x);
	for (size_t j = m->n; j > i; j--)
		m->e[j] = m->e[j - 1];
	m->e[i] = x;
	m->n++;
	m_normalize(m);
}

/* The piece [s, e) of x, with its offset. */
static struct mentry m_piece(const struct mentry *x, vm_offset_t s, vm_offset_t e)
{
	struct mentry p = *x;
	p.start = s;
	p.end = e;
	p.offset = x->object || x->backed ? x->offset + (s - x->start) : (s & (M2 - 1));
	return p;
}

/* x is about to be clipped at start and/or end: anonymous memory without object gets one. */
static void m_back_if_clipped(struct mentry *x, vm_offset_t start, vm_offset_t end)
{
	bool clipped = (x->start < start && start < x->end) || (x->start < end && end < x->end);
	if (clipped && !x->object && !x->backed && !(x->eflags & MAP_ENTRY_GUARD)) {
		x->backed = next_backed++;
		backed_size[x->backed] = x->offset + (x->end - x->start);
	}
}

static void m_cut(struct model *m, vm_offset_t start, vm_offset_t end)
{
	static struct mentry out[MODEL_MAX];
	size_t k = 0;
	for (size_t i = 0; i < m->n; i++) {
		struct mentry *x = &m->e[i];
		if (x->end <= start || x->start >= end) {
			out[k++] = *x;
			continue;
		}
		m_back_if_clipped(x, start, end);
		if (x->start < start)
			out[k++] = m_piece(x, x->start, start);
		if (x->end > end)
			out[k++] = m_piece(x, end, x->end);
	}
	for (size_t i = 0; i < k; i++)
		m->e[i] = out[i];
	m->n = k;
}

static int m_attrs(vm_object_t obj, vm_ooffset_t offset, vm_size_t length, vm_prot_t *prot,
		   vm_prot_t *max, int cow, uint16_t *eflags)
{
	if (cow & ~(MAP_CREATE_GUARD | MAP_CREATE_STACK))
		return KERN_INVALID_ARGUMENT;
	if ((*prot | *max) & ~VM_PROT_ALL)
		return KERN_INVALID_ARGUMENT;
	if (offset % K4)
		return KERN_INVALID_ARGUMENT;
	*eflags = 0;
	if (cow & MAP_CREATE_GUARD) {
		if (obj)
			return KERN_INVALID_ARGUMENT;
		*prot = *max = VM_PROT_NONE;
		*eflags |= MAP_ENTRY_GUARD;
	}
	if (cow & MAP_CREATE_STACK)
		*eflags |= MAP_ENTRY_STACK;
	if (obj && ((unsigned __int128)offset + length > obj->size))
		return KERN_INVALID_ARGUMENT;
	if (*prot & ~*max)
		return KERN_PROTECTION_FAILURE;
	return KERN_SUCCESS;
}

static struct mentry m_make(vm_object_t obj, vm_ooffset_t offset, vm_offset_t start,
			    vm_offset_t end, vm_prot_t prot, vm_prot_t max, uint16_t eflags)
{
	struct mentry x = {start,  end, prot, max,
			   eflags, obj, 0,    obj ? offset : (start & (M2 - 1))};
	return x;
}

/* Range checks of vm_map_insert / vm_map_fixed; end as computed by the caller (may have wrapped). */
static int m_check_insert(struct model *m, vm_object_t obj, vm_ooffset_t offset, vm_offset_t start,
			  vm_offset_t end, vm_prot_t *prot, vm_prot_t *max, int cow,
			  uint16_t *eflags)
{
	if (start >= end)
		return KERN_INVALID_ADDRESS;
	if (start % K4 || end % K4)
		return KERN_INVALID_ARGUMENT;
	if (start < m->min || end > m->max)
		return KERN_INVALID_ADDRESS;
	return m_attrs(obj, offset, end - start, prot, max, cow, eflags);
}

static int m_insert(struct model *m, vm_object_t obj, vm_ooffset_t offset, vm_offset_t start,
		    vm_offset_t end, vm_prot_t prot, vm_prot_t max, int cow)
{
	uint16_t eflags;
	int rc = m_check_insert(m, obj, offset, start, end, &prot, &max, cow, &eflags);
	if (rc)
		return rc;
	if (m_overlaps(m, start, end))
		return KERN_NO_SPACE;
	m_add(m, m_make(obj, offset, start, end, prot, max, eflags));
	return KERN_SUCCESS;
}

static int m_fixed(struct model *m, vm_object_t obj, vm_ooffset_t offset, vm_offset_t start,
		   vm_size_t length, vm_prot_t prot, vm_prot_t max, int cow)
{
	uint16_t eflags;
	vm_offset_t end = start + length;
	int rc = m_check_insert(m, obj, offset, start, end, &prot, &max, cow, &eflags);
	if (rc)
		return rc;
	m_cut(m, start, end);
	m_add(m, m_make(obj, offset, start, end, prot, max, eflags));
	return KERN_SUCCESS;
}

/*
 * Lowest address >= st, congruent to phase modulo mask + 1, where length fits in a gap; 0 with
 * *ok false if none (or the address would end above ub). Walks every gap in order.
 */
static vm_offset_t m_first_fit(const struct model *m, vm_offset_t st, vm_size_t length,
			       vm_offset_t ub, vm_size_t mask, vm_offset_t phase, bool *ok)
{
	*ok = false;
	for (size_t i = 0; i <= m->n; i++) {
		vm_offset_t gs = i == 0 ? m->min : m->e[i - 1].end;
		vm_offset_t ge = i == m->n ? m->max : m->e[i].start;
		vm_offset_t a = gs > st ? gs : st;
		if (a >= ge)
			continue;
		/* phase + k * align for the least k that reaches a, in 128 bits so that wrapping shows. */
		unsigned __int128 align = (unsigned __int128)mask + 1, aligned = a;
		if (mask) {
			__int128 d = (__int128)a - (__int128)phase;
			unsigned __int128 k =
				d <= 0 ? 0 : ((unsigned __int128)d + align - 1) / align;
			aligned = phase + k * align;
		}
		if (aligned >= ((unsigned __int128)1 << 64))
			return 0;
		if (aligned + length > ge)
			continue;
		if (aligned + length > ub)
			return 0;
		*ok = true;
		return (vm_offset_t)aligned;
	}
	return 0;
}

static int m_find(struct model *m, vm_object_t obj, vm_ooffset_t offset, vm_offset_t *addr,
		  vm_size_t length, vm_offset_t max_addr, int fs, vm_prot_t prot, vm_prot_t max,
		  int cow)
{
	if (length == 0)
		return KERN_INVALID_ADDRESS;
	if (fs < 0 || (fs > VMFS_SUPER_SPACE && ((fs & 0xff) || (fs >> 8) > 63)))
		return KERN_INVALID_ARGUMENT;
	if (length % K4)
		return KERN_INVALID_ARGUMENT;
	uint16_t eflags;
	int rc = m_attrs(obj, offset, length, &prot, &max, cow, &eflags);
	if (rc)
		return rc;
	vm_offset_t start;
	if (fs == VMFS_NO_SPACE) {
		start = *addr;
		if (start % K4)
			return KERN_INVALID_ARGUMENT;
		if (start < m->min || (unsigned __int128)start + length > m->max)
			return KERN_INVALID_ADDRESS;
		if (max_addr && (unsigned __int128)start + length > max_addr)
			return KERN_NO_SPACE;
		if (m_overlaps(m, start, start + length))
			return KERN_NO_SPACE;
	} else {
		if (*addr > m->max)
			return KERN_NO_SPACE;
		vm_offset_t st = (*addr + K4 - 1) & ~(K4 - 1);
		if (st < m->min)
			st = m->min;
		vm_offset_t ub = max_addr && max_addr < m->max ? max_addr : m->max;
		vm_size_t mask = 0;
		vm_offset_t phase = 0;
		bool super = fs == VMFS_SUPER_SPACE || (fs == VMFS_OPTIMAL_SPACE && obj);
		/* SUPER applies when a whole object superpage fits after the unaligned head. */
		vm_size_t head = (M2 - offset % M2) % M2;
		if (super && length >= M2 && length - head >= M2) {
			mask = M2 - 1;
			phase = offset % M2;
		} else if (fs > VMFS_SUPER_SPACE && (fs >> 8) > 12) {
			mask = ((vm_size_t)1 << (fs >> 8)) - 1;
		}
		bool ok;
		start = m_first_fit(m, st, length, ub, mask, phase, &ok);
		if (!ok && fs == VMFS_OPTIMAL_SPACE && mask)
			start = m_first_fit(m, st, length, ub, 0, 0, &ok);
		if (!ok)
			return KERN_NO_SPACE;
	}
	m_add(m, m_make(obj, offset, start, start + length, prot, max, eflags));
	*addr = start;
	return KERN_SUCCESS;
}

static void m_clamp(const struct model *m, vm_offset_t *start, vm_offset_t *end)
{
	if (*start < m->min)
		*start = m->min;
	if (*end > m->max)
		*end = m->max;
}

static int m_remove(struct model *m, vm_offset_t start, vm_offset_t end)
{
	if (start % K4 || end % K4 || start > end)
		return KERN_INVALID_ARGUMENT;
	m_clamp(m, &start, &end);
	if (start < end)
		m_cut(m, start, end);
	return KERN_SUCCESS;
}

static int m_protect(struct model *m, vm_offset_t start, vm_offset_t end, vm_prot_t prot,
		     vm_prot_t maxprot, int flags)
{
	const int both = VM_MAP_PROTECT_SET_PROT | VM_MAP_PROTECT_SET_MAXPROT;
	if (start % K4 || end % K4 || start > end || ((prot | maxprot) & ~VM_PROT_ALL) ||
	    (flags & ~both))
		return KERN_INVALID_ARGUMENT;
	if ((flags & both) == both && (prot & ~maxprot))
		return KERN_OUT_OF_BOUNDS;
	m_clamp(m, &start, &end);
	if (start >= end || !flags)
		return KERN_SUCCESS;
	for (size_t i = 0; i < m->n; i++) {
		struct mentry *x = &m->e[i];
		if (x->start >= end || start >= x->end || (x->eflags & MAP_ENTRY_GUARD))
			continue;
		vm_prot_t p = flags & VM_MAP_PROTECT_SET_PROT ? prot : x->prot;
		vm_prot_t mx = flags & VM_MAP_PROTECT_SET_MAXPROT ? maxprot : x->max;
		if ((p & ~x->max) || (mx & ~x->max))
			return KERN_PROTECTION_FAILURE;
	}
	static struct mentry out[MODEL_MAX];
	size_t k = 0;
	for (size_t i = 0; i < m->n; i++) {
		struct mentry *x = &m->e[i];
		if (x->end <= start || x->start >= end) {
			out[k++] = *x;
			continue;
		}
		m_back_if_clipped(x, start, end);
		vm_offset_t s = x->start > start ? x->start : start,
			    e = x->end < end ? x->end : end;
		if (x->start < s)
			out[k++] = m_piece(x, x->start, s);
		struct mentry mid = m_piece(x, s, e);
		if (!(mid.eflags & MAP_ENTRY_GUARD)) {
			if (flags & VM_MAP_PROTECT_SET_MAXPROT) {
				mid.max = maxprot;
				mid.prot &= maxprot;
			}
			if (flags & VM_MAP_PROTECT_SET_PROT)
				mid.prot = prot;
		}
		out[k++] = mid;
		if (e < x->end)
			out[k++] = m_piece(x, e, x->end);
	}
	for (size_t i = 0; i < k; i++)
		m->e[i] = out[i];
	m->n = k;
	m_normalize(m);
	return KERN_SUCCESS;
}

/* ---------------------------------------------------------------------------------------------
 * Random inputs.
 */
static vm_offset_t rand_addr(const struct model *m)
{
	switch (below(10)) {
	case 0:
		return 0;
	case 1:
		return test_rng_next(&rng);
	case 2:
		return m->min - below(4) * K4;
	case 3:
		return m->max - below(8) * K4;
	case 4:
		return m->max + below(4) * K4;
	case 5:
		return (m->min + below(m->max - m->min)) & ~(M2 - 1);
	case 6:
		return m->min + below(m->max - m->min) + (chance(80) ? 0 : below(K4));
	default:
		return (m->min + below(m->max - m->min)) & ~(K4 - 1);
	}
}

static vm_size_t rand_length(void)
{
	switch (below(20)) {
	case 0:
		return 0;
	case 1:
		return below(8) * K4 + 1 + below(K4 - 1);
	case 2:
		return test_rng_next(&rng) & ~(K4 - 1);
	case 3:
	case 4:
		return (1 + below(3)) * M2;
	case 5:
	case 6:
		return (512 + below(1024)) * K4;
	case 7:
	case 8:
	case 9:
		return (16 + below(496)) * K4;
	default:
		return (1 + below(16)) * K4;
	}
}

static int rand_strategy(void)
{
	switch (below(8)) {
	case 0:
		return VMFS_NO_SPACE;
	case 1:
	case 2:
		return VMFS_ANY_SPACE;
	case 3:
		return VMFS_OPTIMAL_SPACE;
	case 4:
		return VMFS_SUPER_SPACE;
	case 5:
		return VMFS_ALIGNED_SPACE(1 + (int)below(63));
	case 6:
		return VMFS_ALIGNED_SPACE(12 + (int)below(12));
	default:
		return chance(80) ? VMFS_ALIGNED_SPACE(21)
				  : (chance(50) ? (int)below(512) : VMFS_ALIGNED_SPACE(64));
	}
}

static vm_prot_t rand_prot(void)
{
	return chance(2) ? (vm_prot_t)(8 << below(4)) : (vm_prot_t)below(8);
}

/* A max protection, and a protection that mostly lies within it. */
static void rand_prots(vm_prot_t *prot, vm_prot_t *max)
{
	*max = chance(70) ? VM_PROT_ALL : rand_prot();
	*prot = rand_prot();
	if (chance(80))
		*prot &= *max;
}

static int rand_cow(void)
{
	unsigned r = (unsigned)below(100);
	return r < 3 ? MAP_CREATE_GUARD : r < 6 ? MAP_CREATE_STACK : r < 7 ? 0x2000 : 0;
}

static vm_object_t rand_object(vm_ooffset_t *offset)
{
	if (chance(70)) {
		*offset = chance(90) ? 0 : below(16) * M2 / 2 + (chance(90) ? 0 : 0x800);
		return NULL;
	}
	vm_object_t obj = objects[below(NOBJ)];
	*offset = chance(95) ? below(obj->size / K4) * K4 : obj->size + K4 * below(3);
	if (chance(30))
		*offset &= ~(M2 - 1);
	vm_object_reference(obj);
	return obj;
}

/* ---------------------------------------------------------------------------------------------
 * Comparison.
 */
/*
 * Whether e's object is the one x names: the same pointer, or for an object a clip made, the
 * one its number stood for when first seen (a fresh object, none of the test's).
 */
static bool same_object(vm_map_entry_t e, const struct mentry *x)
{
	if (!x->backed)
		return e->object == x->object;
	if (!e->object || x->backed >= BACKED_MAX)
		return false;
	for (int k = 0; k < NOBJ; k++)
		if (e->object == objects[k])
			return false;
	if (!backed_as[x->backed])
		backed_as[x->backed] = e->object;
	return backed_as[x->backed] == e->object;
}

/*
 * vm_map_lookup_entry (which keeps a per-CPU hint, M10) against the model at a few addresses: one
 * inside an entry, which the next lookup repeats (the hint's case), and random ones. Read lock
 * held.
 */
static bool lookups_as_model(struct world *w, char *why, size_t whylen)
{
	const struct model *m = &w->m;
	vm_offset_t addrs[4] = {rand_addr(m), rand_addr(m), rand_addr(m), rand_addr(m)};

	if (m->n) {
		const struct mentry *x = &m->e[below(m->n)];
		addrs[0] = x->start + below((x->end - x->start) / K4) * K4;
		addrs[1] = addrs[0] + K4 - 1;
	}
	for (int k = 0; k < 4; k++) {
		vm_offset_t a = addrs[k];
		const struct mentry *in = NULL;
		for (size_t i = 0; i < m->n && !in; i++)
			if (m->e[i].start <= a && a < m->e[i].end)
				in = &m->e[i];
		vm_map_entry_t e;
		bool found = vm_map_lookup_entry(w->map, a, &e);
		if (found != (in != NULL) || (in && (e->start != in->start || e->end != in->end))) {
			snprintf(why, whylen, "lookup 0x%llx: map %s, model %s",
				 (unsigned long long)a, found ? "inside an entry" : "outside",
				 in ? "inside" : "outside");
			return false;
		}
	}
	return true;
}

static bool same_as_model(struct world *w, char *why, size_t whylen)
{
	struct model *m = &w->m;
	vm_map_entry_t e;
	size_t i = 0;
	VM_MAP_ENTRY_FOREACH(e, w->map) {
		if (i >= m->n) {
			snprintf(why, whylen, "map has more entries than the model (%zu)", m->n);
			return false;
		}
		const struct mentry *x = &m->e[i++];
		if (e->start != x->start || e->end != x->end || e->protection != x->prot ||
		    e->max_protection != x->max || e->eflags != x->eflags || !same_object(e, x) ||
		    e->offset != x->offset) {
			snprintf(
				why, whylen,
				"entry %zu: map [0x%llx,0x%llx) prot %u/%u fl %u obj %p off 0x%llx, model [0x%llx,0x%llx) "
				"prot %u/%u fl %u obj %p off 0x%llx",
				i - 1, (unsigned long long)e->start, (unsigned long long)e->end,
				e->protection, e->max_protection, e->eflags, (void *)e->object,
				(unsigned long long)e->offset, (unsigned long long)x->start,
				(unsigned long long)x->end, x->prot, x->max, x->eflags,
				(void *)x->object, (unsigned long long)x->offset);
			return false;
		}
	}
	if (i != m->n || w->map->nentries != m->n) {
		snprintf(why, whylen, "map has %zu entries (nentries %zu), model %zu", i,
			 w->map->nentries, m->n);
		return false;
	}
	return true;
}

static bool refs_as_model(struct world *worlds, size_t nworlds, char *why, size_t whylen)
{
	for (int k = 0; k < NOBJ; k++) {
		uint32_t want = 1;
		for (size_t wi = 0; wi < nworlds; wi++)
			for (size_t i = 0; i < worlds[wi].m.n; i++)
				want += worlds[wi].m.e[i].object == objects[k];
		if (objects[k]->ref_count != want) {
			snprintf(why, whylen, "object %d: ref_count %u, model says %u", k,
				 objects[k]->ref_count, want);
			return false;
		}
	}
	return true;
}

static void init_world(struct world *w, vm_offset_t min, vm_offset_t max)
{
	w->map = vm_map_create(NULL, min, max);
	w->m.min = min;
	w->m.max = max;
	w->m.n = 0;
}

KTEST(vm_map_diff, random_ops_against_model)
{
	uint64_t seed =
		test_rng_seed("VM_MAP_SEED", (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32));
	test_rng_init(&rng, seed);

	for (int k = 0; k < NOBJ; k++) {
		objects[k] = vm_object_allocate((k + 1) * 8 * M2);
		ASSERT_NONNULL(objects[k]);
	}
	backed_as = calloc(BACKED_MAX, sizeof(*backed_as));
	backed_size = calloc(BACKED_MAX, sizeof(*backed_size));
	ASSERT_NONNULL(backed_as);
	ASSERT_NONNULL(backed_size);
	static struct world worlds[2];
	init_world(&worlds[0], 0x3000, 0x3000 + WINDOW);
	init_world(&worlds[1], 0xfffffffffffff000ull - WINDOW + 0x5000, 0xfffffffffffff000ull);
	ASSERT_NONNULL(worlds[0].map);
	ASSERT_NONNULL(worlds[1].map);

	char why[512], what[256];
	unsigned long counts[8] = {0};
	for (long op = 0; op < OPS; op++) {
		struct world *w = &worlds[below(2)];
		struct model *m = &w->m;
		int got = 0, want = 0;
		vm_offset_t got_addr = 0, want_addr = 0;
		unsigned kind = (unsigned)below(100);
		if (kind < 35) {
			vm_ooffset_t offset;
			vm_object_t obj = rand_object(&offset);
			vm_offset_t hint = rand_addr(m);
			vm_size_t length = rand_length();
			vm_offset_t max_addr = chance(60)   ? 0
					       : chance(80) ? rand_addr(m) & ~(K4 - 1)
							    : test_rng_next(&rng);
			int fs = rand_strategy();
			vm_prot_t prot, max;
			rand_prots(&prot, &max);
			int cow = rand_cow();
			snprintf(
				what, sizeof(what),
				"find(obj %p off 0x%llx hint 0x%llx len 0x%llx max_addr 0x%llx fs 0x%x prot %u/%u cow 0x%x)",
				(void *)obj, (unsigned long long)offset, (unsigned long long)hint,
				(unsigned long long)length, (unsigned long long)max_addr, fs, prot,
				max, cow);
			got_addr = want_addr = hint;
			want = m_find(m, obj, offset, &want_addr, length, max_addr, fs, prot, max,
				      cow);
			got = vm_map_find(w->map, obj, offset, &got_addr, length, max_addr, fs,
					  prot, max, cow);
			if (got != KERN_SUCCESS && obj)
				vm_object_deallocate(obj);
			counts[0]++;
		} else if (kind < 45) {
			vm_ooffset_t offset;
			vm_object_t obj = rand_object(&offset);
			vm_offset_t start = rand_addr(m),
				    end = chance(95) ? start + rand_length() : rand_addr(m);
			vm_prot_t prot, max;
			rand_prots(&prot, &max);
			int cow = rand_cow();
			snprintf(what, sizeof(what),
				 "insert(obj %p off 0x%llx [0x%llx,0x%llx) prot %u/%u cow 0x%x)",
				 (void *)obj, (unsigned long long)offset, (unsigned long long)start,
				 (unsigned long long)end, prot, max, cow);
			want = m_insert(m, obj, offset, start, end, prot, max, cow);
			vm_map_lock(w->map);
			got = vm_map_insert(w->map, obj, offset, start, end, prot, max, cow);
			vm_map_unlock(w->map);
			if (got != KERN_SUCCESS && obj)
				vm_object_deallocate(obj);
			counts[1]++;
		} else if (kind < 55) {
			vm_ooffset_t offset;
			vm_object_t obj = rand_object(&offset);
			vm_offset_t start = rand_addr(m);
			vm_size_t length = rand_length();
			vm_prot_t prot, max;
			rand_prots(&prot, &max);
			int cow = rand_cow();
			snprintf(
				what, sizeof(what),
				"fixed(obj %p off 0x%llx start 0x%llx len 0x%llx prot %u/%u cow 0x%x)",
				(void *)obj, (unsigned long long)offset, (unsigned long long)start,
				(unsigned long long)length, prot, max, cow);
			want = m_fixed(m, obj, offset, start, length, prot, max, cow);
			got = vm_map_fixed(w->map, obj, offset, start, length, prot, max, cow);
			if (got != KERN_SUCCESS && obj)
				vm_object_deallocate(obj);
			counts[2]++;
		} else if (kind < 77) {
			vm_offset_t start = rand_addr(m);
			vm_offset_t end = chance(1)    ? start - K4
					  : chance(90) ? start + rand_length()
						       : rand_addr(m);
			if (chance(1)) {
				start = 0;
				end = (vm_offset_t)0 - K4;
			}
			snprintf(what, sizeof(what), "remove(0x%llx, 0x%llx)",
				 (unsigned long long)start, (unsigned long long)end);
			want = m_remove(m, start, end);
			got = vm_map_remove(w->map, start, end);
			counts[3]++;
		} else {
			vm_offset_t start = rand_addr(m);
			vm_offset_t end = chance(1)    ? start - K4
					  : chance(90) ? start + rand_length()
						       : rand_addr(m);
			vm_prot_t prot = rand_prot(),
				  maxprot = chance(50) ? rand_prot() : prot | rand_prot();
			int flags = chance(1)    ? (int)below(16)
				    : chance(70) ? VM_MAP_PROTECT_SET_PROT
						 : (int)below(4);
			snprintf(what, sizeof(what), "protect(0x%llx, 0x%llx, %u, %u, flags %d)",
				 (unsigned long long)start, (unsigned long long)end, prot, maxprot,
				 flags);
			want = m_protect(m, start, end, prot, maxprot, flags);
			got = vm_map_protect(w->map, start, end, prot, maxprot, flags);
			counts[4]++;
		}

		bool ok = got == want && got_addr == want_addr;
		if (!ok)
			snprintf(why, sizeof(why), "result %d addr 0x%llx, model %d addr 0x%llx",
				 got, (unsigned long long)got_addr, want,
				 (unsigned long long)want_addr);
		vm_map_lock_read(w->map);
		if (ok)
			ok = same_as_model(w, why, sizeof(why)) &&
			     lookups_as_model(w, why, sizeof(why));
		if (ok) {
			int rc = vm_map_check(w->map);
			if (rc) {
				ok = false;
				snprintf(why, sizeof(why), "vm_map_check: %s",
					 vm_map_check_msg(rc));
			}
		}
		vm_map_unlock_read(w->map);
		if (ok)
			ok = refs_as_model(worlds, 2, why, sizeof(why));
		if (!ok) {
			KT_FAIL("seed 0x%llx, op %ld on map %d: %s: %s", (unsigned long long)seed,
				op, (int)(w - worlds), what, why);
			break;
		}
	}
	printf("# vm_map_diff: %lu finds, %lu inserts, %lu fixed, %lu removes, %lu protects\n",
	       counts[0], counts[1], counts[2], counts[3], counts[4]);
	vm_map_destroy(worlds[0].map);
	vm_map_destroy(worlds[1].map);
	for (int k = 0; k < NOBJ; k++) {
		EXPECT_EQ(objects[k]->ref_count, 1);
		vm_object_deallocate(objects[k]);
	}
	free(backed_as);
	free(backed_size);
}
