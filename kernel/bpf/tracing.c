/* TRACING programs' attach points and contexts (contract in kernel/bpf/tracing.h). */
#include "kernel/bpf/tracing.h"

#include "kernel/bpf/bpf_iter.h"
#include "kernel/bpf/btf.h"
#include "kernel/bpf/file.h"
#include "kernel/bpf/prog.h"
#include "kernel/bpf/btf_sys.h"
#include "kernel/bpf/raw_tp.h"
#include "kernel/bpf/syscall.h"
#include "kernel/string.h"
#include "uapi/errno.h"
#include "uapi/linux/btf.h"

#define ITER_PREFIX "bpf_iter_"
#define TP_PREFIX "btf_trace_"

/* The iterator targets Kestrel has (Linux registers each with DEFINE_BPF_ITER_FUNC). */
static const char *const iter_targets[] = {"task_vma"};

static const struct btf_type *kind_of(const struct btf *btf, uint32_t id, uint8_t kind)
{
	const struct btf_type *t = btf_type_by_id(btf, id);
	return t && BTF_INFO_KIND(t->info) == kind ? t : NULL;
}

/* A FUNC_PROTO's parameters from skip on as context fields; or_null_from: the first "or NULL". */
static int fill_ctx(const struct btf *btf, const struct btf_type *proto, uint32_t skip,
		    uint32_t or_null_from, struct bpf_tracing_ctx *out)
{
	const struct btf_param *p = (const struct btf_param *)(proto + 1);
	uint32_t n = BTF_INFO_VLEN(proto->info);

	if (n < skip || n - skip > BPF_TRACING_MAX_ARGS)
		return -EINVAL;
	for (uint32_t i = skip; i < n; i++) {
		struct bpf_ctx_field *f = &out->fields[i - skip];
		uint32_t slot = i - skip;
		*f = (struct bpf_ctx_field){
			.start = (uint16_t)(slot * 8),
			.end = (uint16_t)(slot * 8 + 8),
			.read_sizes = BPF_CTX_SZ1 | BPF_CTX_SZ2 | BPF_CTX_SZ4 | BPF_CTX_SZ8,
			.btf_id = btf_ptr_struct_target(btf, p[i].type),
		};
		if (f->btf_id) {
			f->read_sizes = BPF_CTX_SZ8;
			if (slot >= or_null_from)
				f->flags = BPF_CTX_PTR_OR_NULL;
		}
	}
	out->desc.ctx_fields = out->fields;
	out->desc.nctx_fields = n - skip;
	out->desc.ctx_size = (n - skip) * 8;
	return 0;
}

static int iter_ctx(const struct btf *btf, uint32_t id, struct bpf_tracing_ctx *out)
{
	const struct btf_type *fn = kind_of(btf, id, BTF_KIND_FUNC);
	const char *name = btf_type_name(btf, id);

	if (!fn || strncmp(name, ITER_PREFIX, strlen(ITER_PREFIX)))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(iter_targets) / sizeof(iter_targets[0]); i++) {
		if (strcmp(name + strlen(ITER_PREFIX), iter_targets[i]))
			continue;
		const struct btf_type *proto = kind_of(btf, fn->type, BTF_KIND_FUNC_PROTO);
		/* meta is always there; the target's objects are NULL on the last run. */
		return proto ? fill_ctx(btf, proto, 0, 1, out) : -EINVAL;
	}
	return -EINVAL;
}

int bpf_tracing_tp_of(uint32_t attach_btf_id, enum trace_point *tp)
{
	const struct btf *btf = btf_vmlinux();

	if (!btf || !kind_of(btf, attach_btf_id, BTF_KIND_TYPEDEF))
		return -EINVAL;
	const char *name = btf_type_name(btf, attach_btf_id);
	if (strncmp(name, TP_PREFIX, strlen(TP_PREFIX)) ||
	    bpf_raw_tp_find(name + strlen(TP_PREFIX), tp))
		return -EINVAL;
	return 0;
}

static int tp_ctx(const struct btf *btf, uint32_t id, struct bpf_tracing_ctx *out)
{
	enum trace_point tp;
	uint32_t ptr_id;

	int r = bpf_tracing_tp_of(id, &tp);
	if (r)
		return r;
	/* typedef -> pointer -> FUNC_PROTO (void *, args...), as Linux's btf_trace_<name>. */
	const struct btf_type *ptr = btf_type_skip_modifiers(btf, id, &ptr_id);
	const struct btf_type *proto = ptr && BTF_INFO_KIND(ptr->info) == BTF_KIND_PTR
					       ? kind_of(btf, ptr->type, BTF_KIND_FUNC_PROTO)
					       : NULL;
	if (!proto || BTF_INFO_VLEN(proto->info) != bpf_raw_tp_nargs(tp) + 1)
		return -EINVAL;
	return fill_ctx(btf, proto, 1, BPF_TRACING_MAX_ARGS, out);
}

int bpf_tracing_prog_ctx(uint32_t expected_attach_type, uint32_t attach_btf_id,
			 struct bpf_tracing_ctx *out)
{
	const struct bpf_prog_type_desc *base = bpf_prog_type_tracing_base(expected_attach_type);
	const struct btf *btf = btf_vmlinux();

	if (!base || !attach_btf_id || !btf)
		return -EINVAL;
	out->desc = *base;
	return expected_attach_type == BPF_TRACE_ITER ? iter_ctx(btf, attach_btf_id, out)
						      : tp_ctx(btf, attach_btf_id, out);
}

/* ---------------------------------------------------------------------------------------------
 * BPF_LINK_CREATE: TRACING programs to their attach points (Linux's link_create order)
 */

int bpf_cmd_link_create(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	struct bpf_prog_file *pf;
	struct bpf_prog_stats st;

	(void)cmd, (void)uattr, (void)size;
	int r = bpf_prog_file_get((int)attr->link_create.prog_fd, &pf);
	if (r)
		return r;
	struct bpf_prog *prog = pf->prog;
	bpf_prog_get(prog);
	file_put(&pf->file);
	bpf_prog_stats(prog, &st);
	if (st.type != BPF_PROG_TYPE_TRACING ||
	    attr->link_create.attach_type != st.expected_attach_type ||
	    attr->link_create.target_fd || attr->link_create.flags)
		r = -EINVAL;
	else if (st.expected_attach_type == BPF_TRACE_ITER)
		return bpf_iter_link_attach(prog, attr);
	/* no bpf_get_attach_cookie yet */
	else if (attr->link_create.tracing.cookie)
		r = -EINVAL;
	else
		return bpf_raw_tp_link_attach(prog, NULL);
	bpf_prog_put(prog);
	return r;
}
