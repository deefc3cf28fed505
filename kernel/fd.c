/* File descriptor tables and object references (contract in kernel/fd.h). */
#include "kernel/fd.h"
#include "kernel/panic.h"
#include "uapi/errno.h"

void file_init(struct file *f, const struct file_ops *ops)
{
	f->ops = ops;
	f->refs = 1;
}

void file_hold(struct file *f)
{
	uint32_t old = __atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED);
	KASSERT(old > 0, "file_hold: %s object already released", f->ops->name);
}

void file_put(struct file *f)
{
	uint32_t old = __atomic_fetch_sub(&f->refs, 1, __ATOMIC_ACQ_REL);
	KASSERT(old > 0, "file_put: %s object has no reference", f->ops->name);
	if (old == 1)
		f->ops->close(f);
}

void fd_table_init(struct fd_table *t)
{
	spin_init(&t->lock, "fd table");
	for (int i = 0; i < FD_MAX; i++)
		t->slot[i] = NULL;
	t->shared = NULL;
	t->users = 1;
}

void fd_table_share(struct fd_table *t, struct fd_table *owner)
{
	t->shared = owner->shared ? owner->shared : owner;
	__atomic_fetch_add(&t->shared->users, 1, __ATOMIC_RELAXED);
}

void fd_table_unshare(struct fd_table *t)
{
	struct fd_table *owner = t->shared;

	if (!owner)
		return;
	t->shared = NULL;
	/* Release: the owner's thread, seeing itself alone, also sees every slot this thread wrote. */
	__atomic_fetch_sub(&owner->users, 1, __ATOMIC_RELEASE);
}

/*
 * Whether the caller (a thread on its own table, the contract of every operation) is the only
 * thread that can change t's slots: t is its owner's and names no other thread's.
 */
static bool alone(const struct fd_table *t)
{
	return !t->shared && __atomic_load_n(&t->users, __ATOMIC_ACQUIRE) == 1;
}

/* The table t names. */
static struct fd_table *table(struct fd_table *t)
{
	return t->shared ? t->shared : t;
}

int fd_install(struct fd_table *t, struct file *f)
{
	t = table(t);
	spin_lock(&t->lock);
	for (int i = 0; i < FD_MAX; i++) {
		if (!t->slot[i]) {
			t->slot[i] = f;
			spin_unlock(&t->lock);
			return i;
		}
	}
	spin_unlock(&t->lock);
	return -EMFILE;
}

int fd_install_at(struct fd_table *t, int fd, struct file *f)
{
	t = table(t);
	int r = fd;

	if (fd < 0 || fd >= FD_MAX)
		return -EBADF;
	spin_lock(&t->lock);
	if (t->slot[fd])
		r = -EEXIST;
	else
		t->slot[fd] = f;
	spin_unlock(&t->lock);
	return r;
}

struct file *fd_get(struct fd_table *t, int fd)
{
	t = table(t);
	struct file *f = NULL;

	if (fd < 0 || fd >= FD_MAX)
		return NULL;
	if (alone(t)) {
		f = t->slot[fd];
		if (f)
			file_hold(f);
		return f;
	}
	spin_lock(&t->lock);
	if (t->slot[fd]) {
		f = t->slot[fd];
		file_hold(f);
	}
	spin_unlock(&t->lock);
	return f;
}

int fd_get_typed(struct fd_table *t, int fd, const struct file_ops *ops, struct file **out)
{
	struct file *f = fd_get(t, fd);

	if (!f)
		return -EBADF;
	if (f->ops != ops) {
		file_put(f);
		return -EINVAL;
	}
	*out = f;
	return 0;
}

int fd_close(struct fd_table *t, int fd)
{
	t = table(t);
	struct file *f = NULL;

	if (fd < 0 || fd >= FD_MAX)
		return -EBADF;
	spin_lock(&t->lock);
	f = t->slot[fd];
	t->slot[fd] = NULL;
	spin_unlock(&t->lock);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

void fd_close_all(struct fd_table *t)
{
	for (int i = 0; i < FD_MAX; i++)
		fd_close(t, i);
}

size_t fd_count(struct fd_table *t)
{
	t = table(t);
	size_t n = 0;

	spin_lock(&t->lock);
	for (int i = 0; i < FD_MAX; i++)
		n += t->slot[i] != NULL;
	spin_unlock(&t->lock);
	return n;
}
