/*
 * bpf(2) from user space, the system call and the map commands: the size rules (a larger size
 * with a nonzero tail is E2BIG, a smaller one zero-extended, a bad pointer EFAULT), unknown
 * commands, CHECK_ATTR for every command, every map type created and used through bpf(2) with
 * its flags, fd modes, freeze, the per-CPU layout, LRU eviction order, lookup-and-delete, the id
 * listing and GET_FD_BY_ID, map info with short, long and dirty info_len, and maps shared with
 * the native calls. Errors are compared exactly and in Linux's order where two could apply.
 */
#include <sys/mman.h>

#include "bpf_sys_util.h"

#define PAGE 4096ul

/* ---------------------------------------------------------------------------------------------
 * The system call
 */

static void test_size_rules(void)
{
	static uint8_t big[sizeof(union bpf_attr) + 64] __attribute__((aligned(8)));
	union bpf_attr *a = (union bpf_attr *)big;

	memset(big, 0, sizeof(big));
	a->map_type = BPF_MAP_TYPE_ARRAY;
	a->key_size = 4;
	a->value_size = 8;
	a->max_entries = 1;
	/* Larger than the kernel's union with a zero tail: fine. A nonzero byte in it: E2BIG. */
	int fd = bpf(BPF_MAP_CREATE, a, sizeof(big));
	CHECK(fd >= 0);
	close(fd);
	big[sizeof(big) - 1] = 1;
	CHECK_EQ(bpf(BPF_MAP_CREATE, a, sizeof(big)), -E2BIG);
	big[sizeof(big) - 1] = 0;
	big[sizeof(union bpf_attr)] = 1;
	CHECK_EQ(bpf(BPF_MAP_CREATE, a, sizeof(big)), -E2BIG);
	big[sizeof(union bpf_attr)] = 0;
	/* Above a page: E2BIG however zero (Linux's "silly large"), before anything is read. */
	CHECK_EQ(bpf(BPF_MAP_CREATE, a, 4097), -E2BIG);
	CHECK_EQ(bpf(BPF_MAP_CREATE, (void *)KERNEL_TEXT, 1u << 31), -E2BIG);

	/* Smaller: zero-extended, whatever follows in memory. */
	uint8_t dirty[sizeof(union bpf_attr)];
	memset(dirty, 0xff, sizeof(dirty));
	memcpy(dirty, a, offsetof(union bpf_attr, map_flags));
	fd = bpf(BPF_MAP_CREATE, (union bpf_attr *)dirty, offsetof(union bpf_attr, map_flags));
	CHECK(fd >= 0);
	close(fd);
	/* Size 0: an all-zero block (map type 0 is EINVAL), even from a NULL pointer. */
	CHECK_EQ(bpf(BPF_MAP_CREATE, NULL, 0), -EINVAL);

	/* Bad pointers: EFAULT. */
	CHECK_EQ(bpf(BPF_MAP_CREATE, NULL, sizeof(*a)), -EFAULT);
	CHECK_EQ(bpf(BPF_MAP_CREATE, (void *)KERNEL_TEXT, sizeof(*a)), -EFAULT);
	CHECK_EQ(bpf(BPF_MAP_CREATE, (void *)DIRECT_MAP, 8), -EFAULT);
	CHECK_EQ(bpf(BPF_MAP_CREATE, (void *)(USER_TOP - 8), sizeof(*a)), -EFAULT);
	/* The tail beyond the union runs into an unmapped page: EFAULT, not E2BIG. */
	uint8_t *pg = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
	CHECK(pg != MAP_FAILED);
	CHECK_EQ(munmap(pg + PAGE, PAGE), 0);
	union bpf_attr *edge = (union bpf_attr *)(pg + PAGE - sizeof(*a));
	memcpy(edge, a, sizeof(*a));
	CHECK_EQ(bpf(BPF_MAP_CREATE, edge, sizeof(*a) + 8), -EFAULT);
	fd = bpf(BPF_MAP_CREATE, edge, sizeof(*a));
	CHECK(fd >= 0);
	close(fd);
	munmap(pg, PAGE);
}

static void test_unknown_cmds(void)
{
	static const int cmds[] = {-1,           BPF_OBJ_PIN,     BPF_OBJ_GET,      BPF_PROG_ATTACH,
				   BPF_BTF_LOAD, BPF_PROG_DETACH, BPF_TOKEN_CREATE, __MAX_BPF_CMD,
				   1000,         1 << 30};
	union bpf_attr a;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		memset(&a, 0, sizeof(a));
		CHECK_EQ(bpf(cmds[i], &a, sizeof(a)), -EINVAL);
	}
	/* The attributes are copied (EFAULT) before the command is looked at, as Linux. */
	CHECK_EQ(bpf(1000, (void *)KERNEL_TEXT, sizeof(a)), -EFAULT);
	/* The command is an int: the upper half of the register is ignored. */
	memset(&a, 0, sizeof(a));
	CHECK_EQ(__syscall6(SYS_bpf, 1l << 32 | BPF_MAP_CREATE, (long)&a, sizeof(a), 0, 0, 0),
		 -EINVAL);
}

/* A byte past each command's last field makes it EINVAL before anything else (CHECK_ATTR). */
static void test_check_attr(void)
{
	static const struct {
		int cmd;
		size_t end;
	} cmds[] = {
		{BPF_MAP_LOOKUP_ELEM, ATTR_END(flags)},
		{BPF_MAP_UPDATE_ELEM, ATTR_END(flags)},
		{BPF_MAP_DELETE_ELEM, ATTR_END(key)},
		{BPF_MAP_GET_NEXT_KEY, ATTR_END(next_key)},
		{BPF_MAP_LOOKUP_AND_DELETE_ELEM, ATTR_END(flags)},
		{BPF_MAP_FREEZE, ATTR_END(map_fd)},
		{BPF_PROG_TEST_RUN, ATTR_END(test.batch_size)},
		{BPF_PROG_GET_NEXT_ID, ATTR_END(next_id)},
		{BPF_MAP_GET_NEXT_ID, ATTR_END(next_id)},
		{BPF_PROG_GET_FD_BY_ID, ATTR_END(prog_id)},
		{BPF_MAP_GET_FD_BY_ID, ATTR_END(open_flags)},
		{BPF_OBJ_GET_INFO_BY_FD, ATTR_END(info.info)},
		{BPF_MAP_CREATE, ATTR_END(map_token_fd)},
	};
	int fd = map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, 0);
	uint32_t k = 1;
	uint64_t v = 7;

	CHECK(fd >= 0);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, 0), 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.map_fd = (uint32_t)fd; /* also bpf_fd, prog_fd, start_id: valid enough for each */
		a.key = (uint64_t)(uintptr_t)&k;
		a.value = (uint64_t)(uintptr_t)&v;
		if (cmds[i].end >= sizeof(a))
			continue;
		((uint8_t *)&a)[cmds[i].end] = 1;
		CHECK_EQ(sys_bpf(cmds[i].cmd, &a), -EINVAL);
		((uint8_t *)&a)[cmds[i].end] = 0;
		((uint8_t *)&a)[sizeof(a) - 1] = 0x80;
		CHECK_EQ(sys_bpf(cmds[i].cmd, &a), -EINVAL);
	}
	/* DELETE has no flags: nonzero flags are past its last field. */
	CHECK_EQ(map_elem(BPF_MAP_DELETE_ELEM, fd, &k, NULL, 1), -EINVAL);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, fd, &k, &v, 0), 0);
	CHECK_EQ(v, 7);
	close(fd);
}

/* ---------------------------------------------------------------------------------------------
 * Map creation
 */

static void test_map_create(void)
{
	int ids_before = count_ids(BPF_MAP_GET_NEXT_ID);
	static const uint32_t types[] = {BPF_MAP_TYPE_HASH,        BPF_MAP_TYPE_ARRAY,
					 BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
					 BPF_MAP_TYPE_LRU_HASH,    BPF_MAP_TYPE_LRU_PERCPU_HASH};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int fd = map_create(types[i], 4, 16, 8, 0);
		CHECK(fd >= 0);
		struct bpf_map_info info;
		memset(&info, 0, sizeof(info));
		CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), 0);
		CHECK_EQ(info.type, types[i]);
		CHECK(info.id > 0);
		CHECK_EQ(info.key_size, 4);
		CHECK_EQ(info.value_size, 16);
		CHECK_EQ(info.max_entries, 8);
		close(fd);
	}
	static const struct {
		uint32_t type, ks, vs, max, flags;
		int want;
	} bad[] = {
		{BPF_MAP_TYPE_UNSPEC, 4, 8, 1, 0, -EINVAL},
		{BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 1, 0, -EINVAL},
		{BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, -EINVAL},
		{__MAX_BPF_MAP_TYPE, 4, 8, 1, 0, -EINVAL},
		{BPF_MAP_TYPE_HASH, 4, 8, 1, BPF_F_RDONLY | BPF_F_WRONLY, -EINVAL},
		{BPF_MAP_TYPE_HASH, 4, 8, 1, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG, -EINVAL},
		{BPF_MAP_TYPE_HASH, 4, 8, 1, BPF_F_MMAPABLE, -EINVAL},
		{BPF_MAP_TYPE_HASH, 4, 8, 1, 1u << 30, -EINVAL},
		{BPF_MAP_TYPE_ARRAY, 8, 8, 1, 0, -EINVAL},
		{BPF_MAP_TYPE_LRU_HASH, 4, 8, 1, BPF_F_NO_PREALLOC, -ENOTSUPP},
		{BPF_MAP_TYPE_LRU_HASH, 4, 8, 1, BPF_F_NO_COMMON_LRU, -EINVAL},
		{BPF_MAP_TYPE_HASH, 513, 8, 1, 0, -E2BIG},
		{BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, BPF_F_MMAPABLE, -EINVAL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = map_create(bad[i].type, bad[i].ks, bad[i].vs, bad[i].max, bad[i].flags);
		if (r != bad[i].want)
			printf("# bad map %zu: got %d, want %d\n", i, r, bad[i].want);
		CHECK_EQ(r, bad[i].want);
		if (r >= 0)
			close(r);
	}

	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = 2;
	/* Names: letters, digits, '_' and '.', NUL-terminated within 16 bytes. */
	memcpy(a.map_name, "bad-name", 9);
	CHECK_EQ(sys_bpf(BPF_MAP_CREATE, &a), -EINVAL);
	memset(a.map_name, 'a', sizeof(a.map_name));
	CHECK_EQ(sys_bpf(BPF_MAP_CREATE, &a), -EINVAL);
	memset(a.map_name, 0, sizeof(a.map_name));
	memcpy(a.map_name, "my_map.1", 9);
	int fd = sys_bpf(BPF_MAP_CREATE, &a);
	CHECK(fd >= 0);
	struct bpf_map_info info;
	CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), 0);
	CHECK(!strcmp(info.name, "my_map.1"));
	close(fd);
	memset(a.map_name, 0, sizeof(a.map_name));
	/* map_extra is for bloom filters and arenas only. */
	a.map_extra = 1;
	CHECK_EQ(sys_bpf(BPF_MAP_CREATE, &a), -EINVAL);
	a.map_extra = 0;
	/* BTF: a key type without a value type, or a vmlinux value type, is EINVAL first. */
	a.btf_key_type_id = 1;
	CHECK_EQ(sys_bpf(BPF_MAP_CREATE, &a), -EINVAL);
	a.btf_key_type_id = 0;
	a.btf_vmlinux_value_type_id = 1;
	CHECK_EQ(sys_bpf(BPF_MAP_CREATE, &a), -EINVAL);
	a.btf_vmlinux_value_type_id = 0;
	/* A value type needs a BTF object: fd 40 is not open (EBADF), fd 1 is no BTF (EINVAL). */
	a.btf_value_type_id = 2;
	a.btf_fd = 40;
	CHECK_EQ(sys_bpf(BPF_MAP_CREATE, &a), -EBADF);
	a.btf_fd = 1;
	CHECK_EQ(sys_bpf(BPF_MAP_CREATE, &a), -EINVAL);
	a.btf_value_type_id = 0;
	a.btf_fd = 0;
	/* No device to offload to; and the type's own errors come before that. */
	a.map_ifindex = 1;
	CHECK_EQ(sys_bpf(BPF_MAP_CREATE, &a), -EINVAL);
	a.key_size = 8;
	CHECK_EQ(sys_bpf(BPF_MAP_CREATE, &a), -EINVAL);
	CHECK_EQ(count_ids(BPF_MAP_GET_NEXT_ID),
		 ids_before); /* nothing failed halfway stays behind */
}

/* ---------------------------------------------------------------------------------------------
 * Element commands
 */

static void test_elem_errors(void)
{
	int fd = map_create(BPF_MAP_TYPE_HASH, 4, 8, 2, 0);
	uint32_t k = 1, k2 = 2, k3 = 3, next;
	uint64_t v = 10, out = 0;

	CHECK(fd >= 0);
	/* Bad fds, and fds that are not maps. */
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, 40, &k, &out, 0), -EBADF);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, -1, &k, &v, 0), -EBADF);
	CHECK_EQ(map_elem(BPF_MAP_DELETE_ELEM, 1, &k, NULL, 0), -EINVAL);
	CHECK_EQ(map_elem(BPF_MAP_GET_NEXT_KEY, 2, NULL, &next, 0), -EINVAL);
	CHECK_EQ(map_elem(BPF_MAP_FREEZE, 2, NULL, NULL, 0), -EINVAL);
	/* Lookups refuse unknown flags before looking at the fd; BPF_F_LOCK after (no spin lock). */
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, 40, &k, &out, 8), -EINVAL);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, 40, &k, &out, 1), -EINVAL);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, 40, &k, &out, BPF_F_LOCK), -EBADF);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, fd, &k, &out, BPF_F_LOCK), -EINVAL);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, NULL, &v, BPF_F_LOCK),
		 -EINVAL); /* before the key */
	/* Updates check their flags after the copies: EFAULT first. */
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, NULL, &v, 3), -EFAULT);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, 3), -EINVAL);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, BPF_EXIST), -ENOENT);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, BPF_NOEXIST), 0);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, BPF_NOEXIST), -EEXIST);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k2, &v, BPF_ANY), 0);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k3, &v, BPF_ANY), -E2BIG);
	/* Bad pointers. */
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, fd, (void *)KERNEL_TEXT, &out, 0), -EFAULT);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, fd, &k, (void *)KERNEL_TEXT, 0), -EFAULT);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k, (void *)(USER_TOP - 4), 0), -EFAULT);
	CHECK_EQ(map_elem(BPF_MAP_DELETE_ELEM, fd, (void *)UNMAPPED_LOW, NULL, 0), -EFAULT);
	CHECK_EQ(map_elem(BPF_MAP_GET_NEXT_KEY, fd, NULL, (void *)DIRECT_MAP, 0), -EFAULT);
	/* As Linux, lookup-and-delete deletes before it copies out: the element is gone. */
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, &k, NULL, 0), -EFAULT);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, fd, &k, &out, 0), -ENOENT);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, BPF_NOEXIST), 0);
	/* Walk: NULL or an absent key give the first; the last gives ENOENT. */
	uint32_t first, second;
	CHECK_EQ(map_elem(BPF_MAP_GET_NEXT_KEY, fd, NULL, &first, 0), 0);
	CHECK_EQ(map_elem(BPF_MAP_GET_NEXT_KEY, fd, &k3, &next, 0), 0);
	CHECK_EQ(next, first);
	CHECK_EQ(map_elem(BPF_MAP_GET_NEXT_KEY, fd, &first, &second, 0), 0);
	CHECK_EQ(map_elem(BPF_MAP_GET_NEXT_KEY, fd, &second, &next, 0), -ENOENT);
	/* Lookup and delete: the value, then the element is gone. */
	v = 0;
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, &k2, &v, 0), 0);
	CHECK_EQ(v, 10);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, &k2, &v, 0), -ENOENT);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, &k2, &v, BPF_F_LOCK), -EINVAL);
	CHECK_EQ(map_elem(BPF_MAP_DELETE_ELEM, fd, &k, NULL, 0), 0);
	CHECK_EQ(map_elem(BPF_MAP_DELETE_ELEM, fd, &k, NULL, 0), -ENOENT);
	close(fd);

	/* Arrays: no delete (EINVAL), no lookup-and-delete (ENOTSUPP, after the key copy). */
	fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 2, 0);
	CHECK(fd >= 0);
	CHECK_EQ(map_elem(BPF_MAP_DELETE_ELEM, fd, &k, NULL, 0), -EINVAL);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, (void *)KERNEL_TEXT, &v, 0), -EFAULT);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, &k, &v, 0), -ENOTSUPP);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k3, &v, 0), -E2BIG);
	close(fd);
}

/* BPF_F_RDONLY / BPF_F_WRONLY fds, and GET_FD_BY_ID's open_flags. */
static void test_fd_modes(void)
{
	int ro = map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_RDONLY);
	uint32_t k = 1, next;
	uint64_t v = 5;
	struct bpf_map_info info;

	CHECK(ro >= 0);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, ro, &k, &v, 0), -EPERM);
	CHECK_EQ(map_elem(BPF_MAP_DELETE_ELEM, ro, &k, NULL, 0), -EPERM);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, ro, &k, &v, 0), -EPERM);
	CHECK_EQ(map_elem(BPF_MAP_FREEZE, ro, NULL, NULL, 0), -EPERM);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, ro, &k, &v, 0), -ENOENT);
	CHECK_EQ(bpf_map_update_elem(ro, &k, &v, 0), -EPERM); /* the native call on the same fd */
	CHECK_EQ(obj_info(ro, &info, sizeof(info), NULL), 0);
	CHECK_EQ(info.map_flags & (BPF_F_RDONLY | BPF_F_WRONLY), 0); /* the fd's, not the map's */

	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_id = info.id;
	a.open_flags = BPF_F_RDONLY | BPF_F_WRONLY;
	CHECK_EQ(sys_bpf(BPF_MAP_GET_FD_BY_ID, &a), -EINVAL);
	a.open_flags = BPF_F_RDONLY_PROG;
	CHECK_EQ(sys_bpf(BPF_MAP_GET_FD_BY_ID, &a), -EINVAL);
	a.open_flags = BPF_F_WRONLY;
	int wo = sys_bpf(BPF_MAP_GET_FD_BY_ID, &a);
	CHECK(wo >= 0);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, wo, &k, &v, 0), 0);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, wo, &k, &v, 0), -EPERM);
	CHECK_EQ(map_elem(BPF_MAP_GET_NEXT_KEY, wo, NULL, &next, 0), -EPERM);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, wo, &k, &v, 0), -EPERM);
	v = 0;
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, ro, &k, &v, 0), 0); /* the same map */
	CHECK_EQ(v, 5);
	a.open_flags = 0;
	int rw = sys_bpf(BPF_MAP_GET_FD_BY_ID, &a);
	CHECK(rw >= 0);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, rw, &k, &v, 0), 0);
	close(ro);
	close(wo);
	close(rw);
}

static void test_freeze(void)
{
	int fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 2, 0);
	uint32_t k = 1;
	uint64_t v = 3, out = 0;

	CHECK(fd >= 0);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, 0), 0);
	CHECK_EQ(map_elem(BPF_MAP_FREEZE, 40, NULL, NULL, 0), -EBADF);
	CHECK_EQ(map_elem(BPF_MAP_FREEZE, fd, NULL, NULL, 0), 0);
	CHECK_EQ(map_elem(BPF_MAP_FREEZE, fd, NULL, NULL, 0), -EBUSY);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, 0), -EPERM);
	CHECK_EQ(bpf_map_update_elem(fd, &k, &v, 0), -EPERM);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, fd, &k, &out, 0), 0);
	CHECK_EQ(out, 3);
	close(fd);
	fd = map_create(BPF_MAP_TYPE_HASH, 4, 8, 2, 0);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, 0), 0);
	CHECK_EQ(map_elem(BPF_MAP_FREEZE, fd, NULL, NULL, 0), 0);
	CHECK_EQ(map_elem(BPF_MAP_DELETE_ELEM, fd, &k, NULL, 0), -EPERM);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, &k, &out, 0), -EPERM);
	close(fd);
}

/*
 * Per-CPU maps in user space: one value per possible CPU, each rounded up to 8 bytes. The number
 * of possible CPUs is learnt from the kernel (the 8-byte slots a lookup writes), not assumed.
 */
static void test_percpu_layout(void)
{
	static uint64_t buf[64 + 1];
	uint32_t k = 0, ncpu = 0;

	int fd = map_create(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, 0);
	CHECK(fd >= 0);
	memset(buf, 0xaa, sizeof(buf));
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, fd, &k, buf, 0), 0);
	while (ncpu < 64 && buf[ncpu] == 0)
		ncpu++;
	CHECK(ncpu >= 1);
	CHECK_EQ(buf[ncpu], 0xaaaaaaaaaaaaaaaaull);
	close(fd);

	/* value_size 3: each CPU's value at a multiple of 8, the padding zero. */
	int hfd = map_create(BPF_MAP_TYPE_PERCPU_HASH, 4, 3, 4, 0);
	int lfd = map_create(BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 3, 4, 0);
	int afd = map_create(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 3, 4, 0);
	int fds[] = {hfd, lfd, afd};
	for (int f = 0; f < 3; f++) {
		CHECK(fds[f] >= 0);
		uint8_t in[64 * 8], out[64 * 8 + 8];
		memset(in, 0, sizeof(in));
		for (uint32_t c = 0; c < ncpu; c++) {
			in[c * 8] = (uint8_t)(c + 1);
			in[c * 8 + 2] = 0x5a;
		}
		k = 2;
		CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fds[f], &k, in, 0), 0);
		memset(out, 0xee, sizeof(out));
		CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, fds[f], &k, out, 0), 0);
		CHECK_EQ(memcmp(in, out, ncpu * 8), 0);
		CHECK_EQ(out[ncpu * 8], 0xee); /* nothing past the last CPU's slot */
		close(fds[f]);
	}
}

/* LRU maps evict the least recently used element; an update marks it used, a syscall lookup not. */
static void test_lru_order(void)
{
	int fd = map_create(BPF_MAP_TYPE_LRU_HASH, 4, 8, 4, 0);
	uint64_t v = 0;

	CHECK(fd >= 0);
	for (uint32_t k = 1; k <= 4; k++)
		CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, 0), 0);
	uint32_t k = 1;
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, fd, &k, &v, 0), 0); /* not a use */
	k = 2;
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, BPF_EXIST),
		 0); /* a use: order 1 3 4 2 */
	k = 5;
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, 0), 0); /* evicts 1 */
	k = 6;
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, 0), 0); /* evicts 3 */
	static const struct {
		uint32_t key;
		int want;
	} after[] = {{1, -ENOENT}, {2, 0}, {3, -ENOENT}, {4, 0}, {5, 0}, {6, 0}};
	for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++)
		CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, fd, &after[i].key, &v, 0), after[i].want);
	close(fd);
}

/* ---------------------------------------------------------------------------------------------
 * Ids and info
 */

static uint32_t map_id(int fd)
{
	struct bpf_map_info info;

	memset(&info, 0, sizeof(info));
	return obj_info(fd, &info, sizeof(info), NULL) ? 0 : info.id;
}

static void test_ids(void)
{
	int fds[3];
	uint32_t ids[3];
	union bpf_attr a;

	int before = count_ids(BPF_MAP_GET_NEXT_ID);
	for (int i = 0; i < 3; i++) {
		fds[i] = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
		ids[i] = map_id(fds[i]);
		CHECK(ids[i] > 0);
		CHECK(i == 0 || ids[i] > ids[i - 1]);
	}
	CHECK_EQ(count_ids(BPF_MAP_GET_NEXT_ID), before + 3);
	/* The next id after ids[0] is ids[1] (nothing else is created meanwhile). */
	memset(&a, 0, sizeof(a));
	a.start_id = ids[0];
	CHECK_EQ(sys_bpf(BPF_MAP_GET_NEXT_ID, &a), 0);
	CHECK_EQ(a.next_id, ids[1]);
	a.start_id = ids[2];
	a.next_id = 0;
	CHECK_EQ(sys_bpf(BPF_MAP_GET_NEXT_ID, &a), -ENOENT);
	a.start_id = 0x7fffffff;
	CHECK_EQ(sys_bpf(BPF_MAP_GET_NEXT_ID, &a), -EINVAL);
	a.start_id = 0xffffffff;
	CHECK_EQ(sys_bpf(BPF_MAP_GET_NEXT_ID, &a), -EINVAL);
	a.start_id = 0;
	CHECK_EQ(bpf(BPF_MAP_GET_NEXT_ID, (void *)KERNEL_TEXT, sizeof(a)), -EFAULT);
	/* The next id is written back into the caller's attributes: a read-only block is EFAULT. */
	union bpf_attr *ro =
		mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
	memset(ro, 0, sizeof(*ro));
	mprotect(ro, PAGE, PROT_READ);
	CHECK_EQ(sys_bpf(BPF_MAP_GET_NEXT_ID, ro), -EFAULT);
	munmap(ro, PAGE);

	/* GET_FD_BY_ID: another fd for the same map; id 0 and ids not in use are ENOENT. */
	memset(&a, 0, sizeof(a));
	a.map_id = ids[1];
	int fd = sys_bpf(BPF_MAP_GET_FD_BY_ID, &a);
	CHECK(fd >= 0);
	CHECK_EQ(map_id(fd), ids[1]);
	uint32_t k = 0;
	uint64_t v = 77, out = 0;
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, fd, &k, &v, 0), 0);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, fds[1], &k, &out, 0), 0);
	CHECK_EQ(out, 77);
	a.map_id = 0;
	CHECK_EQ(sys_bpf(BPF_MAP_GET_FD_BY_ID, &a), -ENOENT);
	a.map_id = 0x7ffffff0;
	CHECK_EQ(sys_bpf(BPF_MAP_GET_FD_BY_ID, &a), -ENOENT);
	/* The id lives while a reference does: the second fd keeps it after the first closes. */
	close(fds[1]);
	CHECK_EQ(map_id(fd), ids[1]);
	close(fd);
	a.map_id = ids[1];
	CHECK_EQ(sys_bpf(BPF_MAP_GET_FD_BY_ID, &a), -ENOENT);
	close(fds[0]);
	close(fds[2]);
	CHECK_EQ(count_ids(BPF_MAP_GET_NEXT_ID), before);
	/* A program id is never a map id's business. */
	a.prog_id = ids[0];
	CHECK_EQ(sys_bpf(BPF_PROG_GET_FD_BY_ID, &a), -ENOENT);
}

static void test_map_info(void)
{
	int fd = map_create(BPF_MAP_TYPE_LRU_HASH, 8, 24, 32, BPF_F_RDONLY_PROG);
	struct bpf_map_info info;
	uint32_t len = 0;
	static uint8_t big[sizeof(struct bpf_map_info) + 32];

	CHECK(fd >= 0);
	memset(&info, 0xcc, sizeof(info));
	CHECK_EQ(obj_info(fd, &info, sizeof(info), &len), 0);
	CHECK_EQ(len, sizeof(info));
	CHECK_EQ(info.type, BPF_MAP_TYPE_LRU_HASH);
	CHECK_EQ(info.key_size, 8);
	CHECK_EQ(info.value_size, 24);
	CHECK_EQ(info.max_entries, 32);
	CHECK_EQ(info.map_flags, BPF_F_RDONLY_PROG);
	CHECK_EQ(info.btf_id, 0);
	CHECK_EQ(info.map_extra, 0);
	uint32_t id = info.id;
	/* Shorter: only that much is written, and info_len says so. */
	memset(&info, 0xcc, sizeof(info));
	CHECK_EQ(obj_info(fd, &info, 8, &len), 0);
	CHECK_EQ(len, 8);
	CHECK_EQ(info.type, BPF_MAP_TYPE_LRU_HASH);
	CHECK_EQ(info.id, id);
	CHECK_EQ(info.key_size, 0xcccccccc);
	CHECK_EQ(obj_info(fd, &info, 0, &len), 0);
	CHECK_EQ(len, 0);
	/* Longer: the excess must be zero (else E2BIG), and only sizeof is written. */
	memset(big, 0, sizeof(big));
	CHECK_EQ(obj_info(fd, big, sizeof(big), &len), 0);
	CHECK_EQ(len, sizeof(struct bpf_map_info));
	big[sizeof(big) - 1] = 1;
	CHECK_EQ(obj_info(fd, big, sizeof(big), &len), -E2BIG);
	CHECK_EQ(obj_info(fd, big, 4097, &len), -E2BIG);
	/* Bad pointers, bad fds (EBADFD, as Linux), fds of another kind. */
	CHECK_EQ(obj_info(fd, (void *)KERNEL_TEXT, sizeof(info), &len), -EFAULT);
	CHECK_EQ(obj_info(fd, NULL, sizeof(info), &len), -EFAULT);
	CHECK_EQ(obj_info(40, &info, sizeof(info), &len), -EBADFD);
	CHECK_EQ(obj_info(-1, &info, sizeof(info), &len), -EBADFD);
	CHECK_EQ(obj_info(1, &info, sizeof(info), &len), -EINVAL);
	close(fd);
}

/* Maps made by bpf(2) work with the native calls and the other way round: one map layer. */
static void test_native_interop(void)
{
	int fd = map_create(BPF_MAP_TYPE_HASH, 4, 8, 8, 0);
	int nfd = bpf_native_map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 4);
	uint32_t k = 3;
	uint64_t v = 33, out = 0;

	CHECK(fd >= 0 && nfd >= 0);
	CHECK_EQ(bpf_map_update_elem(fd, &k, &v, BPF_ANY), 0);
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, fd, &k, &out, 0), 0);
	CHECK_EQ(out, 33);
	CHECK_EQ(map_elem(BPF_MAP_UPDATE_ELEM, nfd, &k, &v, 0), 0);
	out = 0;
	CHECK_EQ(bpf_map_lookup_elem(nfd, &k, &out), 0);
	CHECK_EQ(out, 33);
	CHECK(map_id(nfd) > 0);
	close(fd);
	close(nfd);
}

int main(void)
{
	test_size_rules();
	test_unknown_cmds();
	test_check_attr();
	test_map_create();
	test_elem_errors();
	test_fd_modes();
	test_freeze();
	test_percpu_layout();
	test_lru_order();
	test_ids();
	test_map_info();
	test_native_interop();
	return utest_result("bpf_syscall");
}
