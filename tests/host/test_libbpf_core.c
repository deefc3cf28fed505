/*
 * Host tests of the loader's CO-RE relocations (user/libbpf/relo_core.c) on BTF that clang made:
 * the program tests/host/libbpf/core_local.bpf.c, whose own view of the "kernel" types differs
 * from tests/host/libbpf/core_types.h, relocated against the BTF of core_target.bpf.c (those
 * types). Each case is one function in its own section; the expected values come from the host
 * compiler's layout of core_types.h. Then the same relocations with a hostile local BTF and with
 * mangled records: errors, never a crash (the test runs under ASan and UBSan).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernel/ktest.h"
#include "tests/host/libbpf/core_types.h"
#include "tests/host/libbpf_objs.h"
#include "tests/host/testutil.h"
#include "user/libbpf/relo_core.h"

#define MAX_INSNS 16

struct core_case {
	struct bpf_insn insns[MAX_INSNS];
	uint32_t cnt;
	char msg[160];
	int err;
	bool poisoned;
};

/* Every CO-RE relocation of section core/<name> of local, against targ (NULL: none). */
static void run_case(const struct test_obj *local, const struct btf *targ, const char *name,
		     struct core_case *c)
{
	char sec[64];

	memset(c, 0, sizeof(*c));
	snprintf(sec, sizeof(sec), "core/%s", name);
	uint32_t s = elf_find_sec(&local->ef, sec);
	if (!s || local->ef.secs[s].size > sizeof(c->insns)) {
		snprintf(c->msg, sizeof(c->msg), "no section %s", sec);
		c->err = -1000;
		return;
	}
	c->cnt = (uint32_t)(local->ef.secs[s].size / 8);
	memcpy(c->insns, local->ef.secs[s].data, local->ef.secs[s].size);
	const struct btf_ext_sec *es = btf_ext_find_sec(&local->ext->core_relo, sec);
	for (uint32_t i = 0; es && i < es->num; i++) {
		struct bpf_core_relo_rec rec;
		struct core_relo_res res;

		memcpy(&rec, es->recs + (size_t)i * local->ext->core_relo.rec_size, sizeof(rec));
		if (rec.insn_off % 8 || rec.insn_off / 8 >= c->cnt) {
			c->err = -1001;
			return;
		}
		c->err = core_calc_relo(local->btf, &rec, targ, &res, c->msg, sizeof(c->msg));
		if (!c->err)
			c->err = core_patch_insn(c->insns, c->cnt, rec.insn_off / 8, &rec, &res,
						 c->msg, sizeof(c->msg));
		if (c->err)
			return;
		c->poisoned |= res.poison;
	}
}

/* What a relocated "return <constant>" function returns: r0's immediate (mov or ld_imm64). */
static int64_t r0_const(const struct core_case *c)
{
	const struct bpf_insn *i = c->insns;

	if (i[0].code == (BPF_ALU64 | BPF_MOV | BPF_K) && i[0].dst_reg == 0)
		return i[0].imm;
	if (i[0].code == (BPF_LD | BPF_IMM | BPF_DW) && i[0].dst_reg == 0)
		return (int64_t)((uint64_t)(uint32_t)i[0].imm |
				 ((uint64_t)(uint32_t)i[1].imm << 32));
	return -99999;
}

static struct test_obj local_obj, target_obj;

static bool open_objs(void)
{
	if (local_obj.btf)
		return true;
	return !test_obj_open(&local_obj, "core_local.bpf.o") &&
	       !test_obj_open(&target_obj, "core_target.bpf.o") && local_obj.ext && target_obj.btf;
}

/* The expected value of case name: fails the test (and shows the relocation's message) otherwise. */
#define EXPECT_CASE(name, want)                                                 \
	do {                                                                    \
		struct core_case c_;                                            \
		run_case(&local_obj, target_obj.btf, name, &c_);                \
		if (c_.err)                                                     \
			KT_FAIL("case %s: error %d: %s", name, c_.err, c_.msg); \
		else                                                            \
			EXPECT_EQ(r0_const(&c_), (int64_t)(want));              \
	} while (0)

/* The bit offset and width of kern_task.mid in the host's layout, found by setting it. */
static void mid_bits(uint32_t *off, uint32_t *width)
{
	struct kern_task t;
	const uint8_t *b = (const uint8_t *)&t;

	memset(&t, 0, sizeof(t));
	t.mid = 0x1ff;
	*off = UINT32_MAX;
	*width = 0;
	for (uint32_t i = 0; i < sizeof(t) * 8; i++) {
		if (b[i / 8] & (1u << (i % 8))) {
			if (*off == UINT32_MAX)
				*off = i;
			(*width)++;
		}
	}
}

KTEST(libbpf_core, field_offsets_and_sizes)
{
	ASSERT_TRUE(open_objs());
	EXPECT_CASE("off_pid", offsetof(struct kern_task, pid));
	EXPECT_CASE("off_anon_b",
		    offsetof(struct kern_task, anon_b)); /* through anonymous struct+union */
	EXPECT_CASE("off_comm2", offsetof(struct kern_task, comm) + 2);
	EXPECT_CASE("off_arr3", offsetof(struct kern_task, arr) + 3 * sizeof(int));
	EXPECT_CASE("size_tgid", sizeof(short));
	EXPECT_CASE("size_wide", sizeof(unsigned long));
	EXPECT_CASE("size_comm", 16);
	EXPECT_CASE("flavor_pid", offsetof(struct kern_task, pid)); /* kern_task___flavor */
}

KTEST(libbpf_core, existence_and_signedness)
{
	ASSERT_TRUE(open_objs());
	EXPECT_CASE("exists_pid", 1);
	EXPECT_CASE("exists_missing", 0);
	EXPECT_CASE("signed_pid", 1);
	EXPECT_CASE("signed_wide", 0);
}

KTEST(libbpf_core, bitfield)
{
	uint32_t off, width;

	ASSERT_TRUE(open_objs());
	mid_bits(&off, &width);
	ASSERT_EQ(width, 9);
	/* The load: the field's declared type (unsigned int), naturally aligned, covering it. */
	uint32_t byte_off = off / 8 / 4 * 4;
	EXPECT_CASE("off_mid", byte_off);
	EXPECT_CASE("size_mid", 4);
	EXPECT_CASE("lshift_mid", 64 - (off + width - byte_off * 8));
	EXPECT_CASE("rshift_mid", 64 - width);
}

KTEST(libbpf_core, types_and_enums)
{
	ASSERT_TRUE(open_objs());
	EXPECT_CASE("type_exists", 1);
	EXPECT_CASE("type_missing", 0);
	EXPECT_CASE("type_size", sizeof(struct kern_task));
	EXPECT_CASE("type_id_local",
		    btf_find_by_name_kind(local_obj.btf, "kern_task", BTF_KIND_STRUCT));
	EXPECT_CASE("type_id_target",
		    btf_find_by_name_kind(target_obj.btf, "kern_task", BTF_KIND_STRUCT));
	EXPECT_CASE("enum_exists", 1);
	EXPECT_CASE("enum_missing", 0);
	EXPECT_CASE("enum_value", K_SLEEPING);
	/* clang 14 marks no enum signed (BTF kind_flag): -3 reads as the u32 it is stored as. */
	EXPECT_CASE("enum_neg", (uint32_t)K_NEG);
}

KTEST(libbpf_core, loads_follow_the_target)
{
	struct core_case c;

	ASSERT_TRUE(open_objs());
	run_case(&local_obj, target_obj.btf, "ld_pid", &c);
	ASSERT_EQ(c.err, 0);
	EXPECT_EQ(c.insns[0].code, BPF_LDX | BPF_MEM | BPF_W);
	EXPECT_EQ(c.insns[0].off, offsetof(struct kern_task, pid));

	/* unsigned int locally, unsigned long in the target: the load widens with the field. */
	run_case(&local_obj, target_obj.btf, "ld_wide", &c);
	ASSERT_EQ(c.err, 0);
	EXPECT_EQ(c.insns[0].code, BPF_LDX | BPF_MEM | BPF_DW);
	EXPECT_EQ(c.insns[0].off, offsetof(struct kern_task, wide));

	run_case(&local_obj, target_obj.btf, "ld_chain", &c);
	ASSERT_EQ(c.err, 0);
	EXPECT_EQ(c.insns[0].off, offsetof(struct kern_task, mm));
	EXPECT_EQ(c.insns[1].off, offsetof(struct kern_mm, vm_start));
}

KTEST(libbpf_core, missing_field_poisons)
{
	struct core_case c;

	ASSERT_TRUE(open_objs());
	run_case(&local_obj, target_obj.btf, "ld_missing", &c);
	ASSERT_EQ(c.err, 0);
	EXPECT_TRUE(c.poisoned);
	EXPECT_EQ(c.insns[0].code, BPF_JMP | BPF_CALL);
	EXPECT_EQ(c.insns[0].imm, CORE_POISON_HELPER);
}

KTEST(libbpf_core, errors)
{
	struct core_case c;

	ASSERT_TRUE(open_objs());
	/* struct amb has two candidates (amb___a, amb___b) with x at different offsets. */
	run_case(&local_obj, target_obj.btf, "ambiguous", &c);
	EXPECT_EQ(c.err, -EINVAL);
	EXPECT_TRUE(strstr(c.msg, "ambiguous") != NULL);

	/* No target BTF: field relocations cannot be computed, local type ids can. */
	run_case(&local_obj, NULL, "off_pid", &c);
	EXPECT_EQ(c.err, -ESRCH);
	run_case(&local_obj, NULL, "type_id_local", &c);
	EXPECT_EQ(c.err, 0);

	/* An instruction that does not hold the local value is not patched. */
	const struct btf_ext_sec *es = btf_ext_find_sec(&local_obj.ext->core_relo, "core/off_pid");
	ASSERT_NONNULL(es);
	struct bpf_core_relo_rec rec;
	struct core_relo_res res;
	memcpy(&rec, es->recs, sizeof(rec));
	run_case(&local_obj, target_obj.btf, "size_tgid", &c); /* any "r0 = imm; exit" */
	ASSERT_EQ(core_calc_relo(local_obj.btf, &rec, target_obj.btf, &res, c.msg, sizeof(c.msg)),
		  0);
	c.insns[0].imm = 99;
	EXPECT_EQ(core_patch_insn(c.insns, c.cnt, 0, &rec, &res, c.msg, sizeof(c.msg)), -EINVAL);
	/* Nor an instruction of a kind a relocation cannot change (exit). */
	c.insns[0].imm = (int32_t)res.orig_val;
	EXPECT_EQ(core_patch_insn(c.insns, c.cnt, 1, &rec, &res, c.msg, sizeof(c.msg)), -EINVAL);
}

KTEST(libbpf_core, essential_names)
{
	EXPECT_EQ(core_essential_name_len("task_struct___v2"), 11);
	EXPECT_EQ(core_essential_name_len("task_struct"), 11);
	EXPECT_EQ(core_essential_name_len("a___b___c"), 5); /* up to the last flavor separator */
	EXPECT_EQ(core_essential_name_len("____x"), 5); /* underscores on both sides: no flavor */
	EXPECT_EQ(core_essential_name_len("x____y"), 6);
	EXPECT_EQ(core_essential_name_len(""), 0);
}

/* Every relocation of the local object against targ, each into a scratch copy of its section. */
static void run_all(const struct test_obj *local, const struct btf *lbtf, const struct btf_ext *ext,
		    const struct btf *targ)
{
	for (uint32_t k = 0; k < ext->core_relo.nr_secs; k++) {
		const struct btf_ext_sec *es = &ext->core_relo.secs[k];
		uint32_t s = elf_find_sec(&local->ef, es->sec_name);
		struct bpf_insn insns[MAX_INSNS];
		char msg[160];

		if (!s || local->ef.secs[s].size > sizeof(insns) || !local->ef.secs[s].data)
			continue;
		uint32_t cnt = (uint32_t)(local->ef.secs[s].size / 8);
		memcpy(insns, local->ef.secs[s].data, local->ef.secs[s].size);
		for (uint32_t i = 0; i < es->num; i++) {
			struct bpf_core_relo_rec rec;
			struct core_relo_res res;

			memcpy(&rec, es->recs + (size_t)i * ext->core_relo.rec_size, sizeof(rec));
			if (rec.insn_off % 8 || rec.insn_off / 8 >= cnt)
				continue;
			if (!core_calc_relo(lbtf, &rec, targ, &res, msg, sizeof(msg)))
				core_patch_insn(insns, cnt, rec.insn_off / 8, &rec, &res, msg,
						sizeof(msg));
		}
	}
}

KTEST(libbpf_core, hostile_local_btf)
{
	struct test_rng rng;

	ASSERT_TRUE(open_objs());
	test_rng_init(&rng, test_rng_seed("LIBBPF_CORE_SEED", 0x5eed));
	uint32_t s = elf_find_sec(&local_obj.ef, ".BTF");
	uint32_t x = elf_find_sec(&local_obj.ef, ".BTF.ext");
	ASSERT_NE(s, 0);
	ASSERT_NE(x, 0);
	size_t size = local_obj.ef.secs[s].size;
	uint8_t *blob = malloc(size);
	ASSERT_NONNULL(blob);
	int parsed = 0;
	for (int it = 0; it < 3000; it++) {
		const char *why;
		struct btf *btf;
		struct btf_ext *ext;

		memcpy(blob, local_obj.ef.secs[s].data, size);
		for (int n = 1 + (int)test_rng_below(&rng, 4); n > 0; n--) {
			size_t at =
				24 +
				test_rng_below(&rng,
					       size - 24); /* past the header: get into the types */
			blob[at] = (uint8_t)test_rng_next(&rng);
		}
		if (btf_parse(blob, size, &btf, &why))
			continue;
		if (!btf_ext_parse(local_obj.ef.secs[x].data, local_obj.ef.secs[x].size, btf, &ext,
				   &why)) {
			run_all(&local_obj, btf, ext, target_obj.btf);
			btf_ext_free(ext);
			parsed++;
		}
		btf_free(btf);
	}
	free(blob);
	EXPECT_GT(parsed, 0);
}

KTEST(libbpf_core, hostile_records)
{
	struct test_rng rng;
	char msg[160];

	ASSERT_TRUE(open_objs());
	test_rng_init(&rng, test_rng_seed("LIBBPF_CORE_SEED", 0xc0de));
	uint32_t ntypes = btf_type_cnt(local_obj.btf);
	for (int it = 0; it < 20000; it++) {
		struct bpf_core_relo_rec rec = {
			.insn_off = 0,
			.type_id = (uint32_t)test_rng_below(&rng, ntypes + 3),
			.access_str_off =
				(uint32_t)test_rng_below(&rng, local_obj.btf->str_len + 8),
			.kind = (uint32_t)test_rng_below(&rng, 15),
		};
		struct bpf_insn insns[2] = {{.code = BPF_ALU64 | BPF_MOV | BPF_K},
					    {.code = BPF_JMP | BPF_EXIT}};
		struct core_relo_res res;

		if (!core_calc_relo(local_obj.btf, &rec, target_obj.btf, &res, msg, sizeof(msg)))
			core_patch_insn(insns, 2, 0, &rec, &res, msg, sizeof(msg));
	}
}
