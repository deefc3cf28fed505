/*
 * Host tests for BTF (kernel/bpf/btf.h): the kernel's own blob (built from
 * include/uapi/kestrel_btf_types.h by scripts/btf/vmlinux_btf.c and linked in) parses, and every
 * type, field, typedef and kfunc issue 10 lists is in it where gcc's view of the same header puts
 * it; struct access as the verifier asks for it; a valid hand-made blob of every kind; a hostile
 * corpus (truncated, bad offsets, bad ids, loops, huge counts), each rejected with Linux's errno
 * and log line; the log's truncation rules; references and ids; and random corruptions of the
 * kernel blob and of the hand-made one under ASan and UBSan (seed BPF_BTF_SEED).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernel/bpf/btf.h"
#include "kernel/bpf/verifier.h"
#include "kernel/ktest.h"
#include "tests/host/btf_build.h"
#include "tests/host/testutil.h"
#include "uapi/errno.h"
#include "uapi/kestrel_btf_types.h"

TEST_LEAK_CHECK_EVERY_TEST()

extern const uint8_t __kestrel_btf_start[], __kestrel_btf_end[];

static uint32_t kernel_blob_size(void)
{
	return (uint32_t)(__kestrel_btf_end - __kestrel_btf_start);
}

static struct btf *kernel_btf(void)
{
	struct btf *btf = NULL;

	if (btf_parse_kernel(__kestrel_btf_start, kernel_blob_size(), "vmlinux", &btf))
		return NULL;
	return btf;
}

/*
 * The byte offset of member `path` ("f_path.dentry", "d_shortname.string": dots descend into
 * nested records, anonymous members are searched through) in the struct or union type id, and
 * its type in *type; -1 if absent.
 */
static int64_t member_offset(const struct btf *btf, uint32_t id, const char *path, uint32_t *type)
{
	const struct btf_type *t = btf_type_skip_modifiers(btf, id, NULL);
	char first[64];
	const char *dot = strchr(path, '.');
	size_t n = dot ? (size_t)(dot - path) : strlen(path);

	if (!t ||
	    (BTF_INFO_KIND(t->info) != BTF_KIND_STRUCT && BTF_INFO_KIND(t->info) != BTF_KIND_UNION))
		return -1;
	memcpy(first, path, n);
	first[n] = 0;
	const struct btf_member *m = (const struct btf_member *)(t + 1);
	for (uint32_t i = 0; i < BTF_INFO_VLEN(t->info); i++) {
		const char *name = btf_name_by_offset(btf, m[i].name_off);
		int64_t here = m[i].offset / 8;
		if (!*name) {
			int64_t inner = member_offset(btf, m[i].type, path, type);
			if (inner >= 0)
				return here + inner;
			continue;
		}
		if (strcmp(name, first))
			continue;
		if (!dot) {
			*type = m[i].type;
			return here;
		}
		int64_t inner = member_offset(btf, m[i].type, dot + 1, type);
		return inner < 0 ? -1 : here + inner;
	}
	return -1;
}

static uint32_t struct_id(const struct btf *btf, const char *name)
{
	int32_t id = btf_find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	return id > 0 ? (uint32_t)id : 0;
}

/* ---------------------------------------------------------------------------------------------
 * The kernel's BTF
 */

KTEST(bpf_btf, kernel_blob_parses)
{
	struct btf *btf = kernel_btf();

	ASSERT_NONNULL(btf);
	EXPECT_NULL(btf_check(btf));
	EXPECT_GT(btf_nr_types(btf), 100);
	EXPECT_TRUE(btf_is_kernel(btf));
	EXPECT_EQ(strcmp(btf_obj_name(btf), "vmlinux"), 0);
	uint32_t size;
	const uint8_t *raw = btf_raw_data(btf, &size);
	EXPECT_EQ(size, kernel_blob_size());
	EXPECT_EQ(memcmp(raw, __kestrel_btf_start, size), 0);
	EXPECT_EQ(((const struct btf_header *)raw)->magic, BTF_MAGIC);
	btf_put(btf);
}

/* Every field issue 10 names, at the offset and with the size gcc gives the same header. */
KTEST(bpf_btf, kernel_fields_match_the_header)
{
	static const struct {
		const char *type, *field;
		size_t off, size;
	} fields[] = {
#define F(T, S, M) {#T, #M, offsetof(S, M), sizeof(((S *)0)->M)}
		F(task_struct, struct task_struct, pid),
		F(task_struct, struct task_struct, tgid),
		F(task_struct, struct task_struct, comm),
		F(task_struct, struct task_struct, mm),
		F(task_struct, struct task_struct, real_parent),
		F(task_struct, struct task_struct, __state),
		F(mm_struct, struct mm_struct, map_count),
		F(mm_struct, struct mm_struct, exe_file),
		F(vm_area_struct, struct vm_area_struct, vm_start),
		F(vm_area_struct, struct vm_area_struct, vm_end),
		F(vm_area_struct, struct vm_area_struct, vm_flags),
		F(vm_area_struct, struct vm_area_struct, vm_pgoff),
		F(vm_area_struct, struct vm_area_struct, vm_file),
		F(vm_area_struct, struct vm_area_struct, vm_mm),
		F(file, struct btf_file, f_path),
		F(file, struct btf_file, f_path.dentry),
		F(file, struct btf_file, f_path.mnt),
		F(file, struct btf_file, f_inode),
		F(path, struct path, dentry),
		F(path, struct path, mnt),
		F(dentry, struct dentry, d_name),
		F(dentry, struct dentry, d_name.name),
		F(dentry, struct dentry, d_name.len),
		F(dentry, struct dentry, d_shortname),
		F(dentry, struct dentry, d_shortname.string),
		F(dentry, struct dentry, d_iname),
		F(dentry, struct dentry, d_parent),
		F(inode, struct inode, i_ino),
		F(inode, struct inode, i_sb),
		F(super_block, struct super_block, s_dev),
		F(vfsmount, struct vfsmount, mnt_root),
		F(qstr, struct qstr, name),
		F(qstr, struct qstr, len),
		F(pt_regs, struct pt_regs, di),
		F(pt_regs, struct pt_regs, si),
		F(pt_regs, struct pt_regs, orig_ax),
		F(pt_regs, struct pt_regs, ip),
		F(pt_regs, struct pt_regs, sp),
		F(pt_regs, struct pt_regs, ax),
		F(bpf_iter_meta, struct bpf_iter_meta, seq),
		F(bpf_iter_meta, struct bpf_iter_meta, session_id),
		F(bpf_iter_meta, struct bpf_iter_meta, seq_num),
		F(bpf_iter__task_vma, struct bpf_iter__task_vma, meta),
		F(bpf_iter__task_vma, struct bpf_iter__task_vma, task),
		F(bpf_iter__task_vma, struct bpf_iter__task_vma, vma),
		F(bpf_iter_task_vma, struct bpf_iter_task_vma, __opaque),
		F(__sk_buff, struct __sk_buff, len),
		F(__sk_buff, struct __sk_buff, mark),
		F(__sk_buff, struct __sk_buff, hwtstamp),
#undef F
	};
	struct btf *btf = kernel_btf();

	ASSERT_NONNULL(btf);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint32_t sid = struct_id(btf, fields[i].type), type = 0;
		int64_t off = member_offset(btf, sid, fields[i].field, &type);
		if (!sid || off < 0) {
			KT_FAIL("%s.%s: not in the kernel's BTF", fields[i].type, fields[i].field);
			continue;
		}
		if ((size_t)off != fields[i].off || btf_type_size(btf, type) != fields[i].size)
			KT_FAIL("%s.%s: BTF offset %lld size %u, gcc offset %zu size %zu",
				fields[i].type, fields[i].field, (long long)off,
				btf_type_size(btf, type), fields[i].off, fields[i].size);
	}
	static const struct {
		const char *name;
		size_t size;
	} structs[] = {
		{"task_struct", sizeof(struct task_struct)},
		{"mm_struct", sizeof(struct mm_struct)},
		{"vm_area_struct", sizeof(struct vm_area_struct)},
		{"file", sizeof(struct btf_file)},
		{"dentry", sizeof(struct dentry)},
		{"pt_regs", sizeof(struct pt_regs)},
		{"bpf_iter_task_vma", 8},
		{"__sk_buff", sizeof(struct __sk_buff)},
	};
	for (size_t i = 0; i < sizeof(structs) / sizeof(structs[0]); i++)
		EXPECT_EQ(btf_type_size(btf, struct_id(btf, structs[i].name)), structs[i].size);
	/* Opaque to programs: a struct with nothing to read (meta->seq is then a typed pointer). */
	EXPECT_NE(struct_id(btf, "seq_file"), 0u);
	EXPECT_EQ(btf_type_size(btf, struct_id(btf, "seq_file")), 0u);
	EXPECT_EQ(btf_find_by_name_kind(btf, "seq_file", BTF_KIND_FWD), -ENOENT);
	btf_put(btf);
}

KTEST(bpf_btf, kernel_typedefs_enums_and_tracepoints)
{
	static const struct {
		const char *name;
		uint32_t size;
	} typedefs[] = {
		{"u8", 1},
		{"u16", 2},
		{"u32", 4},
		{"u64", 8},
		{"s8", 1},
		{"s16", 2},
		{"s32", 4},
		{"s64", 8},
		{"__u8", 1},
		{"__u16", 2},
		{"__u32", 4},
		{"__u64", 8},
		{"__s8", 1},
		{"__s16", 2},
		{"__s32", 4},
		{"__s64", 8},
		{"__be16", 2},
		{"__be32", 4},
		{"__be64", 8},
		{"bool", 1},
		{"pid_t", 4},
		{"size_t", 8},
		{"loff_t", 8},
		{"btf_trace_sys_enter", 8},
		{"btf_trace_sys_exit", 8},
	};
	struct btf *btf = kernel_btf();

	ASSERT_NONNULL(btf);
	for (size_t i = 0; i < sizeof(typedefs) / sizeof(typedefs[0]); i++) {
		int32_t id = btf_find_by_name_kind(btf, typedefs[i].name, BTF_KIND_TYPEDEF);
		if (id <= 0)
			KT_FAIL("typedef %s: not in the kernel's BTF", typedefs[i].name);
		else
			EXPECT_EQ(btf_type_size(btf, (uint32_t)id), typedefs[i].size);
	}
	static const char *const enums[] = {"bpf_map_type", "bpf_prog_type", "bpf_cmd"};
	for (size_t i = 0; i < sizeof(enums) / sizeof(enums[0]); i++)
		EXPECT_GT(btf_find_by_name_kind(btf, enums[i], BTF_KIND_ENUM), 0);
	/* sys_enter's arguments after the context: struct pt_regs *, long. */
	int32_t te = btf_find_by_name_kind(btf, "btf_trace_sys_enter", BTF_KIND_TYPEDEF);
	ASSERT_GT(te, 0);
	const struct btf_type *ptr = btf_type_skip_modifiers(btf, (uint32_t)te, NULL);
	ASSERT_NONNULL(ptr);
	ASSERT_EQ(BTF_INFO_KIND(ptr->info), BTF_KIND_PTR);
	const struct btf_type *proto = btf_type_by_id(btf, ptr->type);
	ASSERT_NONNULL(proto);
	ASSERT_EQ(BTF_INFO_KIND(proto->info), BTF_KIND_FUNC_PROTO);
	ASSERT_EQ(BTF_INFO_VLEN(proto->info), 3);
	const struct btf_param *p = (const struct btf_param *)(proto + 1);
	EXPECT_EQ(btf_ptr_struct_target(btf, p[1].type), struct_id(btf, "pt_regs"));
	EXPECT_EQ(btf_type_size(btf, p[2].type), 8);
	btf_put(btf);
}

/* The proto of FUNC name: its return type and parameters (NULL if name is not a FUNC). */
static const struct btf_type *func_proto(const struct btf *btf, const char *name)
{
	int32_t id = btf_find_by_name_kind(btf, name, BTF_KIND_FUNC);
	const struct btf_type *f = id > 0 ? btf_type_by_id(btf, (uint32_t)id) : NULL;
	const struct btf_type *p = f ? btf_type_by_id(btf, f->type) : NULL;

	return p && BTF_INFO_KIND(p->info) == BTF_KIND_FUNC_PROTO ? p : NULL;
}

KTEST(bpf_btf, kernel_kfuncs_and_iterators)
{
	struct btf *btf = kernel_btf();

	ASSERT_NONNULL(btf);
	uint32_t it = struct_id(btf, "bpf_iter_task_vma"), task = struct_id(btf, "task_struct");
	uint32_t vma = struct_id(btf, "vm_area_struct");
	const struct btf_type *p = func_proto(btf, "bpf_iter_task_vma_new");
	ASSERT_NONNULL(p);
	ASSERT_EQ(BTF_INFO_VLEN(p->info), 3);
	const struct btf_param *a = (const struct btf_param *)(p + 1);
	EXPECT_EQ(strcmp(btf_type_name(btf, p->type), "int"), 0);
	EXPECT_EQ(btf_type_size(btf, p->type), 4);
	EXPECT_EQ(btf_ptr_struct_target(btf, a[0].type), it);
	EXPECT_EQ(btf_ptr_struct_target(btf, a[1].type), task);
	EXPECT_EQ(btf_type_size(btf, a[2].type), 8);
	EXPECT_EQ(strcmp(btf_name_by_offset(btf, a[2].name_off), "addr"), 0);

	p = func_proto(btf, "bpf_iter_task_vma_next");
	ASSERT_NONNULL(p);
	EXPECT_EQ(BTF_INFO_VLEN(p->info), 1);
	EXPECT_EQ(btf_ptr_struct_target(btf, p->type), vma);
	p = func_proto(btf, "bpf_iter_task_vma_destroy");
	ASSERT_NONNULL(p);
	EXPECT_EQ(p->type, 0); /* void */
	EXPECT_EQ(btf_ptr_struct_target(btf, ((const struct btf_param *)(p + 1))[0].type), it);

	/* libbpf finds iter/task_vma's attach point as FUNC bpf_iter_task_vma. */
	p = func_proto(btf, "bpf_iter_task_vma");
	ASSERT_NONNULL(p);
	ASSERT_EQ(BTF_INFO_VLEN(p->info), 3);
	a = (const struct btf_param *)(p + 1);
	EXPECT_EQ(btf_ptr_struct_target(btf, a[0].type), struct_id(btf, "bpf_iter_meta"));
	EXPECT_EQ(btf_ptr_struct_target(btf, a[1].type), task);
	EXPECT_EQ(btf_ptr_struct_target(btf, a[2].type), vma);
	EXPECT_EQ(btf_find_by_name_kind(btf, "no_such_kfunc", BTF_KIND_FUNC), -ENOENT);
	btf_put(btf);
}

/* ---------------------------------------------------------------------------------------------
 * Struct access (the verifier's btf_access)
 */

KTEST(bpf_btf, struct_access)
{
	struct btf *btf = kernel_btf();
	struct btf_access a;

	ASSERT_NONNULL(btf);
	uint32_t task = struct_id(btf, "task_struct"), vma = struct_id(btf, "vm_area_struct");
	uint32_t file = struct_id(btf, "file"), dentry = struct_id(btf, "dentry");
	ASSERT_TRUE(task && vma && file && dentry);

	/* A number, a pointer to a struct, the pointer's part, two members, past the end, padding. */
	EXPECT_EQ(btf_struct_access(btf, task, offsetof(struct task_struct, pid), 4, &a), 0);
	EXPECT_EQ(a.btf_id, 0);
	EXPECT_EQ(btf_struct_access(btf, task, offsetof(struct task_struct, pid), 2, &a), 0);
	EXPECT_EQ(btf_struct_access(btf, task, offsetof(struct task_struct, mm), 8, &a), 0);
	EXPECT_EQ(a.btf_id, struct_id(btf, "mm_struct"));
	EXPECT_EQ(btf_struct_access(btf, task, offsetof(struct task_struct, mm), 4, &a), -EACCES);
	EXPECT_EQ(btf_struct_access(btf, task, offsetof(struct task_struct, mm) + 4, 4, &a),
		  -EACCES);
	EXPECT_EQ(btf_struct_access(btf, task, offsetof(struct task_struct, pid), 8, &a), -EACCES);
	EXPECT_EQ(btf_struct_access(btf, task, sizeof(struct task_struct), 1, &a), -EACCES);
	EXPECT_EQ(btf_struct_access(btf, task, 0xfffffff0u, 32, &a), -EACCES);
	EXPECT_EQ(btf_struct_access(btf, task, offsetof(struct task_struct, exit_code) + 4, 4, &a),
		  -EACCES);
	EXPECT_EQ(btf_struct_access(btf, task, 0, 0, &a), -EACCES);
	/* Inside an array: any bytes of one element. */
	EXPECT_EQ(btf_struct_access(btf, task, offsetof(struct task_struct, comm) + 8, 8, &a), 0);
	EXPECT_EQ(a.btf_id, 0);
	EXPECT_EQ(btf_struct_access(btf, task, offsetof(struct task_struct, comm) + 12, 8, &a),
		  -EACCES);

	/* vma->vm_file->f_path.dentry->d_shortname.string, a step at a time. */
	EXPECT_EQ(btf_struct_access(btf, vma, offsetof(struct vm_area_struct, vm_file), 8, &a), 0);
	EXPECT_EQ(a.btf_id, file);
	EXPECT_EQ(btf_struct_access(btf, file, offsetof(struct btf_file, f_path.dentry), 8, &a), 0);
	EXPECT_EQ(a.btf_id, dentry);
	EXPECT_EQ(a.member_off, offsetof(struct btf_file, f_path.dentry));
	EXPECT_EQ(btf_struct_access(btf, dentry, offsetof(struct dentry, d_shortname.string) + 3, 1,
				    &a),
		  0);
	EXPECT_EQ(a.btf_id, 0);
	/* A pointer to a non-struct (d_name.name: const unsigned char *) is a number. */
	EXPECT_EQ(btf_struct_access(btf, dentry, offsetof(struct dentry, d_name.name), 8, &a), 0);
	EXPECT_EQ(a.btf_id, 0);
	/* Not a struct at all. */
	EXPECT_EQ(btf_struct_access(btf,
				    (uint32_t)btf_find_by_name_kind(btf, "u32", BTF_KIND_TYPEDEF),
				    0, 4, &a),
		  -EACCES);
	EXPECT_EQ(btf_struct_access(btf, 0, 0, 4, &a), -EACCES);
	EXPECT_EQ(btf_struct_access(btf, 0xffffffffu, 0, 4, &a), -EACCES);
	btf_put(btf);
}

/* ---------------------------------------------------------------------------------------------
 * Hand-made BTF
 */

static uint8_t blob[16384];
static char logbuf[4096];

/* Parse blob's size bytes with a level-1 log: the errno; the log is in logbuf. */
static int parse_logged(uint32_t size, struct btf **out)
{
	struct btf_log_attr log = {.buf = logbuf, .size = sizeof(logbuf), .level = 1};

	logbuf[0] = 0;
	return btf_parse(blob, size, &log, out);
}

/* One of every kind, as clang emits them: accepted. */
static uint32_t build_valid(struct btf_builder *b)
{
	bb_init(b);
	uint32_t i32 = bb_int(b, "int", 4, BTF_INT_SIGNED);            /* 1 */
	uint32_t node = bb_type(b, "node", BTF_KIND_STRUCT, 0, 3, 24); /* 2 */
	bb_member(b, "next", 3, 0);
	bb_member(b, "val", i32, 64);
	bb_member(b, "arr", 4, 96);
	bb_ref(b, BTF_KIND_PTR, NULL, node);                   /* 3: struct node * */
	bb_array(b, i32, i32, 3);                              /* 4: int[3] */
	uint32_t u = bb_type(b, "u", BTF_KIND_UNION, 0, 2, 8); /* 5 */
	bb_member(b, "a", i32, 0);
	bb_member(b, "b", 3, 0);
	uint32_t e = bb_type(b, "e", BTF_KIND_ENUM, 0, 2, 4); /* 6 */
	bb_word(b, bb_str(b, "E_A"));
	bb_word(b, 0);
	bb_word(b, bb_str(b, "E_B"));
	bb_word(b, 1);
	bb_type(b, "fwd", BTF_KIND_FWD, 1, 0, 0);                          /* 7 */
	uint32_t td = bb_ref(b, BTF_KIND_TYPEDEF, "node_t", node);         /* 8 */
	uint32_t vol = bb_ref(b, BTF_KIND_VOLATILE, NULL, td);             /* 9 */
	uint32_t cst = bb_ref(b, BTF_KIND_CONST, NULL, vol);               /* 10 */
	bb_ref(b, BTF_KIND_TYPE_TAG, "user", cst);                         /* 11: tags come first */
	uint32_t proto = bb_type(b, NULL, BTF_KIND_FUNC_PROTO, 0, 3, i32); /* 12 */
	bb_word(b, bb_str(b, "n"));
	bb_word(b, 3);
	bb_word(b, bb_str(b, "k"));
	bb_word(b, e);
	bb_word(b, 0); /* ... */
	bb_word(b, 0);
	uint32_t proto2 = bb_type(b, NULL, BTF_KIND_FUNC_PROTO, 0, 1, 0); /* 13 */
	bb_word(b, bb_str(b, "x"));
	bb_word(b, u);
	uint32_t f = bb_type(b, "f", BTF_KIND_FUNC, 0, BTF_FUNC_GLOBAL, proto2); /* 14 */
	uint32_t var = bb_type(b, "counter", BTF_KIND_VAR, 0, 0, i32);           /* 15 */
	bb_word(b, BTF_VAR_GLOBAL_ALLOCATED);
	bb_type(b, ".bss", BTF_KIND_DATASEC, 0, 1, 4); /* 16 */
	bb_word(b, var);
	bb_word(b, 0);
	bb_word(b, 4);
	bb_type(b, "double", BTF_KIND_FLOAT, 0, 0, 8); /* 17 */
	bb_type(b, "hot", BTF_KIND_DECL_TAG, 0, 0, f); /* 18 */
	bb_word(b, 0);
	uint32_t e64 = bb_type(b, "big", BTF_KIND_ENUM64, 0, 1, 8); /* 19 */
	bb_word(b, bb_str(b, "BIG"));
	bb_word(b, 1);
	bb_word(b, 2);
	uint32_t bits = bb_type(b, "bits", BTF_KIND_STRUCT, 1, 2, 4); /* 20: bitfields */
	bb_member(b, "lo", i32, (3u << 24) | 0);
	bb_member(b, "hi", e, (5u << 24) | 3);
	(void)proto, (void)e64, (void)bits;
	return bb_blob(b, blob);
}

KTEST(bpf_btf, valid_blob_of_every_kind)
{
	static struct btf_builder b;
	struct btf *btf = NULL;
	uint32_t size = build_valid(&b);

	ASSERT_EQ(parse_logged(size, &btf), 0);
	ASSERT_NONNULL(btf);
	EXPECT_NULL(btf_check(btf));
	EXPECT_EQ(btf_nr_types(btf), 21);
	EXPECT_EQ(btf_type_size(btf, 2), 24);
	EXPECT_EQ(btf_type_size(btf, 4), 12);
	EXPECT_EQ(btf_type_size(btf, 11), 24); /* tag const volatile typedef node */
	EXPECT_EQ(btf_ptr_struct_target(btf, 3), 2);
	EXPECT_EQ(btf_find_by_name_kind(btf, "node_t", BTF_KIND_TYPEDEF), 8);
	EXPECT_EQ(strcmp(btf_type_name(btf, 14), "f"), 0);
	EXPECT_EQ(strcmp(btf_type_name(btf, 999), ""), 0);
	EXPECT_NULL(btf_type_by_id(btf, 21));
	EXPECT_NULL(btf_name_by_offset(btf, 1u << 20));
	/* The log names every type, from the header on. */
	EXPECT_NONNULL(strstr(logbuf, "magic: 0xeb9f"));
	EXPECT_NONNULL(strstr(logbuf, "[2] STRUCT node size=24 vlen=3"));
	struct btf_access a;
	EXPECT_EQ(btf_struct_access(btf, 2, 0, 8, &a), 0);
	EXPECT_EQ(a.btf_id, 2);
	EXPECT_EQ(btf_struct_access(btf, 2, 16, 4, &a), 0);       /* arr[1] */
	EXPECT_EQ(btf_struct_access(btf, 20, 0, 4, &a), -EACCES); /* bitfields */
	btf_put(btf);
}

/* A hostile case: a change to the valid blob (or a blob of its own), its errno and log words. */
struct hostile {
	const char *what;
	uint32_t (*make)(struct btf_builder *b); /* returns the blob's size in `blob` */
	int err;
	const char *log;
};

static uint32_t h_empty(struct btf_builder *b)
{
	(void)b;
	return 0;
}
static uint32_t h_short(struct btf_builder *b)
{
	return build_valid(b) ? 7 : 0;
}
static uint32_t h_hdr_past_end(struct btf_builder *b)
{
	build_valid(b);
	bb_hdr(blob)->hdr_len = 100;
	return 40;
}
static uint32_t h_hdr_tail(struct btf_builder *b)
{
	uint32_t size = build_valid(b);
	memmove(blob + 32, blob + 24, size - 24);
	memset(blob + 24, 0, 8);
	blob[30] = 1;
	bb_hdr(blob)->hdr_len = 32;
	return size + 8;
}
static uint32_t h_hdr_long_ok(struct btf_builder *b)
{
	uint32_t size = build_valid(b);
	memmove(blob + 29, blob + 24, size - 24);
	memset(blob + 24, 0, 5);
	bb_hdr(blob)->hdr_len = 29; /* zero tail, odd length: fine, and the types end up aligned */
	return size + 5;
}
static uint32_t h_magic(struct btf_builder *b)
{
	uint32_t s = build_valid(b);
	bb_hdr(blob)->magic = 0x9feb;
	return s;
}
static uint32_t h_version(struct btf_builder *b)
{
	uint32_t s = build_valid(b);
	bb_hdr(blob)->version = 2;
	return s;
}
static uint32_t h_flags(struct btf_builder *b)
{
	uint32_t s = build_valid(b);
	bb_hdr(blob)->flags = 1;
	return s;
}
static uint32_t h_no_data(struct btf_builder *b)
{
	build_valid(b);
	return 24;
}
static uint32_t h_sec_offset(struct btf_builder *b)
{
	uint32_t s = build_valid(b);
	bb_hdr(blob)->str_off = 1u << 30;
	return s;
}
static uint32_t h_sec_gap(struct btf_builder *b)
{
	uint32_t s = build_valid(b);
	bb_hdr(blob)->type_off = 4;
	bb_hdr(blob)->type_len -= 4;
	return s;
}
static uint32_t h_sec_overlap(struct btf_builder *b)
{
	uint32_t s = build_valid(b);
	bb_hdr(blob)->str_off -= 4;
	bb_hdr(blob)->str_len += 4;
	return s;
}
static uint32_t h_sec_too_long(struct btf_builder *b)
{
	uint32_t s = build_valid(b);
	bb_hdr(blob)->str_len = 0xffffffffu;
	return s;
}
static uint32_t h_huge_type_len(struct btf_builder *b)
{
	uint32_t s = build_valid(b);
	bb_hdr(blob)->type_len = 0xfffffff0u;
	return s;
}
static uint32_t h_str_not_last(struct btf_builder *b)
{
	uint32_t s = build_valid(b);
	struct btf_header *h = bb_hdr(blob);
	/* Strings first, then types: the sections tile, but strings are not at the end. */
	uint8_t tmp[sizeof(blob)];
	memcpy(tmp, blob + 24 + h->type_len, h->str_len);
	memcpy(tmp + h->str_len, blob + 24, h->type_len);
	memcpy(blob + 24, tmp, h->type_len + h->str_len);
	h->str_off = 0;
	h->type_off = h->str_len;
	return s;
}
static uint32_t h_str_first_char(struct btf_builder *b)
{
	uint32_t s = build_valid(b);
	blob[24 + bb_hdr(blob)->str_off] = 'x';
	return s;
}
static uint32_t h_str_no_nul(struct btf_builder *b)
{
	uint32_t s = build_valid(b);
	blob[s - 1] = 'x';
	return s;
}
/* The only way to an unaligned type_off: an empty type section after an odd string section. */
static uint32_t h_type_unaligned(struct btf_builder *b)
{
	bb_init(b);
	bb_str(b, "abcd");
	uint32_t s = bb_blob(b, blob);
	struct btf_header *h = bb_hdr(blob);
	h->str_off = 0;
	h->type_off = h->str_len;
	return s;
}
static uint32_t h_no_types(struct btf_builder *b)
{
	bb_init(b);
	bb_str(b, "x");
	return bb_blob(b, blob);
}
static uint32_t h_truncated_type(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "int", 4, 0);
	b->nwords--; /* the int's word */
	return bb_blob(b, blob);
}
static uint32_t h_half_header(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "int", 4, 0);
	bb_word(b, 0);
	bb_word(b, 0); /* 8 bytes of a second type */
	return bb_blob(b, blob);
}
static uint32_t h_info_bits(struct btf_builder *b)
{
	bb_init(b);
	bb_type(b, NULL, BTF_KIND_PTR, 0, 0, 0);
	b->words[1] |= 0x00010000;
	return bb_blob(b, blob);
}
static uint32_t h_kind0(struct btf_builder *b)
{
	bb_init(b);
	bb_type(b, NULL, 0, 0, 0, 0);
	return bb_blob(b, blob);
}
static uint32_t h_kind20(struct btf_builder *b)
{
	bb_init(b);
	bb_type(b, NULL, 20, 0, 0, 0);
	return bb_blob(b, blob);
}
static uint32_t h_name_off(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "int", 4, 0);
	b->words[0] = 5000;
	return bb_blob(b, blob);
}
static uint32_t h_vlen_huge(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "int", 4, 0);
	bb_type(b, "s", BTF_KIND_STRUCT, 0, 0xffff, 4);
	bb_member(b, "a", 1, 0);
	return bb_blob(b, blob);
}
static uint32_t h_int_bits(struct btf_builder *b)
{
	bb_init(b);
	bb_type(b, "wide", BTF_KIND_INT, 0, 0, 32);
	bb_word(b, 200);
	return bb_blob(b, blob);
}
static uint32_t h_int_enc(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "int", 4, 8);
	return bb_blob(b, blob);
}
static uint32_t h_ptr_bad_id(struct btf_builder *b)
{
	bb_init(b);
	bb_ref(b, BTF_KIND_PTR, NULL, 99);
	return bb_blob(b, blob);
}
static uint32_t h_ptr_name(struct btf_builder *b)
{
	bb_init(b);
	bb_ref(b, BTF_KIND_PTR, "p", 0);
	return bb_blob(b, blob);
}
static uint32_t h_typedef_loop(struct btf_builder *b)
{
	bb_init(b);
	bb_ref(b, BTF_KIND_TYPEDEF, "a", 2);
	bb_ref(b, BTF_KIND_TYPEDEF, "b", 1);
	return bb_blob(b, blob);
}
static uint32_t h_self_typedef(struct btf_builder *b)
{
	bb_init(b);
	bb_ref(b, BTF_KIND_CONST, NULL, 1);
	return bb_blob(b, blob);
}
static uint32_t h_ptr_loop(struct btf_builder *b)
{
	bb_init(b);
	bb_ref(b, BTF_KIND_PTR, NULL, 2);
	bb_ref(b, BTF_KIND_CONST, NULL, 1);
	return bb_blob(b, blob);
}
static uint32_t h_struct_loop(struct btf_builder *b)
{
	bb_init(b);
	bb_type(b, "a", BTF_KIND_STRUCT, 0, 1, 8);
	bb_member(b, "b", 2, 0);
	bb_type(b, "b", BTF_KIND_STRUCT, 0, 1, 8);
	bb_member(b, "a", 1, 0);
	return bb_blob(b, blob);
}
static uint32_t h_member_exceeds(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "long", 8, 0);
	bb_type(b, "s", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(b, "x", 1, 0);
	return bb_blob(b, blob);
}
static uint32_t h_member_void(struct btf_builder *b)
{
	bb_init(b);
	bb_type(b, "s", BTF_KIND_STRUCT, 0, 1, 4);
	bb_member(b, "x", 0, 0);
	return bb_blob(b, blob);
}
static uint32_t h_member_order(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "int", 4, 0);
	bb_type(b, "s", BTF_KIND_STRUCT, 0, 2, 8);
	bb_member(b, "x", 1, 32);
	bb_member(b, "y", 1, 0);
	return bb_blob(b, blob);
}
static uint32_t h_member_func(struct btf_builder *b)
{
	bb_init(b);
	bb_type(b, NULL, BTF_KIND_FUNC_PROTO, 0, 0, 0);
	bb_type(b, "s", BTF_KIND_STRUCT, 0, 1, 8);
	bb_member(b, "x", 1, 0);
	return bb_blob(b, blob);
}
static uint32_t h_array_overflow(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "long", 8, 0);
	bb_array(b, 1, 1, 0x40000000);
	return bb_blob(b, blob);
}
static uint32_t h_array_index(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "int", 4, 0);
	bb_type(b, "s", BTF_KIND_STRUCT, 0, 0, 4);
	bb_array(b, 1, 2, 4);
	return bb_blob(b, blob);
}
static uint32_t h_array_self(struct btf_builder *b)
{
	bb_init(b);
	bb_array(b, 1, 1, 4);
	return bb_blob(b, blob);
}
static uint32_t h_func_not_proto(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "int", 4, 0);
	bb_type(b, "f", BTF_KIND_FUNC, 0, 0, 1);
	return bb_blob(b, blob);
}
static uint32_t h_func_linkage(struct btf_builder *b)
{
	bb_init(b);
	bb_type(b, NULL, BTF_KIND_FUNC_PROTO, 0, 0, 0);
	bb_type(b, "f", BTF_KIND_FUNC, 0, BTF_FUNC_EXTERN, 1);
	return bb_blob(b, blob);
}
static uint32_t h_proto_void_arg(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "int", 4, 0);
	bb_type(b, NULL, BTF_KIND_FUNC_PROTO, 0, 2, 1);
	bb_word(b, 0);
	bb_word(b, 0);
	bb_word(b, 0);
	bb_word(b, 1);
	return bb_blob(b, blob);
}
static uint32_t h_func_unnamed_arg(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "int", 4, 0);
	bb_type(b, NULL, BTF_KIND_FUNC_PROTO, 0, 1, 1);
	bb_word(b, 0);
	bb_word(b, 1);
	bb_type(b, "f", BTF_KIND_FUNC, 0, 0, 2);
	return bb_blob(b, blob);
}
static uint32_t h_var_extern(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "int", 4, 0);
	bb_type(b, "v", BTF_KIND_VAR, 0, 0, 1);
	bb_word(b, BTF_VAR_GLOBAL_EXTERN);
	return bb_blob(b, blob);
}
static uint32_t h_datasec_not_var(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "int", 4, 0);
	bb_type(b, ".data", BTF_KIND_DATASEC, 0, 1, 4);
	bb_word(b, 1);
	bb_word(b, 0);
	bb_word(b, 4);
	return bb_blob(b, blob);
}
static uint32_t h_ptr_to_var(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "int", 4, 0);
	bb_type(b, "v", BTF_KIND_VAR, 0, 0, 1);
	bb_word(b, 0);
	bb_ref(b, BTF_KIND_PTR, NULL, 2);
	return bb_blob(b, blob);
}
static uint32_t h_decl_tag_int(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "int", 4, 0);
	bb_type(b, "t", BTF_KIND_DECL_TAG, 0, 0, 1);
	bb_word(b, (uint32_t)-1);
	return bb_blob(b, blob);
}
/* t0 -> t1 -> ... -> t39 -> int: each typedef names the next id, so resolving t0 goes 41 deep. */
static uint32_t h_deep_chain(struct btf_builder *b)
{
	char name[8];
	bb_init(b);
	for (uint32_t i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "t%u", i);
		bb_ref(b, BTF_KIND_TYPEDEF, name, i + 2);
	}
	bb_int(b, "int", 4, 0);
	return bb_blob(b, blob);
}
static uint32_t h_enum_size(struct btf_builder *b)
{
	bb_init(b);
	bb_type(b, "e", BTF_KIND_ENUM, 0, 0, 3);
	return bb_blob(b, blob);
}
static uint32_t h_bad_ident(struct btf_builder *b)
{
	bb_init(b);
	bb_type(b, "1abc", BTF_KIND_STRUCT, 0, 0, 0);
	return bb_blob(b, blob);
}
static uint32_t h_tag_after_const(struct btf_builder *b)
{
	bb_init(b);
	bb_int(b, "int", 4, 0);
	bb_ref(b, BTF_KIND_TYPE_TAG, "user", 1);
	bb_ref(b, BTF_KIND_CONST, NULL, 2);
	bb_ref(b, BTF_KIND_TYPE_TAG, "rcu", 3);
	bb_ref(b, BTF_KIND_CONST, NULL, 2);
	bb_ref(b, BTF_KIND_PTR, NULL, 5);
	b->words[3 * 3 + 1 + 2] = 3; /* the rcu tag now follows const 3: tags after a modifier */
	return bb_blob(b, blob);
}

static const struct hostile corpus[] = {
	{"empty", h_empty, -EINVAL, "hdr_len not found"},
	{"7 bytes", h_short, -EINVAL, "hdr_len not found"},
	{"hdr_len past the end", h_hdr_past_end, -EINVAL, "btf_header not found"},
	{"longer header, nonzero tail", h_hdr_tail, -E2BIG, "Unsupported btf_header"},
	{"bad magic", h_magic, -EINVAL, "Invalid magic"},
	{"version 2", h_version, -ENOTSUPP, "Unsupported version"},
	{"flags", h_flags, -ENOTSUPP, "Unsupported flags"},
	{"header only", h_no_data, -EINVAL, "No data"},
	{"section offset past the end", h_sec_offset, -EINVAL, "Invalid section offset"},
	{"gap before the types", h_sec_gap, -EINVAL, "Unsupported section found"},
	{"overlapping sections", h_sec_overlap, -EINVAL, "Section overlap found"},
	{"string section too long", h_sec_too_long, -EINVAL, "Total section length too long"},
	{"type_len 4G", h_huge_type_len, -EINVAL, "Total section length too long"},
	{"strings before types", h_str_not_last, -EINVAL, "String section is not at the end"},
	{"strings not starting with NUL", h_str_first_char, -EINVAL, "Invalid string section"},
	{"strings not ending with NUL", h_str_no_nul, -EINVAL, "Invalid string section"},
	{"type_off 2", h_type_unaligned, -EINVAL, "Unaligned type_off"},
	{"no types", h_no_types, -EINVAL, "No type found"},
	{"int without its word", h_truncated_type, -EINVAL, "meta_left:0 meta_needed:4"},
	{"half a type", h_half_header, -EINVAL, "[2] meta_left:8 meta_needed:12"},
	{"info bits", h_info_bits, -EINVAL, "Invalid btf_info"},
	{"kind 0", h_kind0, -EINVAL, "Invalid kind:0"},
	{"kind 20", h_kind20, -EINVAL, "Invalid kind:20"},
	{"name offset", h_name_off, -EINVAL, "Invalid name_offset:5000"},
	{"vlen 65535", h_vlen_huge, -EINVAL, "meta_left:12 meta_needed:786420"},
	{"int of 200 bits", h_int_bits, -EINVAL, "nr_bits exceeds 128"},
	{"int encoding", h_int_enc, -EINVAL, "Unsupported encoding"},
	{"pointer to id 99", h_ptr_bad_id, -EINVAL, "Invalid type_id"},
	{"named pointer", h_ptr_name, -EINVAL, "Invalid name"},
	{"typedef loop", h_typedef_loop, -EEXIST, "Loop detected"},
	{"const of itself", h_self_typedef, -EEXIST, "Loop detected"},
	{"pointer loop", h_ptr_loop, -EEXIST, "Loop detected"},
	{"structs containing each other", h_struct_loop, -EEXIST, "Loop detected"},
	{"member past the struct", h_member_exceeds, -EINVAL, "Member exceeds struct_size"},
	{"void member", h_member_void, -EINVAL, "Invalid type_id"},
	{"members out of order", h_member_order, -EINVAL, "Invalid member bits_offset"},
	{"function member", h_member_func, -EINVAL, "Invalid member"},
	{"array of 2^30 longs", h_array_overflow, -EINVAL, "Array size overflows U32_MAX"},
	{"struct index", h_array_index, -EINVAL, "Invalid index"},
	{"array of itself", h_array_self, -EEXIST, "Loop detected"},
	{"func of an int", h_func_not_proto, -EINVAL, "Invalid type_id"},
	{"extern func", h_func_linkage, -EINVAL, "Invalid func linkage"},
	{"void argument first", h_proto_void_arg, -EINVAL, "Invalid arg#1"},
	{"func with an unnamed argument", h_func_unnamed_arg, -EINVAL, "Invalid arg#1"},
	{"extern var", h_var_extern, -EINVAL, "Linkage not supported"},
	{"datasec of an int", h_datasec_not_var, -EINVAL, "Not a VAR kind member"},
	{"pointer to a var", h_ptr_to_var, -EINVAL, "Invalid type_id"},
	{"decl tag on an int", h_decl_tag_int, -EINVAL, "Invalid type_id"},
	{"typedef chain of 40", h_deep_chain, -E2BIG, "Exceeded max resolving depth:32"},
	{"enum of 3 bytes", h_enum_size, -EINVAL, "Unexpected size"},
	{"struct 1abc", h_bad_ident, -EINVAL, "Invalid name"},
	{"type tag after const", h_tag_after_const, -EINVAL, "Type tags don't precede modifiers"},
};

KTEST(bpf_btf, hostile_corpus)
{
	static struct btf_builder b;

	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		struct btf *btf = (struct btf *)1;
		uint32_t size = corpus[i].make(&b);
		int err = parse_logged(size, &btf);
		if (err != corpus[i].err || !strstr(logbuf, corpus[i].log))
			KT_FAIL("%s: %d, log \"%s\"; expected %d and \"%s\"", corpus[i].what, err,
				logbuf, corpus[i].err, corpus[i].log);
		EXPECT_NULL(btf);
		/* The same without a log. */
		size = corpus[i].make(&b);
		EXPECT_EQ(btf_parse(blob, size, NULL, &btf), corpus[i].err);
	}
	/* Too large for BPF_BTF_LOAD: refused before a byte is read. */
	struct btf *btf;
	EXPECT_EQ(btf_parse(blob, BTF_MAX_SIZE + 1, NULL, &btf), -E2BIG);
	/* A header longer than Linux's with a zero tail is fine, whatever its alignment. */
	uint32_t size = h_hdr_long_ok(&b);
	ASSERT_EQ(parse_logged(size, &btf), 0);
	EXPECT_NULL(btf_check(btf));
	btf_put(btf);
}

/* ---------------------------------------------------------------------------------------------
 * The log and the object's life
 */

KTEST(bpf_btf, log_rules)
{
	static struct btf_builder b;
	uint32_t size = build_valid(&b);
	struct btf *btf;
	static char small[64];

	/* Log attributes as the verifier's: a buffer needs a size and a level, and the reverse. */
	struct btf_log_attr bad[] = {
		{.buf = small, .size = 0, .level = 1},
		{.buf = NULL, .size = 64, .level = 1},
		{.buf = small, .size = 64, .level = 0},
		{.buf = small, .size = 64, .level = 16},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(btf_parse(blob, size, &bad[i], &btf), -EINVAL);

	/* The whole log: its true size is its length with the NUL. */
	struct btf_log_attr log = {.buf = logbuf, .size = sizeof(logbuf), .level = 1};
	ASSERT_EQ(btf_parse(blob, size, &log, &btf), 0);
	btf_put(btf);
	EXPECT_EQ(log.true_size, strlen(logbuf) + 1);
	uint32_t whole = log.true_size;

	/* Too small: ENOSPC even for good BTF (Linux's), the end kept, or the start with FIXED. */
	log = (struct btf_log_attr){.buf = small, .size = sizeof(small), .level = 1};
	EXPECT_EQ(btf_parse(blob, size, &log, &btf), -ENOSPC);
	EXPECT_EQ(log.true_size, whole);
	EXPECT_EQ(strlen(small), sizeof(small) - 1);
	EXPECT_EQ(strcmp(small, logbuf + whole - sizeof(small)), 0);
	log = (struct btf_log_attr){
		.buf = small, .size = sizeof(small), .level = 1 | BPF_LOG_FIXED};
	EXPECT_EQ(btf_parse(blob, size, &log, &btf), -ENOSPC);
	EXPECT_EQ(strncmp(small, logbuf, sizeof(small) - 1), 0);
	/* A level without a buffer measures only. */
	log = (struct btf_log_attr){.level = 1};
	EXPECT_EQ(btf_parse(blob, size, &log, &btf), 0);
	EXPECT_EQ(log.true_size, whole);
	btf_put(btf);
	/* The reason for a rejection comes last, so a small rotating log keeps it; the overflow's
	   ENOSPC replaces the EINVAL, as Linux's. */
	bb_hdr(blob)->magic = 1;
	log = (struct btf_log_attr){.buf = small, .size = sizeof(small), .level = 1};
	EXPECT_EQ(btf_parse(blob, size, &log, &btf), -ENOSPC);
	EXPECT_NONNULL(strstr(small, "Invalid magic"));
	log = (struct btf_log_attr){.buf = logbuf, .size = sizeof(logbuf), .level = 1};
	EXPECT_EQ(btf_parse(blob, size, &log, &btf), -EINVAL);
	EXPECT_EQ(log.true_size, strlen(logbuf) + 1);
}

KTEST(bpf_btf, references_and_ids)
{
	static struct btf_builder b;
	uint32_t size = build_valid(&b);
	struct btf *x, *y, *got;
	uint32_t next;
	size_t live = btf_objs_live();

	ASSERT_EQ(btf_parse(blob, size, NULL, &x), 0);
	ASSERT_EQ(btf_parse(blob, size, NULL, &y), 0);
	EXPECT_EQ(btf_objs_live(), live + 2);
	EXPECT_EQ(btf_obj_id(x), 0);
	ASSERT_EQ(btf_publish(x), 0);
	ASSERT_EQ(btf_publish(y), 0);
	EXPECT_GT(btf_obj_id(y), btf_obj_id(x));
	EXPECT_FALSE(btf_is_kernel(x));
	EXPECT_EQ(strcmp(btf_obj_name(x), ""), 0);
	ASSERT_EQ(btf_get_by_id(btf_obj_id(x), &got), 0);
	EXPECT_TRUE(got == x);
	btf_put(got);
	EXPECT_EQ(btf_get_next_id(btf_obj_id(x), &next), 0);
	EXPECT_EQ(next, btf_obj_id(y));
	uint32_t xid = btf_obj_id(x), yid = btf_obj_id(y);
	btf_put(x);
	EXPECT_EQ(btf_get_by_id(xid, &got), -ENOENT);
	EXPECT_EQ(btf_get_next_id(0, &next), 0);
	EXPECT_EQ(next, yid);
	btf_put(y);
	EXPECT_EQ(btf_get_next_id(0, &next), -ENOENT);
	EXPECT_EQ(btf_get_by_id(0, &got), -ENOENT);
	EXPECT_EQ(btf_objs_live(), live);
}

static int copy_fails(void *dst, const void *src, size_t n)
{
	(void)dst, (void)src, (void)n;
	return -EFAULT;
}

static int copy_ok(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	return 0;
}

/* BPF_BTF_LOAD's way in: a blob that cannot be copied is EFAULT after the earlier checks. */
KTEST(bpf_btf, parse_from_a_copy)
{
	static struct btf_builder b;
	uint32_t size = build_valid(&b);
	struct btf *btf;
	struct btf_log_attr log = {.buf = logbuf, .size = sizeof(logbuf), .level = 1};

	EXPECT_EQ(btf_parse_copy(blob, size, copy_fails, &log, &btf), -EFAULT);
	EXPECT_NULL(btf);
	EXPECT_EQ(btf_parse_copy(blob, BTF_MAX_SIZE + 1, copy_fails, NULL, &btf), -E2BIG);
	log.size = 0;
	EXPECT_EQ(btf_parse_copy(blob, size, copy_fails, &log, &btf), -EINVAL);
	log.size = sizeof(logbuf);
	ASSERT_EQ(btf_parse_copy(blob, size, copy_ok, &log, &btf), 0);
	EXPECT_NULL(btf_check(btf));
	btf_put(btf);
}

/* Random corruptions of the kernel's blob: any verdict, but no sanitizer report and no leak. */
KTEST(bpf_btf, corrupted_kernel_blobs)
{
	struct test_rng rng;
	uint32_t size = kernel_blob_size();
	static uint8_t copy[1 << 16];
	unsigned accepted = 0;

	ASSERT_LE(size, sizeof(copy));
	test_rng_init(&rng, test_rng_seed("BPF_BTF_SEED", 0xb7f));
	for (int round = 0; round < 3000; round++) {
		memcpy(copy, __kestrel_btf_start, size);
		uint32_t n = 1 + (uint32_t)test_rng_below(&rng, 4), cut = size;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t at = (uint32_t)test_rng_below(&rng, size);
			switch (test_rng_below(&rng, 3)) {
			case 0:
				copy[at] ^= (uint8_t)(1u << test_rng_below(&rng, 8));
				break;
			case 1:
				copy[at] = (uint8_t)test_rng_next(&rng);
				break;
			default:
				cut = at;
				break;
			}
		}
		struct btf *btf;
		if (btf_parse(copy, cut, NULL, &btf) == 0) {
			accepted++;
			EXPECT_NULL(btf_check(btf));
			struct btf_access a;
			for (uint32_t id = 0; id < btf_nr_types(btf) + 2; id++) {
				btf_type_skip_modifiers(btf, id, NULL);
				btf_struct_access(btf, id, (uint32_t)test_rng_below(&rng, 128), 8,
						  &a);
			}
			btf_put(btf);
		}
	}
	EXPECT_GT(accepted, 0); /* flips in names and padding keep some blobs valid */
}

/*
 * Random changes to the words of the hand-made blob that has every kind, to small numbers (kinds,
 * ids, vlens, offsets near the edges) and random ones: any verdict, but no sanitizer report, no
 * leak, and every accepted blob consistent and safe to look up.
 */
KTEST(bpf_btf, corrupted_hand_made_blobs)
{
	static struct btf_builder b;
	struct test_rng rng;
	unsigned accepted = 0, rejected = 0;

	test_rng_init(&rng, test_rng_seed("BPF_BTF_SEED", 0xb7f));
	for (int round = 0; round < 20000; round++) {
		uint32_t size = build_valid(&b);
		uint32_t *words = (uint32_t *)(blob + sizeof(struct btf_header));
		uint32_t n = 1 + (uint32_t)test_rng_below(&rng, 3);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t w = (uint32_t)test_rng_below(&rng, b.nwords);
			switch (test_rng_below(&rng, 4)) {
			case 0:
				words[w] = (uint32_t)test_rng_below(&rng, 32);
				break;
			case 1:
				words[w] ^= 1u << test_rng_below(&rng, 32);
				break;
			case 2:
				words[w] = (uint32_t)test_rng_next(&rng);
				break;
			default:
				words[w] = (uint32_t)test_rng_below(&rng, 24) << 24 |
					   (uint32_t)test_rng_below(&rng, 4);
				break;
			}
		}
		struct btf *btf;
		if (btf_parse(blob, size, NULL, &btf)) {
			rejected++;
			continue;
		}
		accepted++;
		EXPECT_NULL(btf_check(btf));
		struct btf_access a;
		for (uint32_t id = 0; id < btf_nr_types(btf) + 2; id++) {
			btf_type_skip_modifiers(btf, id, NULL);
			btf_type_size(btf, id);
			btf_ptr_struct_target(btf, id);
			btf_struct_access(btf, id, (uint32_t)test_rng_below(&rng, 32),
					  1 + (uint32_t)test_rng_below(&rng, 8), &a);
		}
		btf_put(btf);
	}
	EXPECT_GT(accepted, 0);
	EXPECT_GT(rejected, 10000);
}
