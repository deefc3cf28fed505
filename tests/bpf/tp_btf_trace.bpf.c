// SPDX-License-Identifier: GPL-2.0
/*
 * tp_btf programs (BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP) at Kestrel's tracepoints, reading
 * their typed arguments as Linux's selftests do with BPF_PROG:
 *   sys_enter (struct pt_regs *regs, long id): the first argument of target_pid's system call
 *             number target_nr, through regs->di;
 *   vm_fault  (task, address, access, result, page_size): target_pid's resolved faults counted by
 *             page size, 4 KiB and 2 MiB (the demo's use).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

pid_t target_pid = 0;
long target_nr = -1;
__u64 enter_calls = 0;
__u64 enter_di = 0;
__u64 faults_4k = 0;
__u64 faults_2m = 0;
__u64 faults_other = 0;

SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (task->pid != target_pid || id != target_nr)
		return 0;
	enter_calls++;
	enter_di = regs->di;
	return 0;
}

SEC("tp_btf/vm_fault")
int BPF_PROG(on_vm_fault, struct task_struct *task, unsigned long address, unsigned int access,
	     int result, unsigned long page_size)
{
	if (task->pid != target_pid || result != 0)
		return 0;
	if (page_size == 4096)
		faults_4k++;
	else if (page_size == 2ul << 20)
		faults_2m++;
	else
		faults_other++;
	return 0;
}

char _license[] SEC("license") = "GPL";
