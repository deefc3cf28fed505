/*
 * CO-RE ("compile once, run everywhere") relocations: clang records, for each instruction that
 * depends on a type's layout, the local type, an access string and what is wanted (a field's
 * offset, size, signedness, bitfield shifts or existence; a type's id, size or existence; an
 * enumerator's value or existence). Against the target BTF (the kernel's) the same access is
 * found by name and the instruction is patched to match the target's layout, with Linux's
 * semantics (Documentation/bpf/llvm_reloc.rst, bpf_core_read.h):
 *
 *   - Access string "a0:a1:...": a0 indexes the root pointer as an array; each next index is a
 *     member of the struct/union reached so far or an element of the array. Named members are
 *     looked up by name in the target, through anonymous structs and unions; array indices are
 *     kept. Candidates are target types of the root's kind whose names agree up to a "___flavor"
 *     suffix; every candidate that matches must give the same result.
 *   - Field kinds give the field's byte offset, byte size, signedness, and the left and right
 *     shifts that extract it from a u64 load (bitfields: the smallest naturally aligned load of at
 *     least the field's declared type that covers it); type kinds need no field.
 *   - No match: existence kinds and type kinds give 0; the rest "poison" the instruction: it
 *     becomes a call of helper 0xbad2310, which the verifier rejects only if the program can
 *     reach it (so code guarded by bpf_core_field_exists still loads).
 *
 * Standard headers only (and the BPF instruction format): the host tests compile this file too.
 */
#ifndef USER_LIBBPF_RELO_CORE_H
#define USER_LIBBPF_RELO_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btf.h"
#include "btf_ext.h"
#include "uapi/linux/bpf.h"

/* The helper number a poisoned instruction calls (libbpf's). */
#define CORE_POISON_HELPER 0xbad2310

struct core_relo_res {
	uint64_t orig_val; /* what the local BTF gives: the instruction must hold it */
	uint64_t new_val;  /* what the target gives */
	uint32_t orig_sz;  /* field sizes, for load/store instructions whose size must follow */
	uint32_t new_sz;
	bool validate; /* check the instruction holds orig_val */
	bool poison;   /* no match: poison the instruction */
	bool sz_fixed; /* the access size may not change (signed or non-scalar field, bitfield) */
};

/*
 * Computes relocation relo of the local BTF against targ (NULL: only BPF_CORE_TYPE_ID_LOCAL can be
 * computed). 0 with *res, or -EINVAL for a record that does not fit the local BTF (bad type id,
 * bad access string, access past a non-composite type) or an ambiguous target, -ESRCH if targ is
 * NULL but needed; the reason goes to msg (msg_sz bytes).
 */
int core_calc_relo(const struct btf *local, const struct bpf_core_relo_rec *relo,
		   const struct btf *targ, struct core_relo_res *res, char *msg, size_t msg_sz);

/*
 * Patches insns[idx] (of insn_cnt) for relo with res: the immediate of an ALU instruction or
 * ld_imm64, the offset (and, when the field's size changed, the size) of a load or store; or
 * poisons it. 0, or -EINVAL (instruction of another kind, value out of range for it, instruction
 * not holding orig_val) with the reason in msg.
 */
int core_patch_insn(struct bpf_insn *insns, size_t insn_cnt, size_t idx,
		    const struct bpf_core_relo_rec *relo, const struct core_relo_res *res,
		    char *msg, size_t msg_sz);

/* The length of name without its "___flavor" suffix. */
size_t core_essential_name_len(const char *name);

#endif
