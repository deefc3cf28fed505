/*
 * BPF-like maps and callback system calls (shared by the kernel and user/).
 *
 * The contracts are Linux's (bpf(2) map commands, bpf_find_vma, bpf_for_each_map_elem, the
 * task_vma iterator), adapted to user tasks: a task is named by its pid (0 means the caller), a map
 * by a file descriptor, and a callback is a user function that the kernel runs in user mode, on
 * the calling thread's stack, in the middle of the system call. Every call returns >= 0 on
 * success and a negated errno (include/uapi/errno.h) on failure; the user library passes these
 * through unchanged.
 *
 * Maps (SYS_bpf_map_*): the maps of bpf(2) (kernel/bpf/map.h), reached through an fd that may
 * read and write, with map_flags 0.
 *   create(type, key_size, value_size, max_entries) -> fd. type: BPF_MAP_TYPE_HASH, ARRAY,
 *     PERCPU_HASH, PERCPU_ARRAY, LRU_HASH or LRU_PERCPU_HASH. EINVAL: another type, a size or
 *     max_entries of 0, or an array whose key_size is not 4; E2BIG: a size or max_entries over
 *     the kernel's limits (kernel/bpf/map.h); ENOMEM; EMFILE. close(fd) frees it (once no
 *     running call uses it), and so does the task's exit.
 *     Arrays: keys are uint32_t indexes 0..max_entries-1, every element exists, zero-filled.
 *     Hash types: up to max_entries keys, compared bytewise; the LRU types evict the least
 *     recently used element to make room instead of failing.
 *     Per-CPU types: lookup and update take one value per possible CPU, each rounded up to 8
 *     bytes (Linux's layout); for_each's callback gets this CPU's value.
 *   update(fd, key, value, flags): flags BPF_ANY, BPF_NOEXIST (EEXIST if the key is present) or
 *     BPF_EXIST (ENOENT if absent); anything else EINVAL. Arrays: E2BIG for an index out of range,
 *     and BPF_NOEXIST always fails with EEXIST. HASH, PERCPU_HASH: E2BIG when inserting into a
 *     full map. ENOMEM if an element cannot be allocated.
 *   lookup(fd, key, value_out): ENOENT if absent (arrays: index out of range).
 *   delete(fd, key): ENOENT if absent; arrays: EINVAL (their elements cannot be deleted).
 *   next_key(fd, key, next_key): key NULL, or a key not in the map, gives the first key; the last
 *     key gives ENOENT (as does an empty map). Array order is index order; hash order is
 *     unspecified but stable while the map does not change.
 *   Any call: EBADF if fd is not open; EINVAL if it is not a map; EFAULT for a bad pointer.
 *
 * Task errors (find_vma, task_vma_batch), checked in this order: ESRCH no task has that pid;
 * EPERM the task is neither the caller nor a descendant of it; ENOENT the task has no address
 * space (it is exiting, or a zombie); EBUSY its map lock cannot be taken for reading without
 * waiting (a writer holds it: SYS_task_lock_map, or a system call of that task in progress).
 *
 * SYS_bpf_find_vma(pid, addr, cb, ctx, flags) -> 0
 *   Finds the VMA of task pid that contains addr (vm_start <= addr < vm_end) and runs
 *   cb(task, vma, ctx) once with copies of the task and VMA records (writes to them change nothing
 *   in the kernel); returns 0 whatever cb returns. Errors, in this order: EINVAL flags is not 0;
 *   ELOOP BPF_CB_MAX_DEPTH callbacks are running already; the task errors above; EFAULT cb is
 *   not in an executable mapping of the caller (EBUSY if the caller's own map lock cannot be
 *   had to check that); ENOENT no VMA contains addr. cb is not called after an error. While cb
 *   runs the kernel holds the target's map lock for read, as Linux holds mmap_lock: calls from
 *   the callback that would wait for it (mmap, munmap, mprotect, SYS_task_lock_map of that map)
 *   fail with EBUSY instead, and page faults in the callback are still served. The target
 *   cannot finish exiting meanwhile (its exit waits for the callback).
 *
 * SYS_bpf_for_each_map_elem(fd, cb, ctx, flags) -> elements visited
 *   Runs cb(fd, key, value, ctx) for elements in next_key order: ARRAY every index, set or not;
 *   HASH each key present when the walk started, at most once, skipping a key that is absent when
 *   its turn comes (so a callback that deletes and re-inserts its own key is not called again).
 *   The callback gets copies of key and value; if it changed its value, the copy is stored back
 *   into the element when it returns (unless the element is gone by then), so an untouched copy
 *   leaves an update the callback made through the map in place; writes to the key are lost.
 *   cb returns 0 to go on and nonzero to stop; the result counts every callback run, the
 *   stopping one included. Errors, in this order: EINVAL flags is not 0; ELOOP as find_vma;
 *   EBADF fd is not open; EINVAL it is not a map; ENOMEM; EFAULT (or EBUSY) cb as find_vma.
 *   No lock is held while cb runs: it may update, insert and delete elements of the map.
 *
 * SYS_bpf_task_vma_batch(pid, from, out, max) -> count
 *   Stores up to max VMAs with vm_end > from into out, in ascending address order, all from one
 *   snapshot of the map (taken with its lock held for read, copied out after it is dropped).
 *   It stores at most 64 per call, and may store fewer than max even when more follow; 0 means
 *   there are none above `from`. max 0 returns 0. Errors: the task errors, then EFAULT for out.
 *   The user library's bpf_iter_task_vma (user/include/bpf.h) is built on it.
 *
 * How the kernel runs a callback (the trampoline protocol):
 *   0. Every task has the trampoline page mapped at BPF_CB_TRAMPOLINE (below), read+execute with
 *      max_protection read+execute, in its map listing like any other mapping: the page right
 *      below the guard gap under the stack. Its code passes rax to SYS_cb_return.
 *   1. The kernel copies the records the callback gets (struct bpf_task and struct bpf_vma; or key
 *      and value) onto the calling thread's user stack, below the 128 bytes under the rsp the
 *      system call was made with (the System V red zone), each 16-byte aligned. EFAULT if the
 *      stack cannot take them.
 *   2. It enters user mode at cb with rdi, rsi, rdx, rcx = the callback's arguments, rsp such
 *      that rsp + 8 is 16-byte aligned and [rsp] = BPF_CB_TRAMPOLINE, rflags with IF set and DF
 *      clear, other registers 0. cb is thus called as an ordinary System V function.
 *   3. When cb returns, it lands in the trampoline, which makes SYS_cb_return(rax). The kernel
 *      accepts that call only from the trampoline's syscall instruction with rsp exactly what
 *      cb's return left (rsp + 8 of step 2) for the innermost callback running; it then resumes
 *      the system call that ran the callback, which goes on or returns as above, and restores
 *      every general register and the flags of its caller from the kernel's own copy, whatever
 *      the callback did. The FPU/SSE state is not restored: like any C function, a callback
 *      must leave the control words (MXCSR, x87 CW) as the SysV ABI says it found them.
 *      Otherwise (no callback running, another address, another depth) SYS_cb_return fails
 *      with EINVAL (and the trampoline then faults).
 *   A callback may make any system call, including further bpf calls that run callbacks, up to
 *   BPF_CB_MAX_DEPTH callbacks running at once on one thread; the call that would start one more
 *   fails with ELOOP. A callback that faults (and is not resolved), exits or is killed ends the
 *   task, and the kernel releases everything held for the callbacks. A callback may also be left
 *   by longjmp, to an outer callback or to the program: the first system call made with rsp
 *   above the one the callback was entered with ends that callback's system call (and any inner
 *   one) for good, releasing what it held; that system call never returns.
 */
#ifndef UAPI_BPF_H
#define UAPI_BPF_H

#include <stdint.h>
#include "linux/bpf.h" /* map types and update flags (BPF_MAP_TYPE_*, BPF_ANY/NOEXIST/EXIST) */

/* struct bpf_vma.vm_flags: Linux's values for the bits Linux has. */
#define VM_READ 0x1
#define VM_WRITE 0x2
#define VM_EXEC 0x4
#define VM_MAYREAD 0x10  /* max_prot allows read */
#define VM_MAYWRITE 0x20 /* max_prot allows write */
#define VM_MAYEXEC 0x40  /* max_prot allows exec */
#define VM_GUARD 0x100     /* MAP_GUARD reservation or stack guard gap: any access faults */
#define VM_STACK 0x200     /* the task's user stack */
#define VM_SUPERPAGE 0x400 /* at least one 2 MiB page is mapped inside the VMA now */

/* A snapshot of one map entry (FreeBSD's vm_map_entry), shaped like Linux's vm_area_struct. */
struct bpf_vma {
	uint64_t vm_start; /* first byte, page aligned */
	uint64_t vm_end;   /* one past the last byte, page aligned */
	uint64_t vm_flags; /* VM_* above */
	uint64_t vm_pgoff; /* offset of vm_start in its memory object, in 4 KiB pages (memory not
			      touched yet: the offset its object will have, vm_start's offset inside
			      its 2 MiB-aligned block) */
};
_Static_assert(sizeof(struct bpf_vma) == 32, "struct bpf_vma is ABI");

#define BPF_TASK_COMM_LEN 16

/* The task a VMA belongs to. */
struct bpf_task {
	int32_t pid;
	int32_t ppid;                 /* 0 for a task the kernel started */
	char comm[BPF_TASK_COMM_LEN]; /* program name given to spawn, NUL-terminated, truncated */
};
_Static_assert(sizeof(struct bpf_task) == 24, "struct bpf_task is ABI");

/* Callbacks nested on one thread at most (see the trampoline protocol above). */
#define BPF_CB_MAX_DEPTH 4

/* The trampoline page of every task: USER_MAX - stack (256 KiB) - guard gap (1 MiB) - 4 KiB. */
#define BPF_CB_TRAMPOLINE 0x00007fffffebe000ull

/* bpf_find_vma's callback; the return value is ignored. */
typedef long (*bpf_find_vma_cb)(struct bpf_task *task, struct bpf_vma *vma, void *ctx);
/* bpf_for_each_map_elem's callback: 0 to go on, nonzero to stop. */
typedef long (*bpf_map_elem_cb)(int map_fd, const void *key, void *value, void *ctx);

#endif
