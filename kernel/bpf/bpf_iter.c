/* BPF iterators: iter links, iterator files and their reads (contract in kernel/bpf/bpf_iter.h). */
#include "kernel/bpf/bpf_iter.h"

#include "kernel/bpf/link.h"
#include "kernel/bpf/prog.h"
#include "kernel/bpf/syscall.h"
#include "kernel/fd.h"
#include "kernel/preempt.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "kernel/task_btf.h"
#include "kernel/usercopy.h"
#include "kernel/vma_btf.h"
#include "mm/kmem.h"
#include "uapi/errno.h"
#include "uapi/kestrel_btf_types.h"

/* ---------------------------------------------------------------------------------------------
 * Iterator links: a program and the objects it visits (no attach point: reads run it)
 */

struct iter_link {
	struct bpf_link link; /* first: the ops get back to the struct by a cast */
	int pid;              /* the one task to visit, or 0: every task */
	bool by_pid;          /* link_info named it by task.pid (else task.tid) */
};

#define TARGET_NAME "task_vma"

static void iter_detach(struct bpf_link *link)
{
	(void)link;
}

/* As Linux: the target's name copied out when the buffer holds it, its size reported; the task. */
static int iter_fill_info(const struct bpf_link *link, struct bpf_link_info *info)
{
	const struct iter_link *l = (const struct iter_link *)link;
	uint32_t need = sizeof(TARGET_NAME), len = info->iter.target_name_len;
	uint64_t ubuf = info->iter.target_name;

	if (l->by_pid)
		info->iter.task.pid = (uint32_t)l->pid;
	else
		info->iter.task.tid = (uint32_t)l->pid;
	info->iter.target_name_len = need;
	if (!ubuf && len)
		return -EINVAL;
	if (!ubuf)
		return 0;
	if (len >= need)
		return copyout(TARGET_NAME, (void *)(uintptr_t)ubuf, need) ? -EFAULT : 0;
	if (len && (copyout(TARGET_NAME, (void *)(uintptr_t)ubuf, len - 1) ||
		    copyout("", (void *)(uintptr_t)(ubuf + len - 1), 1)))
		return -EFAULT;
	return -ENOSPC;
}

static void iter_dealloc(struct bpf_link *link)
{
	kfree(link);
}

static const struct bpf_link_ops iter_link_ops = {
	.detach = iter_detach,
	.fill_info = iter_fill_info,
	.dealloc = iter_dealloc,
};

static int link_info_task(const union bpf_attr *attr, int *pid, bool *by_pid)
{
	union bpf_iter_link_info li = {0};
	uint64_t uinfo = attr->link_create.iter_info;
	uint32_t len = attr->link_create.iter_info_len;

	*pid = 0;
	if (!uinfo != !len)
		return -EINVAL;
	if (!uinfo)
		return 0;
	int r = bpf_check_uarg_tail_zero(uinfo, sizeof(li), len);
	if (r)
		return r;
	if (copyin((const void *)(uintptr_t)uinfo, &li, len < sizeof(li) ? len : sizeof(li)))
		return -EFAULT;
	if (!!li.task.tid + !!li.task.pid + !!li.task.pid_fd > 1 || li.task.pid_fd)
		return -EINVAL;
	/* A Kestrel task is one thread: its tid is its pid. */
	*by_pid = li.task.pid != 0;
	*pid = (int)(li.task.tid ? li.task.tid : li.task.pid);
	return *pid < 0 ? -EINVAL : 0;
}

int bpf_iter_link_attach(struct bpf_prog *prog, const union bpf_attr *attr)
{
	int pid;
	bool by_pid = false;
	int r = link_info_task(attr, &pid, &by_pid);
	struct iter_link *l = NULL;

	if (!r && !(l = kmalloc(sizeof(*l))))
		r = -ENOMEM;
	if (r) {
		bpf_prog_put(prog);
		return r;
	}
	bpf_link_init(&l->link, BPF_LINK_TYPE_ITER, BPF_TRACE_ITER, &iter_link_ops, prog);
	l->pid = pid;
	l->by_pid = by_pid;
	return bpf_link_settle(&l->link);
}

/* ---------------------------------------------------------------------------------------------
 * Iterator files
 *
 * Invariants (while no read runs): off <= count <= BPF_ITER_BUF_SIZE; bytes [off, count) of buf
 * are output not yet read; the position (pid, next) says the next object is the first VMA of task
 * pid ending above next, or the first of the next task; end_done: the last run has been made.
 */

struct bpf_iter_run {
	struct file file;       /* first: the file ops get back to the struct by a cast */
	struct iter_link *link; /* referenced */
	bool busy;              /* atomic: a read is in progress */
	struct task *runner;    /* the task running the program now, or NULL */
	char *buf;
	size_t off, count;
	bool overflow; /* the run in progress wrote past the buffer */
	int pid;       /* the task being walked; 0 before the first */
	uint64_t next;
	bool task_done; /* pid's VMAs are all shown */
	bool end_done;
	struct bpf_iter_meta meta;
	struct vma_btf snap;
	struct vm_area_struct *shown; /* &snap.vma while a VMA's run is in progress, else NULL */
};

#define RUNS_MAX 64 /* reads running a program at the same time */

/* Runs in progress, for the helpers: slot i is run[i], owned by run[i]->runner. */
static struct bpf_iter_run *runs[RUNS_MAX];
static spinlock_t runs_lock = SPINLOCK_INIT("bpf_iter_runs");
static uint64_t next_session; /* atomic */

static bool run_register(struct bpf_iter_run *it)
{
	bool ok = false;

	spin_lock(&runs_lock);
	for (int i = 0; i < RUNS_MAX && !ok; i++)
		if (!runs[i]) {
			runs[i] = it;
			it->runner = task_current();
			ok = true;
		}
	spin_unlock(&runs_lock);
	return ok;
}

static void run_unregister(struct bpf_iter_run *it)
{
	spin_lock(&runs_lock);
	for (int i = 0; i < RUNS_MAX; i++)
		if (runs[i] == it)
			runs[i] = NULL;
	it->runner = NULL;
	spin_unlock(&runs_lock);
}

struct bpf_iter_run *bpf_iter_current(void)
{
	struct bpf_iter_run *found = NULL;
	struct task *cur = task_current();

	spin_lock(&runs_lock);
	for (int i = 0; i < RUNS_MAX && !found; i++)
		if (runs[i] && runs[i]->runner == cur)
			found = runs[i];
	spin_unlock(&runs_lock);
	return found;
}

bool bpf_iter_seq_is(const struct bpf_iter_run *run, const void *seq)
{
	return seq == (const void *)run;
}

int bpf_iter_seq_write(struct bpf_iter_run *run, const void *data, size_t n)
{
	if (run->overflow || n > BPF_ITER_BUF_SIZE - run->count) {
		run->overflow = true;
		return -EOVERFLOW;
	}
	memcpy(run->buf + run->count, data, n);
	run->count += n;
	return 0;
}

const void *bpf_iter_vma_file(const struct bpf_iter_run *run)
{
	return run->shown ? run->shown->vm_file : NULL;
}

/* The smallest user task pid above after (or the link's one task): 0 when there is none. */
static int next_pid(const struct bpf_iter_run *it, int after)
{
	int best = 0;

	if (it->link->pid)
		return after < it->link->pid ? it->link->pid : 0;
	spin_lock(&sched_lock);
	for (struct task *t = task_list; t; t = t->next)
		if (t->user && t->pid > after && (!best || t->pid < best))
			best = t->pid;
	sched_unlock();
	return best;
}

/* Run the program on ctx; 0, or -EOVERFLOW (its output is undone). */
static int show(struct bpf_iter_run *it, struct task_struct *task, struct vm_area_struct *vma)
{
	uint64_t ctx[3] = {(uint64_t)(uintptr_t)&it->meta, (uint64_t)(uintptr_t)task,
			   (uint64_t)(uintptr_t)vma};
	size_t before = it->count;

	it->overflow = false;
	it->shown = vma;
	bpf_prog_run(it->link->link.prog, ctx);
	it->shown = NULL;
	if (it->overflow) {
		it->count = before;
		it->overflow = false;
		return -EOVERFLOW;
	}
	it->meta.seq_num++;
	return 0;
}

/* Take t's map for reading unless a writer keeps it (bpf_iter.h): true when taken. */
static bool map_lock(struct task *t)
{
	if (vm_map_trylock_read(t->map))
		return true;
	if (task_current()->map_lock_depth || __atomic_load_n(&t->map_locker, __ATOMIC_RELAXED))
		return false;
	vm_map_lock_read(t->map);
	return true;
}

/*
 * Show the next VMA of task it->pid: 1 shown, 0 the task has no more (or is gone), -EOVERFLOW
 * (position kept), -ENOMEM.
 */
static int show_next_vma(struct bpf_iter_run *it)
{
	struct task *t;
	bool found = false;

	if (task_map_get(it->pid, &t))
		return 0;
	int r = vma_btf_prepare(t);
	if (!r && map_lock(t)) {
		vm_map_t map = t->map;
		vm_map_entry_t e;
		if (!vm_map_lookup_entry(map, it->next, &e))
			e = e ? e->next : map->header.next;
		if (e != &map->header) {
			vma_btf_fill(&it->snap, t, e);
			found = true;
		}
		vm_map_unlock_read(map);
	}
	if (found) {
		struct task_struct *view = task_btf_view(t);
		r = view ? show(it, view, &it->snap.vma) : -ENOMEM;
		if (!r) {
			it->next = it->snap.vma.vm_end;
			r = 1;
		}
	}
	task_map_put(t);
	return r;
}

/* One more object: 1 shown, 0 the end (last run made too), or -errno. */
static int step(struct bpf_iter_run *it)
{
	while (!it->end_done) {
		if (it->pid && !it->task_done) {
			int r = show_next_vma(it);
			if (r)
				return r;
			it->task_done = true;
		}
		int pid = next_pid(it, it->pid);
		if (pid) {
			it->pid = pid;
			it->next = 0;
			it->task_done = false;
			continue;
		}
		int r = show(it, NULL, NULL);
		if (r)
			return r;
		it->end_done = true;
		return 1;
	}
	return 0;
}

/* Run the program until want bytes are buffered, the buffer is full, or the end: 0 or -errno. */
static int fill(struct bpf_iter_run *it, size_t want)
{
	if (!run_register(it))
		return -EBUSY;
	int r = 1;
	/* A program that prints little walks many VMAs per read: let others run meanwhile. */
	while (r > 0 && it->count < want) {
		r = step(it);
		preempt_point();
	}
	run_unregister(it);
	/* What did not fit is shown again by the next read, into an empty buffer. */
	if (r == -EOVERFLOW)
		r = it->count ? 0 : -E2BIG;
	return r < 0 ? r : 0;
}

static long iter_read(struct file *f, char *kbuf, size_t len)
{
	struct bpf_iter_run *it = (struct bpf_iter_run *)f;
	long r = 0;

	if (__atomic_exchange_n(&it->busy, true, __ATOMIC_ACQUIRE))
		return -EBUSY;
	if (it->off == it->count) {
		it->off = it->count = 0;
		r = fill(it, len < BPF_ITER_BUF_SIZE ? len : BPF_ITER_BUF_SIZE);
		/* What was shown before an error is handed out; the error comes back on a later read. */
		if (r && it->count)
			r = 0;
	}
	if (!r) {
		size_t n = it->count - it->off < len ? it->count - it->off : len;
		memcpy(kbuf, it->buf + it->off, n);
		it->off += n;
		r = (long)n;
	}
	__atomic_store_n(&it->busy, false, __ATOMIC_RELEASE);
	return r;
}

static void iter_close(struct file *f)
{
	struct bpf_iter_run *it = (struct bpf_iter_run *)f;

	bpf_link_put(&it->link->link);
	kfree(it->buf);
	kfree(it);
}

static const struct file_ops iter_file_ops = {
	.name = "bpf_iter", .read = iter_read, .close = iter_close};

int bpf_cmd_iter_create(int cmd, union bpf_attr *attr, uint64_t uattr, uint32_t size)
{
	struct bpf_link *link;

	(void)cmd, (void)uattr, (void)size;
	if (attr->iter_create.flags)
		return -EINVAL;
	int r = bpf_link_fd_get((int)attr->iter_create.link_fd, &link);
	if (r)
		return r;
	struct bpf_iter_run *it = NULL;
	if (link->ops != &iter_link_ops)
		r = -EINVAL;
	else if (!(it = kzalloc(sizeof(*it))) || !(it->buf = kmalloc(BPF_ITER_BUF_SIZE)))
		r = -ENOMEM;
	if (r) {
		kfree(it);
		bpf_link_put(link);
		return r;
	}
	file_init(&it->file, &iter_file_ops);
	it->link = (struct iter_link *)link;
	it->meta.seq = (struct seq_file *)it; /* bpf_iter_seq_is: the helpers' check */
	it->meta.session_id = __atomic_add_fetch(&next_session, 1, __ATOMIC_RELAXED);
	int fd = fd_install(&task_current()->fds, &it->file);
	if (fd < 0)
		file_put(&it->file);
	return fd;
}
