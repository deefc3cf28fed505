/*
 * eBPF instructions as text, in the notation of Linux's verifier log ("(07) r2 += -8",
 * "(85) call bpf_map_lookup_elem#1", "(95) exit"), for the verifier's log and for tests.
 */
#ifndef KERNEL_BPF_DISASM_H
#define KERNEL_BPF_DISASM_H

#include <stddef.h>
#include <stdint.h>

#include "uapi/linux/bpf.h"

/*
 * Write the text of insn into buf (size bytes, always terminated). An LD_IMM64 reads insn[1] too:
 * the caller guarantees it exists. helper_name gives a helper's name by number, or NULL for
 * "unknown" (helper_name itself may be NULL).
 */
void bpf_disasm(char *buf, size_t size, const struct bpf_insn *insn,
		const char *(*helper_name)(int32_t id));

#endif
