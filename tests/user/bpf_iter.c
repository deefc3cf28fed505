/*
 * The task_vma iterator (bpf_iter_task_vma_new/next/destroy, bpf_for_each) and the batch call
 * under it: acceptance cases I1-I8 (/work/shared/acceptance/bpf_callbacks.md), the listing
 * comparison over 1500 non-mergeable mappings, the same walk by find_vma from each VMA's end,
 * and the batch call's limits and errors.
 */
#include "bpf_util.h"

#define RW (PROT_READ | PROT_WRITE)
#define A_ (MAP_PRIVATE | MAP_ANON)
#define NMAPS 1500
#define MAX_VMAS 2048

__attribute__((noinline)) static int text_fn(int x)
{
	return x - 1;
}
#define TEXT ((uint64_t)text_fn)

/* The whole map listing, however long. */
static struct vm_map_ent listing[MAX_VMAS];
static size_t list_all(void)
{
	uint64_t from = 0;
	size_t n = 0;
	long r;

	memset(listing, 0, sizeof(listing));
	while (n < MAX_VMAS &&
	       (r = raw_map_list(0, (uint64_t)&listing[n], MAX_VMAS - n, from)) > 0) {
		n += (size_t)r;
		from = listing[n - 1].end;
	}
	return n;
}

/* What the iterator returns from addr, into out; the count. */
static struct bpf_vma walked[MAX_VMAS];
static size_t iter_all(int pid, uint64_t addr, struct bpf_vma *out, size_t max)
{
	struct bpf_vma *v;
	size_t n = 0;

	bpf_for_each(task_vma, v, pid, addr) {
		if (n < max)
			out[n] = *v;
		n++;
	}
	return n;
}

static bool ascending(const struct bpf_vma *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].vm_start >= v[i].vm_end || (i && v[i - 1].vm_end > v[i].vm_start))
			return false;
	return true;
}

/* Whether v and listing entry e describe the same map entry. */
static bool same_entry(const struct bpf_vma *v, const struct vm_map_ent *e)
{
	uint64_t flags =
		e->prot | (uint64_t)e->max_prot << 4 | (e->flags & VM_ENT_GUARD ? VM_GUARD : 0) |
		(e->flags & VM_ENT_STACK ? VM_STACK : 0) | (e->resident_2m ? VM_SUPERPAGE : 0);
	return v->vm_start == e->start && v->vm_end == e->end && v->vm_flags == flags;
}

/* I1: the whole walk equals the listing. */
static void check_equals_listing(const char *what)
{
	size_t n = iter_all(0, 0, walked, MAX_VMAS);
	size_t m = list_all();
	int bad = 0;

	CHECK(ascending(walked, n));
	CHECK_EQ(n, m);
	for (size_t i = 0; i < n && i < m; i++) {
		if (!same_entry(&walked[i], &listing[i]) && bad++ < 5)
			printf("# %s: entry %zu: iterator [%#lx, %#lx) %#lx, listing [%#lx, %#lx)\n",
			       what, i, (unsigned long)walked[i].vm_start,
			       (unsigned long)walked[i].vm_end, (unsigned long)walked[i].vm_flags,
			       (unsigned long)listing[i].start, (unsigned long)listing[i].end);
	}
	CHECK_EQ(bad, 0);
}

/*
 * I2-I5 over a layout in a guard reservation:
 *   [g, g+p) rw-   [g+p, g+2p) unmapped   K = [g+2p, g+4p) r--   [g+4p, g+8p) guard
 */
static void test_positions(void)
{
	const uint64_t p = PG;
	long g = raw_mmap(0, 8 * p, PROT_NONE, MAP_GUARD, -1, 0);
	struct bpf_iter_task_vma it;
	struct bpf_vma *v;

	CHECK(g > 0);
	if (g <= 0)
		return;
	CHECK_EQ(raw_mmap((uint64_t)g, 4 * p, PROT_READ, A_ | MAP_FIXED, -1, 0), g);
	CHECK_EQ(raw_mprotect((uint64_t)g, p, RW), 0);
	CHECK_EQ(raw_munmap((uint64_t)g + p, p), 0);
	check_equals_listing("layout");

	CHECK_EQ(bpf_iter_task_vma_new(&it, 0, (uint64_t)g + 3 * p + 17), 0); /* I2: inside K */
	v = bpf_iter_task_vma_next(&it);
	CHECK(v && v->vm_start == (uint64_t)g + 2 * p && v->vm_end == (uint64_t)g + 4 * p);
	v = bpf_iter_task_vma_next(&it);
	CHECK(v && v->vm_start == (uint64_t)g + 4 * p && v->vm_flags == VM_GUARD);
	bpf_iter_task_vma_destroy(&it);
	CHECK(bpf_iter_task_vma_next(&it) == NULL); /* destroyed */

	CHECK_EQ(bpf_iter_task_vma_new(&it, 0, (uint64_t)g + p + 5),
		 0); /* I3: in the gap before K */
	v = bpf_iter_task_vma_next(&it);
	CHECK(v && v->vm_start == (uint64_t)g + 2 * p);
	bpf_iter_task_vma_destroy(&it);

	CHECK_EQ(bpf_iter_task_vma_new(&it, 0, (uint64_t)g), 0); /* at a start: that VMA */
	v = bpf_iter_task_vma_next(&it);
	CHECK(v && v->vm_start == (uint64_t)g && v->vm_end == (uint64_t)g + p);
	bpf_iter_task_vma_destroy(&it);

	CHECK_EQ(bpf_iter_task_vma_new(&it, 0, ~0ul), 0); /* I4 */
	CHECK(bpf_iter_task_vma_next(&it) == NULL);
	for (int i = 0; i < 3; i++) /* I5 */
		CHECK(bpf_iter_task_vma_next(&it) == NULL);
	bpf_iter_task_vma_destroy(&it);
	bpf_iter_task_vma_destroy(&it); /* twice is harmless */

	/* I5 after a real walk, whose last VMA is the listing's last entry. */
	CHECK_EQ(bpf_iter_task_vma_new(&it, 0, 0), 0);
	struct bpf_vma last = {0};
	while ((v = bpf_iter_task_vma_next(&it)) != NULL)
		last = *v;
	for (int i = 0; i < 3; i++)
		CHECK(bpf_iter_task_vma_next(&it) == NULL);
	bpf_iter_task_vma_destroy(&it);
	size_t m = list_all();
	CHECK(m > 0 && same_entry(&last, &listing[m - 1]));

	/* break out of bpf_for_each: later loops start afresh. */
	size_t k = 0;
	bpf_for_each(task_vma, v, 0, (uint64_t)g) {
		if (++k == 2)
			break;
	}
	CHECK_EQ(k, 2);
	CHECK_EQ(raw_munmap((uint64_t)g, 8 * p), 0);
}

static long find_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx)
{
	(void)task;
	*(struct bpf_vma *)ctx = *vma;
	return 0;
}

/* I6, I7, I1 over 1500 mappings, and the find_vma chain from each VMA's end. */
static void test_many(void)
{
	const uint64_t p = PG;
	long g = raw_mmap(0, NMAPS * p, PROT_NONE, MAP_GUARD, -1, 0);
	int bad = 0;

	CHECK(g > 0);
	if (g <= 0)
		return;
	/* Alternating protections: neighbours never merge. */
	for (uint64_t i = 0; i < NMAPS && !bad; i++)
		bad += raw_mmap((uint64_t)g + i * p, p, i & 1 ? PROT_READ : RW, A_ | MAP_FIXED, -1,
				0) != g + (long)(i * p);
	CHECK_EQ(bad, 0);

	static struct bpf_vma block[MAX_VMAS];
	size_t n = iter_all(0, (uint64_t)g, block, MAX_VMAS); /* I6 */
	CHECK(n >= NMAPS);
	for (uint64_t i = 0; i < NMAPS && i < n; i++)
		bad += block[i].vm_start != (uint64_t)g + i * p ||
		       block[i].vm_end != (uint64_t)g + (i + 1) * p ||
		       (block[i].vm_flags & 7) != (i & 1 ? PROT_READ : (uint64_t)RW);
	CHECK_EQ(bad, 0);
	check_equals_listing("1500 mappings");

	/* find_vma from each VMA's end, starting at the first: the same VMAs. */
	struct bpf_vma v;
	uint64_t addr = (uint64_t)g;
	for (size_t i = 0; i < NMAPS; i++) {
		if (raw_find_vma(0, addr, (const void *)find_cb, &v, 0) || !vma_eq(&v, &block[i])) {
			bad++;
			break;
		}
		addr = v.vm_end;
	}
	CHECK_EQ(bad, 0);

	/* I7: find_vma on every VMA the iterator has returned, while it runs. */
	struct bpf_vma *it_v;
	size_t k = 0;
	bpf_for_each(task_vma, it_v, 0, (uint64_t)g) {
		struct bpf_vma copy = *it_v;
		if (raw_find_vma(0, copy.vm_start, (const void *)find_cb, &v, 0) ||
		    !vma_eq(&v, &copy))
			bad++;
		if (k > 0 &&
		    (raw_find_vma(0, block[k - 1].vm_start, (const void *)find_cb, &v, 0) ||
		     !vma_eq(&v, &block[k - 1])))
			bad++;
		if (++k == NMAPS)
			break;
	}
	CHECK_EQ(k, NMAPS);
	CHECK_EQ(bad, 0);
	CHECK_EQ(raw_munmap((uint64_t)g, NMAPS * p), 0);
}

/*
 * I8: the map changes during the walk. Mappings created below the cursor are not returned, and
 * the walk stays ascending without duplicates, however the changes fall between batches.
 */
static void test_changes(void)
{
	const uint64_t p = PG, n = 300;
	long g = raw_mmap(0, 2 * n * p, PROT_NONE, MAP_GUARD, -1, 0);
	struct bpf_vma *v;
	size_t k = 0;
	int bad = 0, below = 0;

	CHECK(g > 0);
	if (g <= 0)
		return;
	/* Every other page mapped, the rest left as gaps: [g + 2ip, g + (2i+1)p). */
	CHECK_EQ(raw_munmap((uint64_t)g, 2 * n * p), 0);
	for (uint64_t i = 0; i < n; i++)
		bad += raw_mmap((uint64_t)g + 2 * i * p, p, i & 1 ? PROT_READ : RW, A_ | MAP_FIXED,
				-1, 0) < 0;
	CHECK_EQ(bad, 0);

	uint64_t prev_end = 0;
	bpf_for_each(task_vma, v, 0, (uint64_t)g) {
		if (v->vm_start >= (uint64_t)g + 2 * n * p)
			break;
		if (v->vm_start < prev_end)
			bad++;
		/* Created below the cursor (in the gap before this VMA): must never come back. */
		if (v->vm_start >= (uint64_t)g + 2 * p &&
		    (v->vm_start - (uint64_t)g) % (2 * p) == p)
			below++;
		prev_end = v->vm_end;
		if (v->vm_start > (uint64_t)g && (k & 3) == 1) {
			uint64_t gap = v->vm_start - p;
			bad += raw_mmap(gap, p, PROT_EXEC, A_ | MAP_FIXED, -1, 0) != (long)gap;
		}
		/* Change what lies above: unmap the mapping two ahead, remap one gap further on. */
		if ((k & 3) == 3) {
			uint64_t ahead = v->vm_start + 4 * p;
			if (ahead < (uint64_t)g + 2 * n * p)
				bad += raw_munmap(ahead, p) != 0;
		}
		k++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(below, 0);
	CHECK(k > n / 2);
	CHECK_EQ(raw_munmap((uint64_t)g, 2 * n * p), 0);
	check_equals_listing("after the changes");
}

/*
 * I8 at a batch boundary: once the iterator has used up its batch, a mapping is made over the
 * last VMA it returned and the gap above it. The next batch (VMAs ending above that VMA's end)
 * has it, starting below the floor: it must not be returned.
 */
static void test_straddle(void)
{
	const uint64_t p = PG, n = 200;
	long g = raw_mmap(0, 2 * n * p, PROT_NONE, MAP_GUARD, -1, 0);
	struct bpf_iter_task_vma it;
	struct bpf_vma *v;
	int bad = 0, straddles = 0, returned = 0;

	CHECK(g > 0);
	if (g <= 0)
		return;
	CHECK_EQ(raw_munmap((uint64_t)g, 2 * n * p), 0);
	for (uint64_t i = 0; i < n; i++)
		bad += raw_mmap((uint64_t)g + 2 * i * p, p, RW, A_ | MAP_FIXED, -1, 0) < 0;
	CHECK_EQ(bad, 0);
	uint64_t prev_end = 0;
	CHECK_EQ(bpf_iter_task_vma_new(&it, 0, (uint64_t)g), 0);
	while ((v = bpf_iter_task_vma_next(&it)) != NULL && v->vm_start < (uint64_t)g + 2 * n * p) {
		bad += v->vm_start < prev_end;
		/* only the straddling mappings are read-only */
		returned += (v->vm_flags & 7) == PROT_READ;
		prev_end = v->vm_end;
		if (it.pos == it.count && v->vm_end + p <= (uint64_t)g + 2 * n * p) {
			bad += raw_mmap(v->vm_start, 2 * p, PROT_READ, A_ | MAP_FIXED, -1, 0) !=
			       (long)v->vm_start;
			straddles++;
		}
	}
	bpf_iter_task_vma_destroy(&it);
	CHECK_EQ(bad, 0);
	CHECK(straddles >= 3);
	CHECK_EQ(returned, 0);
	CHECK_EQ(raw_munmap((uint64_t)g, 2 * n * p), 0);
}

/* The batch call: limits, positions, errors. */
static void test_batch(void)
{
	static struct bpf_vma out[100];
	size_t n = list_all();

	CHECK_EQ(raw_vma_batch(0, 0, out, 0), 0);
	long r = raw_vma_batch(0, 0, out, 100);
	CHECK(r > 0 && r <= 64);
	CHECK_EQ(r, n < 64 ? (long)n : 64);
	CHECK(ascending(out, (size_t)r));
	CHECK(same_entry(&out[0], &listing[0]));
	CHECK_EQ(raw_vma_batch(0, USER_TOP, out, 100), 0);
	CHECK_EQ(raw_vma_batch(0, ~0ul, out, 100), 0);
	CHECK_EQ(raw_vma_batch(0, listing[n - 1].end - 1, out, 100), 1);
	CHECK(same_entry(&out[0], &listing[n - 1]));
	char here; /* the stack, wherever ASLR put it */
	CHECK(raw_vma_batch(0, (uint64_t)&here, out, 1) == 1 && (out[0].vm_flags & VM_STACK));
	CHECK_EQ(raw_vma_batch(0, TEXT, out, 1), 1);
	CHECK(out[0].vm_start <= TEXT && TEXT < out[0].vm_end);
	CHECK_EQ(raw_vma_batch(0, 0, NULL, 4), -EFAULT);
	CHECK_EQ(raw_vma_batch(0, 0, (struct bpf_vma *)KERNEL_TEXT, 4), -EFAULT);
	CHECK_EQ(raw_vma_batch(0, 0, (struct bpf_vma *)(USER_TOP - 64), 4), -EFAULT);
	CHECK_EQ(raw_vma_batch(999999, 0, out, 4), -ESRCH);
	CHECK_EQ(raw_vma_batch(-3, 0, out, 4), -ESRCH);
	struct bpf_iter_task_vma it;
	CHECK_EQ(bpf_iter_task_vma_new(&it, 999999, 0), -ESRCH);
	CHECK(bpf_iter_task_vma_next(&it) == NULL);
	bpf_iter_task_vma_destroy(&it);
	struct bpf_vma *v;
	int body = 0;
	bpf_for_each(task_vma, v, 999999, 0)
		body++;
	CHECK_EQ(body, 0);
}

int main(void)
{
	check_equals_listing("start");
	test_positions();
	test_many();
	test_changes();
	test_straddle();
	test_batch();
	CHECK_EQ(vm_check_map(), 0);
	return utest_result("bpf_iter");
}
