/*
 * Raw tracepoint links (kernel/bpf/link.h): BPF_RAW_TRACEPOINT_OPEN, and BPF_LINK_CREATE with
 * BPF_TRACE_RAW_TP (kernel/bpf/tracing.c). A BPF_PROG_TYPE_RAW_TRACEPOINT program names its
 * tracepoint at attach time; the context it reads is the tracepoint's arguments (kernel/trace.h),
 * whose count bounds the bytes it may read, as Linux's bpf_probe_register checks. A tp_btf program
 * (TRACING, BPF_TRACE_RAW_TP) named its tracepoint at load (attach_btf_id) and is opened with a
 * NULL name, as Linux's bpf_raw_tp_link_attach wants.
 */
#include "kernel/bpf/file.h"
#include "kernel/bpf/link.h"
#include "kernel/bpf/prog.h"
#include "kernel/bpf/raw_tp.h"
#include "kernel/bpf/syscall.h"
#include "kernel/bpf/tracing.h"
#include "kernel/string.h"
#include "kernel/usercopy.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

struct raw_tp_link {
	struct bpf_link link; /* first: the ops get back to the struct by a cast */
	enum trace_point tp;
};

static void raw_tp_detach(struct bpf_link *link)
{
	bpf_raw_tp_detach(((struct raw_tp_link *)link)->tp, link->prog);
}

/* As Linux: the name is copied out when the buffer holds it, and its size (with NUL) reported. */
static int raw_tp_fill_info(const struct bpf_link *link, struct bpf_link_info *info)
{
	const char *name = bpf_raw_tp_name(((const struct raw_tp_link *)link)->tp);
	uint32_t need = (uint32_t)strlen(name) + 1, len = info->raw_tracepoint.tp_name_len;
	uint64_t ubuf = info->raw_tracepoint.tp_name;

	info->raw_tracepoint.tp_name_len = need;
	if (!ubuf && len)
		return -EINVAL;
	if (!ubuf)
		return 0;
	if (len >= need)
		return copyout(name, (void *)(uintptr_t)ubuf, need) ? -EFAULT : 0;
	if (len && (copyout(name, (void *)(uintptr_t)ubuf, len - 1) ||
		    copyout("", (void *)(uintptr_t)(ubuf + len - 1), 1)))
		return -EFAULT;
	return -ENOSPC;
}

static void raw_tp_dealloc(struct bpf_link *link)
{
	kfree(link);
}

static const struct bpf_link_ops raw_tp_link_ops = {
	.detach = raw_tp_detach,
	.fill_info = raw_tp_fill_info,
	.dealloc = raw_tp_dealloc,
};

int bpf_raw_tp_link_attach(struct bpf_prog *prog, const char *name)
{
	struct bpf_prog_stats st;
	enum trace_point tp;
	int r;

	bpf_prog_stats(prog, &st);
	if (st.type == BPF_PROG_TYPE_TRACING && st.expected_attach_type == BPF_TRACE_RAW_TP)
		/* tp_btf: the attach point was named at load; its context fits it by construction. */
		r = name ? -EINVAL : bpf_tracing_tp_of(st.attach_btf_id, &tp);
	else if (st.type != BPF_PROG_TYPE_RAW_TRACEPOINT || !name)
		r = -EINVAL;
	else if (!(r = bpf_raw_tp_find(name, &tp)) &&
		 st.max_ctx_offset > bpf_raw_tp_nargs(tp) * sizeof(uint64_t))
		r = -EINVAL;
	struct raw_tp_link *l = NULL;
	if (!r && !(l = kmalloc(sizeof(*l))))
		r = -ENOMEM;
	if (r) {
		bpf_prog_put(prog);
		return r;
	}
	bpf_link_init(&l->link, BPF_LINK_TYPE_RAW_TRACEPOINT, BPF_TRACE_RAW_TP, &raw_tp_link_ops,
		      prog);
	l->tp = tp;
	r = bpf_raw_tp_attach(tp, prog);
	if (r) {
		l->link.detached = true; /* nothing to detach */
		bpf_link_put(&l->link);
		return r;
	}
	return bpf_link_settle(&l->link);
}

/* Attach prog_fd's program: a link fd, or -errno. */
static int raw_tp_open(uint32_t prog_fd, const char *name)
{
	struct bpf_prog_file *pf;

	int r = bpf_prog_file_get((int)prog_fd, &pf);
	if (r)
		return r;
	struct bpf_prog *prog = pf->prog;
	bpf_prog_get(prog);
	file_put(&pf->file);
	return bpf_raw_tp_link_attach(prog, name);
}

int bpf_cmd_raw_tracepoint_open(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	char name[BPF_RAW_TP_NAME_MAX];

	(void)cmd, (void)uattr, (void)size;
	/* no bpf_get_attach_cookie yet */
	if (attr->raw_tracepoint.cookie)
		return -EINVAL;
	if (!attr->raw_tracepoint.name)
		return raw_tp_open(attr->raw_tracepoint.prog_fd, NULL);
	/* A longer name is cut (and then names no tracepoint: ENOENT), as Linux's strncpy_from_user. */
	if (copyinstr((const void *)(uintptr_t)attr->raw_tracepoint.name, name, sizeof(name),
		      NULL) == -EFAULT)
		return -EFAULT;
	name[sizeof(name) - 1] = 0;
	return raw_tp_open(attr->raw_tracepoint.prog_fd, name);
}
