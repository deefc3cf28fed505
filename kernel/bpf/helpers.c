/*
 * The helper implementations (kernel/bpf/helpers.h): each takes the five argument registers as the
 * executors pass them and converts them to what the prototype (kernel/bpf/func_proto.c) promised
 * the verifier checked. Return values are Linux's.
 */
#include "kernel/bpf/helpers.h"

#include "kernel/bpf/map.h"
#include "kernel/cpu.h"
#include "kernel/ktime.h"
#include "kernel/preempt.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "uapi/bpf.h"
#include "uapi/errno.h"

#define PTR(r) ((void *)(uintptr_t)(r))
#define U64(p) ((uint64_t)(uintptr_t)(p))

static uint64_t map_lookup_elem(uint64_t map, uint64_t key, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3, (void)r4, (void)r5;
	return U64(bpf_map_lookup_elem(PTR(map), PTR(key)));
}

static uint64_t map_update_elem(uint64_t map, uint64_t key, uint64_t value, uint64_t flags,
				uint64_t r5)
{
	(void)r5;
	return (uint64_t)bpf_map_update_elem(PTR(map), PTR(key), PTR(value), flags);
}

static uint64_t map_delete_elem(uint64_t map, uint64_t key, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3, (void)r4, (void)r5;
	return (uint64_t)bpf_map_delete_elem(PTR(map), PTR(key));
}

static uint64_t ktime_get(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return ktime_get_ns();
}

static uint64_t trace_printk(uint64_t fmt, uint64_t fmt_size, uint64_t a1, uint64_t a2, uint64_t a3)
{
	const uint64_t args[3] = {a1, a2, a3};
	return (uint64_t)bpf_trace_printk_fmt(PTR(fmt), (uint32_t)fmt_size, args);
}

static uint64_t get_smp_processor_id(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				     uint64_t r5)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return cpu_this_id();
}

/* A Kestrel task is one thread: its tgid is its pid. */
static uint64_t get_current_pid_tgid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				     uint64_t r5)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	uint64_t pid = (uint32_t)task_current()->pid;
	return pid << 32 | pid;
}

/* Linux's comm: the name truncated to BPF_TASK_COMM_LEN - 1 bytes; the rest of buf zero-filled. */
static uint64_t get_current_comm(uint64_t buf, uint64_t size, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3, (void)r4, (void)r5;
	char *dst = PTR(buf);
	const char *name = task_current()->name;
	size_t n = strlen(name);
	size_t room = (uint32_t)size - 1; /* the verifier proved size >= 1 */

	if (n > BPF_TASK_COMM_LEN - 1)
		n = BPF_TASK_COMM_LEN - 1;
	if (n > room)
		n = room;
	memcpy(dst, name, n);
	memset(dst + n, 0, (uint32_t)size - n);
	return 0;
}

static uint64_t map_lookup_percpu_elem(uint64_t map, uint64_t key, uint64_t cpu, uint64_t r4,
				       uint64_t r5)
{
	(void)r4, (void)r5;
	return U64(bpf_map_lookup_percpu_elem(PTR(map), PTR(key), (uint32_t)cpu));
}

/*
 * An interpreted callback as the bpf_func_t bpf_map_for_each_elem calls: the function and the
 * program's own callback_ctx ride in the ctx argument.
 */
struct interp_closure {
	const struct bpf_exec_func *f;
	uint64_t ctx;
};

static uint64_t interp_elem_cb(uint64_t map, uint64_t key, uint64_t value, uint64_t closure,
			       uint64_t r5)
{
	const struct interp_closure *c = PTR(closure);
	return bpf_exec_call_func(c->f, map, key, value, c->ctx, r5);
}

/* A JIT-compiled callback is already a bpf_func_t: the map calls it directly. */
static uint64_t for_each_map_elem(uint64_t map, uint64_t fn, uint64_t ctx, uint64_t flags,
				  uint64_t r5)
{
	(void)r5;
	const struct bpf_exec_func *f = PTR(fn);
	if (f->native)
		return (uint64_t)bpf_map_for_each_elem(PTR(map), f->native, PTR(ctx), flags);
	struct interp_closure c = {f, ctx};
	return (uint64_t)bpf_map_for_each_elem(PTR(map), interp_elem_cb, &c, flags);
}

/*
 * 2^23 callbacks, each of which may itself walk a large map, can take far longer than a time
 * slice: every iteration is a preemption point (kernel/preempt.h; the run stays an RCU reader,
 * as rcu.h allows), and a task that has been killed stops looping (it exits as soon as its system
 * call returns, so only what the rest of the program does to maps can tell).
 */
static uint64_t loop(uint64_t nr, uint64_t fn, uint64_t ctx, uint64_t flags, uint64_t r5)
{
	(void)r5;
	const struct bpf_exec_func *f = PTR(fn);
	uint32_t nr_loops = (uint32_t)nr, i;
	const bool *killed = &task_current()->killed;

	if (flags)
		return (uint64_t)-EINVAL;
	if (nr_loops > BPF_MAX_LOOPS)
		return (uint64_t)-E2BIG;
	for (i = 0; i < nr_loops && !__atomic_load_n(killed, __ATOMIC_RELAXED); i++) {
		if (bpf_exec_call_func(f, i, ctx, 0, 0, 0))
			return i + 1;
		preempt_point();
	}
	return i;
}

const bpf_func_t bpf_helper_fns[__BPF_FUNC_MAX_ID] = {
	[BPF_FUNC_map_lookup_elem] = map_lookup_elem,
	[BPF_FUNC_map_update_elem] = map_update_elem,
	[BPF_FUNC_map_delete_elem] = map_delete_elem,
	[BPF_FUNC_ktime_get_ns] = ktime_get,
	[BPF_FUNC_trace_printk] = trace_printk,
	[BPF_FUNC_get_smp_processor_id] = get_smp_processor_id,
	[BPF_FUNC_get_current_pid_tgid] = get_current_pid_tgid,
	[BPF_FUNC_get_current_comm] = get_current_comm,
	[BPF_FUNC_map_lookup_percpu_elem] = map_lookup_percpu_elem,
	[BPF_FUNC_for_each_map_elem] = for_each_map_elem,
	[BPF_FUNC_loop] = loop,
	[BPF_FUNC_get_current_task] = bpf_helper_get_current_task,
	[BPF_FUNC_get_current_uid_gid] = bpf_helper_get_current_uid_gid,
	[BPF_FUNC_probe_read_kernel] = bpf_helper_probe_read_kernel,
	[BPF_FUNC_probe_read_kernel_str] = bpf_helper_probe_read_kernel_str,
	[BPF_FUNC_probe_read_user] = bpf_helper_probe_read_user,
	[BPF_FUNC_probe_read_user_str] = bpf_helper_probe_read_user_str,
	[BPF_FUNC_seq_printf] = bpf_helper_seq_printf,
	[BPF_FUNC_seq_write] = bpf_helper_seq_write,
	[BPF_FUNC_d_path] = bpf_helper_d_path,
	[BPF_FUNC_get_current_task_btf] = bpf_helper_get_current_task,
	[BPF_FUNC_find_vma] = bpf_helper_find_vma,
	[BPF_FUNC_copy_from_user] = bpf_helper_copy_from_user,
};
