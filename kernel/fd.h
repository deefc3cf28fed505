/*
 * File descriptors: each task's table of small integers naming typed kernel objects (the console,
 * BPF maps, ...). A type is a struct file_ops; an object embeds a struct file and gets back to its
 * own struct with container_of-style arithmetic in its methods.
 *
 * Adding a type: define a struct file_ops with a name and a close method (and read if it can be
 * read, write if it can be written, mmap if it can be mapped); allocate the object,
 * file_init(&obj->file, &ops), fd_install it into the caller's table; later fd_get_typed(table,
 * fd, &ops, &f) gives it back (EBADF / EINVAL as Linux reports a bad or wrong-type descriptor)
 * with a reference that file_put drops.
 *
 * References: the table holds one per slot; fd_get and fd_get_typed add one for the caller. An
 * object lives while any reference does, so fd_close (even from inside a callback running under
 * a call that uses the object) never frees an object someone still uses. The last file_put calls
 * ops->close, which frees the object.
 *
 * Locking: each table has a spinlock for its slots; refs are atomic. Methods are called without
 * it held. Every operation is called by a thread on its own table (task_current()'s), or on the
 * table of a task that does not run yet (spawn's standard fds). A table whose only user is its
 * owner's thread (no other thread names it: `users` is 1) is read without the lock by fd_get, as
 * Linux's fdget does for an unshared files_struct: no other thread can change a slot under it.
 */
#ifndef KERNEL_FD_H
#define KERNEL_FD_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/spinlock.h"
#include "mm/types.h"

#define FD_MAX 64

struct file;
struct vm_object;

struct file_ops {
	const char *name;
	/*
	 * read(2): up to len (1 or more) bytes into kbuf, which the caller copies out afterwards. Bytes
	 * read (0: end of file), or -errno. May sleep; called with no lock held, so a blocking read
	 * sleeps as kernel/sched.h says and returns -EINTR once its task is killed. NULL: -EBADF (not
	 * open for reading).
	 */
	long (*read)(struct file *f, char *kbuf, size_t len);
	/* Write len bytes already copied from user space; bytes written or -errno. NULL: -EBADF. */
	long (*write)(struct file *f, const char *kbuf, size_t len);
	/* The last reference is gone: release the object. */
	void (*close)(struct file *f);
	/*
	 * mmap(2) of bytes [off, off + len) of the file (page aligned, len > 0, no wrap) with prot
	 * (PROT_*) and flags (mmap's, MAP_SHARED or MAP_PRIVATE among them; the generic checks of
	 * include/uapi/mman.h done). 0 with *objp, a new reference that the caller owns (the map entry
	 * takes it over), whose bytes [off, off + len) the mapping shows, and *maxp, the mapping's
	 * max_protection (prot lies within it); or the type's -errno, with nothing held. Called with
	 * no lock held. NULL: the type cannot be mapped (mmap fails with -ENODEV).
	 */
	int (*mmap)(struct file *f, uint64_t off, uint64_t len, vm_prot_t prot, int flags,
		    struct vm_object **objp, vm_prot_t *maxp);
};

struct file {
	const struct file_ops *ops;
	uint32_t refs;
};

/*
 * A thread's table names its task's (shared, not NULL): every operation on it works on that one,
 * which must outlive it (the group leader's: kernel/task.h).
 */
struct fd_table {
	spinlock_t lock;
	struct file *slot[FD_MAX];
	struct fd_table *shared;
	/* Threads naming this table (atomic): the owner, and one per fd_table_share. */
	uint32_t users;
};

/* Make f an object of type ops with one reference, the caller's. */
void file_init(struct file *f, const struct file_ops *ops);
/* Take another reference to f / drop one (the last calls f->ops->close). */
void file_hold(struct file *f);
void file_put(struct file *f);

/* An empty table. */
void fd_table_init(struct fd_table *t);

/* Make t, empty, a name for owner's table from now on (a new thread's: kernel/task.h). */
void fd_table_share(struct fd_table *t, struct fd_table *owner);

/*
 * t, a thread's table, stops naming its owner's (the thread has made its last fd call: its end, or
 * a thread that never ran). Does nothing to a table that names none. Takes no lock.
 */
void fd_table_unshare(struct fd_table *t);

/* Put f in the lowest free slot, taking over the caller's reference. Returns the fd or -EMFILE. */
int fd_install(struct fd_table *t, struct file *f);

/* Put f in slot fd, which must be free (a new task's standard fds). Returns fd, -EBADF or -EEXIST. */
int fd_install_at(struct fd_table *t, int fd, struct file *f);

/* The object at fd with a new reference for the caller, or NULL if fd is not open. */
struct file *fd_get(struct fd_table *t, int fd);

/*
 * fd_get for an object of type ops: 0 with *out referenced; -EBADF fd not open; -EINVAL open but
 * of another type (nothing held).
 */
int fd_get_typed(struct fd_table *t, int fd, const struct file_ops *ops, struct file **out);

/* Empty slot fd and drop its reference. Returns 0 or -EBADF. */
int fd_close(struct fd_table *t, int fd);

/* fd_close every open slot (task exit; of a shared table: the owner's). */
void fd_close_all(struct fd_table *t);

/* Open descriptors in t. */
size_t fd_count(struct fd_table *t);

/* The console as a file (write goes to console_write; close does nothing: it is never freed). */
extern struct file console_file;

#endif
