/*
 * The program types Kestrel loads (prog_type.h). Context layouts and helper lists follow Linux's
 * syscall_prog_is_valid_access and tc_cls_act_is_valid_access / bpf_skb_is_valid_access; where
 * Kestrel leaves something out it says so at the entry.
 */
#include "kernel/bpf/prog_type.h"

#include <stddef.h>

#include "uapi/kestrel_btf_types.h"

#define BIT_OF(id) ((uint64_t)1 << ((id) % 64))

/*
 * The helpers both types may call. Every one of them is below 256, so four words hold the set;
 * word() puts an id's bit in its word.
 */
#define word(w, id) ((id) / 64 == (w) ? BIT_OF(id) : 0)
#define BASE_HELPERS(w)                                                                   \
	(word(w, BPF_FUNC_map_lookup_elem) | word(w, BPF_FUNC_map_update_elem) |          \
	 word(w, BPF_FUNC_map_delete_elem) | word(w, BPF_FUNC_ktime_get_ns) |             \
	 word(w, BPF_FUNC_trace_printk) | word(w, BPF_FUNC_get_smp_processor_id) |        \
	 word(w, BPF_FUNC_get_current_pid_tgid) | word(w, BPF_FUNC_get_current_comm) |    \
	 word(w, BPF_FUNC_map_lookup_percpu_elem) | word(w, BPF_FUNC_for_each_map_elem) | \
	 word(w, BPF_FUNC_loop))
#define BASE_HELPER_SET                                                            \
	{                                                                          \
		BASE_HELPERS(0), BASE_HELPERS(1), BASE_HELPERS(2), BASE_HELPERS(3) \
	}
/* Tracing programs add reading kernel and user memory and the current task (Linux's
   bpf_tracing_func_proto, for the helpers Kestrel has). bpf_copy_from_user is among them, as in
   Linux, and the verifier refuses it to a program that may not sleep (func_proto.c). */
#define TRACING_HELPERS(w)                                                             \
	(BASE_HELPERS(w) | word(w, BPF_FUNC_get_current_task) |                        \
	 word(w, BPF_FUNC_get_current_task_btf) | word(w, BPF_FUNC_find_vma) |         \
	 word(w, BPF_FUNC_get_current_uid_gid) | word(w, BPF_FUNC_probe_read_kernel) | \
	 word(w, BPF_FUNC_probe_read_kernel_str) | word(w, BPF_FUNC_probe_read_user) | \
	 word(w, BPF_FUNC_probe_read_user_str) | word(w, BPF_FUNC_copy_from_user))
#define TRACING_HELPER_SET                                                                     \
	{                                                                                      \
		TRACING_HELPERS(0), TRACING_HELPERS(1), TRACING_HELPERS(2), TRACING_HELPERS(3) \
	}

_Static_assert(__BPF_FUNC_MAX_ID <= 256, "helper sets are four words");

/*
 * BPF_PROG_TYPE_SYSCALL: the context is BPF_PROG_TEST_RUN's ctx_in buffer, read-write at any
 * offset below U16_MAX (Linux's rule), so the verifier reports the furthest byte touched. The
 * helpers are the tracing programs' (Linux's syscall_prog_func_proto falls back to
 * tracing_prog_func_proto: bpf_find_vma among them).
 */
static const struct bpf_prog_type_desc syscall_desc = {
	.name = "syscall",
	.ctx_size = 0xffff,
	.helpers = TRACING_HELPER_SET,
	.may_sleep = true,
};

#define SKB_FIELD(member, rd, wr)                               \
	{                                                       \
		.start = offsetof(struct __sk_buff, member),    \
		.end = offsetof(struct __sk_buff, member) +     \
		       sizeof(((struct __sk_buff *)0)->member), \
		.read_sizes = rd, .write_sizes = wr             \
	}
/* A 4-byte field: narrow loads allowed, stores (where allowed) of exactly 4 bytes. */
#define NARROW (BPF_CTX_SZ1 | BPF_CTX_SZ2 | BPF_CTX_SZ4)
#define ANY_SIZE (BPF_CTX_SZ1 | BPF_CTX_SZ2 | BPF_CTX_SZ4 | BPF_CTX_SZ8)

/*
 * struct __sk_buff for tc (SCHED_CLS) programs, as tc_cls_act_is_valid_access allows: reads of
 * the scalar fields, writes to mark, queue_mapping, priority, tc_index, cb[], tc_classid and
 * tstamp. Left out for now (there is no network): the packet pointers data, data_end and
 * data_meta, the socket pointer sk and flow_keys; the socket-address fields family..local_port
 * are not readable from tc in Linux either.
 */
static const struct bpf_ctx_field skb_fields[] = {
	SKB_FIELD(len, NARROW, 0),
	SKB_FIELD(pkt_type, NARROW, 0),
	SKB_FIELD(mark, NARROW, BPF_CTX_SZ4),
	SKB_FIELD(queue_mapping, NARROW, BPF_CTX_SZ4),
	SKB_FIELD(protocol, NARROW, 0),
	SKB_FIELD(vlan_present, NARROW, 0),
	SKB_FIELD(vlan_tci, NARROW, 0),
	SKB_FIELD(vlan_proto, NARROW, 0),
	SKB_FIELD(priority, NARROW, BPF_CTX_SZ4),
	SKB_FIELD(ingress_ifindex, NARROW, 0),
	SKB_FIELD(ifindex, NARROW, 0),
	SKB_FIELD(tc_index, NARROW, BPF_CTX_SZ4),
	SKB_FIELD(cb, ANY_SIZE, ANY_SIZE),
	SKB_FIELD(hash, NARROW, 0),
	SKB_FIELD(tc_classid, NARROW, BPF_CTX_SZ4),
	SKB_FIELD(napi_id, NARROW, 0),
	SKB_FIELD(tstamp, BPF_CTX_SZ8, BPF_CTX_SZ8),
	SKB_FIELD(wire_len, NARROW, 0),
	SKB_FIELD(gso_segs, NARROW, 0),
	SKB_FIELD(gso_size, NARROW, 0),
	{.start = offsetof(struct __sk_buff, gso_size) + 4,
	 .end = offsetof(struct __sk_buff, gso_size) + 5,
	 .read_sizes = BPF_CTX_SZ1}, /* tstamp_type, a bit-field Linux reads as one byte */
	SKB_FIELD(hwtstamp, BPF_CTX_SZ8, 0),
};

static const struct bpf_prog_type_desc sched_cls_desc = {
	.name = "sched_cls",
	.ctx_fields = skb_fields,
	.nctx_fields = sizeof(skb_fields) / sizeof(skb_fields[0]),
	.ctx_size = sizeof(struct __sk_buff),
	.helpers = BASE_HELPER_SET,
};

/*
 * BPF_PROG_TYPE_RAW_TRACEPOINT: the context is the tracepoint's arguments as u64s (struct
 * bpf_raw_tracepoint_args), read-only, at most Linux's MAX_BPF_FUNC_ARGS of them (Linux's
 * bpf_tracing_ctx_access); attaching checks the bytes read against the tracepoint's count.
 */
static const struct bpf_ctx_field raw_tp_fields[] = {
	{.end = 12 * sizeof(uint64_t),
	 .read_sizes = BPF_CTX_SZ1 | BPF_CTX_SZ2 | BPF_CTX_SZ4 | BPF_CTX_SZ8},
};

static const struct bpf_prog_type_desc raw_tracepoint_desc = {
	.name = "raw_tracepoint",
	.ctx_fields = raw_tp_fields,
	.nctx_fields = 1,
	.ctx_size = 12 * sizeof(uint64_t),
	.helpers = TRACING_HELPER_SET,
};

/*
 * BPF_PROG_TYPE_TRACING: the context is the attach point's typed arguments (tracing.c builds it
 * from the kernel's BTF), so these carry only the helper sets. Iterators print into the reader's
 * buffer (Linux's bpf_iter_get_func_proto adds the seq helpers; bpf_d_path is allowed for them).
 */
#define ITER_HELPERS(w)                                                                    \
	(TRACING_HELPERS(w) | word(w, BPF_FUNC_seq_printf) | word(w, BPF_FUNC_seq_write) | \
	 word(w, BPF_FUNC_d_path))

static const struct bpf_prog_type_desc tracing_desc = {
	.name = "tracing",
	.helpers = TRACING_HELPER_SET,
};

static const struct bpf_prog_type_desc tracing_iter_desc = {
	.name = "tracing",
	.helpers = {ITER_HELPERS(0), ITER_HELPERS(1), ITER_HELPERS(2), ITER_HELPERS(3)},
	.may_sleep = true,
};

const struct bpf_prog_type_desc *bpf_prog_type_tracing_base(uint32_t expected_attach_type)
{
	switch (expected_attach_type) {
	case BPF_TRACE_ITER:
		return &tracing_iter_desc;
	case BPF_TRACE_RAW_TP:
		return &tracing_desc;
	default:
		return NULL;
	}
}

/*
 * BPF_PROG_TYPE_PERF_EVENT: struct bpf_perf_event_data, read-only, as Linux's
 * pe_prog_is_valid_access: the saved registers in whole 8-byte words, sample_period and addr also
 * narrower. The tracing helpers (Linux's pe_prog_func_proto adds perf-only ones Kestrel lacks).
 * Kestrel has no perf events, so these programs load and nothing attaches them: BPF_LINK_CREATE
 * refuses them (link.c), as a kernel without the event would.
 */
#define PERF_FIELD(member, rd)                                            \
	{                                                                 \
		.start = offsetof(struct bpf_perf_event_data, member),    \
		.end = offsetof(struct bpf_perf_event_data, member) +     \
		       sizeof(((struct bpf_perf_event_data *)0)->member), \
		.read_sizes = rd                                          \
	}
static const struct bpf_ctx_field perf_event_fields[] = {
	PERF_FIELD(regs, BPF_CTX_SZ8),
	PERF_FIELD(sample_period, ANY_SIZE),
	PERF_FIELD(addr, ANY_SIZE),
};

static const struct bpf_prog_type_desc perf_event_desc = {
	.name = "perf_event",
	.ctx_fields = perf_event_fields,
	.nctx_fields = sizeof(perf_event_fields) / sizeof(perf_event_fields[0]),
	.ctx_size = sizeof(struct bpf_perf_event_data),
	.helpers = TRACING_HELPER_SET,
};

static const struct bpf_prog_type_desc *const descs[__MAX_BPF_PROG_TYPE] = {
	[BPF_PROG_TYPE_PERF_EVENT] = &perf_event_desc,
	[BPF_PROG_TYPE_RAW_TRACEPOINT] = &raw_tracepoint_desc,
	[BPF_PROG_TYPE_TRACING] = &tracing_desc,
	[BPF_PROG_TYPE_SYSCALL] = &syscall_desc,
	[BPF_PROG_TYPE_SCHED_CLS] = &sched_cls_desc,
};

const struct bpf_prog_type_desc *bpf_prog_type_desc(uint32_t prog_type)
{
	return prog_type < __MAX_BPF_PROG_TYPE ? descs[prog_type] : NULL;
}
