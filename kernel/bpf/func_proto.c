/*
 * The helper prototypes (func_proto.h), with Linux's argument and return kinds for each helper
 * Kestrel implements. The implementations are the loader's; these entries are what the verifier
 * proves about every call.
 */
#include "kernel/bpf/func_proto.h"

#include "uapi/linux/bpf.h"

#define MAP_BIT(t) ((uint64_t)1 << (t))
/* The map types whose values a program reaches through lookups and for_each. */
#define MAPS_ALL                                                                              \
	(MAP_BIT(BPF_MAP_TYPE_HASH) | MAP_BIT(BPF_MAP_TYPE_ARRAY) |                           \
	 MAP_BIT(BPF_MAP_TYPE_PERCPU_HASH) | MAP_BIT(BPF_MAP_TYPE_PERCPU_ARRAY) |             \
	 MAP_BIT(BPF_MAP_TYPE_LRU_HASH) | MAP_BIT(BPF_MAP_TYPE_LRU_PERCPU_HASH))
#define MAPS_PERCPU                                                                           \
	(MAP_BIT(BPF_MAP_TYPE_PERCPU_HASH) | MAP_BIT(BPF_MAP_TYPE_PERCPU_ARRAY) |             \
	 MAP_BIT(BPF_MAP_TYPE_LRU_PERCPU_HASH))

static const struct bpf_func_proto map_lookup_elem_proto = {
	.name = "bpf_map_lookup_elem",
	.ret = BPF_RET_MAP_VALUE_OR_NULL,
	.args = {BPF_ARG_CONST_MAP_PTR, BPF_ARG_PTR_TO_MAP_KEY},
	.map_types = MAPS_ALL,
};

static const struct bpf_func_proto map_update_elem_proto = {
	.name = "bpf_map_update_elem",
	.ret = BPF_RET_INTEGER,
	.args = {BPF_ARG_CONST_MAP_PTR, BPF_ARG_PTR_TO_MAP_KEY, BPF_ARG_PTR_TO_MAP_VALUE,
		 BPF_ARG_ANYTHING},
	.flags = BPF_PROTO_WRITES_MAP,
	.map_types = MAPS_ALL,
};

static const struct bpf_func_proto map_delete_elem_proto = {
	.name = "bpf_map_delete_elem",
	.ret = BPF_RET_INTEGER,
	.args = {BPF_ARG_CONST_MAP_PTR, BPF_ARG_PTR_TO_MAP_KEY},
	.flags = BPF_PROTO_WRITES_MAP,
	.map_types = MAPS_ALL,
};

static const struct bpf_func_proto ktime_get_ns_proto = {
	.name = "bpf_ktime_get_ns",
	.ret = BPF_RET_INTEGER,
};

/*
 * r3..r5 are the format's arguments and, as in Linux, are not checked: a call with fewer
 * conversions leaves them as they are, so the implementation reads only as many as the format
 * names.
 */
static const struct bpf_func_proto trace_printk_proto = {
	.name = "bpf_trace_printk",
	.flags = BPF_PROTO_GPL_ONLY,
	.ret = BPF_RET_INTEGER,
	.args = {BPF_ARG_PTR_TO_MEM, BPF_ARG_CONST_SIZE},
};

static const struct bpf_func_proto get_smp_processor_id_proto = {
	.name = "bpf_get_smp_processor_id",
	.ret = BPF_RET_INTEGER,
};

static const struct bpf_func_proto get_current_pid_tgid_proto = {
	.name = "bpf_get_current_pid_tgid",
	.ret = BPF_RET_INTEGER,
};

static const struct bpf_func_proto get_current_comm_proto = {
	.name = "bpf_get_current_comm",
	.ret = BPF_RET_INTEGER,
	.args = {BPF_ARG_PTR_TO_UNINIT_MEM, BPF_ARG_CONST_SIZE},
};

static const struct bpf_func_proto map_lookup_percpu_elem_proto = {
	.name = "bpf_map_lookup_percpu_elem",
	.ret = BPF_RET_MAP_VALUE_OR_NULL,
	.args = {BPF_ARG_CONST_MAP_PTR, BPF_ARG_PTR_TO_MAP_KEY, BPF_ARG_ANYTHING},
	.map_types = MAPS_PERCPU,
};

static const struct bpf_func_proto for_each_map_elem_proto = {
	.name = "bpf_for_each_map_elem",
	.ret = BPF_RET_INTEGER,
	.args = {BPF_ARG_CONST_MAP_PTR, BPF_ARG_PTR_TO_FUNC, BPF_ARG_PTR_TO_STACK_OR_NULL,
		 BPF_ARG_ANYTHING},
	.map_types = MAPS_ALL,
	.cb_args = {BPF_CB_ARG_MAP, BPF_CB_ARG_MAP_KEY, BPF_CB_ARG_MAP_VALUE, BPF_CB_ARG_CTX},
	.cb_ret_min = 0,
	.cb_ret_max = 1,
};

static const struct bpf_func_proto loop_proto = {
	.name = "bpf_loop",
	.ret = BPF_RET_INTEGER,
	.args = {BPF_ARG_ANYTHING, BPF_ARG_PTR_TO_FUNC, BPF_ARG_PTR_TO_STACK_OR_NULL,
		 BPF_ARG_ANYTHING},
	.cb_args = {BPF_CB_ARG_SCALAR, BPF_CB_ARG_CTX},
	.cb_ret_min = 0,
	.cb_ret_max = 1,
};

/* The tracing helpers (kernel/bpf/helpers_trace.c): GPL-only, as Linux's. */
static const struct bpf_func_proto get_current_task_proto = {
	.name = "bpf_get_current_task",
	.flags = BPF_PROTO_GPL_ONLY,
	.ret = BPF_RET_INTEGER,
};

static const struct bpf_func_proto get_current_uid_gid_proto = {
	.name = "bpf_get_current_uid_gid",
	.ret = BPF_RET_INTEGER,
};

#define PROBE_READ_PROTO(fn)                                                                   \
	static const struct bpf_func_proto fn##_proto = {                                      \
		.name = "bpf_" #fn,                                                            \
		.flags = BPF_PROTO_GPL_ONLY,                                                   \
		.ret = BPF_RET_INTEGER,                                                        \
		.args = {BPF_ARG_PTR_TO_UNINIT_MEM, BPF_ARG_CONST_SIZE_OR_ZERO, BPF_ARG_ANYTHING}, \
	}
PROBE_READ_PROTO(probe_read_kernel);
PROBE_READ_PROTO(probe_read_kernel_str);
PROBE_READ_PROTO(probe_read_user);
PROBE_READ_PROTO(probe_read_user_str);

static const struct bpf_func_proto *const helper_protos[__BPF_FUNC_MAX_ID] = {
	[BPF_FUNC_map_lookup_elem] = &map_lookup_elem_proto,
	[BPF_FUNC_map_update_elem] = &map_update_elem_proto,
	[BPF_FUNC_map_delete_elem] = &map_delete_elem_proto,
	[BPF_FUNC_ktime_get_ns] = &ktime_get_ns_proto,
	[BPF_FUNC_trace_printk] = &trace_printk_proto,
	[BPF_FUNC_get_smp_processor_id] = &get_smp_processor_id_proto,
	[BPF_FUNC_get_current_pid_tgid] = &get_current_pid_tgid_proto,
	[BPF_FUNC_get_current_comm] = &get_current_comm_proto,
	[BPF_FUNC_map_lookup_percpu_elem] = &map_lookup_percpu_elem_proto,
	[BPF_FUNC_for_each_map_elem] = &for_each_map_elem_proto,
	[BPF_FUNC_loop] = &loop_proto,
	[BPF_FUNC_get_current_task] = &get_current_task_proto,
	[BPF_FUNC_get_current_uid_gid] = &get_current_uid_gid_proto,
	[BPF_FUNC_probe_read_kernel] = &probe_read_kernel_proto,
	[BPF_FUNC_probe_read_kernel_str] = &probe_read_kernel_str_proto,
	[BPF_FUNC_probe_read_user] = &probe_read_user_proto,
	[BPF_FUNC_probe_read_user_str] = &probe_read_user_str_proto,
};

const struct bpf_func_proto *bpf_helper_proto(int32_t func_id)
{
	if (func_id < 0 || func_id >= __BPF_FUNC_MAX_ID)
		return NULL;
	return helper_protos[func_id];
}
