/*
 * A seeded system-call fuzzer, in the spirit of SerenityOS's fuzz-syscalls: children make a few
 * thousand system calls each with random numbers (in range, out of range, and numbers whose low 32
 * bits are valid) and random arguments biased to edge values (0, -1, 2^63, INT_MAX, kernel text
 * and direct-map addresses, non-canonical and just-below-USER_MAX addresses, unmapped user pages,
 * pointers into the child's own stack, data and text, huge and wrapping lengths). The parent
 * checks that each child ended normally and that the system's free frames (vm_stat, which counts
 * the heap's empty slabs as free) come back to what they were once the child is reaped.
 *
 * Oracles inside the child: every result is >= 0 or a negated errno of include/uapi/errno.h; an
 * unknown number is -ENOSYS (also when its low 32 bits name a real call); SYS_cb_return outside the
 * trampoline is -EINVAL; getpid is stable; while the child holds its own map lock (task_lock_map)
 * the map-changing and inspecting calls fail with EBUSY, and the lock is released afterwards.
 *
 * What the child constrains so that only a kernel bug can kill it:
 *   exit: never made. spawn: the name is never a real program (absent, too long, unterminated,
 *   hostile pointer), argv is hostile at will. task_lock_map: when it takes the child's own lock,
 *   the next calls are the EBUSY probes above, then it is released (a fault in between would kill
 *   the child, as documented). cb_return: made freely (always -EINVAL from here). nanosleep: a
 *   req in user space is made a 1 us one (a random one could outlast the time limit).
 *   arch_prctl(ARCH_SET_FS) of a user address sets the thread pointer the child already has
 *   (errno lives where it points).
 *   munmap, mprotect and mmap(MAP_FIXED) whose range the kernel would accept and which would touch
 *   the program image, the stack and its guard, the trampoline, the scratch buffers or the garbage
 *   page are moved into the arena (or dropped). write to fds 1 and 2 of readable memory writes one
 *   "#" line (so binary junk never reaches the log the harness parses); close never closes 1 or 2
 *   (the child's diagnostics need them). mincore over more than 64 Ki pages writes its vector
 *   to the stack's guard (a vector that long would overrun the scratch buffer). Callback
 *   pointers are one of the child's callbacks or a pointer that can never be executable
 *   (kernel, non-canonical, stack, data) or the trampoline (refused); never the arena or low
 *   user pages, which a random mmap/mprotect may make executable. Map sizes between 8 MiB and
 *   the 64 MiB limit are shrunk (so the fuzzer does not starve itself of frames); the limits' own
 *   edges stay. A callback with less than 16 KiB of stack left returns at once.
 *
 * The one planned death: with probability 1/2 (the seed's first draw, which the parent replays)
 * a child's last call runs bpf_find_vma or bpf_for_each_map_elem with a callback in "garbage":
 * a read+execute page of random bytes with every control-transfer opcode byte replaced (so it
 * cannot loop, call or make a system call), followed by a guard reservation. Such a child may be
 * killed by a fault (any vector: random code raises #UD, #GP, #PF, #DE, ...), or exit 0 if the
 * call failed before running it; a child whose run had no such call must exit 0. (A callback in
 * the trampoline page itself is refused with EFAULT, so it is one of the ordinary pointers.)
 *
 * Seeds: make test runs a fixed list (test_seeds below), so a good kernel passes every time;
 * `make fuzz` runs new random seeds for as long as asked. Every child prints its seed; `make fuzz
 * FUZZ_SEED=N` (or `fuzz_syscalls seed N`) replays one. A child prints the index and the
 * arguments of a call whose result broke an oracle. ASLR places the stack and the mmap'd arena
 * anew on every run; the pointers the generator aims at are taken relative to where they are, so a
 * replay makes the same calls on the same objects (boot with aslr=0 for the very same addresses).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <vm_stat.h>

#include "uapi/bpf.h"
#include "uapi/thread.h"
#include "utest.h"

#define CALLS 1500
#define PAGE 4096ul

#define ARENA_SIZE (256 * PAGE)
#define SCRATCH_SIZE (128 * 1024)   /* pointers land in the first half; writes up to 64 KiB fit */
#define MINCORE_VEC_MAX (64 * 1024) /* the longest mincore vector a scratch pointer takes */
#define STACK_SCRATCH \
	(96 * 1024) /* pointers in the first 16 KiB; the kernel writes <= 64 KiB + key */

/* ------------------------------------------------------------------------------------------- */
/* splitmix64: one stream per child (and one per callback) from a 64-bit seed. */
struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return rnd(r) % n;
}

/* ------------------------------------------------------------------------------------------- */
/* Addresses the generator aims at (the child's; the parent only replays the first draw). */
static struct {
	uint64_t stack_scratch, arena, garbage, text_lo, text_hi, image_lo, image_hi;
	/* the stack's guard and the stack, where ASLR put them */
	uint64_t guard_lo, stack_lo, stack_hi;
	long pid, ppid;
} at;

static char scratch[SCRATCH_SIZE] __attribute__((aligned(4096)));
/* A string without NUL that ends on the last byte of a page, followed by a guard: EFAULT. */
static char *unterminated;
static char long_name[100];
static char long_arg[40 * 1024]; /* more than ARG_MAX on its own */
static const char no_such_program[] = "no/such/program";
static const char console_line[] = "#\n";
static const struct timespec short_sleep = {0, 1000};

/* An edge value: numbers, hostile addresses, and pointers into the child's own memory. */
static uint64_t edge(struct rng *r)
{
	switch (below(r, 26)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return (uint64_t)-1;
	case 3:
		return 1ull << 63;
	case 4:
		return (1ull << 63) - 1;
	case 5:
		return 0xffffffff80100000ull; /* kernel text */
	case 6:
		return 0xffff800000000000ull + below(r, 3) * PAGE; /* direct map */
	case 7:
		return USER_TOP;
	case 8:
		return USER_TOP - 1 - below(r, 64);
	case 9:
		return 0x0000800000000000ull; /* first non-canonical address */
	case 10:
		return 0x1000 + below(r, 16) * PAGE; /* unmapped low pages */
	case 11:
		return (uint64_t)-4096;
	case 12:
		return rnd(r);
	case 13:
		return below(r, 64);
	case 14:
		return (1ull << 32) | below(r, 16);
	case 15:
		return 0x7fffffff;
	case 16:
		return 0x80000000;
	case 17:
		return at.stack_scratch + below(r, 16 * 1024);
	case 18:
		return (uint64_t)scratch + below(r, SCRATCH_SIZE / 2);
	case 19:
		return at.text_lo + below(r, at.text_hi - at.text_lo);
	case 20:
		return at.arena + below(r, ARENA_SIZE);
	case 21:
		return at.arena + ARENA_SIZE - below(r, 64); /* runs off the arena's end */
	case 22:
		return BPF_CB_TRAMPOLINE + below(r, PAGE);
	case 23:
		return (uint64_t)unterminated;
	case 24:
		return at.garbage + below(r, PAGE);
	default:
		return at.guard_lo + below(r, (at.stack_lo - at.guard_lo) / PAGE) * PAGE;
	}
}

static uint64_t small_int(struct rng *r)
{
	switch (below(r, 6)) {
	case 0:
		return (uint64_t)-1;
	case 1:
		return below(r, 4);
	case 2:
		return 3 + below(r, 8); /* map fds */
	case 3:
		return at.pid;
	case 4:
		return at.ppid;
	default:
		return edge(r);
	}
}

static uint64_t length(struct rng *r)
{
	static const uint64_t lens[] = {0,
					1,
					4,
					8,
					16,
					24,
					32,
					40,
					48,
					4095,
					4096,
					4097,
					1 << 20,
					(2 << 20) + 1,
					1ull << 47,
					(uint64_t)-1,
					(uint64_t)-4096,
					1ull << 63};
	return below(r, 3) ? lens[below(r, sizeof(lens) / sizeof(lens[0]))] : edge(r);
}

static uint64_t page_addr(struct rng *r)
{
	if (below(r, 4))
		return at.arena + below(r, ARENA_SIZE / PAGE + 4) * PAGE;
	return edge(r) & (below(r, 2) ? ~(PAGE - 1) : ~0ull);
}

static uint64_t mmap_flags(struct rng *r)
{
	static const uint64_t bits[] = {MAP_SHARED,
					MAP_PRIVATE,
					MAP_FIXED,
					MAP_ANON,
					MAP_GUARD,
					MAP_EXCL,
					MAP_ALIGNED_SUPER,
					MAP_ALIGNED(12),
					MAP_ALIGNED(21),
					MAP_ALIGNED(47),
					MAP_ALIGNED(48),
					MAP_ALIGNED(11),
					0x8};
	if (!below(r, 8))
		return edge(r);
	uint64_t f = below(r, 4) ? MAP_PRIVATE | MAP_ANON : 0;
	for (int n = (int)below(r, 3); n > 0; n--)
		f |= bits[below(r, sizeof(bits) / sizeof(bits[0]))];
	return f;
}

/* ------------------------------------------------------------------------------------------- */
/* Callbacks. */
static bool in_callback;
static struct rng cb_rng;
static long one_call(struct rng *r, long index, bool top);

static bool stack_left_ok(void)
{
	return (uint64_t)__builtin_frame_address(0) - at.stack_lo > 16 * 1024;
}

static long cb_zero(long a, long b, long c, long d)
{
	(void)a, (void)b, (void)c, (void)d;
	return 0;
}
static long cb_one(long a, long b, long c, long d)
{
	(void)a, (void)b, (void)c, (void)d;
	return 1;
}

/* Make one or two random system calls from inside the callback (nested callbacks included). */
static long cb_fuzz(long a, long b, long c, long d)
{
	(void)a, (void)b, (void)c, (void)d;
	if (!stack_left_ok())
		return 0;
	bool was = in_callback;
	in_callback = true;
	for (int n = 1 + (int)below(&cb_rng, 2); n > 0; n--)
		one_call(&cb_rng, -1, false);
	in_callback = was;
	return (long)below(&cb_rng, 2);
}

static uint64_t callback(struct rng *r)
{
	switch (below(r, 9)) {
	case 0:
		return (uint64_t)cb_zero;
	case 1:
		return (uint64_t)cb_one;
	case 2:
	case 3:
		return (uint64_t)cb_fuzz;
	case 4:
		return 0xffffffff80100000ull + below(r, 4096);
	case 5:
		return below(r, 2) ? 0x0000800000000000ull : (uint64_t)-1 - below(r, 8);
	case 6:
		return at.stack_scratch + below(r, 4096);
	case 7:
		return (uint64_t)scratch + below(r, 4096);
	default:
		return BPF_CB_TRAMPOLINE + below(r, 16); /* executable, but refused */
	}
}

/* ------------------------------------------------------------------------------------------- */
/* spawn's arguments: never a program that exists. */
static uint64_t spawn_name(struct rng *r)
{
	switch (below(r, 5)) {
	case 0:
		return (uint64_t)no_such_program;
	case 1:
		return (uint64_t)long_name;
	case 2:
		return (uint64_t)unterminated;
	case 3:
		return 0xffffffff80100000ull;
	default:
		return below(r, 2) ? 0 : USER_TOP - 1;
	}
}

/* An argv array in the scratch: hostile pointers, too many, too long, or no NULL before a fault. */
static uint64_t spawn_argv(struct rng *r)
{
	if (below(r, 3) == 0)
		return edge(r);
	uint64_t *v = (uint64_t *)(scratch + SCRATCH_SIZE / 2); /* beyond where pointers land */
	size_t n = below(r, 2) ? below(r, 8) : 250 + below(r, 20);
	for (size_t i = 0; i < n; i++) {
		switch (below(r, 4)) {
		case 0:
			v[i] = (uint64_t)long_arg;
			break;
		case 1:
			v[i] = (uint64_t)no_such_program;
			break;
		case 2:
			v[i] = edge(r);
			break;
		default:
			v[i] = (uint64_t)long_name;
			break;
		}
	}
	v[n] = 0;
	return (uint64_t)v;
}

/* ------------------------------------------------------------------------------------------- */
struct call {
	uint64_t nr, a[6];
};

/*
 * Argument kinds per call (the fuzz column of include/uapi/syscall_list.h): i small int, z mostly
 * 0, d mostly a map fd, q mostly pid 0, p any edge value, P mostly a valid scratch pointer,
 * l length, g page address, f mmap flags, c callback, n spawn name, v spawn argv, B a bpf(2)
 * attribute block (bpf_attr_block), x anything.
 */
static const char *const kinds[SYS_COUNT] = {
#define SYSCALL(nr, name, wrap, ret, uname, fuzz, ...) [nr] = fuzz,
#include "uapi/syscall_list.h"
#undef SYSCALL
};

/*
 * A bpf(2) attribute block: words that are mostly small numbers (fds, types, sizes, flags) and
 * sometimes edge values, so every pointer field is one of edge()'s, which the kernel may read and
 * write (scratch) or refuses (kernel, unmapped, read-only): never the child's own state. A test
 * run's repeat (word 4's low half for BPF_PROG_TEST_RUN) stays small, so that a program that
 * happens to load cannot keep the child busy past its time limit.
 */
#define BPF_ATTR_WORDS 24
static uint64_t bpf_attr_block[BPF_ATTR_WORDS];

static uint64_t bpf_attr(struct rng *r, uint64_t cmd)
{
	if (!below(r, 8))
		return edge(r);
	for (int i = 0; i < BPF_ATTR_WORDS; i++) {
		switch (below(r, 4)) {
		case 0:
			bpf_attr_block[i] = 0;
			break;
		case 1:
			bpf_attr_block[i] = edge(r);
			break;
		case 2:
			bpf_attr_block[i] = small_int(r) | small_int(r) << 32;
			break;
		default:
			bpf_attr_block[i] = below(r, 64) | below(r, 64) << 32;
			break;
		}
	}
	if ((uint32_t)cmd == BPF_PROG_TEST_RUN)
		bpf_attr_block[4] = (bpf_attr_block[4] & ~0xffffffffull) | below(r, 8);
	return (uint64_t)bpf_attr_block;
}

static uint64_t call_number(struct rng *r)
{
	if (below(r, 8))
		return below(r, SYS_COUNT);
	switch (below(r, 5)) {
	case 0:
		return SYS_COUNT + below(r, 4);
	case 1:
		return (1ull << 32) | below(r, SYS_COUNT); /* low half valid */
	case 2:
		return (uint64_t)-1 - below(r, 2);
	case 3:
		return 1ull << 63;
	default:
		return rnd(r);
	}
}

static void gen(struct rng *r, struct call *c)
{
	do
		c->nr = call_number(r);
	while (c->nr == SYS_exit || c->nr == SYS_thread_exit);
	const char *k = c->nr < SYS_COUNT && kinds[c->nr] ? kinds[c->nr] : "";
	for (int i = 0; i < 6; i++) {
		char kind = k[0] ? *k++ : 'x';
		switch (kind) {
		case 'i':
			c->a[i] = small_int(r);
			break;
		case 'z':
			c->a[i] = below(r, 4) ? 0 : small_int(r);
			break;
		case 'd':
			c->a[i] = below(r, 4) ? 3 + below(r, 6) : small_int(r);
			break;
		case 'q':
			c->a[i] = below(r, 2) ? 0 : small_int(r);
			break;
		case 'P':
			c->a[i] = below(r, 4)
					  ? (below(r, 2) ? at.stack_scratch : (uint64_t)scratch) +
						    below(r, 4096)
					  : edge(r);
			break;
		case 'p':
			c->a[i] = edge(r);
			break;
		case 'l':
			c->a[i] = length(r);
			break;
		case 'g':
			c->a[i] = page_addr(r);
			break;
		case 'f':
			c->a[i] = mmap_flags(r);
			break;
		case 'c':
			c->a[i] = callback(r);
			break;
		case 'n':
			c->a[i] = spawn_name(r);
			break;
		case 'v':
			c->a[i] = spawn_argv(r);
			break;
		case 'B':
			c->a[i] = bpf_attr(r, c->a[0]);
			break;
		default:
			c->a[i] = below(r, 2) ? edge(r) : small_int(r);
			break;
		}
	}
	if (c->nr == SYS_bpf_map_create && !below(r, 2)) {
		/* Mostly real types and sizes, so maps exist to be used. */
		c->a[0] = 1 + below(r, 2);
		c->a[1] = below(r, 2) ? 4 : c->a[1];
		c->a[2] = below(r, 2) ? 8ull << below(r, 6) : c->a[2];
		c->a[3] = below(r, 2) ? 1 + below(r, 64) : c->a[3];
	}
}

/* ------------------------------------------------------------------------------------------- */
/* Constraints that keep the child alive (see the top comment). */
static bool overlaps(uint64_t a, uint64_t size, uint64_t lo, uint64_t hi)
{
	return a < hi && lo < a + size;
}

static bool touches_own(uint64_t a, uint64_t size)
{
	return overlaps(a, size, at.image_lo, at.image_hi) ||
	       overlaps(a, size, at.guard_lo, at.stack_hi) ||
	       overlaps(a, size, BPF_CB_TRAMPOLINE, BPF_CB_TRAMPOLINE + PAGE) ||
	       overlaps(a, size, at.garbage, at.garbage + 2 * PAGE);
}

/* Whether the kernel would act on [addr, addr + len) (vm_syscalls.c's checks) and hit our memory. */
static bool harmful_range(uint64_t addr, uint64_t len, bool len0_ok)
{
	uint64_t size = (len + PAGE - 1) & ~(PAGE - 1);

	if ((addr & (PAGE - 1)) || size < len || (!len0_ok && len == 0))
		return false;
	if (addr < PAGE || addr > USER_TOP || size > USER_TOP - addr)
		return false;
	return touches_own(addr, size);
}

static void constrain(struct call *c)
{
	/* madvise acts on the pages an unaligned address lies in: judge those. */
	if (c->nr == SYS_madvise)
		c->a[0] &= ~(PAGE - 1);
	bool range_call = c->nr == SYS_munmap || c->nr == SYS_mprotect || c->nr == SYS_madvise ||
			  (c->nr == SYS_mmap && (c->a[3] & MAP_FIXED));
	if (range_call && harmful_range(c->a[0], c->a[1], c->nr == SYS_mprotect)) {
		c->a[0] = at.arena + (c->a[0] / PAGE % (ARENA_SIZE / PAGE)) * PAGE;
		c->a[1] %= ARENA_SIZE;
		if (harmful_range(c->a[0], c->a[1], true))
			c->nr = SYS_getpid;
	}
	if (c->nr == SYS_write && ((int)c->a[0] == 1 || (int)c->a[0] == 2) && c->a[1] >= PAGE &&
	    c->a[1] < USER_TOP) {
		c->a[1] = (uint64_t)console_line;
		c->a[2] = c->a[2] & 1 ? sizeof(console_line) - 1 : 0;
	}
	if (c->nr == SYS_close && ((int)c->a[0] == 1 || (int)c->a[0] == 2))
		c->a[0] += 2;
	if (c->nr == SYS_nanosleep && c->a[0] >= PAGE && c->a[0] < USER_TOP)
		c->a[0] = (uint64_t)&short_sleep;
	/* A thread running random code would die of it and take the child along: entry stays bad. */
	if (c->nr == SYS_thread_create && c->a[0] >= PAGE && c->a[0] < USER_TOP)
		c->a[0] = USER_TOP + (c->a[0] & PAGE);
	/* The child's errno lives where its thread pointer points: moving it is ruled out here. */
	if (c->nr == SYS_arch_prctl && (int)c->a[0] == ARCH_SET_FS && c->a[1] < USER_TOP)
		c->a[1] = (uint64_t)pthread_self();
	/* A wait nobody ends would outlast the time limit: at most a tick or two. */
	if (c->nr == SYS_futex && (int)c->a[1] == FUTEX_WAIT)
		c->a[3] = 1 + (c->a[3] & 1);
	/*
	 * mincore writes a byte per page of its range: a range of more than 64 Ki pages (a huge
	 * PROT_NONE mapping makes one) would run its vector past the scratch buffer into the child's
	 * own data. Such a vector goes to the stack's guard: the same checks and walk, then EFAULT.
	 */
	if (c->nr == SYS_mincore && c->a[1] > MINCORE_VEC_MAX * PAGE && c->a[2] < USER_TOP)
		c->a[2] = at.guard_lo;
	if (c->nr == SYS_bpf_map_create) {
		uint64_t vs = (uint32_t)c->a[2], n = (uint32_t)c->a[3];
		if (vs <= 65536 && n <= (1u << 20) && vs * n > (8u << 20) && vs * n <= (64u << 20))
			c->a[3] = 16;
	}
}

/* ------------------------------------------------------------------------------------------- */
static bool known_errno(long r)
{
	static const long ok[] = {EPERM,     ENOENT, ESRCH,        EINTR,   EIO,      E2BIG,
				  ENOEXEC,   EBADF,  ECHILD,       EAGAIN,  ENOMEM,   EACCES,
				  EFAULT,    EBUSY,  EEXIST,       ENODEV,  EINVAL,   EMFILE,
				  ENOSPC,    ERANGE, ENAMETOOLONG, ENOSYS,  ELOOP,    EPROTO,
				  EOVERFLOW, EBADFD, ENOTSUPP,     EDEADLK, ETIMEDOUT};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (r == -ok[i])
			return true;
	return false;
}

static long n_calls, n_ok;

static void report(long index, const struct call *c, long r, const char *why)
{
	printf("# fuzz_syscalls: call %ld%s: nr %#lx (%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) -> %ld: %s\n",
	       index, in_callback ? " (in a callback)" : "", c->nr, c->a[0], c->a[1], c->a[2],
	       c->a[3], c->a[4], c->a[5], r, why);
	utest_failures++;
}

static long do_call(const struct call *c)
{
	return __syscall6((long)c->nr, (long)c->a[0], (long)c->a[1], (long)c->a[2], (long)c->a[3],
			  (long)c->a[4], (long)c->a[5]);
}

/* While the child holds its own map lock: what must fail with EBUSY, then the release. */
static void own_lock_probes(long index, const struct call *c)
{
	struct call probe[] = {
		{SYS_mmap, {0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANON, (uint64_t)-1, 0}},
		{SYS_munmap, {at.arena, PAGE}},
		{SYS_mprotect, {at.arena, PAGE, PROT_READ}},
		{SYS_vm_stat, {0, (uint64_t)scratch}},
		{SYS_vm_map_list, {0, (uint64_t)scratch, 4, 0}},
		{SYS_task_lock_map, {0, 1}},
	};
	for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		long r = do_call(&probe[i]);
		if (r != -EBUSY)
			report(index, &probe[i], r, "not EBUSY while holding the own map lock");
	}
	long r = sys2(SYS_task_lock_map, 0, 0);
	if (r != 0)
		report(index, c, r, "could not release the own map lock");
}

/* Generate, constrain and make one call; check what can be checked of its result. */
static long one_call(struct rng *r, long index, bool top)
{
	struct call c;

	gen(r, &c);
	uint64_t seed = rnd(r); /* drawn for every call, so the stream does not depend on results */
	constrain(&c);
	if (top)
		cb_rng.s = seed;
	long res = do_call(&c);
	n_calls++;
	n_ok += res >= 0;

	if (c.nr >= SYS_COUNT || c.nr == 0) {
		if (res != -ENOSYS)
			report(index, &c, res, "unknown number is not ENOSYS");
	} else if (res < 0 && !known_errno(res)) {
		report(index, &c, res, "not a documented errno");
	} else if (c.nr == SYS_getpid && res != at.pid) {
		report(index, &c, res, "getpid changed");
	} else if (c.nr == SYS_cb_return && res != -EINVAL) {
		report(index, &c, res, "cb_return outside the trampoline");
	} else if (c.nr == SYS_spawn && res > 0) {
		report(index, &c, res, "spawn of a program that does not exist");
		sys3(SYS_waitpid, res, 0, 0);
	} else if (c.nr == SYS_task_lock_map && res == 0 && (int)c.a[1] == 1) {
		bool own = (int)c.a[0] == 0 || (int)c.a[0] == at.pid;
		if (!own)
			report(index, &c, res, "locked a map that is neither ours nor a child's");
		else if (top)
			own_lock_probes(index, &c);
		else if (sys2(SYS_task_lock_map, 0,
			      0)) /* no frame here may be new: release at once */
			report(index, &c, res, "could not release the own map lock");
	}
	return res;
}

/* ------------------------------------------------------------------------------------------- */
/* The garbage page: random bytes, every control-transfer opcode byte replaced by a nop. */
static bool control_transfer(uint8_t b)
{
	return b == 0x0f || (b >= 0x70 && b <= 0x7f) || b == 0xc2 || b == 0xc3 || b == 0xca ||
	       b == 0xcb || b == 0xcd || b == 0xcf || (b >= 0xe0 && b <= 0xe3) || b == 0xe8 ||
	       b == 0xe9 || b == 0xea || b == 0xeb || b == 0xff || b == 0x9a;
}

static int setup(struct rng *r)
{
	long a = __syscall6(SYS_mmap, 0, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON,
			    -1, 0);
	long g = __syscall6(SYS_mmap, 0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON,
			    -1, 0);
	if (a < 0 || g < 0)
		return 1;
	at.arena = (uint64_t)a;
	at.garbage = (uint64_t)g;
	uint8_t *p = (uint8_t *)g;
	for (size_t i = 0; i < PAGE; i++) {
		uint8_t b = (uint8_t)rnd(r);
		p[i] = control_transfer(b) ? 0x90 : b;
	}
	if (sys3(SYS_mprotect, g, PAGE, PROT_READ | PROT_EXEC) ||
	    __syscall6(SYS_mmap, g + (long)PAGE, PAGE, PROT_NONE, MAP_GUARD | MAP_FIXED, -1, 0) !=
		    g + (long)PAGE)
		return 1;
	/* The unterminated string: the last 16 bytes of a page below a guard. */
	unterminated = (char *)(at.arena + 16 * PAGE - 16);
	memset(unterminated, 'u', 16);
	if (sys2(SYS_munmap, (long)at.arena + 16 * PAGE, PAGE))
		return 1;
	memset(long_name, 'n', sizeof(long_name) - 1);
	memset(long_arg, 'a', sizeof(long_arg) - 1);
	/* The program image as the kernel lists it (text, read+execute, and data), the stack and its guard. */
	struct vm_map_ent e[64];
	long n = __syscall6(SYS_vm_map_list, 0, (long)e, 64, 0, 0, 0);
	at.image_lo = ~0ull;
	for (long i = 0; i < n; i++) {
		if ((e[i].flags & VM_ENT_STACK) && i > 0 && e[i - 1].flags == VM_ENT_GUARD &&
		    e[i - 1].end == e[i].start) {
			at.guard_lo = e[i - 1].start;
			at.stack_lo = e[i].start;
			at.stack_hi = e[i].end;
		}
		if (!(e[i].flags & VM_ENT_IMAGE))
			continue;
		at.image_lo = e[i].start < at.image_lo ? e[i].start : at.image_lo;
		at.image_hi = e[i].end > at.image_hi ? e[i].end : at.image_hi;
		if (e[i].prot & PROT_EXEC) {
			at.text_lo = e[i].start;
			at.text_hi = e[i].end;
		}
	}
	at.pid = sys0(SYS_getpid);
	return at.text_hi && at.image_lo < (uint64_t)scratch && (uint64_t)scratch < at.image_hi &&
			       at.stack_hi
		       ? 0
		       : 1;
}

/* The planned last call: run garbage as a callback (see the top comment). */
static void garbage_call(struct rng *r)
{
	uint64_t target = at.garbage + below(r, PAGE - 16);
	long fd = __syscall6(SYS_bpf_map_create, BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0, 0);

	printf("# fuzz_syscalls: last call runs garbage at %#lx\n", target);
	if (below(r, 2) && fd >= 0)
		__syscall6(SYS_bpf_for_each_map_elem, fd, (long)target, (long)rnd(r), 0, 0, 0);
	else
		__syscall6(SYS_bpf_find_vma, 0, (long)scratch, (long)target, (long)rnd(r), 0, 0);
}

/* Pre-fault the stack the calls and callbacks will use, so no later fault happens under our lock. */
static void __attribute__((noinline)) touch_stack(void)
{
	volatile char pad[48 * 1024];
	for (size_t i = 0; i < sizeof(pad); i += PAGE)
		pad[i] = 0;
}

static bool plans_garbage(uint64_t seed)
{
	struct rng r = {seed};
	return rnd(&r) & 1;
}

static int child(uint64_t seed, long ppid)
{
	struct rng r = {seed};
	bool garbage = rnd(&r) & 1;
	volatile char stack_scratch[STACK_SCRATCH];

	stack_scratch[0] = 0;
	at.stack_scratch = (uint64_t)stack_scratch;
	at.ppid = ppid;
	if (setup(&r)) {
		printf("# fuzz_syscalls: setup failed\n");
		return 2;
	}
	touch_stack();
	for (long i = 0; i < CALLS; i++)
		one_call(&r, i, true);
	printf("# fuzz_syscalls: seed %#lx: %ld calls (callbacks' included), %ld succeeded\n", seed,
	       n_calls, n_ok);
	if (garbage)
		garbage_call(&r);
	return utest_result("fuzz_syscalls child");
}

static uint64_t free_frames(void)
{
	struct vm_stat st;
	return sys2(SYS_vm_stat, 0, (long)&st) ? 0 : st.free_frames;
}

/*
 * make test's seeds: fixed, so that its verdict is the same on every run; `make fuzz` draws new
 * ones (kernel/user_tests.c) and runs them through `fuzz_syscalls seed N`.
 */
static const uint64_t test_seeds[] = {
	0x956bdcec585c5861, 0xf6cc9b6b20db7a39, 0x027a117115c0bf5d, 0x3b27e5e06d3f8579,
	0x5a0c1e8e2d9b7f13, 0x8d4f0b6a7c3e2195, 0xc2e9a4d87b1f3064, 0x1f7d3c5b9e8a6420,
};

/* Run one child with seed cs and check how it ended and that every frame came back. */
static void run_child(const char *self, uint64_t cs, uint64_t base)
{
	char pidbuf[24], seedbuf[24];
	int st = -1;

	snprintf(pidbuf, sizeof(pidbuf), "%ld", sys0(SYS_getpid));
	snprintf(seedbuf, sizeof(seedbuf), "%#lx", cs);
	char *cargv[] = {(char *)self, "child", seedbuf, pidbuf, NULL};
	long pid = sys2(SYS_spawn, (long)self, (long)cargv);
	CHECK(pid > 0);
	if (pid <= 0)
		return;
	long w = sys3(SYS_waitpid, pid, (long)&st, 0);
	uint64_t now = free_frames();
	CHECK_EQ(w, pid);
	bool ok = (WIFEXITED(st) && WEXITSTATUS(st) == 0) || (plans_garbage(cs) && WIFFAULTED(st));
	if (!ok) {
		printf("# fuzz_syscalls: seed %s ended with status %#x%s\n", seedbuf, st,
		       plans_garbage(cs) ? " (garbage planned)" : "");
		utest_failures++;
	}
	if (now != base) {
		printf("# fuzz_syscalls: seed %s: %lu free frames before, %lu after\n", seedbuf,
		       base, now);
		utest_failures++;
	}
}

/*
 * fuzz_syscalls            the fixed seeds (make test)
 * fuzz_syscalls seed N     one child with seed N (make fuzz, and replaying a failure)
 */
int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "child"))
		return child(strtoul(argv[2], NULL, 0), strtol(argv[3], NULL, 0));

	uint64_t base = free_frames();
	if (argc == 3 && !strcmp(argv[1], "seed")) {
		run_child(argv[0], strtoul(argv[2], NULL, 0), base);
	} else {
		for (size_t i = 0; i < sizeof(test_seeds) / sizeof(test_seeds[0]); i++)
			run_child(argv[0], test_seeds[i], base);
	}
	return utest_result("fuzz_syscalls");
}
