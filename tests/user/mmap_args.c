/*
 * mmap's argument checks (include/uapi/mman.h lists them): every invalid combination gets its
 * exact errno, in FreeBSD's kern_mmap order (where two checks fail, the cases marked "order" tell
 * which comes first by their different errnos), and a failed call changes nothing: the map
 * listing is identical before and after the whole table of failing calls, and not one physical
 * frame was taken. Then the accepted
 * forms: MAP_ANON with or without MAP_PRIVATE, lengths rounded up to pages, each protection, a
 * hint in the kernel half (ignored), zero-filled memory.
 */
#include "vm_util.h"

struct mcase {
	uint64_t addr, len;
	long prot, flags, fd, off;
	long want;
	const char *what;
};

#define A (MAP_PRIVATE | MAP_ANON)
#define RW (PROT_READ | PROT_WRITE)
/* addr: the stack's top page, looked up when the table runs (ASLR moves the stack). */
#define AT_STACK_TOP_PAGE 0x5eed000ul

static const struct mcase failing[] = {
	{0, PG, 8, A, -1, 0, -EINVAL, "prot bit 8"},
	{0, PG, -1, A, -1, 0, -EINVAL, "prot -1"},
	{0, PG, RW, A | 0x20, -1, 0, -EINVAL, "flag 0x20"},
	{0, PG, RW, A | 0x4, -1, 0, -EINVAL, "flag 0x4"},
	{0, PG, RW, A | 0x40000, -1, 0, -EINVAL, "flag 0x40000"},
	{0, PG, RW, A | (long)0x80000000u, -1, 0, -EINVAL, "flag bit 31"},
	{0, PG, RW, A | MAP_SHARED, -1, 0, -EINVAL, "shared and private"},
	{0, PG, RW, MAP_SHARED | MAP_ANON, -1, 0, -EINVAL, "shared anonymous"},
	{0, PG, RW, A | MAP_EXCL, -1, 0, -EINVAL, "excl without fixed"},
	{0, PG, RW, A | MAP_ALIGNED(2), -1, 0, -EINVAL, "aligned(2)"},
	{0, PG, RW, A | MAP_ALIGNED(11), -1, 0, -EINVAL, "aligned(11)"},
	{0, PG, RW, A | MAP_ALIGNED(48), -1, 0, -EINVAL, "aligned(48)"},
	{0, PG, RW, A | MAP_ALIGNED(255), -1, 0, -EINVAL, "aligned(255)"},
	{0, 0, RW, A, -1, 0, -EINVAL, "length 0"},
	{0, ~0ul, RW, A, -1, 0, -ENOMEM, "length 2^64-1 (rounding wraps)"},
	{0, -PG + 1, RW, A, -1, 0, -ENOMEM, "length 2^64-4095 (rounding wraps)"},
	{0, -PG, RW, A, -1, 0, -ENOMEM, "length 2^64-4096"},
	{0, 1ul << 63, RW, A, -1, 0, -ENOMEM, "length 2^63"},
	{0, 1ul << 47, RW, A, -1, 0, -ENOMEM, "length 2^47"},
	{0, PG, RW, A | MAP_ALIGNED(47), -1, 0, -ENOMEM, "aligned(47): no such address"},
	{0, PG, PROT_READ, MAP_GUARD, -1, 0, -EINVAL, "guard with prot"},
	{0, PG, 0, MAP_GUARD, 3, 0, -EINVAL, "guard with fd"},
	{0, PG, 0, MAP_GUARD, -1, PG, -EINVAL, "guard with offset"},
	{0, PG, 0, MAP_GUARD | MAP_PRIVATE, -1, 0, -EINVAL, "guard private"},
	{0, PG, 0, MAP_GUARD | MAP_ANON, -1, 0, -EINVAL, "guard anon"},
	{0, PG, 0, MAP_GUARD | MAP_SHARED, -1, 0, -EINVAL, "guard shared"},
	{0, 0, 0, MAP_GUARD, -1, 0, -EINVAL, "guard length 0"},
	{0, PG, RW, A, 1, 0, -EINVAL, "anon with fd 1"},
	{0, PG, RW, A, -2, 0, -EINVAL, "anon with fd -2"},
	{0, PG, RW, A, -1, PG, -EINVAL, "anon with offset"},
	{0, PG, RW, A, -1, -1, -EINVAL, "anon with offset -1"},
	{0, PG, RW, MAP_PRIVATE, -1, 0, -EBADF, "file, fd -1"},
	{0, PG, RW, MAP_PRIVATE, 77, 0, -EBADF, "file, fd not open"},
	{0, PG, RW, MAP_PRIVATE, 1, 0, -ENODEV, "file, the console"},
	{0, PG, RW, MAP_SHARED, 2, 0, -ENODEV, "shared file, the console"},
	{0, PG, RW, 0, 1, 0, -EINVAL, "file, neither shared nor private"},
	{0x10000001, PG, RW, A | MAP_FIXED, -1, 0, -EINVAL, "fixed, misaligned"},
	{0x10000800, PG, RW, A | MAP_FIXED, -1, 0, -EINVAL, "fixed, misaligned by half a page"},
	{0, PG, RW, A | MAP_FIXED, -1, 0, -EINVAL, "fixed at 0"},
	{USER_TOP, PG, RW, A | MAP_FIXED, -1, 0, -EINVAL, "fixed at USER_MAX"},
	{USER_TOP - PG, 2 * PG, RW, A | MAP_FIXED, -1, 0, -EINVAL, "fixed across USER_MAX"},
	{AT_STACK_TOP_PAGE, PG, RW, A | MAP_FIXED | MAP_EXCL, -1, 0, -EEXIST,
	 "fixed excl on the stack"},
	{KERNEL_TEXT, PG, RW, A | MAP_FIXED, -1, 0, -EINVAL, "fixed in the kernel"},
	{DIRECT_MAP, 1ul << 30, RW, A | MAP_FIXED, -1, 0, -EINVAL, "fixed on the direct map"},
	{0x7fff00000000ul, -(1ul << 40), RW, A | MAP_FIXED, -1, 0, -EINVAL, "fixed, end wraps"},
	{0x10000000, 1ul << 47, RW, A | MAP_FIXED, -1, 0, -EINVAL, "fixed, 2^47 long"},
	{0x10000000, PG, 8, A | MAP_FIXED, -1, 0, -EINVAL, "fixed, bad prot"},
	{0x10000000, PG, 0, MAP_GUARD | MAP_FIXED | MAP_PRIVATE, -1, 0, -EINVAL,
	 "fixed guard private"},
	{0, ~0ul, 8, A, -1, 0, -EINVAL, "order: prot before the length"},
	{0, ~0ul, RW, A, 1, 0, -EINVAL, "order: anon with an fd before the length"},
	{0, ~0ul, RW, A | 0x20, -1, 0, -EINVAL, "order: unknown flag before the length"},
	{0, ~0ul, RW, A | MAP_EXCL, -1, 0, -EINVAL, "order: excl without fixed before the length"},
	{0, ~0ul, RW, A | MAP_SHARED, -1, 0, -EINVAL,
	 "order: shared and private before the length"},
	{0, ~0ul, 0, MAP_GUARD | MAP_PRIVATE, -1, 0, -EINVAL,
	 "order: guard flags before the length"},
	{0, ~0ul, RW, MAP_SHARED | MAP_ANON, -1, 0, -EINVAL,
	 "order: shared anonymous before the length"},
	{0, ~0ul, RW, A | MAP_ALIGNED(2), -1, 0, -ENOMEM, "order: the length before the alignment"},
	{0x10000001, ~0ul, RW, A | MAP_FIXED, -1, 0, -ENOMEM,
	 "order: the length before the fixed address"},
	{0, ~0ul, RW, MAP_PRIVATE, -1, 0, -ENOMEM, "order: the length before the fd"},
	{0, 0, RW, MAP_PRIVATE, -1, 0, -EINVAL, "order: length 0 before the fd"},
	{0, PG, RW, MAP_PRIVATE | 0x20, 1, 0, -EINVAL, "order: unknown flag before the file"},
	{0, PG, RW, MAP_PRIVATE | MAP_ALIGNED(2), -1, 0, -EINVAL,
	 "order: the alignment before the fd"},
	{0x10000001, PG, RW, MAP_PRIVATE | MAP_FIXED, -1, 0, -EINVAL,
	 "order: fixed misaligned, fd -1"},
	{0x10000800, PG, RW, MAP_SHARED | MAP_FIXED, 1, 0, -EINVAL,
	 "order: fixed misaligned, the console"},
	{USER_TOP, PG, RW, MAP_PRIVATE | MAP_FIXED, 77, 0, -EINVAL,
	 "order: fixed at USER_MAX, fd not open"},
	{0, PG, RW, 0, -1, 0, -EBADF, "order: the fd before neither shared nor private"},
	{0, PG, RW, MAP_SHARED, 1, PG + 1, -ENODEV, "order: no mmap method before the offset"},
	{0, PG, RW, MAP_SHARED, 1, -PG, -ENODEV, "order: no mmap method before a negative offset"},
};

#define NFAIL (sizeof(failing) / sizeof(failing[0]))

static struct vm_listing before, after;

static void test_failures_change_nothing(void)
{
	long got[NFAIL];
	struct vm_stat s0, s1;
	uint64_t stack_start = 0, stack_end = 0;

	/* Every page the checks write is touched first: faults would change the counters. */
	memset(got, 0, sizeof(got));
	memset(&s1, 0, sizeof(s1));
	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	CHECK(vm_stack_range(&stack_start, &stack_end));
	CHECK_EQ(vm_list_all(0, &before), 0);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s0), 0);
	for (size_t i = 0; i < NFAIL; i++) {
		const struct mcase *c = &failing[i];
		uint64_t addr = c->addr == AT_STACK_TOP_PAGE ? stack_end - PG : c->addr;
		got[i] = raw_mmap(addr, c->len, c->prot, c->flags, c->fd, c->off);
	}
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s1), 0);
	CHECK_EQ(vm_list_all(0, &after), 0);

	for (size_t i = 0; i < NFAIL; i++) {
		if (got[i] != failing[i].want)
			printf("# mmap %s: got %ld, want %ld\n", failing[i].what, got[i],
			       failing[i].want);
		CHECK_EQ(got[i], failing[i].want);
	}
	CHECK_EQ(s1.free_frames, s0.free_frames);
	CHECK_EQ(s1.map_entries, s0.map_entries);
	CHECK_EQ(s1.faults, s0.faults);
	CHECK_EQ(after.n, before.n);
	CHECK(!memcmp(&after, &before, sizeof(before)));
}

/* Map with these flags and length; the listing shows it (maybe merged with a like neighbour). */
static void check_accepted(uint64_t len, long prot, long flags, uint64_t size)
{
	static struct vm_listing l;
	long a = raw_mmap(0, len, prot, flags, -1, 0);

	CHECK(a > 0 && a % PG == 0);
	if (a <= 0)
		return;
	CHECK_EQ(vm_list_all(0, &l), 0);
	const struct vm_map_ent *e = vm_find(&l, (uint64_t)a);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ(e->prot, prot);
		CHECK_EQ(e->max_prot, PROT_READ | PROT_WRITE | PROT_EXEC);
		CHECK_EQ(e->flags, VM_ENT_ANON);
		CHECK(e->start <= (uint64_t)a && e->end >= (uint64_t)a + size);
	}
	CHECK_EQ(raw_munmap((uint64_t)a, size), 0);
}

/*
 * The exact extent of a mapping of len bytes: made with MAP_FIXED at the start of a guard
 * reservation, so that no like neighbour can merge with it.
 */
static void check_rounding(uint64_t len, uint64_t size)
{
	static struct vm_listing l;
	long g = raw_mmap(0, 16 * PG, PROT_NONE, MAP_GUARD, -1, 0);

	CHECK(g > 0);
	if (g <= 0)
		return;
	CHECK_EQ(raw_mmap((uint64_t)g, len, RW, A | MAP_FIXED, -1, 0), g);
	CHECK_EQ(vm_list_all(0, &l), 0);
	const struct vm_map_ent *e = vm_find(&l, (uint64_t)g);
	const struct vm_map_ent *n = vm_find(&l, (uint64_t)g + size);
	CHECK(e && e->start == (uint64_t)g && e->end == (uint64_t)g + size &&
	      e->flags == VM_ENT_ANON);
	CHECK(n && n->start == (uint64_t)g + size && n->end == (uint64_t)g + 16 * PG &&
	      n->flags == VM_ENT_GUARD);
	CHECK_EQ(raw_munmap((uint64_t)g, 16 * PG), 0);
}

static void test_accepted(void)
{
	check_rounding(1, PG);
	check_rounding(PG - 1, PG);
	check_rounding(PG, PG);
	check_rounding(PG + 1, 2 * PG);
	check_rounding(7 * PG + 1, 8 * PG);
	check_accepted(1, RW, A, PG);
	check_accepted(PG, RW, MAP_ANON, PG);
	check_accepted(PG, PROT_NONE, A, PG);
	check_accepted(PG, PROT_READ, A, PG);
	check_accepted(PG, PROT_WRITE, A, PG);
	check_accepted(PG, PROT_EXEC, A, PG);
	check_accepted(PG, PROT_READ | PROT_EXEC, A, PG);
	check_accepted(PG, PROT_READ | PROT_WRITE | PROT_EXEC, A, PG);
	check_accepted(PG, RW, A | MAP_ALIGNED(12), PG);
	check_accepted(3 * PG, RW, A | MAP_ALIGNED_SUPER, 3 * PG);

	/* A hint nobody can honour is only a hint. */
	long a = anon(KERNEL_TEXT, PG, 0);
	CHECK(a >= (long)USER_MIN_ADDR && a < USER_TOP);
	long b = anon(~0ul - PG + 1, PG, 0);
	CHECK(b >= (long)USER_MIN_ADDR && b < USER_TOP);

	/* Zero-filled, and exactly the rounded length is there. */
	long c = anon(0, 3 * PG - 100, 0);
	CHECK(c > 0);
	if (c > 0) {
		volatile uint64_t *p = (volatile uint64_t *)c;
		int nonzero = 0;
		for (size_t i = 0; i < 3 * PG / 8; i++)
			nonzero += p[i] != 0;
		CHECK_EQ(nonzero, 0);
		p[3 * PG / 8 - 1] = 42;
		CHECK_EQ(p[3 * PG / 8 - 1], 42);
	}
	CHECK_EQ(raw_munmap((uint64_t)a, PG), 0);
	CHECK_EQ(raw_munmap((uint64_t)b, PG), 0);
	CHECK_EQ(raw_munmap((uint64_t)c, 3 * PG), 0);
	CHECK_EQ(vm_check_map(), 0);
}

int main(void)
{
	test_failures_change_nothing();
	test_accepted();
	return utest_result("mmap_args");
}
