/*
 * BPF programs inside the kernel: every program of tests/host/bpf_test_progs.h loaded through
 * bpf_prog_load with the JIT and again with the interpreter, run with bpf_prog_run, and judged the
 * same way (so both executors run every helper and callback path); the loader's bookkeeping
 * (references on maps, ids, function values, live counts back where they were); what a test run
 * does for a task that is killed in the middle of a huge repeat; the clock.
 */
#include <machine/timer.h>
#include "kernel/bpf/file.h"
#include "kernel/bpf/map.h"
#include "kernel/bpf/prog.h"
#include "kernel/cpu.h"
#include "kernel/kprintf.h"
#include "kernel/ktest.h"
#include "kernel/ktime.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "tests/host/bpf_test_progs.h"
#include "uapi/errno.h"
#include "uapi/wait.h"

/* The environment of the shared programs: maps in the map layer, fds in kmain's own table. */
static int kmap(struct tp_env *env, uint32_t type, uint32_t ks, uint32_t vs, uint32_t max)
{
	union bpf_attr attr;
	struct bpf_map *map;

	(void)env;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = ks;
	attr.value_size = vs;
	attr.max_entries = max;
	int r = bpf_map_create(&attr, &map);
	return r ? r : bpf_map_fd_install(map, BPF_MAP_FMODE_RDWR);
}

static int kupdate(struct tp_env *env, int fd, const void *key, const void *value)
{
	struct bpf_map_file *mf;

	(void)env;
	int r = bpf_map_file_get(fd, &mf);
	if (r)
		return r;
	r = bpf_map_sys_update(mf->map, mf->fmode, key, value, BPF_ANY);
	file_put(&mf->file);
	return r;
}

static void kenv(struct tp_env *env)
{
	struct task *t = task_current();

	memset(env, 0, sizeof(*env));
	env->map = kmap;
	env->update = kupdate;
	env->pid = t->pid;
	env->ncpus = cpu_possible_count();
	for (int i = 0; i < TP_COMM_LEN - 1 && t->name[i]; i++)
		env->comm[i] = t->name[i];
}

static char log[65536];

/* Load b as a SYSCALL program with the JIT on or off: 0 and *out, or the loader's error. */
static int load(const struct tp_buf *b, bool jit, struct bpf_prog **out)
{
	struct bpf_prog_load_req req = {
		.prog_type = BPF_PROG_TYPE_SYSCALL,
		.insns = b->insns,
		.insn_cnt = b->n,
		.gpl_compatible = true,
		.log_buf = log,
		.log_size = sizeof(log),
		.log_level = 1,
		.jit = jit,
	};
	uint32_t verified, true_size;

	return bpf_prog_load(&req, out, &verified, &true_size);
}

/* Build, load and run case c with the executor asked for; failures recorded in kt. */
static void run_case(struct ktest_state *kt, const struct tp_case *c, bool jit)
{
	struct tp_env env;
	struct tp_buf b = {.n = 0};
	int fds[TP_MAX_MAPS] = {-1, -1};
	struct bpf_prog *prog;
	uint64_t ctx[TP_CTX_WORDS] = {0};

	kenv(&env);
	int r = c->build(&env, &b, fds);
	if (r || b.overflow) {
		KT_FAIL("%s: build failed: %d", c->name, r);
	} else if ((r = load(&b, jit, &prog))) {
		KT_FAIL("%s (%s): load failed: %d; log: %s", c->name, jit ? "jit" : "interpreter",
			r, log);
	} else {
		struct bpf_prog_stats st;
		bpf_prog_stats(prog, &st);
		if (!st.jited != !jit)
			KT_FAIL("%s: runs in the %s, asked for the %s", c->name,
				st.jited ? "JIT" : "interpreter", jit ? "JIT" : "interpreter");
		uint64_t r0 = bpf_prog_run(prog, ctx);
		const char *why = c->check(&env, r0, ctx);
		if (why)
			KT_FAIL("%s (%s): %s (r0 %lx, ctx %lx %lx %lx %lx)", c->name,
				jit ? "jit" : "interpreter", why, r0, ctx[0], ctx[1], ctx[2],
				ctx[3]);
		bpf_prog_put(prog);
	}
	for (int i = 0; i < TP_MAX_MAPS; i++)
		if (fds[i] >= 0)
			fd_close(&task_current()->fds, fds[i]);
}

KTEST(bpf_prog, every_program_under_both_executors)
{
	size_t progs = bpf_progs_live(), maps = bpf_maps_live(), files = bpf_map_files_live();

	for (size_t i = 0; i < TP_NCASES; i++) {
		run_case(kt, &tp_cases[i], true);
		run_case(kt, &tp_cases[i], false);
	}
	EXPECT_EQ(bpf_progs_live(), progs);
	EXPECT_EQ(bpf_maps_live(), maps);
	EXPECT_EQ(bpf_map_files_live(), files);
}

/* A loaded program holds its maps: closing the fd leaves the map alive until the program goes. */
KTEST(bpf_prog, program_holds_its_maps)
{
	struct tp_env env;
	struct tp_buf b = {.n = 0};
	int fds[TP_MAX_MAPS] = {-1, -1};
	struct bpf_prog *prog;
	size_t maps = bpf_maps_live();
	uint64_t ctx[TP_CTX_WORDS] = {0};

	kenv(&env);
	ASSERT_EQ(tp_cases[2].build(&env, &b, fds), 0); /* hash_ops */
	ASSERT_EQ(load(&b, true, &prog), 0);
	struct bpf_prog_stats st;
	bpf_prog_stats(prog, &st);
	EXPECT_EQ(st.nmaps, 1);
	EXPECT_GT(st.id, 0);
	EXPECT_EQ(fd_close(&task_current()->fds, fds[0]), 0);
	EXPECT_EQ(bpf_maps_live(), maps + 1);
	EXPECT_NULL(tp_cases[2].check(&env, bpf_prog_run(prog, ctx), ctx));
	struct bpf_prog *again;
	ASSERT_EQ(bpf_prog_get_by_id(st.id, &again), 0);
	EXPECT_EQ((uintptr_t)again, (uintptr_t)prog);
	bpf_prog_put(again);
	bpf_prog_put(prog);
	EXPECT_EQ(bpf_maps_live(), maps);
	EXPECT_EQ(bpf_prog_get_by_id(st.id, &again), -ENOENT);
}

/* Failed loads leave nothing: no program, no map reference, no function value. */
KTEST(bpf_prog, failed_loads_leave_nothing)
{
	struct tp_env env;
	struct tp_buf b = {.n = 0};
	int fds[TP_MAX_MAPS] = {-1, -1};
	struct bpf_prog *prog;
	size_t progs = bpf_progs_live(), maps = bpf_maps_live();

	kenv(&env);
	ASSERT_EQ(tp_cases[7].build(&env, &b, fds),
		  0);                           /* for_each_array: a map and function values */
	b.insns[b.n - 1] = ASM_MOV64_IMM(0, 2); /* the stopping callback returns 2: refused */
	b.insns[b.n++] = ASM_EXIT();
	EXPECT_NE(load(&b, true, &prog), 0);
	EXPECT_EQ(bpf_progs_live(), progs);
	b.n = 0;
	E(&b, ASM_LD_MAP_FD(1, 60), ASM_MOV64_IMM(0, 0), ASM_EXIT()); /* fd 60 is not open */
	EXPECT_EQ(load(&b, false, &prog), -EBADF);
	b.n = 0;
	E(&b, ASM_LD_PSEUDO(1, BPF_PSEUDO_MAP_IDX, 0, 0), ASM_MOV64_IMM(0, 0),
	  ASM_EXIT()); /* no fd_array */
	EXPECT_EQ(load(&b, false, &prog), -EPROTO);
	fd_close(&task_current()->fds, fds[0]);
	EXPECT_EQ(bpf_progs_live(), progs);
	EXPECT_EQ(bpf_maps_live(), maps);
}

/* A loop the verifier cannot prove finite: E2BIG after 10^6 processed instructions, nothing left. */
KTEST(bpf_prog, complexity_limit)
{
	struct tp_buf b = {.n = 0};
	struct bpf_prog_load_req req = {.prog_type = BPF_PROG_TYPE_SYSCALL, .jit = true};
	struct bpf_prog *prog;
	uint32_t verified, true_size;
	size_t progs = bpf_progs_live();

	E(&b, ASM_MOV64_IMM(0, 0), ASM_ALU64_IMM(BPF_ADD, 0, 1), ASM_JMP_IMM(BPF_JNE, 0, 0, -2),
	  ASM_EXIT());
	req.insns = b.insns;
	req.insn_cnt = b.n;
	EXPECT_EQ(bpf_prog_load(&req, &prog, &verified, &true_size), -E2BIG);
	EXPECT_GE(verified, 1000000);
	EXPECT_EQ(true_size, 0);
	EXPECT_EQ(bpf_progs_live(), progs);
}

/* bpf_prog_account feeds run_cnt and run_time_ns. */
KTEST(bpf_prog, statistics)
{
	struct tp_buf b = {.n = 0};
	struct bpf_prog *prog;
	struct bpf_prog_stats st;

	E(&b, ASM_MOV64_IMM(0, 1), ASM_EXIT());
	ASSERT_EQ(load(&b, false, &prog), 0);
	bpf_prog_account(prog, 3, 300);
	bpf_prog_account(prog, 2, 50);
	bpf_prog_stats(prog, &st);
	EXPECT_EQ(st.run_cnt, 5);
	EXPECT_EQ(st.run_time_ns, 350);
	EXPECT_EQ(st.xlated_len, 2);
	EXPECT_NULL(st.jited);
	EXPECT_EQ(st.jited_len, 0);
	bpf_prog_put(prog);
}

/*
 * The clock runs at the timer's pace. Not closely under QEMU's TCG on a loaded host: the timer's
 * ticks come late and then in bursts, and the TSC (the host's) and the PIT (QEMU's virtual clock)
 * drift apart by up to 2x when the host deschedules the vCPU, so calibration and test can disagree
 * that much. The test takes one of five 200 ms windows within 4x: a clock that does not run,
 * runs backwards, or counts in the wrong unit (us, ps) still fails every window.
 */
KTEST(bpf_prog, ktime_follows_the_timer)
{
	int agree = 0;

	for (int attempt = 0; attempt < 5 && !agree; attempt++) {
		uint64_t t0 = ktime_get_ns(), start = timer_ticks;
		sched_sleep_until(start + TIMER_HZ / 5);
		uint64_t ns = ktime_get_ns() - t0, ticks = timer_ticks - start;
		uint64_t want = ticks * (1000000000ull / TIMER_HZ);
		if (ns > want / 4 && ns < 4 * want + 2 * (1000000000ull / TIMER_HZ))
			agree = 1;
		else
			kprintf("    # window %d: %lu ns over %lu ticks\n", attempt, ns, ticks);
	}
	EXPECT_TRUE(agree);
}

/*
 * A task killed while BPF_PROG_TEST_RUN runs a repeat of 2^32 - 1 stops between two runs and exits
 * at once, releasing its program (the user program's "spin" role loads one and runs it so).
 */
KTEST(bpf_prog, killed_task_stops_a_huge_repeat)
{
	char *argv[] = {"test/bpf_syscall_prog", "spin"};
	size_t progs = bpf_progs_live();
	int pid = task_spawn(argv[0], 2, argv);
	struct task *z = NULL;

	ASSERT_GT(pid, 0);
	sched_sleep_until(timer_ticks + TIMER_HZ / 2); /* it is in the repeat by now */
	uint64_t start = timer_ticks;
	EXPECT_EQ(task_kill_all_user(), 1);
	ASSERT_EQ(task_wait(pid, 0, timer_ticks + 10 * TIMER_HZ, &z), 0);
	ASSERT_NONNULL(z);
	EXPECT_EQ(z->exit_status, W_EXITCODE(TASK_STATUS_KILLED));
	task_reap(z);
	EXPECT_LT(timer_ticks - start, TIMER_HZ);
	EXPECT_EQ(bpf_progs_live(), progs);
}
