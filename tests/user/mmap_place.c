/*
 * Where mmap puts things: a free hint is honoured; a taken one gives the first fit above it, and
 * none above gives the first fit from the bottom; no hint is the hint "this task's mmap base"
 * (random per spawn, ASLR: found as the address of main's first mmap, before anything else is
 * mapped); each result is compared with the fit computed from the map listing taken just before.
 * MAP_ALIGNED(n) and MAP_ALIGNED_SUPER give the lowest suitably aligned fit. First touch of 64 MiB
 * (one write per 4 KiB): MAP_ALIGNED_SUPER memory takes 32 faults, all 2 MiB pages, seen in
 * vm_stat and in the listing; the same memory 4 KiB off 2 MiB alignment takes 31 superpages and
 * 512 small pages. ENOMEM when nothing fits.
 */
#include "vm_util.h"

static struct vm_listing l;
static uint64_t mmap_base;

/* The lowest address >= hint, aligned to align, with len free bytes (from the listing l); 0: none. */
static uint64_t expected_fit(uint64_t hint, uint64_t len, uint64_t align)
{
	uint64_t gap_start = USER_MIN_ADDR;

	for (size_t i = 0; i <= l.n; i++) {
		uint64_t gap_end = i < l.n ? l.e[i].start : USER_TOP;
		uint64_t a = gap_start > hint ? gap_start : hint;
		a = (a + align - 1) & ~(align - 1);
		if (a >= gap_start && a < gap_end && gap_end - a >= len)
			return a;
		if (i < l.n)
			gap_start = l.e[i].end;
	}
	return 0;
}

/*
 * mmap at a hint (flags extra), checked against the fit the listing predicts (none: ENOMEM).
 * Returns mmap's result.
 */
static long place(uint64_t hint, uint64_t len, long extra, uint64_t align)
{
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_list_all(0, &l), 0);
	uint64_t from = hint ? hint : mmap_base;
	uint64_t want = expected_fit(from, len, align);
	if (!want && from > USER_MIN_ADDR)
		want = expected_fit(0, len, align);
	long a = anon(hint, len, extra);
	if (!want)
		want = (uint64_t)-ENOMEM;
	if ((uint64_t)a != want)
		printf("# place(hint %#lx, len %#lx, align %#lx): got %#lx, want %#lx\n",
		       (unsigned long)hint, (unsigned long)len, (unsigned long)align,
		       (unsigned long)a, (unsigned long)want);
	CHECK_EQ(a, want);
	return a;
}

static void test_hints(void)
{
	/* A 64-page playground: a hole of 4 pages at 8 and one of 20 at 20. */
	long r = anon(0, 64 * PG, 0);
	CHECK(r > 0);
	uint64_t R = (uint64_t)r;
	CHECK_EQ(raw_munmap(R + 8 * PG, 4 * PG), 0);
	CHECK_EQ(raw_munmap(R + 20 * PG, 20 * PG), 0);

	CHECK_EQ(place(R + 9 * PG, 2 * PG, 0, PG), R + 9 * PG);   /* free: honoured */
	CHECK_EQ(place(R + 8 * PG, 8 * PG, 0, PG), R + 20 * PG);  /* too small: first fit above */
	CHECK_EQ(place(R + 30 * PG, 4 * PG, 0, PG), R + 30 * PG); /* free again */
	CHECK_EQ(place(R + 5 * PG, 1 * PG, 0, PG), R + 8 * PG);   /* taken: the next hole */
	CHECK_EQ(place(R + 10 * PG, PG + 1, 0, PG), R + 28 * PG); /* rounded to 2 pages */
	place(R + 7 * PG, 1, 0, PG);                              /* whatever is first above */
	place(USER_TOP - PG, 2 * PG, 0, PG); /* nothing above: from the bottom */
	place(USER_TOP, PG, 0, PG);
	place(0, 3 * PG, 0, PG);
	place(0x123456789ul, 5 * PG, 0, PG); /* unaligned hint: rounded up */
	CHECK_EQ(vm_check_map(), 0);
}

static void test_aligned(void)
{
	static const unsigned shifts[] = {12, 13, 16, 21, 22, 30, 33, 40, 45, 46};

	for (size_t i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++) {
		uint64_t align = 1ul << shifts[i];
		long a = place(0, 3 * PG, MAP_ALIGNED(shifts[i]), align);
		CHECK(a > 0 && (a & (align - 1)) == 0);
		/* Above the first one; for 2^46 there is no such address (and none from the bottom). */
		long b = place((uint64_t)a + PG, PG, MAP_ALIGNED(shifts[i]), align);
		if (shifts[i] < 46) {
			CHECK(b > a && (b & (align - 1)) == 0);
			CHECK_EQ(raw_munmap((uint64_t)b, PG), 0);
		} else {
			CHECK_EQ(b, -ENOMEM);
		}
		CHECK_EQ(raw_munmap((uint64_t)a, 3 * PG), 0);
	}
	/* SUPER: 2 MiB aligned from 2 MiB on; a shorter mapping is placed as without the flag. */
	long s = place(0, SUPER, MAP_ALIGNED_SUPER, SUPER);
	long t = place(0, SUPER - PG, MAP_ALIGNED_SUPER, PG);
	CHECK_EQ(raw_munmap((uint64_t)s, SUPER), 0);
	CHECK_EQ(raw_munmap((uint64_t)t, SUPER - PG), 0);

	/* Nothing fits. */
	CHECK_EQ(anon(0, PG, MAP_ALIGNED(47)), -ENOMEM);
	CHECK_EQ(anon(0, USER_TOP - USER_MIN_ADDR, 0), -ENOMEM);
	CHECK_EQ(anon(0, 1ul << 46, MAP_ALIGNED(46)), -ENOMEM);
	CHECK_EQ(vm_check_map(), 0);
}

/* Touch one byte per 4 KiB of [a, a + len); returns the vm_stat difference in *d. */
static void touch(uint64_t a, uint64_t len, struct vm_stat *d)
{
	struct vm_stat s0, s1;

	memset(&s1, 0, sizeof(s1));
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s0), 0);
	for (uint64_t off = 0; off < len; off += PG)
		*(volatile char *)(a + off) = 1;
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s1), 0);
	d->faults = s1.faults - s0.faults;
	d->faults_2m = s1.faults_2m - s0.faults_2m;
	d->resident_4k = s1.resident_4k - s0.resident_4k;
	d->resident_2m = s1.resident_2m - s0.resident_2m;
}

static void test_super_touch(void)
{
	const uint64_t len = 64 * MB;
	struct vm_stat d;

	long a = place(0, len, MAP_ALIGNED_SUPER, SUPER);
	CHECK(a > 0 && a % SUPER == 0);
	if (a <= 0)
		return;
	touch((uint64_t)a, len, &d);
	CHECK_EQ(d.faults, 32);
	CHECK_EQ(d.faults_2m, 32);
	CHECK_EQ(d.resident_2m, 32);
	CHECK_EQ(d.resident_4k, 0);
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_list_all(0, &l), 0);
	const struct vm_map_ent *e = vm_find(&l, (uint64_t)a);
	CHECK(e && e->resident_2m == 32 && e->resident_4k == 0);
	CHECK_EQ(vm_check_map(), 0);

	/* Unmapping gives the frames back (at least the 16384 of the data). */
	struct vm_stat s0, s1;
	memset(&s1, 0, sizeof(s1));
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s0), 0);
	CHECK_EQ(raw_munmap((uint64_t)a, len), 0);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s1), 0);
	CHECK(s1.free_frames >= s0.free_frames + len / PG);
	CHECK_EQ(s1.resident_2m, s0.resident_2m - 32);

	/* 4 KiB off alignment: 2 MiB pages only where a whole aligned 2 MiB lies inside. */
	long g = anon(0, len + 2 * SUPER, MAP_ALIGNED_SUPER);
	CHECK(g > 0 && g % SUPER == 0);
	uint64_t b = (uint64_t)g + PG;
	CHECK_EQ(raw_munmap((uint64_t)g, len + 2 * SUPER), 0);
	CHECK_EQ(anon(b, len, MAP_FIXED | MAP_EXCL), (long)b);
	touch(b, len, &d);
	CHECK_EQ(d.faults_2m, 31);
	CHECK_EQ(d.faults, 31 + 512);
	CHECK_EQ(d.resident_2m, 31);
	CHECK_EQ(d.resident_4k, 512);
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_list_all(0, &l), 0);
	e = vm_find(&l, b);
	CHECK(e && e->resident_2m == 31 && e->resident_4k == 512);
	CHECK_EQ(vm_check_map(), 0);
	CHECK_EQ(raw_munmap(b, len), 0);
}

int main(void)
{
	long b = anon(0, PG, 0);
	CHECK(b > 0);
	mmap_base = (uint64_t)b;
	CHECK_EQ(raw_munmap(mmap_base, PG), 0);
	test_hints();
	test_aligned();
	test_super_touch();
	CHECK_EQ(vm_check_map(), 0);
	return utest_result("mmap_place");
}
