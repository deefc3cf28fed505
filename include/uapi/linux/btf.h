/*
 * BTF, the BPF Type Format: Linux's <linux/btf.h> numbers and layouts, which clang's BPF target
 * emits in an object's .BTF section and bpf(2) takes in BPF_BTF_LOAD. A blob is a header, then
 * (at hdr_len + type_off) the type section, a sequence of struct btf_type each followed by its
 * kind's records, and (at hdr_len + str_off) the string section, NUL-separated names starting with
 * an empty one. Type ids are positions in the type section from 1; id 0 is void. How Kestrel
 * checks a blob: kernel/bpf/btf.h.
 */
#ifndef UAPI_LINUX_BTF_H
#define UAPI_LINUX_BTF_H

#include "bpf.h" /* __u8 ... __s64 */

#define BTF_MAGIC 0xeB9F
#define BTF_VERSION 1

struct btf_header {
	__u16 magic;
	__u8 version;
	__u8 flags;
	__u32 hdr_len; /* the header's own size: later fields are optional */
	__u32 type_off; /* the sections' offsets and lengths, in bytes from the header's end */
	__u32 type_len;
	__u32 str_off;
	__u32 str_len;
};

#define BTF_MAX_TYPE 0x000fffff        /* the largest type id */
#define BTF_MAX_NAME_OFFSET 0x00ffffff /* the largest string offset */
#define BTF_MAX_VLEN 0xffff            /* the most records one type may have */

/*
 * One type. info: bits 0-15 vlen (its records), bits 24-28 the kind, bit 31 kind_flag (struct,
 * union: members' offsets carry bitfield sizes; fwd: a union; enum: signed values). size_or_type:
 * the size in bytes of INT, ENUM, STRUCT, UNION, DATASEC, FLOAT, ENUM64; the type id referred to
 * by PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FUNC_PROTO (its return type), VAR, DECL_TAG,
 * TYPE_TAG.
 */
struct btf_type {
	__u32 name_off;
	__u32 info;
	union {
		__u32 size;
		__u32 type;
	};
};

#define BTF_INFO_KIND(info) (((info) >> 24) & 0x1f)
#define BTF_INFO_VLEN(info) ((info) & 0xffff)
#define BTF_INFO_KFLAG(info) ((info) >> 31)

#define BTF_KIND_UNKN 0
#define BTF_KIND_INT 1        /* followed by a __u32: encoding, offset, bits (below) */
#define BTF_KIND_PTR 2
#define BTF_KIND_ARRAY 3      /* followed by struct btf_array */
#define BTF_KIND_STRUCT 4     /* followed by vlen struct btf_member */
#define BTF_KIND_UNION 5      /* the same */
#define BTF_KIND_ENUM 6       /* followed by vlen struct btf_enum */
#define BTF_KIND_FWD 7
#define BTF_KIND_TYPEDEF 8
#define BTF_KIND_VOLATILE 9
#define BTF_KIND_CONST 10
#define BTF_KIND_RESTRICT 11
#define BTF_KIND_FUNC 12      /* vlen: the linkage (enum btf_func_linkage) */
#define BTF_KIND_FUNC_PROTO 13 /* followed by vlen struct btf_param */
#define BTF_KIND_VAR 14       /* followed by struct btf_var */
#define BTF_KIND_DATASEC 15   /* followed by vlen struct btf_var_secinfo */
#define BTF_KIND_FLOAT 16
#define BTF_KIND_DECL_TAG 17  /* followed by struct btf_decl_tag */
#define BTF_KIND_TYPE_TAG 18
#define BTF_KIND_ENUM64 19    /* followed by vlen struct btf_enum64 */
#define NR_BTF_KINDS 20
#define BTF_KIND_MAX (NR_BTF_KINDS - 1)

/* BTF_KIND_INT's word. */
#define BTF_INT_ENCODING(v) (((v) & 0x0f000000) >> 24)
#define BTF_INT_OFFSET(v) (((v) & 0x00ff0000) >> 16)
#define BTF_INT_BITS(v) ((v) & 0x000000ff)
#define BTF_INT_SIGNED (1 << 0)
#define BTF_INT_CHAR (1 << 1)
#define BTF_INT_BOOL (1 << 2)

struct btf_enum {
	__u32 name_off;
	__s32 val;
};

struct btf_array {
	__u32 type;       /* the element type */
	__u32 index_type;
	__u32 nelems;
};

/* offset: in bits; with the struct's kind_flag, bits 0-23 the offset and 24-31 a bitfield's size. */
struct btf_member {
	__u32 name_off;
	__u32 type;
	__u32 offset;
};
#define BTF_MEMBER_BITFIELD_SIZE(off) ((off) >> 24)
#define BTF_MEMBER_BIT_OFFSET(off) ((off) & 0xffffff)

struct btf_param {
	__u32 name_off;
	__u32 type;
};

enum {
	BTF_VAR_STATIC = 0,
	BTF_VAR_GLOBAL_ALLOCATED = 1,
	BTF_VAR_GLOBAL_EXTERN = 2,
};

enum btf_func_linkage {
	BTF_FUNC_STATIC = 0,
	BTF_FUNC_GLOBAL = 1,
	BTF_FUNC_EXTERN = 2,
};

struct btf_var {
	__u32 linkage;
};

struct btf_var_secinfo {
	__u32 type;
	__u32 offset;
	__u32 size;
};

/* -1: the tag is on the type itself; else the member or parameter it is on. */
struct btf_decl_tag {
	__s32 component_idx;
};

struct btf_enum64 {
	__u32 name_off;
	__u32 val_lo32;
	__u32 val_hi32;
};

#endif
