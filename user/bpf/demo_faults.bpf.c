/*
 * The demo's fault counter (user/bin/demo.c): a raw tracepoint program on Kestrel's vm_fault
 * tracepoint (kernel/trace.h: task, address, access, result, page size) that counts the demo's
 * faults by the size of the page each one mapped, in global variables the demo reads through its
 * skeleton.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 demo_pid; /* set by the demo before load */

__u64 faults_4k, faults_2m, faults_failed;

SEC("raw_tp/vm_fault")
int count_faults(struct bpf_raw_tracepoint_args *ctx)
{
	if ((__u32)(bpf_get_current_pid_tgid() >> 32) != demo_pid)
		return 0;
	__u64 page_size = ctx->args[4];
	if (page_size == 4096)
		__sync_fetch_and_add(&faults_4k, 1);
	else if (page_size == 2 << 20)
		__sync_fetch_and_add(&faults_2m, 1);
	else
		__sync_fetch_and_add(&faults_failed, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
