/*
 * File descriptor tables: lowest free slot, EMFILE, EBADF and EINVAL for a wrong type, an
 * object closed while someone holds a reference lives until that reference is dropped, and a
 * table's count of the threads naming it (fd_get reads a table unlocked only when its owner's
 * thread is the one user).
 */
#include "kernel/fd.h"
#include "kernel/ktest.h"
#include "uapi/errno.h"

struct counted {
	struct file file;
	int closed;
};

static void counted_close(struct file *f)
{
	((struct counted *)f)->closed++;
}

static const struct file_ops counted_ops = {.name = "counted", .close = counted_close};
static const struct file_ops other_ops = {.name = "other", .close = counted_close};

KTEST(fd, install_get_close)
{
	struct fd_table t;
	struct counted a = {0}, b = {0};
	struct file *f;

	fd_table_init(&t);
	file_init(&a.file, &counted_ops);
	file_init(&b.file, &counted_ops);
	EXPECT_EQ(fd_install(&t, &a.file), 0);
	EXPECT_EQ(fd_install(&t, &b.file), 1);
	EXPECT_EQ(fd_count(&t), 2);
	EXPECT_EQ(fd_get_typed(&t, 0, &counted_ops, &f), 0);
	EXPECT_EQ((uintptr_t)f, (uintptr_t)&a.file);
	EXPECT_EQ(fd_close(&t, 0), 0);
	EXPECT_EQ(a.closed, 0); /* still referenced by f */
	file_put(f);
	EXPECT_EQ(a.closed, 1);
	EXPECT_EQ(fd_close(&t, 0), -EBADF);
	EXPECT_EQ(fd_get_typed(&t, 0, &counted_ops, &f), -EBADF);
	EXPECT_EQ(fd_get_typed(&t, 1, &other_ops, &f), -EINVAL);
	EXPECT_EQ(fd_get_typed(&t, -1, &counted_ops, &f), -EBADF);
	EXPECT_EQ(fd_get_typed(&t, FD_MAX, &counted_ops, &f), -EBADF);
	EXPECT_NULL(fd_get(&t, FD_MAX + 100));
	EXPECT_EQ(fd_close(&t, -1), -EBADF);
	EXPECT_EQ(fd_close(&t, FD_MAX), -EBADF);
	EXPECT_EQ(fd_install_at(&t, 1, &a.file), -EEXIST);
	EXPECT_EQ(fd_install_at(&t, FD_MAX, &a.file), -EBADF);
	fd_close_all(&t);
	EXPECT_EQ(b.closed, 1);
	EXPECT_EQ(fd_count(&t), 0);
}

KTEST(fd, users_and_unlocked_reads)
{
	struct fd_table owner, thread1, thread2;
	struct counted a = {0};

	fd_table_init(&owner);
	file_init(&a.file, &counted_ops);
	EXPECT_EQ(fd_install(&owner, &a.file), 0);
	EXPECT_EQ(owner.users, 1);
	/* Alone: fd_get does not take the table's lock (held here, it would spin for ever). */
	spin_lock(&owner.lock);
	struct file *f = fd_get(&owner, 0);
	spin_unlock(&owner.lock);
	EXPECT_EQ((uintptr_t)f, (uintptr_t)&a.file);
	file_put(f);

	fd_table_init(&thread1);
	fd_table_init(&thread2);
	fd_table_share(&thread1, &owner);
	fd_table_share(&thread2, &thread1); /* a thread made by a thread: still the owner's table */
	EXPECT_EQ((uintptr_t)thread2.shared, (uintptr_t)&owner);
	EXPECT_EQ(owner.users, 3);
	f = fd_get(&thread2, 0);
	EXPECT_EQ((uintptr_t)f, (uintptr_t)&a.file);
	file_put(f);
	fd_table_unshare(&thread1);
	fd_table_unshare(&thread1); /* names none now: nothing */
	EXPECT_NULL(thread1.shared);
	EXPECT_EQ(owner.users, 2);
	fd_table_unshare(&thread2);
	EXPECT_EQ(owner.users, 1);
	fd_close_all(&owner);
	EXPECT_EQ(a.closed, 1);
}

KTEST(fd, table_fills_up)
{
	struct fd_table t;
	struct counted c = {0};

	fd_table_init(&t);
	file_init(&c.file, &counted_ops);
	for (int i = 0; i < FD_MAX; i++) {
		file_hold(&c.file);
		EXPECT_EQ(fd_install(&t, &c.file), i);
	}
	EXPECT_EQ(fd_install(&t, &c.file), -EMFILE);
	EXPECT_EQ(fd_close(&t, 7), 0);
	file_hold(&c.file);
	EXPECT_EQ(fd_install(&t, &c.file), 7);
	fd_close_all(&t);
	EXPECT_EQ(c.closed, 0);
	file_put(&c.file);
	EXPECT_EQ(c.closed, 1);
}
