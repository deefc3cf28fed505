/*
 * mmap of BPF map fds from a user program (kernel/bpf/map_mmap.h, include/uapi/mman.h), run from
 * the kernel because user space cannot yet create a BPF_F_MMAPABLE map or freeze one (the native
 * SYS_bpf_map_create takes no flags, and bpf(2) is not wired yet): this test creates the maps,
 * hands them to test/bpf_mmap in its "maps" role as fds 3..10 (real map fds, of the modes the role
 * expects), freezes a map when the program asks, and checks what the program did through the map
 * API afterwards. The program's own checks are in tests/user/bpf_mmap.c.
 *
 * The request channel is map X (fd 10): the program stores a request number in X[0] and waits
 * until X[1] holds it; this test has then run bpf_map_freeze on map A and stored its result in
 * X[2].
 */
#include <machine/timer.h>
#include "kernel/bpf/file.h"
#include "kernel/bpf/map.h"
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "uapi/errno.h"
#include "uapi/wait.h"

#define PROGRAM "test/bpf_mmap"

/* An ARRAY of 8-byte values with these flags, or NULL. */
static struct bpf_map *array(uint32_t entries, uint32_t flags)
{
	union bpf_attr a;
	struct bpf_map *m = NULL;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = entries;
	a.map_flags = flags;
	return bpf_map_create(&a, &m) == 0 ? m : NULL;
}

static int put_value(struct bpf_map *m, uint32_t key, uint64_t v)
{
	return bpf_map_sys_update(m, BPF_MAP_FMODE_RDWR, &key, &v, BPF_ANY);
}

static uint64_t get_value(struct bpf_map *m, uint32_t key)
{
	uint64_t v = ~0ull;
	(void)bpf_map_sys_lookup(m, BPF_MAP_FMODE_RDWR, &key, &v, 0);
	return v;
}

/*
 * Give child an fd `slot` for map with mode fmode, taking over one map reference of the caller:
 * made in this task's table (the only way to make a map fd), then moved. 0 or -errno.
 */
static int give_map(struct task *child, int slot, struct bpf_map *map, unsigned fmode)
{
	struct fd_table *own = &task_current()->fds;
	int fd = bpf_map_fd_install(map, fmode);

	if (fd < 0)
		return fd;
	struct file *f = fd_get(own, fd);
	fd_close(own, fd);
	int r = fd_install_at(&child->fds, slot, f);
	if (r < 0)
		file_put(f);
	return r < 0 ? r : 0;
}

struct maps {
	struct bpf_map *a, *frozen, *rdonly_prog, *lifetime, *big, *x;
};

/* Make the maps the role expects, filled as it expects, or fail. */
static bool make_maps(struct maps *m)
{
	m->a = array(1024, BPF_F_MMAPABLE);     /* 2 pages */
	m->frozen = array(512, BPF_F_MMAPABLE); /* 1 page */
	m->rdonly_prog = array(512, BPF_F_MMAPABLE | BPF_F_RDONLY_PROG);
	m->lifetime = array(8192, BPF_F_MMAPABLE); /* 16 pages */
	m->big = array(262144, BPF_F_MMAPABLE);    /* 2 MiB */
	m->x = array(4, 0);
	if (!m->a || !m->frozen || !m->rdonly_prog || !m->lifetime || !m->big || !m->x)
		return false;
	for (uint32_t i = 0; i < 1024; i++)
		if (put_value(m->a, i, i * 3 + 1))
			return false;
	for (uint32_t i = 0; i < 512; i++)
		if (put_value(m->frozen, i, 1000 + i))
			return false;
	return bpf_map_freeze(m->frozen, BPF_MAP_FMODE_RDWR) == 0;
}

static void put_maps(struct maps *m)
{
	struct bpf_map *all[] = {m->a, m->frozen, m->rdonly_prog, m->lifetime, m->big, m->x};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i])
			bpf_map_put(all[i]);
}

/*
 * The child's fds: 3 A, 4 the frozen map, 5 the BPF_F_RDONLY_PROG one, 6 the lifetime map (whose
 * only reference the fd then is), 7 the 2 MiB one, 8 A read-only, 9 A write-only, 10 X. Each fd
 * takes a reference of its own, except 6, which takes this test's.
 */
static int give_maps(struct task *child, struct maps *m)
{
	static const int slots[] = {3, 4, 5, 7, 8, 9, 10};
	struct bpf_map *maps[] = {m->a, m->frozen, m->rdonly_prog, m->big, m->a, m->a, m->x};
	static const unsigned modes[] = {
		BPF_MAP_FMODE_RDWR, BPF_MAP_FMODE_RDWR,  BPF_MAP_FMODE_RDWR, BPF_MAP_FMODE_RDWR,
		BPF_MAP_FMODE_READ, BPF_MAP_FMODE_WRITE, BPF_MAP_FMODE_RDWR};
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		bpf_map_get(maps[i]);
		int r = give_map(child, slots[i], maps[i], modes[i]);
		if (r)
			return r;
	}
	int r = give_map(child, 6, m->lifetime, BPF_MAP_FMODE_RDWR);
	m->lifetime = NULL;
	return r;
}

/* Serve the child's freeze requests until it exits; its wait status, or -1 if it ran too long. */
static int serve(int pid, struct maps *m)
{
	uint64_t deadline = timer_ticks + 15 * TIMER_HZ, served = 0;
	struct task *z = NULL;

	while (timer_ticks < deadline) {
		if (task_wait(pid, WNOHANG, 0, &z) == 0 && z) {
			int status = z->exit_status;
			task_reap(z);
			return status;
		}
		uint64_t req = get_value(m->x, 0);
		if (req != served) {
			put_value(m->x, 2,
				  (uint64_t)(int64_t)bpf_map_freeze(m->a, BPF_MAP_FMODE_RDWR));
			put_value(m->x, 1, req);
			served = req;
		}
		sched_sleep_until(timer_ticks + 1);
	}
	task_kill_all_user();
	if (task_wait(pid, 0, 0, &z) == 0 && z)
		task_reap(z);
	return -1;
}

KTEST(bpf_mmap, user_program_maps_values)
{
	size_t maps_before = bpf_maps_live(), files_before = bpf_map_files_live();
	struct maps m = {0};
	char *argv[] = {PROGRAM, "maps"};

	ASSERT_TRUE(make_maps(&m));
	int pid = task_spawn_here(PROGRAM, 2, argv);
	ASSERT_GT(pid, 0);
	/* kmain is never preempted, and the child runs only on its CPU: not before its fds are in place. */
	struct task *child;
	ASSERT_EQ(task_map_get(pid, &child), 0);
	int r = give_maps(child, &m);
	task_map_put(child);
	EXPECT_EQ(r, 0);
	EXPECT_EQ(serve(pid, &m), W_EXITCODE(0));

	/* What the program did, seen through the map: its store, and A frozen at its third request. */
	EXPECT_EQ(get_value(m.a, 5), 777);
	EXPECT_EQ(get_value(m.a, 513), 4242);
	EXPECT_EQ(get_value(m.big, 1000), 99);
	EXPECT_EQ(put_value(m.a, 0, 1), -EPERM);
	EXPECT_EQ(get_value(m.x, 0), 3);
	EXPECT_NULL(bpf_map_check(m.a));
	put_maps(&m);
	EXPECT_EQ(bpf_maps_live(), maps_before);
	EXPECT_EQ(bpf_map_files_live(), files_before);
}
