/* BPF links and their fds (contract in kernel/bpf/link.h). */
#include "kernel/bpf/link.h"

#include "kernel/bpf/obj.h"
#include "kernel/bpf/prog.h"
#include "kernel/bpf/syscall.h"
#include "kernel/fd.h"
#include "kernel/task.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

struct link_file {
	struct file file; /* first: the close method gets back to the struct by a cast */
	struct bpf_link *link;
};

static struct bpf_id_table link_ids = BPF_ID_TABLE_INIT("bpf_link_ids");
static size_t links_live;

void bpf_link_init(struct bpf_link *link, uint32_t type, uint32_t attach_type,
		   const struct bpf_link_ops *ops, struct bpf_prog *prog)
{
	*link = (struct bpf_link){
		.refcnt = 1, .type = type, .attach_type = attach_type, .ops = ops, .prog = prog};
	__atomic_fetch_add(&links_live, 1, __ATOMIC_RELAXED);
}

void bpf_link_get(struct bpf_link *link)
{
	__atomic_fetch_add(&link->refcnt, 1, __ATOMIC_RELAXED);
}

void bpf_link_detach(struct bpf_link *link)
{
	if (!__atomic_exchange_n(&link->detached, true, __ATOMIC_ACQ_REL))
		link->ops->detach(link);
}

/* A grace period after the last put: no run at the attach point can still use the program. */
static void link_free(struct rcu_head *head)
{
	struct bpf_link *link =
		(struct bpf_link *)((char *)head - __builtin_offsetof(struct bpf_link, rcu));

	bpf_prog_put(link->prog);
	link->ops->dealloc(link);
	__atomic_fetch_sub(&links_live, 1, __ATOMIC_RELAXED);
}

void bpf_link_put(struct bpf_link *link)
{
	if (__atomic_sub_fetch(&link->refcnt, 1, __ATOMIC_ACQ_REL))
		return;
	bpf_link_detach(link);
	if (link->id)
		bpf_id_remove(&link_ids, link->id);
	call_rcu(&link->rcu, link_free);
	rcu_poll();
}

static void link_file_close(struct file *f)
{
	struct link_file *lf = (struct link_file *)f;

	bpf_link_put(lf->link);
	kfree(lf);
}

static const struct file_ops link_file_ops = {.name = "bpf_link", .close = link_file_close};

/* A new fd for link, taking over the caller's reference: the fd, or -ENOMEM / -EMFILE with it put. */
static int link_fd_install(struct bpf_link *link)
{
	struct link_file *lf = kmalloc(sizeof(*lf));

	if (!lf) {
		bpf_link_put(link);
		return -ENOMEM;
	}
	file_init(&lf->file, &link_file_ops);
	lf->link = link;
	int fd = fd_install(&task_current()->fds, &lf->file);
	if (fd < 0)
		file_put(&lf->file);
	return fd;
}

int bpf_link_settle(struct bpf_link *link)
{
	int r = bpf_id_alloc(&link_ids, link, &link->id);

	if (r) {
		link->id = 0;
		bpf_link_put(link);
		return r;
	}
	return link_fd_install(link);
}

int bpf_link_fd_get(int fd, struct bpf_link **out)
{
	struct file *f;
	int r = fd_get_typed(&task_current()->fds, fd, &link_file_ops, &f);

	if (r)
		return r;
	*out = ((struct link_file *)f)->link;
	bpf_link_get(*out);
	file_put(f);
	return 0;
}

struct bpf_link *bpf_link_of_file(struct file *f)
{
	return f->ops == &link_file_ops ? ((struct link_file *)f)->link : NULL;
}

static bool link_get_not_zero(void *obj)
{
	return bpf_ref_get_not_zero(&((struct bpf_link *)obj)->refcnt);
}

int bpf_link_fill_info(const struct bpf_link *link, struct bpf_link_info *info)
{
	struct bpf_prog_stats st;

	bpf_prog_stats(link->prog, &st);
	info->type = link->type;
	info->id = link->id;
	info->prog_id = st.id;
	return link->ops->fill_info(link, info);
}

size_t bpf_links_live(void)
{
	return __atomic_load_n(&links_live, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------------------------------------
 * The commands that are about links whatever their kind
 */

int bpf_cmd_link_detach(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	struct bpf_link *link;

	(void)cmd, (void)uattr, (void)size;
	int r = bpf_link_fd_get((int)attr->link_detach.link_fd, &link);
	if (r)
		return r;
	bpf_link_detach(link);
	bpf_link_put(link);
	return 0;
}

int bpf_cmd_link_get_fd_by_id(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	(void)cmd, (void)uattr, (void)size;
	if (attr->open_flags)
		return -EINVAL;
	struct bpf_link *link = bpf_id_get(&link_ids, attr->link_id, link_get_not_zero);
	return link ? link_fd_install(link) : -ENOENT;
}

int bpf_link_get_next_id(uint32_t start, uint32_t *next)
{
	return bpf_id_next(&link_ids, start, next);
}
