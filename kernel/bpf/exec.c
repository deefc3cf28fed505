/* What both executors check of a program's shape (contract in kernel/bpf/exec.h). */
#include "kernel/bpf/exec.h"

bool bpf_exec_shape_ok(const struct bpf_exec_prog *p)
{
	if (p->len == 0 || p->nsubprogs == 0 || p->nsubprogs > p->len || p->subprog_start[0] != 0)
		return false;
	for (uint32_t s = 0; s < p->nsubprogs; s++) {
		if (p->stack_depth[s] > BPF_STACK_FRAME_MAX)
			return false;
		if (s > 0 && (p->subprog_start[s] <= p->subprog_start[s - 1] ||
			      p->subprog_start[s] >= p->len))
			return false;
	}
	uint8_t last = p->insns[p->len - 1].code;
	return last == (BPF_JMP | BPF_EXIT) || last == (BPF_JMP | BPF_JA) ||
	       last == (BPF_JMP32 | BPF_JA);
}
