/*
 * TLB shootdown (arch/x86_64/tlb.h, arch/x86_64/pmap.c): a kernel mapping replaced on one CPU is
 * seen replaced by another CPU's very next read (QEMU's TCG keeps a soft TLB per vCPU, so without
 * the IPI the reader keeps the old frame); a user pmap's shootdown goes to the CPUs in its active
 * set only; concurrent removes and protects of several pmaps and the kernel's from every CPU,
 * some under an outermost spinlock, neither deadlock nor lose an acknowledgement; a batch past
 * TLB_BATCH_MAX pages makes the others flush everything; a CPU spinning for a lock with interrupts
 * off answers a round sent to it by the lock's holder. Last, the price of a one-page
 * pmap_remove in a pmap active on 1, 2 and 4 CPUs, printed. The multi-CPU cases skip on one CPU.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tlb.h"
#include "kernel/cpu.h"
#include "kernel/kprintf.h"
#include "kernel/ktest.h"
#include "kernel/ktime.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/task.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"
#include "mm/pmm.h"
#include "uapi/errno.h"

/* Kernel scratch addresses of this file (test_mm.c uses the start of KVA_SCRATCH). */
#define TVA(off) (KVA_SCRATCH + 0x20000000ull + (off))
#define USER_VA 0x40000000ull
/* Long enough for any vCPU of a loaded 2-core host to get a turn; only a hang reaches it. */
#define WAIT_NS (20ull * 1000000000ull)
#define REMAP_ROUNDS 40
#define STRESS_NS 1500000000ull
#define BENCH_REMOVES 300
#define BENCH_NS 1500000000ull

static unsigned ncpus(void)
{
	return cpu_possible_count();
}

static void snap(struct mmu_shootdown_stats *s)
{
	for (unsigned c = 0; c < ncpus(); c++)
		mmu_shootdown_stats(c, &s[c]);
}

/* Spin until *flag reaches want or WAIT_NS passed; whether it did. */
static bool wait_for(const volatile unsigned *flag, unsigned want)
{
	uint64_t deadline = ktime_get_ns() + WAIT_NS;
	while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) < want)
		if (ktime_get_ns() > deadline)
			return false;
		else
			cpu_relax();
	return true;
}

static int reap(struct task *t)
{
	struct task *z = NULL;
	if (!t || task_wait(t->pid, 0, 0, &z) || z != t)
		return -1;
	int st = z->exit_status;
	task_reap(z);
	return st;
}

/* ------------------------------------------------------------------------------------------- */

/*
 * The remap handshake, per round r (from 1): the reader reads the page in a loop (its TLB holds
 * the translation); kmain sets pause = r; the reader stops touching the page and sets paused = r;
 * kmain replaces the mapping and sets go = r; the reader reads once and stores seen[r].
 */
static struct remap {
	unsigned cpu;
	volatile uint32_t *page;
	unsigned pause, paused, go, done, reads;
	uint32_t seen[REMAP_ROUNDS + 1];
	bool timed_out;
} rm;

static int remap_reader(void *arg)
{
	(void)arg;
	if (sched_bind((int)rm.cpu))
		return 100;
	for (unsigned r = 1; r <= REMAP_ROUNDS; r++) {
		uint64_t deadline = ktime_get_ns() + WAIT_NS;
		while (__atomic_load_n(&rm.pause, __ATOMIC_ACQUIRE) < r) {
			(void)*rm.page;
			__atomic_add_fetch(&rm.reads, 1, __ATOMIC_RELEASE);
			if (ktime_get_ns() > deadline) {
				rm.timed_out = true;
				return 1;
			}
		}
		__atomic_store_n(&rm.paused, r, __ATOMIC_RELEASE);
		if (!wait_for(&rm.go, r)) {
			rm.timed_out = true;
			return 1;
		}
		rm.seen[r] = *rm.page;
		__atomic_store_n(&rm.done, r, __ATOMIC_RELEASE);
	}
	return 0;
}

KTEST(tlb_shootdown, kernel_remap_seen_by_the_next_read)
{
	if (ncpus() < 2)
		KT_SKIP("one CPU");
	vm_page_t f[2] = {pmm_alloc_order(0, PMM_ZERO), pmm_alloc_order(0, PMM_ZERO)};
	ASSERT_NONNULL(f[0]);
	ASSERT_NONNULL(f[1]);
	*(uint32_t *)phys_to_virt(vm_page_to_phys(f[0])) = 1;
	*(uint32_t *)phys_to_virt(vm_page_to_phys(f[1])) = 2;
	pmap_t kp = pmap_kernel();
	ASSERT_EQ(pmap_enter(kp, TVA(0), vm_page_to_phys(f[0]), PAGE_SIZE, MMU_READ | MMU_WRITE),
		  0);

	rm = (struct remap){.cpu = ncpus() - 1, .page = (volatile uint32_t *)TVA(0)};
	struct task *t = task_create_kthread("tlb reader", remap_reader, NULL, 0);
	ASSERT_NONNULL(t);
	unsigned stale = 0;
	for (unsigned r = 1; r <= REMAP_ROUNDS; r++) {
		/* Let it read through the current mapping a few times: its TLB has it. */
		unsigned base = __atomic_load_n(&rm.reads, __ATOMIC_ACQUIRE);
		if (!wait_for(&rm.reads, base + 3))
			break;
		__atomic_store_n(&rm.pause, r, __ATOMIC_RELEASE);
		if (!wait_for(&rm.paused, r))
			break;
		vm_page_t next = f[r % 2];
		EXPECT_EQ(pmap_remove(kp, TVA(0), PAGE_SIZE), 0);
		EXPECT_EQ(pmap_enter(kp, TVA(0), vm_page_to_phys(next), PAGE_SIZE,
				     MMU_READ | MMU_WRITE),
			  0);
		__atomic_store_n(&rm.go, r, __ATOMIC_RELEASE);
		if (!wait_for(&rm.done, r))
			break;
		if (rm.seen[r] != 1 + r % 2) {
			if (!stale++)
				KT_FAIL("round %u: CPU %u read %u after the remap to a page holding %u",
					r, rm.cpu, rm.seen[r], 1 + r % 2);
		}
	}
	__atomic_store_n(&rm.pause, REMAP_ROUNDS, __ATOMIC_RELEASE);
	__atomic_store_n(&rm.go, REMAP_ROUNDS, __ATOMIC_RELEASE);
	EXPECT_EQ(reap(t), 0);
	EXPECT_FALSE(rm.timed_out);
	EXPECT_EQ(rm.done, REMAP_ROUNDS);
	EXPECT_EQ(stale, 0);
	EXPECT_EQ(pmap_remove(kp, TVA(0), PAGE_SIZE), 0);
	pmm_free(f[0]);
	pmm_free(f[1]);
}

/* ------------------------------------------------------------------------------------------- */

/*
 * A shootdown sent with interrupts off (its sender holds a spinlock) to a CPU that spins for that
 * lock with interrupts off (it holds another): the spinner must answer from its wait loop
 * (cpu_spin_wait), or the sender waits for it forever and the round's timeout panics.
 */
static spinlock_t spin_outer = SPINLOCK_INIT("tlb test outer"),
		  spin_inner = SPINLOCK_INIT("tlb test inner");
static unsigned spin_cpu, spin_started, spin_go, spin_done;

static int spinning_target(void *arg)
{
	(void)arg;
	if (sched_bind((int)spin_cpu))
		return 100;
	spin_lock(&spin_outer);
	__atomic_store_n(&spin_started, 1, __ATOMIC_RELEASE);
	if (!wait_for(&spin_go, 1)) {
		spin_unlock(&spin_outer);
		return 1;
	}
	spin_lock(&spin_inner); /* spins, interrupts off, until the sender lets go */
	spin_unlock(&spin_inner);
	spin_unlock(&spin_outer);
	__atomic_store_n(&spin_done, 1, __ATOMIC_RELEASE);
	return 0;
}

KTEST(tlb_shootdown, a_cpu_spinning_with_interrupts_off_answers)
{
	if (ncpus() < 2)
		KT_SKIP("one CPU");
	vm_page_t f = pmm_alloc_order(0, PMM_ZERO);
	ASSERT_NONNULL(f);
	pmap_t kp = pmap_kernel();
	ASSERT_EQ(
		pmap_enter(kp, TVA(0x1000000), vm_page_to_phys(f), PAGE_SIZE, MMU_READ | MMU_WRITE),
		0);
	spin_cpu = ncpus() - 1;
	spin_started = spin_go = spin_done = 0;
	struct mmu_shootdown_stats before[CPU_MAX], after[CPU_MAX];
	snap(before);
	struct task *t = task_create_kthread("tlb spinner", spinning_target, NULL, 0);
	bool started = t && wait_for(&spin_started, 1);
	spin_lock(&spin_inner);
	__atomic_store_n(&spin_go, 1, __ATOMIC_RELEASE);
	/* Now it spins on spin_inner with interrupts off (or soon will): shoot at it. */
	uint64_t t0 = ktime_get_ns();
	while (ktime_get_ns() - t0 < 1000000)
		cpu_relax();
	int r = pmap_remove(kp, TVA(0x1000000), PAGE_SIZE);
	spin_unlock(&spin_inner);
	snap(after);
	ASSERT_NONNULL(t);
	EXPECT_TRUE(started);
	EXPECT_EQ(r, 0);
	EXPECT_EQ(reap(t), 0);
	EXPECT_EQ(spin_done, 1);
	/* The spinner carried the request out (from its wait loop: it took no interrupt). */
	EXPECT_GT(after[spin_cpu].requests, before[spin_cpu].requests);
	pmm_free(f);
}

/* Kernel threads that load a pmap on their CPU and spin until told to load the kernel's again. */
static struct holders {
	pmap_t pm;
	bool halt; /* wait halted (woken by interrupts) instead of spinning */
	unsigned ready;
	unsigned release[CPU_MAX]; /* 1: switch back to the kernel pmap and exit */
} hd;

static int holder(void *arg)
{
	unsigned cpu = (unsigned)(uintptr_t)arg;
	if (sched_bind((int)cpu))
		return 100;
	/*
	 * Not preemptible and never sleeping: the scheduler leaves this CPU to it, so the pmap stays
	 * loaded until it loads the kernel's again (the one the scheduler loaded for it).
	 */
	pmap_activate(hd.pm);
	__atomic_add_fetch(&hd.ready, 1, __ATOMIC_RELEASE);
	uint64_t deadline = ktime_get_ns() + 3 * WAIT_NS;
	while (!__atomic_load_n(&hd.release[cpu], __ATOMIC_ACQUIRE) && ktime_get_ns() < deadline)
		if (hd.halt)
			halt(); /* interrupts are on: the next tick or IPI ends it */
		else
			cpu_relax();
	pmap_activate(pmap_kernel());
	return 0;
}

/* Start holders of pm on the CPUs of set; false if they did not all load it in time. */
static bool hold(pmap_t pm, cpuset_t set, bool halting, struct task **t)
{
	unsigned want = 0;
	hd.pm = pm;
	hd.halt = halting;
	hd.ready = 0;
	for (unsigned c = 0; c < CPU_MAX; c++) {
		hd.release[c] = 0;
		t[c] = NULL;
	}
	for (unsigned c = 0; c < ncpus(); c++) {
		if (!(set & CPUSET_CPU(c)))
			continue;
		t[c] = task_create_kthread("tlb holder", holder, (void *)(uintptr_t)c, 0);
		if (!t[c])
			return false;
		want++;
	}
	return wait_for(&hd.ready, want);
}

/* Release the holder on cpu and reap it; its exit status. */
static int unhold(struct task **t, unsigned cpu)
{
	__atomic_store_n(&hd.release[cpu], 1, __ATOMIC_RELEASE);
	int st = reap(t[cpu]);
	t[cpu] = NULL;
	return st;
}

static void unhold_all(struct ktest_state *kt, struct task **t)
{
	for (unsigned c = 0; c < ncpus(); c++)
		if (t[c])
			EXPECT_EQ(unhold(t, c), 0);
}

KTEST(tlb_shootdown, user_pmap_shootdown_reaches_its_active_cpus_only)
{
	struct task *t[CPU_MAX];
	struct mmu_shootdown_stats a[CPU_MAX], b[CPU_MAX];
	if (ncpus() < 3)
		KT_SKIP("fewer than 3 CPUs");
	pmap_t up = pmap_create();
	ASSERT_NONNULL(up);
	vm_page_t f = pmm_alloc_order(0, PMM_ZERO);
	ASSERT_NONNULL(f);
	vm_paddr_t pa = vm_page_to_phys(f);

	cpuset_t set = CPUSET_CPU(1) | CPUSET_CPU(2);
	ASSERT_TRUE(hold(up, set, false, t));
	EXPECT_EQ(pmap_active_cpus(up), set);
	EXPECT_EQ(pmap_enter(up, USER_VA, pa, PAGE_SIZE, MMU_READ | MMU_USER), 0);
	snap(a);
	EXPECT_EQ(pmap_remove(up, USER_VA, PAGE_SIZE), 0);
	snap(b);
	EXPECT_EQ(b[0].rounds - a[0].rounds, 1);
	EXPECT_EQ(b[0].targets - a[0].targets, 2);
	for (unsigned c = 0; c < ncpus(); c++) {
		EXPECT_EQ(b[c].requests - a[c].requests, (set & CPUSET_CPU(c)) ? 1 : 0);
		EXPECT_EQ(b[c].pages - a[c].pages, (set & CPUSET_CPU(c)) ? 1 : 0);
	}

	/* CPU 1 loads the kernel pmap again: it leaves the set, and the next round spares it. */
	EXPECT_EQ(unhold(t, 1), 0);
	EXPECT_EQ(pmap_active_cpus(up), CPUSET_CPU(2));
	EXPECT_EQ(pmap_enter(up, USER_VA, pa, PAGE_SIZE, MMU_READ | MMU_USER), 0);
	snap(a);
	/* No change: no round. */
	EXPECT_EQ(pmap_protect(up, USER_VA, PAGE_SIZE, MMU_READ | MMU_USER), 0);
	EXPECT_EQ(pmap_protect(up, USER_VA, PAGE_SIZE, MMU_READ | MMU_WRITE | MMU_USER), 0);
	snap(b);
	EXPECT_EQ(b[0].rounds - a[0].rounds, 1);
	for (unsigned c = 0; c < ncpus(); c++)
		EXPECT_EQ(b[c].requests - a[c].requests, c == 2 ? 1 : 0);

	unhold_all(kt, t);
	EXPECT_EQ(pmap_active_cpus(up), 0);
	snap(a);
	EXPECT_EQ(pmap_remove(up, USER_VA, PAGE_SIZE), 0); /* active nowhere: no round */
	snap(b);
	EXPECT_EQ(b[0].rounds, a[0].rounds);
	EXPECT_NULL(pmap_check(up));
	pmap_destroy(up);
	pmm_free(f);
}

/* ------------------------------------------------------------------------------------------- */

KTEST(tlb_shootdown, past_the_batch_limit_the_others_flush_all)
{
	struct mmu_shootdown_stats a[CPU_MAX], b[CPU_MAX];
	const unsigned pages = 2 * TLB_BATCH_MAX;
	if (ncpus() < 2)
		KT_SKIP("one CPU");
	pmap_t kp = pmap_kernel();
	vm_page_t f = pmm_alloc_order(0, PMM_ZERO);
	ASSERT_NONNULL(f);
	for (unsigned i = 0; i < pages; i++)
		ASSERT_EQ(
			pmap_enter(kp, TVA(i * PAGE_SIZE), vm_page_to_phys(f), PAGE_SIZE, MMU_READ),
			0);

	/* Exactly TLB_BATCH_MAX pages: still page by page. */
	snap(a);
	EXPECT_EQ(pmap_remove(kp, TVA(0), TLB_BATCH_MAX * PAGE_SIZE), 0);
	snap(b);
	EXPECT_EQ(b[0].rounds - a[0].rounds, 1);
	EXPECT_EQ(b[0].targets - a[0].targets, ncpus() - 1);
	for (unsigned c = 1; c < ncpus(); c++) {
		EXPECT_EQ(b[c].requests - a[c].requests, 1);
		EXPECT_EQ(b[c].pages - a[c].pages, TLB_BATCH_MAX);
		EXPECT_EQ(b[c].flushes - a[c].flushes, 0);
	}

	/* One more than a batch holds (the rest, and a page entered again): a flush everywhere. */
	ASSERT_EQ(pmap_enter(kp, TVA(0), vm_page_to_phys(f), PAGE_SIZE, MMU_READ), 0);
	snap(a);
	EXPECT_EQ(pmap_remove(kp, TVA(0), pages * PAGE_SIZE), 0);
	snap(b);
	EXPECT_EQ(b[0].rounds - a[0].rounds, 1);
	for (unsigned c = 1; c < ncpus(); c++) {
		EXPECT_EQ(b[c].requests - a[c].requests, 1);
		EXPECT_EQ(b[c].flushes - a[c].flushes, 1);
		EXPECT_EQ(b[c].pages - a[c].pages, 0);
	}
	pmm_free(f);
}

/* ------------------------------------------------------------------------------------------- */

/*
 * The stress: one thread per CPU for STRESS_NS, each with its own pmap and its own slices of a
 * shared pmap and of the kernel pmap, switching between the two user pmaps and entering,
 * protecting and removing random ranges (some past the batch limit, some splitting 2 MiB pages)
 * in all three; a third of its operations under one shared spinlock, whose waiters spin with
 * interrupts on. Every thread must finish (a lost acknowledgement panics in tlb.c after 30 s),
 * every pmap must pass pmap_check, and the batches sent must equal the batches carried out.
 */
#define STRESS_SLICE (4 * SUPERPAGE_SIZE)

static struct stress {
	pmap_t shared;
	pmap_t own[CPU_MAX];
	vm_paddr_t pa; /* a 2 MiB block every mapping points into (nothing touches them) */
	uint64_t deadline;
	unsigned started, go;
	unsigned long ops[CPU_MAX];
	int err[CPU_MAX];
} st;
static spinlock_t stress_lock = SPINLOCK_INIT("tlb stress");

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int stress_op(uint64_t *seed, pmap_t pm, vm_offset_t base)
{
	uint64_t r = rnd(seed);
	vm_size_t pages = 1 + r % (r & 0x100 ? 3 * TLB_BATCH_MAX : 8);
	vm_offset_t off = (rnd(seed) % (STRESS_SLICE / PAGE_SIZE - pages)) * PAGE_SIZE;
	vm_size_t len = pages * PAGE_SIZE;
	unsigned user = pm == pmap_kernel() ? 0 : MMU_USER;
	switch ((r >> 16) % 4) {
	case 0:
	case 1: {
		/* 2 MiB aligned and long enough: a 2 MiB page that later operations split. */
		vm_offset_t va =
			r & 0x200 ? (base + off) & ~(vm_offset_t)SUPERPAGE_MASK : base + off;
		vm_size_t l = va == base + off ? len : SUPERPAGE_SIZE;
		int e = pmap_enter(pm, va, st.pa, l, MMU_READ | MMU_WRITE | user);
		return e == -EEXIST ? 0 : e;
	}
	case 2:
		return pmap_protect(pm, base + off, len, MMU_READ | user);
	default:
		return pmap_remove(pm, base + off, len);
	}
}

static int stress_main(void *arg)
{
	unsigned cpu = (unsigned)(uintptr_t)arg;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (cpu + 1);
	if (sched_bind((int)cpu))
		return 100;
	__atomic_add_fetch(&st.started, 1, __ATOMIC_RELEASE);
	if (!wait_for(&st.go, 1))
		return 101;
	vm_offset_t ubase = USER_VA + cpu * STRESS_SLICE;
	vm_offset_t kbase = TVA(SUPERPAGE_SIZE * 64 + cpu * STRESS_SLICE);
	while (ktime_get_ns() < st.deadline && !st.err[cpu]) {
		uint64_t r = rnd(&seed);
		if (r % 8 == 0)
			pmap_activate(r & 8 ? st.shared : st.own[cpu]);
		pmap_t pm = r & 0x30 ? (r & 0x10 ? st.shared : st.own[cpu]) : pmap_kernel();
		vm_offset_t base = pm == pmap_kernel() ? kbase : ubase;
		bool locked = (r >> 8) % 3 == 0;
		if (locked)
			spin_lock(&stress_lock);
		int e = stress_op(&seed, pm, base);
		if (locked)
			spin_unlock(&stress_lock);
		if (e)
			st.err[cpu] = e;
		st.ops[cpu]++;
	}
	pmap_activate(pmap_kernel());
	return 0;
}

KTEST(tlb_shootdown, concurrent_removes_and_protects_on_every_cpu)
{
	struct task *t[CPU_MAX];
	struct mmu_shootdown_stats a[CPU_MAX], b[CPU_MAX];
	unsigned n = ncpus();
	if (n < 2)
		KT_SKIP("one CPU");
	vm_page_t blk = pmm_alloc_order(SUPERPAGE_ORDER, 0);
	ASSERT_NONNULL(blk);
	st = (struct stress){.pa = vm_page_to_phys(blk)};
	st.shared = pmap_create();
	ASSERT_NONNULL(st.shared);
	for (unsigned c = 0; c < n; c++) {
		st.own[c] = pmap_create();
		ASSERT_NONNULL(st.own[c]);
	}
	snap(a);
	for (unsigned c = 0; c < n; c++) {
		t[c] = task_create_kthread("tlb stress", stress_main, (void *)(uintptr_t)c, 0);
		ASSERT_NONNULL(t[c]);
	}
	/* kmain is one of them on CPU 0 only once its thread ran: it waits in task_wait there. */
	st.deadline = ktime_get_ns() + STRESS_NS + WAIT_NS;
	if (wait_for(&st.started, n - 1))
		st.deadline = ktime_get_ns() + STRESS_NS;
	__atomic_store_n(&st.go, 1, __ATOMIC_RELEASE);
	unsigned long ops = 0;
	for (unsigned c = 0; c < n; c++) {
		EXPECT_EQ(reap(t[c]), 0);
		EXPECT_EQ(st.err[c], 0);
		ops += st.ops[c];
	}
	snap(b);
	uint64_t rounds = 0, targets = 0, requests = 0;
	for (unsigned c = 0; c < n; c++) {
		rounds += b[c].rounds - a[c].rounds;
		targets += b[c].targets - a[c].targets;
		requests += b[c].requests - a[c].requests;
	}
	kprintf("    # %lu operations on %u CPUs: %lu rounds, %lu batches sent, %lu carried out\n",
		ops, n, (unsigned long)rounds, (unsigned long)targets, (unsigned long)requests);
	EXPECT_GT(rounds, 0);
	EXPECT_EQ(targets, requests);

	EXPECT_NULL(pmap_check(st.shared));
	EXPECT_NULL(pmap_check(pmap_kernel()));
	EXPECT_EQ(pmap_remove(st.shared, USER_VA, n * STRESS_SLICE), 0);
	EXPECT_EQ(pmap_remove(pmap_kernel(), TVA(SUPERPAGE_SIZE * 64), n * STRESS_SLICE), 0);
	EXPECT_EQ(pmap_active_cpus(st.shared), 0);
	pmap_destroy(st.shared);
	for (unsigned c = 0; c < n; c++) {
		EXPECT_NULL(pmap_check(st.own[c]));
		EXPECT_EQ(pmap_active_cpus(st.own[c]), 0);
		pmap_destroy(st.own[c]);
	}
	pmm_free(blk);
}

/* ------------------------------------------------------------------------------------------- */

/*
 * The price of a shootdown: kmain on CPU 0 loads a user pmap, holders load it on 0, 1 or 3
 * other CPUs and spin (as threads running there would), then again halted (the IPI must wake
 * them: on the 2-core build machine four spinning vCPUs leave two waiting for a host core, which
 * the halted figure leaves out), and kmain times pmap_remove of one mapped 4 KiB page (TSC cycles;
 * under TCG emulated time: compare the figures with each other and with bin/bench_smp's getpid).
 */
static uint64_t bench_cycles[BENCH_REMOVES];

static void bench_one(struct ktest_state *kt, pmap_t up, vm_paddr_t pa, unsigned cpus,
		      const char *how)
{
	unsigned done = 0;
	uint64_t end = ktime_get_ns() + BENCH_NS;
	for (; done < BENCH_REMOVES && ktime_get_ns() < end; done++) {
		if (pmap_enter(up, USER_VA, pa, PAGE_SIZE, MMU_READ | MMU_USER)) {
			KT_FAIL("pmap_enter failed");
			return;
		}
		uint64_t t0 = rdtsc();
		int r = pmap_remove(up, USER_VA, PAGE_SIZE);
		bench_cycles[done] = rdtsc() - t0;
		if (r) {
			KT_FAIL("pmap_remove failed: %d", r);
			return;
		}
	}
	/* Insertion sort: a few hundred samples. */
	for (unsigned i = 1; i < done; i++)
		for (unsigned j = i; j > 0 && bench_cycles[j - 1] > bench_cycles[j]; j--) {
			uint64_t c = bench_cycles[j];
			bench_cycles[j] = bench_cycles[j - 1];
			bench_cycles[j - 1] = c;
		}
	if (!done)
		return;
	kprintf("    # bench: pmap_remove of one page, pmap active on %u CPU%s%s: %lu cycles best, %lu median, %lu at 90%% (%u removes)\n",
		cpus, cpus == 1 ? "" : "s", how, (unsigned long)bench_cycles[0],
		(unsigned long)bench_cycles[done / 2], (unsigned long)bench_cycles[done * 9 / 10],
		done);
}

KTEST(tlb_shootdown, bench_remove_one_page_active_on_1_2_4_cpus)
{
	struct task *t[CPU_MAX];
	pmap_t up = pmap_create();
	ASSERT_NONNULL(up);
	vm_page_t f = pmm_alloc_order(0, PMM_ZERO);
	ASSERT_NONNULL(f);
	pmap_activate(up);
	bench_one(kt, up, vm_page_to_phys(f), 1, "");
	for (int halting = 0; halting < 2; halting++) {
		for (unsigned k = 2; k <= 4 && k <= ncpus(); k *= 2) {
			if (!hold(up, CPUSET_CPU(k) - 2, halting, t)) {
				KT_FAIL("holders of %u CPUs did not start", k - 1);
				unhold_all(kt, t);
				break;
			}
			EXPECT_EQ(pmap_active_cpus(up), CPUSET_CPU(k) - 1);
			bench_one(kt, up, vm_page_to_phys(f), k,
				  halting ? " (the others halted)" : " (the others spinning)");
			unhold_all(kt, t);
		}
	}
	pmap_activate(pmap_kernel());
	EXPECT_EQ(pmap_active_cpus(up), 0);
	pmap_destroy(up);
	pmm_free(f);
}
