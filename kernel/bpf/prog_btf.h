/*
 * A program's BTF (kernel only): BPF_PROG_LOAD's prog_btf_fd with its func_info and line_info
 * records, checked as Linux's verifier checks them (check_btf_info_early, check_btf_func,
 * check_btf_line) and kept by the program for BPF_OBJ_GET_INFO_BY_FD (btf_id, func_info,
 * line_info). What the records say is not used otherwise yet: a call of a function with BTF is
 * verified like one without (kernel/bpf/verifier.h).
 */
#ifndef KERNEL_BPF_PROG_BTF_H
#define KERNEL_BPF_PROG_BTF_H

#include <stdint.h>

#include "kernel/bpf/btf.h"
#include "uapi/linux/bpf.h"

/* All zero: no BTF. Otherwise btf is referenced and the arrays are kmalloc'd, in the kernel's
   record layout, insn_off strictly increasing in each. */
struct bpf_prog_btf {
	struct btf *btf;
	struct bpf_func_info *func_info;
	uint32_t nfunc_info;
	struct bpf_line_info *line_info;
	uint32_t nline_info;
};

/* The log a rejection's reason goes to: the verifier's kernel buffer and level (prog_load.c). */
struct bpf_prog_btf_log {
	char *buf; /* size bytes, or NULL */
	uint32_t size, level;
	uint32_t true_size; /* out: the bytes the message needed with its NUL (0: nothing logged) */
};

/*
 * The BTF part of BPF_PROG_LOAD for attr (already checked: insns are the insn_cnt instructions
 * copied in). Nothing to do (0, *out zeroed) unless func_info_cnt or line_info_cnt is set; then,
 * in Linux's order:
 *   -EBADF / -EINVAL  prog_btf_fd is not open / not a BTF fd; -EACCES it is the kernel's BTF;
 *   -EINVAL  func_info_rec_size below 8, above 252 or not a multiple of 4;
 *   -ENOMEM;
 *   per record: -E2BIG a nonzero byte past the kernel's record (the kernel's record size is
 *            written into func_info_rec_size, -EFAULT if it cannot be), -EFAULT the record,
 *            -EINVAL the first insn_off not 0, an insn_off not above the previous one, or a
 *            type_id that is not a FUNC;
 *   -EINVAL  the records do not name the program's subprograms one for one (a subprogram starts
 *            at instruction 0 and at each BPF_PSEUDO_CALL / BPF_PSEUDO_FUNC target in range);
 *   -EINVAL  line_info_cnt above 2^31 / 16, line_info_rec_size below 16, above 252 or not a
 *            multiple of 4; -ENOMEM;
 *   per record: -E2BIG (line_info_rec_size written back) / -EFAULT as above, -EINVAL an insn_off
 *            not above the previous one, past the program or on the second half of a 64-bit
 *            load, a name offset outside the BTF's strings, or a subprogram without a record
 *            at its first instruction.
 * Each rejection's reason goes to log, in Linux's words, and -ENOSPC replaces the error when it
 * does not fit there. On success *out holds everything (bpf_prog_btf_release); on error nothing.
 * Reads the current task's fds and memory: call it from the system call, no lock held.
 */
int bpf_prog_btf_load(const union bpf_attr *attr, uint64_t uattr, const struct bpf_insn *insns,
		      struct bpf_prog_btf *out, struct bpf_prog_btf_log *log);

/* Drop what pb holds and zero it. */
void bpf_prog_btf_release(struct bpf_prog_btf *pb);

#endif
