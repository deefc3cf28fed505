/*
 * The x86-64 BPF JIT's hook into the trap path (the JIT itself is behind kernel/bpf/exec.h).
 */
#ifndef ARCH_X86_64_BPF_JIT_H
#define ARCH_X86_64_BPF_JIT_H

#include <stdbool.h>

struct trapframe;

/*
 * For a ring-0 page fault: if tf stopped at a BPF_PROBE_MEM or BPF_PROBE_MEMSX load of JIT code,
 * point tf's rip past the load and return true, so that resuming the frame goes on as if the load
 * had read 0 (the JIT zeroes the destination before the load). Otherwise change nothing and
 * return false. Takes the JIT memory allocator's spinlock (kernel/bpf/jit_mem.h) when rip lies in
 * the JIT range.
 */
bool bpf_jit_fixup(struct trapframe *tf);

#endif
