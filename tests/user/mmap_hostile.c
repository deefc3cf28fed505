/*
 * Hostile callers. A seeded random storm of mmap/munmap/mprotect/vm_stat/vm_map_list calls with
 * arguments drawn from edge values (kernel and non-canonical addresses, unaligned ones, lengths 0,
 * 1, 2^46, 2^47, 2^63, 2^64-1, -4096, unknown prot and flag bits, bad fds and offsets, bad output
 * pointers), aimed at a 1 GiB sandbox so the program survives: every result must be one the
 * contract allows, and the map must pass the invariant checks after every call. Afterwards
 * everything is unmapped and the map is exactly as before. Then children that destroy their own
 * address space (unmap their text or stack, make them inaccessible, map over them) must die of a
 * page fault while the kernel carries on.
 */
#include "vm_util.h"

#define SEED 0x6b657374726c31ull
#define CALLS 3000
#define SANDBOX (1ul << 30)

static struct vm_listing before, after;
static uint64_t seed = SEED;
static uint64_t sandbox;

static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[vm_rand(&seed) % n];
}

static uint64_t rand_addr(void)
{
	/* Mostly the first 16 MiB, so that calls meet each other's mappings. */
	uint64_t pages = vm_rand(&seed) % (vm_rand(&seed) % 8 ? 4096 : SANDBOX / PG);
	switch (vm_rand(&seed) % 8) {
	case 0: {
		static const uint64_t odd[] = {0,
					       1,
					       PG,
					       USER_TOP - PG,
					       USER_TOP,
					       KERNEL_TEXT,
					       DIRECT_MAP,
					       0x0000800000000000ul,
					       ~0ul - PG + 1,
					       ~0ul};
		return pick(odd, sizeof(odd) / sizeof(odd[0]));
	}
	case 1:
		return sandbox + pages * PG + 1 + vm_rand(&seed) % (PG - 1); /* unaligned */
	default:
		return sandbox + pages * PG;
	}
}

static uint64_t rand_len(void)
{
	static const uint64_t odd[] = {0,         1,    PG - 1, 1ul << 46, 1ul << 47,
				       1ul << 63, ~0ul, -PG,    -PG + 1};
	if (vm_rand(&seed) % 6 == 0)
		return pick(odd, sizeof(odd) / sizeof(odd[0]));
	return (1 + vm_rand(&seed) % 64) * PG - (vm_rand(&seed) % 4 == 0 ? vm_rand(&seed) % PG : 0);
}

static long rand_prot(void)
{
	return vm_rand(&seed) % 10 == 0 ? (long)(vm_rand(&seed) & 0xff)
					: (long)(vm_rand(&seed) % 8);
}

static long rand_flags(void)
{
	static const long base[] = {MAP_PRIVATE | MAP_ANON, MAP_ANON, MAP_GUARD, MAP_PRIVATE,
				    MAP_SHARED | MAP_ANON,  0};
	long f = (long)pick((const uint64_t *)base, sizeof(base) / sizeof(base[0]));
	uint64_t r = vm_rand(&seed);
	if (r & 1)
		f |= MAP_FIXED;
	if ((r & 6) == 6)
		f |= MAP_EXCL;
	if ((r & 24) == 24)
		f |= MAP_ALIGNED((r >> 5) % 50);
	if ((r & 0x1c00) == 0x1c00)
		f |= 1l << ((r >> 13) % 32);
	return f;
}

static uint64_t rand_out(void)
{
	static const uint64_t odd[] = {0, 8, KERNEL_TEXT, DIRECT_MAP, USER_TOP - 8, ~0ul - 7};
	if (vm_rand(&seed) % 3 == 0)
		return pick(odd, sizeof(odd) / sizeof(odd[0]));
	return 0;
}

/* Whether r is a result mmap may give for these arguments. */
static bool mmap_result_ok(long r, uint64_t addr, long flags)
{
	if (r >= 0)
		return r % (long)PG == 0 && (uint64_t)r >= USER_MIN_ADDR &&
		       (uint64_t)r < USER_TOP && (!(flags & MAP_FIXED) || (uint64_t)r == addr);
	return r == -EINVAL || r == -ENOMEM || r == -EEXIST || r == -EBADF || r == -ENODEV;
}

static void storm(void)
{
	static struct vm_map_ent ents[4];
	struct vm_stat st;
	int bad = 0, succeeded = 0;
	uint64_t most_entries = 0;

	for (int i = 0; i < CALLS && bad < 5; i++) {
		uint64_t addr = rand_addr(), len = rand_len(), out = rand_out();
		long prot = rand_prot(), flags = rand_flags(), r;
		int op = (int)(vm_rand(&seed) % 10);
		const char *name;
		bool ok;

		if (op < 4) {
			long fd = vm_rand(&seed) % 8 == 0 ? (long)(vm_rand(&seed) % 4) - 2 : -1;
			long off = vm_rand(&seed) % 8 == 0 ? (long)PG : 0;
			/* Fixed mappings stay in the sandbox (and so does a huge length's start). */
			if ((flags & MAP_FIXED) && addr >= sandbox && addr < sandbox + SANDBOX &&
			    len <= SANDBOX && addr + len > sandbox + SANDBOX)
				len = sandbox + SANDBOX - addr;
			if ((flags & MAP_FIXED) && len > SANDBOX && len < (1ul << 47))
				len = 1ul << 47;
			name = "mmap";
			r = raw_mmap(addr, len, prot, flags, fd, off);
			ok = mmap_result_ok(r, addr, flags);
			if (r > 0 &&
			    ((uint64_t)r < sandbox || (uint64_t)r + len > sandbox + SANDBOX))
				ok = ok && raw_munmap((uint64_t)r, len) == 0;
		} else if (op < 6) {
			if (addr >= sandbox && addr < sandbox + SANDBOX && len <= SANDBOX &&
			    addr + len > sandbox + SANDBOX)
				len = sandbox + SANDBOX - addr;
			if (len > SANDBOX && len < (1ul << 47))
				len = 1ul << 47;
			name = "munmap";
			r = raw_munmap(addr, len);
			ok = r == 0 || r == -EINVAL;
		} else if (op < 8) {
			if (addr >= sandbox && addr < sandbox + SANDBOX && len <= SANDBOX &&
			    addr + len > sandbox + SANDBOX)
				len = sandbox + SANDBOX - addr;
			if (len > SANDBOX && len < (1ul << 47))
				len = 1ul << 47;
			name = "mprotect";
			r = raw_mprotect(addr, len, prot);
			ok = r == 0 || r == -EINVAL;
		} else if (op == 8) {
			name = "vm_stat";
			r = raw_vm_stat(vm_rand(&seed) % 4 ? 0 : (long)(vm_rand(&seed) % 100000),
					out ? out : (uint64_t)&st);
			ok = r == 0 || r == -EFAULT || r == -ESRCH || r == -ENOENT || r == -EPERM;
		} else {
			name = "vm_map_list";
			uint64_t max =
				vm_rand(&seed) % 5 == 0 ? vm_rand(&seed) : vm_rand(&seed) % 5;
			r = raw_map_list(0, out ? out : (uint64_t)ents,
					 out ? max : (max > 4 ? 4 : max), addr);
			ok = (r >= 0 && r <= 256) || r == -EFAULT;
		}
		int broken = vm_check_map();
		succeeded += r >= 0;
		if (raw_vm_stat(0, (uint64_t)&st) == 0 && st.map_entries > most_entries)
			most_entries = st.map_entries;
		if (!ok || broken) {
			printf("# call %d (seed %#lx): %s(%#lx, %#lx, prot %#lx, flags %#lx) = %ld%s\n",
			       i, (unsigned long)SEED, name, (unsigned long)addr,
			       (unsigned long)len, (unsigned long)prot, (unsigned long)flags, r,
			       broken ? ", map check failed" : "");
			bad++;
		}
	}
	printf("# storm: %d calls, %d succeeded, at most %lu map entries\n", CALLS, succeeded,
	       (unsigned long)most_entries);
	CHECK_EQ(bad, 0);
}

static void test_storm(void)
{
	struct vm_stat s0, s1;

	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	memset(&s1, 0, sizeof(s1));
	long g = raw_mmap(0, SANDBOX, PROT_NONE, MAP_GUARD | MAP_ALIGNED(30), -1, 0);
	CHECK(g > 0);
	if (g <= 0)
		return;
	sandbox = (uint64_t)g;
	CHECK_EQ(raw_munmap(sandbox, SANDBOX), 0);
	CHECK_EQ(vm_check_map(), 0); /* its own buffers are resident from here on */
	CHECK_EQ(vm_list_all(0, &before), 0);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s0), 0);
	storm();
	CHECK_EQ(raw_munmap(sandbox, SANDBOX), 0);
	CHECK_EQ(vm_list_all(0, &after), 0);
	CHECK_EQ(raw_vm_stat(0, (uint64_t)&s1), 0);
	CHECK_EQ(after.n, before.n);
	CHECK(!memcmp(after.e, before.e, before.n * sizeof(before.e[0])));
	CHECK_EQ(s1.resident_4k, s0.resident_4k);
	CHECK_EQ(s1.resident_2m, s0.resident_2m);
}

/* Children that wreck their own address space; each must die of a page fault. */
static void wreck(const char *how)
{
	const struct vm_map_ent *text = NULL;
	static struct vm_listing l;

	vm_list_all(0, &l);
	for (size_t i = 0; i < l.n; i++)
		if (l.e[i].flags == VM_ENT_IMAGE && (l.e[i].prot & PROT_EXEC))
			text = &l.e[i];
	if (!text)
		_exit(2);
	uint64_t ts = text->start, tl = text->end - text->start, stack, stack_end;
	if (!vm_stack_range(&stack, &stack_end) || stack_end - stack != 256 * 1024)
		_exit(2);
	long r = -1;
	if (!strcmp(how, "unmap_text"))
		r = raw_munmap(ts, tl);
	else if (!strcmp(how, "unmap_stack"))
		r = raw_munmap(stack, 256 * 1024);
	else if (!strcmp(how, "unmap_everything"))
		r = raw_munmap(USER_MIN_ADDR, USER_TOP - USER_MIN_ADDR);
	else if (!strcmp(how, "none_text"))
		r = raw_mprotect(ts, tl, PROT_NONE);
	else if (!strcmp(how, "none_stack"))
		r = raw_mprotect(stack, 256 * 1024, PROT_NONE);
	else if (!strcmp(how, "map_over_text"))
		r = anon(ts, tl, MAP_FIXED) == (long)ts ? 0 : -1;
	else if (!strcmp(how, "guard_over_stack"))
		r = raw_mmap(stack, 256 * 1024, PROT_NONE, MAP_GUARD | MAP_FIXED, -1, 0) ==
				    (long)stack
			    ? 0
			    : -1;
	_exit(r == 0 ? 100 : 3);
}

int main(int argc, char **argv)
{
	static const char *const wrecks[] = {"unmap_text",      "unmap_stack", "unmap_everything",
					     "none_text",       "none_stack",  "map_over_text",
					     "guard_over_stack"};

	if (argc >= 2) {
		wreck(argv[1]);
		return 101;
	}
	test_storm();
	for (size_t i = 0; i < sizeof(wrecks) / sizeof(wrecks[0]); i++) {
		int st = run_self(argv[0], wrecks[i], NULL);
		if (!KILLED_BY_PF(st))
			printf("# wreck %s: status 0x%x, expected death by page fault\n", wrecks[i],
			       st);
		CHECK(KILLED_BY_PF(st));
	}
	CHECK_EQ(vm_check_map(), 0);
	return utest_result("mmap_hostile");
}
