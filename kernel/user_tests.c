/* The user-program test runner (contract in kernel/user_tests.h). */
#include "kernel/user_tests.h"
#include <machine/frame.h>
#include <machine/timer.h>
#include "kernel/ktest.h"
#include "kernel/kprintf.h"
#include "kernel/multiboot.h"
#include "kernel/random.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "mm/pmm.h"
#include "uapi/errno.h"
#include "uapi/wait.h"

#define TEST_PREFIX "test/"

struct outcome {
	bool started, timed_out;
	int spawn_error;
	int status;
	struct task_fault fault;
	unsigned lock_reports; /* kernel/witness.h reports while it ran */
};

/* Wait until no user task is left, killing them after `ticks`. */
static void drain_user_tasks(uint64_t ticks)
{
	uint64_t deadline = timer_ticks + ticks;
	bool killed = false;

	while (task_count_user()) {
		struct task *z;
		/* kmain reaps what it spawned; orphans free themselves. */
		if (task_wait(-1, WNOHANG, 0, &z) == 0 && z) {
			task_reap(z);
			continue;
		}
		if (!killed && timer_ticks >= deadline) {
			task_kill_all_user();
			killed = true;
		}
		sched_sleep_until(timer_ticks + 1);
	}
}

static struct outcome run(const char *name, int argc, char *const argv[], unsigned seconds)
{
	struct outcome o = {0};
	unsigned reports = ktest_lock_reports ? ktest_lock_reports() : 0;
	int pid = task_spawn(name, argc, argv);
	struct task *z = NULL;

	if (pid < 0) {
		o.spawn_error = -pid;
		return o;
	}
	o.started = true;
	uint64_t deadline = timer_ticks + (uint64_t)seconds * TIMER_HZ;
	int r = task_wait(pid, 0, deadline, &z);
	if (r == -EAGAIN) {
		o.timed_out = true;
		task_kill_all_user();
		r = task_wait(pid, 0, 0, &z);
	}
	if (r == 0 && z) {
		o.status = z->exit_status;
		o.fault = z->fault;
		task_reap(z);
	}
	drain_user_tasks(USER_TEST_LINGER_TICKS);
	if (ktest_lock_reports)
		o.lock_reports = ktest_lock_reports() - reports;
	return o;
}

/* Run program name with argv { name } (a copy: argv's strings are the program's to change). */
static struct outcome run_by_name(const char *name, unsigned seconds)
{
	char arg0[64];
	ksnprintf(arg0, sizeof(arg0), "%s", name);
	char *argv[] = {arg0};
	return run(name, 1, argv, seconds);
}

/* The KTAP directive for a failed outcome ("" for a pass), into buf. */
static bool describe(const struct outcome *o, char *buf, size_t size)
{
	if (!o->started)
		ksnprintf(buf, size, "could not start: error %d", o->spawn_error);
	else if (o->timed_out)
		ksnprintf(buf, size, "timed out");
	else if (o->fault.killed_by_fault)
		ksnprintf(buf, size, "killed: %s at 0x%lx (rip 0x%lx)", trap_name(o->fault.vector),
			  o->fault.addr, o->fault.rip);
	else if (WEXITSTATUS(o->status))
		ksnprintf(buf, size, "exit status %d", WEXITSTATUS(o->status));
	else if (o->lock_reports)
		ksnprintf(buf, size, "%u lock-order reports (witness, above)", o->lock_reports);
	else
		return false;
	return true;
}

int user_program_run(const char *name, const char *label, unsigned seconds)
{
	char why[128];
	struct outcome o = run_by_name(name, seconds);

	if (describe(&o, why, sizeof(why)))
		kprintf("%s: %s\n", label, why);
	else
		kprintf("%s: exit status 0\n", label);
	return o.started && !o.timed_out ? o.status : -1;
}

static size_t free_frames(void)
{
	return ktest_free_frames ? ktest_free_frames() : pmm_free_count();
}

int user_tests_run(void)
{
	size_t n = 0, k = 0;
	int failed = 0;
	uint64_t start = timer_ticks;

	for (size_t i = 0; i < boot_info.nmodules; i++)
		n += !strncmp(boot_info.modules[i].name, TEST_PREFIX, sizeof(TEST_PREFIX) - 1);
	kprintf("KTAP version 1\n1..%zu\n", n + 1);
	size_t before = free_frames();
	for (size_t i = 0; i < boot_info.nmodules; i++) {
		const char *name = boot_info.modules[i].name;
		char why[128];
		if (strncmp(name, TEST_PREFIX, sizeof(TEST_PREFIX) - 1))
			continue;
		struct outcome o = run_by_name(name, USER_TEST_SECONDS);
		bool bad = describe(&o, why, sizeof(why));
		failed += bad;
		if (bad)
			kprintf("not ok %zu user/%s # %s\n", ++k, name + sizeof(TEST_PREFIX) - 1,
				why);
		else
			kprintf("ok %zu user/%s\n", ++k, name + sizeof(TEST_PREFIX) - 1);
	}
	size_t after = free_frames();
	if (after != before) {
		failed++;
		kprintf("    # %zu free frames before the user tests, %zu after\n", before, after);
	}
	kprintf("%sok %zu user.frames_back_to_baseline\n", after != before ? "not " : "", n + 1);
	kprintf("# %zu user tests: %zu passed, %d failed (%lu ticks of %u ms)\n", n + 1,
		n + 1 - (size_t)failed, failed, timer_ticks - start, 1000 / TIMER_HZ);
	return failed;
}

#define FUZZ_PROGRAM "test/fuzz_syscalls"

/* One fuzzer child with seed `seed`: true if it passed. */
static bool fuzz_one(uint64_t seed)
{
	char hex[24], why[128];

	ksnprintf(hex, sizeof(hex), "0x%lx", seed);
	char *argv[] = {FUZZ_PROGRAM, "seed", hex};
	struct outcome o = run(FUZZ_PROGRAM, 3, argv, USER_TEST_SECONDS);
	bool bad = describe(&o, why, sizeof(why));
	kprintf("fuzz: seed %s: %s (replay: make fuzz FUZZ_SEED=%s)\n", hex, bad ? why : "ok", hex);
	return !bad;
}

int user_fuzz_run(unsigned seconds, uint64_t seed)
{
	if (seed)
		return fuzz_one(seed) ? 0 : 1;
	uint64_t end = timer_ticks + (uint64_t)seconds * TIMER_HZ;
	unsigned runs = 0;
	int failed = 0;
	while (timer_ticks < end && !failed) {
		failed += !fuzz_one(random_u64());
		runs++;
	}
	kprintf("fuzz: %u seeds in %u s, %d failed\n", runs, seconds, failed);
	return failed;
}
