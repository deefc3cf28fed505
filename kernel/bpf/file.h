/*
 * BPF objects as file descriptors: the map fd type, shared by bpf(2) (kernel/bpf/syscall.c) and
 * Kestrel's native map calls (kernel/bpf_syscalls.c), and the program fd type.
 *
 * References: a map fd's object holds one map reference (bpf_map_get) and the fd's mode; a
 * program fd's object holds one program reference (bpf_prog_get). The fd layer (kernel/fd.h)
 * counts references to the file object itself, so a call that got the object with
 * bpf_map_file_get / bpf_prog_file_get keeps it, and the map or program behind it, alive until
 * its file_put even if the fd is closed meanwhile; the last file_put drops the object's reference.
 * Closing the fd and task exit (fd_close_all) are the usual last puts.
 *
 * No lock is needed by the caller of anything here (fd tables and references have their own).
 */
#ifndef KERNEL_BPF_FILE_H
#define KERNEL_BPF_FILE_H

#include <stddef.h>

#include "kernel/fd.h"

struct bpf_map;
struct bpf_prog;

/* A map fd's object. */
struct bpf_map_file {
	struct file file; /* first: the file_ops methods get back to the struct by a cast */
	struct bpf_map *map;
	unsigned fmode; /* BPF_MAP_FMODE_*: what this fd may do to the map */
};

/* A program fd's object. */
struct bpf_prog_file {
	struct file file; /* first, as above */
	struct bpf_prog *prog;
};

extern const struct file_ops bpf_map_file_ops, bpf_prog_file_ops;

/*
 * A new fd in the current task for map with mode fmode (BPF_MAP_FMODE_*), taking over the
 * caller's map reference. Returns the fd, or -ENOMEM / -EMFILE with the reference dropped.
 */
int bpf_map_fd_install(struct bpf_map *map, unsigned fmode);

/* The map file at fd of the current task, referenced (file_put(&(*out)->file)): 0, -EBADF, -EINVAL. */
int bpf_map_file_get(int fd, struct bpf_map_file **out);

/* A new fd for prog, taking over the caller's program reference; the fd, or -ENOMEM / -EMFILE as above. */
int bpf_prog_fd_install(struct bpf_prog *prog);

/* The program file at fd of the current task, referenced: 0, -EBADF, or -EINVAL (not a program). */
int bpf_prog_file_get(int fd, struct bpf_prog_file **out);

/* Map and program fd objects alive now (open in some task or referenced by a call): leak checks. */
size_t bpf_map_files_live(void);
size_t bpf_prog_files_live(void);

#endif
