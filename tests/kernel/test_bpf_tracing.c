/*
 * TRACING programs' contexts as kernel/bpf/tracing.c builds them from the kernel's own BTF: the
 * iter/task_vma target's {meta, task, vma} (meta a typed pointer, task and vma typed "or NULL"),
 * the tp_btf typedefs' arguments after the first (pointers to structs typed, the rest numbers),
 * and the attach_btf_ids and attach types it refuses. The programs themselves run in
 * tests/user/bpf_tracing.c.
 */
#include "kernel/bpf/btf.h"
#include "kernel/bpf/btf_sys.h"
#include "kernel/bpf/tracing.h"
#include "kernel/ktest.h"
#include "uapi/errno.h"
#include "uapi/linux/btf.h"

static uint32_t id_of(const char *name, uint8_t kind)
{
	int32_t id = btf_find_by_name_kind(btf_vmlinux(), name, kind);
	return id > 0 ? (uint32_t)id : 0;
}

KTEST(bpf_tracing, iter_task_vma_context)
{
	struct bpf_tracing_ctx c;
	uint32_t fn = id_of("bpf_iter_task_vma", BTF_KIND_FUNC);

	ASSERT_NE(fn, 0u);
	ASSERT_EQ(bpf_tracing_prog_ctx(BPF_TRACE_ITER, fn, &c), 0);
	ASSERT_EQ(c.desc.nctx_fields, 3u);
	EXPECT_EQ(c.desc.ctx_size, 24u);
	EXPECT_TRUE(c.desc.ctx_fields == c.fields);
	EXPECT_EQ(c.fields[0].btf_id, id_of("bpf_iter_meta", BTF_KIND_STRUCT));
	EXPECT_EQ(c.fields[0].flags, 0);
	EXPECT_EQ(c.fields[1].btf_id, id_of("task_struct", BTF_KIND_STRUCT));
	EXPECT_EQ(c.fields[1].flags, BPF_CTX_PTR_OR_NULL);
	EXPECT_EQ(c.fields[2].btf_id, id_of("vm_area_struct", BTF_KIND_STRUCT));
	EXPECT_EQ(c.fields[2].flags, BPF_CTX_PTR_OR_NULL);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(c.fields[i].start, 8 * i);
		EXPECT_EQ(c.fields[i].read_sizes, BPF_CTX_SZ8);
		EXPECT_EQ(c.fields[i].write_sizes, 0);
	}
	/* iterators print: the seq helpers and bpf_d_path are theirs only */
	EXPECT_TRUE(bpf_prog_type_has_helper(&c.desc, BPF_FUNC_seq_printf));
	EXPECT_TRUE(bpf_prog_type_has_helper(&c.desc, BPF_FUNC_d_path));
}

KTEST(bpf_tracing, tp_btf_contexts)
{
	struct bpf_tracing_ctx c;
	enum trace_point tp;
	uint32_t fault = id_of("btf_trace_vm_fault", BTF_KIND_TYPEDEF);
	uint32_t enter = id_of("btf_trace_sys_enter", BTF_KIND_TYPEDEF);

	ASSERT_EQ(bpf_tracing_prog_ctx(BPF_TRACE_RAW_TP, fault, &c), 0);
	ASSERT_EQ(c.desc.nctx_fields, 5u);
	EXPECT_EQ(c.fields[0].btf_id, id_of("task_struct", BTF_KIND_STRUCT));
	EXPECT_EQ(c.fields[0].flags, 0);
	for (int i = 1; i < 5; i++) {
		EXPECT_EQ(c.fields[i].btf_id, 0u);
		EXPECT_EQ(c.fields[i].read_sizes,
			  BPF_CTX_SZ1 | BPF_CTX_SZ2 | BPF_CTX_SZ4 | BPF_CTX_SZ8);
	}
	EXPECT_FALSE(bpf_prog_type_has_helper(&c.desc, BPF_FUNC_seq_printf));
	ASSERT_EQ(bpf_tracing_tp_of(fault, &tp), 0);
	EXPECT_EQ(tp, TRACE_VM_FAULT);

	ASSERT_EQ(bpf_tracing_prog_ctx(BPF_TRACE_RAW_TP, enter, &c), 0);
	ASSERT_EQ(c.desc.nctx_fields, 2u);
	EXPECT_EQ(c.fields[0].btf_id, id_of("pt_regs", BTF_KIND_STRUCT));
	EXPECT_EQ(c.fields[1].btf_id, 0u);
	ASSERT_EQ(bpf_tracing_tp_of(enter, &tp), 0);
	EXPECT_EQ(tp, TRACE_SYS_ENTER);
}

KTEST(bpf_tracing, refused_attach_points)
{
	struct bpf_tracing_ctx c;
	uint32_t iter = id_of("bpf_iter_task_vma", BTF_KIND_FUNC);
	uint32_t tp = id_of("btf_trace_sys_exit", BTF_KIND_TYPEDEF);
	enum trace_point t;

	EXPECT_EQ(bpf_tracing_prog_ctx(BPF_TRACE_ITER, 0, &c), -EINVAL);
	EXPECT_EQ(bpf_tracing_prog_ctx(BPF_TRACE_ITER, tp, &c), -EINVAL);
	EXPECT_EQ(bpf_tracing_prog_ctx(BPF_TRACE_RAW_TP, iter, &c), -EINVAL);
	/* a FUNC that is not an iterator target, a struct, an id past the end */
	EXPECT_EQ(bpf_tracing_prog_ctx(BPF_TRACE_ITER,
				       id_of("bpf_iter_task_vma_new", BTF_KIND_FUNC), &c),
		  -EINVAL);
	EXPECT_EQ(bpf_tracing_prog_ctx(BPF_TRACE_RAW_TP, id_of("task_struct", BTF_KIND_STRUCT), &c),
		  -EINVAL);
	EXPECT_EQ(bpf_tracing_prog_ctx(BPF_TRACE_RAW_TP, 0xffffff, &c), -EINVAL);
	/* attach types Kestrel has no attach point for */
	EXPECT_EQ(bpf_tracing_prog_ctx(BPF_TRACE_FENTRY, iter, &c), -EINVAL);
	EXPECT_EQ(bpf_tracing_prog_ctx(BPF_LSM_MAC, tp, &c), -EINVAL);
	EXPECT_EQ(bpf_tracing_tp_of(iter, &t), -EINVAL);
}
