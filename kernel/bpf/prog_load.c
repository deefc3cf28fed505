/*
 * BPF_PROG_LOAD: the caller's attributes checked and copied in Linux's order (bpf_prog_load, then
 * the early part of bpf_check), func_info and line_info checked by kernel/bpf/prog_btf.h, the
 * program made by kernel/bpf/prog.h, the verifier's log copied back, and an fd. Contract and
 * errors in include/uapi/bpf.h.
 *
 * The log: the verifier writes into a kernel buffer of log_size bytes, but at most LOG_KBUF_MAX,
 * which is then copied to log_buf up to and including its NUL (the rest of log_buf is left as it
 * was). A log_size above LOG_KBUF_MAX therefore behaves as LOG_KBUF_MAX: a longer log gives ENOSPC
 * with its end kept (its start with BPF_LOG_FIXED), log_true_size still saying what it needs.
 */
#include "kernel/bpf/syscall.h"

#include "kernel/bpf/file.h"
#include "kernel/bpf/obj.h"
#include "kernel/bpf/prog.h"
#include "kernel/bpf/prog_type.h"
#include "kernel/bpf/tracing.h"
#include "kernel/bpf/verifier.h"
#include "kernel/string.h"
#include "kernel/usercopy.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

/* The prog_flags Linux knows; BPF_F_TOKEN_FD then asks for a token (Kestrel has none). */
#define PROG_FLAGS_KNOWN                                                                          \
	(BPF_F_STRICT_ALIGNMENT | BPF_F_ANY_ALIGNMENT | BPF_F_TEST_STATE_FREQ | BPF_F_SLEEPABLE | \
	 BPF_F_TEST_RND_HI32 | BPF_F_XDP_HAS_FRAGS | BPF_F_XDP_DEV_BOUND_ONLY |                   \
	 BPF_F_TEST_REG_INVARIANTS | BPF_F_TOKEN_FD)
#define LICENSE_MAX 128         /* Linux copies at most 127 bytes of the license */
#define LOG_KBUF_MAX (1u << 20) /* the largest kernel log buffer (see above) */

/* Program types whose expected_attach_type must be 0 (Linux's bpf_prog_load_check_attach). */
static const bool attach_type_zero[__MAX_BPF_PROG_TYPE] = {
	[BPF_PROG_TYPE_SYSCALL] = true,
	[BPF_PROG_TYPE_EXT] = true,
};

/* Linux's license_is_gpl_compatible. */
static bool gpl_compatible(const char *license)
{
	static const char *const gpl[] = {
		"GPL",          "GPL v2",       "GPL and additional rights",
		"Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"};

	for (size_t i = 0; i < sizeof(gpl) / sizeof(gpl[0]); i++)
		if (!strcmp(license, gpl[i]))
			return true;
	return false;
}

/* The verifier's rule for the log attributes, checked before the kernel buffer is allocated. */
static int log_attr_check(const union bpf_attr *attr)
{
	return bpf_verifier_log_attr_valid(attr->log_buf != 0, attr->log_size, attr->log_level)
		       ? 0
		       : -EINVAL;
}

/* Everything Linux checks and copies before the verifier runs: 0 with req filled, or -errno. */
static int load_req(const union bpf_attr *attr, struct bpf_prog_load_req *req)
{
	char license[LICENSE_MAX];

	if (attr->prog_flags & ~PROG_FLAGS_KNOWN)
		return -EINVAL;
	if (attr->prog_flags & BPF_F_TOKEN_FD)
		return bpf_fd_of_unknown_kind((int)attr->prog_token_fd);
	if (attr->insn_cnt == 0 || attr->insn_cnt > BPF_VERIFIER_MAX_INSNS)
		return -E2BIG;
	/* No program to extend; an attach point is the kernel BTF's, for TRACING programs only. */
	if (attr->attach_prog_fd ||
	    (attr->attach_btf_id && attr->prog_type != BPF_PROG_TYPE_TRACING))
		return -EINVAL;
	if (attr->prog_type < __MAX_BPF_PROG_TYPE && attach_type_zero[attr->prog_type] &&
	    attr->expected_attach_type)
		return -EINVAL;
	struct bpf_insn *insns = kmalloc((size_t)attr->insn_cnt * sizeof(*insns));
	if (!insns)
		return -ENOMEM;
	req->insns = insns;
	if (copyin((const void *)(uintptr_t)attr->insns, insns,
		   (size_t)attr->insn_cnt * sizeof(*insns)))
		return -EFAULT;
	int r = copyinstr((const void *)(uintptr_t)attr->license, license, LICENSE_MAX - 1, NULL);
	if (r == -EFAULT)
		return r;
	license[LICENSE_MAX - 1] = 0; /* a longer license is cut, as Linux cuts it */
	/* No network device to bind to. */
	if (attr->prog_ifindex || !bpf_prog_type_desc(attr->prog_type))
		return -EINVAL;
	r = bpf_obj_name_copy(req->name, attr->prog_name);
	if (!r)
		r = log_attr_check(attr);
	if (r)
		return r;
	/* The loader resolves CO-RE relocations (libbpf does); the kernel does not yet. */
	if (attr->core_relo_cnt)
		return -EINVAL;
	req->prog_type = attr->prog_type;
	req->prog_flags = attr->prog_flags;
	req->expected_attach_type = attr->expected_attach_type;
	req->attach_btf_id = attr->attach_btf_id;
	req->insn_cnt = attr->insn_cnt;
	req->gpl_compatible = gpl_compatible(license);
	req->fd_array = attr->fd_array;
	req->log_level = attr->log_level;
	req->log_size = attr->log_size < LOG_KBUF_MAX ? attr->log_size : LOG_KBUF_MAX;
	req->jit = bpf_jit_default();
	if (req->log_size && !(req->log_buf = kmalloc(req->log_size)))
		return -ENOMEM;
	if (req->log_buf)
		req->log_buf[0] = 0;
	return 0;
}

/* Copy the verifier's log to log_buf, with its NUL: 0 or -EFAULT. */
static int log_copy_out(const struct bpf_prog_load_req *req, uint64_t ulog)
{
	req->log_buf[req->log_size - 1] = 0; /* the verifier's own NUL is at or before it */
	return copyout(req->log_buf, (void *)(uintptr_t)ulog, strlen(req->log_buf) + 1);
}

int bpf_cmd_prog_load(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	struct bpf_prog_load_req req = {0};
	struct bpf_prog_btf btf = {0};
	struct bpf_tracing_ctx tctx;
	struct bpf_prog *prog = NULL;
	uint32_t verified, log_true_size;

	(void)cmd;
	int r = load_req(attr, &req);
	/* A TRACING program's context is its attach point's (tracing.h), checked before the walk. */
	if (!r && req.prog_type == BPF_PROG_TYPE_TRACING) {
		r = bpf_tracing_prog_ctx(req.expected_attach_type, req.attach_btf_id, &tctx);
		req.desc = &tctx.desc;
	}
	if (!r) {
		/* func_info and line_info first, as Linux's bpf_check checks them before the walk. */
		struct bpf_prog_btf_log blog = {
			.buf = req.log_buf, .size = req.log_size, .level = req.log_level};
		r = bpf_prog_btf_load(attr, uattr, req.insns, &btf, &blog);
		log_true_size = blog.true_size;
		req.btf = &btf;
		if (!r)
			r = bpf_prog_load(&req, &prog, &verified, &log_true_size);
		/* As Linux's bpf_check: a log that cannot be written back, or its size, is EFAULT. */
		if (req.log_buf && log_copy_out(&req, attr->log_buf))
			r = -EFAULT;
		if (size >= BPF_ATTR_END(log_true_size) &&
		    bpf_attr_put_u32(uattr, offsetof(union bpf_attr, log_true_size), log_true_size))
			r = -EFAULT;
		if (r && prog)
			bpf_prog_put(prog);
	}
	bpf_prog_btf_release(&btf);
	kfree(req.log_buf);
	kfree(req.insns);
	return r ? r : bpf_prog_fd_install(prog);
}
