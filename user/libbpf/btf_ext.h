/*
 * .BTF.ext, the per-instruction BTF records clang emits beside .BTF (Linux's layout): function
 * info (insn_off, type_id), line info (insn_off, file_name_off, line_off, line_col) and CO-RE
 * relocations (insn_off, type_id, access_str_off, kind). Each kind is a record size followed by
 * blocks { sec_name_off, num_info, num_info records } naming the ELF section their insn_off (in
 * bytes) is relative to.
 *
 * btf_ext_parse checks everything against the blob and the object's BTF (header, block bounds,
 * record sizes at least Linux's, section names in the BTF strings), so the blocks it returns can
 * be walked without further checks; what a record's fields name (instructions, types) is checked
 * by whoever uses it. Standard headers only: the host tests compile this file too.
 */
#ifndef USER_LIBBPF_BTF_EXT_H
#define USER_LIBBPF_BTF_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "btf.h"

struct bpf_func_info_rec {
	uint32_t insn_off;
	uint32_t type_id;
};

struct bpf_line_info_rec {
	uint32_t insn_off;
	uint32_t file_name_off;
	uint32_t line_off;
	uint32_t line_col;
};

/* Linux's enum bpf_core_relo_kind. */
enum bpf_core_relo_kind {
	BPF_CORE_FIELD_BYTE_OFFSET = 0,
	BPF_CORE_FIELD_BYTE_SIZE = 1,
	BPF_CORE_FIELD_EXISTS = 2,
	BPF_CORE_FIELD_SIGNED = 3,
	BPF_CORE_FIELD_LSHIFT_U64 = 4,
	BPF_CORE_FIELD_RSHIFT_U64 = 5,
	BPF_CORE_TYPE_ID_LOCAL = 6,
	BPF_CORE_TYPE_ID_TARGET = 7,
	BPF_CORE_TYPE_EXISTS = 8,
	BPF_CORE_TYPE_SIZE = 9,
	BPF_CORE_ENUMVAL_EXISTS = 10,
	BPF_CORE_ENUMVAL_VALUE = 11,
	BPF_CORE_TYPE_MATCHES = 12,
};

/* Linux's struct bpf_core_relo, as .BTF.ext stores it. */
struct bpf_core_relo_rec {
	uint32_t insn_off;
	uint32_t type_id;
	uint32_t access_str_off;
	uint32_t kind;
};

/* One block: the records of one ELF section. */
struct btf_ext_sec {
	const char *sec_name; /* in the object's BTF strings */
	uint32_t num;
	const uint8_t *recs; /* num records of the kind's rec_size, 4-byte aligned */
};

struct btf_ext_info {
	uint32_t rec_size; /* 0 when the kind is absent */
	uint32_t nr_secs;
	struct btf_ext_sec *secs;
};

struct btf_ext {
	uint8_t *data; /* owned copy */
	struct btf_ext_info func_info, line_info, core_relo;
};

/*
 * Checks and indexes a copy of the blob against btf: 0 with *out (btf_ext_free), -EINVAL with the
 * reason in *why, or -ENOMEM.
 */
int btf_ext_parse(const void *data, size_t size, const struct btf *btf, struct btf_ext **out,
		  const char **why);
void btf_ext_free(struct btf_ext *ext);
/* The block of info for section sec_name, or NULL. */
const struct btf_ext_sec *btf_ext_find_sec(const struct btf_ext_info *info, const char *sec_name);

#endif
