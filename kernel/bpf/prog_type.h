/*
 * Program types as the verifier sees them: the layout of the context a program gets in r1 (which
 * bytes it may load and store, with which sizes), the helpers it may call, and the range its r0
 * must be in at exit. One entry per type in kernel/bpf/prog_type.c; a new type is one entry.
 */
#ifndef KERNEL_BPF_PROG_TYPE_H
#define KERNEL_BPF_PROG_TYPE_H

#include <stdbool.h>
#include <stdint.h>

#include "uapi/linux/bpf.h"

/* Access sizes, as bits of bpf_ctx_field.read_sizes/write_sizes. */
#define BPF_CTX_SZ1 0x1
#define BPF_CTX_SZ2 0x2
#define BPF_CTX_SZ4 0x4
#define BPF_CTX_SZ8 0x8

/* bpf_ctx_field.flags */
#define BPF_CTX_PTR_OR_NULL 0x1 /* the typed pointer may be NULL: the program checks before use */

/*
 * One byte range [start, end) of a context. An access of size bytes at off is allowed when
 * [off, off + size) lies inside one field, off is a multiple of size, and size is among the
 * field's sizes for that direction (write_sizes 0: the field is read-only). Bytes in no field are
 * neither readable nor writable.
 *
 * Typed fields (btf_id not 0): an 8-byte slot holding a pointer to a kernel object of the kernel
 * BTF's type btf_id, as Linux's PTR_TO_BTF_ID context arguments of tracing programs. Only a whole
 * 8-byte read is allowed (read_sizes BPF_CTX_SZ8, write_sizes 0); it gives the program a typed
 * pointer it reads fields through (kernel/bpf/verifier_mem.c), which it must compare with NULL
 * first when flags has BPF_CTX_PTR_OR_NULL (Linux's PTR_TO_BTF_ID_OR_NULL: iter/task_vma's task
 * and vma on the last run).
 */
struct bpf_ctx_field {
	uint16_t start, end;
	uint8_t read_sizes, write_sizes;
	uint8_t flags;
	uint32_t btf_id;
};

struct bpf_prog_type_desc {
	const char *name;
	/*
	 * ctx_fields NULL: the context is a flat read-write buffer of at most ctx_size bytes (any
	 * size at an offset that is a multiple of it, off < ctx_size); the verifier reports the
	 * largest end offset a program touches, and the caller refuses a smaller buffer.
	 */
	const struct bpf_ctx_field *ctx_fields;
	uint32_t nctx_fields;
	uint32_t ctx_size;
	/* Helpers the type may call: bit (id % 64) of helpers[id / 64]. */
	uint64_t helpers[(__BPF_FUNC_MAX_ID + 63) / 64];
	/* Runs in a task's process context, interrupts on, no lock held: a program loaded with
	   BPF_F_SLEEPABLE may call helpers that might sleep (BPF_PROTO_MIGHT_SLEEP). */
	bool may_sleep;
	/* When has_ret_range: the main program's r0 at exit must be a scalar in [ret_min, ret_max]. */
	bool has_ret_range;
	int32_t ret_min, ret_max;
};

/*
 * The description of prog_type, or NULL for a type Kestrel cannot load. BPF_PROG_TYPE_TRACING's
 * has no context: its programs are verified against the one kernel/bpf/tracing.c builds for their
 * attach point from bpf_prog_type_tracing_base (bpf_verifier_input.desc).
 */
const struct bpf_prog_type_desc *bpf_prog_type_desc(uint32_t prog_type);

/*
 * What a TRACING program of expected_attach_type may call, with no context yet (ctx_fields NULL,
 * ctx_size 0): BPF_TRACE_ITER programs add bpf_seq_printf, bpf_seq_write and bpf_d_path to the
 * tracing helpers, BPF_TRACE_RAW_TP (tp_btf) programs have the tracing helpers. NULL for another
 * attach type.
 */
const struct bpf_prog_type_desc *bpf_prog_type_tracing_base(uint32_t expected_attach_type);

/* True when programs of type t may call helper func_id (0 <= func_id < __BPF_FUNC_MAX_ID). */
static inline bool bpf_prog_type_has_helper(const struct bpf_prog_type_desc *t, int32_t func_id)
{
	return (t->helpers[func_id / 64] >> (func_id % 64)) & 1;
}

#endif
