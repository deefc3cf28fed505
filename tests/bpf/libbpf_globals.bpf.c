/*
 * Global data, bpf-to-bpf calls and the loader's refusals, for tests/user/libbpf_globals.c (through
 * bpftool's skeleton). It includes <linux/bpf.h> rather than vmlinux.h so that the programs the
 * test loads need no CO-RE relocation against the kernel (core_task does, on purpose).
 *
 *   bump       (syscall) counts its runs in .bss, adds scale * 2 to a .data counter through a
 *              subprogram, copies a .rodata constant, counts in a hash map and returns scale;
 *   classify   (tc) returns the packet's length;
 *   autoload off: on_sys_enter (raw_tp: counts system calls in .bss), on_perf (perf_event: loads,
 *   reads its context, and nothing can attach it), on_kprobe (kprobe, a type Kestrel cannot load);
 *   write_rodata, which the verifier must refuse; core_task, whose CO-RE relocations need the
 *   kernel's BTF.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* .rodata: set by the test before load, constants afterwards. */
const volatile __u32 scale = 1;
const volatile __u64 magic = 0x1111;

/* .data */
__u64 counter = 5;
char tag[8] = "kestrel";

/* .bss */
__u64 runs;
__u64 last_magic;
__u64 pid_off;
__u64 missing_exists = 99;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __noinline __u64 times_scale(__u64 x)
{
	return x * scale;
}

SEC("syscall")
int bump(void *ctx)
{
	__u32 k = 1;
	__u64 one = 1, *v;

	runs++;
	counter += times_scale(2);
	last_magic = magic;
	v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &k, &one, BPF_ANY);
	return scale;
}

SEC("tc")
int classify(struct __sk_buff *skb)
{
	runs++;
	return skb->len;
}

SEC("?raw_tp/sys_enter")
int on_sys_enter(void *ctx)
{
	runs++;
	return 0;
}

/* struct bpf_perf_event_data's layout on x86-64 (this file does without vmlinux.h): */
struct perf_event_ctx {
	__u64 regs[21]; /* struct pt_regs: r15 ... ss; ip is regs[16] */
	__u64 sample_period;
	__u64 addr;
};

SEC("?perf_event")
int on_perf(struct perf_event_ctx *ctx)
{
	/* A register in a whole word and the sample period in a narrower read, as Linux allows. */
	return ctx->regs[16] != 0 && *(volatile __u32 *)&ctx->sample_period != 0;
}

SEC("?kprobe/sys_getpid")
int on_kprobe(void *ctx)
{
	return 0;
}

SEC("?syscall")
int write_rodata(void *ctx)
{
	*(volatile __u32 *)&scale = 7;
	return 0;
}

/* The kernel's task, as a program written for Linux sees it: fields found by name at load. */
struct task_struct {
	int pid;
	int no_such_field;
} __attribute__((preserve_access_index));

SEC("?syscall")
int core_task(void *ctx)
{
	pid_off = bpf_core_field_offset(struct task_struct, pid);
	missing_exists = bpf_core_field_exists(struct task_struct, no_such_field);
	return 0;
}

char _license[] SEC("license") = "GPL";
