/*
 * The BPF callback machinery from inside the kernel: every task gets the trampoline page (where
 * the uapi says, read+execute for good, holding the template), and a callback that ends its task
 * any way (fault, exit, kill, longjmp then exit, fault while holding a child's map) leaves nothing
 * behind: no map file, no task, no lock on the child's map, no pin that would hold off its exit,
 * and (the runner's check around every test) no frame. The programs are tests/user/bpf_*.c.
 */
#include <machine/timer.h>
#include "kernel/bpf/file.h"
#include "kernel/callback.h"
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "uapi/bpf.h"
#include "uapi/errno.h"
#include "uapi/wait.h"

extern const char callback_trampoline_start[], callback_trampoline_end[];

#define PROG "test/bpf_callback"

/*
 * Start PROG in role `role`; its pid or a negated errno. It runs only on kmain's CPU: it cannot run
 * while kmain looks at it without sleeping.
 */
static int start(char *role)
{
	char *argv[] = {PROG, role};
	return task_spawn_here(PROG, 2, argv);
}

/* Wait (up to 10 s) for child pid and reap it: its wait status, or -1. */
static int finish(int pid)
{
	struct task *z = NULL;

	if (task_wait(pid, 0, timer_ticks + 10 * TIMER_HZ, &z) || !z)
		return -1;
	int status = z->exit_status;
	task_reap(z);
	return status;
}

/* Wait (up to 10 s) until no user task is left (orphans free themselves). */
static bool all_gone(void)
{
	uint64_t deadline = timer_ticks + 10 * TIMER_HZ;

	while (task_count_user() && timer_ticks < deadline)
		sched_sleep_until(timer_ticks + 1);
	return task_count_user() == 0;
}

KTEST(bpf, trampoline_page_in_every_task)
{
	int pid = start("yield");
	struct task *t;
	vm_map_entry_t e, s;
	vm_paddr_t pa;

	ASSERT_GT(pid, 0);
	ASSERT_EQ(task_map_get(pid, &t), 0);
	vm_map_lock_read(t->map);
	EXPECT_TRUE(vm_map_lookup_entry(t->map, BPF_CB_TRAMPOLINE, &e));
	EXPECT_EQ(e->start, BPF_CB_TRAMPOLINE);
	EXPECT_EQ(e->end, BPF_CB_TRAMPOLINE + PAGE_SIZE);
	EXPECT_EQ(e->protection, VM_PROT_READ | VM_PROT_EXECUTE);
	EXPECT_EQ(e->max_protection, VM_PROT_READ | VM_PROT_EXECUTE);
	/* It stays where it is when ASLR moves the stack, which keeps its guard gap right below it. */
	VM_MAP_ENTRY_FOREACH(s, t->map)
		if (s->eflags & MAP_ENTRY_STACK)
			break;
	EXPECT_TRUE(s != &t->map->header && (s->prev->eflags & MAP_ENTRY_GUARD) &&
		    s->prev->end == s->start);
	size_t len = (size_t)(callback_trampoline_end - callback_trampoline_start);
	EXPECT_TRUE(pmap_query(t->map->pmap, BPF_CB_TRAMPOLINE, &pa, NULL, NULL));
	EXPECT_EQ(memcmp(phys_to_virt(pa), callback_trampoline_start, len), 0);
	vm_map_unlock_read(t->map);
	task_map_put(t);
	EXPECT_EQ(finish(pid), W_EXITCODE(0));
}

/* Each role ends its task inside a callback; nothing may be left. */
KTEST(bpf, callbacks_that_end_their_task_leave_nothing)
{
	static const struct {
		char *role;
		int status;
	} roles[] = {
		{"fault_self", W_FAULTCODE(14)}, {"fault_map", W_FAULTCODE(14)},
		{"deep_fault", W_FAULTCODE(14)}, {"exit_in_cb", W_EXITCODE(7)},
		{"wrong_depth", W_FAULTCODE(6)}, {"escape_and_exit", W_EXITCODE(3)},
	};
	size_t files = bpf_map_files_live();

	ASSERT_EQ(task_count_user(), 0);
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		int pid = start(roles[i].role);
		ASSERT_GT(pid, 0);
		int st = finish(pid);
		if (st != roles[i].status)
			KT_FAIL("role %s: status %#x, want %#x", roles[i].role, st,
				roles[i].status);
		EXPECT_EQ(bpf_map_files_live(), files);
		EXPECT_EQ(task_count_user(), 0);
	}
	EXPECT_NULL(task_check());
}

/* Killed while two levels deep with maps open: its exit releases its own map's pin and the maps. */
KTEST(bpf, killed_inside_nested_callbacks)
{
	size_t files = bpf_map_files_live();
	int pid = start("spin_nested");
	struct task *t = NULL;

	ASSERT_GT(pid, 0);
	/* Wait until it is inside both callbacks: it holds its own map for reading. */
	uint64_t deadline = timer_ticks + 5 * TIMER_HZ;
	bool held = false;
	for (;;) {
		ASSERT_EQ(task_map_get(pid, &t), 0);
		held = t->map_lock_depth == 1 && t->cb_top && t->cb_top->depth == 2 &&
		       t->cb_top->running;
		task_map_put(t);
		if (held || timer_ticks >= deadline)
			break;
		sched_sleep_until(timer_ticks + 1);
	}
	if (!held) {
		task_kill(t);
		finish(pid);
		KT_FAIL("spin_nested never got two callbacks deep");
		return;
	}
	const char *msg = callback_check(t);
	if (msg)
		KT_FAIL("callback_check: %s", msg);
	EXPECT_EQ(bpf_map_files_live(), files + 2);
	/* The checker catches a broken stack of levels (restored at once: t is not running). */
	unsigned depth = t->cb_top->depth;
	t->cb_top->depth = 7;
	EXPECT_NONNULL(callback_check(t));
	t->cb_top->depth = depth;
	uint64_t entry = t->entry_sp;
	t->entry_sp += 16;
	EXPECT_NONNULL(callback_check(t));
	t->entry_sp = entry;
	EXPECT_NULL(callback_check(t));
	task_kill(t);
	EXPECT_EQ(finish(pid), W_EXITCODE(TASK_STATUS_KILLED));
	EXPECT_EQ(bpf_map_files_live(), files);
	EXPECT_TRUE(all_gone());
}

/*
 * fault_on_child: the task holds its child's map (find_vma) when its callback faults. The child,
 * orphaned, must find its map lock free and nothing pinning it.
 */
KTEST(bpf, fault_while_holding_a_childs_map_releases_it)
{
	int pid = start("fault_on_child");
	struct task *g = NULL;

	ASSERT_GT(pid, 0);
	EXPECT_EQ(finish(pid), W_FAULTCODE(14));
	spin_lock(&sched_lock);
	for (struct task *x = task_list; x; x = x->next)
		if (x->user && x->pid == pid + 1)
			g = x;
	int gpid = g ? g->pid : 0;
	sched_unlock();
	if (gpid) {
		/* The orphan may have ended meanwhile: then there is nothing left to look at. */
		if (task_map_get(gpid, &g) == 0) {
			EXPECT_EQ(g->map_users, 1); /* ours only */
			EXPECT_TRUE(vm_map_trylock(g->map));
			vm_map_unlock(g->map);
			task_map_put(g);
		}
	}
	EXPECT_TRUE(all_gone());
}
