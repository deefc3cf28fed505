/*
 * The kernel's kfuncs: the functions BPF programs call by BTF id (BPF_PSEUDO_KFUNC_CALL), which
 * the libbpf-compatible loader resolves from a program's `.ksyms` externs to the kernel BTF's
 * BTF_KIND_FUNC of the same name (scripts/btf/vmlinux_btf.c defines one per kfunc, with the
 * prototype of include/bpf/bpf_experimental.h). The table in kfunc.c gives each name its
 * implementation, its prototype for the verifier (func_proto.h; typed arguments and results name
 * their structs, resolved against the kernel's BTF), its flags (verifier.h's BPF_KF_*) and the
 * program types that may call it.
 */
#ifndef KERNEL_BPF_KFUNC_H
#define KERNEL_BPF_KFUNC_H

#include <stdint.h>

#include "kernel/bpf/verifier.h"

struct btf;

/*
 * What the verifier needs of kernel BTF id btf_id (the FUNC a kfunc call names) for a program of
 * prog_type: 0 and *out (its prototype lives as long as the kernel), or, as Linux answers:
 *   -EINVAL  btf_id is not a BTF_KIND_FUNC of btf ("kernel btf_id N is not a function");
 *   -EACCES  a function, but no kfunc, or one prog_type may not call (out->name says which:
 *            "calling kernel function NAME is not allowed").
 * btf is the kernel's (btf_sys.h: btf_vmlinux()); NULL gives -EINVAL. Needs no lock: the table and
 * the BTF never change, and the prototypes are resolved once, the first time (a spinlock orders
 * that), so it may be called from concurrent loads.
 */
int bpf_kfunc_get(const struct btf *btf, uint32_t prog_type, uint32_t btf_id,
		  struct bpf_verifier_kfunc *out);

/*
 * The implementations (kernel/bpf/task_vma_iter.c), called by programs with the bpf_func_t
 * convention: bpf_iter_task_vma_new(it, task, addr), _next(it), _destroy(it), Linux's contract
 * (include/bpf/bpf_experimental.h).
 */
uint64_t bpf_iter_task_vma_new_impl(uint64_t it, uint64_t task, uint64_t addr, uint64_t r4,
				    uint64_t r5);
uint64_t bpf_iter_task_vma_next_impl(uint64_t it, uint64_t r2, uint64_t r3, uint64_t r4,
				     uint64_t r5);
uint64_t bpf_iter_task_vma_destroy_impl(uint64_t it, uint64_t r2, uint64_t r3, uint64_t r4,
					uint64_t r5);

/*
 * Check the kernel's side of the task VMA iterator at it (a struct bpf_iter_task_vma): NULL when
 * the invariant written above struct task_vma_iter holds, else which part is broken. An iterator
 * that holds nothing (its _new failed, or _destroy ran) passes. For tests: call with the
 * iterator between two kfunc calls, from the task that made it; walks the map's entry list.
 */
struct bpf_iter_task_vma;
const char *bpf_iter_task_vma_check(const struct bpf_iter_task_vma *it);

#endif
