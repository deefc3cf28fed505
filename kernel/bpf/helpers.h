/*
 * The BPF helpers Kestrel implements, by Linux's number and with Linux's contracts: the table the
 * loader hands the verifier (bpf_verifier_input.helper_fns), whose entries the executors call
 * with r1..r5. Their prototypes, which the verifier checks calls against, are kernel/bpf/func_proto.c's.
 *
 * Every helper runs inside its program's run, an RCU read-side section: none holds a lock when it
 * returns, and none sleeps except bpf_copy_from_user (below); bpf_loop and bpf_for_each_map_elem run BPF callbacks (struct
 * bpf_exec_func, kernel/bpf/exec.h) in either executor. Arguments are trusted as far as the
 * verifier proved them (pointers of the kinds the prototype names); bpf_trace_printk's %s
 * arguments, which the verifier does not check, are read with bpf_probe_read_nofault.
 */
#ifndef KERNEL_BPF_HELPERS_H
#define KERNEL_BPF_HELPERS_H

#include <stdint.h>

#include "kernel/bpf/exec.h"
#include "uapi/linux/bpf.h"

/* bpf_loop's limit on nr_loops (Linux's BPF_MAX_LOOPS): -E2BIG above. */
#define BPF_MAX_LOOPS (8u * 1024 * 1024)

/*
 * The tracing helpers (kernel/bpf/helpers_trace.c), entries of the table below.
 * bpf_get_current_task_btf is bpf_get_current_task: the same view, which its prototype types.
 */
uint64_t bpf_helper_get_current_task(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				     uint64_t r5);
uint64_t bpf_helper_get_current_uid_gid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
					uint64_t r5);
uint64_t bpf_helper_probe_read_kernel(uint64_t dst, uint64_t size, uint64_t src, uint64_t r4,
				      uint64_t r5);
uint64_t bpf_helper_probe_read_kernel_str(uint64_t dst, uint64_t size, uint64_t src, uint64_t r4,
					  uint64_t r5);
uint64_t bpf_helper_probe_read_user(uint64_t dst, uint64_t size, uint64_t src, uint64_t r4,
				    uint64_t r5);
uint64_t bpf_helper_probe_read_user_str(uint64_t dst, uint64_t size, uint64_t src, uint64_t r4,
					uint64_t r5);

/*
 * bpf_copy_from_user(dst, size, user_ptr), Linux's contract: copy size bytes of the current task's
 * memory at user_ptr into dst; 0, or -EFAULT with all of dst zeroed (any byte not in
 * [0, USER_MAX), or in no mapping the task may read). Unlike bpf_probe_read_user it faults pages
 * in (demand-zero memory is filled as if the task had touched it), so it may wait for the map
 * lock: only programs that may sleep call it (its prototype says BPF_PROTO_MIGHT_SLEEP; which
 * programs may is kernel/bpf/func_proto.c's). The fault takes the map lock for reading, which a
 * find_vma callback or a task_vma iterator of the program may already hold: read locks nest
 * (kernel/rwlock.h); a task holding its own map for writing (SYS_task_lock_map) gets -EFAULT for
 * a page not yet present instead of waiting for itself.
 */
uint64_t bpf_helper_copy_from_user(uint64_t dst, uint64_t size, uint64_t uptr, uint64_t r4,
				   uint64_t r5);

/*
 * bpf_find_vma (kernel/bpf/find_vma.c), Linux's contract: call callback(task, vma, callback_ctx)
 * once with the VMA of task's map that contains addr (a snapshot, kernel/vma_btf.h) and return 0;
 * -EINVAL flags is not 0; -ENOENT task has no address space (a kernel thread, one exiting, or a
 * pointer that is no living task's view) or no VMA contains addr; -EBUSY the map's lock could not
 * be taken for reading without waiting (a writer holds it: an mmap in progress, SYS_task_lock_map).
 * The callback's return value is ignored. The map is read-locked while the callback runs. For a
 * task other than the current one it takes sched_lock (task_btf_pid, task_map_get): not for a
 * program run from a context that holds it (none does today).
 */
uint64_t bpf_helper_find_vma(uint64_t task, uint64_t addr, uint64_t callback, uint64_t ctx,
			     uint64_t flags);

/* The iterator helpers (kernel/bpf/seq.c), entries of the table below. */
uint64_t bpf_helper_seq_printf(uint64_t m, uint64_t fmt, uint64_t fmt_size, uint64_t data,
			       uint64_t data_len);
uint64_t bpf_helper_seq_write(uint64_t m, uint64_t data, uint64_t len, uint64_t r4, uint64_t r5);
uint64_t bpf_helper_d_path(uint64_t path, uint64_t buf, uint64_t size, uint64_t r4, uint64_t r5);

/* Helper implementations indexed by Linux's helper number; NULL where Kestrel has none. */
extern const bpf_func_t bpf_helper_fns[__BPF_FUNC_MAX_ID];

/*
 * bpf_trace_printk's work (kernel/bpf/printk.c): format fmt (fmt_size bytes of program memory,
 * NUL-terminated within them) with up to three arguments and print the result to the kernel log,
 * each line of it as "bpf_trace_printk: <task name>[<pid>]: <line>" with unprintable bytes shown
 * as '?' (a trailing newline ends the last line). Linux's format subset: %d %i %u %x %X with the l
 * and ll modifiers, %c, %s, %p (and %pK, %px), %%, with Linux's optional flags (0 + - space) and
 * width; at most 511 bytes of text. A %s argument is any address: it is read with
 * bpf_probe_read_nofault (so the direct map and the kernel image, as Linux's privileged
 * trace_printk reads kernel memory; anything else prints as ""). Returns the length of the text,
 * or -EINVAL for a format without a NUL, with a character that is neither printable nor space,
 * with another conversion, or with more than three.
 */
long bpf_trace_printk_fmt(const char *fmt, uint32_t fmt_size, const uint64_t args[3]);

#endif
