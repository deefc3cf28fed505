/*
 * Prototypes of the functions a BPF program may call, helpers (by Linux's number) and kfuncs (by
 * BTF id, resolved by the loader): the kinds of their arguments and of their result, which is all
 * the verifier knows of them. A new helper is one entry in kernel/bpf/func_proto.c and one name in
 * a program type's list (kernel/bpf/prog_type.c); no verifier change.
 *
 * The verifier checks each argument register against its kind before the call, then sets r0 from
 * the return kind and marks r1..r5 unreadable. A memory argument is followed by its size argument
 * (BPF_ARG_CONST_SIZE*): the pair names [ptr, ptr + size) and the verifier proves every byte of it
 * is inside the pointed-to object (readable for BPF_ARG_PTR_TO_MEM, writable for
 * BPF_ARG_PTR_TO_UNINIT_MEM) for every value the size register may hold.
 *
 * Callbacks: a helper with a BPF_ARG_PTR_TO_FUNC argument runs that BPF function zero or more
 * times before it returns. cb_args says what the callback receives in r1..r5, cb_ret_min/max the
 * range its r0 must be in (Linux: 0 to go on, 1 to stop). The verifier walks the callback as a
 * loop around the call (every number of calls, including none).
 *
 * Typed kernel pointers (BPF_ARG_PTR_TO_BTF_ID, BPF_RET_BTF_ID*, BPF_CB_ARG_BTF_ID) name a type of
 * the kernel's BTF by id. Kfunc prototypes come from the loader with their ids. A helper
 * prototype names its struct types instead (arg_btf_name ...), because clang numbers the kernel's
 * BTF at build time: bpf_helper_protos_init looks the names up once at boot, before any program
 * loads, and writes the ids into the prototypes, which the verifier then reads as any others.
 */
#ifndef KERNEL_BPF_FUNC_PROTO_H
#define KERNEL_BPF_FUNC_PROTO_H

#include <stdint.h>

#include "kernel/bpf/exec.h"

enum bpf_arg_kind {
	BPF_ARG_NONE = 0,          /* no argument here (nor after) */
	BPF_ARG_ANYTHING,          /* any initialised register: a scalar, or a pointer the helper
				     only passes along or compares */
	BPF_ARG_CONST_MAP_PTR,     /* a map from an LD_IMM64 BPF_PSEUDO_MAP_FD/IDX */
	BPF_ARG_PTR_TO_MAP_KEY,    /* key_size readable bytes of the map argument's key */
	BPF_ARG_PTR_TO_MAP_VALUE,  /* value_size readable bytes, for the map argument */
	BPF_ARG_PTR_TO_MEM,        /* readable memory; the next argument is its size */
	BPF_ARG_PTR_TO_UNINIT_MEM, /* writable memory the helper fills; next argument is its size */
	BPF_ARG_CONST_SIZE,        /* the previous argument's size: a scalar in [1, bound] */
	BPF_ARG_CONST_SIZE_OR_ZERO,   /* the same, 0 allowed */
	BPF_ARG_PTR_TO_FUNC,          /* a BPF function (LD_IMM64 BPF_PSEUDO_FUNC): the callback */
	BPF_ARG_PTR_TO_STACK_OR_NULL, /* the callback's context: the program's stack, or NULL */
	BPF_ARG_PTR_TO_BTF_ID,        /* a typed kernel pointer of arg_btf_id[i], not NULL */
	BPF_ARG_SCALAR,               /* a scalar (no pointer) */
};

enum bpf_ret_kind {
	BPF_RET_INTEGER = 0,       /* a scalar */
	BPF_RET_VOID,              /* nothing: r0 unreadable after the call */
	BPF_RET_MAP_VALUE_OR_NULL, /* a value of the map argument, or NULL */
	BPF_RET_BTF_ID,            /* a typed kernel pointer of ret_btf_id, never NULL */
	BPF_RET_BTF_ID_OR_NULL,    /* the same, or NULL */
};

/* What a callback receives in one argument register. */
enum bpf_cb_arg_kind {
	BPF_CB_ARG_NONE = 0,  /* unreadable */
	BPF_CB_ARG_MAP,       /* the helper's map argument */
	BPF_CB_ARG_MAP_KEY,   /* a read-only key of that map (key_size bytes) */
	BPF_CB_ARG_MAP_VALUE, /* a value of that map, writable unless the map is read-only */
	BPF_CB_ARG_CTX,       /* the helper's BPF_ARG_PTR_TO_STACK_OR_NULL argument, as passed */
	BPF_CB_ARG_SCALAR,    /* a number (bpf_loop's index) */
	BPF_CB_ARG_BTF_ID,    /* a read-only typed kernel pointer of cb_btf_id[i] */
};

/* flags */
#define BPF_PROTO_WRITES_MAP 0x1 /* changes the map argument: refused for BPF_F_RDONLY_PROG maps */
#define BPF_PROTO_GPL_ONLY 0x2   /* Linux's gpl_only: callable only from a GPL-compatible program */
#define BPF_PROTO_MIGHT_SLEEP \
	0x4 /* Linux's might_sleep: callable only from a program that may
				     sleep (bpf_prog_type_desc.may_sleep, loaded BPF_F_SLEEPABLE) */

/*
 * One prototype. Invariants: a BPF_ARG_PTR_TO_MEM/UNINIT_MEM argument is immediately followed by
 * a BPF_ARG_CONST_SIZE(_OR_ZERO) one; BPF_ARG_PTR_TO_MAP_KEY/VALUE and BPF_CB_ARG_MAP* come with
 * a BPF_ARG_CONST_MAP_PTR argument; a prototype has at most one BPF_ARG_PTR_TO_FUNC, and then
 * cb_ret_min <= cb_ret_max.
 */
struct bpf_func_proto {
	const char *name;       /* for the log: "bpf_map_lookup_elem" */
	bpf_func_t fn;          /* the implementation. Kfunc prototypes (from the loader) carry
				       it; helper prototypes in func_proto.c leave it NULL and the
				       loader's helper table supplies it (bpf_verifier_input) */
	uint8_t ret;            /* enum bpf_ret_kind */
	uint8_t args[5];        /* enum bpf_arg_kind, r1..r5 */
	uint8_t flags;          /* BPF_PROTO_* */
	uint64_t map_types;     /* for a map argument: bit (1 << map_type) per accepted type */
	uint32_t ret_btf_id;    /* BPF_RET_BTF_ID(_OR_NULL) */
	uint32_t arg_btf_id[5]; /* BPF_ARG_PTR_TO_BTF_ID; 0: any typed pointer */
	uint8_t cb_args[5];     /* enum bpf_cb_arg_kind: the callback's r1..r5 */
	uint32_t cb_btf_id[5];  /* BPF_CB_ARG_BTF_ID */
	/* Helper prototypes: the struct names the ids above stand for; the ids are set from them
	   at boot (bpf_helper_protos_init). NULL: no type. */
	const char *ret_btf_name;
	const char *arg_btf_name[5];
	const char *cb_btf_name[5];
	int32_t cb_ret_min, cb_ret_max;
};

/*
 * The helper prototypes Kestrel knows, by Linux helper number: the prototype, or NULL for a number
 * with none. Which of them a program may call depends on its type (kernel/bpf/prog_type.h).
 */
const struct bpf_func_proto *bpf_helper_proto(int32_t func_id);

/*
 * Resolve the helper prototypes' struct names (ret_btf_name, arg_btf_name, cb_btf_name) in
 * vmlinux, the kernel's BTF, into their ids: 0, or -ENOENT naming the first missing type in
 * *missing (a build whose BTF lacks a type the helpers need: boot stops there, as no program may
 * be verified against such prototypes).
 * Once, at boot, before any program is verified: the prototypes are read without a lock.
 */
struct btf;
int bpf_helper_protos_init(const struct btf *vmlinux, const char **missing);

#endif
