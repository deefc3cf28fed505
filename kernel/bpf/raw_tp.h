/*
 * BPF programs at the kernel's tracepoints (kernel/trace.h): which programs each tracepoint runs.
 *
 * Each tracepoint has an array of slots holding the attached programs, published with a release
 * store. Attach (under raw_tp_lock) copies the live slots and the new program into a new array,
 * publishes it, and frees the old one after an RCU grace period (kernel/rcu.h). Detach must not
 * fail, so it allocates nothing: it empties the program's slot in place (a release store of
 * NULL, which runs skip), and unpublishes the array once no slot is left. trace_point_run reads
 * the array inside a read-side section, so a run never sees a freed array; since the link that
 * attached a program drops its program reference only after a grace period too
 * (kernel/bpf/link.c), never a freed program either.
 *
 * Invariants (raw_tp_lock held), checked by bpf_raw_tp_check:
 *   T1  trace_point_nprogs[tp] is the number of non-NULL slots of tp's array;
 *   T2  tp has an array if and only if that number is not 0; an array has at most
 *       BPF_RAW_TP_MAX_PROGS slots.
 *
 * No tracepoint fires inside a program run: the helpers tracing programs may call neither fault
 * (user memory is read through the page tables, not by touching it) nor make system calls.
 */
#ifndef KERNEL_BPF_RAW_TP_H
#define KERNEL_BPF_RAW_TP_H

#include <stdint.h>

#include "kernel/trace.h"

struct bpf_prog;

#define BPF_RAW_TP_MAX_PROGS 64 /* programs on one tracepoint: -E2BIG beyond */
#define BPF_RAW_TP_NAME_MAX 128 /* a tracepoint name from user space, with its NUL */

/* The tracepoint named name (Linux's name, e.g. "sys_enter"): 0 and *tp, or -ENOENT. */
int bpf_raw_tp_find(const char *name, enum trace_point *tp);

/* A tracepoint's name and its number of arguments (each a u64 of the context). */
const char *bpf_raw_tp_name(enum trace_point tp);
uint32_t bpf_raw_tp_nargs(enum trace_point tp);

/*
 * Make tp run prog (after those already attached): 0, -ENOMEM, or -E2BIG (BPF_RAW_TP_MAX_PROGS
 * already). The caller (a link) holds a reference on prog for as long as it stays attached and
 * one grace period beyond. No spinlock held (takes raw_tp_lock and kmem's).
 */
int bpf_raw_tp_attach(enum trace_point tp, struct bpf_prog *prog);

/* Undo one bpf_raw_tp_attach(tp, prog); runs already started may still finish. No spinlock held. */
void bpf_raw_tp_detach(enum trace_point tp, struct bpf_prog *prog);

/*
 * A raw tracepoint link for prog, taking over the caller's reference on it: the link's fd, or
 * -EINVAL (a RAW_TRACEPOINT program without a name or reading more arguments than the tracepoint
 * has; a tp_btf program with a name; another program type), -ENOENT (no tracepoint of that name),
 * or bpf_raw_tp_attach's and bpf_link_settle's errors; the reference is dropped on error.
 * kernel/bpf/raw_tp_link.c; no spinlock held.
 */
int bpf_raw_tp_link_attach(struct bpf_prog *prog, const char *name);

/* Check T1 and T2: NULL, or what is broken. Takes raw_tp_lock. */
const char *bpf_raw_tp_check(void);

#endif
