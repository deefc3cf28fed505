/*
 * Helpers for the memory system-call tests (tests/user/mmap_*.c, munmap_*.c, mprotect_*.c,
 * vm_*.c), on top of utest.h: raw calls that return the kernel's result unchanged, the whole map
 * listing in one array, and a checker of what user space can see of the map's invariants.
 */
#ifndef TESTS_USER_VM_UTIL_H
#define TESTS_USER_VM_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <vm_stat.h>

#include "utest.h"

#define PG 4096ul
#define MB (1ul << 20)
#define SUPER (2ul << 20)
#define USER_MIN_ADDR 0x1000ul

/* The wait status of a task killed by a page fault (include/uapi/wait.h). */
#define KILLED_BY_PF(st) ((st) >= 0 && WIFFAULTED(st) && WFAULTVEC(st) == 14)

static inline long raw_mmap(uint64_t addr, uint64_t len, long prot, long flags, long fd, long off)
{
	return __syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
}
static inline long raw_munmap(uint64_t addr, uint64_t len)
{
	return sys2(SYS_munmap, (long)addr, (long)len);
}
static inline long raw_mprotect(uint64_t addr, uint64_t len, long prot)
{
	return sys3(SYS_mprotect, (long)addr, (long)len, prot);
}
static inline long raw_vm_stat(long pid, uint64_t out)
{
	return sys2(SYS_vm_stat, pid, (long)out);
}
static inline long raw_map_list(long pid, uint64_t out, uint64_t max, uint64_t from)
{
	return __syscall6(SYS_vm_map_list, pid, (long)out, (long)max, (long)from, 0, 0);
}

/* Anonymous read+write memory (MAP_PRIVATE|MAP_ANON plus extra flags); the raw result. */
static inline long anon(uint64_t addr, uint64_t len, long extra)
{
	return raw_mmap(addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON | extra, -1, 0);
}

#define VM_LIST_MAX 2048

struct vm_listing {
	size_t n;
	struct vm_map_ent e[VM_LIST_MAX];
};

/* The whole map of pid into l, batch after batch; 0, or the first call's negated errno. */
static inline long vm_list_all(long pid, struct vm_listing *l)
{
	uint64_t from = 0;
	long r;

	l->n = 0;
	while (l->n < VM_LIST_MAX &&
	       (r = raw_map_list(pid, (uint64_t)&l->e[l->n], VM_LIST_MAX - l->n, from)) > 0) {
		l->n += (size_t)r;
		from = l->e[l->n - 1].end;
	}
	return r < 0 ? r : 0;
}

/* The entry of l containing addr, or NULL. */
static inline const struct vm_map_ent *vm_find(const struct vm_listing *l, uint64_t addr)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->e[i].start <= addr && addr < l->e[i].end)
			return &l->e[i];
	return NULL;
}

/* List the caller's whole map into l (a failure is a failed check) and find addr's entry in it. */
static inline const struct vm_map_ent *vm_entry_at(struct vm_listing *l, uint64_t addr)
{
	memset(l, 0, sizeof(*l));
	CHECK_EQ(vm_list_all(0, l), 0);
	return vm_find(l, addr);
}

/* The free frames vm_stat reports (a failure is a failed check). */
static inline uint64_t vm_free_frames(void)
{
	struct vm_stat st;
	memset(&st, 0, sizeof(st));
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&st), 0);
	return st.free_frames;
}

/*
 * The caller's stack entry (VM_ENT_STACK) in [*start, *end); its guard entry ends at *start.
 * ASLR draws where it lies for every spawn (mm/memlayout.h), so tests look it up here rather than
 * assume it ends at USER_TOP. false if the listing fails or shows no stack.
 */
static inline bool vm_stack_range(uint64_t *start, uint64_t *end)
{
	static struct vm_listing sl;

	if (vm_list_all(0, &sl))
		return false;
	for (size_t i = 0; i < sl.n; i++) {
		if (sl.e[i].flags & VM_ENT_STACK) {
			*start = sl.e[i].start;
			*end = sl.e[i].end;
			return true;
		}
	}
	return false;
}

/* How many entries of l overlap [start, end). */
static inline size_t vm_count_in(const struct vm_listing *l, uint64_t start, uint64_t end)
{
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++)
		k += l->e[i].start < end && l->e[i].end > start;
	return k;
}

/*
 * Check what the listing and vm_stat show of the map's invariants: entries page aligned,
 * non-empty, sorted, disjoint, inside the user range; prot within max_prot; guards PROT_NONE with
 * nothing resident; the per-entry resident counts (the pmap, page by page) adding up to vm_stat's
 * counters (kept by the map) and fitting in their entry; map_entries equal to the listing's
 * length. Returns the number of violations (each printed).
 */
static inline int vm_check_map(void)
{
	static struct vm_listing l;
	struct vm_stat st;
	uint64_t r4k = 0, r2m = 0;
	int bad = 0;

	/* Touched first: a fault copying out would change the counters between the two snapshots. */
	memset(&l, 0, sizeof(l));
	memset(&st, 0, sizeof(st));
	if (vm_list_all(0, &l) || raw_vm_stat(0, (uint64_t)&st)) {
		printf("# vm_check_map: listing or vm_stat failed\n");
		return 1;
	}
	for (size_t i = 0; i < l.n; i++) {
		const struct vm_map_ent *e = &l.e[i];
		uint64_t pages = (e->end - e->start) / PG;
		bool ok = !(e->start % PG) && !(e->end % PG) && e->start < e->end &&
			  e->start >= USER_MIN_ADDR && e->end <= USER_TOP &&
			  (i == 0 || l.e[i - 1].end <= e->start) && !(e->prot & ~e->max_prot) &&
			  !(e->max_prot & ~7u) &&
			  (!(e->flags & VM_ENT_GUARD) || (e->prot == 0 && e->max_prot == 0 &&
							  !e->resident_4k && !e->resident_2m)) &&
			  e->resident_4k + (uint64_t)e->resident_2m * 512 <= pages &&
			  e->inheritance <= INHERIT_ZERO && e->wired_count <= 1 &&
			  (!(e->flags & VM_ENT_GUARD) || !e->wired_count);
		if (!ok) {
			printf("# vm_check_map: bad entry %zu [%#lx, %#lx) prot %u max %u flags %#x res %lu/%u\n",
			       i, (unsigned long)e->start, (unsigned long)e->end, e->prot,
			       e->max_prot, e->flags, (unsigned long)e->resident_4k,
			       e->resident_2m);
			bad++;
		}
		r4k += e->resident_4k;
		r2m += e->resident_2m;
	}
	if (r4k != st.resident_4k || r2m != st.resident_2m || st.map_entries != l.n) {
		printf("# vm_check_map: listing %zu entries %lu+%lu resident, vm_stat %lu entries %lu+%lu\n",
		       l.n, (unsigned long)r4k, (unsigned long)r2m, (unsigned long)st.map_entries,
		       (unsigned long)st.resident_4k, (unsigned long)st.resident_2m);
		bad++;
	}
	return bad;
}

/* Seeded xorshift64 for the randomized tests. */
static inline uint64_t vm_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* An address the compiler cannot see through. */
static inline uintptr_t vm_opaque(uintptr_t a)
{
	__asm__("" : "+r"(a));
	return a;
}

/* Write tag + i into the first word of page i of [a, a + pages * PG). */
static inline void vm_fill(uint64_t a, size_t pages, uint64_t tag)
{
	for (size_t i = 0; i < pages; i++)
		*(volatile uint64_t *)(a + i * PG) = tag + i;
}

/* How many pages i in [first, last) of a still hold what vm_fill(a, ..., tag) wrote there. */
static inline size_t vm_intact(uint64_t a, size_t first, size_t last, uint64_t tag)
{
	size_t k = 0;
	for (size_t i = first; i < last; i++)
		k += *(volatile uint64_t *)(a + i * PG) == tag + i;
	return k;
}

#endif
