/*
 * Address maps: which ranges of an address space are mapped, to which object, with which rights
 * (FreeBSD's vm_map). Names and types follow FreeBSD so that its vm_map(9) documentation applies;
 * where Kestrel differs, the contract here says so. The values of KERN_*, VM_PROT_*, VM_INHERIT_*,
 * VMFS_*, MAP_CREATE_GUARD, MAP_INHERIT_SHARE, MAP_WIREFUTURE, VM_MAP_WIRE_* and VM_MAP_PROTECT_*
 * are FreeBSD's too; MAP_CREATE_STACK, MAP_CREATE_GUARDED_STACK and the MAP_ENTRY_* values are not
 * (see each).
 *
 * Anonymous memory (object NULL at insert) gets its object lazily, at the first fault in the entry
 * (as FreeBSD does), so that adjacent anonymous ranges can coalesce for free; or when the entry is
 * clipped, whichever comes first (FreeBSD's vm_map_entry_back in vm_map_clip_*): the pieces then
 * share one object at contiguous offsets, so they coalesce again once their attributes match,
 * whether or not they were touched meanwhile; and new anonymous memory that touches such an entry
 * takes its object where that object already spans the new range (OBJ_ONEMAPPING, mm/vm_object.h),
 * so that a hole punched into a mapping and mapped again coalesces as well. An anonymous entry's
 * offset while it has no object is always start & SUPERPAGE_MASK, whatever offset the caller
 * passed: the object it gets later is then congruent to the address modulo 2 MiB and superpages
 * work.
 *
 * Kestrel has no fork or copy-on-write: each page range of an object is mapped by at most one entry
 * (two halves of a clipped entry map different ranges). Removing a range therefore frees the
 * object's pages in it at once, except an OBJT_SG object's, which belong to its owner
 * (mm/vm_object.h): they only stop being mapped.
 *
 * Locking: struct vm_map.lock is a sleepable rwlock (kernel/rwlock.h), so it may be held across a
 * return to user mode. Functions say which lock they take or expect. Entries may only be read with
 * the lock held (read is enough) and only be changed with it held for writing, with one exception:
 * vm_fault sets an anonymous entry's object, once, from NULL, by compare-and-swap under the read
 * lock; readers that hold only the read lock see NULL or that object, never anything else.
 */
#ifndef MM_VM_MAP_H
#define MM_VM_MAP_H

#include "kernel/cpu.h"
#include "kernel/rwlock.h"
#include "mm/mmu.h"
#include "mm/types.h"
#include "mm/vm_map_tree.h"
#include "mm/vm_object.h"

#define VM_PROT_NONE ((vm_prot_t)0x00)
#define VM_PROT_READ ((vm_prot_t)0x01)
#define VM_PROT_WRITE ((vm_prot_t)0x02)
#define VM_PROT_EXECUTE ((vm_prot_t)0x04)
#define VM_PROT_ALL (VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE)

/*
 * Inheritance of an entry by a child at fork (FreeBSD's vm_inherit_t and values): stored per entry,
 * kept by clipping, compared by coalescing, reported by vm_map_list. Kestrel has no fork yet, so
 * it changes nothing else. New entries get VM_INHERIT_DEFAULT, or VM_INHERIT_SHARE with
 * MAP_INHERIT_SHARE (mmap's MAP_SHARED, as FreeBSD's vm_mmap_object).
 */
typedef uint8_t vm_inherit_t;
#define VM_INHERIT_SHARE ((vm_inherit_t)0)
#define VM_INHERIT_COPY ((vm_inherit_t)1)
#define VM_INHERIT_NONE ((vm_inherit_t)2)
#define VM_INHERIT_ZERO ((vm_inherit_t)3)
#define VM_INHERIT_DEFAULT VM_INHERIT_COPY

/* Results (FreeBSD's sys/vm/vm_param.h / Mach's kern_return_t), made errno by kernel/vm_errno.h. */
#define KERN_SUCCESS 0
#define KERN_INVALID_ADDRESS 1
#define KERN_PROTECTION_FAILURE 2
#define KERN_NO_SPACE 3
#define KERN_INVALID_ARGUMENT 4
#define KERN_FAILURE 5
#define KERN_RESOURCE_SHORTAGE 6
#define KERN_OUT_OF_BOUNDS 9

/* vm_map_find strategies. */
#define VMFS_NO_SPACE 0      /* exactly at *addr */
#define VMFS_ANY_SPACE 1     /* first fit at or above *addr */
#define VMFS_OPTIMAL_SPACE 2 /* SUPER for an object, falling back to ANY; ANY for NULL */
#define VMFS_SUPER_SPACE 3   /* first fit congruent to offset modulo 2 MiB, no fallback */
#define VMFS_ALIGNED_SPACE(n) ((n) << 8) /* first fit aligned to 2^n, 1 <= n <= 63 */

/*
 * cow argument of vm_map_find / vm_map_insert / vm_map_fixed. MAP_CREATE_STACK is Kestrel's (a
 * fixed-size stack; FreeBSD's grows-down stacks are other flags, and its 0x0100 is
 * MAP_DISABLE_COREDUMP).
 */
#define MAP_CREATE_GUARD \
	0x0080 /* a guard: PROT_NONE for good, never faulted; object must be NULL */
#define MAP_CREATE_STACK 0x0100 /* mark the entry MAP_ENTRY_STACK */
/*
 * mmap's MAP_STACK (Kestrel's flag; FreeBSD's grows-down stack is MAP_STACK_GROWS_DOWN): the lowest
 * page of the range becomes a guard entry, the rest a MAP_ENTRY_STACK entry. Anonymous memory only,
 * not with MAP_CREATE_GUARD, and the range must be longer than one page (else KERN_INVALID_ARGUMENT).
 */
#define MAP_CREATE_GUARDED_STACK 0x0400
/* Mark the entry MAP_ENTRY_IMAGE: exec's mapping of the program file (Kestrel's flag). */
#define MAP_CREATE_IMAGE 0x0200
/* The new entry's inheritance is VM_INHERIT_SHARE instead of VM_INHERIT_DEFAULT (FreeBSD's flag). */
#define MAP_INHERIT_SHARE 0x0002

/*
 * vm_map_entry.eflags. Entries coalesce only with entries of equal eflags. Kestrel's values (eflags
 * is 16 bits wide, to keep an entry on one cache line): FreeBSD's MAP_ENTRY_GUARD is 0x00010000,
 * and it has no MAP_ENTRY_STACK.
 */
#define MAP_ENTRY_GUARD 0x0001
#define MAP_ENTRY_STACK 0x0002
#define MAP_ENTRY_IMAGE 0x0004      /* the program image exec mapped (vm_map_list's VM_ENT_IMAGE) */
#define MAP_ENTRY_USER_WIRED 0x0008 /* wired by vm_map_wire(VM_MAP_WIRE_USER): mlock, mlockall */

/*
 * One mapped range [start, end). Public fields: start, end, object, offset, protection,
 * max_protection, eflags, inheritance, wired_count; prev and next belong to the map's list. 56
 * bytes, kept on a cache line of its own (the entry cache aligns them to 64), so that reading one
 * costs one miss.
 */
struct vm_map_entry {
	struct vm_map_entry *prev, *next; /* address order; the map's header closes the ring */
	vm_offset_t start, end;           /* page aligned, start < end */
	vm_object_t object;               /* NULL: anonymous memory not faulted yet */
	vm_ooffset_t offset;              /* of start in object */
	vm_prot_t protection, max_protection;
	uint16_t eflags;          /* MAP_ENTRY_* */
	vm_inherit_t inheritance; /* VM_INHERIT_* */
	/*
	 * Wirings of the range (FreeBSD's wired_count): a wired entry's resident pages are never given
	 * back (vm_map_release_pages skips it) until it is unwired or unmapped. The user's wiring
	 * (MAP_ENTRY_USER_WIRED) counts once however often it is asked for; it is the only kind Kestrel
	 * has yet (no kernel wiring), so wired_count is 1 with that flag and 0 without.
	 */
	uint16_t wired_count;
};
typedef struct vm_map_entry *vm_map_entry_t;

/*
 * Counters. faults counts every vm_fault call, faults_2m those that mapped a 2 MiB page; the
 * resident counts are the 4 KiB and 2 MiB mappings this map has in its pmap (a 2 MiB mapping that a
 * partial remove or protect splits becomes 4 KiB ones). vm_map_check verifies the resident counts
 * against the pmap.
 */
struct vm_map_stats {
	uint64_t faults, faults_2m;
	uint64_t resident_4k, resident_2m;
};

/*
 * How a map keeps them: one slot per CPU (the CPU's id modulo VM_MAP_CPU_SLOTS), each on a cache
 * line of its own, added to atomically (faults run under the read lock, and a thread may move to
 * another CPU between choosing a slot and adding), so that threads faulting on several CPUs do not
 * all write one line (as FreeBSD's counter(9)). A slot holds deltas: one may go below zero (pages
 * mapped on one CPU, unmapped on another); the sum over the slots, modulo 2^64, is the count.
 *
 * The slot's line also holds the CPU's lookup hint, the entry its last vm_map_lookup_entry found
 * (FreeBSD's map hint, one per CPU so that lookups on several CPUs do not write one line): a
 * lookup inside it needs no tree search. Read and written atomically under the map lock (read is
 * enough); entry_unlink, under the write lock, clears every hint naming the entry it removes (M10).
 */
#define VM_MAP_CPU_SLOTS 8
#define VM_MAP_LINE 64 /* a cache line; vm_map_create aligns every map to it */
struct vm_map_cpu_slot {
	struct vm_map_stats s;
	struct vm_map_entry *hint;
} __attribute__((aligned(VM_MAP_LINE)));

/*
 * Invariants (vm_map_check):
 *  M1 Entries lie in [min, max], are page aligned, non-empty, sorted and disjoint; the list
 *     (header.next ... header.prev) is in address order and doubly linked; nentries counts it.
 *  M2 The tree (mm/vm_map_tree.h) indexes exactly the listed entries: as many, each found by its
 *     start, over the map's bounds.
 *  M3 The tree's own invariants T1-T6 hold (vm_map_tree_check): among them, the gap it records
 *     for each entry is the entry's start minus its list predecessor's end (min for the first).
 *  M4 protection is within max_protection, both within VM_PROT_ALL; a guard has both NONE and no
 *     object.
 *  M5 An entry without object has offset == start & SUPERPAGE_MASK; one with an object has a page
 *     aligned offset, lies inside the object and holds a reference to it; with an OBJ_ONEMAPPING
 *     object, start - offset is the object's map_base (mm/vm_object.h).
 *  M6 No two adjacent entries could coalesce: touching entries differ in protection, max
 *     protection, eflags, or object (both NULL is the same; the same object must also have
 *     contiguous offsets).
 *  M7 With a pmap: every mapped page of an entry is its object's resident page at that offset,
 *     with the entry's protection (PROT_NONE entries map nothing); a 2 MiB mapping lies within
 *     touching entries of one object (an entry and its clipped pieces) and every one of its pages
 *     is such a resident page; stats.resident_* count exactly the 4 KiB and 2 MiB mappings.
 *     Without a pmap they are 0.
 *  M6 also compares inheritance and wired_count: entries that differ in either stay apart.
 *  M8 anon_loc lies in [min, max).
 *  M9 user_wired is the total size of the MAP_ENTRY_USER_WIRED entries; an entry's wired_count is
 *     1 with that flag and 0 without; no guard is wired; inheritance is a VM_INHERIT_* value and a
 *     guard's is not VM_INHERIT_ZERO; flags has no bit besides MAP_WIREFUTURE.
 *  M10 Every CPU slot's lookup hint is NULL or a listed entry.
 * The header is a sentinel entry outside the tree: header.end = min, header.start = max.
 */
struct vm_map {
	struct vm_map_entry header;
	/*
	 * Written by every lock and unlock, a fault's two among them: on a line of its own, so that
	 * what a fault only reads (the header, pmap, the tree) stays in every CPU's cache.
	 */
	struct rwlock lock __attribute__((aligned(VM_MAP_LINE)));
	pmap_t pmap
		__attribute__((aligned(VM_MAP_LINE))); /* NULL: a map that only keeps its books */
	/* the entries by address, with their gaps: lookups and first fit */
	struct vm_map_tree tree;
	size_t nentries;
	struct vm_map_cpu_slot cpu[VM_MAP_CPU_SLOTS];
	/*
	 * Where mmap without a hint starts its first fit (FreeBSD's anon_loc): min from
	 * vm_map_create; exec sets the task's random base (mm/aslr.h) before anyone else sees the map.
	 */
	vm_offset_t anon_loc;
	/*
	 * Bytes wired by the map's owner (the MAP_ENTRY_USER_WIRED entries' sizes): what a per-task
	 * limit on locked memory is checked against (FreeBSD checks pmap_wired_count for the same).
	 */
	vm_size_t user_wired;
	unsigned flags; /* MAP_WIREFUTURE */
};
typedef struct vm_map *vm_map_t;

/* vm_map.flags: mlockall(MCL_FUTURE) was asked for; mmap wires what it maps (FreeBSD's value). */
#define MAP_WIREFUTURE 0x01

#define vm_map_min(map) ((map)->header.end)
#define vm_map_max(map) ((map)->header.start)

/* Visit every entry in address order. Map lock held (read is enough); do not change the map. */
#define VM_MAP_ENTRY_FOREACH(it, map) \
	for ((it) = (map)->header.next; (it) != &(map)->header; (it) = (it)->next)

/*
 * A new, empty map of [min, max) over pmap (NULL: no page tables, book-keeping only). min and max
 * must be page aligned with min < max, and [min, max) inside pmap's half. The map does not own
 * pmap: destroy the map first, then the pmap. Returns NULL on bad bounds or out of memory.
 */
vm_map_t vm_map_create(pmap_t pmap, vm_offset_t min, vm_offset_t max);

/*
 * Remove everything (unmap, free the pages of the removed ranges, drop object references, free
 * entries) and free the map. Nobody else may use or hold the map.
 */
void vm_map_destroy(vm_map_t map);

/*
 * The map's lock (FreeBSD names). The try variants return true if they took it, never wait.
 * Inline: the lock-order checker records the caller's own site, and a fault or find_vma pays no
 * extra call.
 */
static inline void vm_map_lock(vm_map_t map)
{
	rw_wlock(&map->lock);
}
static inline void vm_map_unlock(vm_map_t map)
{
	rw_wunlock(&map->lock);
}
static inline void vm_map_lock_read(vm_map_t map)
{
	rw_rlock(&map->lock);
}
static inline void vm_map_unlock_read(vm_map_t map)
{
	rw_runlock(&map->lock);
}
static inline bool vm_map_trylock(vm_map_t map)
{
	return rw_try_wlock(&map->lock);
}
static inline bool vm_map_trylock_read(vm_map_t map)
{
	return rw_try_rlock(&map->lock);
}

/*
 * Map length bytes of object from offset at an address chosen by find_space (VMFS_*), stored
 * in *addr, which on entry is the hint (VMFS_NO_SPACE: the exact address). If max_addr is not 0
 * the mapping must end at or below it. cow: MAP_CREATE_*.
 * On success the new entry takes over the caller's reference to object (NULL: anonymous memory);
 * on failure the caller still owns it and the map is unchanged.
 * Returns KERN_SUCCESS; KERN_INVALID_ADDRESS for length 0 or a VMFS_NO_SPACE range outside the map
 * or wrapping; KERN_NO_SPACE if the range is taken or no room is found (hint above the map, length
 * larger than the map, nothing free below max_addr, an alignment wrapping past 2^64);
 * KERN_INVALID_ARGUMENT for an unknown strategy or cow flag, protection bits beyond VM_PROT_ALL, a
 * length, offset or VMFS_NO_SPACE address not page aligned, a range beyond the object, or a guard
 * with an object; KERN_PROTECTION_FAILURE if prot exceeds max; KERN_RESOURCE_SHORTAGE when out
 * of memory.
 * Takes the map lock for writing; vm_map_find_locked expects it held for writing.
 */
int vm_map_find(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t *addr,
		vm_size_t length, vm_offset_t max_addr, int find_space, vm_prot_t prot,
		vm_prot_t max, int cow);
int vm_map_find_locked(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t *addr,
		       vm_size_t length, vm_offset_t max_addr, int find_space, vm_prot_t prot,
		       vm_prot_t max, int cow);

/*
 * The lowest page-aligned address >= start at which length bytes are free inside the map. On
 * failure returns a value v with v + length > vm_map_max(map) (computed without overflow by the
 * caller as it is: v + length never wraps). O(log n). Map lock held (read is enough).
 */
vm_offset_t vm_map_findspace(vm_map_t map, vm_offset_t start, vm_size_t length);

/*
 * Map [start, end) of object from offset; results and reference rules as vm_map_find with
 * VMFS_NO_SPACE. Map lock held for writing (as in FreeBSD).
 */
int vm_map_insert(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t start,
		  vm_offset_t end, vm_prot_t prot, vm_prot_t max, int cow);

/*
 * Replace whatever is mapped in [start, start + length) by a new mapping of object, atomically
 * (mmap's MAP_FIXED): the same checks as vm_map_insert are made first, and on failure nothing has
 * been removed. Results and reference rules as vm_map_insert. vm_map_fixed takes the map lock for
 * writing; vm_map_fixed_locked expects it held for writing.
 */
int vm_map_fixed(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t start,
		 vm_size_t length, vm_prot_t prot, vm_prot_t max, int cow);
int vm_map_fixed_locked(vm_map_t map, vm_object_t object, vm_ooffset_t offset, vm_offset_t start,
			vm_size_t length, vm_prot_t prot, vm_prot_t max, int cow);

/*
 * Unmap [start, end), clamped to the map's bounds: entries partly inside are clipped, the pages
 * of the removed ranges are unmapped and freed, object references dropped. Holes are fine.
 * Returns KERN_SUCCESS; KERN_INVALID_ARGUMENT if start or end is not page aligned or start > end;
 * KERN_RESOURCE_SHORTAGE (map unchanged) if a clip found no memory for the new entry or for the
 * object an anonymous entry without one gets first. Wired entries are unwired as they go
 * (user_wired drops by their size), as FreeBSD's vm_map_delete does.
 * vm_map_remove takes the map lock for writing; vm_map_delete expects it held for writing.
 */
int vm_map_remove(vm_map_t map, vm_offset_t start, vm_offset_t end);
int vm_map_delete(vm_map_t map, vm_offset_t start, vm_offset_t end);

/*
 * Give back the pages of [start, end) (clamped to the map; holes, guards and wired entries are
 * skipped, as FreeBSD's vm_map_madvise skips wired ones): they are unmapped and freed from the
 * entries' objects, so the next touch finds a zeroed page (madvise's MADV_DONTNEED and MADV_FREE).
 * Entries stay as they are. A 2 MiB mapping is split only where the
 * range does not cover it (without memory for the split it is unmapped whole; its pages outside
 * the range stay resident and fault back in as 4 KiB pages). An OBJT_SG object's frames are its
 * owner's: they are only unmapped, and the next touch shows them again.
 * Returns KERN_SUCCESS, or KERN_INVALID_ARGUMENT (nothing done) if start or end is not page aligned
 * or start > end. Map lock held for writing (pages leave objects only under it).
 */
int vm_map_release_pages(vm_map_t map, vm_offset_t start, vm_offset_t end);

/*
 * Change the protection and/or max_protection of the entries in [start, end) (clamped to the map;
 * holes and guards are skipped), as FreeBSD's vm_map_protect: with VM_MAP_PROTECT_SET_MAXPROT in
 * flags, max_protection becomes new_maxprot and protection its old value & new_maxprot; then, with
 * VM_MAP_PROTECT_SET_PROT, protection becomes new_prot. Without either flag nothing changes.
 * Mapped pages follow at once (PROT_NONE unmaps them; the data stays in the object). Entries are
 * clipped to the range (an anonymous entry without object gets its object first, see above) and
 * coalesced again afterwards.
 * Returns KERN_SUCCESS; KERN_INVALID_ARGUMENT if start or end is not page aligned, start > end, or
 * new_prot, new_maxprot or flags has unknown bits; KERN_OUT_OF_BOUNDS if both flags are given and
 * new_prot exceeds new_maxprot; KERN_PROTECTION_FAILURE if the new protection (new_prot, or with
 * only SET_MAXPROT the entry's own) or the new max_protection (new_maxprot, or the entry's own)
 * exceeds the current max_protection of an entry in the range: max_protection never grows;
 * KERN_RESOURCE_SHORTAGE when out of memory. On every failure the map is unchanged. (FreeBSD's
 * third flag, VM_MAP_PROTECT_GROWSDOWN, is for grows-down stacks, which Kestrel has not: unknown.)
 * vm_map_protect takes the map lock for writing; vm_map_protect_locked expects it held.
 */
#define VM_MAP_PROTECT_SET_PROT 0x0001
#define VM_MAP_PROTECT_SET_MAXPROT 0x0002
int vm_map_protect(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_prot_t new_prot,
		   vm_prot_t new_maxprot, int flags);
int vm_map_protect_locked(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_prot_t new_prot,
			  vm_prot_t new_maxprot, int flags);

/*
 * Set the inheritance of the entries in [start, end) (clamped to the map; holes are skipped) to
 * new_inheritance, as FreeBSD's vm_map_inherit: entries are clipped to the range and coalesced
 * again afterwards; a guard keeps its inheritance when new_inheritance is VM_INHERIT_ZERO (there is
 * nothing in it to zero; FreeBSD's rule). Returns KERN_SUCCESS; KERN_INVALID_ARGUMENT for start or
 * end not page aligned, start > end or an unknown value; KERN_RESOURCE_SHORTAGE (map unchanged)
 * when a clip finds no memory. vm_map_inherit takes the map lock for writing;
 * vm_map_inherit_locked expects it held for writing.
 */
int vm_map_inherit(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_inherit_t new_inheritance);
int vm_map_inherit_locked(vm_map_t map, vm_offset_t start, vm_offset_t end,
			  vm_inherit_t new_inheritance);

/*
 * Wire [start, end) (FreeBSD's vm_map_wire, user wirings only): every page that an entry of the
 * range maps with some right is faulted in first (vm_fault_range: 2 MiB pages where vm_fault's
 * rules allow), then the entries are clipped to the range, marked MAP_ENTRY_USER_WIRED with
 * wired_count 1 (an entry wired already stays as it is: user wirings do not nest) and coalesced;
 * user_wired grows by the bytes newly wired. Guards and PROT_NONE entries are not faulted; a
 * PROT_NONE entry is wired (its resident pages are kept), a guard is not.
 * flags: VM_MAP_WIRE_USER (required: Kestrel has no system wirings), with VM_MAP_WIRE_HOLESOK
 * (holes and guards in the range are skipped, the range clamped to the map: mlockall) or
 * VM_MAP_WIRE_NOHOLES (every page of the range must lie in an entry that is not a guard: mlock).
 * limit: user_wired may not exceed it after the call.
 * Returns, checked in this order, the map unchanged on every failure: KERN_INVALID_ARGUMENT for
 * start or end not page aligned, start > end or unknown flags; KERN_INVALID_ADDRESS (NOHOLES) for
 * a page of the range outside the map, in a hole or in a guard; KERN_NO_SPACE if the limit would
 * be exceeded; KERN_RESOURCE_SHORTAGE when out of memory for a page (the pages faulted in before
 * stay resident, unwired, as MADV_WILLNEED leaves them), a clip or an object. start == end
 * succeeds. vm_map_wire takes the map lock for writing; vm_map_wire_locked expects it held for
 * writing (the faults run under it).
 */
#define VM_MAP_WIRE_SYSTEM 0x0
#define VM_MAP_WIRE_USER 0x1
#define VM_MAP_WIRE_NOHOLES 0x0
#define VM_MAP_WIRE_HOLESOK 0x2
int vm_map_wire(vm_map_t map, vm_offset_t start, vm_offset_t end, int flags, vm_size_t limit);
int vm_map_wire_locked(vm_map_t map, vm_offset_t start, vm_offset_t end, int flags,
		       vm_size_t limit);

/*
 * Unwire [start, end) (FreeBSD's vm_map_unwire, user wirings only): the wired entries of the range
 * are clipped to it, lose MAP_ENTRY_USER_WIRED and wired_count, and coalesce again; user_wired
 * drops by their size. flags as vm_map_wire: with VM_MAP_WIRE_HOLESOK holes, guards and unwired
 * entries are skipped (munlockall); with VM_MAP_WIRE_NOHOLES every page of the range must lie in a
 * user-wired entry (munlock, FreeBSD's rule).
 * Returns, the map unchanged on every failure: KERN_INVALID_ARGUMENT for start or end not page
 * aligned, start > end or unknown flags; KERN_INVALID_ADDRESS (NOHOLES) for a page outside the
 * map, in a hole or in a guard; KERN_INVALID_ARGUMENT (NOHOLES) for a page of an entry that is not
 * user-wired; KERN_RESOURCE_SHORTAGE when a clip finds no memory. vm_map_unwire takes the map lock
 * for writing; vm_map_unwire_locked expects it held for writing.
 */
int vm_map_unwire(vm_map_t map, vm_offset_t start, vm_offset_t end, int flags);
int vm_map_unwire_locked(vm_map_t map, vm_offset_t start, vm_offset_t end, int flags);

/*
 * true: *entry is the entry containing addr. false: *entry is the last entry below addr, or NULL if
 * there is none. O(log n). Map lock held (read is enough).
 */
bool vm_map_lookup_entry(vm_map_t map, vm_offset_t addr, vm_map_entry_t *entry);

/*
 * The map's counters, the sums of its slots, each slot read atomically. No lock needed; while
 * faults run (under the read lock) the four may be from slightly different moments. Exact at a
 * quiescent point (no fault, no change of the map running).
 */
void vm_map_get_stats(vm_map_t map, struct vm_map_stats *stats);

/* The same, as a value (for tests and checks). */
static inline struct vm_map_stats vm_map_stats_now(vm_map_t map)
{
	struct vm_map_stats st;
	vm_map_get_stats(map, &st);
	return st;
}

/*
 * Add delta to the counter at offset field (VM_MAP_STAT(faults), ...) in the slot of the CPU this
 * runs on. No lock needed.
 */
#define VM_MAP_STAT(counter) offsetof(struct vm_map_stats, counter)
static inline void vm_map_stat_add(vm_map_t map, size_t field, int64_t delta)
{
	struct vm_map_stats *slot = &map->cpu[cpu_this_id() % VM_MAP_CPU_SLOTS].s;
	uint64_t *counter = (uint64_t *)(void *)((char *)slot + field);

	__atomic_add_fetch(counter, (uint64_t)delta, __ATOMIC_RELAXED);
}

/*
 * Check invariants M1-M10 (and every mapped object's own). Returns 0, or the number of the broken
 * invariant (VM_MAP_CHECK_*) after printing which one with kprintf. O(entries + resident pages).
 * Map lock held; read is enough when no fault can run meanwhile (faults update M7's counters under
 * the read lock), else hold it for writing.
 */
#define VM_MAP_CHECK_BOUNDS 1
#define VM_MAP_CHECK_LIST 2
#define VM_MAP_CHECK_TREE 3
#define VM_MAP_CHECK_TREE_INVARIANTS 4
#define VM_MAP_CHECK_PROT 5
#define VM_MAP_CHECK_OBJECT 6
#define VM_MAP_CHECK_COALESCE 7
#define VM_MAP_CHECK_PMAP 8
#define VM_MAP_CHECK_WIRED 9
#define VM_MAP_CHECK_HINT 10
int vm_map_check(vm_map_t map);
/* The name of the invariant a vm_map_check result stands for ("ok" for 0). */
const char *vm_map_check_msg(int code);

/*
 * The MMU flags pages of an entry with protection prot get in this map: none for VM_PROT_NONE
 * (such pages are not mapped), MMU_USER for a map below the user/kernel boundary.
 */
unsigned vm_map_mmu_flags(vm_map_t map, vm_prot_t prot);

/*
 * Resolve a fault at va for an access of fault_type (VM_PROT_READ, WRITE and/or EXECUTE): map the
 * entry's object page there, allocating a zeroed one on first touch; a whole 2 MiB page when the
 * entry covers the aligned 2 MiB around va, va is congruent to the object offset modulo 2 MiB,
 * none of that object range is resident yet and pmm has a free 2 MiB block. An OBJT_SG object's
 * pages are all resident: its frame is mapped, as a whole 2 MiB page when the entry covers and is
 * congruent as above, the object's frames behind that 2 MiB are one run starting on a 2 MiB
 * boundary, and nothing of the 2 MiB is mapped yet.
 * Returns KERN_SUCCESS (also when va was already mapped with enough rights);
 * KERN_INVALID_ADDRESS if no entry (or a guard) covers va; KERN_PROTECTION_FAILURE if the entry
 * does not allow fault_type; KERN_INVALID_ARGUMENT for an empty or unknown fault_type;
 * KERN_FAILURE for a map without pmap; KERN_RESOURCE_SHORTAGE when out of memory.
 * Takes the map lock for reading (readers nest, so a fault under a reader of the same map works).
 */
int vm_fault(vm_map_t map, vm_offset_t va, vm_prot_t fault_type);
/* vm_fault, and on KERN_SUCCESS *page_size: the size of the page that maps va afterwards (4 KiB or
   2 MiB), known without another page-table walk. */
int vm_fault_mapped(vm_map_t map, vm_offset_t va, vm_prot_t fault_type, vm_size_t *page_size);

/*
 * Fault in every page of [start, end) that an entry maps with some right (guards and PROT_NONE
 * entries are skipped, holes too), as vm_fault with the entry's own protection does: 2 MiB pages
 * where vm_fault's rules allow them (madvise's MADV_WILLNEED). Each step counts as a fault.
 * Returns KERN_SUCCESS; KERN_INVALID_ARGUMENT if start or end is not page aligned or start > end;
 * vm_fault's KERN_FAILURE or KERN_RESOURCE_SHORTAGE, at the first page that failed (those before
 * it stay mapped). Map lock held by the caller, for reading (vm_fault's nesting rule) or for
 * writing (vm_map_wire).
 */
int vm_fault_range(vm_map_t map, vm_offset_t start, vm_offset_t end);

#endif
