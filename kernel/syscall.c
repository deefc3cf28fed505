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

/* Every number of include/uapi/syscall_list.h; 0 is never a call. */
static const syscall_handler_t syscall_table[SYS_COUNT] = {
	[0] = sys_enosys,
#define SYSCALL(nr, name, ...) [nr] = sys_##name,
#include "uapi/syscall_list.h"
#undef SYSCALL
};

_Static_assert(SYS_CB_RETURN_ASM == SYS_cb_return, "include/uapi/syscall.h: SYS_CB_RETURN_ASM");

syscall_handler_t syscall_handler(uint64_t nr)
{
	return nr < SYS_COUNT && syscall_table[nr] ? syscall_table[nr] : sys_enosys;
}

/* A tracepoint with (regs, v): sys_enter's system call number or sys_exit's result. */
static void trace_syscall(enum trace_point tp, const struct trapframe *tf, uint64_t nr, uint64_t v)
{
	struct pt_regs regs;

	syscall_pt_regs(tf, nr, &regs); /* the registers as Linux's struct pt_regs names them */
	uint64_t args[2] = {(uint64_t)(uintptr_t)&regs, v};
	trace_point_run(tp, args);
}

void syscall_dispatch(struct trapframe *tf)
{
	uint64_t nr = syscall_number(tf);

	callback_syscall_enter(tf);
	task_current()->fault_repeats = 0; /* a system call is progress: see task_user_exception */
	if (trace_point_enabled(TRACE_SYS_ENTER))
		trace_syscall(TRACE_SYS_ENTER, tf, nr, nr);
	syscall_set_retval(tf, (uint64_t)syscall_handler(nr)(tf));
	if (trace_point_enabled(TRACE_SYS_EXIT))
		trace_syscall(TRACE_SYS_EXIT, tf, nr, syscall_retval(tf));
	task_return_to_user(tf);
}
