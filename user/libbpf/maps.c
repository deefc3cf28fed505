/*
 * Maps: BTF-defined maps of .maps (libbpf's __uint/__type encoding read from the object's BTF),
 * global data (each .data*, .rodata*, .bss* section one single-element BPF_F_MMAPABLE ARRAY, as
 * libbpf makes them), their creation at load, and the bpf_map accessors.
 *
 * Global data: at open each data map gets an anonymous mapping holding the section's bytes (the
 * skeleton's obj->data/rodata/bss point there, so a program's constants can be set before load).
 * At load the map is created, filled from that image, frozen if it is .rodata*, and mmapped over
 * the image's address (MAP_FIXED), so the same pointers then show the map itself: read-only for
 * .rodata*, shared with the programs for the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libbpf_internal.h"

#define PAGE_SIZE 4096ul

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.';
}

/* The kernel name of a map (15 bytes at most, characters the kernel accepts). */
static void set_name(struct bpf_map *map, const char *pfx, size_t pfx_len, const char *name)
{
	snprintf(map->name, sizeof(map->name), "%.*s%s", (int)pfx_len, pfx, name);
	for (char *p = map->name; *p; p++)
		if (!name_char_ok(*p))
			*p = '_';
}

static struct bpf_map *new_map(struct bpf_object *obj)
{
	struct bpf_map *maps = realloc(obj->maps, (obj->nr_maps + 1) * sizeof(*maps));

	if (!maps)
		return NULL;
	obj->maps = maps;
	struct bpf_map *m = &maps[obj->nr_maps++];
	memset(m, 0, sizeof(*m));
	m->obj = obj;
	m->fd = -1;
	return m;
}

/* ---------------------------------------------------------------------------------------------
 * .maps
 */

/* __uint(name, v) is `int (*name)[v]`: v, or -1 if the member is not of that shape. */
static int64_t def_uint(const struct btf *btf, uint32_t type)
{
	const struct btf_type *t = btf_skip_mods_typedefs(btf, type, NULL);

	if (!t || btf_kind(t) != BTF_KIND_PTR)
		return -1;
	t = btf_skip_mods_typedefs(btf, t->type, NULL);
	if (!t || btf_kind(t) != BTF_KIND_ARRAY)
		return -1;
	return btf_array(t)->nelems;
}

/* The ELF symbol of map variable name in .maps: its offset and size. */
static int def_symbol(const struct bpf_object *obj, const char *name, uint64_t *off, uint64_t *size)
{
	const struct elf_file *ef = &obj->elf;

	for (uint32_t i = 1; i < ef->nr_syms; i++) {
		const struct elf64_sym *s = &ef->syms[i];
		if (s->st_shndx == obj->maps_sec && !strcmp(elf_sym_name(ef, s), name)) {
			*off = s->st_value;
			*size = s->st_size;
			return 0;
		}
	}
	return -ENOENT;
}

/* One member of a map definition struct. */
static int def_member(struct bpf_map *map, const struct btf *btf, const char *mname, uint32_t mtype)
{
	int64_t v = -1;

	if (!strcmp(mname, "key") || !strcmp(mname, "value")) {
		const struct btf_type *t = btf_skip_mods_typedefs(btf, mtype, NULL);
		if (!t || btf_kind(t) != BTF_KIND_PTR)
			goto bad;
		int64_t sz = btf_resolve_size(btf, t->type);
		if (sz <= 0 || sz > UINT32_MAX)
			goto bad;
		uint32_t *size = mname[0] == 'k' ? &map->key_size : &map->value_size;
		uint32_t *id = mname[0] == 'k' ? &map->btf_key_type_id : &map->btf_value_type_id;
		if (*size && *size != (uint64_t)sz) {
			pr_warn("map '%s': %s size %u and %s type of size %lld disagree\n",
				map->real_name, mname, *size, mname, (long long)sz);
			return -EINVAL;
		}
		*size = (uint32_t)sz;
		*id = t->type;
		return 0;
	}
	if (!strcmp(mname, "values")) {
		pr_warn("map '%s': map-in-map and prog-array initial values are not supported\n",
			map->real_name);
		return -EOPNOTSUPP;
	}
	v = def_uint(btf, mtype);
	if (v < 0)
		goto bad;
	if (!strcmp(mname, "type"))
		map->type = (uint32_t)v;
	else if (!strcmp(mname, "max_entries"))
		map->max_entries = (uint32_t)v;
	else if (!strcmp(mname, "map_flags"))
		map->map_flags = (uint32_t)v;
	else if (!strcmp(mname, "numa_node"))
		map->numa_node = (uint32_t)v;
	else if (!strcmp(mname, "map_extra"))
		map->map_extra = (uint64_t)v;
	else if (!strcmp(mname, "key_size") || !strcmp(mname, "value_size")) {
		uint32_t *size = mname[0] == 'k' ? &map->key_size : &map->value_size;
		if (*size && *size != v) {
			pr_warn("map '%s': %s %lld and the %.*s type's size %u disagree\n",
				map->real_name, mname, (long long)v, mname[0] == 'k' ? 3 : 5, mname,
				*size);
			return -EINVAL;
		}
		*size = (uint32_t)v;
	} else if (!strcmp(mname, "pinning")) {
		if (v) {
			pr_warn("map '%s': pinning is not supported (no BPF file system)\n",
				map->real_name);
			return -EOPNOTSUPP;
		}
	} else {
		pr_warn("map '%s': unknown field '%s'\n", map->real_name, mname);
		return -EOPNOTSUPP;
	}
	return 0;
bad:
	pr_warn("map '%s': field '%s' is malformed\n", map->real_name, mname);
	return -EINVAL;
}

int maps_collect_btf_defs(struct bpf_object *obj)
{
	const struct btf *btf = obj->btf;

	if (!obj->maps_sec)
		return 0;
	if (!btf) {
		pr_warn("elf: object '%s' has map definitions (.maps) but no BTF to read them\n",
			obj->name);
		return -EINVAL;
	}
	int ds = btf_find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC);
	if (ds < 0) {
		pr_warn("elf: object '%s': no DATASEC '.maps' in its BTF\n", obj->name);
		return -EINVAL;
	}
	const struct btf_type *sec = btf_type_by_id(btf, (uint32_t)ds);
	for (uint16_t i = 0; i < btf_vlen(sec); i++) {
		const struct btf_type *var = btf_type_by_id(btf, btf_var_secinfos(sec)[i].type);
		const char *name = btf_str(btf, var->name_off);
		uint64_t off, size;

		if (btf_kind(var) != BTF_KIND_VAR || !name[0] ||
		    def_symbol(obj, name, &off, &size)) {
			pr_warn("elf: object '%s': entry %u of '.maps' is not a map variable with a symbol\n",
				obj->name, i);
			return -EINVAL;
		}
		const struct btf_type *def = btf_skip_mods_typedefs(btf, var->type, NULL);
		if (!def || btf_kind(def) != BTF_KIND_STRUCT) {
			pr_warn("map '%s': its definition is not a struct\n", name);
			return -EINVAL;
		}
		struct bpf_map *map = new_map(obj);
		if (!map)
			return -ENOMEM;
		map->kind = MAP_BTF_DEF;
		map->real_name = name;
		map->sec = obj->maps_sec;
		map->sec_off = off;
		set_name(map, "", 0, name);
		for (uint16_t k = 0; k < btf_vlen(def); k++) {
			int r = def_member(map, btf, btf_str(btf, btf_members(def)[k].name_off),
					   btf_members(def)[k].type);
			if (r)
				return r;
		}
		if (!map->type) {
			pr_warn("map '%s': no map type\n", name);
			return -EINVAL;
		}
	}
	for (uint32_t i = 0; i < obj->nr_maps; i++)
		for (uint32_t k = 0; k < i; k++)
			if (obj->maps[i].sec_off == obj->maps[k].sec_off) {
				pr_warn("map '%s': shares its definition with map '%s'\n",
					obj->maps[i].real_name, obj->maps[k].real_name);
				return -EINVAL;
			}
	return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Global data
 */
static bool has_prefix(const char *s, const char *p)
{
	size_t n = strlen(p);

	return !strncmp(s, p, n) && (s[n] == 0 || s[n] == '.');
}

/* The kind of global data section name is, or -1. */
static int data_kind(const char *name)
{
	if (has_prefix(name, ".data"))
		return MAP_DATA;
	if (has_prefix(name, ".rodata"))
		return MAP_RODATA;
	if (has_prefix(name, ".bss"))
		return MAP_BSS;
	return -1;
}

int maps_collect_data(struct bpf_object *obj)
{
	const struct elf_file *ef = &obj->elf;

	for (uint32_t i = 1; i < ef->nr_secs; i++) {
		const struct elf_sec *s = &ef->secs[i];
		int kind = data_kind(s->name);

		if (kind < 0 || !(s->flags & SHF_ALLOC) ||
		    (s->type != SHT_PROGBITS && s->type != SHT_NOBITS) || s->size == 0)
			continue;
		if (s->size > UINT32_MAX - PAGE_SIZE) {
			pr_warn("map '%s': section too large\n", s->name);
			return -E2BIG;
		}
		struct bpf_map *map = new_map(obj);
		if (!map)
			return -ENOMEM;
		map->kind = (enum map_kind)kind;
		map->real_name = s->name;
		map->sec = i;
		map->type = BPF_MAP_TYPE_ARRAY;
		map->key_size = sizeof(uint32_t);
		map->value_size = (uint32_t)s->size;
		map->max_entries = 1;
		map->map_flags = BPF_F_MMAPABLE | (kind == MAP_RODATA ? BPF_F_RDONLY_PROG : 0);
		/*
		 * libbpf's names: "<object>.<section>" with the object's name cut so that at least seven
		 * characters are left for the section; a section with a second dot ("rodata.str1.1")
		 * goes without the object's name.
		 */
		size_t sfx = strlen(s->name) > 7 ? strlen(s->name) : 7, pfx = 0;
		if (!strchr(s->name + 1, '.') && sfx < BPF_OBJ_NAME_LEN - 1)
			pfx = BPF_OBJ_NAME_LEN - 1 - sfx;
		if (pfx > strlen(obj->name))
			pfx = strlen(obj->name);
		set_name(map, obj->name, pfx, s->name);
		if (obj->btf) {
			int ds = btf_find_by_name_kind(obj->btf, s->name, BTF_KIND_DATASEC);
			map->btf_value_type_id = ds > 0 ? (uint32_t)ds : 0;
		}
		map->mmap_sz = (s->size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		void *p = mmap(NULL, map->mmap_sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON,
			       -1, 0);
		if (p == MAP_FAILED)
			return -ENOMEM;
		map->mmaped = p;
		if (s->type == SHT_PROGBITS)
			memcpy(p, s->data, s->size);
	}
	return 0;
}

int maps_of_data_sec(const struct bpf_object *obj, uint32_t sec)
{
	for (uint32_t i = 0; i < obj->nr_maps; i++)
		if (obj->maps[i].kind != MAP_BTF_DEF && obj->maps[i].sec == sec)
			return (int)i;
	return -1;
}

/* ---------------------------------------------------------------------------------------------
 * Creation
 */
static int create_one(struct bpf_object *obj, struct bpf_map *map)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = map->map_flags,
		    .numa_node = map->numa_node, .map_extra = map->map_extra);
	int fd = -1;

	if (obj->btf_fd >= 0 && map->btf_value_type_id) {
		opts.btf_fd = (uint32_t)obj->btf_fd;
		opts.btf_key_type_id = map->btf_key_type_id;
		opts.btf_value_type_id = map->btf_value_type_id;
		fd = bpf_map_create(map->type, map->name, map->key_size, map->value_size,
				    map->max_entries, &opts);
		if (fd < 0)
			pr_debug("map '%s': creation with BTF failed (%s), retrying without\n",
				 map->real_name, libbpf_errstr(fd));
		opts.btf_fd = opts.btf_key_type_id = opts.btf_value_type_id = 0;
	}
	if (fd < 0)
		fd = bpf_map_create(map->type, map->name, map->key_size, map->value_size,
				    map->max_entries, &opts);
	if (fd < 0) {
		pr_warn("map '%s': failed to create: %s (type %u, key %u, value %u, max_entries %u, flags 0x%x)\n",
			map->real_name, libbpf_errstr(fd), map->type, map->key_size,
			map->value_size, map->max_entries, map->map_flags);
		return fd;
	}
	map->fd = fd;
	if (map->kind == MAP_BTF_DEF)
		return 0;

	uint32_t zero = 0;
	int r = bpf_map_update_elem(fd, &zero, map->mmaped, 0);
	if (r) {
		pr_warn("map '%s': failed to set its initial value: %s\n", map->real_name,
			libbpf_errstr(r));
		return r;
	}
	if (map->kind == MAP_RODATA) {
		r = bpf_map_freeze(fd);
		if (r) {
			pr_warn("map '%s': failed to freeze: %s\n", map->real_name,
				libbpf_errstr(r));
			return r;
		}
	}
	int prot = map->kind == MAP_RODATA ? PROT_READ : PROT_READ | PROT_WRITE;
	void *p = mmap(map->mmaped, map->mmap_sz, prot, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		r = -errno;
		pr_warn("map '%s': failed to mmap: %s\n", map->real_name, libbpf_errstr(r));
		return r;
	}
	return 0;
}

int maps_create(struct bpf_object *obj)
{
	for (uint32_t i = 0; i < obj->nr_maps; i++) {
		int r = create_one(obj, &obj->maps[i]);
		if (r)
			return r;
	}
	return 0;
}

void maps_release(struct bpf_object *obj)
{
	for (uint32_t i = 0; obj->maps && i < obj->nr_maps; i++) {
		if (obj->maps[i].fd >= 0)
			close(obj->maps[i].fd);
		obj->maps[i].fd = -1;
	}
}

/* ---------------------------------------------------------------------------------------------
 * Accessors
 */
int bpf_map__fd(const struct bpf_map *map)
{
	if (!map || map->fd < 0)
		return libbpf_err(-EINVAL);
	return map->fd;
}

const char *bpf_map__name(const struct bpf_map *map)
{
	return map->kind == MAP_BTF_DEF ? map->real_name : map->name;
}

#define MAP_SETTER(field, type_)                               \
	int bpf_map__set_##field(struct bpf_map *map, type_ v) \
	{                                                      \
		if (map->obj->loaded)                          \
			return libbpf_err(-EBUSY);             \
		map->field = v;                                \
		return 0;                                      \
	}

enum bpf_map_type bpf_map__type(const struct bpf_map *map)
{
	return (enum bpf_map_type)map->type;
}

__u32 bpf_map__max_entries(const struct bpf_map *map)
{
	return map->max_entries;
}

__u32 bpf_map__map_flags(const struct bpf_map *map)
{
	return map->map_flags;
}

__u32 bpf_map__key_size(const struct bpf_map *map)
{
	return map->key_size;
}

__u32 bpf_map__value_size(const struct bpf_map *map)
{
	return map->value_size;
}

int bpf_map__set_type(struct bpf_map *map, enum bpf_map_type type)
{
	if (map->obj->loaded)
		return libbpf_err(-EBUSY);
	map->type = type;
	return 0;
}

MAP_SETTER(max_entries, __u32)
MAP_SETTER(map_flags, __u32)
MAP_SETTER(key_size, __u32)

int bpf_map__set_value_size(struct bpf_map *map, __u32 size)
{
	if (map->obj->loaded)
		return libbpf_err(-EBUSY);
	if (map->kind != MAP_BTF_DEF) {
		pr_warn("map '%s': a global-data map's size is its section's\n", map->real_name);
		return libbpf_err(-EINVAL);
	}
	map->value_size = size;
	return 0;
}

bool bpf_map__is_internal(const struct bpf_map *map)
{
	return map->kind != MAP_BTF_DEF;
}

const void *bpf_map__initial_value(struct bpf_map *map, size_t *psize)
{
	if (!map->mmaped)
		return NULL;
	*psize = map->value_size;
	return map->mmaped;
}

int bpf_map__set_initial_value(struct bpf_map *map, const void *data, size_t size)
{
	if (map->obj->loaded)
		return libbpf_err(-EBUSY);
	if (!map->mmaped || size != map->value_size)
		return libbpf_err(-EINVAL);
	memcpy(map->mmaped, data, size);
	return 0;
}

/* The value buffer size an element call needs: per-CPU maps hold one rounded value per CPU. */
static size_t elem_value_size(const struct bpf_map *map)
{
	switch (map->type) {
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
		return (((size_t)map->value_size + 7) & ~(size_t)7) *
		       (size_t)libbpf_num_possible_cpus();
	default:
		return map->value_size;
	}
}

static int check_sizes(const struct bpf_map *map, size_t key_sz, const size_t *value_sz)
{
	if (map->fd < 0) {
		pr_warn("map '%s': not created yet\n", map->real_name);
		return -ENOENT;
	}
	if (key_sz != map->key_size) {
		pr_warn("map '%s': key size %zu, expected %u\n", map->real_name, key_sz,
			map->key_size);
		return -EINVAL;
	}
	if (value_sz && *value_sz != elem_value_size(map)) {
		pr_warn("map '%s': value size %zu, expected %zu\n", map->real_name, *value_sz,
			elem_value_size(map));
		return -EINVAL;
	}
	return 0;
}

int bpf_map__lookup_elem(const struct bpf_map *map, const void *key, size_t key_sz, void *value,
			 size_t value_sz, __u64 flags)
{
	int r = check_sizes(map, key_sz, &value_sz);

	return r ? libbpf_err(r) : bpf_map_lookup_elem_flags(map->fd, key, value, flags);
}

int bpf_map__update_elem(const struct bpf_map *map, const void *key, size_t key_sz,
			 const void *value, size_t value_sz, __u64 flags)
{
	int r = check_sizes(map, key_sz, &value_sz);

	return r ? libbpf_err(r) : bpf_map_update_elem(map->fd, key, value, flags);
}

int bpf_map__delete_elem(const struct bpf_map *map, const void *key, size_t key_sz, __u64 flags)
{
	int r = check_sizes(map, key_sz, NULL);

	if (r)
		return libbpf_err(r);
	if (flags)
		return libbpf_err(-EINVAL);
	return bpf_map_delete_elem(map->fd, key);
}

int bpf_map__get_next_key(const struct bpf_map *map, const void *cur_key, void *next_key,
			  size_t key_sz)
{
	int r = check_sizes(map, key_sz, NULL);

	return r ? libbpf_err(r) : bpf_map_get_next_key(map->fd, cur_key, next_key);
}
