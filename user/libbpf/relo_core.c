/*
 * CO-RE relocations (contract and semantics in relo_core.h). A "spec" is an access resolved in one
 * BTF: the root type, the accessors that matter for matching (the root's array index, named
 * members, array indices; anonymous members are folded into the offset) and the bit offset they
 * reach. The local spec comes from the access string; a target spec is built by matching the
 * local accessors one by one in a candidate type.
 */
#include "relo_core.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SPEC_MAX 64 /* accessors in one access string (Linux's BPF_CORE_SPEC_MAX_LEN) */

struct core_acc {
	uint32_t type_id; /* the struct/union/array/enum the accessor indexes */
	uint32_t idx;
	const char *name; /* member or enumerator name; NULL for array indices */
};

struct core_spec {
	const struct btf *btf;
	uint32_t root_id;
	struct core_acc acc[SPEC_MAX];
	int len;
	uint32_t raw[SPEC_MAX]; /* the access string's indices (target: with anonymous members) */
	int raw_len;
	uint64_t bit_offset;
};

static bool kind_is_field(uint32_t kind)
{
	return kind <= BPF_CORE_FIELD_RSHIFT_U64;
}

static bool kind_is_type(uint32_t kind)
{
	return (kind >= BPF_CORE_TYPE_ID_LOCAL && kind <= BPF_CORE_TYPE_SIZE) ||
	       kind == BPF_CORE_TYPE_MATCHES;
}

static bool kind_is_enumval(uint32_t kind)
{
	return kind == BPF_CORE_ENUMVAL_EXISTS || kind == BPF_CORE_ENUMVAL_VALUE;
}

size_t core_essential_name_len(const char *name)
{
	size_t n = strlen(name);

	/* The last "___" with a non-underscore on each side starts the flavor. */
	for (size_t i = n >= 5 ? n - 5 + 1 : 0; i-- > 0;)
		if (name[i] != '_' && name[i + 1] == '_' && name[i + 2] == '_' &&
		    name[i + 3] == '_' && name[i + 4] != '_')
			return i + 1;
	return n;
}

static bool names_match_essential(const char *a, const char *b)
{
	size_t la = core_essential_name_len(a), lb = core_essential_name_len(b);

	return la == lb && !strncmp(a, b, la);
}

/* Parses "n0:n1:..." into raw[]; -EINVAL for anything else or more than SPEC_MAX numbers. */
static int parse_access(const char *s, uint32_t *raw, int *len)
{
	*len = 0;
	if (!*s)
		return -EINVAL;
	while (*s) {
		uint64_t v = 0;

		if (*s < '0' || *s > '9' || *len == SPEC_MAX)
			return -EINVAL;
		for (; *s >= '0' && *s <= '9'; s++) {
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > UINT32_MAX)
				return -EINVAL;
		}
		raw[(*len)++] = (uint32_t)v;
		if (*s == ':' && s[1])
			s++;
		else if (*s)
			return -EINVAL;
	}
	return 0;
}

/* The local spec of relo: -EINVAL with msg for one that does not fit the BTF. */
static int local_spec(const struct btf *btf, const struct bpf_core_relo_rec *relo,
		      struct core_spec *spec, char *msg, size_t msg_sz)
{
	const char *access = btf_str(btf, relo->access_str_off);
	uint32_t id = relo->type_id;
	const struct btf_type *t;

	memset(spec, 0, sizeof(*spec));
	spec->btf = btf;
	spec->root_id = id;
	if (relo->access_str_off >= btf->str_len ||
	    parse_access(access, spec->raw, &spec->raw_len)) {
		snprintf(msg, msg_sz, "bad access string");
		return -EINVAL;
	}
	if (id == 0 || !btf_type_by_id(btf, id)) {
		snprintf(msg, msg_sz, "bad local type id %u", id);
		return -EINVAL;
	}
	if (kind_is_type(relo->kind)) {
		if (spec->raw_len != 1 || spec->raw[0] != 0) {
			snprintf(msg, msg_sz, "type relocation with access \"%s\"", access);
			return -EINVAL;
		}
		return 0;
	}
	if (kind_is_enumval(relo->kind)) {
		t = btf_skip_mods_typedefs(btf, id, &id);
		if (!t || !btf_is_any_enum(t) || spec->raw_len != 1 ||
		    spec->raw[0] >= btf_vlen(t)) {
			snprintf(msg, msg_sz, "enum relocation on a non-enum or past its values");
			return -EINVAL;
		}
		spec->acc[0] = (struct core_acc){id, spec->raw[0],
						 btf_str(btf, btf_enum_name_off(t, spec->raw[0]))};
		spec->len = 1;
		return 0;
	}
	if (!kind_is_field(relo->kind)) {
		snprintf(msg, msg_sz, "unknown relocation kind %u", relo->kind);
		return -EINVAL;
	}

	int64_t sz = btf_resolve_size(btf, id);
	if (sz < 0) {
		snprintf(msg, msg_sz, "root type %u has no size", id);
		return -EINVAL;
	}
	spec->acc[0] = (struct core_acc){id, spec->raw[0], NULL};
	spec->len = 1;
	spec->bit_offset = (uint64_t)spec->raw[0] * (uint64_t)sz * 8;
	for (int i = 1; i < spec->raw_len; i++) {
		uint32_t idx = spec->raw[i];

		t = btf_skip_mods_typedefs(btf, id, &id);
		if (t && btf_is_composite(t)) {
			if (idx >= btf_vlen(t))
				goto bad;
			const struct btf_member *m = &btf_members(t)[idx];
			spec->bit_offset += btf_member_bit_offset(t, idx);
			if (m->name_off && btf_str(btf, m->name_off)[0])
				spec->acc[spec->len++] =
					(struct core_acc){id, idx, btf_str(btf, m->name_off)};
			id = m->type;
		} else if (t && btf_kind(t) == BTF_KIND_ARRAY) {
			const struct btf_array *a = btf_array(t);
			if (a->nelems && idx >= a->nelems)
				goto bad;
			sz = btf_resolve_size(btf, a->type);
			if (sz < 0)
				goto bad;
			spec->acc[spec->len++] = (struct core_acc){id, idx, NULL};
			spec->bit_offset += (uint64_t)idx * (uint64_t)sz * 8;
			id = a->type;
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	snprintf(msg, msg_sz, "access \"%s\" does not fit local type %u", access, relo->type_id);
	return -EINVAL;
}

/* Linux's rule for whether a local field's type can be relocated to a target field's type. */
static int fields_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid)
{
	for (int depth = 0; depth < BTF_MAX_CHAIN; depth++) {
		const struct btf_type *l = btf_skip_mods_typedefs(lb, lid, &lid);
		const struct btf_type *t = btf_skip_mods_typedefs(tb, tid, &tid);

		if (!l || !t)
			return -EINVAL;
		if (btf_is_composite(l) && btf_is_composite(t))
			return 1;
		if (btf_is_any_enum(l) && btf_is_any_enum(t))
			goto named;
		if (btf_kind(l) != btf_kind(t))
			return 0;
		switch (btf_kind(l)) {
		case BTF_KIND_PTR:
		case BTF_KIND_FLOAT:
			return 1;
		case BTF_KIND_FWD:
		named : {
			size_t ln = core_essential_name_len(btf_str(lb, l->name_off));
			size_t tn = core_essential_name_len(btf_str(tb, t->name_off));
			return !ln || !tn ||
			       (ln == tn &&
				!strncmp(btf_str(lb, l->name_off), btf_str(tb, t->name_off), ln));
		}
		case BTF_KIND_INT:
			return !BTF_INT_OFFSET(btf_int_data(l)) && !BTF_INT_OFFSET(btf_int_data(t));
		case BTF_KIND_ARRAY:
			lid = btf_array(l)->type;
			tid = btf_array(t)->type;
			continue;
		default:
			return 0;
		}
	}
	return -EINVAL;
}

/* Linux's rule for type-based relocations: same shape, names already matched at the root. */
static int types_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid,
			int depth)
{
	for (; depth < BTF_MAX_CHAIN; depth++) {
		const struct btf_type *l = btf_skip_mods_typedefs(lb, lid, &lid);
		const struct btf_type *t = btf_skip_mods_typedefs(tb, tid, &tid);

		if (!l || !t)
			return -EINVAL;
		if (btf_is_any_enum(l) && btf_is_any_enum(t))
			return 1;
		if (btf_kind(l) != btf_kind(t))
			return 0;
		switch (btf_kind(l)) {
		case BTF_KIND_UNKN:
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_FWD:
		case BTF_KIND_FLOAT:
			return 1;
		case BTF_KIND_INT:
			return !BTF_INT_OFFSET(btf_int_data(l)) && !BTF_INT_OFFSET(btf_int_data(t));
		case BTF_KIND_PTR:
			lid = l->type;
			tid = t->type;
			continue;
		case BTF_KIND_ARRAY:
			lid = btf_array(l)->type;
			tid = btf_array(t)->type;
			continue;
		case BTF_KIND_FUNC_PROTO:
			if (btf_vlen(l) != btf_vlen(t))
				return 0;
			for (uint16_t i = 0; i < btf_vlen(l); i++) {
				int r = types_compat(lb, btf_params(l)[i].type, tb,
						     btf_params(t)[i].type, depth + 1);
				if (r <= 0)
					return r;
			}
			lid = l->type;
			tid = t->type;
			continue;
		default:
			return 0;
		}
	}
	return -EINVAL;
}

/* A stricter shape test for BPF_CORE_TYPE_MATCHES: names, sizes, members and enumerators agree. */
static int types_match(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid,
		       int depth)
{
	if (depth >= BTF_MAX_CHAIN)
		return -EINVAL;
	const struct btf_type *l = btf_skip_mods_typedefs(lb, lid, &lid);
	const struct btf_type *t = btf_skip_mods_typedefs(tb, tid, &tid);
	if (!l || !t)
		return -EINVAL;
	const char *ln = btf_str(lb, l->name_off), *tn = btf_str(tb, t->name_off);
	if (btf_is_any_enum(l) && btf_is_any_enum(t)) {
		if (!names_match_essential(ln, tn) || l->size != t->size)
			return 0;
		for (uint16_t i = 0; i < btf_vlen(l); i++) {
			bool found = false;
			for (uint16_t j = 0; j < btf_vlen(t) && !found; j++)
				found = names_match_essential(btf_str(lb, btf_enum_name_off(l, i)),
							      btf_str(tb, btf_enum_name_off(t, j)));
			if (!found)
				return 0;
		}
		return 1;
	}
	if (btf_kind(l) == BTF_KIND_FWD && btf_is_composite(t))
		return names_match_essential(ln, tn) &&
		       btf_kflag(l) == (btf_kind(t) == BTF_KIND_UNION);
	if (btf_kind(l) != btf_kind(t))
		return 0;
	switch (btf_kind(l)) {
	case BTF_KIND_INT:
		return l->size == t->size &&
		       (BTF_INT_ENCODING(btf_int_data(l)) & BTF_INT_SIGNED) ==
			       (BTF_INT_ENCODING(btf_int_data(t)) & BTF_INT_SIGNED);
	case BTF_KIND_FLOAT:
		return l->size == t->size;
	case BTF_KIND_FWD:
		return names_match_essential(ln, tn) && btf_kflag(l) == btf_kflag(t);
	case BTF_KIND_PTR:
		return types_match(lb, l->type, tb, t->type, depth + 1);
	case BTF_KIND_ARRAY:
		if (btf_array(l)->nelems != btf_array(t)->nelems)
			return 0;
		return types_match(lb, btf_array(l)->type, tb, btf_array(t)->type, depth + 1);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (!names_match_essential(ln, tn))
			return 0;
		for (uint16_t i = 0; i < btf_vlen(l); i++) {
			const char *mn = btf_str(lb, btf_members(l)[i].name_off);
			int r = 0;
			for (uint16_t j = 0; j < btf_vlen(t) && r == 0; j++) {
				if (strcmp(mn, btf_str(tb, btf_members(t)[j].name_off)))
					continue;
				r = types_match(lb, btf_members(l)[i].type, tb,
						btf_members(t)[j].type, depth + 1);
				if (r == 0)
					return 0;
			}
			if (r <= 0)
				return r;
		}
		return 1;
	case BTF_KIND_FUNC_PROTO:
		if (btf_vlen(l) != btf_vlen(t))
			return 0;
		for (uint16_t i = 0; i < btf_vlen(l); i++) {
			int r = types_match(lb, btf_params(l)[i].type, tb, btf_params(t)[i].type,
					    depth + 1);
			if (r <= 0)
				return r;
		}
		return types_match(lb, l->type, tb, t->type, depth + 1);
	default:
		return 0;
	}
}

/*
 * Finds local member acc (a named member) in target composite tid, descending into anonymous
 * members; on a match appends to spec and sets *next_id to the member's type. 1, 0 or -errno.
 */
static int match_member(const struct btf *lb, const struct core_acc *acc, const struct btf *tb,
			uint32_t tid, struct core_spec *spec, uint32_t *next_id, int depth)
{
	const struct btf_type *lt = btf_skip_mods_typedefs(lb, acc->type_id, NULL);
	const struct btf_type *t = btf_skip_mods_typedefs(tb, tid, &tid);
	uint32_t local_member_type;

	if (!lt || !btf_is_composite(lt) || !t || depth >= BTF_MAX_CHAIN)
		return -EINVAL;
	if (!btf_is_composite(t))
		return 0;
	local_member_type = btf_members(lt)[acc->idx].type;
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		const struct btf_member *m = &btf_members(t)[i];
		const char *name = btf_str(tb, m->name_off);
		uint64_t saved = spec->bit_offset;

		if (spec->raw_len == SPEC_MAX)
			return -E2BIG;
		spec->bit_offset += btf_member_bit_offset(t, i);
		spec->raw[spec->raw_len++] = i;
		if (!name[0]) {
			const struct btf_type *mt = btf_skip_mods_typedefs(tb, m->type, NULL);
			if (mt && btf_is_composite(mt)) {
				int r = match_member(lb, acc, tb, m->type, spec, next_id,
						     depth + 1);
				if (r)
					return r;
			}
		} else if (!strcmp(name, acc->name)) {
			if (spec->len == SPEC_MAX)
				return -E2BIG;
			spec->acc[spec->len++] = (struct core_acc){tid, i, name};
			*next_id = m->type;
			return fields_compat(lb, local_member_type, tb, m->type);
		}
		spec->bit_offset = saved;
		spec->raw_len--;
	}
	return 0;
}

/* Matches the local spec in target candidate tid: 1 with *ts filled, 0 for no match, or -errno. */
static int spec_match(const struct core_spec *ls, uint32_t kind, const struct btf *tb, uint32_t tid,
		      struct core_spec *ts)
{
	memset(ts, 0, sizeof(*ts));
	ts->btf = tb;
	ts->root_id = tid;
	if (kind_is_type(kind)) {
		if (kind == BPF_CORE_TYPE_MATCHES)
			return types_match(ls->btf, ls->root_id, tb, tid, 0);
		return types_compat(ls->btf, ls->root_id, tb, tid, 0);
	}
	if (kind_is_enumval(kind)) {
		const struct btf_type *t = btf_skip_mods_typedefs(tb, tid, &tid);
		if (!t || !btf_is_any_enum(t))
			return 0;
		for (uint16_t i = 0; i < btf_vlen(t); i++) {
			if (names_match_essential(ls->acc[0].name,
						  btf_str(tb, btf_enum_name_off(t, i)))) {
				ts->acc[0] = (struct core_acc){
					tid, i, btf_str(tb, btf_enum_name_off(t, i))};
				ts->len = 1;
				ts->raw[0] = i;
				ts->raw_len = 1;
				return 1;
			}
		}
		return 0;
	}

	uint32_t id = tid;
	for (int i = 0; i < ls->len; i++) {
		const struct core_acc *acc = &ls->acc[i];

		if (i == 0) {
			int64_t sz = btf_resolve_size(tb, id);
			if (sz < 0)
				return 0;
			ts->acc[0] = (struct core_acc){id, acc->idx, NULL};
			ts->len = 1;
			ts->raw[0] = acc->idx;
			ts->raw_len = 1;
			ts->bit_offset = (uint64_t)acc->idx * (uint64_t)sz * 8;
			continue;
		}
		if (acc->name) {
			uint32_t next = 0;
			int r = match_member(ls->btf, acc, tb, id, ts, &next, 0);
			if (r <= 0)
				return r;
			id = next;
			continue;
		}
		const struct btf_type *t = btf_skip_mods_typedefs(tb, id, &id);
		if (!t || btf_kind(t) != BTF_KIND_ARRAY)
			return 0;
		const struct btf_array *a = btf_array(t);
		if (a->nelems && acc->idx >= a->nelems)
			return 0;
		int64_t sz = btf_resolve_size(tb, a->type);
		if (sz < 0 || ts->len == SPEC_MAX || ts->raw_len == SPEC_MAX)
			return sz < 0 ? 0 : -E2BIG;
		ts->acc[ts->len++] = (struct core_acc){id, acc->idx, NULL};
		ts->raw[ts->raw_len++] = acc->idx;
		ts->bit_offset += (uint64_t)acc->idx * (uint64_t)sz * 8;
		id = a->type;
	}
	return 1;
}

/* The field a field spec ends at: its type, and for a member its bitfield size. */
static int spec_field(const struct core_spec *s, uint32_t *type_id, uint32_t *bitfield)
{
	const struct core_acc *acc = &s->acc[s->len - 1];

	*bitfield = 0;
	if (s->len == 1) {
		*type_id = acc->type_id;
		return 0;
	}
	const struct btf_type *t = btf_skip_mods_typedefs(s->btf, acc->type_id, NULL);
	if (!t)
		return -EINVAL;
	if (acc->name) {
		*type_id = btf_members(t)[acc->idx].type;
		*bitfield = btf_member_bitfield_size(t, acc->idx);
	} else {
		*type_id = btf_array(t)->type;
	}
	return 0;
}

/* Whether a field of this type can be loaded with another size (unsigned scalars and pointers). */
static bool size_may_change(const struct btf *btf, uint32_t type_id)
{
	const struct btf_type *t = btf_skip_mods_typedefs(btf, type_id, NULL);

	if (!t)
		return false;
	if (btf_kind(t) == BTF_KIND_INT)
		return !(BTF_INT_ENCODING(btf_int_data(t)) & BTF_INT_SIGNED);
	if (btf_is_any_enum(t))
		return !btf_kflag(t);
	return btf_kind(t) == BTF_KIND_PTR;
}

/* A field relocation's value from spec s (Linux's arithmetic; little endian). */
static int field_value(const struct core_spec *s, uint32_t kind, uint64_t *val, uint32_t *size,
		       bool *validate, bool *fixed)
{
	uint32_t type_id, bit_sz;
	uint64_t bit_off = s->bit_offset, byte_off;
	int64_t byte_sz;

	if (kind == BPF_CORE_FIELD_EXISTS) {
		*val = 1;
		return 0;
	}
	if (spec_field(s, &type_id, &bit_sz))
		return -EINVAL;
	byte_sz = btf_resolve_size(s->btf, type_id);
	if (byte_sz <= 0)
		return -EINVAL;
	if (bit_sz) {
		/* The smallest naturally aligned load, at least the declared type's size, covering it. */
		if (byte_sz > 8)
			return -EINVAL;
		byte_off = bit_off / 8 / (uint64_t)byte_sz * (uint64_t)byte_sz;
		while (bit_off + bit_sz - byte_off * 8 > (uint64_t)byte_sz * 8) {
			if (byte_sz >= 8)
				return -EINVAL;
			byte_sz *= 2;
			byte_off = bit_off / 8 / (uint64_t)byte_sz * (uint64_t)byte_sz;
		}
	} else {
		if (bit_off % 8)
			return -EINVAL;
		byte_off = bit_off / 8;
		bit_sz = (uint32_t)(byte_sz * 8);
	}
	bool bitfield = bit_sz != byte_sz * 8;
	*size = (uint32_t)byte_sz;
	*fixed = bitfield || !size_may_change(s->btf, type_id);
	/*
	 * clang picks a bitfield's load by the record's alignment, this (as Linux's libbpf) by the
	 * field's type: the local values may differ from what clang wrote, so they are not checked.
	 */
	*validate = !bitfield;
	switch (kind) {
	case BPF_CORE_FIELD_BYTE_OFFSET:
		*val = byte_off;
		return 0;
	case BPF_CORE_FIELD_BYTE_SIZE:
		*val = (uint64_t)byte_sz;
		return 0;
	case BPF_CORE_FIELD_SIGNED: {
		const struct btf_type *t = btf_skip_mods_typedefs(s->btf, type_id, NULL);
		*val = btf_kind(t) == BTF_KIND_INT
			       ? !!(BTF_INT_ENCODING(btf_int_data(t)) & BTF_INT_SIGNED)
			       : btf_is_any_enum(t) && btf_kflag(t);
		*validate = true;
		return 0;
	}
	case BPF_CORE_FIELD_LSHIFT_U64:
		if (byte_sz > 8)
			return -EINVAL;
		*val = 64 - (bit_off + bit_sz - byte_off * 8);
		return 0;
	case BPF_CORE_FIELD_RSHIFT_U64:
		if (byte_sz > 8)
			return -EINVAL;
		*val = 64 - bit_sz;
		*validate = true;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * The value relo gives in spec s (NULL: no target matched). Returns 0, or 1 to ask for poisoning.
 */
static int relo_value(const struct core_spec *s, uint32_t kind, uint64_t *val, uint32_t *size,
		      bool *validate, bool *fixed)
{
	*val = 0;
	*size = 0;
	*validate = true;
	*fixed = true;
	if (kind_is_type(kind)) {
		if (!s)
			return 0;
		switch (kind) {
		case BPF_CORE_TYPE_ID_LOCAL:
		case BPF_CORE_TYPE_ID_TARGET:
			*val = s->root_id;
			*validate = false;
			return 0;
		case BPF_CORE_TYPE_SIZE: {
			int64_t sz = btf_resolve_size(s->btf, s->root_id);
			*val = sz < 0 ? 0 : (uint64_t)sz;
			return 0;
		}
		default: /* TYPE_EXISTS, TYPE_MATCHES */
			*val = 1;
			return 0;
		}
	}
	if (kind_is_enumval(kind)) {
		if (!s)
			return kind == BPF_CORE_ENUMVAL_EXISTS ? 0 : 1;
		if (kind == BPF_CORE_ENUMVAL_EXISTS) {
			*val = 1;
			return 0;
		}
		const struct btf_type *t = btf_type_by_id(s->btf, s->acc[0].type_id);
		*val = (uint64_t)btf_enum_value(t, s->acc[0].idx);
		return 0;
	}
	if (!s)
		return kind == BPF_CORE_FIELD_EXISTS ? 0 : 1;
	return field_value(s, kind, val, size, validate, fixed) ? -EINVAL : 0;
}

int core_calc_relo(const struct btf *local, const struct bpf_core_relo_rec *relo,
		   const struct btf *targ, struct core_relo_res *res, char *msg, size_t msg_sz)
{
	struct core_spec ls, ts;
	bool found = false, validate, fixed;
	uint64_t val;
	uint32_t sz;
	int r;

	memset(res, 0, sizeof(*res));
	msg[0] = 0;
	r = local_spec(local, relo, &ls, msg, msg_sz);
	if (r)
		return r;
	r = relo_value(&ls, relo->kind, &res->orig_val, &res->orig_sz, &res->validate, &fixed);
	if (r) {
		snprintf(msg, msg_sz, "local field has no size");
		return -EINVAL;
	}
	if (relo->kind == BPF_CORE_TYPE_ID_LOCAL) {
		res->new_val = relo->type_id;
		return 0;
	}
	if (!targ) {
		snprintf(msg, msg_sz, "no kernel BTF to relocate against");
		return -ESRCH;
	}

	const struct btf_type *lt = btf_type_by_id(local, relo->type_id);
	const char *lname = btf_str(local, lt->name_off);
	size_t llen = core_essential_name_len(lname);
	if (!llen) {
		snprintf(msg, msg_sz, "relocation on anonymous type %u", relo->type_id);
		return -EINVAL;
	}
	for (uint32_t id = 1; id < btf_type_cnt(targ); id++) {
		const struct btf_type *t = btf_type_by_id(targ, id);
		const char *tname = btf_str(targ, t->name_off);

		if (btf_kind(t) != btf_kind(lt) && !(btf_is_any_enum(t) && btf_is_any_enum(lt)))
			continue;
		if (core_essential_name_len(tname) != llen || strncmp(tname, lname, llen))
			continue;
		r = spec_match(&ls, relo->kind, targ, id, &ts);
		if (r < 0) {
			snprintf(msg, msg_sz, "error matching candidate [%u] %s", id, tname);
			return r;
		}
		if (!r)
			continue;
		r = relo_value(&ts, relo->kind, &val, &sz, &validate, &fixed);
		if (r) {
			snprintf(msg, msg_sz, "target field of [%u] %s has no size", id, tname);
			return -EINVAL;
		}
		if (found && val != res->new_val) {
			snprintf(msg, msg_sz, "ambiguous: candidates give %llu and %llu",
				 (unsigned long long)res->new_val, (unsigned long long)val);
			return -EINVAL;
		}
		found = true;
		res->new_val = val;
		res->new_sz = sz;
		res->sz_fixed = fixed;
	}
	if (!found) {
		r = relo_value(NULL, relo->kind, &res->new_val, &sz, &validate, &fixed);
		res->poison = r == 1;
		res->new_sz = res->orig_sz;
		res->sz_fixed = true;
	}
	return 0;
}

static int bpf_size_bytes(uint8_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B:
		return 1;
	case BPF_H:
		return 2;
	case BPF_W:
		return 4;
	default:
		return 8;
	}
}

static int bytes_bpf_size(uint32_t n)
{
	switch (n) {
	case 1:
		return BPF_B;
	case 2:
		return BPF_H;
	case 4:
		return BPF_W;
	case 8:
		return BPF_DW;
	default:
		return -1;
	}
}

static void poison(struct bpf_insn *insn)
{
	*insn = (struct bpf_insn){.code = BPF_JMP | BPF_CALL, .imm = CORE_POISON_HELPER};
}

int core_patch_insn(struct bpf_insn *insns, size_t insn_cnt, size_t idx,
		    const struct bpf_core_relo_rec *relo, const struct core_relo_res *res,
		    char *msg, size_t msg_sz)
{
	struct bpf_insn *insn = &insns[idx];
	uint8_t cls = BPF_CLASS(insn->code);
	bool ldimm64 = insn->code == (BPF_LD | BPF_IMM | BPF_DW);

	msg[0] = 0;
	if (ldimm64 && idx + 1 >= insn_cnt) {
		snprintf(msg, msg_sz, "ld_imm64 at insn %zu is cut", idx);
		return -EINVAL;
	}
	if (res->poison) {
		poison(insn);
		if (ldimm64)
			poison(insn + 1);
		return 0;
	}
	if ((cls == BPF_ALU || cls == BPF_ALU64) && BPF_SRC(insn->code) == BPF_K) {
		if (res->validate && (uint64_t)(int64_t)insn->imm != res->orig_val &&
		    (uint32_t)insn->imm != res->orig_val) {
			snprintf(msg, msg_sz, "insn %zu holds %d, expected %llu", idx, insn->imm,
				 (unsigned long long)res->orig_val);
			return -EINVAL;
		}
		bool fits = res->new_val <= UINT32_MAX ||
			    ((int64_t)res->new_val < 0 && (int64_t)res->new_val >= INT32_MIN);
		if (!fits) {
			snprintf(msg, msg_sz, "value %llu does not fit insn %zu",
				 (unsigned long long)res->new_val, idx);
			return -EINVAL;
		}
		insn->imm = (int32_t)(uint32_t)res->new_val;
		return 0;
	}
	if ((cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX) &&
	    (BPF_MODE(insn->code) == BPF_MEM || BPF_MODE(insn->code) == BPF_MEMSX)) {
		if (res->validate && (int64_t)insn->off != (int64_t)res->orig_val) {
			snprintf(msg, msg_sz, "insn %zu has offset %d, expected %llu", idx,
				 insn->off, (unsigned long long)res->orig_val);
			return -EINVAL;
		}
		if (res->new_val > INT16_MAX) {
			snprintf(msg, msg_sz, "offset %llu does not fit insn %zu",
				 (unsigned long long)res->new_val, idx);
			return -EINVAL;
		}
		insn->off = (int16_t)res->new_val;
		if (relo->kind == BPF_CORE_FIELD_BYTE_OFFSET && res->orig_sz &&
		    res->new_sz != res->orig_sz) {
			int sz = bytes_bpf_size(res->new_sz);
			if (res->sz_fixed || sz < 0 ||
			    bpf_size_bytes(insn->code) != (int)res->orig_sz ||
			    BPF_MODE(insn->code) == BPF_MEMSX) {
				snprintf(msg, msg_sz,
					 "field size changed from %u to %u bytes at insn %zu",
					 res->orig_sz, res->new_sz, idx);
				return -EINVAL;
			}
			insn->code = (uint8_t)((insn->code & ~0x18) | sz);
		}
		return 0;
	}
	if (ldimm64) {
		uint64_t imm =
			(uint64_t)(uint32_t)insn[0].imm | ((uint64_t)(uint32_t)insn[1].imm << 32);
		if (insn->src_reg) {
			snprintf(msg, msg_sz, "ld_imm64 at insn %zu is not a plain constant", idx);
			return -EINVAL;
		}
		if (res->validate && imm != res->orig_val) {
			snprintf(msg, msg_sz, "insn %zu holds %llu, expected %llu", idx,
				 (unsigned long long)imm, (unsigned long long)res->orig_val);
			return -EINVAL;
		}
		insn[0].imm = (int32_t)(uint32_t)res->new_val;
		insn[1].imm = (int32_t)(uint32_t)(res->new_val >> 32);
		return 0;
	}
	snprintf(msg, msg_sz, "insn %zu (code 0x%x) cannot take a CO-RE relocation", idx,
		 insn->code);
	return -EINVAL;
}
