/*
 * kfunc externs for the loader's object test (tests/host/test_libbpf_object.c): one the kernel's
 * BTF has (bpf_iter_task_vma_new) and a __weak one it lacks, which resolves to 0.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_iter_task_vma;
struct task_struct;

extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task,
				 __u64 addr) __ksym;
extern int bpf_kestrel_no_such_kfunc(int x) __weak __ksym;

SEC("syscall")
int call_kfuncs(void *ctx)
{
	int r = bpf_iter_task_vma_new(0, 0, 0);

	if (bpf_kestrel_no_such_kfunc)
		r += bpf_kestrel_no_such_kfunc(1);
	return r;
}

char _license[] SEC("license") = "GPL";
