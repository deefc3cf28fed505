/* BPF map and program file descriptors (contract in kernel/bpf/file.h). */
#include "kernel/bpf/file.h"

#include "kernel/bpf/map.h"
#include "kernel/bpf/map_mmap.h"
#include "kernel/bpf/prog.h"
#include "kernel/task.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

_Static_assert(offsetof(struct bpf_map_file, file) == 0, "bpf_map_file: file first");
_Static_assert(offsetof(struct bpf_prog_file, file) == 0, "bpf_prog_file: file first");

static size_t map_files_live, prog_files_live;

/* Install f (one reference, the caller's) in the current task: the fd, or -EMFILE with f put. */
static int install(struct file *f)
{
	int fd = fd_install(&task_current()->fds, f);

	if (fd < 0)
		file_put(f);
	return fd;
}

/* ---------------------------------------------------------------------------------------------
 * Maps
 */

static void map_file_close(struct file *f)
{
	struct bpf_map_file *mf = (struct bpf_map_file *)f;

	bpf_map_put(mf->map);
	kfree(mf);
	__atomic_fetch_sub(&map_files_live, 1, __ATOMIC_RELAXED);
}

static int map_file_mmap(struct file *f, uint64_t off, uint64_t len, vm_prot_t prot, int flags,
			 struct vm_object **objp, vm_prot_t *maxp)
{
	struct bpf_map_file *mf = (struct bpf_map_file *)f;

	return bpf_map_mmap_object(mf->map, mf->fmode, off, len, prot, flags, objp, maxp);
}

const struct file_ops bpf_map_file_ops = {
	.name = "bpf_map", .close = map_file_close, .mmap = map_file_mmap};

int bpf_map_fd_install(struct bpf_map *map, unsigned fmode)
{
	struct bpf_map_file *mf = kmalloc(sizeof(*mf));

	if (!mf) {
		bpf_map_put(map);
		return -ENOMEM;
	}
	file_init(&mf->file, &bpf_map_file_ops);
	mf->map = map;
	mf->fmode = fmode;
	__atomic_fetch_add(&map_files_live, 1, __ATOMIC_RELAXED);
	return install(&mf->file);
}

int bpf_map_file_get(int fd, struct bpf_map_file **out)
{
	struct file *f;
	int r = fd_get_typed(&task_current()->fds, fd, &bpf_map_file_ops, &f);

	if (!r)
		*out = (struct bpf_map_file *)f;
	return r;
}

size_t bpf_map_files_live(void)
{
	return __atomic_load_n(&map_files_live, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------------------------------------
 * Programs (no write, no mmap: Linux's program fds have neither)
 */

static void prog_file_close(struct file *f)
{
	struct bpf_prog_file *pf = (struct bpf_prog_file *)f;

	bpf_prog_put(pf->prog);
	kfree(pf);
	__atomic_fetch_sub(&prog_files_live, 1, __ATOMIC_RELAXED);
}

const struct file_ops bpf_prog_file_ops = {.name = "bpf_prog", .close = prog_file_close};

int bpf_prog_fd_install(struct bpf_prog *prog)
{
	struct bpf_prog_file *pf = kmalloc(sizeof(*pf));

	if (!pf) {
		bpf_prog_put(prog);
		return -ENOMEM;
	}
	file_init(&pf->file, &bpf_prog_file_ops);
	pf->prog = prog;
	__atomic_fetch_add(&prog_files_live, 1, __ATOMIC_RELAXED);
	return install(&pf->file);
}

int bpf_prog_file_get(int fd, struct bpf_prog_file **out)
{
	struct file *f;
	int r = fd_get_typed(&task_current()->fds, fd, &bpf_prog_file_ops, &f);

	if (!r)
		*out = (struct bpf_prog_file *)f;
	return r;
}

size_t bpf_prog_files_live(void)
{
	return __atomic_load_n(&prog_files_live, __ATOMIC_RELAXED);
}
