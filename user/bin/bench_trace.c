/*
 * In-guest benchmark of the tracepoints (run by `make bench`; one line per figure). Times are TSC
 * cycles read through uptime(); under QEMU's TCG they are emulated, so compare the ratios.
 *
 *   4 KiB fault                 cycles per first touch of a 4 KiB page (entries of 1 MiB, split
 *                               by mprotect, which no 2 MiB page fits), without a program and
 *                               with a raw tracepoint program on vm_fault that counts faults by
 *                               page size in an array map, in alternating regions of 256 faults:
 *                               the medians over all regions, and the tracepoint's share of a
 *                               fault as the median ratio of neighbouring regions
 *   getpid                      the round trip without programs, with an empty program on
 *                               sys_enter (the tracepoint and a run alone), and with a counting
 *                               program on each of sys_enter and sys_exit
 * Exits 1 if a call fails or the program's count disagrees with the faults taken.
 */
#include <bench.h>
#include <bpf.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096ul
#define MIB (1ul << 20)
#define REGIONS 8
#define FAULT_ROUNDS 60
#define GETPID_CALLS 50000
#define GETPID_ROUNDS 250 /* short rounds: see fault_round */

static int failed;

static void fail(const char *what, long r)
{
	printf("bench_trace: %s failed: %ld\n", what, r);
	failed = 1;
}

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return bpf(cmd, a, sizeof(*a));
}

static int count_map(void)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = 2;
	return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

static int load_raw_tp(const struct bpf_insn *insns, uint32_t n)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = n;
	a.license = (uint64_t)(uintptr_t) "GPL";
	return (int)sys_bpf(BPF_PROG_LOAD, &a);
}

/* A raw tracepoint program adding 1 to element (args[slot] == match) of map: slot 4 is vm_fault's
   page size (key 1 for a 2 MiB page), slot 0 with match 0 counts every run in key 0. */
static int counter_prog(int map, int16_t slot, int32_t match)
{
	const struct bpf_insn insns[] = {
		{BPF_LDX | BPF_MEM | BPF_DW, 2, 1, (int16_t)(slot * 8), 0},
		{BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 0},
		{BPF_JMP | BPF_JNE | BPF_K, 2, 0, 1, match},
		{BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, 1},
		{BPF_STX | BPF_MEM | BPF_W, 10, 3, -4, 0},
		{BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_FD, 0, map},
		{0, 0, 0, 0, 0},
		{BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0},
		{BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4},
		{BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem},
		{BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2, 0},
		{BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 1},
		{BPF_STX | BPF_ATOMIC | BPF_DW, 0, 1, 0, BPF_ADD},
		{BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},
		{BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	return load_raw_tp(insns, sizeof(insns) / sizeof(insns[0]));
}

/* A raw tracepoint program that only returns 0: the cost of a run itself. */
static int nop_prog(void)
{
	const struct bpf_insn insns[] = {
		{BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},
		{BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	return load_raw_tp(insns, 2);
}

static int attach(const char *tp, int prog)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (uint64_t)(uintptr_t)tp;
	a.raw_tracepoint.prog_fd = (uint32_t)prog;
	return (int)sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
}

static uint64_t count(int map, uint32_t key)
{
	union bpf_attr a;
	uint64_t v = 0;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)map;
	a.key = (uint64_t)(uintptr_t)&key;
	a.value = (uint64_t)(uintptr_t)&v;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a))
		fail("lookup", -1);
	return v;
}

static uint64_t plain_c[FAULT_ROUNDS * REGIONS / 2], traced_c[FAULT_ROUNDS * REGIONS / 2];

/*
 * One round of fresh entries: cycles per first touch of a 4 KiB page in each of its REGIONS
 * regions (256 faults each), every other region with prog attached to vm_fault (which half
 * alternates from round to round), so that both figures see the same stretches of the host's
 * speed (TCG's cycles are its time). Attaching and detaching happen outside the clock.
 */
static void fault_round(int round, int prog, int *np, int *nt)
{
	/* Every other MiB read+write+exec: entries of 1 MiB, which no 2 MiB page fits. */
	char *base =
		mmap(NULL, REGIONS * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);

	if (base == MAP_FAILED) {
		fail("mmap", -1);
		return;
	}
	for (int i = 1; i < REGIONS; i += 2)
		if (mprotect(base + i * MIB, MIB, PROT_READ | PROT_WRITE | PROT_EXEC))
			fail("mprotect", -1);
	for (int i = 0; i < REGIONS && !failed; i++) {
		char *r = base + i * MIB;
		bool traced = (i + round) % 2;
		int link = traced ? attach("vm_fault", prog) : 0;
		if (link < 0) {
			fail("attach vm_fault", link);
			break;
		}
		uint64_t t0 = uptime();
		for (unsigned long off = 0; off < MIB; off += PG)
			r[off] = 1;
		uint64_t t = (uptime() - t0) / (MIB / PG);
		if (traced) {
			close(link);
			traced_c[(*nt)++] = t;
		} else {
			plain_c[(*np)++] = t;
		}
	}
	munmap(base, REGIONS * MIB);
}

static uint64_t ratio_pm[FAULT_ROUNDS * REGIONS / 2];

/*
 * The median cycles per fault without and with prog on vm_fault over FAULT_ROUNDS rounds (half
 * of every round's regions each), and in *permille the median over the pairs of neighbouring
 * regions (one of each, measured one after the other) of traced / plain, in thousandths: the
 * pairs see the host at nearly the same moment, so their ratio drifts less than the two medians.
 * The faults the program saw in *seen.
 */
static void bench_faults(int prog, uint64_t *plain, uint64_t *traced, uint64_t *permille,
			 uint64_t *seen)
{
	int np = 0, nt = 0;

	for (int round = 0; round < FAULT_ROUNDS && !failed; round++)
		fault_round(round, prog, &np, &nt);
	*plain = *traced = *permille = 0;
	*seen = (uint64_t)nt * (MIB / PG);
	if (failed || !np || np != nt)
		return;
	for (int k = 0; k < np; k++) /* plain_c[k] and traced_c[k] are one pair */
		ratio_pm[k] = plain_c[k] ? traced_c[k] * 1000 / plain_c[k] : 0;
	*permille = bench_median(ratio_pm, np);
	*plain = bench_median(plain_c, np);
	*traced = bench_median(traced_c, nt);
}

int main(void)
{
	int map = count_map();
	int fault_prog = counter_prog(map, 4, 2 * MIB), sys_prog = counter_prog(map, 0, -1);

	if (map < 0 || fault_prog < 0 || sys_prog < 0) {
		fail("setup", map < 0 ? map : fault_prog < 0 ? fault_prog : sys_prog);
		return 1;
	}
	uint64_t plain, traced, ratio, seen;
	bench_faults(fault_prog, &plain, &traced, &ratio, &seen);
	uint64_t faults = count(map, 0);
	if (faults != seen || count(map, 1) != 0)
		fail("the program's fault count", (long)faults);
	if (failed)
		return 1;
	long permille = (long)ratio - 1000;
	long mag = permille < 0 ? -permille : permille;
	printf("bench_trace: 4 KiB fault: %lu cycles; with a vm_fault program: %lu cycles "
	       "(the tracepoint: %s%ld.%ld%% of a fault, the median of %d neighbouring pairs)\n",
	       plain, traced, permille < 0 ? "-" : "", mag / 10, mag % 10,
	       FAULT_ROUNDS * REGIONS / 2);

	uint64_t g = bench_getpid_cycles(GETPID_ROUNDS, GETPID_CALLS / GETPID_ROUNDS, NULL);
	int nop = nop_prog(), l0 = attach("sys_enter", nop);
	if (nop < 0 || l0 < 0)
		fail("the empty program", nop < 0 ? nop : l0);
	uint64_t gn = bench_getpid_cycles(GETPID_ROUNDS, GETPID_CALLS / GETPID_ROUNDS, NULL);
	close(l0);
	close(nop);
	int l1 = attach("sys_enter", sys_prog), l2 = attach("sys_exit", sys_prog);
	if (l1 < 0 || l2 < 0)
		fail("attach sys_enter/sys_exit", l1 < 0 ? l1 : l2);
	uint64_t gt = bench_getpid_cycles(GETPID_ROUNDS, GETPID_CALLS / GETPID_ROUNDS, NULL);
	close(l1);
	close(l2);
	printf("bench_trace: getpid round trip: %lu cycles; with an empty program on sys_enter: %lu; "
	       "with counting programs on sys_enter and sys_exit: %lu (%lu.%02lu x)\n",
	       g, gn, gt, gt / g, gt * 100 / g % 100);
	close(fault_prog);
	close(sys_prog);
	close(map);
	return failed;
}
