/*
 * Host tests of the whole loader (user/libbpf/, every file) under ASan and UBSan, against a fake
 * bpf(2) that records what the loader asks of the kernel instead of doing it. They check what
 * the kernel would be handed: the instruction image of each program (calls rebased to the
 * subprograms appended after it, callbacks as BPF_PSEUDO_FUNC, maps as BPF_PSEUDO_MAP_FD, global
 * data as BPF_PSEUDO_MAP_VALUE with the variable's offset, kfuncs as BPF_PSEUDO_KFUNC_CALL with
 * the kernel's BTF id), the global-data maps (contents, frozen .rodata), and CO-RE relocations and
 * kfunc externs resolved against Kestrel's own BTF (build/btf/vmlinux.btf, served by the fake
 * as the kernel's "vmlinux" BTF object), with the values read from that BTF directly. Then the objects, cut and with random bytes changed, are
 * opened and loaded: errors, never a read outside what the loader was given.
 *
 * Objects: build/bpf/libbpf_{globals,foreach}.bpf.o (the user tests' programs),
 * build/bpf/iter_task_vma_example.bpf.o (the example) and build/host/libbpf/{ksym,attach}.bpf.o.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel/ktest.h"
#include "tests/host/libbpf_objs.h"
#include "tests/host/testutil.h"

#ifndef BPF_OBJ_DIR
#define BPF_OBJ_DIR "build/bpf"
#endif
#ifndef KERNEL_BTF_FILE
#define KERNEL_BTF_FILE "build/btf/vmlinux.btf"
#endif

/* ---------------------------------------------------------------------------------------------
 * The fake kernel: maps are memfds (so that the loader's mmap of a map works), programs are
 * recorded, and the kernel's BTF is one BTF object (id 1) when kernel_btf is set.
 */
#define FAKE_FDS 1024

enum fake_kind { FAKE_NONE, FAKE_MAP, FAKE_PROG, FAKE_BTF, FAKE_LINK, FAKE_ITER };

struct fake_obj {
	enum fake_kind kind;
	union bpf_attr attr;         /* what created it */
	char name[BPF_OBJ_NAME_LEN]; /* a map's or program's; a raw tracepoint link's target */
	struct bpf_insn *insns;
	bool frozen;
	uint32_t link[8]; /* a link's attributes, as Linux lays them out (see bpf()) */
};

static struct fake_obj fake[FAKE_FDS];
static uint8_t *kernel_btf; /* the blob the fake serves, or NULL: no BTF commands */
static size_t kernel_btf_size;
static bool fake_all_prog_types; /* else only Kestrel's (syscall, tc) */
static int fake_loads;           /* BPF_PROG_LOAD calls */

static int fake_new_fd(enum fake_kind kind, const union bpf_attr *attr, size_t size)
{
	int fd = memfd_create("fake_bpf", 0);

	if (fd < 0)
		return -EMFILE;
	if (fd >= FAKE_FDS || (size && ftruncate(fd, (off_t)size))) {
		close(fd);
		return -EMFILE;
	}
	free(fake[fd].insns);
	memset(&fake[fd], 0, sizeof(fake[fd]));
	fake[fd].kind = kind;
	if (attr)
		fake[fd].attr = *attr;
	return fd;
}

static struct fake_obj *fake_get(int fd, enum fake_kind kind)
{
	if (fd < 0 || fd >= FAKE_FDS || fake[fd].kind != kind)
		return NULL;
	return &fake[fd];
}

static long fake_map_create(union bpf_attr *a)
{
	uint64_t bytes = (uint64_t)a->value_size * a->max_entries;

	if (!a->key_size || !a->value_size || !a->max_entries || bytes > (64u << 20))
		return -EINVAL;
	int fd = fake_new_fd(FAKE_MAP, a, (bytes + 4095) & ~(uint64_t)4095);
	if (fd >= 0)
		memcpy(fake[fd].name, a->map_name, BPF_OBJ_NAME_LEN);
	return fd;
}

static long fake_prog_load(union bpf_attr *a)
{
	fake_loads++;
	if (!fake_all_prog_types && a->prog_type != BPF_PROG_TYPE_SYSCALL &&
	    a->prog_type != BPF_PROG_TYPE_SCHED_CLS)
		return -EINVAL;
	if (!a->insn_cnt || a->insn_cnt > 100000)
		return -EINVAL;
	int fd = fake_new_fd(FAKE_PROG, a, 0);
	if (fd < 0)
		return fd;
	fake[fd].insns = malloc((size_t)a->insn_cnt * sizeof(struct bpf_insn));
	if (!fake[fd].insns)
		return -ENOMEM;
	memcpy(fake[fd].insns, (const void *)(uintptr_t)a->insns,
	       (size_t)a->insn_cnt * sizeof(struct bpf_insn));
	memcpy(fake[fd].name, a->prog_name, BPF_OBJ_NAME_LEN);
	return fd;
}

static long fake_btf_info(union bpf_attr *a)
{
	struct fake_obj *o = fake_get((int)a->info.bpf_fd, FAKE_BTF);
	struct bpf_btf_info *info = (struct bpf_btf_info *)(uintptr_t)a->info.info;

	if (!o || a->info.info_len < sizeof(*info))
		return -EINVAL;
	if (info->btf) {
		if (info->btf_size < kernel_btf_size)
			return -ENOSPC;
		memcpy((void *)(uintptr_t)info->btf, kernel_btf, kernel_btf_size);
	}
	if (info->name && info->name_len >= sizeof("vmlinux"))
		memcpy((void *)(uintptr_t)info->name, "vmlinux", sizeof("vmlinux"));
	info->btf_size = (uint32_t)kernel_btf_size;
	info->id = 1;
	info->name_len = sizeof("vmlinux") - 1;
	info->kernel_btf = 1;
	a->info.info_len = sizeof(*info);
	return 0;
}

int bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
	union bpf_attr a;
	struct fake_obj *o;
	long r;

	memset(&a, 0, sizeof(a));
	memcpy(&a, attr, size < sizeof(a) ? size : sizeof(a));
	switch (cmd) {
	case BPF_MAP_CREATE:
		return (int)fake_map_create(&a);
	case BPF_PROG_LOAD:
		return (int)fake_prog_load(&a);
	case BPF_MAP_FREEZE:
		o = fake_get((int)a.map_fd, FAKE_MAP);
		if (!o)
			return -EBADF;
		if (o->frozen)
			return -EBUSY;
		o->frozen = true;
		return 0;
	case BPF_BTF_GET_NEXT_ID:
		if (!kernel_btf)
			return -EINVAL;
		if (a.start_id >= 1)
			return -ENOENT;
		attr->next_id = 1;
		return 0;
	case BPF_BTF_GET_FD_BY_ID:
		if (!kernel_btf)
			return -EINVAL;
		return a.start_id == 1 ? fake_new_fd(FAKE_BTF, &a, 0) : -ENOENT;
	case BPF_OBJ_GET_INFO_BY_FD:
		r = fake_btf_info(&a);
		if (!r)
			attr->info.info_len = a.info.info_len;
		return (int)r;
	case BPF_LINK_CREATE: /* prog_fd, target_fd, attach_type, flags, iter_info (u64), iter_info_len */
		if (!fake_get((int)a.map_fd, FAKE_PROG)) /* the first u32 */
			return -EBADF;
		r = fake_new_fd(FAKE_LINK, &a, 0);
		if (r >= 0)
			memcpy(fake[r].link, &a, sizeof(fake[r].link));
		return (int)r;
	case BPF_RAW_TRACEPOINT_OPEN: { /* name (u64), prog_fd */
		uint64_t name;
		uint32_t prog_fd;
		memcpy(&name, &a, 8);
		memcpy(&prog_fd, (char *)&a + 8, 4);
		if (!fake_get((int)prog_fd, FAKE_PROG))
			return -EBADF;
		r = fake_new_fd(FAKE_LINK, &a, 0);
		if (r >= 0 && name)
			snprintf(fake[r].name, sizeof(fake[r].name), "%s",
				 (const char *)(uintptr_t)name);
		return (int)r;
	}
	case BPF_ITER_CREATE: /* link_fd */
		return fake_get((int)a.map_fd, FAKE_LINK) ? fake_new_fd(FAKE_ITER, &a, 0) : -EBADF;
	default:
		return -EINVAL; /* BPF_BTF_LOAD among them: the loader goes on without */
	}
}

/* The native element calls of user/bpf.c: only array updates matter (global data's values). */
int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)
{
	struct fake_obj *o = fake_get(fd, FAKE_MAP);
	uint32_t k;

	(void)flags;
	if (!o)
		return -EBADF;
	if (o->frozen)
		return -EPERM;
	memcpy(&k, key, sizeof(k));
	if (o->attr.map_type != BPF_MAP_TYPE_ARRAY || k >= o->attr.max_entries)
		return -EINVAL;
	if (pwrite(fd, value, o->attr.value_size, (off_t)k * o->attr.value_size) !=
	    (ssize_t)o->attr.value_size)
		return -EIO;
	return 0;
}

int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	(void)fd, (void)key, (void)value;
	return -ENOENT;
}

int bpf_map_delete_elem(int fd, const void *key)
{
	(void)fd, (void)key;
	return -ENOENT;
}

int bpf_map_get_next_key(int fd, const void *key, void *next_key)
{
	(void)fd, (void)key, (void)next_key;
	return -ENOENT;
}

/* ---------------------------------------------------------------------------------------------
 * Helpers
 */

/* The library's warnings while a test runs, to check what an error says. */
static char msgs[16384];
static size_t msgs_len;

static int capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || msgs_len >= sizeof(msgs) - 1)
		return 0;
	int n = vsnprintf(msgs + msgs_len, sizeof(msgs) - msgs_len, fmt, ap);
	if (n > 0)
		msgs_len += (size_t)n < sizeof(msgs) - msgs_len ? (size_t)n
								: sizeof(msgs) - 1 - msgs_len;
	return n;
}

static void reset_fake(bool with_kernel_btf, bool all_types)
{
	msgs_len = 0;
	msgs[0] = 0;
	libbpf_set_print(capture);
	fake_all_prog_types = all_types;
	fake_loads = 0;
	free(kernel_btf);
	kernel_btf = NULL;
	if (with_kernel_btf) {
		FILE *f = fopen(KERNEL_BTF_FILE, "rb");
		static uint8_t buf[1 << 20];
		kernel_btf_size = f ? fread(buf, 1, sizeof(buf), f) : 0;
		if (f)
			fclose(f);
		kernel_btf = kernel_btf_size ? malloc(kernel_btf_size) : NULL;
		if (kernel_btf)
			memcpy(kernel_btf, buf, kernel_btf_size);
	}
}

static uint8_t *read_file(const char *dir, const char *name, size_t *size)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static uint8_t buf[1 << 20];
	*size = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	uint8_t *copy = *size ? malloc(*size) : NULL;
	if (copy)
		memcpy(copy, buf, *size);
	return copy;
}

/* Opens dir/name as object obj_name, with only the named programs' autoload changed to on. */
static struct bpf_object *open_obj(const char *dir, const char *name, const char *obj_name,
				   const char *also)
{
	size_t size;
	uint8_t *buf = read_file(dir, name, &size);
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = obj_name);

	if (!buf) {
		printf("# cannot read %s/%s\n", dir, name);
		return NULL;
	}
	struct bpf_object *obj = bpf_object__open_mem(buf, size, &opts);
	free(buf); /* the object keeps its own copy */
	if (obj && also)
		bpf_program__set_autoload(bpf_object__find_program_by_name(obj, also), true);
	return obj;
}

static const struct fake_obj *prog_of(const struct bpf_object *obj, const char *name)
{
	return fake_get(bpf_program__fd(bpf_object__find_program_by_name(obj, name)), FAKE_PROG);
}

static int map_fd(const struct bpf_object *obj, const char *name)
{
	return bpf_map__fd(bpf_object__find_map_by_name(obj, name));
}

static bool is_ldimm64(const struct bpf_insn *i)
{
	return i->code == (BPF_LD | BPF_IMM | BPF_DW);
}

/* Whether p's image has an ld_imm64 with this src_reg, imm and second imm. */
static bool has_ldimm64(const struct fake_obj *p, uint8_t src, int32_t imm, int32_t imm2)
{
	for (uint32_t i = 0; p && i + 1 < p->attr.insn_cnt; i++)
		if (is_ldimm64(&p->insns[i]) && p->insns[i].src_reg == src &&
		    p->insns[i].imm == imm && p->insns[i + 1].imm == imm2)
			return true;
	return false;
}

static bool captured(const char *s)
{
	return strstr(msgs, s) != NULL;
}

/* ---------------------------------------------------------------------------------------------
 * What the kernel is handed
 */

struct globals_rodata {
	uint32_t scale;
	uint32_t pad;
	uint64_t magic;
};

KTEST(libbpf_object, global_data_maps_calls)
{
	reset_fake(false, false);
	struct bpf_object *obj =
		open_obj(BPF_OBJ_DIR, "libbpf_globals.bpf.o", "libbpf_globals", NULL);
	ASSERT_NONNULL(obj);
	size_t sz;
	struct globals_rodata *ro =
		(void *)bpf_map__initial_value(bpf_object__find_map_by_name(obj, ".rodata"), &sz);
	ASSERT_NONNULL(ro);
	ASSERT_EQ(sz, sizeof(*ro));
	ro->scale = 3;
	ASSERT_EQ(bpf_object__load(obj), 0);

	int bss = map_fd(obj, ".bss"), data = map_fd(obj, ".data"), rodata = map_fd(obj, ".rodata");
	int counts = map_fd(obj, "counts");
	const struct fake_obj *p = prog_of(obj, "bump");
	ASSERT_NONNULL(p);
	EXPECT_EQ(p->attr.prog_type, BPF_PROG_TYPE_SYSCALL);
	EXPECT_EQ(p->attr.prog_flags, BPF_F_SLEEPABLE);
	EXPECT_EQ(strcmp(p->name, "bump"), 0);
	EXPECT_EQ(strcmp((const char *)(uintptr_t)p->attr.license, "GPL"), 0);

	/* Each global by its map and offset (the skeleton's layout), the map by its fd. */
	EXPECT_TRUE(has_ldimm64(p, BPF_PSEUDO_MAP_VALUE, bss, 0));    /* runs */
	EXPECT_TRUE(has_ldimm64(p, BPF_PSEUDO_MAP_VALUE, bss, 8));    /* last_magic */
	EXPECT_TRUE(has_ldimm64(p, BPF_PSEUDO_MAP_VALUE, data, 0));   /* counter */
	EXPECT_TRUE(has_ldimm64(p, BPF_PSEUDO_MAP_VALUE, rodata, 0)); /* scale */
	EXPECT_TRUE(has_ldimm64(p, BPF_PSEUDO_MAP_VALUE, rodata, 8)); /* magic */
	EXPECT_TRUE(has_ldimm64(p, BPF_PSEUDO_MAP_FD, counts, 0));
	for (uint32_t i = 0; i < p->attr.insn_cnt; i++)
		if (is_ldimm64(&p->insns[i])) {
			EXPECT_TRUE(p->insns[i].src_reg == BPF_PSEUDO_MAP_VALUE ||
				    p->insns[i].src_reg == BPF_PSEUDO_MAP_FD);
			i++;
		}

	/* times_scale is appended after bump, and the call lands on its first instruction. */
	uint32_t own =
		(uint32_t)bpf_program__insn_cnt(bpf_object__find_program_by_name(obj, "bump"));
	int calls = 0;
	EXPECT_GT(p->attr.insn_cnt, own);
	for (uint32_t i = 0; i < p->attr.insn_cnt; i++)
		if (p->insns[i].code == (BPF_JMP | BPF_CALL) &&
		    p->insns[i].src_reg == BPF_PSEUDO_CALL) {
			EXPECT_EQ(i + p->insns[i].imm + 1, own);
			calls++;
		}
	EXPECT_EQ(calls, 1);

	/* The data maps: created with their images, .rodata frozen and read-only to programs. */
	struct globals_rodata kro;
	char kdata[24];
	ASSERT_EQ(pread(rodata, &kro, sizeof(kro), 0), (ssize_t)sizeof(kro));
	EXPECT_EQ(kro.scale, 3);
	EXPECT_EQ(kro.magic, 0x1111);
	ASSERT_EQ(pread(data, kdata, sizeof(kdata), 0), (ssize_t)sizeof(kdata));
	EXPECT_EQ(*(uint64_t *)kdata, 5);
	EXPECT_EQ(strcmp(kdata + 8, "kestrel"), 0);
	EXPECT_TRUE(fake_get(rodata, FAKE_MAP)->frozen);
	EXPECT_FALSE(fake_get(bss, FAKE_MAP)->frozen);
	EXPECT_EQ(fake_get(rodata, FAKE_MAP)->attr.map_flags, BPF_F_MMAPABLE | BPF_F_RDONLY_PROG);
	EXPECT_EQ(fake_get(data, FAKE_MAP)->attr.map_flags, BPF_F_MMAPABLE);
	EXPECT_EQ(strcmp(fake_get(rodata, FAKE_MAP)->name, "libbpf_g.rodata"), 0);
	EXPECT_EQ(fake_get(counts, FAKE_MAP)->attr.max_entries, 4);
	/* The image pointer now shows the map itself. */
	EXPECT_EQ((uintptr_t)bpf_map__initial_value(bpf_object__find_map_by_name(obj, ".rodata"),
						    &sz),
		  (uintptr_t)ro);
	EXPECT_EQ(ro->scale, 3);

	/* Autoload off: not loaded. Three programs were: bump and classify. */
	EXPECT_EQ(bpf_program__fd(bpf_object__find_program_by_name(obj, "on_perf")), -ENOENT);
	EXPECT_EQ(fake_loads, 2);
	bpf_object__close(obj);
}

KTEST(libbpf_object, callbacks_and_subprograms)
{
	reset_fake(false, false);
	struct bpf_object *obj =
		open_obj(BPF_OBJ_DIR, "libbpf_foreach.bpf.o", "libbpf_foreach", NULL);
	ASSERT_NONNULL(obj);
	ASSERT_EQ(bpf_object__load(obj), 0);
	const char *maps[] = {"array",       "hash",     "percpu_array",
			      "percpu_hash", "lru_hash", "lru_percpu_hash"};
	const char *progs[] = {"walk_syscall", "walk_tc"};

	for (int k = 0; k < 2; k++) {
		const struct fake_obj *p = prog_of(obj, progs[k]);
		uint32_t own = (uint32_t)bpf_program__insn_cnt(
			bpf_object__find_program_by_name(obj, progs[k]));
		int funcs = 0, calls = 0;

		ASSERT_NONNULL(p);
		EXPECT_EQ(p->attr.prog_type, k ? BPF_PROG_TYPE_SCHED_CLS : BPF_PROG_TYPE_SYSCALL);
		for (int m = 0; m < 6; m++)
			EXPECT_TRUE(has_ldimm64(p, BPF_PSEUDO_MAP_FD, map_fd(obj, maps[m]), 0));
		/*
		 * Every call and callback address lands past the program's own code, inside the image,
		 * on the first instruction of an appended function (the one before it is an exit).
		 */
		for (uint32_t i = 0; i < p->attr.insn_cnt; i++) {
			const struct bpf_insn *in = &p->insns[i];
			int64_t t = (int64_t)i + in->imm + 1;
			bool func = is_ldimm64(in) && in->src_reg == BPF_PSEUDO_FUNC;
			bool call =
				in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
			if (func || call) {
				EXPECT_TRUE(t >= own && t < p->attr.insn_cnt &&
					    p->insns[t - 1].code == (BPF_JMP | BPF_EXIT));
				funcs += func;
				calls += call;
			}
			if (is_ldimm64(in))
				i++;
		}
		EXPECT_GE(funcs,
			  2); /* visit (clang may load it once for all six maps), count_inner */
		EXPECT_GE(calls, 1); /* walk */
	}
	bpf_object__close(obj);
}

KTEST(libbpf_object, program_types_the_kernel_refuses)
{
	const char *names[] = {"on_sys_enter", "on_perf"};

	for (int i = 0; i < 2; i++) {
		reset_fake(false, false);
		struct bpf_object *obj =
			open_obj(BPF_OBJ_DIR, "libbpf_globals.bpf.o", "g", names[i]);
		ASSERT_NONNULL(obj);
		EXPECT_EQ(bpf_object__load(obj), -EOPNOTSUPP);
		EXPECT_EQ(errno, EOPNOTSUPP);
		EXPECT_TRUE(captured("the kernel cannot load programs of type"));
		EXPECT_TRUE(captured(names[i]));
		EXPECT_EQ(bpf_program__fd(bpf_object__find_program_by_name(obj, "bump")), -ENOENT);
		EXPECT_EQ(map_fd(obj, ".bss"), -EINVAL);
		bpf_object__close(obj);
	}
	/* A kernel that has the type gets it, with libbpf's attach type (none for raw_tp). */
	reset_fake(false, true);
	struct bpf_object *obj = open_obj(BPF_OBJ_DIR, "libbpf_globals.bpf.o", "g", "on_sys_enter");
	ASSERT_NONNULL(obj);
	ASSERT_EQ(bpf_object__load(obj), 0);
	const struct fake_obj *p = prog_of(obj, "on_sys_enter");
	ASSERT_NONNULL(p);
	EXPECT_EQ(p->attr.prog_type, BPF_PROG_TYPE_RAW_TRACEPOINT);
	EXPECT_EQ(p->attr.expected_attach_type, 0);
	bpf_object__close(obj);
}

/* The byte offset of member name of struct sname in the kernel's BTF, or -1. */
static int64_t kernel_member_offset(const char *sname, const char *name)
{
	struct btf *kbtf;
	const char *why;
	int64_t off = -1;

	if (btf_parse(kernel_btf, kernel_btf_size, &kbtf, &why))
		return -1;
	int id = btf_find_by_name_kind(kbtf, sname, BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf_type_by_id(kbtf, (uint32_t)id) : NULL;
	for (uint16_t i = 0; t && i < btf_vlen(t); i++)
		if (!strcmp(btf_str(kbtf, btf_members(t)[i].name_off), name))
			off = btf_member_bit_offset(t, i) / 8;
	btf_free(kbtf);
	return off;
}

KTEST(libbpf_object, core_against_kestrel_btf)
{
	reset_fake(true, false);
	ASSERT_NONNULL(kernel_btf);
	int64_t pid_off = kernel_member_offset("task_struct", "pid");
	ASSERT_GT(pid_off, 0); /* not where the program's own task_struct has it */
	struct bpf_object *obj = open_obj(BPF_OBJ_DIR, "libbpf_globals.bpf.o", "g", "core_task");
	ASSERT_NONNULL(obj);
	ASSERT_EQ(bpf_object__load(obj), 0);
	const struct fake_obj *p = prog_of(obj, "core_task");
	ASSERT_NONNULL(p);
	/* r1 = offsetof(pid); *pid_off = r1; r1 = exists(no_such_field); *missing_exists = r1 */
	EXPECT_EQ(p->insns[0].code, BPF_ALU64 | BPF_MOV | BPF_K);
	EXPECT_EQ(p->insns[0].imm, pid_off);
	EXPECT_EQ(p->insns[4].code, BPF_ALU64 | BPF_MOV | BPF_K);
	EXPECT_EQ(p->insns[4].imm, 0);
	bpf_object__close(obj);

	/* Without the kernel's BTF: refused, saying why, nothing left loaded. */
	reset_fake(false, false);
	obj = open_obj(BPF_OBJ_DIR, "libbpf_globals.bpf.o", "g", "core_task");
	ASSERT_NONNULL(obj);
	EXPECT_EQ(bpf_object__load(obj), -ESRCH);
	EXPECT_TRUE(captured("the kernel's BTF is not available"));
	EXPECT_TRUE(captured("prog 'core_task': CO-RE relocation"));
	EXPECT_EQ(map_fd(obj, ".bss"), -EINVAL);
	bpf_object__close(obj);
}

KTEST(libbpf_object, kfunc_externs)
{
	struct btf *kbtf;
	const char *why;

	reset_fake(true, false);
	ASSERT_NONNULL(kernel_btf);
	ASSERT_EQ(btf_parse(kernel_btf, kernel_btf_size, &kbtf, &why), 0);
	int id = btf_find_by_name_kind(kbtf, "bpf_iter_task_vma_new", BTF_KIND_FUNC);
	btf_free(kbtf);
	ASSERT_GT(id, 0);

	struct bpf_object *obj = open_obj(LIBBPF_OBJ_DIR, "ksym.bpf.o", "ksym", NULL);
	ASSERT_NONNULL(obj);
	ASSERT_EQ(bpf_object__load(obj), 0);
	const struct fake_obj *p = prog_of(obj, "call_kfuncs");
	ASSERT_NONNULL(p);
	int kcalls = 0;
	for (uint32_t i = 0; i < p->attr.insn_cnt; i++) {
		const struct bpf_insn *in = &p->insns[i];
		if (in->code == (BPF_JMP | BPF_CALL)) {
			EXPECT_EQ(in->src_reg, BPF_PSEUDO_KFUNC_CALL);
			/* the kernel's id, or 0 for the __weak one it lacks */
			EXPECT_TRUE(in->imm == id || in->imm == 0);
			kcalls += in->imm == id;
		}
	}
	EXPECT_EQ(kcalls, 1);
	/* `if (weak_kfunc)`: the address of a kfunc the kernel lacks is 0. */
	EXPECT_TRUE(has_ldimm64(p, 0, 0, 0));
	bpf_object__close(obj);

	reset_fake(false, false);
	obj = open_obj(LIBBPF_OBJ_DIR, "ksym.bpf.o", "ksym", NULL);
	ASSERT_NONNULL(obj);
	EXPECT_EQ(bpf_object__load(obj), -ESRCH);
	EXPECT_TRUE(captured(
		"extern 'bpf_iter_task_vma_new': cannot be resolved without the kernel's BTF"));
	EXPECT_EQ(fake_loads, 0);
	bpf_object__close(obj);
}

KTEST(libbpf_object, attach_targets_and_links)
{
	struct btf *kbtf;
	const char *why;

	reset_fake(true, true);
	ASSERT_NONNULL(kernel_btf);
	ASSERT_EQ(btf_parse(kernel_btf, kernel_btf_size, &kbtf, &why), 0);
	int iter_id = btf_find_by_name_kind(kbtf, "bpf_iter_task_vma", BTF_KIND_FUNC);
	btf_free(kbtf);
	ASSERT_GT(iter_id, 0);

	struct bpf_object *obj = open_obj(LIBBPF_OBJ_DIR, "attach.bpf.o", "attach", NULL);
	ASSERT_NONNULL(obj);
	ASSERT_EQ(bpf_object__load(obj), 0);
	struct bpf_program *iter = bpf_object__find_program_by_name(obj, "dump_vma");
	struct bpf_program *raw = bpf_object__find_program_by_name(obj, "raw_enter");
	const struct fake_obj *p = prog_of(obj, "dump_vma");
	ASSERT_NONNULL(p);
	EXPECT_EQ(p->attr.prog_type, BPF_PROG_TYPE_TRACING);
	EXPECT_EQ(p->attr.expected_attach_type, 28); /* BPF_TRACE_ITER */
	EXPECT_EQ(p->attr.attach_btf_id, iter_id);
	p = prog_of(obj, "raw_enter");
	ASSERT_NONNULL(p);
	EXPECT_EQ(p->attr.prog_type, BPF_PROG_TYPE_RAW_TRACEPOINT);
	EXPECT_EQ(p->attr.attach_btf_id, 0);

	/* bpf_program__attach follows the section: a link for the iterator, the named tracepoint. */
	struct bpf_link *link = bpf_program__attach(iter);
	ASSERT_NONNULL(link);
	const struct fake_obj *l = fake_get(bpf_link__fd(link), FAKE_LINK);
	ASSERT_NONNULL(l);
	EXPECT_EQ(l->link[0], bpf_program__fd(iter));
	EXPECT_EQ(l->link[2], 28);
	EXPECT_EQ(l->link[4] | l->link[5] | l->link[6], 0); /* no link_info */
	int it = bpf_iter_create(bpf_link__fd(link));
	EXPECT_NONNULL(fake_get(it, FAKE_ITER));
	close(it);
	EXPECT_EQ(bpf_link__destroy(link), 0);

	uint32_t info[2] = {7, 0}; /* Linux's link_info.task.tid */
	LIBBPF_OPTS(bpf_iter_attach_opts, iopts, .link_info = (union bpf_iter_link_info *)info,
		    .link_info_len = sizeof(info));
	link = bpf_program__attach_iter(iter, &iopts);
	ASSERT_NONNULL(link);
	l = fake_get(bpf_link__fd(link), FAKE_LINK);
	ASSERT_NONNULL(l);
	EXPECT_EQ(((uint64_t)l->link[5] << 32 | l->link[4]), (uintptr_t)info);
	EXPECT_EQ(l->link[6], sizeof(info));
	bpf_link__destroy(link);

	link = bpf_program__attach(raw);
	ASSERT_NONNULL(link);
	l = fake_get(bpf_link__fd(link), FAKE_LINK);
	ASSERT_NONNULL(l);
	EXPECT_EQ(strcmp(l->name, "sys_enter"), 0);
	bpf_link__destroy(link);
	bpf_object__close(obj);

	/* A BTF tracepoint the kernel's BTF does not name: refused, saying which. */
	reset_fake(true, true);
	obj = open_obj(LIBBPF_OBJ_DIR, "attach.bpf.o", "attach", "btf_nothing");
	ASSERT_NONNULL(obj);
	EXPECT_EQ(bpf_object__load(obj), -ESRCH);
	EXPECT_TRUE(captured(
		"prog 'btf_nothing': the kernel has no attach target 'no_such_tracepoint'"));
	bpf_object__close(obj);

	/* No kernel BTF, and a kernel without the program type: the type is what it lacks. */
	reset_fake(false, false);
	obj = open_obj(LIBBPF_OBJ_DIR, "attach.bpf.o", "attach", NULL);
	ASSERT_NONNULL(obj);
	EXPECT_EQ(bpf_object__load(obj), -EOPNOTSUPP);
	EXPECT_TRUE(captured("prog 'dump_vma': the kernel cannot load programs of type"));
	bpf_object__close(obj);
}

/*
 * The example of ../shared/seeds/bpf_iter_task_vma_new.md as the issue has it compiled unchanged
 * (tests/bpf/iter_task_vma_example.bpf.c): its kfuncs and CO-RE accesses resolve against Kestrel's
 * BTF.
 */
KTEST(libbpf_object, linux_example_program)
{
	const char *kfuncs[] = {"bpf_iter_task_vma_new", "bpf_iter_task_vma_next",
				"bpf_iter_task_vma_destroy"};
	const int want_calls[] = {1, 2, 1};
	int ids[3], calls[3] = {0, 0, 0};
	struct btf *kbtf;
	const char *why;

	reset_fake(true, true);
	ASSERT_NONNULL(kernel_btf);
	ASSERT_EQ(btf_parse(kernel_btf, kernel_btf_size, &kbtf, &why), 0);
	for (int k = 0; k < 3; k++)
		ids[k] = btf_find_by_name_kind(kbtf, kfuncs[k], BTF_KIND_FUNC);
	btf_free(kbtf);
	int64_t pid_off = kernel_member_offset("task_struct", "pid");

	struct bpf_object *obj =
		open_obj(BPF_OBJ_DIR, "iter_task_vma_example.bpf.o", "example", NULL);
	ASSERT_NONNULL(obj);
	ASSERT_EQ(bpf_object__load(obj), 0);
	const struct fake_obj *p = prog_of(obj, "iter_task_vma_for_each");
	ASSERT_NONNULL(p);
	EXPECT_EQ(p->attr.prog_type, BPF_PROG_TYPE_RAW_TRACEPOINT);
	for (uint32_t i = 0; i < p->attr.insn_cnt; i++)
		for (int k = 0; k < 3; k++)
			if (p->insns[i].code == (BPF_JMP | BPF_CALL) &&
			    p->insns[i].src_reg == BPF_PSEUDO_KFUNC_CALL &&
			    p->insns[i].imm == ids[k])
				calls[k]++;
	for (int k = 0; k < 3; k++) {
		EXPECT_GT(ids[k], 0);
		EXPECT_EQ(calls[k], want_calls[k]);
	}
	/* task = bpf_get_current_task_btf(); task->pid: the load right after the call. */
	EXPECT_EQ(p->insns[0].imm, BPF_FUNC_get_current_task_btf);
	EXPECT_EQ(p->insns[1].code, BPF_LDX | BPF_MEM | BPF_W);
	EXPECT_EQ(p->insns[1].off, pid_off);
	bpf_object__close(obj);
}

/* ---------------------------------------------------------------------------------------------
 * Hostile objects
 */

/* Opens (and if that works, loads and closes) a copy of exactly n bytes: true if it opened. */
static bool try_object(const uint8_t *buf, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	if (!c)
		return false;
	memcpy(c, buf, n);
	struct bpf_object *obj = bpf_object__open_mem(c, n, NULL);
	free(c);
	if (!obj)
		return false;
	struct bpf_program *prog;
	struct bpf_map *map;
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, true);
	bpf_object__for_each_map(map, obj)
		(void)strlen(bpf_map__name(map));
	bpf_object__load(obj);
	bpf_object__close(obj);
	return true;
}

KTEST(libbpf_object, hostile_objects)
{
	struct {
		const char *dir, *name;
	} objs[] = {
		{BPF_OBJ_DIR, "libbpf_globals.bpf.o"},
		{BPF_OBJ_DIR, "libbpf_foreach.bpf.o"},
		{LIBBPF_OBJ_DIR, "ksym.bpf.o"},
		{LIBBPF_OBJ_DIR, "attach.bpf.o"},
		{BPF_OBJ_DIR, "iter_task_vma_example.bpf.o"},
	};
	struct test_rng rng;

	test_rng_init(&rng, test_rng_seed("LIBBPF_OBJECT_SEED", 0x0b1ec7));
	for (size_t k = 0; k < sizeof(objs) / sizeof(objs[0]); k++) {
		size_t size;
		uint8_t *buf = read_file(objs[k].dir, objs[k].name, &size);
		int opened = 0;

		ASSERT_NONNULL(buf);
		reset_fake(k >= 2, true);
		libbpf_set_print(NULL);
		/* the section headers come last */
		for (size_t n = 0; n < size; n += 13)
			EXPECT_FALSE(try_object(buf, n));
		uint8_t *m = malloc(size);
		ASSERT_NONNULL(m);
		for (int it = 0; it < 10000; it++) {
			memcpy(m, buf, size);
			for (int n = 1 + (int)test_rng_below(&rng, 4); n > 0; n--)
				m[test_rng_below(&rng, size)] = (uint8_t)test_rng_next(&rng);
			opened += try_object(m, size);
		}
		EXPECT_GT(opened, 0);
		EXPECT_TRUE(try_object(buf, size));
		free(m);
		free(buf);
	}
	reset_fake(false, false);
}
