/*
 * bpf_find_vma from BPF programs, for tests/user/find_vma_bpf.c, as Linux's selftest writes it: on
 * sys_enter of the test's getpid calls (raw_tp), find the VMA of an address of the test program
 * with the current task (bpf_get_current_task_btf), and in the callback read what a tracing
 * program reads of a VMA: its bounds and flags, the file's name through
 * vm_file->f_path.dentry->d_shortname with bpf_probe_read_kernel_str, the inode and device, and
 * the mm it belongs to. The same call from a SYSCALL program run by BPF_PROG_TEST_RUN.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define VM_EXEC 0x00000004
#define DNAME_INLINE_LEN 40

/* Set before load: the system call number the raw_tp program acts on. */
const volatile long getpid_nr = -1;

/* Inputs. */
pid_t target_pid;
__u64 addr;
__u64 flags;

/* Outputs. */
long find_addr_ret = -1; /* bpf_find_vma(task, addr, ...) */
long find_zero_ret = -1; /* bpf_find_vma(task, 0, ...): -ENOENT */
int runs;                /* raw_tp runs that called bpf_find_vma */
int cb_calls;
int found_vm_exec;
int has_file;
int same_task;   /* the callback got the task that was passed */
int same_mm;     /* vma->vm_mm is task->mm */
int exe_is_file; /* task->mm->exe_file is vma->vm_file */
char d_shortname[DNAME_INLINE_LEN];
__u64 vm_start, vm_end, vm_flags, vm_pgoff, ino, dev, name_len;
__u64 start_code, end_code, start_stack;

struct callback_ctx {
	struct task_struct *task;
	int calls;
};

static long check_vma(struct task_struct *task, struct vm_area_struct *vma,
		      struct callback_ctx *data)
{
	struct file *file = vma->vm_file;

	data->calls++;
	vm_start = vma->vm_start;
	vm_end = vma->vm_end;
	vm_flags = vma->vm_flags;
	vm_pgoff = vma->vm_pgoff;
	if (vma->vm_flags & VM_EXEC)
		found_vm_exec = 1;
	has_file = file != NULL;
	if (file) {
		bpf_probe_read_kernel_str(d_shortname, DNAME_INLINE_LEN - 1,
					  file->f_path.dentry->d_shortname.string);
		name_len = BPF_CORE_READ(file, f_path.dentry, d_name.len);
		ino = BPF_CORE_READ(vma, vm_file, f_inode, i_ino);
		dev = file->f_inode->i_sb->s_dev;
	}
	same_task = task == data->task;
	same_mm = vma->vm_mm == task->mm;
	exe_is_file = task->mm->exe_file == file;
	start_code = task->mm->start_code;
	end_code = task->mm->end_code;
	start_stack = task->mm->start_stack;
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(handle_getpid, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct callback_ctx data = {.task = task};

	if (task->pid != target_pid || id != getpid_nr)
		return 0;
	runs++;
	find_addr_ret = bpf_find_vma(task, addr, check_vma, &data, flags);
	find_zero_ret = bpf_find_vma(task, 0, check_vma, &data, 0);
	cb_calls = data.calls;
	return 0;
}

SEC("syscall")
int find_vma_syscall(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct callback_ctx data = {.task = task};

	find_addr_ret = bpf_find_vma(task, addr, check_vma, &data, flags);
	cb_calls = data.calls;
	return 0;
}

char _license[] SEC("license") = "GPL";
