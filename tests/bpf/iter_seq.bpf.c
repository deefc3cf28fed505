// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_seq_printf's and bpf_seq_write's edges from an iter/task_vma program (kernel/bpf/seq.c),
 * chosen by mode:
 *   0  the last run prints one line with every conversion, flag and width Kestrel formats;
 *   1  the last run makes refused calls and keeps their results (bad formats, too few
 *      arguments, a data size that is not a multiple of 8, a seq_file that is not the run's);
 *   2  each VMA's run writes 3000 bytes: runs that do not fit behind what is buffered are done
 *      again on the next read, so the output is whole records;
 *   3  the last run writes 12000 bytes, more than the buffer holds: the read fails with E2BIG.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

int mode = 0;
long ret_bad_conv = 1, ret_few_args = 1, ret_odd_len = 1, ret_no_nul = 1, ret_not_seq = 1;
long ret_overflow = 1;
char big[4000];

SEC("iter/task_vma")
int seq_edges(struct bpf_iter__task_vma *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct vm_area_struct *vma = ctx->vma;

	if (mode == 2 && vma) {
		big[0] = 'V';
		bpf_seq_write(seq, big, 3000);
		return 0;
	}
	if (vma)
		return 0;
	if (mode == 0) {
		BPF_SEQ_PRINTF(seq, "[%-5d|%05d|%+d|% d|%d|%i]\n", 42, 42, 42, 42, -42, 7);
		BPF_SEQ_PRINTF(seq, "[%x|%X|%#x|%#18lx|%lld|%llu|%u]\n", 255, 255, 255, 0x400000ul,
			       -5ll, 18446744073709551615ull, 4294967295u);
		BPF_SEQ_PRINTF(seq, "[%c|%s|%5s|%-5s|%%|%p]\n", 'k', "str", "ab", "ab",
			       (void *)0x1000);
	} else if (mode == 1) {
		static const char bad_conv[] = "%q\n";
		static const char few[] = "%d %d\n";
		static const char no_nul[3] = {'a', 'b', 'c'};
		__u64 args[2] = {1, 2};
		ret_bad_conv = bpf_seq_printf(seq, bad_conv, sizeof(bad_conv), args, 8);
		ret_few_args = bpf_seq_printf(seq, few, sizeof(few), args, 8);
		ret_odd_len = bpf_seq_printf(seq, few, sizeof(few), args, 12);
		ret_no_nul = bpf_seq_printf(seq, no_nul, sizeof(no_nul), args, 0);
		ret_not_seq = bpf_seq_write((struct seq_file *)ctx->meta, "x", 1);
	} else if (mode == 3) {
		bpf_seq_write(seq, big, sizeof(big));
		bpf_seq_write(seq, big, sizeof(big));
		ret_overflow = bpf_seq_write(seq, big, sizeof(big));
	}
	return 0;
}

char _license[] SEC("license") = "GPL";
