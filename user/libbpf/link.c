/*
 * Attaching loaded programs, and struct bpf_link: a link is an fd the kernel gave for the
 * attachment (BPF_RAW_TRACEPOINT_OPEN, BPF_LINK_CREATE); closing it detaches, as in Linux. The
 * section name decides how bpf_program__attach attaches (program.c's table).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libbpf_internal.h"

struct bpf_link {
	int fd;
	bool disconnected; /* destroy frees without closing: the attachment stays with the fd */
};

static struct bpf_link *new_link(int fd)
{
	struct bpf_link *link = calloc(1, sizeof(*link));

	if (!link) {
		close(fd);
		return libbpf_err_ptr(-ENOMEM);
	}
	link->fd = fd;
	return link;
}

static int loaded_fd(const struct bpf_program *prog)
{
	if (prog->fd < 0) {
		pr_warn("prog '%s': cannot attach a program that is not loaded\n", prog->name);
		return -EINVAL;
	}
	return prog->fd;
}

struct bpf_link *bpf_program__attach_raw_tracepoint(const struct bpf_program *prog,
						    const char *tp_name)
{
	int pfd = loaded_fd(prog);

	if (pfd < 0)
		return libbpf_err_ptr(pfd);
	int fd = bpf_raw_tracepoint_open(tp_name, pfd);
	if (fd < 0) {
		pr_warn("prog '%s': failed to attach to raw tracepoint '%s': %s\n", prog->name,
			tp_name, libbpf_errstr(fd));
		return libbpf_err_ptr(fd);
	}
	return new_link(fd);
}

struct bpf_link *bpf_program__attach_trace(const struct bpf_program *prog)
{
	int pfd = loaded_fd(prog);

	if (pfd < 0)
		return libbpf_err_ptr(pfd);
	int fd = bpf_raw_tracepoint_open(NULL, pfd);
	if (fd < 0) {
		pr_warn("prog '%s': failed to attach: %s\n", prog->name, libbpf_errstr(fd));
		return libbpf_err_ptr(fd);
	}
	return new_link(fd);
}

struct bpf_link *bpf_program__attach_iter(const struct bpf_program *prog,
					  const struct bpf_iter_attach_opts *opts)
{
	if (!OPTS_VALID(opts, bpf_iter_attach_opts))
		return libbpf_err_ptr(-EINVAL);
	int pfd = loaded_fd(prog);
	if (pfd < 0)
		return libbpf_err_ptr(pfd);
	LIBBPF_OPTS(bpf_link_create_opts, lopts, .iter_info = OPTS_GET(opts, link_info, NULL),
		    .iter_info_len = OPTS_GET(opts, link_info_len, 0));
	int fd = bpf_link_create(pfd, 0, ATTACH_TRACE_ITER, &lopts);
	if (fd < 0) {
		pr_warn("prog '%s': failed to attach to iterator: %s\n", prog->name,
			libbpf_errstr(fd));
		return libbpf_err_ptr(fd);
	}
	return new_link(fd);
}

struct bpf_link *bpf_program__attach(const struct bpf_program *prog)
{
	const char *sec = prog->sec_name[0] == '?' ? prog->sec_name + 1 : prog->sec_name;
	const char *target = sec_target(sec);

	switch (prog->def ? prog->def->attach : ATTACH_NONE) {
	case ATTACH_RAW_TP:
		if (!target) {
			pr_warn("prog '%s': section '%s' names no tracepoint to attach to\n",
				prog->name, prog->sec_name);
			return libbpf_err_ptr(-EINVAL);
		}
		return bpf_program__attach_raw_tracepoint(prog, target);
	case ATTACH_TRACE:
		return bpf_program__attach_trace(prog);
	case ATTACH_ITER:
		return bpf_program__attach_iter(prog, NULL);
	default:
		pr_warn("prog '%s': section '%s' has nothing to attach to\n", prog->name,
			prog->sec_name);
		return libbpf_err_ptr(-EOPNOTSUPP);
	}
}

int bpf_link__fd(const struct bpf_link *link)
{
	return link->fd;
}

int bpf_link__detach(struct bpf_link *link)
{
	return bpf_link_detach(link->fd);
}

void bpf_link__disconnect(struct bpf_link *link)
{
	link->disconnected = true;
}

int bpf_link__destroy(struct bpf_link *link)
{
	int r = 0;

	if (!link)
		return 0;
	if (!link->disconnected && close(link->fd))
		r = -errno;
	free(link);
	return libbpf_err(r);
}
