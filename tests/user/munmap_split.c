/*
 * munmap on any page-aligned range: the middle, head and tail of an entry (the listing shows the
 * pieces with exact bounds, the data left is intact), several entries and holes at once, ranges
 * with nothing mapped (success), a length rounded up to pages, a 4 KiB hole punched into a 2 MiB
 * page (split into 4 KiB pages, the rest of the data kept), frames given back. Errors (EINVAL):
 * unaligned address, length 0, wrapping, outside the user range; they change nothing. Touching
 * unmapped memory kills (in a child).
 */
#include "vm_util.h"

static struct vm_listing l, l2;

static void relist(void)
{
	memset(&l, 0, sizeof(l));
	CHECK_EQ(vm_list_all(0, &l), 0);
}

/* Whether the listing has exactly [s, e) (ANON, read+write) with r4k small pages resident. */
static bool has_piece(uint64_t s, uint64_t e, uint64_t r4k)
{
	const struct vm_map_ent *x = vm_find(&l, s);
	return x && x->start == s && x->end == e && x->prot == (PROT_READ | PROT_WRITE) &&
	       x->flags == VM_ENT_ANON && x->resident_4k == r4k;
}

static void test_pieces(void)
{
	/* Inside a guard reservation, so that nothing else can sit next to the pieces. */
	long g = raw_mmap(0, 32 * PG, PROT_NONE, MAP_GUARD, -1, 0);
	CHECK(g > 0);
	uint64_t G = (uint64_t)g, A = G + 8 * PG;
	CHECK_EQ(raw_munmap(G, 32 * PG), 0);
	CHECK_EQ(anon(A, 16 * PG, MAP_FIXED | MAP_EXCL), (long)A);
	vm_fill(A, 16, 100);

	CHECK_EQ(raw_munmap(A + 4 * PG, 2 * PG), 0);
	relist();
	CHECK(has_piece(A, A + 4 * PG, 4));
	CHECK(has_piece(A + 6 * PG, A + 16 * PG, 10));
	CHECK_EQ(vm_count_in(&l, G, G + 32 * PG), 2);
	CHECK_EQ(vm_intact(A, 0, 4, 100) + vm_intact(A, 6, 16, 100), 14);

	CHECK_EQ(raw_munmap(A, PG), 0);
	CHECK_EQ(raw_munmap(A + 15 * PG, PG), 0);
	relist();
	CHECK(has_piece(A + PG, A + 4 * PG, 3));
	CHECK(has_piece(A + 6 * PG, A + 15 * PG, 9));

	/* Across a hole: the ends of both pieces go. */
	CHECK_EQ(raw_munmap(A + 3 * PG, 4 * PG), 0);
	relist();
	CHECK(has_piece(A + PG, A + 3 * PG, 2));
	CHECK(has_piece(A + 7 * PG, A + 15 * PG, 8));
	CHECK_EQ(vm_intact(A, 1, 3, 100) + vm_intact(A, 7, 15, 100), 10);

	/* Nothing mapped there: success, no change. */
	CHECK_EQ(raw_munmap(A + 3 * PG, 4 * PG), 0);
	CHECK_EQ(raw_munmap(G, 8 * PG), 0);
	relist();
	CHECK_EQ(vm_count_in(&l, G, G + 32 * PG), 2);

	/* One byte is one page. */
	CHECK_EQ(raw_munmap(A + PG, 1), 0);
	relist();
	CHECK(has_piece(A + 2 * PG, A + 3 * PG, 1));
	CHECK_EQ(vm_intact(A, 2, 3, 100), 1);

	/* The errors, none of which changes anything. */
	memset(&l2, 0, sizeof(l2));
	relist();
	CHECK_EQ(raw_munmap(A + 2 * PG + 1, PG), -EINVAL);
	CHECK_EQ(raw_munmap(A + 2 * PG + 2048, PG), -EINVAL);
	CHECK_EQ(raw_munmap(A + 2 * PG, 0), -EINVAL);
	CHECK_EQ(raw_munmap(A, ~0ul), -EINVAL);
	CHECK_EQ(raw_munmap(A, -PG), -EINVAL);
	CHECK_EQ(raw_munmap(A, 1ul << 47), -EINVAL);
	CHECK_EQ(raw_munmap(A, USER_TOP), -EINVAL);
	CHECK_EQ(raw_munmap(0, PG), -EINVAL);
	CHECK_EQ(raw_munmap(0, A + 16 * PG), -EINVAL);
	CHECK_EQ(raw_munmap(USER_TOP, PG), -EINVAL);
	CHECK_EQ(raw_munmap(USER_TOP - PG, 2 * PG), -EINVAL);
	CHECK_EQ(raw_munmap(KERNEL_TEXT, PG), -EINVAL);
	CHECK_EQ(raw_munmap(DIRECT_MAP, 1ul << 30), -EINVAL);
	CHECK_EQ(raw_munmap(~0ul - PG + 1, PG), -EINVAL);
	CHECK_EQ(vm_list_all(0, &l2), 0);
	CHECK(l2.n == l.n && !memcmp(l2.e, l.e, l.n * sizeof(l.e[0])));

	CHECK_EQ(raw_munmap(G, 32 * PG), 0);
	relist();
	CHECK_EQ(vm_count_in(&l, G, G + 32 * PG), 0);
	CHECK_EQ(vm_check_map(), 0);
}

/* A 4 KiB hole in a 2 MiB page splits it; the rest of the data stays; frames come back. */
static void test_superpage_hole(void)
{
	const size_t pages = 2 * SUPER / PG;
	struct vm_stat s0, s1, s2;

	long a = anon(0, 2 * SUPER, MAP_ALIGNED_SUPER);
	CHECK(a > 0 && a % SUPER == 0);
	if (a <= 0)
		return;
	uint64_t S = (uint64_t)a;
	vm_fill(S, pages, 5000);
	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s0), 0);
	CHECK_EQ(raw_munmap(S + 256 * PG, PG), 0);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s1), 0);
	CHECK_EQ(s1.resident_2m, s0.resident_2m - 1);
	CHECK_EQ(s1.resident_4k, s0.resident_4k + 511);
	relist();
	const struct vm_map_ent *lo = vm_find(&l, S), *hi = vm_find(&l, S + 257 * PG);
	CHECK(lo && lo->start == S && lo->end == S + 256 * PG && lo->resident_4k == 256 &&
	      lo->resident_2m == 0);
	CHECK(hi && hi->start == S + 257 * PG && hi->end == S + 2 * SUPER &&
	      hi->resident_4k == 255 && hi->resident_2m == 1);
	CHECK_EQ(vm_intact(S, 0, 256, 5000) + vm_intact(S, 257, pages, 5000), pages - 1);
	CHECK_EQ(vm_check_map(), 0);

	CHECK_EQ(raw_munmap(S, 2 * SUPER), 0);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s2), 0);
	CHECK(s2.free_frames >= s1.free_frames + pages - 1);
	CHECK_EQ(s2.resident_2m, s0.resident_2m - 2);
	CHECK_EQ(s2.resident_4k, s0.resident_4k);
}

static volatile long sink;

int main(int argc, char **argv)
{
	if (argc >= 2) {
		if (!strcmp(argv[1], "read_unmapped")) {
			long a = anon(0, 4 * PG, 0);
			*(volatile long *)(a + PG) = 1;
			if (raw_munmap((uint64_t)a + PG, PG))
				return 2;
			sink = *(volatile long *)(a + 0) + *(volatile long *)(a + 2 * PG);
			sink = *(volatile long *)vm_opaque((uintptr_t)a + PG);
			return 100;
		}
		return 101;
	}
	test_pieces();
	test_superpage_hole();
	int st = run_self(argv[0], "read_unmapped", NULL);
	if (!KILLED_BY_PF(st))
		printf("# read_unmapped: status 0x%x\n", st);
	CHECK(KILLED_BY_PF(st));
	return utest_result("munmap_split");
}
