/*
 * The helper prototypes (func_proto.h), with Linux's argument and return kinds for each helper
 * Kestrel implements. The implementations are the loader's; these entries are what the verifier
 * proves about every call.
 */
#include "kernel/bpf/func_proto.h"

#include "kernel/bpf/btf.h"
#include "uapi/errno.h"
#include "uapi/linux/bpf.h"

#define MAP_BIT(t) ((uint64_t)1 << (t))
/* The map types whose values a program reaches through lookups and for_each. */
#define MAPS_ALL                                                                  \
	(MAP_BIT(BPF_MAP_TYPE_HASH) | MAP_BIT(BPF_MAP_TYPE_ARRAY) |               \
	 MAP_BIT(BPF_MAP_TYPE_PERCPU_HASH) | MAP_BIT(BPF_MAP_TYPE_PERCPU_ARRAY) | \
	 MAP_BIT(BPF_MAP_TYPE_LRU_HASH) | MAP_BIT(BPF_MAP_TYPE_LRU_PERCPU_HASH))
#define MAPS_PERCPU                                                               \
	(MAP_BIT(BPF_MAP_TYPE_PERCPU_HASH) | MAP_BIT(BPF_MAP_TYPE_PERCPU_ARRAY) | \
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

#define PROBE_READ_PROTO(fn)                                                                       \
	static const struct bpf_func_proto fn##_proto = {                                          \
		.name = "bpf_" #fn,                                                                \
		.flags = BPF_PROTO_GPL_ONLY,                                                       \
		.ret = BPF_RET_INTEGER,                                                            \
		.args = {BPF_ARG_PTR_TO_UNINIT_MEM, BPF_ARG_CONST_SIZE_OR_ZERO, BPF_ARG_ANYTHING}, \
	}
PROBE_READ_PROTO(probe_read_kernel);
PROBE_READ_PROTO(probe_read_kernel_str);
PROBE_READ_PROTO(probe_read_user);
PROBE_READ_PROTO(probe_read_user_str);

/*
 * bpf_copy_from_user (kernel/bpf/helpers.h): Linux's prototype, dst writable for size bytes (0
 * allowed), user_ptr any value. It faults user pages in, so it may sleep: as Linux, only a program
 * loaded with BPF_F_SLEEPABLE may call it, and Kestrel lets only the types whose runs are in a
 * task's process context with no lock held and interrupts on be sleepable
 * (bpf_prog_type_desc.may_sleep): SYSCALL programs (BPF_PROG_TEST_RUN, in the calling task) and
 * TRACING iterators (iter.s/, run by read(2) on the iterator, after the task's map is unlocked).
 * Tracepoint programs are not (vm_fault runs in the fault handler under the map lock; sys_enter
 * and sys_exit as Linux's, which never sleep), nor tc programs (not given the helper at all). A
 * run that sleeps stays an RCU reader, as one preempted does (kernel/rcu.h): callbacks wait.
 */
static const struct bpf_func_proto copy_from_user_proto = {
	.name = "bpf_copy_from_user",
	.flags = BPF_PROTO_MIGHT_SLEEP,
	.ret = BPF_RET_INTEGER,
	.args = {BPF_ARG_PTR_TO_UNINIT_MEM, BPF_ARG_CONST_SIZE_OR_ZERO, BPF_ARG_ANYTHING},
};

/*
 * The prototypes with typed kernel pointers are not const: bpf_helper_protos_init writes their
 * ids at boot (typed_protos lists them).
 *
 * bpf_get_current_task_btf's task is never NULL, as Linux's; should the task's view not be
 * allocated, the pointer is NULL all the same, which loads through it (PROBE_MEM) read as 0 and
 * bpf_find_vma refuses (-ENOENT).
 */
static struct bpf_func_proto get_current_task_btf_proto = {
	.name = "bpf_get_current_task_btf",
	.flags = BPF_PROTO_GPL_ONLY,
	.ret = BPF_RET_BTF_ID,
	.ret_btf_name = "task_struct",
};

/* Linux's: the callback gets the task as passed and the VMA, both read-only, and its ctx. */
static struct bpf_func_proto find_vma_proto = {
	.name = "bpf_find_vma",
	.ret = BPF_RET_INTEGER,
	.args = {BPF_ARG_PTR_TO_BTF_ID, BPF_ARG_ANYTHING, BPF_ARG_PTR_TO_FUNC,
		 BPF_ARG_PTR_TO_STACK_OR_NULL, BPF_ARG_ANYTHING},
	.arg_btf_name = {"task_struct"},
	.cb_args = {BPF_CB_ARG_BTF_ID, BPF_CB_ARG_BTF_ID, BPF_CB_ARG_CTX},
	.cb_btf_name = {"task_struct", "vm_area_struct"},
	.cb_ret_min = 0,
	.cb_ret_max = 1,
};

static struct bpf_func_proto *const typed_protos[] = {&get_current_task_btf_proto, &find_vma_proto};

/*
 * The iterator helpers (kernel/bpf/seq.c). The seq_file and the path are typed pointers of any
 * type here: the implementations check at run time that they are the running iterator's.
 */
static const struct bpf_func_proto seq_printf_proto = {
	.name = "bpf_seq_printf",
	.flags = BPF_PROTO_GPL_ONLY,
	.ret = BPF_RET_INTEGER,
	.args = {BPF_ARG_PTR_TO_BTF_ID, BPF_ARG_PTR_TO_MEM, BPF_ARG_CONST_SIZE, BPF_ARG_PTR_TO_MEM,
		 BPF_ARG_CONST_SIZE_OR_ZERO},
};

static const struct bpf_func_proto seq_write_proto = {
	.name = "bpf_seq_write",
	.flags = BPF_PROTO_GPL_ONLY,
	.ret = BPF_RET_INTEGER,
	.args = {BPF_ARG_PTR_TO_BTF_ID, BPF_ARG_PTR_TO_MEM, BPF_ARG_CONST_SIZE_OR_ZERO},
};

static const struct bpf_func_proto d_path_proto = {
	.name = "bpf_d_path",
	.ret = BPF_RET_INTEGER,
	.args = {BPF_ARG_PTR_TO_BTF_ID, BPF_ARG_PTR_TO_UNINIT_MEM, BPF_ARG_CONST_SIZE_OR_ZERO},
};

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
	[BPF_FUNC_seq_printf] = &seq_printf_proto,
	[BPF_FUNC_seq_write] = &seq_write_proto,
	[BPF_FUNC_d_path] = &d_path_proto,
	[BPF_FUNC_get_current_task_btf] = &get_current_task_btf_proto,
	[BPF_FUNC_find_vma] = &find_vma_proto,
	[BPF_FUNC_copy_from_user] = &copy_from_user_proto,
};

const struct bpf_func_proto *bpf_helper_proto(int32_t func_id)
{
	if (func_id < 0 || func_id >= __BPF_FUNC_MAX_ID)
		return NULL;
	return helper_protos[func_id];
}

/* The id of struct name in vmlinux into *id: true, or false with *missing = name. NULL: no type. */
static bool resolve(const struct btf *vmlinux, const char *name, uint32_t *id, const char **missing)
{
	if (!name)
		return true;
	int32_t r = btf_find_by_name_kind(vmlinux, name, BTF_KIND_STRUCT);
	if (r <= 0) {
		*missing = name;
		return false;
	}
	*id = (uint32_t)r;
	return true;
}

int bpf_helper_protos_init(const struct btf *vmlinux, const char **missing)
{
	for (size_t i = 0; i < sizeof(typed_protos) / sizeof(typed_protos[0]); i++) {
		struct bpf_func_proto *p = typed_protos[i];
		bool ok = resolve(vmlinux, p->ret_btf_name, &p->ret_btf_id, missing);
		for (int a = 0; a < 5 && ok; a++)
			ok = resolve(vmlinux, p->arg_btf_name[a], &p->arg_btf_id[a], missing) &&
			     resolve(vmlinux, p->cb_btf_name[a], &p->cb_btf_id[a], missing);
		if (!ok)
			return -ENOENT;
	}
	return 0;
}
