/*
 * BPF_PROG_TYPE_TRACING programs (Linux's names): what they attach to, named at load time by
 * expected_attach_type and attach_btf_id, an id of the kernel's BTF (kernel/bpf/btf_sys.h):
 *   BPF_TRACE_ITER    the FUNC bpf_iter_<target> (SEC("iter/task_vma"): bpf_iter_task_vma); the
 *                     program runs when an iterator fd is read (kernel/bpf/bpf_iter.h);
 *   BPF_TRACE_RAW_TP  the typedef btf_trace_<tracepoint> (SEC("tp_btf/sys_enter")); the program
 *                     runs at the tracepoint (kernel/trace.h), as a raw tracepoint program does.
 * The context is the attach point's arguments, one u64 slot each, typed from the BTF: the
 * FUNC's parameters for an iterator, the typedef's FUNC_PROTO parameters after the first (void *)
 * for a tracepoint. A parameter that points to a struct is a typed pointer field (prog_type.h),
 * "or NULL" for an iterator's parameters after meta (the last run has task and vma NULL, as
 * Linux's PTR_TO_BTF_ID_OR_NULL); any other is a number. Nothing here takes a lock.
 */
#ifndef KERNEL_BPF_TRACING_H
#define KERNEL_BPF_TRACING_H

#include <stdint.h>

#include "kernel/bpf/prog_type.h"
#include "kernel/trace.h"
#include "uapi/linux/bpf.h"

#define BPF_TRACING_MAX_ARGS 12 /* Linux's MAX_BPF_FUNC_ARGS */

/* A TRACING program's verification context: desc.ctx_fields points into fields (do not copy). */
struct bpf_tracing_ctx {
	struct bpf_prog_type_desc desc;
	struct bpf_ctx_field fields[BPF_TRACING_MAX_ARGS];
};

/*
 * BPF_PROG_LOAD of a TRACING program: check expected_attach_type and attach_btf_id against the
 * kernel's BTF and fill *out for the verifier. 0, or -EINVAL as Linux answers (no attach_btf_id,
 * an id of another kind or name, an iterator target or tracepoint Kestrel does not have, an attach
 * type other than the two above, an argument count that does not match the tracepoint).
 */
int bpf_tracing_prog_ctx(uint32_t expected_attach_type, uint32_t attach_btf_id,
			 struct bpf_tracing_ctx *out);

/* The tracepoint a tp_btf program's attach_btf_id names: 0 and *tp, or -EINVAL. */
int bpf_tracing_tp_of(uint32_t attach_btf_id, enum trace_point *tp);

#endif
