/*
 * BPF links: a program attached somewhere, as a kernel object with an fd and an id (Linux's
 * struct bpf_link). Closing the last fd (or task exit) detaches the program; BPF_LINK_DETACH
 * detaches it early and leaves a link that holds the program until it is closed.
 *
 * Kinds today: raw tracepoint links (BPF_RAW_TRACEPOINT_OPEN of a BPF_PROG_TYPE_RAW_TRACEPOINT
 * program, or BPF_LINK_CREATE with BPF_TRACE_RAW_TP), attaching to kernel/trace.h's tracepoints
 * through kernel/bpf/raw_tp.h. A new kind is a struct bpf_link_ops and a constructor that calls
 * bpf_link_init and bpf_link_settle.
 *
 * References: each link fd holds one, and each bpf_link_get_by_id caller until bpf_link_put. The
 * link holds one reference on its program, dropped one RCU grace period after the last link
 * reference (so that runs in progress at the attach point finish with a live program).
 * Detaching happens once: at BPF_LINK_DETACH or at the last put, whichever comes first.
 *
 * Locking: none needed by callers; no spinlock may be held when calling anything here.
 */
#ifndef KERNEL_BPF_LINK_H
#define KERNEL_BPF_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/rcu.h"
#include "uapi/linux/bpf.h"

struct bpf_link;
struct bpf_prog;

struct bpf_link_ops {
	/* Take the program off its attach point (once; no spinlock held). */
	void (*detach)(struct bpf_link *link);
	/* Fill the kind's part of info (info->type, id and prog_id are done): 0 or -EFAULT. */
	int (*fill_info)(const struct bpf_link *link, struct bpf_link_info *info);
	/* Free the link's memory (it embeds struct bpf_link). */
	void (*dealloc)(struct bpf_link *link);
};

struct bpf_link {
	int refcnt;           /* atomic */
	uint32_t id;          /* 0 until bpf_link_settle */
	uint32_t type;        /* enum bpf_link_type */
	uint32_t attach_type; /* enum bpf_attach_type */
	const struct bpf_link_ops *ops;
	struct bpf_prog *prog; /* referenced */
	bool detached;         /* atomic: ops->detach has been called */
	struct rcu_head rcu;
};

/* Set up a new link holding the caller's reference on prog (one link reference, the caller's). */
void bpf_link_init(struct bpf_link *link, uint32_t type, uint32_t attach_type,
		   const struct bpf_link_ops *ops, struct bpf_prog *prog);

/*
 * Give an attached link an id and an fd in the current task: the fd, or -ENOMEM / -ENOSPC /
 * -EMFILE, in which case the link is detached and released (the caller's reference with it).
 */
int bpf_link_settle(struct bpf_link *link);

void bpf_link_get(struct bpf_link *link);
/* Drop a reference; the last detaches (if not done), removes the id and frees after a grace period. */
void bpf_link_put(struct bpf_link *link);

/* Detach now (BPF_LINK_DETACH); the link stays until its last put. */
void bpf_link_detach(struct bpf_link *link);

/* The link behind fd of the current task, referenced: 0, -EBADF, -EINVAL (not a link). */
int bpf_link_fd_get(int fd, struct bpf_link **out);
/* Whether f is a link fd's file (info.c's dispatch); the link it holds (not referenced again). */
struct file;
struct bpf_link *bpf_link_of_file(struct file *f);

/* BPF_OBJ_GET_INFO_BY_FD on a link: struct bpf_link_info filled (in kernel memory). */
int bpf_link_fill_info(const struct bpf_link *link, struct bpf_link_info *info);

/* BPF_LINK_GET_NEXT_ID: the smallest link id above start (0 and *next), or -ENOENT. */
int bpf_link_get_next_id(uint32_t start, uint32_t *next);

/* Links alive now (and link fds): leak checks. */
size_t bpf_links_live(void);

#endif
