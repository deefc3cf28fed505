/*
 * mmap/mprotect flags, madvise behaviours, minherit and mlockall values, with FreeBSD's names and
 * values (mmap(2), madvise(2), mincore(2), msync(2), minherit(2), mlock(2), mlockall(2)), and the
 * contract of SYS_mmap, SYS_munmap, SYS_mprotect, SYS_madvise, SYS_mincore, SYS_msync,
 * SYS_minherit, SYS_mlock, SYS_munlock, SYS_mlockall and SYS_munlockall (kernel/vm_syscalls.c).
 * Kestrel's choices are marked (K).
 *
 * The user range is [USER_MIN, USER_MAX): page 0 is not part of it. Lengths are rounded up to
 * whole pages; a length whose rounding wraps is ENOMEM for mmap (FreeBSD's), EINVAL for munmap
 * and mprotect.
 *
 * mmap(addr, len, prot, flags, fd, off) -> addr. Anonymous memory (MAP_ANON), guard reservations
 * (MAP_GUARD) and file mappings (neither), as FreeBSD's mmap(2) decides. The errors, in the order
 * of FreeBSD's kern_mmap (the first that applies is returned):
 *    1. EINVAL  prot has bits beyond PROT_READ|WRITE|EXEC and PROT_MAX(PROT_READ|WRITE|EXEC);
 *       ENOTSUP prot has a PROT_MAX(m) part (m not 0) and PROT_EXTRACT(prot) is not within m;
 *    2. EINVAL  len 0, or MAP_ANON with fd other than -1 or off other than 0;
 *       EINVAL  MAP_STACK with fd other than -1 or a prot without both PROT_READ and PROT_WRITE;
 *               MAP_STACK implies MAP_ANON from here on (and off is ignored, as FreeBSD);
 *    3. EINVAL  flags has bits beyond MAP_SHARED, MAP_PRIVATE, MAP_FIXED, MAP_ANON, MAP_GUARD,
 *               MAP_EXCL, MAP_STACK, MAP_NOCORE and MAP_ALIGNED(n);
 *    4. EINVAL  MAP_EXCL without MAP_FIXED;
 *    5. EINVAL  both MAP_SHARED and MAP_PRIVATE;
 *    6. EINVAL  MAP_GUARD with prot other than PROT_NONE, fd other than -1, off other than 0, or
 *               any flag besides MAP_FIXED, MAP_EXCL and MAP_ALIGNED(n) (MAP_PRIVATE included, as
 *               FreeBSD);
 *    7. EINVAL  MAP_ANON with MAP_SHARED (K: Kestrel has no fork and no shared anonymous memory,
 *               so such a mapping could never be shared: refused rather than silently private);
 *    8. ENOMEM  len wraps past 2^64 when rounded up to whole pages (FreeBSD's answer);
 *    9. EINVAL  MAP_ALIGNED(n) with n other than 1 (MAP_ALIGNED_SUPER) or 12..47 (K: FreeBSD
 *               allows up to 63; user addresses have 47 bits);
 *   10. EINVAL  MAP_FIXED with addr not page aligned or [addr, addr + len) not inside the user
 *               range, whatever the fd (so fd -1 without MAP_ANON gives EINVAL here, not EBADF);
 *   11. a file mapping (neither MAP_ANON nor MAP_GUARD), in this order:
 *         EBADF   fd is not open (fd -1 included);
 *         EINVAL  neither MAP_SHARED nor MAP_PRIVATE;
 *         ENODEV  the file cannot be mapped (the console: FreeBSD's and Linux's answer for a file
 *                 without an mmap method);
 *         EINVAL  off negative or not page aligned (K: Linux's rule; FreeBSD would shift the
 *                 address by the offset within its page);
 *         then the file's own errors (below);
 *   12. EBUSY   the caller's map lock cannot be waited for (kernel/vm_syscalls.c, "Locking");
 *   13. ENOMEM  mlockall(MCL_FUTURE) is in effect and the bytes the task has wired plus len would
 *               exceed MEMLOCK_LIMIT (FreeBSD's RLIMIT_MEMLOCK check in vm_mmap_object); not for
 *               MAP_GUARD, which wires nothing;
 *   14. EINVAL  MAP_STACK with len of one page (the guard would leave no stack: FreeBSD's answer);
 *   15. EEXIST  MAP_FIXED|MAP_EXCL and part of the range is mapped; nothing is replaced (K: the
 *               uapi's choice, Linux's MAP_FIXED_NOREPLACE error; FreeBSD reports ENOMEM);
 *   16. ENOMEM  no free range fits, or out of kernel memory for a map entry or an object.
 * With mlockall(MCL_FUTURE) in effect the new mapping is then wired as mlock wires; as FreeBSD,
 * a failure to wire it (out of memory) does not fail the mmap. A MAP_SHARED mapping's
 * inheritance is INHERIT_SHARE, every other's INHERIT_COPY (FreeBSD's).
 *
 * PROT_MAX (FreeBSD 13): the mapping's max_protection is m when prot carries PROT_MAX(m), else
 * PROT_READ|WRITE|EXEC for anonymous memory; a file mapping's is what the file allows, within m.
 * mprotect beyond it is EACCES. MAP_NOCORE is accepted and does nothing (K: Kestrel writes no core
 * dumps). MAP_STACK (K: the subset of FreeBSD's grows-down stack that a model without stack growth
 * has): an anonymous mapping of the whole [addr, addr + len), placed as any other, whose lowest
 * page is a guard (any access faults; vm_map_list shows it as a guard entry) and whose other pages
 * form a stack entry (VM_ENT_STACK), filled on first touch from the top down as a stack is used.
 * FreeBSD maps only an initial part and grows it on faults below, up to the guard; Kestrel maps the
 * whole range at once, which a program cannot tell apart except by vm_map_list.
 *
 * Placement without MAP_FIXED: addr is a hint (rounded up to a page): the first fit at or above
 * it, else the first fit from the bottom of the user range; with MAP_ALIGNED(n) the first fit
 * aligned to 2^n, with MAP_ALIGNED_SUPER the first fit aligned to 2 MiB when len is at least
 * 2 MiB (VMFS_SUPER_SPACE, as FreeBSD; a shorter mapping is placed as without the flag). Without
 * an alignment flag a file mapping of at least 2 MiB is placed so that its 2 MiB pages can be
 * mapped whole (address congruent to off modulo 2 MiB) where such a fit exists (VMFS_OPTIMAL_SPACE,
 * as FreeBSD). addr 0 is the hint "the task's mmap base" (FreeBSD's anon_loc: the first fit at
 * or above it, else from the bottom): with ASLR, the default, a 2 MiB boundary drawn at random for
 * every program started, in [4 GiB, 64 TiB + 4 GiB) (mm/memlayout.h); with "aslr=0" on the kernel
 * command line, the bottom of the user range (K: FreeBSD starts above the largest possible heap;
 * Kestrel has no heap segment). With MAP_FIXED the alignment flags are checked but not applied,
 * as FreeBSD. Anonymous mappings get max_protection PROT_READ|WRITE|EXEC (FreeBSD's); MAP_GUARD
 * makes a guard entry (PROT_NONE for good: any access faults, mprotect skips it). No frame is
 * allocated (anonymous memory is filled on first touch), so a failure leaks none; the map changes
 * only on success.
 *
 * Files that can be mapped: BPF map fds (kernel/bpf/map_mmap.h), as Linux. mmap(NULL, len,
 * PROT_READ|PROT_WRITE, MAP_SHARED, map_fd, off) maps bytes [off, off + len) of a BPF_F_MMAPABLE
 * ARRAY's values (value i at i * round_up(value_size, 8), the last page zero-padded), shared with
 * the map: stores through the mapping are what lookups see and updates are what the mapping shows.
 * The mapping keeps the map alive after close(map_fd); the map's memory goes with the last of its
 * fds and mappings. A mapping made with PROT_WRITE makes BPF_MAP_FREEZE fail with EBUSY until it
 * is wholly unmapped (munmap of part of it, or mprotect, does not end it). max_protection is
 * PROT_READ | prot: a mapping made without PROT_WRITE (all a frozen map allows) can never be made
 * writable, mprotect says EACCES. The file's errors (step 11), in Linux's order (do_mmap's checks
 * of the file, then bpf_map_mmap's, then array_map_mmap's):
 *         EACCES    MAP_SHARED with PROT_WRITE and an fd that may not write;
 *         EACCES    an fd that may not read;
 *         ENOTSUPP  a map type other than ARRAY (Linux's 524);
 *         EINVAL    not MAP_SHARED (MAP_PRIVATE, whatever prot), or an fd that may not write
 *                   (Linux makes such an fd's MAP_SHARED mapping a private one);
 *         EPERM     PROT_WRITE and the map is frozen (Linux's answer; EACCES is mprotect's);
 *         EACCES    PROT_WRITE and the map is BPF_F_RDONLY_PROG;
 *         EINVAL    an ARRAY without BPF_F_MMAPABLE;
 *         EINVAL    off + len beyond the values, rounded up to whole pages;
 *         ENOMEM    out of kernel memory.
 *
 * munmap(addr, len) -> 0: EINVAL for addr not page aligned, len 0, a wrapping length or a range
 * not inside the user range (munmap(2)); otherwise 0, also for ranges with nothing mapped. ENOMEM
 * if splitting an entry found no kernel memory for the new entry or, for anonymous memory never
 * touched, for the object the pieces then share (nothing is removed then). EBUSY as mmap's.
 *
 * mprotect(addr, len, prot) -> 0, in this order: EINVAL for prot bits beyond PROT_READ|WRITE|EXEC
 * and PROT_MAX(PROT_READ|WRITE|EXEC); ENOTSUP for a PROT_MAX(m) part (m not 0) that
 * PROT_EXTRACT(prot) exceeds; EINVAL for addr not page aligned, a wrapping length or a range not
 * inside the user range. With PROT_MAX(m), max_protection becomes m as well (FreeBSD's: it only
 * shrinks). EBUSY as mmap's; EACCES if prot (or m) exceeds the max_protection of an entry in the
 * range (the program image's entries and the stack have max_protection equal to their
 * protection; anonymous mappings allow everything, or what their PROT_MAX said; file mappings what
 * the file allowed); ENOMEM as munmap. Holes and guard entries in the range are skipped
 * (FreeBSD); len 0 succeeds and changes nothing. On any error nothing has changed. The pieces of
 * an anonymous mapping split by mprotect or munmap coalesce again when their protections match,
 * touched or not, and so does anonymous memory mapped again into a hole of one (as FreeBSD):
 * vm_map_list then shows one entry.
 *
 * madvise(addr, len, behav) -> 0 (SYS_madvise): advice about [trunc_page(addr),
 * round_page(addr + len)), as FreeBSD's madvise(2). Errors, in this order: EINVAL behav is not one
 * of the MADV_* below (MADV_PROTECT, FreeBSD's 10, included: Kestrel has no page daemon to protect
 * from); EINVAL addr + len wraps or [addr, addr + len) is not inside the user range (FreeBSD's
 * kern_madvise); EBUSY as mmap's. Holes and guards in the range are skipped, len 0 does nothing
 * (FreeBSD). Nothing else fails: advice is advice.
 *   MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL: accepted, no effect (K: no paging, no read-ahead);
 *   MADV_WILLNEED: every page of the range that an entry maps with some right is faulted in now,
 *     2 MiB pages where a first touch would get one (K: FreeBSD maps only pages already resident;
 *     Kestrel's pages are all "in memory" once made). Out of memory it stops early, still 0;
 *   MADV_DONTNEED, MADV_FREE: the pages of the range are freed, except in wired memory (mlock,
 *     mlockall), which keeps them (FreeBSD skips wired entries); the next touch gives zeros (K:
 *     FreeBSD's DONTNEED only lowers the pages' priority and keeps the data; Kestrel cannot page,
 *     so both release, as FreeBSD's FREE may). A 2 MiB page is split only where the range does not
 *     cover it. A file mapping's pages belong to the file: they are unmapped and come back, with
 *     the file's data, on the next touch;
 *   MADV_NOSYNC, MADV_AUTOSYNC, MADV_NOCORE, MADV_CORE: accepted, no effect (K: no syncer, no core
 *     dumps).
 *
 * msync(addr, len, flags) -> 0 (SYS_msync): as FreeBSD's msync(2) on [trunc_page(addr),
 * round_page(addr + len)), which for Kestrel's memory writes nothing (K: anonymous memory has no
 * backing store, and a file mapping shares its file's memory, so every store is already there).
 * Errors, in this order: EINVAL flags has bits beyond MS_ASYNC|MS_INVALIDATE (K: FreeBSD ignores
 * them), or both of those (FreeBSD's); EINVAL the range wraps or is not inside the user range;
 * EBUSY as mmap's; ENOMEM a page of the range is not mapped (FreeBSD's vm_map_sync; guards count
 * as mapped). len 0 with an aligned addr succeeds.
 *
 * mincore(addr, len, vec) -> 0 (SYS_mincore): one byte per page of [trunc_page(addr),
 * trunc_page(addr) + round_page(len)) into vec, as FreeBSD's mincore(2): MINCORE_INCORE if the page
 * is resident, with MINCORE_PSIND(1) if it is mapped by a 2 MiB page (FreeBSD's superpage report);
 * 0 if it is not resident (memory never touched, or given back by madvise) and for guard pages.
 * A resident page that the task's page tables map also has MINCORE_REFERENCED |
 * MINCORE_REFERENCED_OTHER once it has been read or written through that mapping, and
 * MINCORE_MODIFIED | MINCORE_MODIFIED_OTHER once written (the CPU's accessed and dirty bits; a 2
 * MiB page has one pair for all its pages; as FreeBSD's amd64 pmap_mincore, which sets the _OTHER
 * bit with its own: _OTHER means "by any mapping", and without fork or shared anonymous memory no
 * page of Kestrel has a mapping in another task). Mapping a page (a first touch, MADV_WILLNEED,
 * mlock) sets neither until the page is used; the kernel's own copyin/copyout through the mapping
 * counts as use. A resident page that is not mapped (PROT_NONE) is MINCORE_INCORE only (K: the
 * bits live in the page tables and go with the mapping; FreeBSD keeps a page's dirty state in the
 * page too). Kestrel never clears the bits (no page daemon): they tell whether the page was used
 * since it was mapped, not recently. Errors,
 * in this order: ENOMEM the range wraps or is not inside the user range; EFAULT vec's bytes wrap
 * or reach past the user range; EBUSY as mmap's; ENOMEM a page of the range is not mapped
 * (FreeBSD's answer: holes are not skipped); EFAULT vec is not writable (found while writing, in
 * steps of 4096 pages: a hole in a step is reported before a fault writing that step). On an
 * error vec may hold the bytes of the pages before the failing one. len 0 succeeds and writes
 * nothing.
 */
#ifndef UAPI_MMAN_H
#define UAPI_MMAN_H

#define PROT_NONE 0x0
#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4
#define _PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)
/* PROT_MAX(m) in mmap's or mprotect's prot carries the maximum protection m. */
#define PROT_MAX(prot) ((prot) << 16)
#define PROT_EXTRACT(prot) ((prot)&_PROT_ALL)
#define PROT_MAX_EXTRACT(prot) (((prot) >> 16) & _PROT_ALL)

#define MAP_SHARED 0x0001
#define MAP_PRIVATE 0x0002
#define MAP_FIXED 0x0010
#define MAP_ANON 0x1000
#define MAP_ANONYMOUS MAP_ANON
#define MAP_GUARD 0x00002000  /* reserve address space; PROT_NONE only, any access faults */
#define MAP_EXCL 0x00004000   /* with MAP_FIXED: fail with EEXIST instead of replacing */
#define MAP_STACK 0x0400      /* anonymous stack with a guard page at its bottom */
#define MAP_NOCORE 0x00020000 /* leave out of core dumps (accepted; Kestrel writes none) */

#define MAP_ALIGNMENT_SHIFT 24
#define MAP_ALIGNMENT_MASK (0xffu << MAP_ALIGNMENT_SHIFT)
#define MAP_ALIGNED(n) ((unsigned)(n) << MAP_ALIGNMENT_SHIFT) /* 2^n alignment, 12 <= n <= 47 */
#define MAP_ALIGNED_SUPER MAP_ALIGNED(1)                      /* 2 MiB superpage alignment */

#define MAP_FAILED ((void *)-1)

/* madvise behaviours (FreeBSD's values). */
/* msync flags (FreeBSD's values); MS_SYNC is the absence of MS_ASYNC. */
#define MS_SYNC 0x0000
#define MS_ASYNC 0x0001
#define MS_INVALIDATE 0x0002

#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_FREE 5
#define MADV_NOSYNC 6
#define MADV_AUTOSYNC 7
#define MADV_NOCORE 8
#define MADV_CORE 9

/*
 * minherit(addr, len, inherit) -> 0 (SYS_minherit): sets the inheritance of the pages of
 * [trunc_page(addr), round_page(addr + len)) to inherit, as FreeBSD's minherit(2): what a child
 * made by fork would get of them (INHERIT_SHARE the same memory, INHERIT_COPY a copy,
 * INHERIT_NONE nothing, INHERIT_ZERO new zeroed memory). Kestrel has no fork yet: the value is
 * only stored per map entry and reported (vm_map_list's inheritance, vmmap's INH column); it
 * changes nothing else. New mappings have INHERIT_COPY, MAP_SHARED ones INHERIT_SHARE. Pages of one
 * entry may get different values (the entry is split, and joins again when they are equal).
 * Holes in the range are skipped (FreeBSD); a guard keeps its value when asked for INHERIT_ZERO
 * (FreeBSD's rule: nothing in it to zero). Errors, in this order: EINVAL addr + len wraps
 * (FreeBSD's); EINVAL inherit is not one of the four values (FreeBSD's); EINVAL the range is not
 * inside the user range (K: FreeBSD clamps it to the map); EBUSY as mmap's; ENOMEM out of kernel
 * memory to split an entry (K: FreeBSD's allocations wait), nothing changed. FreeBSD's EACCES
 * (a value its map refuses for an entry) never happens in Kestrel. An empty range succeeds.
 */
#define INHERIT_SHARE 0
#define INHERIT_COPY 1
#define INHERIT_NONE 2
#define INHERIT_ZERO 3

/*
 * Wiring (mlock(2), mlockall(2), FreeBSD's contracts within Kestrel's model). Kestrel has no
 * paging: every page it has made stays in memory anyway, so wiring a range means faulting in every
 * page it maps now (2 MiB pages where a first touch would get them; PROT_NONE memory is wired but
 * has nothing mapped to fault) and keeping the pages until the range is unwired or unmapped:
 * madvise's DONTNEED and FREE leave wired pages alone. A task may wire at most MEMLOCK_LIMIT bytes
 * (K: the role of FreeBSD's per-process RLIMIT_MEMLOCK; Kestrel has no setrlimit, so it is this
 * constant); the count is of bytes of wired mappings (vm_map_list's wired_count), a page wired
 * twice counts once, and munmap, munlock, munlockall and exit give it back. Wirings do not nest:
 * one munlock undoes any number of mlock calls of a page (FreeBSD's user wiring). Guard pages are
 * never wired. Nothing is inherited (no fork); exec starts with nothing wired and MCL_FUTURE off.
 *
 * mlock(addr, len) -> 0 (SYS_mlock): wires [trunc_page(addr), round_page(addr + len)). Errors, in
 * this order: EINVAL addr + len wraps (FreeBSD's); ENOMEM the range is not inside the user range;
 * EBUSY as mmap's; ENOMEM a page of the range is not mapped or is a guard (FreeBSD's); ENOMEM the
 * task's wired bytes would exceed MEMLOCK_LIMIT (FreeBSD's); ENOMEM out of memory for a page or
 * to split an entry (FreeBSD's; the pages faulted in before stay resident, unwired). On an error
 * nothing is wired. An empty range (len 0 at a page-aligned addr) succeeds after the range checks.
 *
 * munlock(addr, len) -> 0 (SYS_munlock): unwires [trunc_page(addr), round_page(addr + len)).
 * Errors, in this order: EINVAL addr + len wraps; ENOMEM the range is not inside the user range;
 * EBUSY as mmap's; ENOMEM a page of the range is not mapped, is a guard or is not wired (FreeBSD's
 * vm_map_unwire refuses ranges that are not wholly user-wired); ENOMEM out of kernel memory to
 * split an entry. On an error nothing is unwired. An empty range succeeds after the range checks.
 *
 * mlockall(flags) -> 0 (SYS_mlockall): MCL_CURRENT wires every mapping of the task now (holes and
 * guards skipped); MCL_FUTURE makes every later mmap wire what it maps (mmap's step 13). Errors,
 * in this order: EINVAL flags is 0 or has other bits (FreeBSD's); EBUSY as mmap's; ENOMEM
 * (MCL_CURRENT) wiring every mapping would take the task's wired bytes beyond MEMLOCK_LIMIT
 * (FreeBSD's): nothing is wired and MCL_FUTURE is not set; ENOMEM out of memory for a page or to
 * split an entry: MCL_FUTURE is set all the same (FreeBSD sets it first), nothing new is wired;
 * EAGAIN some memory could not be wired for another reason (FreeBSD's; none in Kestrel yet).
 *
 * munlockall() -> 0 (SYS_munlockall): unwires every mapping and turns MCL_FUTURE off. EBUSY as
 * mmap's; nothing else fails (the whole map needs no split).
 */
#define MCL_CURRENT 0x0001
#define MCL_FUTURE 0x0002
#define MEMLOCK_LIMIT (32ull << 20) /* (K) bytes a task may wire: 32 MiB */

/* mincore's bytes (FreeBSD's values). */
#define MINCORE_INCORE 0x1           /* the page is resident */
#define MINCORE_REFERENCED 0x2       /* referenced through this mapping */
#define MINCORE_MODIFIED 0x4         /* modified through this mapping */
#define MINCORE_REFERENCED_OTHER 0x8 /* referenced (by any mapping: see mincore) */
#define MINCORE_MODIFIED_OTHER 0x10  /* modified (by any mapping) */
#define MINCORE_PSIND_SHIFT 5
#define MINCORE_PSIND(i) ((i) << MINCORE_PSIND_SHIFT) /* mapped by a page of size index i */
#define MINCORE_SUPER (0x3 << MINCORE_PSIND_SHIFT)    /* any superpage size */

#endif
