/*
 * Building BTF blobs by hand for tests (tests/host/test_bpf_btf.c, and tests/user/bpf_btf.c, which
 * includes this header too): a type section of 32-bit words and a string section, then a blob
 * with Linux's header. Everything is static and fixed-size: no allocation, usable in ring 3.
 */
#ifndef TESTS_HOST_BTF_BUILD_H
#define TESTS_HOST_BTF_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "uapi/linux/btf.h"

struct btf_builder {
	uint32_t words[1024]; /* the type section */
	uint32_t nwords;
	char strs[2048]; /* the string section: strs[0] is the empty name */
	uint32_t nstrs;
	uint32_t ntypes; /* the last type id added */
};

static inline void bb_init(struct btf_builder *b)
{
	b->nwords = 0;
	b->strs[0] = 0;
	b->nstrs = 1;
	b->ntypes = 0;
}

/* The offset of name in the string section (added once per call). */
static inline uint32_t bb_str(struct btf_builder *b, const char *name)
{
	uint32_t off = b->nstrs, n = (uint32_t)strlen(name) + 1;

	memcpy(b->strs + off, name, n);
	b->nstrs += n;
	return off;
}

static inline void bb_word(struct btf_builder *b, uint32_t w)
{
	b->words[b->nwords++] = w;
}

#define BB_INFO(kind, kflag, vlen) \
	(((uint32_t)(kflag) << 31) | ((uint32_t)(kind) << 24) | (uint32_t)(vlen))

/* A struct btf_type; its records follow with bb_word. Returns its id. */
static inline uint32_t bb_type(struct btf_builder *b, const char *name, uint32_t kind,
			       uint32_t kflag, uint32_t vlen, uint32_t size_or_type)
{
	bb_word(b, name ? bb_str(b, name) : 0);
	bb_word(b, BB_INFO(kind, kflag, vlen));
	bb_word(b, size_or_type);
	return ++b->ntypes;
}

static inline uint32_t bb_int(struct btf_builder *b, const char *name, uint32_t size, uint32_t enc)
{
	uint32_t id = bb_type(b, name, BTF_KIND_INT, 0, 0, size);
	bb_word(b, (enc << 24) | (size * 8));
	return id;
}

static inline uint32_t bb_ref(struct btf_builder *b, uint32_t kind, const char *name, uint32_t type)
{
	return bb_type(b, name, kind, 0, 0, type);
}

static inline void bb_member(struct btf_builder *b, const char *name, uint32_t type,
			     uint32_t bit_off)
{
	bb_word(b, name ? bb_str(b, name) : 0);
	bb_word(b, type);
	bb_word(b, bit_off);
}

static inline uint32_t bb_array(struct btf_builder *b, uint32_t elem, uint32_t index, uint32_t n)
{
	uint32_t id = bb_type(b, NULL, BTF_KIND_ARRAY, 0, 0, 0);
	bb_word(b, elem);
	bb_word(b, index);
	bb_word(b, n);
	return id;
}

/* The blob: Linux's 24-byte header, the types, the strings. Returns its size. */
static inline uint32_t bb_blob(const struct btf_builder *b, void *out)
{
	struct btf_header h = {
		.magic = BTF_MAGIC,
		.version = BTF_VERSION,
		.hdr_len = sizeof(h),
		.type_off = 0,
		.type_len = b->nwords * 4,
		.str_off = b->nwords * 4,
		.str_len = b->nstrs,
	};
	uint8_t *p = out;

	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), b->words, b->nwords * 4);
	memcpy(p + sizeof(h) + b->nwords * 4, b->strs, b->nstrs);
	return (uint32_t)sizeof(h) + b->nwords * 4 + b->nstrs;
}

/* The header of a blob made by bb_blob, to break it. */
static inline struct btf_header *bb_hdr(void *blob)
{
	return (struct btf_header *)blob;
}

#endif
