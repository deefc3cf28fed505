/*
 * BPF iterators (Linux's bpf_iter): an iter/task_vma program (TRACING, BPF_TRACE_ITER,
 * kernel/bpf/tracing.h) attached by BPF_LINK_CREATE to an iterator link, from which
 * BPF_ITER_CREATE makes a file that read(2) reads.
 *
 * Reading runs the program once per VMA of each user task, tasks in pid order (or the one task
 * the link names: link_info task.tid or task.pid), VMAs in address order: exactly the entries
 * SYS_vm_map_list lists, guards and the trampoline page included. Its context is struct
 * bpf_iter__task_vma {meta, task, vma}; after the last VMA of the last task one more run has task
 * and vma NULL, as Linux's. Each VMA is a snapshot (kernel/vma_btf.h) taken under the map's read
 * lock, which the run does not hold: the program sees a consistent entry however the map changes
 * meanwhile, and the walk goes on from the end of the entry it showed. A task whose map lock
 * cannot be taken at once while a writer holds it (SYS_task_lock_map), or that exits, is skipped.
 *
 * The program writes with bpf_seq_printf and bpf_seq_write into the file's buffer
 * (BPF_ITER_BUF_SIZE bytes); read(2) hands it out in pieces of any size, running the program for
 * further objects only once the buffer is empty, so every read resumes where the last stopped.
 * A run whose output does not fit behind what is buffered is undone and repeated on the next read
 * with an empty buffer; a run whose output does not fit an empty buffer fails the read with E2BIG
 * (Linux's answer). Two reads of one file at the same time: the second gets EBUSY.
 *
 * Helpers reach the running read through bpf_iter_current, which checks at run time what the
 * verifier cannot: that the seq_file a program passes is the one of its own run, and that the
 * path it passes to bpf_d_path is its VMA's file's.
 */
#ifndef KERNEL_BPF_BPF_ITER_H
#define KERNEL_BPF_BPF_ITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi/linux/bpf.h"

#define BPF_ITER_BUF_SIZE 8192

struct bpf_prog;
struct bpf_iter_run;

/*
 * BPF_LINK_CREATE with BPF_TRACE_ITER for prog (whose reference the call takes over): the link's
 * fd, or -EINVAL (iter_info and iter_info_len not both set or both 0, more than one of tid, pid
 * and pid_fd, or pid_fd: Kestrel has no pid fds), -E2BIG (iter_info longer than Linux's union
 * with nonzero bytes past it), -EFAULT, or bpf_link_settle's errors. No spinlock held.
 */
int bpf_iter_link_attach(struct bpf_prog *prog, const union bpf_attr *attr);

/*
 * The iterator run the current task is in, or NULL when it is in none. Called from helpers only
 * (no lock held by the caller; takes and drops the run table's spinlock).
 */
struct bpf_iter_run *bpf_iter_current(void);

/* Whether seq (a program's struct seq_file *) is run's. */
bool bpf_iter_seq_is(const struct bpf_iter_run *run, const void *seq);

/*
 * Append n bytes to run's buffer: 0, or -EOVERFLOW when they do not fit (nothing is appended and
 * the run's output will be undone, as Linux's seq_file overflow).
 */
int bpf_iter_seq_write(struct bpf_iter_run *run, const void *data, size_t n);

/* The file of the VMA run is showing (its struct file view), or NULL (anonymous, last run). */
const void *bpf_iter_vma_file(const struct bpf_iter_run *run);

#endif
