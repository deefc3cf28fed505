/*
 * The source of the kernel's BTF (the Makefile compiles it with clang's BPF target and keeps the
 * object's .BTF section; kernel/bpf/btf.h reads it). Never run: it exists for the types clang
 * emits. What the BTF holds, each from its one definition:
 *   - the kernel types BPF programs see (include/uapi/kestrel_btf_types.h, through vmlinux.h) and
 *     the BPF ABI of <linux/bpf.h>, every one named in kestrel_btf_roots below;
 *   - one BTF_KIND_FUNC per kfunc, with its prototype, from the definitions below, which the
 *     compiler checks against the declarations programs use (include/bpf/bpf_experimental.h);
 *   - BTF_KIND_FUNC bpf_iter_<target> for each BPF iterator target, as Linux's
 *     DEFINE_BPF_ITER_FUNC makes it: libbpf finds an iter/<target> program's attach point by it;
 *   - the btf_trace_<tracepoint> typedefs of the tracepoints (tp_btf/<name> attach points).
 * Adding a type the kernel shows to programs: define it in kestrel_btf_types.h and name it in
 * kestrel_btf_roots (a type reached through a named one needs nothing more).
 */
#include "vmlinux.h"
#include "bpf_experimental.h"

/*
 * __builtin_btf_type_id makes clang emit a type without a variable or a function of it; inlined
 * into a kfunc's body, the list adds no BTF_KIND_FUNC of its own.
 */
#define ROOT(type) __builtin_btf_type_id(*(type *)0, 0)

static inline __attribute__((always_inline)) unsigned long kestrel_btf_roots(void)
{
	return
		/* integer typedefs */
		ROOT(u8) + ROOT(s8) + ROOT(u16) + ROOT(s16) + ROOT(u32) + ROOT(s32) + ROOT(u64) +
		ROOT(s64) + ROOT(__u8) + ROOT(__s8) + ROOT(__u16) + ROOT(__s16) + ROOT(__u32) +
		ROOT(__s32) + ROOT(__u64) + ROOT(__s64) + ROOT(__be16) + ROOT(__be32) +
		ROOT(__be64) + ROOT(__le16) + ROOT(__le32) + ROOT(__le64) + ROOT(__wsum) +
		ROOT(__sum16) + ROOT(bool) + ROOT(size_t) + ROOT(ssize_t) + ROOT(pid_t) +
		ROOT(uid_t) + ROOT(gid_t) + ROOT(dev_t) + ROOT(umode_t) + ROOT(fmode_t) +
		ROOT(loff_t) + ROOT(vm_flags_t) +
		/* kernel objects */
		ROOT(struct task_struct) + ROOT(struct mm_struct) + ROOT(struct vm_area_struct) +
		ROOT(struct file) + ROOT(struct path) + ROOT(struct dentry) + ROOT(struct qstr) +
		ROOT(struct inode) + ROOT(struct super_block) + ROOT(struct vfsmount) +
		ROOT(struct pt_regs) + ROOT(struct seq_file) + ROOT(struct bpf_iter_meta) +
		ROOT(struct bpf_iter__task_vma) + ROOT(struct bpf_iter_task_vma) +
		/* tracepoints */
		ROOT(btf_trace_sys_enter) + ROOT(btf_trace_sys_exit) + ROOT(btf_trace_vm_fault) +
		/* the BPF ABI */
		ROOT(struct __sk_buff) + ROOT(struct bpf_insn) + ROOT(union bpf_attr) +
		ROOT(struct bpf_prog_info) + ROOT(struct bpf_map_info) + ROOT(struct bpf_btf_info) +
		ROOT(struct bpf_func_info) + ROOT(struct bpf_line_info) + ROOT(struct bpf_raw_tracepoint_args) +
		ROOT(enum bpf_cmd) +
		ROOT(enum bpf_map_type) + ROOT(enum bpf_prog_type);
}

/* ---- kfuncs (prototypes: bpf_experimental.h) */

int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task, __u64 addr)
{
	return (int)kestrel_btf_roots();
}

struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it)
{
	return 0;
}

void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it)
{
}

/* ---- BPF iterator targets */

int bpf_iter_task_vma(struct bpf_iter_meta *meta, struct task_struct *task, struct vm_area_struct *vma)
{
	return 0;
}
