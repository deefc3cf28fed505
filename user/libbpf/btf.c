/*
 * The BTF parser and lookups (contract in btf.h). btf_parse makes two passes over the type
 * section: the first finds where each record starts (its length depends on its kind and vlen),
 * the second checks every name offset and type reference against the totals the first found.
 */
#include "btf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct btf_type btf_void;

/* The bytes that follow a record of t's kind, or -1 for a kind this parser does not know. */
static int64_t trailing_size(const struct btf_type *t)
{
	uint64_t vlen = btf_vlen(t);

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (int64_t)(vlen * sizeof(struct btf_member));
	case BTF_KIND_ENUM:
		return (int64_t)(vlen * sizeof(struct btf_enum));
	case BTF_KIND_ENUM64:
		return (int64_t)(vlen * sizeof(struct btf_enum64));
	case BTF_KIND_FUNC_PROTO:
		return (int64_t)(vlen * sizeof(struct btf_param));
	case BTF_KIND_DATASEC:
		return (int64_t)(vlen * sizeof(struct btf_var_secinfo));
	default:
		return -1;
	}
}

static bool name_ok(const struct btf *btf, uint32_t off)
{
	return off < btf->str_len;
}

static bool id_ok(const struct btf *btf, uint32_t id)
{
	return id < btf->nr_types;
}

/* Pass two for one record: its names and the ids it refers to. */
static bool type_refs_ok(const struct btf *btf, const struct btf_type *t)
{
	uint16_t vlen = btf_vlen(t);

	if (!name_ok(btf, t->name_off))
		return false;
	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return id_ok(btf, t->type);
	case BTF_KIND_ARRAY:
		return id_ok(btf, btf_array(t)->type) && id_ok(btf, btf_array(t)->index_type);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (uint16_t i = 0; i < vlen; i++)
			if (!name_ok(btf, btf_members(t)[i].name_off) ||
			    !id_ok(btf, btf_members(t)[i].type))
				return false;
		return true;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		for (uint16_t i = 0; i < vlen; i++)
			if (!name_ok(btf, btf_enum_name_off(t, i)))
				return false;
		return true;
	case BTF_KIND_FUNC_PROTO:
		if (!id_ok(btf, t->type))
			return false;
		for (uint16_t i = 0; i < vlen; i++)
			if (!name_ok(btf, btf_params(t)[i].name_off) ||
			    !id_ok(btf, btf_params(t)[i].type))
				return false;
		return true;
	case BTF_KIND_DATASEC:
		for (uint16_t i = 0; i < vlen; i++)
			if (!id_ok(btf, btf_var_secinfos(t)[i].type))
				return false;
		return true;
	default:
		return true;
	}
}

int btf_parse(const void *data, size_t size, struct btf **out, const char **why)
{
	struct btf_header hdr;
	struct btf *btf;

	*out = NULL;
	*why = "truncated header";
	if (!data || size < sizeof(hdr))
		return -EINVAL;
	memcpy(&hdr, data, sizeof(hdr));
	*why = "bad magic or version (or another byte order)";
	if (hdr.magic != BTF_MAGIC || hdr.version != BTF_VERSION)
		return -EINVAL;
	*why = "bad header length";
	if (hdr.hdr_len < sizeof(hdr) || hdr.hdr_len > size || hdr.hdr_len % 4)
		return -EINVAL;
	uint64_t body = size - hdr.hdr_len;
	*why = "type or string section outside the blob";
	if ((uint64_t)hdr.type_off + hdr.type_len > body ||
	    (uint64_t)hdr.str_off + hdr.str_len > body || hdr.type_off % 4)
		return -EINVAL;
	*why = "type and string sections overlap";
	if (hdr.type_len && hdr.str_len && hdr.type_off < (uint64_t)hdr.str_off + hdr.str_len &&
	    hdr.str_off < (uint64_t)hdr.type_off + hdr.type_len)
		return -EINVAL;

	btf = calloc(1, sizeof(*btf));
	if (!btf || !(btf->data = malloc(size ? size : 1))) {
		free(btf);
		return -ENOMEM;
	}
	memcpy(btf->data, data, size);
	btf->size = size;
	btf->types = btf->data + hdr.hdr_len + hdr.type_off;
	btf->strs = (const char *)btf->data + hdr.hdr_len + hdr.str_off;
	btf->str_len = hdr.str_len;
	*why = "string section must start and end with a NUL";
	if (!btf->str_len || btf->strs[0] || btf->strs[btf->str_len - 1])
		goto bad;

	/* Pass one: record boundaries (at most one record per 12 bytes). */
	uint32_t cap = hdr.type_len / sizeof(struct btf_type) + 1;
	btf->type_offs = malloc((size_t)cap * sizeof(uint32_t));
	if (!btf->type_offs) {
		btf_free(btf);
		return -ENOMEM;
	}
	btf->nr_types = 1;
	for (uint32_t off = 0; off < hdr.type_len;) {
		*why = "type record outside the type section";
		if (hdr.type_len - off < sizeof(struct btf_type))
			goto bad;
		const struct btf_type *t = (const struct btf_type *)(btf->types + off);
		int64_t extra = trailing_size(t);
		*why = "unknown type kind";
		if (extra < 0)
			goto bad;
		*why = "type record outside the type section";
		if ((uint64_t)extra > hdr.type_len - off - sizeof(struct btf_type))
			goto bad;
		btf->type_offs[btf->nr_types++] = off;
		off += (uint32_t)(sizeof(struct btf_type) + (uint64_t)extra);
	}

	/* Pass two: names and references. */
	for (uint32_t id = 1; id < btf->nr_types; id++) {
		*why = "type name or reference out of range";
		if (!type_refs_ok(btf, btf_type_by_id(btf, id)))
			goto bad;
	}
	*out = btf;
	return 0;
bad:
	btf_free(btf);
	return -EINVAL;
}

void btf_free(struct btf *btf)
{
	if (!btf)
		return;
	free(btf->type_offs);
	free(btf->data);
	free(btf);
}

const struct btf_type *btf_type_by_id(const struct btf *btf, uint32_t id)
{
	if (id == 0)
		return &btf_void;
	if (id >= btf->nr_types)
		return NULL;
	return (const struct btf_type *)(btf->types + btf->type_offs[id]);
}

struct btf_type *btf_type_mut(struct btf *btf, uint32_t id)
{
	if (id == 0 || id >= btf->nr_types)
		return NULL;
	return (struct btf_type *)(btf->types + btf->type_offs[id]);
}

const char *btf_str(const struct btf *btf, uint32_t off)
{
	return off < btf->str_len ? btf->strs + off : "";
}

int btf_find_by_name_kind(const struct btf *btf, const char *name, int kind)
{
	for (uint32_t id = 1; id < btf->nr_types; id++) {
		const struct btf_type *t = btf_type_by_id(btf, id);

		if (btf_kind(t) == kind && !strcmp(btf_str(btf, t->name_off), name))
			return (int)id;
	}
	return -ENOENT;
}

const struct btf_type *btf_skip_mods_typedefs(const struct btf *btf, uint32_t id, uint32_t *res_id)
{
	const struct btf_type *t = btf_type_by_id(btf, id);

	for (int n = 0; t && n <= BTF_MAX_CHAIN; n++) {
		if (!btf_is_mod(t) && btf_kind(t) != BTF_KIND_TYPEDEF) {
			if (res_id)
				*res_id = id;
			return t;
		}
		id = t->type;
		t = btf_type_by_id(btf, id);
	}
	return NULL;
}

int64_t btf_resolve_size(const struct btf *btf, uint32_t id)
{
	uint64_t nelems = 1;

	for (int n = 0; n <= BTF_MAX_CHAIN; n++) {
		const struct btf_type *t = btf_skip_mods_typedefs(btf, id, &id);
		uint64_t size;

		if (!t)
			return -EINVAL;
		switch (btf_kind(t)) {
		case BTF_KIND_INT:
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_DATASEC:
		case BTF_KIND_FLOAT:
			size = t->size;
			break;
		case BTF_KIND_PTR:
			size = sizeof(uint64_t);
			break;
		case BTF_KIND_ARRAY:
			if (btf_array(t)->nelems && nelems > UINT32_MAX / btf_array(t)->nelems)
				return -EINVAL;
			nelems *= btf_array(t)->nelems;
			id = btf_array(t)->type;
			continue;
		case BTF_KIND_VAR:
			id = t->type;
			continue;
		default:
			return -EINVAL;
		}
		if (size && nelems > UINT32_MAX / size)
			return -EINVAL;
		return (int64_t)(size * nelems);
	}
	return -EINVAL;
}
