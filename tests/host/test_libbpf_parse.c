/*
 * Host tests of the loader's ELF, BTF and .BTF.ext readers (user/libbpf/elf.c, btf.c, btf_ext.c)
 * with hostile input, under ASan and UBSan: clang-built objects (tests/host/libbpf/) cut at every
 * length, with section headers pointing outside the file, and with random bytes changed; BTF and
 * .BTF.ext blobs cut and changed the same way. Each reader must refuse what it cannot trust or
 * accept it, and everything reachable through what it accepted must stay inside the copy it was
 * given: the tests walk all of it (every section's bytes, every name, every type and its records).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/ktest.h"
#include "tests/host/libbpf_objs.h"
#include "tests/host/testutil.h"

/* Touches everything elf_open made reachable (ASan reports a byte outside the buffer). */
static unsigned walk_elf(const struct elf_file *ef)
{
	unsigned sum = 0;

	for (uint32_t i = 0; i < ef->nr_secs; i++) {
		sum += (unsigned)strlen(ef->secs[i].name);
		for (uint64_t k = 0; ef->secs[i].data && k < ef->secs[i].size; k += 61)
			sum += ef->secs[i].data[k];
		if (ef->secs[i].data && ef->secs[i].size)
			sum += ef->secs[i].data[ef->secs[i].size - 1];
	}
	for (uint32_t i = 0; i < ef->nr_syms; i++)
		sum += (unsigned)strlen(elf_sym_name(ef, &ef->syms[i]));
	return sum;
}

/* Touches every type of btf, its records, names and the walks along its references. */
static unsigned walk_btf(const struct btf *btf)
{
	unsigned sum = 0;

	for (uint32_t id = 0; id < btf_type_cnt(btf) + 2; id++) {
		const struct btf_type *t = btf_type_by_id(btf, id);
		uint32_t res;

		if (!t)
			continue;
		sum += (unsigned)strlen(btf_str(btf, t->name_off));
		sum += (unsigned)btf_resolve_size(btf, id);
		sum += btf_skip_mods_typedefs(btf, id, &res) ? res : 0;
		for (uint16_t i = 0; i < btf_vlen(t); i++) {
			switch (btf_kind(t)) {
			case BTF_KIND_STRUCT:
			case BTF_KIND_UNION:
				sum += (unsigned)strlen(btf_str(btf, btf_members(t)[i].name_off)) +
				       btf_member_bit_offset(t, i) + btf_member_bitfield_size(t, i);
				sum += btf_type_by_id(btf, btf_members(t)[i].type) != NULL;
				break;
			case BTF_KIND_ENUM:
			case BTF_KIND_ENUM64:
				sum += (unsigned)strlen(btf_str(btf, btf_enum_name_off(t, i))) +
				       (unsigned)btf_enum_value(t, i);
				break;
			case BTF_KIND_FUNC_PROTO:
				sum += btf_type_by_id(btf, btf_params(t)[i].type) != NULL;
				break;
			case BTF_KIND_DATASEC:
				sum += btf_type_by_id(btf, btf_var_secinfos(t)[i].type) != NULL;
				break;
			default:
				break;
			}
		}
	}
	return sum;
}

static unsigned walk_ext(const struct btf_ext *ext)
{
	const struct btf_ext_info *infos[] = {&ext->func_info, &ext->line_info, &ext->core_relo};
	unsigned sum = 0;

	for (int k = 0; k < 3; k++)
		for (uint32_t s = 0; s < infos[k]->nr_secs; s++) {
			sum += (unsigned)strlen(infos[k]->secs[s].sec_name);
			for (uint32_t i = 0; i < infos[k]->secs[s].num; i++)
				sum += infos[k]->secs[s].recs[(size_t)i * infos[k]->rec_size +
							      infos[k]->rec_size - 1];
		}
	return sum;
}

/* An exact-size heap copy (so that ASan sees the end of it), or NULL. */
static uint8_t *copy_of(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	if (c && n)
		memcpy(c, p, n);
	return c;
}

/* elf_open on buf: if it accepts, everything it gives is walked. true if accepted. */
static bool try_elf(const uint8_t *buf, size_t n)
{
	struct elf_file ef;
	const char *why;
	uint8_t *c = copy_of(buf, n);
	bool ok = c && elf_open(c, n, &ef, &why) == 0;

	if (ok) {
		walk_elf(&ef);
		elf_close(&ef);
	}
	free(c);
	return ok;
}

static bool try_btf(const uint8_t *buf, size_t n)
{
	struct btf *btf;
	const char *why;
	uint8_t *c = copy_of(buf, n);
	bool ok = c && btf_parse(c, n, &btf, &why) == 0;

	free(c);
	if (ok) {
		walk_btf(btf);
		btf_free(btf);
	}
	return ok;
}

static bool try_ext(const uint8_t *buf, size_t n, const struct btf *btf)
{
	struct btf_ext *ext;
	const char *why;
	uint8_t *c = copy_of(buf, n);
	bool ok = c && btf_ext_parse(c, n, btf, &ext, &why) == 0;

	free(c);
	if (ok) {
		walk_ext(ext);
		btf_ext_free(ext);
	}
	return ok;
}

KTEST(libbpf_parse, good_objects_open)
{
	const char *names[] = {"core_local.bpf.o", "core_target.bpf.o"};

	for (size_t i = 0; i < 2; i++) {
		struct test_obj o;
		ASSERT_EQ(test_obj_open(&o, names[i]), 0);
		EXPECT_NONNULL(o.btf);
		EXPECT_GT(walk_elf(&o.ef), 0);
		EXPECT_GT(walk_btf(o.btf), 0);
		test_obj_close(&o);
	}
}

KTEST(libbpf_parse, elf_cut_at_every_length)
{
	size_t size;
	uint8_t *buf = test_obj_read("core_local.bpf.o", &size);
	int accepted = 0;

	ASSERT_NONNULL(buf);
	for (size_t n = 0; n < size; n++)
		accepted += try_elf(buf, n);
	/* The section headers come last: nothing shorter than the whole file opens. */
	EXPECT_EQ(accepted, 0);
	EXPECT_TRUE(try_elf(buf, size));
	free(buf);
}

/* Offsets of fields in an ELF64 header and section header (the specification's layout). */
#define EH_SHOFF 0x28
#define EH_SHNUM 0x3c
#define EH_SHSTRNDX 0x3e
#define SH_NAME 0x00
#define SH_OFFSET 0x18
#define SH_SIZE 0x20
#define SH_LINK 0x28

KTEST(libbpf_parse, elf_bad_section_headers)
{
	size_t size;
	uint8_t *buf = test_obj_read("core_local.bpf.o", &size);
	const uint64_t bad64[] = {0,          1,          0x7fffffff,    0xffffffff,
				  1ull << 63, UINT64_MAX, UINT64_MAX - 7};
	const uint32_t bad32[] = {0xffff, 0xffffffff, 0x7fffffff, 1000};

	ASSERT_NONNULL(buf);
	uint64_t shoff;
	uint16_t shnum;
	memcpy(&shoff, buf + EH_SHOFF, 8);
	memcpy(&shnum, buf + EH_SHNUM, 2);
	ASSERT_LE(shoff + shnum * 64ull, size);
	uint8_t *m = malloc(size);
	ASSERT_NONNULL(m);
	for (uint16_t s = 1; s < shnum; s++) {
		uint8_t *sh = m + shoff + (uint64_t)s * 64;
		for (size_t k = 0; k < sizeof(bad64) / sizeof(bad64[0]); k++) {
			memcpy(m, buf, size);
			memcpy(sh + SH_OFFSET, &bad64[k], 8);
			try_elf(m, size);
			memcpy(m, buf, size);
			memcpy(sh + SH_SIZE, &bad64[k], 8);
			try_elf(m, size);
		}
		for (size_t k = 0; k < sizeof(bad32) / sizeof(bad32[0]); k++) {
			memcpy(m, buf, size);
			memcpy(sh + SH_NAME, &bad32[k], 4);
			EXPECT_FALSE(try_elf(m, size)); /* a name outside the name table */
			memcpy(m, buf, size);
			memcpy(sh + SH_LINK, &bad32[k], 4);
			try_elf(m, size);
		}
	}
	/* The header's own table pointers. */
	for (size_t k = 0; k < sizeof(bad64) / sizeof(bad64[0]); k++) {
		memcpy(m, buf, size);
		memcpy(m + EH_SHOFF, &bad64[k], 8);
		EXPECT_FALSE(try_elf(m, size) && bad64[k] != shoff);
	}
	for (uint32_t v = 0; v < 0x10000; v += 0x1111) {
		uint16_t x = (uint16_t)v;
		memcpy(m, buf, size);
		memcpy(m + EH_SHSTRNDX, &x, 2);
		try_elf(m, size);
		memcpy(m, buf, size);
		memcpy(m + EH_SHNUM, &x, 2);
		try_elf(m, size);
	}
	free(m);
	free(buf);
}

KTEST(libbpf_parse, elf_random_bytes)
{
	struct test_rng rng;
	size_t size;
	uint8_t *buf = test_obj_read("core_local.bpf.o", &size);

	ASSERT_NONNULL(buf);
	test_rng_init(&rng, test_rng_seed("LIBBPF_PARSE_SEED", 0xe1f));
	uint8_t *m = malloc(size);
	ASSERT_NONNULL(m);
	for (int it = 0; it < 20000; it++) {
		memcpy(m, buf, size);
		for (int n = 1 + (int)test_rng_below(&rng, 8); n > 0; n--)
			m[test_rng_below(&rng, size)] = (uint8_t)test_rng_next(&rng);
		try_elf(m, size);
	}
	free(m);
	free(buf);
}

KTEST(libbpf_parse, btf_and_ext_hostile)
{
	struct test_obj o;
	struct test_rng rng;

	ASSERT_EQ(test_obj_open(&o, "core_local.bpf.o"), 0);
	test_rng_init(&rng, test_rng_seed("LIBBPF_PARSE_SEED", 0xb7f));
	uint32_t bs = elf_find_sec(&o.ef, ".BTF"), xs = elf_find_sec(&o.ef, ".BTF.ext");
	ASSERT_NE(bs, 0);
	ASSERT_NE(xs, 0);
	const uint8_t *blob = o.ef.secs[bs].data, *ext = o.ef.secs[xs].data;
	size_t bsize = o.ef.secs[bs].size, xsize = o.ef.secs[xs].size;

	int accepted = 0;
	for (size_t n = 0; n < bsize; n++)
		accepted += try_btf(blob, n);
	EXPECT_EQ(accepted, 0); /* the string section ends the blob: any cut loses its last NUL */
	EXPECT_TRUE(try_btf(blob, bsize));
	for (size_t n = 0; n < xsize; n++)
		try_ext(ext, n, o.btf);
	EXPECT_TRUE(try_ext(ext, xsize, o.btf));

	uint8_t *m = malloc(bsize > xsize ? bsize : xsize);
	ASSERT_NONNULL(m);
	/* Every byte of the BTF header and a sweep through the types, each set to a few values. */
	const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
	for (size_t at = 0; at < bsize; at += at < 64 ? 1 : 7)
		for (size_t v = 0; v < sizeof(vals); v++) {
			memcpy(m, blob, bsize);
			m[at] = vals[v];
			try_btf(m, bsize);
		}
	for (int it = 0; it < 20000; it++) {
		memcpy(m, blob, bsize);
		for (int n = 1 + (int)test_rng_below(&rng, 6); n > 0; n--)
			m[test_rng_below(&rng, bsize)] = (uint8_t)test_rng_next(&rng);
		try_btf(m, bsize);
	}
	for (size_t at = 0; at < xsize; at++)
		for (size_t v = 0; v < sizeof(vals); v++) {
			memcpy(m, ext, xsize);
			m[at] = vals[v];
			try_ext(m, xsize, o.btf);
		}
	free(m);
	test_obj_close(&o);
}

KTEST(libbpf_parse, btf_cycles_are_bounded)
{
	/* Hand-made BTF: [1] TYPEDEF a -> [2] CONST -> [1]; [3] ARRAY of [3]; [4] PTR -> [4]. */
	struct {
		struct btf_header h;
		struct btf_type t1, t2;
		struct btf_type t3;
		struct btf_array a3;
		struct btf_type t4;
		char strs[4];
	} __attribute__((packed)) b = {
		.h = {BTF_MAGIC, BTF_VERSION, 0, sizeof(struct btf_header), 0,
		      4 * sizeof(struct btf_type) + sizeof(struct btf_array),
		      4 * sizeof(struct btf_type) + sizeof(struct btf_array), 4},
		.t1 = {1, BTF_KIND_TYPEDEF << 24, {.type = 2}},
		.t2 = {0, BTF_KIND_CONST << 24, {.type = 1}},
		.t3 = {0, BTF_KIND_ARRAY << 24, {0}},
		.a3 = {3, 0, 2},
		.t4 = {0, BTF_KIND_PTR << 24, {.type = 4}},
		.strs = "\0a\0",
	};
	struct btf *btf;
	const char *why;

	ASSERT_EQ(btf_parse(&b, sizeof(b), &btf, &why), 0);
	EXPECT_NULL(btf_skip_mods_typedefs(btf, 1, NULL));
	EXPECT_EQ(btf_resolve_size(btf, 1), -EINVAL);
	EXPECT_EQ(btf_resolve_size(btf, 3), -EINVAL);
	EXPECT_EQ(btf_resolve_size(btf, 4), 8);
	EXPECT_EQ(btf_find_by_name_kind(btf, "a", BTF_KIND_TYPEDEF), 1);
	EXPECT_EQ(btf_find_by_name_kind(btf, "a", BTF_KIND_STRUCT), -ENOENT);
	EXPECT_NULL(btf_type_by_id(btf, 5));
	walk_btf(btf);
	btf_free(btf);

	/* A reference past the last type and a name past the strings are refused. */
	b.t4.type = 5;
	EXPECT_EQ(btf_parse(&b, sizeof(b), &btf, &why), -EINVAL);
	b.t4.type = 4;
	b.t1.name_off = 4;
	EXPECT_EQ(btf_parse(&b, sizeof(b), &btf, &why), -EINVAL);
}
