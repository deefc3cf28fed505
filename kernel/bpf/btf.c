/*
 * BTF: parsing and checking a blob, lookups, references and ids (contract in kernel/bpf/btf.h).
 *
 * A parse goes as Linux's btf_parse goes, with its errors and log lines: the header, the sections'
 * offsets and lengths, the string section, then the type section in two passes. The first pass
 * ("meta") walks the types in order and checks what each says of itself: a known kind, valid
 * flags and names, its records within the section; it records where each type starts. The second
 * pass checks references, now that every id has a type:
 *   - the size graph: a modifier or typedef needs its target, an array its element and index
 *     types, a struct or union its members' types, a variable its type, a section its variables.
 *     It must have no cycle (a struct that contains itself, typedefs that name each other), and
 *     each type is checked once what it needs is (a member fits its struct, an array's size does
 *     not overflow); pointers end this graph, which is how a struct may point to itself;
 *   - the pointer graph: pointers and modifiers through their targets. A cycle here is a pointer
 *     to itself through modifiers, which no C type is;
 *   - function prototypes, functions and declaration tags, whose references must name types of
 *     the right kinds; then Linux's rule that type tags come before other modifiers.
 * Both graphs are walked depth first with an explicit stack of at most MAX_RESOLVE_DEPTH types,
 * as Linux's (a deeper chain is E2BIG, a cycle EEXIST, its words "Exceeded max resolving depth"
 * and "Loop detected").
 *
 * The blob is copied so that its type section is 4-byte aligned whatever hdr_len is; everything
 * after the parse reads types in place.
 */
#include "kernel/bpf/btf.h"

#include <stdarg.h>

#include "kernel/bpf/obj.h"
#include "kernel/bpf/verifier.h"
#include "kernel/kprintf.h"
#include "kernel/preempt.h"
#include "kernel/string.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

#define BTF_INFO_MASK 0x9f00ffffu
#define BTF_INT_MASK 0x0fffffffu
#define MAX_RESOLVE_DEPTH 32
#define MAX_CHAIN 32
#define NAME_LEN_MAX 512 /* Linux's KSYM_NAME_LEN: the longest identifier */
#define PTR_SIZE 8
#define TYPES_PER_PREEMPT 4096 /* a blob has up to 2^20 types: a preemption point every so many */

/*
 * Invariants once btf_parse returned it: types[1 .. nr_types) point into the type section of data,
 * each a checked type (types[0] is NULL: void); sizes[i] is type i's size (0 for the sizeless:
 * void, fwd, func, func_proto); strings is str_len bytes ending in a NUL. Nothing changes but
 * refcnt and id (set once).
 */
struct btf {
	int refcnt; /* atomic */
	uint32_t id;
	bool kernel;
	char name[BTF_NAME_LEN];
	uint8_t *alloc;      /* what kfree takes: data lies inside it */
	const uint8_t *data; /* the blob as given, data_size bytes */
	uint32_t data_size;
	struct btf_header hdr;
	const char *strings;
	uint32_t nr_types;
	const struct btf_type **types;
	uint32_t *sizes;
	uint32_t types_cap;
};

static struct bpf_id_table btf_ids = BPF_ID_TABLE_INIT("bpf_btf_ids");
static size_t btfs_live;

/* ---------------------------------------------------------------------------------------------
 * The log: Linux's (kernel/bpf/log.c) as the verifier's is, positions counting every byte written;
 * the byte at position p is at buf[p % (size - 1)] when rotating.
 */

struct blog {
	char *buf;
	uint32_t size, level;
	uint64_t start, end;
};

static void blog_append(struct blog *l, const char *text, size_t n)
{
	uint64_t room = l->size > 1 ? l->size - 1 : 0;

	for (size_t i = 0; room && i < n; i++) {
		uint64_t pos = l->end + i;
		if (!(l->level & BPF_LOG_FIXED))
			l->buf[pos % room] = text[i];
		else if (pos < room)
			l->buf[pos] = text[i];
	}
	l->end += n;
	if (!(l->level & BPF_LOG_FIXED) && l->end - l->start > room)
		l->start = l->end - room;
}

static void blog_vprintf(struct blog *l, const char *fmt, va_list ap)
{
	char line[256];

	if (!l->level)
		return;
	int n = kvsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	blog_append(l, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static void blog_reverse(char *a, uint64_t lo, uint64_t hi)
{
	for (; lo + 1 < hi; lo++, hi--) {
		char t = a[lo];
		a[lo] = a[hi - 1];
		a[hi - 1] = t;
	}
}

/* NUL-terminate and put in order; 0 or -ENOSPC (with a buffer only, as Linux's bpf_vlog_finalize). */
static int blog_finalize(struct blog *l, uint32_t *true_size)
{
	*true_size = 0;
	if (!l->level)
		return 0;
	*true_size = (uint32_t)(l->end + 1);
	if (!l->buf)
		return 0;
	uint64_t room = l->size - 1;
	if (l->level & BPF_LOG_FIXED) {
		l->buf[l->end < room ? l->end : room] = 0;
	} else if (room) {
		uint64_t first = l->start % room;
		if (first) {
			blog_reverse(l->buf, 0, first);
			blog_reverse(l->buf, first, room);
			blog_reverse(l->buf, 0, room);
		}
		l->buf[l->end - l->start] = 0;
	} else {
		l->buf[0] = 0;
	}
	return l->end + 1 > l->size ? -ENOSPC : 0;
}

/* ---------------------------------------------------------------------------------------------
 * Type helpers (on a checked object, or during a parse on types already recorded)
 */

static const char *const kind_names[NR_BTF_KINDS] = {
	[BTF_KIND_UNKN] = "UNKNOWN",      [BTF_KIND_INT] = "INT",
	[BTF_KIND_PTR] = "PTR",           [BTF_KIND_ARRAY] = "ARRAY",
	[BTF_KIND_STRUCT] = "STRUCT",     [BTF_KIND_UNION] = "UNION",
	[BTF_KIND_ENUM] = "ENUM",         [BTF_KIND_FWD] = "FWD",
	[BTF_KIND_TYPEDEF] = "TYPEDEF",   [BTF_KIND_VOLATILE] = "VOLATILE",
	[BTF_KIND_CONST] = "CONST",       [BTF_KIND_RESTRICT] = "RESTRICT",
	[BTF_KIND_FUNC] = "FUNC",         [BTF_KIND_FUNC_PROTO] = "FUNC_PROTO",
	[BTF_KIND_VAR] = "VAR",           [BTF_KIND_DATASEC] = "DATASEC",
	[BTF_KIND_FLOAT] = "FLOAT",       [BTF_KIND_DECL_TAG] = "DECL_TAG",
	[BTF_KIND_TYPE_TAG] = "TYPE_TAG", [BTF_KIND_ENUM64] = "ENUM64",
};

static inline uint32_t kind_of(const struct btf_type *t)
{
	return BTF_INFO_KIND(t->info);
}
static inline uint32_t vlen_of(const struct btf_type *t)
{
	return BTF_INFO_VLEN(t->info);
}
static inline bool kflag_of(const struct btf_type *t)
{
	return BTF_INFO_KFLAG(t->info);
}
static inline const void *extra_of(const struct btf_type *t)
{
	return t + 1;
}

static bool is_modifier(const struct btf_type *t)
{
	uint32_t k = kind_of(t);
	return k == BTF_KIND_TYPEDEF || k == BTF_KIND_VOLATILE || k == BTF_KIND_CONST ||
	       k == BTF_KIND_RESTRICT || k == BTF_KIND_TYPE_TAG;
}

static bool is_composite(const struct btf_type *t)
{
	return kind_of(t) == BTF_KIND_STRUCT || kind_of(t) == BTF_KIND_UNION;
}

/* Kinds that only refer to types and that no type may refer to (Linux's resolve_source_only). */
static bool is_source_only(const struct btf_type *t)
{
	uint32_t k = kind_of(t);
	return k == BTF_KIND_VAR || k == BTF_KIND_DATASEC || k == BTF_KIND_DECL_TAG;
}

static bool is_sizeless(const struct btf_type *t)
{
	return !t || kind_of(t) == BTF_KIND_FWD || kind_of(t) == BTF_KIND_FUNC ||
	       kind_of(t) == BTF_KIND_FUNC_PROTO;
}

static bool is_any_enum(const struct btf_type *t)
{
	return kind_of(t) == BTF_KIND_ENUM || kind_of(t) == BTF_KIND_ENUM64;
}

/* An int that is a whole power-of-two number of bytes: no bit offset, bits = 8 * size. */
static bool int_is_regular(const struct btf_type *t)
{
	uint32_t v = *(const uint32_t *)extra_of(t);
	uint32_t bits = BTF_INT_BITS(v);
	return !BTF_INT_OFFSET(v) && bits % 8 == 0 && bits / 8 == t->size && t->size &&
	       !(t->size & (t->size - 1)) && t->size <= 16;
}

const struct btf_type *btf_type_by_id(const struct btf *btf, uint32_t id)
{
	return id && id < btf->nr_types ? btf->types[id] : NULL;
}

const char *btf_name_by_offset(const struct btf *btf, uint32_t off)
{
	return off < btf->hdr.str_len ? btf->strings + off : NULL;
}

const char *btf_type_name(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf_type_by_id(btf, id);
	const char *n = t ? btf_name_by_offset(btf, t->name_off) : NULL;
	return n ? n : "";
}

/* Skip modifiers from id; the chain is bounded (at most nr_types steps) even before checks. */
static const struct btf_type *skip_mods(const struct btf *btf, uint32_t id, uint32_t *res_id)
{
	const struct btf_type *t = btf_type_by_id(btf, id);

	for (uint32_t n = 0; t && is_modifier(t) && n < btf->nr_types; n++) {
		id = t->type;
		t = btf_type_by_id(btf, id);
	}
	if (t && is_modifier(t))
		t = NULL;
	if (res_id)
		*res_id = id;
	return t;
}

const struct btf_type *btf_type_skip_modifiers(const struct btf *btf, uint32_t id, uint32_t *res_id)
{
	return skip_mods(btf, id, res_id);
}

uint32_t btf_type_size(const struct btf *btf, uint32_t id)
{
	return id && id < btf->nr_types ? btf->sizes[id] : 0;
}

uint32_t btf_nr_types(const struct btf *btf)
{
	return btf->nr_types;
}
uint32_t btf_obj_id(const struct btf *btf)
{
	return __atomic_load_n(&btf->id, __ATOMIC_RELAXED);
}
bool btf_is_kernel(const struct btf *btf)
{
	return btf->kernel;
}
const char *btf_obj_name(const struct btf *btf)
{
	return btf->name;
}

const void *btf_raw_data(const struct btf *btf, uint32_t *size)
{
	*size = btf->data_size;
	return btf->data;
}

int32_t btf_find_by_name_kind(const struct btf *btf, const char *name, uint8_t kind)
{
	for (uint32_t i = 1; i < btf->nr_types; i++) {
		const struct btf_type *t = btf->types[i];
		if (kind_of(t) == kind && !strcmp(btf->strings + t->name_off, name))
			return (int32_t)i;
	}
	return -ENOENT;
}

uint32_t btf_ptr_struct_target(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = skip_mods(btf, id, NULL);
	uint32_t target;

	if (!t || kind_of(t) != BTF_KIND_PTR)
		return 0;
	t = skip_mods(btf, t->type, &target);
	return t && is_composite(t) ? target : 0;
}

/* ---------------------------------------------------------------------------------------------
 * The parse
 */

enum { G_SIZE, G_PTR, NGRAPHS };
enum { NEW, ON_STACK, DONE };

struct env {
	struct btf *btf;
	struct blog log;
	uint8_t *state[NGRAPHS]; /* per type id, per graph */
};

static void env_log(struct env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void env_log(struct env *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	blog_vprintf(&e->log, fmt, ap);
	va_end(ap);
}

/* "[id] KIND name msg", Linux's btf_verifier_log_type line. */
static void log_type(struct env *e, uint32_t id, const struct btf_type *t, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void log_type(struct env *e, uint32_t id, const struct btf_type *t, const char *fmt, ...)
{
	const char *name = btf_name_by_offset(e->btf, t->name_off);
	uint32_t k = kind_of(t);
	va_list ap;

	if (!e->log.level)
		return;
	env_log(e, "[%u] %s %s ", id, k < NR_BTF_KINDS ? kind_names[k] : "UNKNOWN",
		name ? name : "(invalid)");
	va_start(ap, fmt);
	blog_vprintf(&e->log, fmt, ap);
	va_end(ap);
	env_log(e, "\n");
}

static bool name_offset_valid(const struct btf *btf, uint32_t off)
{
	return off <= BTF_MAX_NAME_OFFSET && off < btf->hdr.str_len;
}

/* A C identifier (dot_ok: '.' allowed after the first character, as static variables have). */
static bool name_valid(const struct btf *btf, uint32_t off, bool dot_ok)
{
	const char *s = btf_name_by_offset(btf, off);

	if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (uint32_t n = 1; s[n]; n++) {
		char c = s[n];
		if (n >= NAME_LEN_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || (dot_ok && c == '.')))
			return false;
	}
	return true;
}

/* A section name: printable characters, not empty. */
static bool section_name_valid(const struct btf *btf, uint32_t off)
{
	const char *s = btf_name_by_offset(btf, off);

	if (!s || !*s)
		return false;
	for (uint32_t n = 0; s[n]; n++)
		if (n >= NAME_LEN_MAX || s[n] < 0x20 || s[n] > 0x7e)
			return false;
	return true;
}

/* ---- the header and the sections */

static int parse_hdr(struct env *e)
{
	struct btf *btf = e->btf;
	uint32_t hdr_len;

	if (btf->data_size < offsetof(struct btf_header, hdr_len) + sizeof(hdr_len)) {
		env_log(e, "hdr_len not found\n");
		return -EINVAL;
	}
	memcpy(&hdr_len, btf->data + offsetof(struct btf_header, hdr_len), sizeof(hdr_len));
	if (btf->data_size < hdr_len) {
		env_log(e, "btf_header not found\n");
		return -EINVAL;
	}
	for (uint32_t i = sizeof(struct btf_header); i < hdr_len; i++) {
		if (btf->data[i]) {
			env_log(e, "Unsupported btf_header\n");
			return -E2BIG;
		}
	}
	memcpy(&btf->hdr, btf->data, hdr_len < sizeof(btf->hdr) ? hdr_len : sizeof(btf->hdr));
	const struct btf_header *h = &btf->hdr;
	env_log(e,
		"magic: 0x%x\nversion: %u\nflags: 0x%x\nhdr_len: %u\ntype_off: %u\ntype_len: %u\n"
		"str_off: %u\nstr_len: %u\nbtf_total_size: %u\n",
		h->magic, h->version, h->flags, h->hdr_len, h->type_off, h->type_len, h->str_off,
		h->str_len, btf->data_size);
	if (h->magic != BTF_MAGIC) {
		env_log(e, "Invalid magic\n");
		return -EINVAL;
	}
	if (h->version != BTF_VERSION) {
		env_log(e, "Unsupported version\n");
		return -ENOTSUPP;
	}
	if (h->flags) {
		env_log(e, "Unsupported flags\n");
		return -ENOTSUPP;
	}
	if (btf->data_size == h->hdr_len) {
		env_log(e, "No data\n");
		return -EINVAL;
	}
	/* The two sections, by offset, must tile the bytes after the header exactly. */
	uint32_t secs[2][2] = {{h->type_off, h->type_len}, {h->str_off, h->str_len}};
	if (secs[1][0] < secs[0][0] || (secs[1][0] == secs[0][0] && secs[1][1] < secs[0][1])) {
		uint32_t t0 = secs[0][0], t1 = secs[0][1];
		secs[0][0] = secs[1][0], secs[0][1] = secs[1][1];
		secs[1][0] = t0, secs[1][1] = t1;
	}
	uint32_t total = 0, expected = btf->data_size - h->hdr_len;
	for (int i = 0; i < 2; i++) {
		if (expected < secs[i][0]) {
			env_log(e, "Invalid section offset\n");
			return -EINVAL;
		}
		if (total < secs[i][0]) {
			env_log(e, "Unsupported section found\n");
			return -EINVAL;
		}
		if (total > secs[i][0]) {
			env_log(e, "Section overlap found\n");
			return -EINVAL;
		}
		if (expected - total < secs[i][1]) {
			env_log(e, "Total section length too long\n");
			return -EINVAL;
		}
		total += secs[i][1];
	}
	if (total != expected) {
		env_log(e, "Unsupported section found\n");
		return -EINVAL;
	}
	return 0;
}

static int parse_str_sec(struct env *e)
{
	struct btf *btf = e->btf;
	const struct btf_header *h = &btf->hdr;
	const char *start = (const char *)btf->data + h->hdr_len + h->str_off;

	if ((uint64_t)h->hdr_len + h->str_off + h->str_len != btf->data_size) {
		env_log(e, "String section is not at the end\n");
		return -EINVAL;
	}
	btf->strings = start;
	if (!h->str_len || h->str_len - 1 > BTF_MAX_NAME_OFFSET || start[h->str_len - 1] ||
	    start[0]) {
		env_log(e, "Invalid string section\n");
		return -EINVAL;
	}
	return 0;
}

/* ---- pass 1: each type by itself */

static int add_type(struct env *e, const struct btf_type *t)
{
	struct btf *btf = e->btf;

	if (btf->nr_types == btf->types_cap) {
		if (btf->types_cap > BTF_MAX_TYPE) {
			env_log(e, "Exceeded max num of types\n");
			return -E2BIG;
		}
		uint32_t cap = btf->types_cap * 2;
		if (cap > BTF_MAX_TYPE + 1)
			cap = BTF_MAX_TYPE + 1;
		const struct btf_type **types = kmalloc((size_t)cap * sizeof(*types));
		if (!types)
			return -ENOMEM;
		memcpy(types, btf->types, (size_t)btf->nr_types * sizeof(*types));
		kfree(btf->types);
		btf->types = types;
		btf->types_cap = cap;
	}
	btf->types[btf->nr_types++] = t;
	return 0;
}

/* A kind's own checks: the bytes of records after the struct btf_type, or -EINVAL (logged). */
static int64_t check_kind_meta(struct env *e, uint32_t id, const struct btf_type *t, uint32_t left)
{
	const struct btf *btf = e->btf;
	uint32_t k = kind_of(t), vlen = vlen_of(t);
	uint64_t need = 0;

	switch (k) {
	case BTF_KIND_INT:
		need = 4;
		break;
	case BTF_KIND_ARRAY:
		need = sizeof(struct btf_array);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		need = (uint64_t)vlen * sizeof(struct btf_member);
		break;
	case BTF_KIND_ENUM:
		need = (uint64_t)vlen * sizeof(struct btf_enum);
		break;
	case BTF_KIND_ENUM64:
		need = (uint64_t)vlen * sizeof(struct btf_enum64);
		break;
	case BTF_KIND_FUNC_PROTO:
		need = (uint64_t)vlen * sizeof(struct btf_param);
		break;
	case BTF_KIND_VAR:
		need = sizeof(struct btf_var);
		break;
	case BTF_KIND_DATASEC:
		need = (uint64_t)vlen * sizeof(struct btf_var_secinfo);
		break;
	case BTF_KIND_DECL_TAG:
		need = sizeof(struct btf_decl_tag);
		break;
	}
	if (left < need) {
		log_type(e, id, t, "meta_left:%u meta_needed:%llu", left, (unsigned long long)need);
		return -EINVAL;
	}
	bool vlen_zero = k != BTF_KIND_STRUCT && k != BTF_KIND_UNION && k != BTF_KIND_ENUM &&
			 k != BTF_KIND_ENUM64 && k != BTF_KIND_FUNC_PROTO &&
			 k != BTF_KIND_DATASEC && k != BTF_KIND_FUNC;
	if (vlen_zero && vlen) {
		log_type(e, id, t, "vlen != 0");
		return -EINVAL;
	}
	bool kflag_ok = k == BTF_KIND_STRUCT || k == BTF_KIND_UNION || k == BTF_KIND_FWD ||
			k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64 || k == BTF_KIND_TYPE_TAG ||
			k == BTF_KIND_DECL_TAG;
	if (kflag_of(t) && !kflag_ok) {
		log_type(e, id, t, "Invalid btf_info kind_flag");
		return -EINVAL;
	}

	switch (k) {
	case BTF_KIND_INT: {
		uint32_t v = *(const uint32_t *)extra_of(t), enc = BTF_INT_ENCODING(v);
		uint32_t bits = BTF_INT_BITS(v) + BTF_INT_OFFSET(v);
		if (v & ~BTF_INT_MASK) {
			log_type(e, id, t, "Invalid int_data:%x", v);
			return -EINVAL;
		}
		if (bits > 128) {
			log_type(e, id, t, "nr_bits exceeds 128");
			return -EINVAL;
		}
		if ((bits + 7) / 8 > t->size) {
			log_type(e, id, t, "nr_bits exceeds type_size");
			return -EINVAL;
		}
		if (enc && enc != BTF_INT_SIGNED && enc != BTF_INT_CHAR && enc != BTF_INT_BOOL) {
			log_type(e, id, t, "Unsupported encoding");
			return -EINVAL;
		}
		log_type(e, id, t, "size=%u bits_offset=%u nr_bits=%u encoding=%u", t->size,
			 BTF_INT_OFFSET(v), BTF_INT_BITS(v), enc);
		break;
	}
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		if (t->type > BTF_MAX_TYPE) {
			log_type(e, id, t, "Invalid type_id");
			return -EINVAL;
		}
		if (k == BTF_KIND_TYPEDEF    ? !name_valid(btf, t->name_off, false)
		    : k == BTF_KIND_TYPE_TAG ? !btf->strings[t->name_off]
					     : t->name_off != 0) {
			log_type(e, id, t, "Invalid name");
			return -EINVAL;
		}
		log_type(e, id, t, "type_id=%u", t->type);
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = extra_of(t);
		if (t->name_off) {
			log_type(e, id, t, "Invalid name");
			return -EINVAL;
		}
		if (t->size) {
			log_type(e, id, t, "size != 0");
			return -EINVAL;
		}
		if (!a->type || a->type > BTF_MAX_TYPE) {
			log_type(e, id, t, "Invalid elem");
			return -EINVAL;
		}
		if (!a->index_type || a->index_type > BTF_MAX_TYPE) {
			log_type(e, id, t, "Invalid index");
			return -EINVAL;
		}
		log_type(e, id, t, "type_id=%u index_type_id=%u nr_elems=%u", a->type,
			 a->index_type, a->nelems);
		break;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *m = extra_of(t);
		uint32_t last = 0;
		if (t->name_off && !name_valid(btf, t->name_off, false)) {
			log_type(e, id, t, "Invalid name");
			return -EINVAL;
		}
		log_type(e, id, t, "size=%u vlen=%u", t->size, vlen);
		for (uint32_t i = 0; i < vlen; i++) {
			uint32_t off =
				kflag_of(t) ? BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset;
			if (!name_offset_valid(btf, m[i].name_off)) {
				log_type(e, id, t, "Invalid member name_offset:%u", m[i].name_off);
				return -EINVAL;
			}
			if (m[i].name_off && !name_valid(btf, m[i].name_off, false)) {
				log_type(e, id, t, "member#%u Invalid name", i);
				return -EINVAL;
			}
			if (!m[i].type || m[i].type > BTF_MAX_TYPE) {
				log_type(e, id, t, "member#%u Invalid type_id", i);
				return -EINVAL;
			}
			if ((k == BTF_KIND_UNION && off) || last > off) {
				log_type(e, id, t, "member#%u Invalid member bits_offset", i);
				return -EINVAL;
			}
			if ((off + 7) / 8 > t->size) {
				log_type(e, id, t,
					 "member#%u Member bits_offset exceeds its struct size", i);
				return -EINVAL;
			}
			last = off;
		}
		break;
	}
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: {
		size_t rec =
			k == BTF_KIND_ENUM ? sizeof(struct btf_enum) : sizeof(struct btf_enum64);
		if (!t->size || t->size > 8 || (t->size & (t->size - 1))) {
			log_type(e, id, t, "Unexpected size");
			return -EINVAL;
		}
		if (t->name_off && !name_valid(btf, t->name_off, false)) {
			log_type(e, id, t, "Invalid name");
			return -EINVAL;
		}
		log_type(e, id, t, "size=%u vlen=%u", t->size, vlen);
		for (uint32_t i = 0; i < vlen; i++) {
			uint32_t name_off =
				*(const uint32_t *)((const uint8_t *)extra_of(t) + i * rec);
			if (!name_offset_valid(btf, name_off)) {
				log_type(e, id, t, "Invalid name_offset:%u", name_off);
				return -EINVAL;
			}
			if (!name_valid(btf, name_off, false)) {
				log_type(e, id, t, "value#%u Invalid name", i);
				return -EINVAL;
			}
		}
		break;
	}
	case BTF_KIND_FWD:
		if (t->type) {
			log_type(e, id, t, "type != 0");
			return -EINVAL;
		}
		if (!name_valid(btf, t->name_off, false)) {
			log_type(e, id, t, "Invalid name");
			return -EINVAL;
		}
		log_type(e, id, t, "%s", kflag_of(t) ? "union" : "struct");
		break;
	case BTF_KIND_FUNC:
		if (!name_valid(btf, t->name_off, false)) {
			log_type(e, id, t, "Invalid name");
			return -EINVAL;
		}
		if (vlen > BTF_FUNC_GLOBAL) {
			log_type(e, id, t, "Invalid func linkage");
			return -EINVAL;
		}
		log_type(e, id, t, "type_id=%u", t->type);
		break;
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = extra_of(t);
		if (t->name_off) {
			log_type(e, id, t, "Invalid name");
			return -EINVAL;
		}
		log_type(e, id, t, "return=%u args=%u", t->type, vlen);
		for (uint32_t i = 0; i < vlen; i++)
			if (!name_offset_valid(btf, p[i].name_off) || p[i].type > BTF_MAX_TYPE) {
				log_type(e, id, t, "Invalid arg#%u", i + 1);
				return -EINVAL;
			}
		break;
	}
	case BTF_KIND_VAR: {
		const struct btf_var *v = extra_of(t);
		if (!name_valid(btf, t->name_off, true)) {
			log_type(e, id, t, "Invalid name");
			return -EINVAL;
		}
		if (!t->type || t->type > BTF_MAX_TYPE) {
			log_type(e, id, t, "Invalid type_id");
			return -EINVAL;
		}
		if (v->linkage != BTF_VAR_STATIC && v->linkage != BTF_VAR_GLOBAL_ALLOCATED) {
			log_type(e, id, t, "Linkage not supported");
			return -EINVAL;
		}
		log_type(e, id, t, "type_id=%u linkage=%u", t->type, v->linkage);
		break;
	}
	case BTF_KIND_DATASEC: {
		const struct btf_var_secinfo *s = extra_of(t);
		uint64_t last_end = 0, sum = 0;
		if (!vlen) {
			log_type(e, id, t, "vlen == 0");
			return -EINVAL;
		}
		if (!t->size) {
			log_type(e, id, t, "size == 0");
			return -EINVAL;
		}
		if (!section_name_valid(btf, t->name_off)) {
			log_type(e, id, t, "Invalid name");
			return -EINVAL;
		}
		log_type(e, id, t, "size=%u vlen=%u", t->size, vlen);
		for (uint32_t i = 0; i < vlen; i++) {
			if (!s[i].type || s[i].type > BTF_MAX_TYPE) {
				log_type(e, id, t, "var#%u Invalid type_id", i);
				return -EINVAL;
			}
			if (s[i].offset < last_end || s[i].offset >= t->size) {
				log_type(e, id, t, "var#%u Invalid offset", i);
				return -EINVAL;
			}
			if (!s[i].size || s[i].size > t->size) {
				log_type(e, id, t, "var#%u Invalid size", i);
				return -EINVAL;
			}
			last_end = (uint64_t)s[i].offset + s[i].size;
			if (last_end > t->size) {
				log_type(e, id, t, "var#%u Invalid offset+size", i);
				return -EINVAL;
			}
			sum += s[i].size;
		}
		if (t->size < sum) {
			log_type(e, id, t, "Invalid btf_info size");
			return -EINVAL;
		}
		break;
	}
	case BTF_KIND_FLOAT:
		if (t->size != 2 && t->size != 4 && t->size != 8 && t->size != 12 &&
		    t->size != 16) {
			log_type(e, id, t, "Invalid type_size");
			return -EINVAL;
		}
		log_type(e, id, t, "size=%u", t->size);
		break;
	case BTF_KIND_DECL_TAG: {
		const struct btf_decl_tag *d = extra_of(t);
		if (!btf->strings[t->name_off]) {
			log_type(e, id, t, "Invalid value");
			return -EINVAL;
		}
		if (d->component_idx < -1) {
			log_type(e, id, t, "Invalid component_idx");
			return -EINVAL;
		}
		if (t->type > BTF_MAX_TYPE) {
			log_type(e, id, t, "Invalid type_id");
			return -EINVAL;
		}
		log_type(e, id, t, "type=%u component_idx=%d", t->type, d->component_idx);
		break;
	}
	}
	return (int64_t)need;
}

static int check_all_metas(struct env *e)
{
	struct btf *btf = e->btf;
	const uint8_t *cur = btf->data + btf->hdr.hdr_len + btf->hdr.type_off;
	const uint8_t *end = cur + btf->hdr.type_len;

	btf->types_cap = 64;
	btf->types = kmalloc(btf->types_cap * sizeof(*btf->types));
	if (!btf->types)
		return -ENOMEM;
	btf->types[0] = NULL;
	btf->nr_types = 1;
	while (cur < end) {
		const struct btf_type *t = (const struct btf_type *)cur;
		uint32_t id = btf->nr_types, left = (uint32_t)(end - cur);
		if (left < sizeof(*t)) {
			env_log(e, "[%u] meta_left:%u meta_needed:%zu\n", id, left, sizeof(*t));
			return -EINVAL;
		}
		left -= sizeof(*t);
		if (t->info & ~BTF_INFO_MASK) {
			env_log(e, "[%u] Invalid btf_info:%x\n", id, t->info);
			return -EINVAL;
		}
		if (kind_of(t) > BTF_KIND_MAX || kind_of(t) == BTF_KIND_UNKN) {
			env_log(e, "[%u] Invalid kind:%u\n", id, kind_of(t));
			return -EINVAL;
		}
		if (!name_offset_valid(btf, t->name_off)) {
			env_log(e, "[%u] Invalid name_offset:%u\n", id, t->name_off);
			return -EINVAL;
		}
		int64_t extra = check_kind_meta(e, id, t, left);
		if (extra < 0)
			return (int)extra;
		int err = add_type(e, t);
		if (err)
			return err;
		cur += sizeof(*t) + (size_t)extra;
		if (id % TYPES_PER_PREEMPT == 0)
			preempt_point();
	}
	return 0;
}

/* ---- pass 2: references */

/*
 * Child i of id in graph g: 1 with *child (possibly 0 or out of range: the node's own check
 * reports it), or 0 when there are no more.
 */
static int child_of(const struct btf *btf, int g, uint32_t id, uint32_t i, uint32_t *child)
{
	const struct btf_type *t = btf->types[id];
	uint32_t k = kind_of(t);

	if (g == G_PTR) {
		if (i || !(k == BTF_KIND_PTR || is_modifier(t)))
			return 0;
		const struct btf_type *next = btf_type_by_id(btf, t->type);
		*child = next && (kind_of(next) == BTF_KIND_PTR || is_modifier(next)) ? t->type : 0;
		return 1;
	}
	if (is_modifier(t) || k == BTF_KIND_VAR) {
		*child = t->type;
		return i == 0;
	}
	switch (k) {
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = extra_of(t);
		*child = i == 0 ? a->type : a->index_type;
		return i < 2;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (i >= vlen_of(t))
			return 0;
		*child = ((const struct btf_member *)extra_of(t))[i].type;
		return 1;
	case BTF_KIND_DATASEC:
		if (i >= vlen_of(t))
			return 0;
		*child = ((const struct btf_var_secinfo *)extra_of(t))[i].type;
		return 1;
	}
	return 0;
}

/* A struct or union member, its type resolved: fits, aligned as its kind needs. */
static int check_member(struct env *e, uint32_t id, const struct btf_type *t, uint32_t i)
{
	const struct btf *btf = e->btf;
	const struct btf_member *m = &((const struct btf_member *)extra_of(t))[i];
	const struct btf_type *mt = skip_mods(btf, m->type, NULL);
	uint64_t bit_off = kflag_of(t) ? BTF_MEMBER_BIT_OFFSET(m->offset) : m->offset;
	uint32_t bf_size = kflag_of(t) ? BTF_MEMBER_BITFIELD_SIZE(m->offset) : 0;
	uint64_t struct_bits = (uint64_t)t->size * 8;

	if (!mt || is_sizeless(mt) || is_source_only(mt)) {
		log_type(e, id, t, "member#%u Invalid member", i);
		return -EINVAL;
	}
	if (bf_size) {
		if (kind_of(mt) != BTF_KIND_INT && !is_any_enum(mt)) {
			log_type(e, id, t, "member#%u Invalid member base type", i);
			return -EINVAL;
		}
		if (bf_size > mt->size * 8ull) {
			log_type(e, id, t, "member#%u Invalid member bitfield_size", i);
			return -EINVAL;
		}
		if (bit_off + bf_size > struct_bits) {
			log_type(e, id, t, "member#%u Member exceeds struct_size", i);
			return -EINVAL;
		}
		return 0;
	}
	if (kind_of(mt) == BTF_KIND_INT && !kflag_of(t)) {
		uint32_t v = *(const uint32_t *)extra_of(mt);
		uint64_t first = bit_off + BTF_INT_OFFSET(v);
		if (first + BTF_INT_BITS(v) > struct_bits) {
			log_type(e, id, t, "member#%u Member exceeds struct_size", i);
			return -EINVAL;
		}
		return 0;
	}
	if (kind_of(mt) == BTF_KIND_INT && !int_is_regular(mt)) {
		log_type(e, id, t, "member#%u Invalid member base type", i);
		return -EINVAL;
	}
	if (bit_off % 8) {
		log_type(e, id, t, "member#%u Member is not byte aligned", i);
		return -EINVAL;
	}
	if (bit_off / 8 + btf->sizes[m->type] > t->size) {
		log_type(e, id, t, "member#%u Member exceeds struct_size", i);
		return -EINVAL;
	}
	return 0;
}

/* Whether a modifier's or pointer's target is acceptable: void, a sized type, fwd, func_proto. */
static bool ref_target_ok(const struct btf *btf, uint32_t target)
{
	if (!target)
		return true;
	const struct btf_type *n = btf_type_by_id(btf, target);
	if (!n || is_source_only(n))
		return false;
	const struct btf_type *r = skip_mods(btf, target, NULL);
	return !r || kind_of(r) != BTF_KIND_FUNC;
}

/* Check type id, whose children in graph g are done; set its size (G_SIZE). */
static int finish(struct env *e, int g, uint32_t id)
{
	struct btf *btf = e->btf;
	const struct btf_type *t = btf->types[id];
	uint32_t k = kind_of(t);

	if (g == G_PTR) {
		if (k == BTF_KIND_PTR && !ref_target_ok(btf, t->type)) {
			log_type(e, id, t, "Invalid type_id");
			return -EINVAL;
		}
		return 0;
	}
	if (is_modifier(t)) {
		if (!ref_target_ok(btf, t->type)) {
			log_type(e, id, t, "Invalid type_id");
			return -EINVAL;
		}
		btf->sizes[id] = btf_type_size(btf, t->type);
		return 0;
	}
	switch (k) {
	case BTF_KIND_INT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FLOAT:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_DATASEC:
		btf->sizes[id] = t->size;
		break;
	case BTF_KIND_PTR:
		btf->sizes[id] = PTR_SIZE;
		break;
	}
	if (k == BTF_KIND_ARRAY) {
		const struct btf_array *a = extra_of(t);
		const struct btf_type *idx = skip_mods(btf, a->index_type, NULL);
		if (!btf_type_by_id(btf, a->index_type) || !idx || kind_of(idx) != BTF_KIND_INT ||
		    !int_is_regular(idx)) {
			log_type(e, id, t, "Invalid index");
			return -EINVAL;
		}
		const struct btf_type *n = btf_type_by_id(btf, a->type);
		const struct btf_type *elem = skip_mods(btf, a->type, NULL);
		if (!n || is_source_only(n) || !elem || is_sizeless(elem) || is_source_only(elem)) {
			log_type(e, id, t, "Invalid elem");
			return -EINVAL;
		}
		if (kind_of(elem) == BTF_KIND_INT && !int_is_regular(elem)) {
			log_type(e, id, t, "Invalid array of int");
			return -EINVAL;
		}
		uint32_t esize = btf->sizes[a->type];
		if (a->nelems && esize > UINT32_MAX / a->nelems) {
			log_type(e, id, t, "Array size overflows U32_MAX");
			return -EINVAL;
		}
		btf->sizes[id] = esize * a->nelems;
	} else if (is_composite(t)) {
		for (uint32_t i = 0; i < vlen_of(t); i++) {
			uint32_t mid = ((const struct btf_member *)extra_of(t))[i].type;
			if (mid >= btf->nr_types) {
				log_type(e, id, t, "member#%u Invalid member", i);
				return -EINVAL;
			}
			int err = check_member(e, id, t, i);
			if (err)
				return err;
		}
	} else if (k == BTF_KIND_VAR) {
		const struct btf_type *n = btf_type_by_id(btf, t->type);
		const struct btf_type *r = skip_mods(btf, t->type, NULL);
		if (!n || is_source_only(n) || !r || is_sizeless(r) || is_source_only(r)) {
			log_type(e, id, t, "Invalid type_id");
			return -EINVAL;
		}
		btf->sizes[id] = btf->sizes[t->type];
	} else if (k == BTF_KIND_DATASEC) {
		const struct btf_var_secinfo *s = extra_of(t);
		for (uint32_t i = 0; i < vlen_of(t); i++) {
			const struct btf_type *v = btf_type_by_id(btf, s[i].type);
			if (!v || kind_of(v) != BTF_KIND_VAR) {
				log_type(e, id, t, "var#%u Not a VAR kind member", i);
				return -EINVAL;
			}
			if (btf->sizes[s[i].type] > s[i].size) {
				log_type(e, id, t, "var#%u Invalid size", i);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* Depth-first walk of graph g from root: every type it reaches checked (finish), or an error. */
static int walk(struct env *e, int g, uint32_t root)
{
	struct {
		uint32_t id, next;
	} stack[MAX_RESOLVE_DEPTH];
	const struct btf *btf = e->btf;
	uint8_t *st = e->state[g];
	int top = 0, err = 0;

	if (st[root] == DONE)
		return 0;
	st[root] = ON_STACK;
	stack[top].id = root;
	stack[top++].next = 0;
	while (top && !err) {
		uint32_t id = stack[top - 1].id, c;
		if (!child_of(btf, g, id, stack[top - 1].next++, &c)) {
			err = finish(e, g, id);
			st[id] = DONE;
			top--;
			continue;
		}
		if (!c || c >= btf->nr_types || st[c] == DONE)
			continue;
		if (st[c] == ON_STACK) {
			log_type(e, root, btf->types[root], "Loop detected");
			return -EEXIST;
		}
		if (top == MAX_RESOLVE_DEPTH) {
			log_type(e, root, btf->types[root], "Exceeded max resolving depth:%u",
				 MAX_RESOLVE_DEPTH);
			return -E2BIG;
		}
		st[c] = ON_STACK;
		stack[top].id = c;
		stack[top++].next = 0;
	}
	return err;
}

/* A type with a size, or void when void_ok: what a prototype may return or take. */
static bool sized_or_void(const struct btf *btf, uint32_t id, bool void_ok)
{
	if (!id)
		return void_ok;
	const struct btf_type *n = btf_type_by_id(btf, id);
	if (!n || is_source_only(n))
		return false;
	const struct btf_type *r = skip_mods(btf, id, NULL);
	return r ? !is_sizeless(r) && !is_source_only(r) : void_ok;
}

static int check_func_proto(struct env *e, uint32_t id, const struct btf_type *t)
{
	const struct btf *btf = e->btf;
	const struct btf_param *p = extra_of(t);
	uint32_t n = vlen_of(t);

	if (!sized_or_void(btf, t->type, true)) {
		log_type(e, id, t, "Invalid return type");
		return -EINVAL;
	}
	if (n && !p[n - 1].type) { /* a trailing unnamed void: variadic */
		if (p[n - 1].name_off) {
			log_type(e, id, t, "Invalid arg#%u", n);
			return -EINVAL;
		}
		n--;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (!sized_or_void(btf, p[i].type, false) ||
		    (p[i].name_off && !name_valid(btf, p[i].name_off, false))) {
			log_type(e, id, t, "Invalid arg#%u", i + 1);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_func(struct env *e, uint32_t id, const struct btf_type *t)
{
	const struct btf *btf = e->btf;
	const struct btf_type *proto = btf_type_by_id(btf, t->type);

	if (!proto || kind_of(proto) != BTF_KIND_FUNC_PROTO) {
		log_type(e, id, t, "Invalid type_id");
		return -EINVAL;
	}
	const struct btf_param *p = extra_of(proto);
	for (uint32_t i = 0; i < vlen_of(proto); i++) {
		if (!p[i].name_off && p[i].type) {
			log_type(e, id, t, "Invalid arg#%u", i + 1);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_decl_tag(struct env *e, uint32_t id, const struct btf_type *t)
{
	const struct btf *btf = e->btf;
	const struct btf_type *n = btf_type_by_id(btf, t->type);
	int32_t idx = ((const struct btf_decl_tag *)extra_of(t))->component_idx;

	if (!n || !(kind_of(n) == BTF_KIND_FUNC || is_composite(n) || kind_of(n) == BTF_KIND_VAR ||
		    kind_of(n) == BTF_KIND_TYPEDEF)) {
		log_type(e, id, t, "Invalid type_id");
		return -EINVAL;
	}
	if (idx == -1)
		return 0;
	uint32_t vlen = 0;
	if (is_composite(n))
		vlen = vlen_of(n);
	/* check_func ran: a FUNC_PROTO */
	else if (kind_of(n) == BTF_KIND_FUNC)
		vlen = vlen_of(btf->types[n->type]);
	if ((uint32_t)idx >= vlen) {
		log_type(e, id, t, "Invalid component_idx");
		return -EINVAL;
	}
	return 0;
}

/*
 * Linux's btf_check_type_tags: along a chain of modifiers, type tags come first. Types are taken
 * in id order and a chain stops at an id already checked (good_id), so a long chain of typedefs
 * declared in order costs one step per type; a chain longer than MAX_CHAIN is refused.
 */
static int check_type_tags(struct env *e)
{
	const struct btf *btf = e->btf;
	uint32_t good_id = 0;

	for (uint32_t i = 1; i < btf->nr_types; i++) {
		const struct btf_type *t = btf->types[i];
		uint32_t cur = i;
		if (!is_modifier(t))
			continue;
		bool in_tags = kind_of(t) == BTF_KIND_TYPE_TAG;
		for (int n = 0; t && is_modifier(t); n++) {
			if (n == MAX_CHAIN) {
				env_log(e, "Max chain length or cycle detected\n");
				return -ELOOP;
			}
			if (kind_of(t) == BTF_KIND_TYPE_TAG && !in_tags) {
				env_log(e, "Type tags don't precede modifiers\n");
				return -EINVAL;
			}
			in_tags = in_tags && kind_of(t) == BTF_KIND_TYPE_TAG;
			if (cur <= good_id)
				break;
			cur = t->type;
			t = btf_type_by_id(btf, cur);
		}
		good_id = i;
	}
	return 0;
}

static int check_all_types(struct env *e)
{
	struct btf *btf = e->btf;
	uint32_t n = btf->nr_types;
	int err = 0;

	btf->sizes = kzalloc((size_t)n * sizeof(*btf->sizes));
	for (int g = 0; g < NGRAPHS; g++)
		e->state[g] = kzalloc(n);
	if (!btf->sizes || !e->state[G_SIZE] || !e->state[G_PTR])
		return -ENOMEM;
	for (uint32_t i = 1; !err && i < n; i++) {
		err = walk(e, G_SIZE, i);
		if (i % TYPES_PER_PREEMPT == 0)
			preempt_point();
	}
	for (uint32_t i = 1; !err && i < n; i++)
		if (kind_of(btf->types[i]) == BTF_KIND_PTR)
			err = walk(e, G_PTR, i);
	for (uint32_t i = 1; !err && i < n; i++) {
		const struct btf_type *t = btf->types[i];
		if (i % TYPES_PER_PREEMPT == 0)
			preempt_point();
		if (kind_of(t) == BTF_KIND_FUNC_PROTO)
			err = check_func_proto(e, i, t);
		else if (kind_of(t) == BTF_KIND_FUNC)
			err = check_func(e, i, t);
	}
	for (uint32_t i = 1; !err && i < n; i++)
		if (kind_of(btf->types[i]) == BTF_KIND_DECL_TAG)
			err = check_decl_tag(e, i, btf->types[i]);
	return err ? err : check_type_tags(e);
}

static int parse_type_sec(struct env *e)
{
	const struct btf_header *h = &e->btf->hdr;

	if (h->type_off & 3) {
		env_log(e, "Unaligned type_off\n");
		return -EINVAL;
	}
	if (!h->type_len) {
		env_log(e, "No type found\n");
		return -EINVAL;
	}
	int err = check_all_metas(e);
	return err ? err : check_all_types(e);
}

static void btf_free(struct btf *btf)
{
	if (btf->id)
		bpf_id_remove(&btf_ids, btf->id);
	kfree(btf->types);
	kfree(btf->sizes);
	kfree(btf->alloc);
	kfree(btf);
	__atomic_fetch_sub(&btfs_live, 1, __ATOMIC_RELAXED);
}

/* The parse proper, into e->btf (allocated); the log is the caller's to finalize. */
static int parse(struct env *e, const void *data, uint32_t size, btf_copy_fn copy)
{
	struct btf *btf = e->btf;
	uint32_t hdr_len = 0;

	/*
	 * Copy, then move the copy so that its type section (hdr_len + a 4-aligned type_off) is
	 * 4-aligned; the 4 spare bytes make room for that and keep a 0-byte blob a valid allocation.
	 */
	btf->alloc = kmalloc((size_t)size + 4);
	if (!btf->alloc)
		return -ENOMEM;
	if (copy(btf->alloc, data, size))
		return -EFAULT;
	if (size >= offsetof(struct btf_header, hdr_len) + sizeof(hdr_len))
		memcpy(&hdr_len, btf->alloc + offsetof(struct btf_header, hdr_len),
		       sizeof(hdr_len));
	uint32_t shift = (4 - (hdr_len & 3)) & 3;
	if (shift)
		memmove(btf->alloc + shift, btf->alloc, size);
	btf->data = btf->alloc + shift;
	btf->data_size = size;
	int err = parse_hdr(e);
	if (!err)
		err = parse_str_sec(e);
	if (!err)
		err = parse_type_sec(e);
	return err;
}

static int parse_common(const void *data, uint32_t size, btf_copy_fn copy, struct btf_log_attr *log,
			struct btf **out)
{
	struct env e = {0};
	uint32_t true_size;

	*out = NULL;
	if (size > BTF_MAX_SIZE)
		return -E2BIG;
	if (log && !bpf_verifier_log_attr_valid(log->buf != NULL, log->size, log->level))
		return -EINVAL;
	if (log) {
		e.log = (struct blog){.buf = log->buf, .size = log->size, .level = log->level};
		log->true_size = 0;
	}
	e.btf = kzalloc(sizeof(*e.btf));
	if (!e.btf)
		return -ENOMEM;
	__atomic_fetch_add(&btfs_live, 1, __ATOMIC_RELAXED);
	e.btf->refcnt = 1;
	int err = parse(&e, data, size, copy);
	kfree(e.state[G_SIZE]);
	kfree(e.state[G_PTR]);
	int lerr = blog_finalize(&e.log, &true_size);
	if (log)
		log->true_size = true_size;
	if (lerr)
		err = lerr;
	if (err) {
		btf_free(e.btf);
		return err;
	}
	*out = e.btf;
	return 0;
}

static int copy_kernel(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	return 0;
}

int btf_parse(const void *data, uint32_t size, struct btf_log_attr *log, struct btf **out)
{
	return parse_common(data, size, copy_kernel, log, out);
}

int btf_parse_copy(const void *src, uint32_t size, btf_copy_fn copy, struct btf_log_attr *log,
		   struct btf **out)
{
	return parse_common(src, size, copy, log, out);
}

int btf_parse_kernel(const void *data, uint32_t size, const char *name, struct btf **out)
{
	int err = parse_common(data, size, copy_kernel, NULL, out);

	if (!err) {
		(*out)->kernel = true;
		for (size_t i = 0; name[i] && i + 1 < BTF_NAME_LEN; i++)
			(*out)->name[i] = name[i];
	}
	return err;
}

/* ---------------------------------------------------------------------------------------------
 * References and ids
 */

void btf_get(struct btf *btf)
{
	__atomic_fetch_add(&btf->refcnt, 1, __ATOMIC_RELAXED);
}

void btf_put(struct btf *btf)
{
	if (__atomic_sub_fetch(&btf->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		btf_free(btf);
}

int btf_publish(struct btf *btf)
{
	uint32_t id;
	int err = bpf_id_alloc(&btf_ids, btf, &id);

	if (!err)
		__atomic_store_n(&btf->id, id, __ATOMIC_RELEASE);
	return err;
}

static bool btf_get_not_zero(void *obj)
{
	return bpf_ref_get_not_zero(&((struct btf *)obj)->refcnt);
}

int btf_get_by_id(uint32_t id, struct btf **out)
{
	struct btf *btf = bpf_id_get(&btf_ids, id, btf_get_not_zero);

	if (!btf)
		return -ENOENT;
	*out = btf;
	return 0;
}

int btf_get_next_id(uint32_t start, uint32_t *next)
{
	return bpf_id_next(&btf_ids, start, next);
}

size_t btf_objs_live(void)
{
	return __atomic_load_n(&btfs_live, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------------------------------------
 * Struct access
 */

int btf_struct_access(const struct btf *btf, uint32_t struct_id, uint32_t off, uint32_t size,
		      struct btf_access *out)
{
	const struct btf_type *t = skip_mods(btf, struct_id, NULL);
	uint32_t base = 0;

	if (!size)
		return -EACCES;
	/* Each round descends one level: into a member's struct, or an array's element. */
	for (uint32_t depth = 0; t && depth < btf->nr_types; depth++) {
		if (!is_composite(t))
			return -EACCES;
		const struct btf_member *m = extra_of(t);
		const struct btf_type *next = NULL;
		uint32_t i;
		for (i = 0; i < vlen_of(t); i++) {
			uint32_t bit_off =
				kflag_of(t) ? BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset;
			uint32_t msize = btf->sizes[m[i].type];
			const struct btf_type *mt = skip_mods(btf, m[i].type, NULL);
			bool bitfield = (kflag_of(t) && BTF_MEMBER_BITFIELD_SIZE(m[i].offset)) ||
					(mt && kind_of(mt) == BTF_KIND_INT && !int_is_regular(mt));
			uint32_t moff = bit_off / 8;
			if (bitfield || bit_off % 8 || off < moff ||
			    (uint64_t)off + size > (uint64_t)moff + msize)
				continue;
			out->member_id = m[i].type;
			out->member_off = base + moff;
			out->btf_id = 0;
			off -= moff;
			base += moff;
			/*
			 * Arrays: into the element the access starts in. An array of numbers is
			 * scratch space, as Linux's btf_struct_walk allows: any bytes within it;
			 * a struct or pointer element must hold all of them.
			 */
			uint32_t elem_id = m[i].type;
			while (mt && kind_of(mt) == BTF_KIND_ARRAY) {
				const struct btf_array *a = extra_of(mt);
				const struct btf_type *et = skip_mods(btf, a->type, NULL);
				uint32_t esize = btf->sizes[a->type];
				bool scalar = et && !is_composite(et) &&
					      kind_of(et) != BTF_KIND_PTR &&
					      kind_of(et) != BTF_KIND_ARRAY;
				if (!esize || (!scalar && off / esize != (off + size - 1) / esize))
					return -EACCES;
				base += off / esize * esize;
				off %= esize;
				elem_id = a->type;
				out->member_id = elem_id;
				out->member_off = base;
				mt = et;
				if (scalar)
					return 0;
			}
			if (mt && is_composite(mt)) {
				next = mt;
				break;
			}
			if (mt && kind_of(mt) == BTF_KIND_PTR) {
				if (off || size != PTR_SIZE)
					return -EACCES;
				out->btf_id = btf_ptr_struct_target(btf, elem_id);
			}
			return 0;
		}
		if (!next)
			return -EACCES;
		t = next;
	}
	return -EACCES;
}

/* ---------------------------------------------------------------------------------------------
 * Invariants
 */

const char *btf_check(const struct btf *btf)
{
	if (!btf->nr_types || btf->types[0] || !btf->sizes)
		return "types[0] is not void";
	if (btf->strings[btf->hdr.str_len - 1] || btf->strings[0])
		return "string section not NUL-bounded";
	for (uint32_t i = 1; i < btf->nr_types; i++) {
		const struct btf_type *t = btf->types[i];
		const uint8_t *p = (const uint8_t *)t;
		if (p < btf->data + btf->hdr.hdr_len + btf->hdr.type_off ||
		    p + sizeof(*t) >
			    btf->data + btf->hdr.hdr_len + btf->hdr.type_off + btf->hdr.type_len)
			return "a type outside the type section";
		if ((uintptr_t)p % 4)
			return "a misaligned type";
		if (t->name_off >= btf->hdr.str_len)
			return "a name outside the string section";
		uint32_t k = kind_of(t);
		if (k == BTF_KIND_PTR && btf->sizes[i] != PTR_SIZE)
			return "a pointer whose size is not 8";
		if ((is_composite(t) || k == BTF_KIND_INT) && btf->sizes[i] != t->size)
			return "a size that is not the type's";
		if (is_modifier(t) && btf->sizes[i] != btf_type_size(btf, t->type))
			return "a modifier's size differs from its target's";
	}
	return NULL;
}
