/* The system-call table and dispatch (contract in kernel/syscall.h). */
#include "kernel/syscall.h"
#include "kernel/callback.h"
#include "kernel/task.h"
#include "kernel/trace.h"
#include "uapi/kestrel_btf_types.h"
#include "uapi/errno.h"
#include "uapi/syscall.h"

long sys_enosys(struct trapframe *tf)
{
	(void)tf;
	return -ENOSYS;
}

/*
 * Every number in include/uapi/syscall.h. The entries still at sys_enosys belong to subsystems
 * that have not landed: replace them with the real handler.
 */
static const syscall_handler_t syscall_table[SYS_COUNT] = {
	[0] = sys_enosys,
	[SYS_write] = sys_write,
	[SYS_exit] = sys_exit,
	[SYS_getpid] = sys_getpid,
	[SYS_sched_yield] = sys_sched_yield,
	[SYS_spawn] = sys_spawn,
	[SYS_waitpid] = sys_waitpid,
	[SYS_mmap] = sys_mmap,
	[SYS_munmap] = sys_munmap,
	[SYS_mprotect] = sys_mprotect,
	[SYS_vm_stat] = sys_vm_stat,
	[SYS_vm_map_list] = sys_vm_map_list,
	[SYS_close] = sys_close,
	[SYS_bpf_map_create] = sys_bpf_map_create,
	[SYS_bpf_map_update] = sys_bpf_map_update,
	[SYS_bpf_map_lookup] = sys_bpf_map_lookup,
	[SYS_bpf_map_delete] = sys_bpf_map_delete,
	[SYS_bpf_map_next_key] = sys_bpf_map_next_key,
	[SYS_bpf_find_vma] = sys_bpf_find_vma,
	[SYS_bpf_for_each_map_elem] = sys_bpf_for_each_map_elem,
	[SYS_bpf_task_vma_batch] = sys_bpf_task_vma_batch,
	[SYS_cb_return] = sys_cb_return,
	[SYS_task_lock_map] = sys_task_lock_map,
	[SYS_uptime] = sys_uptime,
	[SYS_sched_stat] = sys_sched_stat,
	[SYS_bpf] = sys_bpf,
	[SYS_read] = sys_read,
	[SYS_nanosleep] = sys_nanosleep,
	[SYS_task_list] = sys_task_list,
	[SYS_kill] = sys_kill,
	[SYS_console_fg] = sys_console_fg,
	[SYS_sys_stat] = sys_sys_stat,
	[SYS_madvise] = sys_madvise,
	[SYS_mincore] = sys_mincore,
	[SYS_msync] = sys_msync,
};

/* The registers as sys_enter and sys_exit programs see them (Linux's struct pt_regs names). */
static void pt_regs_of(const struct trapframe *tf, uint64_t nr, struct pt_regs *regs)
{
	*regs = (struct pt_regs){
		.r15 = tf->r15, .r14 = tf->r14, .r13 = tf->r13, .r12 = tf->r12, .bp = tf->rbp,
		.bx = tf->rbx, .r11 = tf->r11, .r10 = tf->r10, .r9 = tf->r9, .r8 = tf->r8,
		.ax = tf->rax, .cx = tf->rcx, .dx = tf->rdx, .si = tf->rsi, .di = tf->rdi,
		.orig_ax = nr, .ip = tf->rip, .cs = tf->cs, .flags = tf->rflags, .sp = tf->rsp,
		.ss = tf->ss,
	};
}

/* A tracepoint with (regs, v): sys_enter's system call number or sys_exit's result. */
static void trace_syscall(enum trace_point tp, const struct trapframe *tf, uint64_t nr, uint64_t v)
{
	struct pt_regs regs;

	pt_regs_of(tf, nr, &regs);
	uint64_t args[2] = {(uint64_t)(uintptr_t)&regs, v};
	trace_point_run(tp, args);
}

void syscall_dispatch(struct trapframe *tf)
{
	uint64_t nr = tf->rax;

	callback_syscall_enter(tf);
	task_current()->fault_repeats = 0; /* a system call is progress: see task_user_exception */
	if (trace_point_enabled(TRACE_SYS_ENTER))
		trace_syscall(TRACE_SYS_ENTER, tf, nr, nr);
	tf->rax = (uint64_t)(nr < SYS_COUNT ? syscall_table[nr](tf) : -ENOSYS);
	if (trace_point_enabled(TRACE_SYS_EXIT))
		trace_syscall(TRACE_SYS_EXIT, tf, nr, tf->rax);
	task_return_to_user(tf);
}
