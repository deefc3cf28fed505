/*
 * The map system calls through file descriptors: create's shape errors, every error code of
 * update, lookup, delete and next_key (Linux's), hostile pointers, the fd life cycle (close,
 * EMFILE, a wrong-type fd), and maps left open by a task that exits (freed with it: the runner's
 * frame count and the kernel's leak test check that).
 */
#include <stdlib.h>

#include "bpf_util.h"

#define FD_LIMIT 64 /* descriptors per task (kernel/fd.h FD_MAX) */

static void test_create(void)
{
	const struct {
		long type, ks, vs, max, want;
	} cases[] = {
		{0, 4, 8, 4, -EINVAL},
		{3, 4, 8, 4, -EINVAL},
		{-1, 4, 8, 4, -EINVAL},
		{1l << 32 | 1, 4, 8, 4, -EINVAL},
		{BPF_MAP_TYPE_HASH, 0, 8, 4, -EINVAL},
		{BPF_MAP_TYPE_HASH, 4, 0, 4, -EINVAL},
		{BPF_MAP_TYPE_HASH, 4, 8, 0, -EINVAL},
		{BPF_MAP_TYPE_ARRAY, 8, 8, 4, -EINVAL},
		{BPF_MAP_TYPE_ARRAY, 0, 8, 4, -EINVAL},
		{BPF_MAP_TYPE_HASH, 513, 8, 4, -E2BIG},
		{BPF_MAP_TYPE_HASH, 4, (64 << 10) + 1, 4, -E2BIG},
		{BPF_MAP_TYPE_HASH, 4, 8, (1 << 20) + 1, -E2BIG},
		{BPF_MAP_TYPE_HASH, 1l << 32 | 4, 8, 4, -E2BIG},
		{BPF_MAP_TYPE_HASH, 4, 1l << 32 | 8, 4, -E2BIG},
		{BPF_MAP_TYPE_ARRAY, 4, 8, 1l << 32 | 4, -E2BIG},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long r = __syscall6(SYS_bpf_map_create, cases[i].type, cases[i].ks, cases[i].vs,
				    cases[i].max, 0, 0);
		if (r != cases[i].want)
			printf("# create case %zu: got %ld, want %ld\n", i, r, cases[i].want);
		CHECK_EQ(r, cases[i].want);
		if (r >= 0)
			close((int)r);
	}
	int fd = bpf_native_map_create(BPF_MAP_TYPE_HASH, 512, 64 << 10, 2);
	CHECK(fd >= 0);
	CHECK_EQ(close(fd), 0);
	CHECK_EQ(close(fd), -1);
}

static void test_hash_errors(void)
{
	int fd = bpf_native_map_create(BPF_MAP_TYPE_HASH, sizeof(uint32_t), sizeof(uint64_t), 2);
	uint32_t k = 1, k2 = 2, k3 = 3, next;
	uint64_t v = 11, out = 0;

	CHECK(fd >= 0);
	CHECK_EQ(bpf_map_lookup_elem(fd, &k, &out), -ENOENT);
	CHECK_EQ(bpf_map_update_elem(fd, &k, &v, BPF_EXIST), -ENOENT);
	CHECK_EQ(bpf_map_update_elem(fd, &k, &v, 3), -EINVAL);
	CHECK_EQ(bpf_map_update_elem(fd, &k, &v, ~0ul), -EINVAL);
	CHECK_EQ(bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), 0);
	CHECK_EQ(bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), -EEXIST);
	v = 12;
	CHECK_EQ(bpf_map_update_elem(fd, &k, &v, BPF_EXIST), 0);
	CHECK_EQ(bpf_map_lookup_elem(fd, &k, &out), 0);
	CHECK_EQ(out, 12);
	CHECK_EQ(bpf_map_update_elem(fd, &k2, &v, BPF_ANY), 0);
	CHECK_EQ(bpf_map_update_elem(fd, &k3, &v, BPF_ANY), -E2BIG); /* full */
	CHECK_EQ(bpf_map_update_elem(fd, &k2, &v, BPF_ANY), 0); /* overwriting a full map is fine */

	/* next_key: NULL or an absent key gives the first; every key once; the last gives ENOENT. */
	uint32_t first, second;
	CHECK_EQ(bpf_map_get_next_key(fd, NULL, &first), 0);
	CHECK_EQ(bpf_map_get_next_key(fd, &k3, &next), 0);
	CHECK_EQ(next, first);
	CHECK_EQ(bpf_map_get_next_key(fd, &first, &second), 0);
	CHECK((first == 1 && second == 2) || (first == 2 && second == 1));
	CHECK_EQ(bpf_map_get_next_key(fd, &second, &next), -ENOENT);

	CHECK_EQ(bpf_map_delete_elem(fd, &k3), -ENOENT);
	CHECK_EQ(bpf_map_delete_elem(fd, &k), 0);
	CHECK_EQ(bpf_map_delete_elem(fd, &k), -ENOENT);
	CHECK_EQ(bpf_map_lookup_elem(fd, &k, &out), -ENOENT);
	CHECK_EQ(bpf_map_update_elem(fd, &k3, &v, BPF_ANY), 0); /* room again */

	/* Hostile pointers: EFAULT, and nothing changed. */
	CHECK_EQ(bpf_map_update_elem(fd, NULL, &v, BPF_ANY), -EFAULT);
	CHECK_EQ(bpf_map_update_elem(fd, &k, NULL, BPF_ANY), -EFAULT);
	CHECK_EQ(bpf_map_update_elem(fd, (void *)KERNEL_TEXT, &v, BPF_ANY), -EFAULT);
	CHECK_EQ(bpf_map_update_elem(fd, &k, (void *)(USER_TOP - 4), BPF_ANY), -EFAULT);
	CHECK_EQ(bpf_map_lookup_elem(fd, &k2, NULL), -EFAULT);
	CHECK_EQ(bpf_map_lookup_elem(fd, &k2, (void *)DIRECT_MAP), -EFAULT);
	CHECK_EQ(bpf_map_lookup_elem(fd, (void *)UNMAPPED_LOW, &out), -EFAULT);
	CHECK_EQ(bpf_map_delete_elem(fd, (void *)-8l), -EFAULT);
	/* From NULL there is always a next key (the first); after k2 there may be none (ENOENT). */
	CHECK_EQ(bpf_map_get_next_key(fd, NULL, (void *)KERNEL_TEXT), -EFAULT);
	CHECK_EQ(bpf_map_get_next_key(fd, (void *)KERNEL_TEXT, &next), -EFAULT);
	CHECK_EQ(bpf_map_lookup_elem(fd, &k, &out), -ENOENT);
	CHECK_EQ(close(fd), 0);
}

static void test_array_errors(void)
{
	int fd = bpf_native_map_create(BPF_MAP_TYPE_ARRAY, sizeof(uint32_t), 3,
				       4); /* odd value size */
	uint32_t k = 2, far = 4, next;
	uint8_t v[3] = {1, 2, 3}, out[3] = {9, 9, 9};

	CHECK(fd >= 0);
	CHECK_EQ(bpf_map_lookup_elem(fd, &k, out), 0);
	CHECK(out[0] == 0 && out[1] == 0 && out[2] == 0);
	CHECK_EQ(bpf_map_update_elem(fd, &k, v, BPF_NOEXIST), -EEXIST);
	CHECK_EQ(bpf_map_update_elem(fd, &far, v, BPF_ANY), -E2BIG);
	CHECK_EQ(bpf_map_update_elem(fd, &k, v, BPF_EXIST), 0);
	CHECK_EQ(bpf_map_lookup_elem(fd, &k, out), 0);
	CHECK(out[0] == 1 && out[1] == 2 && out[2] == 3);
	CHECK_EQ(bpf_map_lookup_elem(fd, &far, out), -ENOENT);
	CHECK_EQ(bpf_map_delete_elem(fd, &k), -EINVAL);
	CHECK_EQ(bpf_map_get_next_key(fd, NULL, &next), 0);
	CHECK_EQ(next, 0);
	CHECK_EQ(bpf_map_get_next_key(fd, &k, &next), 0);
	CHECK_EQ(next, 3);
	CHECK_EQ(bpf_map_get_next_key(fd, &next, &next), -ENOENT);
	CHECK_EQ(bpf_map_get_next_key(fd, &far, &next), 0); /* out of range: the first */
	CHECK_EQ(next, 0);
	CHECK_EQ(close(fd), 0);
}

static void test_fds(void)
{
	uint32_t k = 0;
	uint64_t v = 0;
	int fds[FD_LIMIT];
	int n = 0;

	static const int bad[] = {-1, 5, 63, 64, 1 << 20};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(bpf_map_update_elem(bad[i], &k, &v, BPF_ANY), -EBADF);
		CHECK_EQ(bpf_map_lookup_elem(bad[i], &k, &v), -EBADF);
		CHECK_EQ(bpf_map_delete_elem(bad[i], &k), -EBADF);
		CHECK_EQ(bpf_map_get_next_key(bad[i], NULL, &k), -EBADF);
	}
	/* fd 1 is the console: not a map. */
	CHECK_EQ(bpf_map_update_elem(1, &k, &v, BPF_ANY), -EINVAL);
	CHECK_EQ(bpf_map_lookup_elem(2, &k, &v), -EINVAL);
	CHECK_EQ(bpf_map_delete_elem(1, &k), -EINVAL);
	CHECK_EQ(bpf_map_get_next_key(1, NULL, &k), -EINVAL);

	/* Fill the table: EMFILE, then every fd works and closes. */
	for (;;) {
		int fd = bpf_native_map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1);
		if (fd < 0) {
			CHECK_EQ(fd, -EMFILE);
			break;
		}
		CHECK(n < FD_LIMIT);
		if (n >= FD_LIMIT)
			break;
		fds[n++] = fd;
	}
	CHECK_EQ(n, FD_LIMIT - 2); /* 1 and 2 are the console */
	for (int i = 0; i < n; i++) {
		v = (uint64_t)i;
		CHECK_EQ(bpf_map_update_elem(fds[i], &k, &v, BPF_ANY), 0);
	}
	for (int i = 0; i < n; i++) {
		CHECK_EQ(bpf_map_lookup_elem(fds[i], &k, &v), 0);
		CHECK_EQ(v, (uint64_t)i);
		CHECK_EQ(close(fds[i]), 0);
	}
}

/* A child that leaves maps open (with elements) when it exits. */
static int role_leave_open(void)
{
	for (uint32_t i = 0; i < 20; i++) {
		int fd = bpf_native_map_create(i & 1 ? BPF_MAP_TYPE_HASH : BPF_MAP_TYPE_ARRAY, 4,
					       256, 1000);
		if (fd < 0)
			return 1;
		for (uint32_t k = 0; k < 1000; k += 3) {
			uint8_t v[256] = {(uint8_t)k};
			if (bpf_map_update_elem(fd, &k, v, BPF_ANY))
				return 2;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2)
		return !strcmp(argv[1], "leave_open") ? role_leave_open() : 101;
	test_create();
	test_hash_errors();
	test_array_errors();
	test_fds();
	for (int i = 0; i < 3; i++) {
		int st = run_self(argv[0], "leave_open", NULL);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	return utest_result("bpf_maps");
}
