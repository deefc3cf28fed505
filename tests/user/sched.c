/*
 * Scheduling seen from ring 3: a task that never makes a system call is preempted by the timer,
 * and every task's SSE registers and MXCSR survive being switched out (three tasks spinning with
 * different register contents at once); a new task starts with the FPU control words of
 * user/crt0.S's contract; many children spinning, yielding and exiting at once all get reaped with
 * their own status.
 */
#include <stdlib.h>

#include "utest.h"

/* Long enough (many 10 ms ticks at any plausible TSC rate) for several preemptions to happen. */
#define SPIN_CYCLES (1ull << 29)

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static void spin(uint64_t cycles)
{
	uint64_t t0 = rdtsc();
	while (rdtsc() - t0 < cycles)
		;
}

static void test_preemption(const char *self)
{
	int st = -1;
	long child = spawn_self(self, "spin", NULL);

	CHECK(child > 0);
	/*
	 * The child runs now and never gives the CPU back by itself: we get it again only through
	 * the timer, while the child is still spinning.
	 */
	CHECK_EQ(sys0(SYS_sched_yield), 0);
	CHECK_EQ(sys3(SYS_waitpid, child, (long)&st, WNOHANG), 0);
	CHECK_EQ(sys3(SYS_waitpid, child, (long)&st, 0), child);
	CHECK_EQ(st, 0);
}

#define SET(n)                                    \
	"movq %[s], %%xmm" #n "\n\t"              \
	"punpcklqdq %%xmm" #n ", %%xmm" #n "\n\t" \
	"addq %%rax, %[s]\n\t"
#define GET(n) "movdqu %%xmm" #n ", " #n "*16(%[o])\n\t"

/*
 * Fill xmm0-15 with values derived from seed and MXCSR with a rounding mode from it, spin for
 * `cycles` without touching them, and check they are unchanged. Returns 0 if so.
 */
static int fpu_hold(uint64_t seed, uint64_t cycles)
{
	uint64_t out[32], s = seed, deadline = rdtsc() + cycles;
	uint32_t mxcsr_in = 0x1f80 | (uint32_t)((seed & 3) << 13), mxcsr_out = 0;

	__asm__ volatile(
		"ldmxcsr %[mi]\n\t"
		"movabsq $0x0101010101010101, %%rax\n\t" SET(0) SET(1) SET(2) SET(3) SET(4) SET(5)
			SET(6) SET(7) SET(8) SET(9) SET(10) SET(11) SET(12) SET(13) SET(14)
				SET(15) "1: rdtsc\n\t"
					"shlq $32, %%rdx\n\t"
					"orq %%rax, %%rdx\n\t"
					"cmpq %[dl], %%rdx\n\t"
					"jb 1b\n\t" GET(0) GET(1) GET(2) GET(3) GET(4) GET(5) GET(6)
						GET(7) GET(8) GET(9) GET(10) GET(11) GET(12) GET(13)
							GET(14) GET(15) "stmxcsr %[mo]"
		: [s] "+r"(s), [mo] "=m"(mxcsr_out)
		: [mi] "m"(mxcsr_in), [dl] "r"(deadline), [o] "r"(out)
		: "rax", "rdx", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
		  "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	int bad = mxcsr_out != mxcsr_in;
	for (int n = 0; n < 16; n++) {
		uint64_t want = seed + (uint64_t)n * 0x0101010101010101ull;
		bad |= out[2 * n] != want || out[2 * n + 1] != want;
	}
	if (bad)
		printf("# fpu_hold(%lx): registers changed while switched out\n",
		       (unsigned long)seed);
	return bad;
}

static void test_fpu_isolation(const char *self)
{
	long a = spawn_self(self, "fpu", "1");
	long b = spawn_self(self, "fpu", "2");
	int st = -1;

	CHECK(a > 0 && b > 0);
	CHECK_EQ(fpu_hold(0x3030303030303030ull, SPIN_CYCLES), 0);
	CHECK_EQ(sys3(SYS_waitpid, a, (long)&st, 0), a);
	CHECK_EQ(st, 0);
	CHECK_EQ(sys3(SYS_waitpid, b, (long)&st, 0), b);
	CHECK_EQ(st, 0);
}

/*
 * Rounds of children that spin and yield in different amounts and exit with their own status,
 * all at once: preemption, exit and reaping interleaved every which way.
 */
static void test_churn(const char *self)
{
	for (int round = 0; round < 4; round++) {
		long pids[12];
		for (int i = 0; i < 12; i++) {
			char arg[8];
			snprintf(arg, sizeof(arg), "%d", round * 12 + i);
			pids[i] = spawn_self(self, "churn", arg);
			CHECK(pids[i] > 0);
		}
		for (int i = 0; i < 12; i++) {
			int st = -1;
			long pid = sys3(SYS_waitpid, -1, (long)&st, 0);
			int k = 0;
			while (k < 12 && pids[k] != pid)
				k++;
			CHECK(k < 12);
			CHECK_EQ(st, W_EXITCODE(round * 12 + k));
		}
	}
}

static int churn(int n)
{
	for (int i = 0; i < n % 5; i++) {
		spin(SPIN_CYCLES >> (6 + n % 4));
		sys0(SYS_sched_yield);
	}
	return n;
}

/* A fresh task: x87 control word 0x37f, MXCSR 0x1f80. */
static int fpu_initial(void)
{
	uint16_t fcw = 0;
	uint32_t mxcsr = 0;
	__asm__ volatile("fnstcw %0\n\tstmxcsr %1" : "=m"(fcw), "=m"(mxcsr));
	if (fcw != 0x37f || mxcsr != 0x1f80) {
		printf("# initial FCW 0x%x MXCSR 0x%x\n", fcw, mxcsr);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		if (!strcmp(argv[1], "spin")) {
			spin(SPIN_CYCLES);
			return 0;
		}
		if (!strcmp(argv[1], "fpu"))
			return fpu_hold(0x1111111111111111ull * (uint64_t)atoi(argv[2]),
					SPIN_CYCLES);
		if (!strcmp(argv[1], "churn"))
			return churn(atoi(argv[2]));
		if (!strcmp(argv[1], "fpu_initial"))
			return fpu_initial();
		return 101;
	}
	CHECK_EQ(run_self(argv[0], "fpu_initial", NULL), 0);
	test_preemption(argv[0]);
	test_fpu_isolation(argv[0]);
	test_churn(argv[0]);
	return utest_result("sched");
}
