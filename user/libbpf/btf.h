/*
 * A parser of BTF, the BPF Type Format (records in include/uapi/linux/btf.h), that checks a blob
 * completely when it is opened, so that every lookup afterwards stays inside it whatever the blob
 * said:
 *
 *   - the header, the type and string sections lie inside the blob; the string section starts and
 *     ends with a NUL, so every name offset below its length is a terminated string;
 *   - every type record, with its kind's trailing records, lies inside the type section; unknown
 *     kinds are refused;
 *   - every name offset is inside the string section, and every type id a record refers to is
 *     below the number of types.
 *
 * Cycles are not refused (a blob may make a typedef its own target), so every walk along type
 * references here is bounded (BTF_MAX_CHAIN).
 *
 * Ids: 0 is void; 1 .. btf_type_cnt() - 1 are the blob's records in order. A struct btf owns a
 * copy of the blob, which btf_type_mut may change in place (the loader fixes DATASEC sizes).
 * Standard headers only: the host tests compile this file too.
 */
#ifndef USER_LIBBPF_BTF_H
#define USER_LIBBPF_BTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi/linux/btf.h" /* the format: Linux's records and kinds */

/* The longest chain of typedefs and modifiers (or array nesting) a walk follows. */
#define BTF_MAX_CHAIN 32

struct btf {
	uint8_t *data; /* the owned copy of the blob */
	size_t size;
	const char *strs;
	uint32_t str_len;
	uint8_t *types;      /* the type section */
	uint32_t *type_offs; /* type_offs[id]: offset of type id in types (id >= 1) */
	uint32_t nr_types;   /* records + 1 (void) */
};

/*
 * Checks a copy of the blob (as above) and indexes it: 0 with *out (free with btf_free), -EINVAL
 * with the reason (a static string) in *why, or -ENOMEM.
 */
int btf_parse(const void *data, size_t size, struct btf **out, const char **why);
void btf_free(struct btf *btf);

/* The number of type ids (records + 1 for void). */
static inline uint32_t btf_type_cnt(const struct btf *btf)
{
	return btf->nr_types;
}

/* The record of id (a zeroed void record for 0), or NULL if id is not a type of btf. */
const struct btf_type *btf_type_by_id(const struct btf *btf, uint32_t id);
struct btf_type *btf_type_mut(struct btf *btf, uint32_t id);
/* The string at off: "" for an offset outside the string section. */
const char *btf_str(const struct btf *btf, uint32_t off);
/* The first type of kind kind called name, or -ENOENT. */
int btf_find_by_name_kind(const struct btf *btf, const char *name, int kind);
/*
 * Follows typedefs and modifiers (const, volatile, restrict, type tags) from id to the type they
 * name: that type (NULL after BTF_MAX_CHAIN steps), its id in *res_id if res_id is not NULL.
 */
const struct btf_type *btf_skip_mods_typedefs(const struct btf *btf, uint32_t id, uint32_t *res_id);
/* The size in bytes of a value of type id, or -EINVAL (void, functions, cycles, overflow). */
int64_t btf_resolve_size(const struct btf *btf, uint32_t id);

static inline int btf_kind(const struct btf_type *t)
{
	return (int)BTF_INFO_KIND(t->info);
}

static inline uint16_t btf_vlen(const struct btf_type *t)
{
	return (uint16_t)BTF_INFO_VLEN(t->info);
}

static inline bool btf_kflag(const struct btf_type *t)
{
	return BTF_INFO_KFLAG(t->info);
}

static inline bool btf_is_composite(const struct btf_type *t)
{
	return btf_kind(t) == BTF_KIND_STRUCT || btf_kind(t) == BTF_KIND_UNION;
}

static inline bool btf_is_any_enum(const struct btf_type *t)
{
	return btf_kind(t) == BTF_KIND_ENUM || btf_kind(t) == BTF_KIND_ENUM64;
}

static inline bool btf_is_mod(const struct btf_type *t)
{
	int k = btf_kind(t);
	return k == BTF_KIND_VOLATILE || k == BTF_KIND_CONST || k == BTF_KIND_RESTRICT ||
	       k == BTF_KIND_TYPE_TAG;
}

/* The trailing records of a type (valid for the kinds named; the parser checked they fit). */
static inline uint32_t btf_int_data(const struct btf_type *t)
{
	return *(const uint32_t *)(t + 1);
}

static inline const struct btf_array *btf_array(const struct btf_type *t)
{
	return (const struct btf_array *)(t + 1);
}

static inline const struct btf_member *btf_members(const struct btf_type *t)
{
	return (const struct btf_member *)(t + 1);
}

static inline const struct btf_enum *btf_enums(const struct btf_type *t)
{
	return (const struct btf_enum *)(t + 1);
}

static inline const struct btf_enum64 *btf_enums64(const struct btf_type *t)
{
	return (const struct btf_enum64 *)(t + 1);
}

static inline const struct btf_param *btf_params(const struct btf_type *t)
{
	return (const struct btf_param *)(t + 1);
}

static inline const struct btf_var *btf_var(const struct btf_type *t)
{
	return (const struct btf_var *)(t + 1);
}

static inline const struct btf_var_secinfo *btf_var_secinfos(const struct btf_type *t)
{
	return (const struct btf_var_secinfo *)(t + 1);
}

/* Member i's offset in bits and its bitfield size (0 for a plain member). */
static inline uint32_t btf_member_bit_offset(const struct btf_type *t, uint32_t i)
{
	uint32_t off = btf_members(t)[i].offset;
	return btf_kflag(t) ? BTF_MEMBER_BIT_OFFSET(off) : off;
}

static inline uint32_t btf_member_bitfield_size(const struct btf_type *t, uint32_t i)
{
	return btf_kflag(t) ? BTF_MEMBER_BITFIELD_SIZE(btf_members(t)[i].offset) : 0;
}

/* An enumerator's value (signedness as the enum's kind_flag says). */
static inline int64_t btf_enum_value(const struct btf_type *t, uint32_t i)
{
	if (btf_kind(t) == BTF_KIND_ENUM)
		return btf_kflag(t) ? (int64_t)btf_enums(t)[i].val
				    : (int64_t)(uint32_t)btf_enums(t)[i].val;
	const struct btf_enum64 *e = &btf_enums64(t)[i];
	return (int64_t)(((uint64_t)e->val_hi32 << 32) | e->val_lo32);
}

static inline uint32_t btf_enum_name_off(const struct btf_type *t, uint32_t i)
{
	return btf_kind(t) == BTF_KIND_ENUM ? btf_enums(t)[i].name_off : btf_enums64(t)[i].name_off;
}

#endif
