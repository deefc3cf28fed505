/*
 * bpf_object__open_mem and bpf_object__close: the ELF object read into a bpf_object. Opening
 * takes a private copy of the buffer and reads, in order: the license and version, the BTF and
 * .BTF.ext, the code sections and their functions (programs and subprograms, program.c), the maps
 * (maps.c), the externs (extern.c) and every relocation of the code sections. Anything malformed
 * fails the open with a message naming the section, symbol or relocation; nothing reaches the
 * kernel before bpf_object__load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libbpf_internal.h"

#define BPF_INSN_SZ 8

static bool is_ldimm64(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW);
}

static bool is_call(const struct bpf_insn *insn)
{
	return insn->code == (BPF_JMP | BPF_CALL);
}

/* The license (at most 127 bytes, cut at its NUL) and the kernel version sections. */
static int read_license_version(struct bpf_object *obj)
{
	uint32_t sec = elf_find_sec(&obj->elf, "license");

	if (sec && obj->elf.secs[sec].data) {
		const struct elf_sec *s = &obj->elf.secs[sec];
		size_t n = s->size < sizeof(obj->license) - 1 ? s->size : sizeof(obj->license) - 1;
		memcpy(obj->license, s->data, n);
		obj->license[n] = 0;
	}
	sec = elf_find_sec(&obj->elf, "version");
	if (sec) {
		const struct elf_sec *s = &obj->elf.secs[sec];
		if (s->size != sizeof(uint32_t) || !s->data) {
			pr_warn("elf: section 'version' has size %llu, not 4\n",
				(unsigned long long)s->size);
			return -EINVAL;
		}
		memcpy(&obj->kern_version, s->data, sizeof(uint32_t));
	}
	return 0;
}

/*
 * .BTF and .BTF.ext. A malformed .BTF is an error only when something needs it (BTF-defined maps,
 * externs, CO-RE), as libbpf: otherwise the object loads without it.
 */
static int read_btf(struct bpf_object *obj)
{
	uint32_t sec = elf_find_sec(&obj->elf, ".BTF");
	uint32_t ext = elf_find_sec(&obj->elf, ".BTF.ext");
	const char *why;
	int r;

	if (!sec)
		return 0;
	const struct elf_sec *s = &obj->elf.secs[sec];
	r = btf_parse(s->data, s->size, &obj->btf, &why);
	if (r) {
		pr_warn("elf: section '.BTF': %s\n", why);
		return obj->maps_sec || ext ? r : 0;
	}
	if (!ext)
		return 0;
	s = &obj->elf.secs[ext];
	r = btf_ext_parse(s->data, s->size, obj->btf, &obj->btf_ext, &why);
	if (r)
		pr_warn("elf: section '.BTF.ext': %s\n", why);
	return r;
}

/* Copies every code section's instructions into aligned memory. */
static int read_code(struct bpf_object *obj)
{
	const struct elf_file *ef = &obj->elf;

	obj->code = calloc(ef->nr_secs, sizeof(*obj->code));
	if (!obj->code)
		return -ENOMEM;
	for (uint32_t i = 1; i < ef->nr_secs; i++) {
		const struct elf_sec *s = &ef->secs[i];

		if (s->type != SHT_PROGBITS || !(s->flags & SHF_EXECINSTR) || !s->size)
			continue;
		if (s->size % BPF_INSN_SZ || s->size / BPF_INSN_SZ > UINT32_MAX) {
			pr_warn("elf: section '%s' is not a whole number of instructions\n",
				s->name);
			return -EINVAL;
		}
		obj->code[i].insns = malloc(s->size);
		if (!obj->code[i].insns)
			return -ENOMEM;
		memcpy(obj->code[i].insns, s->data, s->size);
		obj->code[i].insn_cnt = (uint32_t)(s->size / BPF_INSN_SZ);
		if (!strcmp(s->name, ".text"))
			obj->text_sec = i;
	}
	return 0;
}

const struct code_func *obj_func_at(const struct bpf_object *obj, uint32_t sec, uint32_t insn)
{
	uint32_t lo = 0, hi = obj->nr_funcs;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct code_func *f = &obj->funcs[mid];

		if (f->sec < sec || (f->sec == sec && f->off + f->cnt <= insn))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < obj->nr_funcs && obj->funcs[lo].sec == sec && obj->funcs[lo].off <= insn &&
	    insn < obj->funcs[lo].off + obj->funcs[lo].cnt)
		return &obj->funcs[lo];
	return NULL;
}

const struct reloc *obj_reloc_at(const struct bpf_object *obj, uint32_t sec, uint32_t insn)
{
	const struct code_sec *cs = &obj->code[sec];
	uint32_t lo = 0, hi = cs->nr_relocs;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (cs->relocs[mid].insn < insn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < cs->nr_relocs && cs->relocs[lo].insn == insn ? &cs->relocs[lo] : NULL;
}

static int extern_by_name(const struct bpf_object *obj, const char *name)
{
	for (uint32_t i = 0; i < obj->nr_externs; i++)
		if (!strcmp(obj->externs[i].name, name))
			return (int)i;
	return -1;
}

/* One REL entry of code section sec into *r: -EINVAL with a message for anything unexpected. */
static int read_reloc(struct bpf_object *obj, uint32_t sec, const struct elf64_rel *rel,
		      struct reloc *r)
{
	const struct elf_file *ef = &obj->elf;
	const struct code_sec *cs = &obj->code[sec];
	const char *sname = ef->secs[sec].name;
	uint32_t symi = ELF_R_SYM(rel->r_info), type = ELF_R_TYPE(rel->r_info);

	if (rel->r_offset % BPF_INSN_SZ || rel->r_offset / BPF_INSN_SZ >= cs->insn_cnt) {
		pr_warn("elf: section '%s': relocation at bad offset %llu\n", sname,
			(unsigned long long)rel->r_offset);
		return -EINVAL;
	}
	if (symi == 0 || symi >= ef->nr_syms) {
		pr_warn("elf: section '%s': relocation with bad symbol index %u\n", sname, symi);
		return -EINVAL;
	}
	const struct elf64_sym *sym = &ef->syms[symi];
	const char *name = elf_sym_name(ef, sym);
	uint32_t idx = (uint32_t)(rel->r_offset / BPF_INSN_SZ);
	const struct bpf_insn *insn = &cs->insns[idx];

	memset(r, 0, sizeof(*r));
	r->insn = idx;
	if (type == R_BPF_64_64 && (!is_ldimm64(insn) || idx + 1 >= cs->insn_cnt)) {
		pr_warn("elf: section '%s': R_BPF_64_64 relocation of '%s' at insn %u is not on an ld_imm64\n",
			sname, name, idx);
		return -EINVAL;
	}
	if (type == R_BPF_64_32 && !is_call(insn)) {
		pr_warn("elf: section '%s': R_BPF_64_32 relocation of '%s' at insn %u is not on a call\n",
			sname, name, idx);
		return -EINVAL;
	}
	if (type != R_BPF_64_64 && type != R_BPF_64_32) {
		pr_warn("elf: section '%s': relocation type %u of '%s' at insn %u is not supported\n",
			sname, type, name, idx);
		return -EINVAL;
	}

	if (sym->st_shndx == SHN_UNDEF) {
		int e = extern_by_name(obj, name);
		if (e < 0 || (type == R_BPF_64_32 && !obj->externs[e].is_func)) {
			pr_warn("elf: section '%s': insn %u refers to unknown extern '%s'\n", sname,
				idx, name);
			return -EINVAL;
		}
		r->kind = RELO_EXTERN;
		r->ext = (uint32_t)e;
		return 0;
	}
	if (sym->st_shndx >= ef->nr_secs) {
		pr_warn("elf: section '%s': insn %u refers to '%s' in section %u, which is not one\n",
			sname, idx, name, sym->st_shndx);
		return -EINVAL;
	}
	uint32_t tsec = sym->st_shndx;
	if (obj->code[tsec].insns) {
		/* A BPF function: the target is an instruction of its section. */
		int64_t t = type == R_BPF_64_32
				    ? (int64_t)(sym->st_value / BPF_INSN_SZ) + insn->imm + 1
				    : ((int64_t)sym->st_value + insn->imm) / BPF_INSN_SZ;
		if (sym->st_value % BPF_INSN_SZ ||
		    (type == R_BPF_64_64 && insn->imm % BPF_INSN_SZ) || t < 0 ||
		    t >= obj->code[tsec].insn_cnt) {
			pr_warn("elf: section '%s': insn %u calls '%s' outside section '%s'\n",
				sname, idx, name, ef->secs[tsec].name);
			return -EINVAL;
		}
		if (type == R_BPF_64_32 && insn->src_reg != BPF_PSEUDO_CALL) {
			pr_warn("elf: section '%s': insn %u: call of '%s' is not a BPF-to-BPF call\n",
				sname, idx, name);
			return -EINVAL;
		}
		r->kind = type == R_BPF_64_32 ? RELO_CALL : RELO_FUNC_ADDR;
		r->tgt_sec = tsec;
		r->tgt_insn = (uint32_t)t;
		return 0;
	}
	if (type != R_BPF_64_64) {
		pr_warn("elf: section '%s': insn %u calls '%s', which is not code\n", sname, idx,
			name);
		return -EINVAL;
	}
	uint64_t off = sym->st_value + (uint64_t)(int64_t)insn->imm;
	if (tsec == obj->maps_sec) {
		for (uint32_t m = 0; m < obj->nr_maps; m++) {
			if (obj->maps[m].kind == MAP_BTF_DEF && obj->maps[m].sec_off == off) {
				r->kind = RELO_MAP;
				r->map = m;
				return 0;
			}
		}
		pr_warn("elf: section '%s': insn %u refers to '%s', which is not a map definition\n",
			sname, idx, name);
		return -EINVAL;
	}
	int m = maps_of_data_sec(obj, tsec);
	if (m < 0) {
		pr_warn("elf: section '%s': insn %u refers to '%s' in section '%s', which is neither code, maps nor "
			"global data\n",
			sname, idx, name, ef->secs[tsec].name);
		return -EINVAL;
	}
	if (off >= obj->maps[m].value_size) {
		pr_warn("elf: section '%s': insn %u refers to offset %lld of '%s', outside section '%s'\n",
			sname, idx, (long long)off, name, ef->secs[tsec].name);
		return -EINVAL;
	}
	r->kind = RELO_DATA;
	r->map = (uint32_t)m;
	r->data_off = (uint32_t)off;
	return 0;
}

/* Sorts relocations by instruction (insertion sort: clang emits them nearly in order). */
static int sort_relocs(struct reloc *r, uint32_t n, const char *sname)
{
	for (uint32_t i = 1; i < n; i++) {
		struct reloc x = r[i];
		uint32_t j = i;

		for (; j > 0 && r[j - 1].insn > x.insn; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
	for (uint32_t i = 1; i < n; i++) {
		if (r[i].insn == r[i - 1].insn) {
			pr_warn("elf: section '%s': two relocations of insn %u\n", sname,
				r[i].insn);
			return -EINVAL;
		}
	}
	return 0;
}

/* Every SHT_REL section that applies to a code section. */
static int read_relocs(struct bpf_object *obj)
{
	const struct elf_file *ef = &obj->elf;

	for (uint32_t i = 1; i < ef->nr_secs; i++) {
		const struct elf_sec *s = &ef->secs[i];

		if (s->type != SHT_REL && s->type != SHT_RELA)
			continue;
		/* relocations of debug info, .BTF and the like: not the loader's */
		if (s->info >= ef->nr_secs || !obj->code[s->info].insns)
			continue;
		if (s->type == SHT_RELA || s->link != ef->symtab_sec ||
		    s->size % sizeof(struct elf64_rel)) {
			pr_warn("elf: relocation section '%s' is malformed\n", s->name);
			return -EINVAL;
		}
		struct code_sec *cs = &obj->code[s->info];
		uint32_t n = (uint32_t)(s->size / sizeof(struct elf64_rel));
		if (cs->relocs || (uint64_t)n > cs->insn_cnt) {
			pr_warn("elf: relocation section '%s' is malformed\n", s->name);
			return -EINVAL;
		}
		cs->relocs = calloc(n ? n : 1, sizeof(*cs->relocs));
		if (!cs->relocs)
			return -ENOMEM;
		for (uint32_t k = 0; k < n; k++) {
			struct elf64_rel rel;

			memcpy(&rel, s->data + (uint64_t)k * sizeof(rel), sizeof(rel));
			int r = read_reloc(obj, s->info, &rel, &cs->relocs[k]);
			if (r)
				return r;
			cs->nr_relocs = k + 1;
		}
		int r = sort_relocs(cs->relocs, cs->nr_relocs, ef->secs[s->info].name);
		if (r)
			return r;
	}
	return 0;
}

/* libbpf's default name for an object opened from memory: its address and size. */
static void default_name(char *name, size_t size, const void *buf, size_t len)
{
	snprintf(name, size, "%lx-%lx", (unsigned long)(uintptr_t)buf, (unsigned long)len);
}

struct bpf_object *bpf_object__open_mem(const void *obj_buf, size_t obj_buf_sz,
					const struct bpf_object_open_opts *opts)
{
	struct bpf_object *obj;
	const char *why;
	int r;

	if (!obj_buf || !obj_buf_sz) {
		pr_warn("elf: no object to open\n");
		return libbpf_err_ptr(-EINVAL);
	}
	if (!OPTS_VALID(opts, bpf_object_open_opts))
		return libbpf_err_ptr(-EINVAL);
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return libbpf_err_ptr(-ENOMEM);
	obj->btf_fd = -1;
	const char *name = OPTS_GET(opts, object_name, NULL);
	if (name)
		snprintf(obj->name, sizeof(obj->name), "%s", name);
	else
		default_name(obj->name, sizeof(obj->name), obj_buf, obj_buf_sz);
	obj->log_buf = OPTS_GET(opts, kernel_log_buf, NULL);
	obj->log_size = OPTS_GET(opts, kernel_log_size, 0);
	obj->log_level = OPTS_GET(opts, kernel_log_level, 0);
	if (!obj->log_buf != !obj->log_size) {
		pr_warn("object '%s': kernel_log_buf and kernel_log_size go together\n", obj->name);
		r = -EINVAL;
		goto fail;
	}
	if (OPTS_GET(opts, kconfig, NULL) || OPTS_GET(opts, btf_custom_path, NULL) ||
	    OPTS_GET(opts, pin_root_path, NULL)) {
		pr_warn("object '%s': kconfig, btf_custom_path and pin_root_path are not supported\n",
			obj->name);
		r = -EOPNOTSUPP;
		goto fail;
	}

	obj->elf_buf = malloc(obj_buf_sz);
	r = -ENOMEM;
	if (!obj->elf_buf)
		goto fail;
	memcpy(obj->elf_buf, obj_buf, obj_buf_sz);
	obj->elf_size = obj_buf_sz;
	r = elf_open(obj->elf_buf, obj->elf_size, &obj->elf, &why);
	if (r) {
		pr_warn("elf: object '%s': %s\n", obj->name, why);
		goto fail;
	}
	if (!obj->elf.symtab_sec) {
		pr_warn("elf: object '%s' has no symbol table\n", obj->name);
		r = -EINVAL;
		goto fail;
	}
	if (elf_find_sec(&obj->elf, "maps")) {
		pr_warn("elf: object '%s': legacy map definitions (section 'maps') are not supported; use "
			"BTF-defined maps in '.maps'\n",
			obj->name);
		r = -EOPNOTSUPP;
		goto fail;
	}
	obj->maps_sec = elf_find_sec(&obj->elf, ".maps");
	r = read_license_version(obj);
	if (!r)
		r = read_btf(obj);
	if (!r)
		r = read_code(obj);
	if (!r)
		r = programs_collect(obj);
	if (!r)
		r = maps_collect_btf_defs(obj);
	if (!r)
		r = maps_collect_data(obj);
	if (!r)
		r = externs_collect(obj);
	if (!r)
		r = read_relocs(obj);
	if (r)
		goto fail;
	return obj;
fail:
	bpf_object__close(obj);
	return libbpf_err_ptr(r);
}

void bpf_object__close(struct bpf_object *obj)
{
	if (!obj)
		return;
	for (uint32_t i = 0; i < obj->nr_progs; i++)
		if (obj->progs[i].fd >= 0)
			close(obj->progs[i].fd);
	maps_release(obj);
	for (uint32_t i = 0; obj->maps && i < obj->nr_maps; i++)
		if (obj->maps[i].mmaped)
			munmap(obj->maps[i].mmaped, obj->maps[i].mmap_sz);
	if (obj->btf_fd >= 0)
		close(obj->btf_fd);
	if (obj->code)
		for (uint32_t i = 0; i < obj->elf.nr_secs; i++) {
			free(obj->code[i].insns);
			free(obj->code[i].relocs);
		}
	free(obj->code);
	free(obj->funcs);
	free(obj->progs);
	free(obj->maps);
	free(obj->externs);
	btf_ext_free(obj->btf_ext);
	btf_free(obj->btf);
	btf_free(obj->kernel_btf);
	elf_close(&obj->elf);
	free(obj->elf_buf);
	free(obj);
}

const char *bpf_object__name(const struct bpf_object *obj)
{
	return obj ? obj->name : libbpf_err_ptr(-EINVAL);
}

unsigned int bpf_object__kversion(const struct bpf_object *obj)
{
	return obj ? obj->kern_version : 0;
}

struct bpf_program *bpf_object__find_program_by_name(const struct bpf_object *obj, const char *name)
{
	for (uint32_t i = 0; obj && name && i < obj->nr_progs; i++)
		if (!strcmp(obj->progs[i].name, name))
			return &obj->progs[i];
	return libbpf_err_ptr(-ENOENT);
}

struct bpf_program *bpf_object__next_program(const struct bpf_object *obj, struct bpf_program *prog)
{
	if (!obj || !obj->nr_progs)
		return NULL;
	if (!prog)
		return &obj->progs[0];
	size_t i = (size_t)(prog - obj->progs) + 1;
	return i < obj->nr_progs ? &obj->progs[i] : NULL;
}

struct bpf_map *bpf_object__find_map_by_name(const struct bpf_object *obj, const char *name)
{
	for (uint32_t i = 0; obj && name && i < obj->nr_maps; i++)
		if (!strcmp(obj->maps[i].name, name) || !strcmp(obj->maps[i].real_name, name))
			return &obj->maps[i];
	return libbpf_err_ptr(-ENOENT);
}

int bpf_object__find_map_fd_by_name(const struct bpf_object *obj, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	return map ? bpf_map__fd(map) : libbpf_err(-ENOENT);
}

struct bpf_map *bpf_object__next_map(const struct bpf_object *obj, const struct bpf_map *map)
{
	if (!obj || !obj->nr_maps)
		return NULL;
	if (!map)
		return &obj->maps[0];
	size_t i = (size_t)(map - obj->maps) + 1;
	return i < obj->nr_maps ? &obj->maps[i] : NULL;
}
