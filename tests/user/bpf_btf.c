/*
 * BTF through bpf(2), as a loader uses it: the kernel's own BTF found by id and read back with
 * BPF_OBJ_GET_INFO_BY_FD (id 1, kernel_btf, "vmlinux", the raw blob); BPF_BTF_LOAD of a
 * hand-built blob, its id listed and reopened, gone once its last fd closes; every error of the
 * three commands and of the info call, in Linux's order where two could apply; the load log's
 * rules (true size, ENOSPC, a level without a buffer); the key and value types BPF_MAP_CREATE
 * names; and func_info and line_info at BPF_PROG_LOAD, checked against the program's BTF as
 * Linux checks them.
 */
#include "../host/btf_build.h"
#include "bpf_sys_util.h"

static struct btf_builder bb;
static uint8_t blob[8192] __attribute__((aligned(8)));
static char logbuf[4096];

/*
 * A small valid blob: int, struct pair { int a; int b; }, int sum(struct pair *p) and a static
 * helper of the same prototype; for maps, int x in a DATASEC .data, typedef int u32 and
 * struct four { int v; }.
 */
static uint32_t build_blob(void)
{
	bb_init(&bb);
	uint32_t i32 = bb_int(&bb, "int", 4, BTF_INT_SIGNED);           /* 1 */
	uint32_t pair = bb_type(&bb, "pair", BTF_KIND_STRUCT, 0, 2, 8); /* 2 */
	bb_member(&bb, "a", i32, 0);
	bb_member(&bb, "b", i32, 32);
	uint32_t ptr = bb_ref(&bb, BTF_KIND_PTR, NULL, pair);                /* 3 */
	uint32_t proto = bb_type(&bb, NULL, BTF_KIND_FUNC_PROTO, 0, 1, i32); /* 4 */
	bb_word(&bb, bb_str(&bb, "p"));
	bb_word(&bb, ptr);
	bb_type(&bb, "sum", BTF_KIND_FUNC, 0, BTF_FUNC_GLOBAL, proto);    /* 5 */
	bb_type(&bb, "helper", BTF_KIND_FUNC, 0, BTF_FUNC_STATIC, proto); /* 6 */
	uint32_t x = bb_type(&bb, "x", BTF_KIND_VAR, 0, 0, i32);          /* 7 */
	bb_word(&bb, BTF_VAR_GLOBAL_ALLOCATED);
	bb_type(&bb, ".data", BTF_KIND_DATASEC, 0, 1, 4); /* 8 */
	bb_word(&bb, x);
	bb_word(&bb, 0);
	bb_word(&bb, 4);
	bb_ref(&bb, BTF_KIND_TYPEDEF, "u32", i32);      /* 9 */
	bb_type(&bb, "four", BTF_KIND_STRUCT, 0, 1, 4); /* 10 */
	bb_member(&bb, "v", i32, 0);
	bb_str(&bb, "prog.c");
	bb_str(&bb, "return 0;");
	return bb_blob(&bb, blob);
}

/* The offset of s in the blob's string section (build_blob added it). */
static uint32_t str_off(const char *s)
{
	for (uint32_t off = 1; off < bb.nstrs; off += (uint32_t)strlen(bb.strs + off) + 1)
		if (!strcmp(bb.strs + off, s))
			return off;
	return 0;
}

static void btf_load_attr(union bpf_attr *a, const void *data, uint32_t size)
{
	memset(a, 0, sizeof(*a));
	a->btf = (uint64_t)(uintptr_t)data;
	a->btf_size = size;
}

static int btf_load(const void *data, uint32_t size)
{
	union bpf_attr a;

	btf_load_attr(&a, data, size);
	return sys_bpf(BPF_BTF_LOAD, &a);
}

static int btf_fd_by_id(uint32_t id)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.btf_id = id;
	return sys_bpf(BPF_BTF_GET_FD_BY_ID, &a);
}

/* Every BTF id GET_NEXT_ID lists, into ids (up to max): their number. */
static int btf_ids(uint32_t *ids, int max)
{
	union bpf_attr a;
	int n = 0;

	memset(&a, 0, sizeof(a));
	while (sys_bpf(BPF_BTF_GET_NEXT_ID, &a) == 0) {
		if (n < max)
			ids[n] = a.next_id;
		n++;
		a.start_id = a.next_id;
		a.next_id = 0;
	}
	return n;
}

static bool listed(uint32_t id)
{
	uint32_t ids[64];
	int n = btf_ids(ids, 64);

	for (int i = 0; i < n && i < 64; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* ---------------------------------------------------------------------------------------------
 * The kernel's BTF, as libbpf finds it: the first id, kernel_btf set, named "vmlinux"
 */

static uint8_t kraw[1 << 16];

static void test_kernel_btf(void)
{
	uint32_t ids[64];
	struct bpf_btf_info info;
	char name[32];
	uint32_t len;

	CHECK(btf_ids(ids, 64) >= 1);
	CHECK_EQ(ids[0], 1);
	int fd = btf_fd_by_id(1);
	CHECK(fd >= 0);

	/* Sizes only first, as libbpf asks: no buffers. */
	memset(&info, 0, sizeof(info));
	CHECK_EQ(obj_info(fd, &info, sizeof(info), &len), 0);
	CHECK_EQ(len, sizeof(info));
	CHECK_EQ(info.id, 1);
	CHECK_EQ(info.kernel_btf, 1);
	CHECK_EQ(info.name_len, 7);
	CHECK(info.btf_size > 1000 && info.btf_size <= sizeof(kraw));

	/* Then the name and the blob. */
	uint32_t size = info.btf_size;
	memset(&info, 0, sizeof(info));
	info.name = (uint64_t)(uintptr_t)name;
	info.name_len = sizeof(name);
	info.btf = (uint64_t)(uintptr_t)kraw;
	info.btf_size = sizeof(kraw);
	memset(name, 'x', sizeof(name));
	CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), 0);
	CHECK_EQ(strcmp(name, "vmlinux"), 0);
	CHECK_EQ(info.btf_size, size);
	const struct btf_header *h = (const struct btf_header *)kraw;
	CHECK_EQ(h->magic, BTF_MAGIC);
	CHECK_EQ(h->hdr_len + h->type_off + h->type_len, h->str_off + h->hdr_len);
	CHECK_EQ(h->hdr_len + h->str_off + h->str_len, size);

	/* A name buffer too short: the name's start and a NUL, ENOSPC, the rest written. */
	memset(&info, 0, sizeof(info));
	memset(name, 'x', sizeof(name));
	info.name = (uint64_t)(uintptr_t)name;
	info.name_len = 4;
	CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), -ENOSPC);
	CHECK_EQ(strcmp(name, "vml"), 0);
	CHECK_EQ(name[4], 'x');
	CHECK_EQ(info.name_len, 7);
	CHECK_EQ(info.id, 1);
	/* A blob buffer too short: cut, no error, the true size back. */
	memset(&info, 0, sizeof(info));
	memset(kraw, 0, 64);
	info.btf = (uint64_t)(uintptr_t)kraw;
	info.btf_size = 8;
	CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), 0);
	CHECK_EQ(info.btf_size, size);
	CHECK_EQ(((const struct btf_header *)kraw)->magic, BTF_MAGIC);
	CHECK_EQ(kraw[8], 0);

	/* name without name_len and the reverse: EINVAL. */
	memset(&info, 0, sizeof(info));
	info.name = (uint64_t)(uintptr_t)name;
	CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), -EINVAL);
	memset(&info, 0, sizeof(info));
	info.name_len = 8;
	CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), -EINVAL);
	/* Bad pointers: EFAULT. */
	memset(&info, 0, sizeof(info));
	info.btf = (uint64_t)KERNEL_TEXT;
	info.btf_size = 16;
	CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), -EFAULT);
	memset(&info, 0, sizeof(info));
	info.name = (uint64_t)UNMAPPED_LOW;
	info.name_len = 16;
	CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), -EFAULT);
	CHECK_EQ(obj_info(fd, (void *)KERNEL_TEXT, sizeof(info), NULL), -EFAULT);

	/* info_len: shorter is cut (only the first fields written back), longer must be zero. */
	static uint8_t big[sizeof(info) + 16] __attribute__((aligned(8)));
	memset(big, 0, sizeof(big));
	CHECK_EQ(obj_info(fd, big, 16, &len), 0);
	CHECK_EQ(len, 16);
	CHECK_EQ(((struct bpf_btf_info *)big)->id, 1);
	CHECK_EQ(((struct bpf_btf_info *)big)->kernel_btf, 0); /* past info_len: not written */
	memset(big, 0, sizeof(big));
	CHECK_EQ(obj_info(fd, big, sizeof(big), &len), 0);
	CHECK_EQ(len, sizeof(info));
	big[sizeof(big) - 1] = 1;
	CHECK_EQ(obj_info(fd, big, sizeof(big), NULL), -E2BIG);

	/* Each GET_FD_BY_ID is a new fd on the same object; the kernel's outlives them all. */
	int fd2 = btf_fd_by_id(1);
	CHECK(fd2 >= 0 && fd2 != fd);
	close(fd);
	close(fd2);
	CHECK(listed(1));
	fd = btf_fd_by_id(1);
	CHECK(fd >= 0);
	close(fd);
}

/* ---------------------------------------------------------------------------------------------
 * BPF_BTF_LOAD
 */

static void test_load_and_ids(void)
{
	struct bpf_btf_info info;
	uint32_t size = build_blob();
	static uint8_t raw[sizeof(blob)];

	int fd = btf_load(blob, size);
	CHECK(fd >= 0);
	memset(&info, 0, sizeof(info));
	info.btf = (uint64_t)(uintptr_t)raw;
	info.btf_size = sizeof(raw);
	CHECK_EQ(obj_info(fd, &info, sizeof(info), NULL), 0);
	CHECK_EQ(info.btf_size, size);
	CHECK_EQ(memcmp(raw, blob, size), 0);
	CHECK_EQ(info.kernel_btf, 0);
	CHECK_EQ(info.name_len, 0);
	uint32_t id = info.id;
	CHECK(id > 1);
	CHECK(listed(id));

	/* Reopened by id: the same object. A second load is another object with a higher id. */
	int fd2 = btf_fd_by_id(id);
	CHECK(fd2 >= 0);
	memset(&info, 0, sizeof(info));
	CHECK_EQ(obj_info(fd2, &info, sizeof(info), NULL), 0);
	CHECK_EQ(info.id, id);
	int other = btf_load(blob, size);
	CHECK(other >= 0);
	memset(&info, 0, sizeof(info));
	CHECK_EQ(obj_info(other, &info, sizeof(info), NULL), 0);
	CHECK(info.id > id);
	uint32_t other_id = info.id;
	close(other);
	CHECK(!listed(other_id));
	CHECK_EQ(btf_fd_by_id(other_id), -ENOENT);

	/* Alive while any fd is open. */
	close(fd);
	CHECK(listed(id));
	close(fd2);
	CHECK(!listed(id));
	CHECK_EQ(btf_fd_by_id(id), -ENOENT);

	/* A BTF fd is no map and no program. */
	fd = btf_load(blob, size);
	CHECK(fd >= 0);
	uint32_t key = 0;
	uint64_t value;
	CHECK_EQ(map_elem(BPF_MAP_LOOKUP_ELEM, fd, &key, &value, 0), -EINVAL);
	close(fd);
}

static void test_load_errors(void)
{
	union bpf_attr a;
	uint32_t size = build_blob();
	int mfd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);

	CHECK(mfd >= 0);
	/* Flags: unknown ones EINVAL; a token fd that is not open EBADF, or no token EINVAL. */
	btf_load_attr(&a, blob, size);
	a.btf_flags = 1;
	CHECK_EQ(sys_bpf(BPF_BTF_LOAD, &a), -EINVAL);
	a.btf_flags = BPF_F_TOKEN_FD;
	a.btf_token_fd = 60;
	CHECK_EQ(sys_bpf(BPF_BTF_LOAD, &a), -EBADF);
	a.btf_token_fd = mfd;
	CHECK_EQ(sys_bpf(BPF_BTF_LOAD, &a), -EINVAL);
	/* CHECK_ATTR: a byte past btf_token_fd. */
	btf_load_attr(&a, blob, size);
	((uint8_t *)&a)[ATTR_END(btf_token_fd)] = 1;
	CHECK_EQ(sys_bpf(BPF_BTF_LOAD, &a), -EINVAL);

	/* Size above 16 MiB: E2BIG before the log attributes and the data are looked at. */
	btf_load_attr(&a, (void *)KERNEL_TEXT, (16u << 20) + 1);
	a.btf_log_level = 99;
	CHECK_EQ(sys_bpf(BPF_BTF_LOAD, &a), -E2BIG);
	/* The log attributes (Linux 6.4's rule), before the data. */
	static const struct {
		uint32_t level, size;
		bool buf;
	} bad_logs[] = {
		{1, 0, true}, {1, 64, false}, {0, 64, true}, {16, 64, true}, {1, 1u << 30, true}};
	for (size_t i = 0; i < sizeof(bad_logs) / sizeof(bad_logs[0]); i++) {
		btf_load_attr(&a, (void *)KERNEL_TEXT, size);
		a.btf_log_level = bad_logs[i].level;
		a.btf_log_size = bad_logs[i].size;
		a.btf_log_buf = bad_logs[i].buf ? (uint64_t)(uintptr_t)logbuf : 0;
		CHECK_EQ(sys_bpf(BPF_BTF_LOAD, &a), -EINVAL);
	}
	/* The data: unreadable EFAULT; malformed EINVAL; empty EINVAL. */
	CHECK_EQ(btf_load((void *)KERNEL_TEXT, size), -EFAULT);
	CHECK_EQ(btf_load((void *)UNMAPPED_LOW, size), -EFAULT);
	CHECK_EQ(btf_load(NULL, 0), -EINVAL);
	bb_hdr(blob)->magic = 0x1234;
	CHECK_EQ(btf_load(blob, size), -EINVAL);
	size = build_blob();
	CHECK_EQ(btf_load(blob, size - 1), -EINVAL); /* a byte short of what its header says */
	close(mfd);
}

static void test_load_log(void)
{
	union bpf_attr a;
	uint32_t size = build_blob();

	/* The whole log: what the blob holds, and its size with the NUL. */
	btf_load_attr(&a, blob, size);
	a.btf_log_level = 1;
	a.btf_log_buf = (uint64_t)(uintptr_t)logbuf;
	a.btf_log_size = sizeof(logbuf);
	int fd = sys_bpf(BPF_BTF_LOAD, &a);
	CHECK(fd >= 0);
	close(fd);
	CHECK(contains(logbuf, "magic: 0xeb9f"));
	CHECK(contains(logbuf, "[2] STRUCT pair size=8 vlen=2"));
	CHECK(contains(logbuf, "[5] FUNC sum type_id=4"));
	CHECK_EQ(a.btf_log_true_size, strlen(logbuf) + 1);
	uint32_t whole = a.btf_log_true_size;

	/* A level without a buffer: the size only, and success (Linux 6.4). */
	btf_load_attr(&a, blob, size);
	a.btf_log_level = 1;
	fd = sys_bpf(BPF_BTF_LOAD, &a);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(a.btf_log_true_size, whole);

	/* Too small: ENOSPC for a good blob, its end kept (or its start with BPF_LOG_FIXED). */
	static char small[32];
	btf_load_attr(&a, blob, size);
	a.btf_log_level = 1;
	a.btf_log_buf = (uint64_t)(uintptr_t)small;
	a.btf_log_size = sizeof(small);
	CHECK_EQ(sys_bpf(BPF_BTF_LOAD, &a), -ENOSPC);
	CHECK_EQ(a.btf_log_true_size, whole);
	CHECK_EQ(strlen(small), sizeof(small) - 1);
	CHECK_EQ(strcmp(small, logbuf + whole - sizeof(small)), 0);
	a.btf_log_level = 1 | 8;
	CHECK_EQ(sys_bpf(BPF_BTF_LOAD, &a), -ENOSPC);
	CHECK_EQ(strncmp(small, logbuf, sizeof(small) - 1), 0);

	/* A rejection's reason is the log's last line. */
	bb_hdr(blob)->magic = 0x1234;
	btf_load_attr(&a, blob, size);
	a.btf_log_level = 1;
	a.btf_log_buf = (uint64_t)(uintptr_t)logbuf;
	a.btf_log_size = sizeof(logbuf);
	CHECK_EQ(sys_bpf(BPF_BTF_LOAD, &a), -EINVAL);
	CHECK(contains(logbuf, "Invalid magic\n"));

	/* log_true_size is written only when the size given reaches it. */
	size = build_blob();
	btf_load_attr(&a, blob, size);
	a.btf_log_level = 1;
	a.btf_log_buf = (uint64_t)(uintptr_t)logbuf;
	a.btf_log_size = sizeof(logbuf);
	a.btf_log_true_size = 12345;
	fd = bpf(BPF_BTF_LOAD, &a, offsetof(union bpf_attr, btf_log_true_size));
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(a.btf_log_true_size, 12345);
	/* A log that cannot be written back: EFAULT, whatever the verdict. */
	btf_load_attr(&a, blob, size);
	a.btf_log_level = 1;
	a.btf_log_buf = (uint64_t)KERNEL_TEXT;
	a.btf_log_size = 256;
	CHECK_EQ(sys_bpf(BPF_BTF_LOAD, &a), -EFAULT);
}

static void test_id_errors(void)
{
	union bpf_attr a;

	CHECK_EQ(btf_fd_by_id(0), -ENOENT);
	CHECK_EQ(btf_fd_by_id(0x7fffffff), -ENOENT);
	memset(&a, 0, sizeof(a));
	a.btf_id = 1;
	a.open_flags = BPF_F_RDONLY;
	CHECK_EQ(sys_bpf(BPF_BTF_GET_FD_BY_ID, &a), -EINVAL);
	memset(&a, 0, sizeof(a));
	a.btf_id = 1;
	((uint8_t *)&a)[ATTR_END(open_flags)] = 1;
	CHECK_EQ(sys_bpf(BPF_BTF_GET_FD_BY_ID, &a), -EINVAL);
	memset(&a, 0, sizeof(a));
	a.start_id = 0x7fffffff;
	CHECK_EQ(sys_bpf(BPF_BTF_GET_NEXT_ID, &a), -EINVAL);
	a.start_id = 0x7ffffffe;
	CHECK_EQ(sys_bpf(BPF_BTF_GET_NEXT_ID, &a), -ENOENT);
	memset(&a, 0, sizeof(a));
	((uint8_t *)&a)[ATTR_END(next_id)] = 1;
	CHECK_EQ(sys_bpf(BPF_BTF_GET_NEXT_ID, &a), -EINVAL);
	/* Info of an fd that is not open: EBADFD, as for maps and programs. */
	struct bpf_btf_info info;
	CHECK_EQ(obj_info(60, &info, sizeof(info), NULL), -EBADFD);
}

/* ---------------------------------------------------------------------------------------------
 * BTF at BPF_MAP_CREATE: the key and value types must be what the map holds
 */

static int map_create_btf(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, int btf_fd,
			  uint32_t key_id, uint32_t value_id)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = ks;
	a.value_size = vs;
	a.max_entries = max;
	a.btf_fd = (uint32_t)btf_fd;
	a.btf_key_type_id = key_id;
	a.btf_value_type_id = value_id;
	return sys_bpf(BPF_MAP_CREATE, &a);
}

static void test_map_btf(void)
{
	int btf_fd = btf_load(blob, build_blob());
	int kfd = btf_fd_by_id(1);
	int mfd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	static const struct {
		const char *what;
		uint32_t type, ks, vs, max, key, value;
		int err; /* 0: created */
	} cases[] = {
		{"array of pairs", BPF_MAP_TYPE_ARRAY, 4, 8, 4, 1, 2, 0},
		{"per-CPU array, key through a typedef", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4, 9, 2,
		 0},
		{"hash with a struct key", BPF_MAP_TYPE_HASH, 4, 4, 4, 10, 1, 0},
		{"global data: keyless array of a DATASEC", BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0, 8, 0},
		{"array keyed by a struct", BPF_MAP_TYPE_ARRAY, 4, 4, 4, 10, 1, -EINVAL},
		{"value size not the type's", BPF_MAP_TYPE_ARRAY, 4, 4, 4, 1, 2, -EINVAL},
		{"key size not the type's", BPF_MAP_TYPE_HASH, 8, 8, 4, 1, 2, -EINVAL},
		{"value type out of range", BPF_MAP_TYPE_ARRAY, 4, 8, 4, 1, 99, -EINVAL},
		{"key type out of range", BPF_MAP_TYPE_HASH, 4, 8, 4, 99, 2, -EINVAL},
		{"value a function", BPF_MAP_TYPE_ARRAY, 4, 8, 4, 1, 5, -EINVAL},
		{"keyless array of two", BPF_MAP_TYPE_ARRAY, 4, 4, 2, 0, 8, -EINVAL},
		{"keyless array of an int", BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0, 1, -EINVAL},
		{"keyless hash", BPF_MAP_TYPE_HASH, 4, 4, 1, 0, 8, -EINVAL},
	};

	CHECK(btf_fd >= 0 && kfd >= 0 && mfd >= 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = map_create_btf(cases[i].type, cases[i].ks, cases[i].vs, cases[i].max,
				       btf_fd, cases[i].key, cases[i].value);
		if (cases[i].err ? r != cases[i].err : r < 0) {
			printf("# map %s: %d, expected %d\n", cases[i].what, r, cases[i].err);
			utest_failures++;
		}
		if (r >= 0)
			close(r);
	}
	CHECK_EQ(map_create_btf(BPF_MAP_TYPE_ARRAY, 4, 8, 4, kfd, 1, 2), -EACCES);
	CHECK_EQ(map_create_btf(BPF_MAP_TYPE_ARRAY, 4, 8, 4, mfd, 1, 2), -EINVAL);
	CHECK_EQ(map_create_btf(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 60, 1, 2), -EBADF);
	close(mfd);
	close(kfd);
	close(btf_fd);
}

/* ---------------------------------------------------------------------------------------------
 * func_info and line_info at BPF_PROG_LOAD
 */

/* r6 = 7 (a 64-bit load: instructions 0 and 1); r0 = sub() + r6 with sub at 5 returning 35: 7
   instructions, two functions. */
static const struct bpf_insn two_funcs[] = {
	ASM_LD_IMM64(6, 7), ASM_CALL_LOCAL(2),    ASM_ALU64_REG(BPF_ADD, 0, 6),
	ASM_EXIT(),         ASM_MOV64_IMM(0, 35), ASM_EXIT(),
};

static struct bpf_func_info finfo[2];
static struct bpf_line_info linfo[3];

/* Good records for two_funcs and the blob of build_blob (FUNCs 5 and 6). */
static void good_records(void)
{
	finfo[0] = (struct bpf_func_info){.insn_off = 0, .type_id = 5};
	finfo[1] = (struct bpf_func_info){.insn_off = 5, .type_id = 6};
	uint32_t file = str_off("prog.c"), line = str_off("return 0;");
	linfo[0] = (struct bpf_line_info){
		.insn_off = 0, .file_name_off = file, .line_off = line, .line_col = 1 << 10};
	linfo[1] = (struct bpf_line_info){
		.insn_off = 2, .file_name_off = file, .line_off = line, .line_col = 2 << 10};
	linfo[2] = (struct bpf_line_info){
		.insn_off = 5, .file_name_off = file, .line_off = line, .line_col = 3 << 10};
}

/* A load of two_funcs with the records above, a level-1 log in logbuf. */
static void btf_prog_attr(union bpf_attr *a, int btf_fd)
{
	load_attr(a, BPF_PROG_TYPE_SYSCALL, two_funcs, NINSNS(two_funcs));
	a->prog_btf_fd = (uint32_t)btf_fd;
	a->func_info = (uint64_t)(uintptr_t)finfo;
	a->func_info_cnt = 2;
	a->func_info_rec_size = sizeof(finfo[0]);
	a->line_info = (uint64_t)(uintptr_t)linfo;
	a->line_info_cnt = 3;
	a->line_info_rec_size = sizeof(linfo[0]);
	a->log_level = 1;
	a->log_buf = (uint64_t)(uintptr_t)logbuf;
	a->log_size = sizeof(logbuf);
	logbuf[0] = 0;
}

static void test_prog_btf(void)
{
	union bpf_attr a;
	struct bpf_prog_info pi;
	struct bpf_btf_info bi;
	uint32_t r0 = 0;

	int btf_fd = btf_load(blob, build_blob());
	CHECK(btf_fd >= 0);
	memset(&bi, 0, sizeof(bi));
	CHECK_EQ(obj_info(btf_fd, &bi, sizeof(bi), NULL), 0);
	good_records();
	btf_prog_attr(&a, btf_fd);
	int fd = sys_bpf(BPF_PROG_LOAD, &a);
	CHECK(fd >= 0);
	CHECK_EQ(run_syscall_prog(fd, NULL, 0, 1, &r0), 0);
	CHECK_EQ(r0, 42);

	/* Info: the BTF's id and the records, each array cut to what is asked for. */
	static struct bpf_func_info fout[2];
	static struct bpf_line_info lout[3];
	memset(fout, 0xff, sizeof(fout));
	memset(&pi, 0, sizeof(pi));
	pi.nr_func_info = 1;
	pi.func_info_rec_size = sizeof(fout[0]);
	pi.func_info = (uint64_t)(uintptr_t)fout;
	pi.nr_line_info = 3;
	pi.line_info_rec_size = sizeof(lout[0]);
	pi.line_info = (uint64_t)(uintptr_t)lout;
	CHECK_EQ(obj_info(fd, &pi, sizeof(pi), NULL), 0);
	CHECK_EQ(pi.btf_id, bi.id);
	CHECK_EQ(pi.nr_func_info, 2);
	CHECK_EQ(pi.nr_line_info, 3);
	CHECK_EQ(memcmp(&fout[0], &finfo[0], sizeof(fout[0])), 0);
	CHECK_EQ(fout[1].insn_off, 0xffffffffu);
	CHECK_EQ(memcmp(lout, linfo, sizeof(lout)), 0);

	/* The program keeps its BTF alive after the BTF's fd is closed, and lets it go with it. */
	close(btf_fd);
	CHECK(listed(bi.id));
	close(fd);
	CHECK(!listed(bi.id));

	/* Without a program BTF at all, and with line_info alone: fine. */
	btf_fd = btf_load(blob, build_blob());
	CHECK(fd >= 0);
	good_records();
	btf_prog_attr(&a, btf_fd);
	a.func_info_cnt = 0;
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	CHECK(fd >= 0);
	memset(&pi, 0, sizeof(pi));
	CHECK_EQ(obj_info(fd, &pi, sizeof(pi), NULL), 0);
	CHECK_EQ(pi.nr_func_info, 0);
	CHECK_EQ(pi.nr_line_info, 3);
	close(fd);
	fd = prog_load(BPF_PROG_TYPE_SYSCALL, two_funcs, NINSNS(two_funcs));
	CHECK(fd >= 0);
	memset(&pi, 0, sizeof(pi));
	CHECK_EQ(obj_info(fd, &pi, sizeof(pi), NULL), 0);
	CHECK_EQ(pi.btf_id, 0);
	close(fd);
	/* A larger record with a zero tail is read as the kernel's. */
	static uint32_t wide[2][3];
	memset(wide, 0, sizeof(wide));
	memcpy(wide[0], &finfo[0], sizeof(finfo[0]));
	memcpy(wide[1], &finfo[1], sizeof(finfo[1]));
	btf_prog_attr(&a, btf_fd);
	a.func_info = (uint64_t)(uintptr_t)wide;
	a.func_info_rec_size = sizeof(wide[0]);
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	CHECK(fd >= 0);
	close(fd);
	/* ... and with a nonzero tail, E2BIG and the kernel's record size written back. */
	wide[1][2] = 1;
	btf_prog_attr(&a, btf_fd);
	a.func_info = (uint64_t)(uintptr_t)wide;
	a.func_info_rec_size = sizeof(wide[0]);
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -E2BIG);
	CHECK_EQ(a.func_info_rec_size, sizeof(struct bpf_func_info));
	CHECK(contains(logbuf, "nonzero tailing record in func info"));
	close(btf_fd);
}

/* One wrong thing in a good load: its errno and the log's words. */
struct prog_btf_case {
	const char *what;
	void (*spoil)(union bpf_attr *a);
	int err;
	const char *log;
};

static int kernel_btf_fd, map_fd;

static void no_fd(union bpf_attr *a)
{
	a->prog_btf_fd = 60;
}
static void map_as_btf(union bpf_attr *a)
{
	a->prog_btf_fd = (uint32_t)map_fd;
}
static void kernel_as_btf(union bpf_attr *a)
{
	a->prog_btf_fd = (uint32_t)kernel_btf_fd;
}
static void frec_small(union bpf_attr *a)
{
	a->func_info_rec_size = 4;
}
static void frec_odd(union bpf_attr *a)
{
	a->func_info_rec_size = 10;
}
static void frec_huge(union bpf_attr *a)
{
	a->func_info_rec_size = 256;
}
static void finfo_fault(union bpf_attr *a)
{
	a->func_info = (uint64_t)KERNEL_TEXT;
}
static void finfo_first(union bpf_attr *a)
{
	(void)a;
	finfo[0].insn_off = 1;
}
static void finfo_order(union bpf_attr *a)
{
	(void)a;
	finfo[1].insn_off = 0;
}
static void finfo_not_func(union bpf_attr *a)
{
	(void)a;
	finfo[1].type_id = 1;
}
static void finfo_bad_id(union bpf_attr *a)
{
	(void)a;
	finfo[1].type_id = 1000;
}
static void finfo_count(union bpf_attr *a)
{
	a->func_info_cnt = 1;
}
static void finfo_layout(union bpf_attr *a)
{
	(void)a;
	finfo[1].insn_off = 4;
}
static void lrec_small(union bpf_attr *a)
{
	a->line_info_rec_size = 8;
}
static void lcount_huge(union bpf_attr *a)
{
	a->line_info_cnt = 0x10000000;
}
static void linfo_fault(union bpf_attr *a)
{
	a->line_info = (uint64_t)UNMAPPED_LOW;
}
static void linfo_half(union bpf_attr *a)
{
	(void)a;
	linfo[0].insn_off = 0;
	linfo[1].insn_off = 1;
}
static void linfo_past(union bpf_attr *a)
{
	(void)a;
	linfo[2].insn_off = 7;
}
static void linfo_order(union bpf_attr *a)
{
	(void)a;
	linfo[2].insn_off = 2;
}
static void linfo_name(union bpf_attr *a)
{
	(void)a;
	linfo[1].line_off = 100000;
}
static void linfo_file(union bpf_attr *a)
{
	(void)a;
	linfo[0].file_name_off = 1u << 31;
}
static void linfo_missing(union bpf_attr *a)
{
	(void)a;
	linfo[2].insn_off = 6;
}
static void linfo_missing_end(union bpf_attr *a)
{
	a->line_info_cnt = 2;
}
static void small_log(union bpf_attr *a)
{
	finfo[0].insn_off = 1;
	a->log_size = 16;
}

static const struct prog_btf_case prog_btf_cases[] = {
	{"prog_btf_fd not open", no_fd, -EBADF, ""},
	{"prog_btf_fd a map", map_as_btf, -EINVAL, ""},
	{"the kernel's BTF", kernel_as_btf, -EACCES, ""},
	{"func_info_rec_size 4", frec_small, -EINVAL, "invalid func info rec size 4"},
	{"func_info_rec_size 10", frec_odd, -EINVAL, "invalid func info rec size 10"},
	{"func_info_rec_size 256", frec_huge, -EINVAL, "invalid func info rec size 256"},
	{"func_info unreadable", finfo_fault, -EFAULT, ""},
	{"first insn_off 1", finfo_first, -EINVAL,
	 "nonzero insn_off 1 for the first func info record"},
	{"insn_off going back", finfo_order, -EINVAL,
	 "same or smaller insn offset (0) than previous func info record (0)"},
	{"type id of an int", finfo_not_func, -EINVAL, "invalid type id 1 in func info"},
	{"type id out of range", finfo_bad_id, -EINVAL, "invalid type id 1000 in func info"},
	{"one record for two functions", finfo_count, -EINVAL,
	 "number of funcs in func_info doesn't match number of subprogs"},
	{"a record off a function's start", finfo_layout, -EINVAL,
	 "func_info BTF section doesn't match subprog layout"},
	{"line_info_rec_size 8", lrec_small, -EINVAL, ""},
	{"line_info_cnt 2^28", lcount_huge, -EINVAL, ""},
	{"line_info unreadable", linfo_fault, -EFAULT, ""},
	{"a line in a 64-bit load's second half", linfo_half, -EINVAL,
	 "Invalid insn code at line_info[1].insn_off"},
	{"a line past the end", linfo_past, -EINVAL,
	 "Invalid line_info[2].insn_off:7 (prev_offset:2 prog->len:7)"},
	{"lines going back", linfo_order, -EINVAL,
	 "Invalid line_info[2].insn_off:2 (prev_offset:2 prog->len:7)"},
	{"a line's text outside the strings", linfo_name, -EINVAL,
	 "Invalid line_info[1].line_off or .file_name_off"},
	{"a line's file outside the strings", linfo_file, -EINVAL,
	 "Invalid line_info[0].line_off or .file_name_off"},
	{"no line at a function's start", linfo_missing, -EINVAL,
	 "missing bpf_line_info for func#1"},
	{"no line for the last function", linfo_missing_end, -EINVAL,
	 "missing bpf_line_info for 1 funcs starting from func#1"},
	{"a reason longer than the log", small_log, -ENOSPC, "info record"},
};

static void test_prog_btf_errors(void)
{
	union bpf_attr a;
	int btf_fd = btf_load(blob, build_blob());

	kernel_btf_fd = btf_fd_by_id(1);
	map_fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	CHECK(btf_fd >= 0 && kernel_btf_fd >= 0 && map_fd >= 0);
	for (size_t i = 0; i < sizeof(prog_btf_cases) / sizeof(prog_btf_cases[0]); i++) {
		const struct prog_btf_case *c = &prog_btf_cases[i];
		good_records();
		btf_prog_attr(&a, btf_fd);
		c->spoil(&a);
		int r = sys_bpf(BPF_PROG_LOAD, &a);
		if (r != c->err || (c->log[0] ? !contains(logbuf, c->log) : logbuf[0] != 0)) {
			printf("# %s: %d, log \"%s\"; expected %d and \"%s\"\n", c->what, r, logbuf,
			       c->err, c->log);
			utest_failures++;
		}
		if (r >= 0)
			close(r);
	}
	/* The reason's size comes back in log_true_size, and without a buffer too (no ENOSPC then). */
	good_records();
	finfo[0].insn_off = 1;
	btf_prog_attr(&a, btf_fd);
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);
	CHECK_EQ(a.log_true_size, strlen(logbuf) + 1);
	uint32_t need = a.log_true_size;
	btf_prog_attr(&a, btf_fd);
	a.log_buf = 0;
	a.log_size = 0;
	CHECK_EQ(sys_bpf(BPF_PROG_LOAD, &a), -EINVAL);
	CHECK_EQ(a.log_true_size, need);
	/* Without func_info and line_info, prog_btf_fd is not looked at. */
	btf_prog_attr(&a, 60);
	a.func_info_cnt = a.line_info_cnt = 0;
	int fd = sys_bpf(BPF_PROG_LOAD, &a);
	CHECK(fd >= 0);
	close(fd);
	close(map_fd);
	close(kernel_btf_fd);
	close(btf_fd);
}

int main(void)
{
	test_kernel_btf();
	test_load_and_ids();
	test_load_errors();
	test_load_log();
	test_id_errors();
	test_map_btf();
	test_prog_btf();
	test_prog_btf_errors();
	return utest_result("bpf_btf");
}
