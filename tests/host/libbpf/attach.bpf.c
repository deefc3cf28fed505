/*
 * Programs that attach, for the loader's object test (tests/host/test_libbpf_object.c): an
 * iterator and a raw tracepoint, and (autoload off) BTF-typed tracepoints, one of them named
 * after a tracepoint no kernel has.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("iter/task_vma")
int dump_vma(void *ctx)
{
	return 0;
}

SEC("raw_tp/sys_enter")
int raw_enter(void *ctx)
{
	return 0;
}

SEC("?tp_btf/sys_enter")
int btf_enter(void *ctx)
{
	return 0;
}

SEC("?tp_btf/no_such_tracepoint")
int btf_nothing(void *ctx)
{
	return 0;
}

char _license[] SEC("license") = "GPL";
