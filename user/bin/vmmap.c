/*
 * vmmap [-b] [pid]: print a task's map (default: vmmap's own), as FreeBSD's procstat -v does.
 * -b prints it through a BPF iterator instead (user/bpf/iter_vmmap.bpf.c, an iter/task_vma
 * program attached for that one task), the way Linux's /proc/PID/maps is read: start, end,
 * protection and the guard, stack and image flags of each entry, without the residency columns
 * only the native listing has.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vmmap.h>

#include "iter_vmmap.skel.h"

/* Copy the iterator's text of fd to stdout, without its last line ("END n"): 0 or -errno. */
static int copy_listing(int fd)
{
	char buf[4096], line[128];
	size_t n = 0;
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < r; i++) {
			if (n < sizeof(line) - 1)
				line[n++] = buf[i];
			if (buf[i] != '\n')
				continue;
			line[n] = 0;
			if (strncmp(line, "END ", 4))
				printf("%s", line);
			n = 0;
		}
	}
	return r < 0 ? -errno : 0;
}

static int bpf_listing(int pid)
{
	struct iter_vmmap *skel = iter_vmmap__open_and_load();
	union bpf_iter_link_info li;
	int r;

	if (!skel)
		return -errno;
	memset(&li, 0, sizeof(li));
	li.task.pid = (__u32)pid;
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &li, .link_info_len = sizeof(li));
	struct bpf_link *link = bpf_program__attach_iter(skel->progs.dump_task_vma, &opts);
	int fd = link ? bpf_iter_create(bpf_link__fd(link)) : -errno;
	if (fd >= 0) {
		printf("%5s %18s %18s %3s %s\n", "PID", "START", "END", "PRT", "FLAGS");
		r = copy_listing(fd);
		/* The iterator shows nothing for a pid with no task: say so as the native listing. */
		if (!r && !skel->bss->vmas_shown)
			r = -ESRCH;
		close(fd);
	} else {
		r = fd;
	}
	bpf_link__destroy(link);
	iter_vmmap__destroy(skel);
	return r;
}

int main(int argc, char **argv)
{
	int pid = 0, arg = 1;
	bool bpf = argc > 1 && !strcmp(argv[1], "-b");

	arg += bpf;
	if (argc > arg + 1) {
		dprintf(STDERR_FILENO, "usage: vmmap [-b] [pid]\n");
		return 2;
	}
	if (argc == arg + 1) {
		char *end;

		pid = (int)strtol(argv[arg], &end, 10);
		if (end == argv[arg] || *end || pid <= 0) {
			dprintf(STDERR_FILENO, "vmmap: not a pid: %s\n", argv[arg]);
			return 2;
		}
	}
	if (bpf) {
		int r = bpf_listing(pid ? pid : getpid());
		if (r < 0) {
			dprintf(STDERR_FILENO, "vmmap: pid %d: %s\n", pid ? pid : getpid(),
				strerror(-r));
			return 1;
		}
		return 0;
	}
	if (vmmap_print(pid) < 0) {
		dprintf(STDERR_FILENO, "vmmap: pid %d: %s\n", pid ? pid : getpid(),
			strerror(errno));
		return 1;
	}
	return 0;
}
