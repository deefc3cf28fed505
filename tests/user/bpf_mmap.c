/*
 * mmap of BPF map fds (include/uapi/mman.h, kernel/bpf/map_mmap.h).
 *
 * Run by the test runner (no role): what needs no BPF_F_MMAPABLE map, which only the kernel can
 * make so far: the errors of mmap on map fds the native calls create (a plain ARRAY refused with
 * EINVAL, HASH and PERCPU_ARRAY with ENOTSUPP, MAP_PRIVATE, a bad offset), on the console (ENODEV),
 * on a bad fd (EBADF), anonymous MAP_SHARED (EINVAL), the order of those checks against the
 * generic ones, and that failed calls change nothing.
 *
 * Role "maps": run by tests/kernel/test_bpf_mmap.c with the fds it describes (3: A, a 2-page
 * mmapable ARRAY of 8-byte values i * 3 + 1; 4: a frozen one of values 1000 + i; 5: one with
 * BPF_F_RDONLY_PROG; 6: a 16-page one that only this fd holds; 7: a 2 MiB one; 8 and 9: A read-
 * and write-only; 10: the request channel X, through which the kernel freezes A on request). It
 * checks values shared both ways, freezing against writable mappings across splits and partial
 * unmaps, the read-only mappings of frozen maps, the map living after close while mapped and
 * freed by the munmap, 2 MiB pages, and every error with a mappable map.
 */
#include <sched.h>

#include "bpf_util.h"

#define RW (PROT_READ | PROT_WRITE)
#define FD_A 3
#define FD_FROZEN 4
#define FD_RDONLY_PROG 5
#define FD_LIFETIME 6
#define FD_BIG 7
#define FD_A_RDONLY 8
#define FD_A_WRONLY 9
#define FD_X 10
#define FD_PAST_TABLE 64 /* kernel/fd.h's FD_MAX */

static long map_shared(uint64_t len, long prot, long fd, long off)
{
	return raw_mmap(0, len, prot, MAP_SHARED, fd, off);
}

static uint64_t lookup(int fd, uint32_t key)
{
	uint64_t v = ~0ul;
	CHECK_EQ(bpf_map_lookup_elem(fd, &key, &v), 0);
	return v;
}

/* The listing entry at addr (a copy; zeroed if there is none). */
static struct vm_map_ent entry_at(uint64_t addr)
{
	static struct vm_listing l;
	struct vm_map_ent none = {0};
	CHECK_EQ(vm_list_all(0, &l), 0);
	const struct vm_map_ent *e = vm_find(&l, addr);
	return e ? *e : none;
}

/* ------------------------------------------------------------------------------------------- */

static void standalone(void)
{
	static struct vm_listing before, after;
	int array = bpf_native_map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1024);
	int hash = bpf_native_map_create(BPF_MAP_TYPE_HASH, 4, 8, 4);
	int percpu = bpf_native_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4);
	CHECK(array >= 0 && hash >= 0 && percpu >= 0);
	/* Touched first: a fault filling them in would change the listing's resident counts. */
	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	CHECK_EQ(vm_list_all(0, &before), 0);

	/* Anonymous memory cannot be shared; the console and closed fds cannot be mapped. */
	CHECK_EQ(raw_mmap(0, PG, RW, MAP_SHARED | MAP_ANON, -1, 0), -EINVAL);
	CHECK_EQ(raw_mmap(0, PG, PROT_READ, MAP_SHARED | MAP_ANON, -1, 0), -EINVAL);
	CHECK_EQ(map_shared(PG, RW, 1, 0), -ENODEV);
	CHECK_EQ(map_shared(PG, PROT_READ, 2, 0), -ENODEV);
	CHECK_EQ(map_shared(PG, RW, 40, 0), -EBADF);
	CHECK_EQ(map_shared(PG, RW, -1, 0), -EBADF);
	CHECK_EQ(map_shared(PG, RW, FD_PAST_TABLE, 0), -EBADF);

	/* A map without a value area, a type that never has one. */
	CHECK_EQ(map_shared(PG, RW, array, 0), -EINVAL);
	CHECK_EQ(map_shared(PG, PROT_READ, array, 0), -EINVAL);
	CHECK_EQ(raw_mmap(0, PG, PROT_READ, MAP_PRIVATE, array, 0), -EINVAL);
	CHECK_EQ(map_shared(PG, RW, hash, 0), -ENOTSUPP);
	CHECK_EQ(map_shared(PG, PROT_READ, percpu, 0), -ENOTSUPP);
	CHECK_EQ(raw_mmap(0, PG, PROT_READ, MAP_PRIVATE, hash, 0), -ENOTSUPP);

	/*
	 * Order (FreeBSD's kern_mmap): len and MAP_FIXED, then the fd (EBADF, ENODEV), then the
	 * offset, then the file's own.
	 */
	CHECK_EQ(map_shared(PG, RW, 40, 100), -EBADF);
	CHECK_EQ(map_shared(PG, RW, 1, 100), -ENODEV);
	CHECK_EQ(map_shared(PG, RW, hash, 100), -EINVAL);
	CHECK_EQ(map_shared(PG, RW, hash, -(long)PG), -EINVAL);
	CHECK_EQ(map_shared(0, RW, hash, 0), -EINVAL);
	CHECK_EQ(map_shared(0, RW, 40, 0), -EINVAL);
	CHECK_EQ(raw_mmap(0x10000800, PG, RW, MAP_SHARED | MAP_FIXED, hash, 0), -EINVAL);
	CHECK_EQ(raw_mmap(0x10000800, PG, RW, MAP_SHARED | MAP_FIXED, 40, 0), -EINVAL);
	CHECK_EQ(raw_mmap(0, PG, RW, 0, hash, 0), -EINVAL);
	CHECK_EQ(raw_mmap(0, PG, RW, MAP_SHARED | MAP_PRIVATE, 40, 0), -EINVAL);

	/* Nothing changed. */
	CHECK_EQ(vm_list_all(0, &after), 0);
	CHECK_EQ(after.n, before.n);
	CHECK_EQ(memcmp(before.e, after.e, before.n * sizeof(before.e[0])), 0);
	CHECK_EQ(close(array), 0);
	CHECK_EQ(close(hash), 0);
	CHECK_EQ(close(percpu), 0);
}

/* ------------------------------------------------------------------------------------------- */

/* Ask the kernel side to freeze A (request n, counting from 1); its result. */
static long ask_freeze(uint64_t n)
{
	uint32_t k0 = 0, k1 = 1, k2 = 2;
	uint64_t seen = 0, result = 0;
	CHECK_EQ(bpf_map_update_elem(FD_X, &k0, &n, BPF_ANY), 0);
	while (bpf_map_lookup_elem(FD_X, &k1, &seen) == 0 && seen != n)
		sched_yield();
	CHECK_EQ(bpf_map_lookup_elem(FD_X, &k2, &result), 0);
	return (long)result;
}

/* Values shared both ways; freeze refused while a writable mapping lives, whatever splits it. */
static void shared_and_freeze(void)
{
	long r = map_shared(2 * PG, RW, FD_A, 0);
	CHECK(r > 0 && !(r % PG));
	if (r <= 0)
		return;
	volatile uint64_t *p = (uint64_t *)r;
	struct vm_map_ent e = entry_at((uint64_t)r);
	CHECK_EQ(e.flags, VM_ENT_SHARED);
	CHECK_EQ(e.prot, RW);
	CHECK_EQ(e.max_prot, RW);
	CHECK_EQ(e.end - e.start, 2 * PG);
	for (uint32_t i = 0; i < 1024; i++)
		if (p[i] != i * 3 + 1) {
			CHECK_EQ(p[i], i * 3 + 1);
			break;
		}
	p[5] = 777;
	CHECK_EQ(lookup(FD_A, 5), 777);
	uint32_t k6 = 6;
	uint64_t v = 888;
	CHECK_EQ(bpf_map_update_elem(FD_A, &k6, &v, BPF_ANY), 0);
	CHECK_EQ(p[6], 888);
	CHECK_EQ(ask_freeze(1), -EBUSY);

	/* Split by mprotect, half unmapped: still the one writable mapping. */
	CHECK_EQ(raw_mprotect((uint64_t)r + PG, PG, PROT_READ), 0);
	CHECK_EQ(raw_munmap((uint64_t)r, PG), 0);
	CHECK_EQ(ask_freeze(2), -EBUSY);
	CHECK_EQ(raw_mprotect((uint64_t)r + PG, PG, RW), 0);

	/* A second, read-only mapping of A's second page shows the same frames. */
	long q = map_shared(PG, PROT_READ, FD_A, (long)PG);
	CHECK(q > 0);
	if (q > 0) {
		volatile uint64_t *qp = (uint64_t *)q;
		CHECK_EQ(qp[0], 512 * 3 + 1);
		p[513] = 4242;
		CHECK_EQ(qp[1], 4242);
		CHECK_EQ(raw_mprotect((uint64_t)q, PG, RW), -EACCES);
	}
	CHECK_EQ(vm_check_map(), 0);

	/* The last piece of the writable mapping goes: A can be frozen; the read-only one stays. */
	CHECK_EQ(raw_munmap((uint64_t)r + PG, PG), 0);
	CHECK_EQ(ask_freeze(3), 0);
	CHECK_EQ(map_shared(PG, RW, FD_A, 0), -EPERM);
	CHECK_EQ(bpf_map_update_elem(FD_A, &k6, &v, BPF_ANY), -EPERM);
	long f = map_shared(2 * PG, PROT_READ, FD_A, 0);
	CHECK(f > 0);
	if (f > 0) {
		CHECK_EQ(((volatile uint64_t *)f)[5], 777);
		CHECK_EQ(raw_mprotect((uint64_t)f, 2 * PG, RW), -EACCES);
		CHECK_EQ(raw_munmap((uint64_t)f, 2 * PG), 0);
	}
	if (q > 0)
		CHECK_EQ(raw_munmap((uint64_t)q, PG), 0);
}

/* A frozen map maps read-only, for good; BPF_F_RDONLY_PROG likewise refuses PROT_WRITE. */
static void read_only_maps(void)
{
	CHECK_EQ(map_shared(PG, RW, FD_FROZEN, 0), -EPERM);
	CHECK_EQ(map_shared(PG, PROT_WRITE, FD_FROZEN, 0), -EPERM);
	long f = map_shared(PG, PROT_READ, FD_FROZEN, 0);
	CHECK(f > 0);
	if (f > 0) {
		volatile uint64_t *p = (uint64_t *)f;
		CHECK_EQ(p[0], 1000);
		CHECK_EQ(p[511], 1511);
		struct vm_map_ent e = entry_at((uint64_t)f);
		CHECK_EQ(e.prot, PROT_READ);
		CHECK_EQ(e.max_prot, PROT_READ);
		CHECK_EQ(raw_mprotect((uint64_t)f, PG, RW), -EACCES);
		CHECK_EQ(raw_mprotect((uint64_t)f, PG, PROT_READ | PROT_EXEC), -EACCES);
		CHECK_EQ(raw_mprotect((uint64_t)f, PG, PROT_NONE), 0);
		CHECK_EQ(raw_mprotect((uint64_t)f, PG, PROT_READ), 0);
		CHECK_EQ(p[1], 1001);
		CHECK_EQ(raw_munmap((uint64_t)f, PG), 0);
	}
	/* MAP_FIXED over anonymous memory, and MAP_EXCL refusing to replace it. */
	long g = anon(0, 4 * PG, 0);
	CHECK(g > 0);
	if (g > 0) {
		CHECK_EQ(raw_mmap((uint64_t)g + PG, PG, PROT_READ, MAP_SHARED | MAP_FIXED,
				  FD_FROZEN, 0),
			 g + (long)PG);
		CHECK_EQ(((volatile uint64_t *)(g + (long)PG))[2], 1002);
		CHECK_EQ(raw_mmap((uint64_t)g + PG, PG, PROT_READ,
				  MAP_SHARED | MAP_FIXED | MAP_EXCL, FD_FROZEN, 0),
			 -EEXIST);
		CHECK_EQ(entry_at((uint64_t)g + PG).flags, VM_ENT_SHARED);
		CHECK_EQ(entry_at((uint64_t)g).flags, VM_ENT_ANON);
		CHECK_EQ(raw_munmap((uint64_t)g, 4 * PG), 0);
	}
	CHECK_EQ(map_shared(PG, RW, FD_RDONLY_PROG, 0), -EACCES);
	long p = map_shared(PG, PROT_READ, FD_RDONLY_PROG, 0);
	CHECK(p > 0);
	if (p > 0)
		CHECK_EQ(raw_munmap((uint64_t)p, PG), 0);
}

/* Every error with a mappable map, in the order include/uapi/mman.h gives. */
static void errors(void)
{
	CHECK_EQ(map_shared(PG, RW, FD_A_RDONLY, 0), -EACCES);
	CHECK_EQ(map_shared(PG, PROT_READ, FD_A_RDONLY, 0), -EINVAL);
	CHECK_EQ(map_shared(PG, PROT_READ, FD_A_WRONLY, 0), -EACCES);
	CHECK_EQ(raw_mmap(0, PG, RW, MAP_PRIVATE, FD_LIFETIME, 0), -EINVAL);
	CHECK_EQ(raw_mmap(0, PG, PROT_READ, MAP_PRIVATE, FD_LIFETIME, 0), -EINVAL);
	CHECK_EQ(map_shared(17 * PG, RW, FD_LIFETIME, 0), -EINVAL);
	CHECK_EQ(map_shared(16 * PG + 1, RW, FD_LIFETIME, 0), -EINVAL);
	CHECK_EQ(map_shared(PG, RW, FD_LIFETIME, 16 * PG), -EINVAL);
	CHECK_EQ(map_shared(2 * PG, RW, FD_LIFETIME, 15 * PG), -EINVAL);
	CHECK_EQ(map_shared(PG, RW, FD_LIFETIME, 100), -EINVAL);
	CHECK_EQ(map_shared(PG, RW, FD_LIFETIME, -(long)PG), -EINVAL);
	CHECK_EQ(map_shared(PG, RW, FD_LIFETIME, 1l << 62), -EINVAL);
	/* A length that is not whole pages maps the pages it touches. */
	long r = map_shared(PG + 1, RW, FD_LIFETIME, 14 * PG);
	CHECK(r > 0);
	if (r > 0)
		CHECK_EQ(raw_munmap((uint64_t)r, 2 * PG), 0);
}

/* The mapping keeps the map after close; the munmap frees it. */
static void lifetime(void)
{
	long r = map_shared(16 * PG, RW, FD_LIFETIME, 0);
	CHECK(r > 0);
	if (r <= 0)
		return;
	volatile uint64_t *p = (uint64_t *)r;
	for (uint32_t i = 0; i < 8192; i++)
		p[i] = i ^ 0x5a5a;
	CHECK_EQ(lookup(FD_LIFETIME, 4000), 4000 ^ 0x5a5a);
	CHECK_EQ(close(FD_LIFETIME), 0);
	uint32_t k = 0;
	uint64_t v;
	CHECK_EQ(bpf_map_lookup_elem(FD_LIFETIME, &k, &v), -EBADF);
	for (uint32_t i = 0; i < 8192; i += 97)
		CHECK_EQ(p[i], i ^ 0x5a5a);
	uint64_t before = vm_free_frames();
	CHECK_EQ(raw_munmap((uint64_t)r, 16 * PG), 0);
	CHECK(vm_free_frames() >= before + 16);
}

/* A 2 MiB value area is placed and mapped as one 2 MiB page. */
static void superpage(void)
{
	struct vm_stat before, after;
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&before), 0);
	long r = map_shared(SUPER, RW, FD_BIG, 0);
	CHECK(r > 0 && !(r % SUPER));
	if (r <= 0)
		return;
	volatile uint64_t *p = (uint64_t *)r;
	p[1000] = 99;
	CHECK_EQ(lookup(FD_BIG, 1000), 99);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&after), 0);
	CHECK_EQ(after.faults_2m, before.faults_2m + 1);
	CHECK_EQ(after.resident_2m, before.resident_2m + 1);
	CHECK_EQ(entry_at((uint64_t)r).resident_2m, 1);
	/* A protect in the middle splits it into 4 KiB pages on the same frames. */
	CHECK_EQ(raw_mprotect((uint64_t)r + 8 * PG, PG, PROT_READ), 0);
	CHECK_EQ(p[1000], 99);
	CHECK_EQ(vm_check_map(), 0);
	CHECK_EQ(raw_munmap((uint64_t)r, SUPER), 0);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "maps")) {
		shared_and_freeze();
		read_only_maps();
		errors();
		lifetime();
		superpage();
		CHECK_EQ(vm_check_map(), 0);
		return utest_result("bpf_mmap maps");
	}
	standalone();
	CHECK_EQ(vm_check_map(), 0);
	return utest_result(argv[0]);
}
