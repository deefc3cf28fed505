/*
 * The kfunc table (contract in kernel/bpf/kfunc.h). A kfunc is one entry here, its implementation
 * in the file of its concept, and its definition in scripts/btf/vmlinux_btf.c (the BTF FUNC the
 * loader resolves a program's extern to).
 */
#include "kernel/bpf/kfunc.h"

#include "kernel/bpf/btf.h"
#include "kernel/kprintf.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "uapi/errno.h"
#include "uapi/kestrel_btf_types.h"
#include "uapi/linux/bpf.h"

#define TYPE_BIT(t) ((uint64_t)1 << (t))
/*
 * Linux registers the task_vma iterator for every program type that has kfuncs; of Kestrel's
 * types that is all but the ones that cannot run (perf_event).
 */
#define KFUNC_PROG_TYPES                                                              \
	(TYPE_BIT(BPF_PROG_TYPE_SCHED_CLS) | TYPE_BIT(BPF_PROG_TYPE_RAW_TRACEPOINT) | \
	 TYPE_BIT(BPF_PROG_TYPE_TRACING) | TYPE_BIT(BPF_PROG_TYPE_SYSCALL))

/* One kfunc; struct names are resolved against the kernel's BTF into its prototype. */
struct kfunc_def {
	const char *name;
	bpf_func_t fn;
	uint32_t flags;            /* BPF_KF_* */
	uint8_t ret;               /* enum bpf_ret_kind */
	const char *ret_struct;    /* BPF_RET_BTF_ID*: the struct */
	uint8_t args[5];           /* enum bpf_arg_kind */
	const char *arg_struct[5]; /* BPF_ARG_PTR_TO_BTF_ID: the struct */
	const char *iter_name;     /* iterator kfuncs: "task_vma" for struct bpf_iter_task_vma */
	uint32_t iter_size;
	uint64_t prog_types; /* TYPE_BIT per type that may call it */
};

static const struct kfunc_def defs[] = {
	{
		.name = "bpf_iter_task_vma_new",
		.fn = bpf_iter_task_vma_new_impl,
		.flags = BPF_KF_ITER_NEW | BPF_KF_TRUSTED_ARGS,
		.ret = BPF_RET_INTEGER,
		.args = {BPF_ARG_ANYTHING, BPF_ARG_PTR_TO_BTF_ID, BPF_ARG_SCALAR},
		.arg_struct = {NULL, "task_struct"},
		.iter_name = "task_vma",
		.iter_size = sizeof(struct bpf_iter_task_vma),
		.prog_types = KFUNC_PROG_TYPES,
	},
	{
		.name = "bpf_iter_task_vma_next",
		.fn = bpf_iter_task_vma_next_impl,
		.flags = BPF_KF_ITER_NEXT,
		.ret = BPF_RET_BTF_ID_OR_NULL,
		.ret_struct = "vm_area_struct",
		.args = {BPF_ARG_ANYTHING},
		.iter_name = "task_vma",
		.iter_size = sizeof(struct bpf_iter_task_vma),
		.prog_types = KFUNC_PROG_TYPES,
	},
	{
		.name = "bpf_iter_task_vma_destroy",
		.fn = bpf_iter_task_vma_destroy_impl,
		.flags = BPF_KF_ITER_DESTROY,
		.ret = BPF_RET_VOID,
		.args = {BPF_ARG_ANYTHING},
		.iter_name = "task_vma",
		.iter_size = sizeof(struct bpf_iter_task_vma),
		.prog_types = KFUNC_PROG_TYPES,
	},
};

#define NDEFS (sizeof(defs) / sizeof(defs[0]))

/* Filled once from defs and the kernel's BTF (resolved_ok), then never changed. */
static struct {
	struct bpf_func_proto protos[NDEFS];
	uint32_t iter_ids[NDEFS];
	int result; /* 0, or -EINVAL when a struct a prototype names is missing from the BTF */
	bool done;  /* read with acquire: the rest is filled */
} resolved;
static spinlock_t resolve_lock = SPINLOCK_INIT("bpf_kfunc_resolve");

static uint32_t struct_id(const struct btf *btf, const char *name)
{
	int32_t id = btf_find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	return id > 0 ? (uint32_t)id : 0;
}

static int resolve_all(const struct btf *btf)
{
	for (size_t i = 0; i < NDEFS; i++) {
		const struct kfunc_def *d = &defs[i];
		struct bpf_func_proto *p = &resolved.protos[i];
		memset(p, 0, sizeof(*p));
		p->name = d->name;
		p->fn = d->fn;
		p->ret = d->ret;
		memcpy(p->args, d->args, sizeof(p->args));
		if (d->ret_struct && !(p->ret_btf_id = struct_id(btf, d->ret_struct)))
			return -EINVAL;
		for (int a = 0; a < 5; a++)
			if (d->arg_struct[a] &&
			    !(p->arg_btf_id[a] = struct_id(btf, d->arg_struct[a])))
				return -EINVAL;
		if (d->iter_name) {
			char name[64];
			ksnprintf(name, sizeof(name), "bpf_iter_%s", d->iter_name);
			if (!(resolved.iter_ids[i] = struct_id(btf, name)))
				return -EINVAL;
		}
	}
	return 0;
}

static int resolve_once(const struct btf *btf)
{
	if (__atomic_load_n(&resolved.done, __ATOMIC_ACQUIRE))
		return resolved.result;
	spin_lock(&resolve_lock);
	if (!resolved.done) {
		resolved.result = resolve_all(btf);
		__atomic_store_n(&resolved.done, true, __ATOMIC_RELEASE);
	}
	spin_unlock(&resolve_lock);
	return resolved.result;
}

int bpf_kfunc_get(const struct btf *btf, uint32_t prog_type, uint32_t btf_id,
		  struct bpf_verifier_kfunc *out)
{
	const struct btf_type *t = btf ? btf_type_by_id(btf, btf_id) : NULL;

	memset(out, 0, sizeof(*out));
	if (!t || BTF_INFO_KIND(t->info) != BTF_KIND_FUNC)
		return -EINVAL;
	out->name = btf_type_name(btf, btf_id);
	int err = resolve_once(btf);
	if (err)
		return err;
	for (size_t i = 0; i < NDEFS; i++) {
		const struct kfunc_def *d = &defs[i];
		if (strcmp(d->name, out->name))
			continue;
		if (prog_type >= 64 || !((d->prog_types >> prog_type) & 1))
			return -EACCES;
		out->proto = &resolved.protos[i];
		out->call_index = __BPF_FUNC_MAX_ID + (uint32_t)i;
		out->flags = d->flags;
		out->iter_btf_id = resolved.iter_ids[i];
		out->iter_size = d->iter_size;
		out->iter_name = d->iter_name;
		return 0;
	}
	return -EACCES;
}
