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

/*
 * One byte range [start, end) of a context. An access of size bytes at off is allowed when
 * [off, off + size) lies inside one field, off is a multiple of size, and size is among the
 * field's sizes for that direction (write_sizes 0: the field is read-only). Bytes in no field are
 * neither readable nor writable.
 */
struct bpf_ctx_field {
	uint16_t start, end;
	uint8_t read_sizes, write_sizes;
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
	/* When has_ret_range: the main program's r0 at exit must be a scalar in [ret_min, ret_max]. */
	bool has_ret_range;
	int32_t ret_min, ret_max;
};

/* The description of prog_type, or NULL for a type Kestrel cannot load. */
const struct bpf_prog_type_desc *bpf_prog_type_desc(uint32_t prog_type);

/* True when programs of type t may call helper func_id (0 <= func_id < __BPF_FUNC_MAX_ID). */
static inline bool bpf_prog_type_has_helper(const struct bpf_prog_type_desc *t, int32_t func_id)
{
	return (t->helpers[func_id / 64] >> (func_id % 64)) & 1;
}

#endif
