/*
 * System-call dispatch: numbers (include/uapi/syscall.h) to handlers.
 *
 * A handler takes the caller's struct trapframe (built by arch/x86_64/syscall_entry.S; the
 * arguments are syscall_arg(tf, 0..5)) and returns the result: >= 0, or a negated errno. It runs
 * in the calling task with interrupts on and may sleep. It must check every argument: user
 * pointers only through copyin/copyout/copyinstr (kernel/usercopy.h), never dereferenced.
 * It may rewrite the frame (the callback syscalls do); the return goes through iretq whenever the
 * frame no longer suits sysret.
 *
 * Adding a system call: write `long sys_NAME(struct trapframe *tf)` in the file of its subsystem,
 * declare it below, and put it in syscall_table (kernel/syscall.c) at its number instead of
 * sys_enosys.
 */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <stdint.h>
#include "arch/x86_64/trap.h"

typedef long (*syscall_handler_t)(struct trapframe *tf);

/* Argument n (0..5) of the system call: rdi, rsi, rdx, r10, r8, r9. */
static inline uint64_t syscall_arg(const struct trapframe *tf, int n)
{
	switch (n) {
	case 0: return tf->rdi;
	case 1: return tf->rsi;
	case 2: return tf->rdx;
	case 3: return tf->r10;
	case 4: return tf->r8;
	default: return tf->r9;
	}
}

/* The C entry from syscall_entry.S: run the handler for tf->rax, store the result in tf->rax. */
void syscall_dispatch(struct trapframe *tf);

/* A number with no handler (yet): -ENOSYS. */
long sys_enosys(struct trapframe *tf);

/* kernel/proc_syscalls.c */
long sys_read(struct trapframe *tf);
long sys_write(struct trapframe *tf);
long sys_exit(struct trapframe *tf);
long sys_getpid(struct trapframe *tf);
long sys_sched_yield(struct trapframe *tf);
long sys_spawn(struct trapframe *tf);
long sys_waitpid(struct trapframe *tf);
long sys_close(struct trapframe *tf);
long sys_task_lock_map(struct trapframe *tf);
long sys_uptime(struct trapframe *tf);
long sys_sched_stat(struct trapframe *tf);
long sys_nanosleep(struct trapframe *tf);

/* kernel/task_list.c */
long sys_task_list(struct trapframe *tf);
long sys_kill(struct trapframe *tf);

/* kernel/console_input.c */
long sys_console_fg(struct trapframe *tf);

/* kernel/sys_stat.c */
long sys_sys_stat(struct trapframe *tf);

/* kernel/bpf_syscalls.c */
long sys_bpf_map_create(struct trapframe *tf);
long sys_bpf_map_update(struct trapframe *tf);
long sys_bpf_map_lookup(struct trapframe *tf);
long sys_bpf_map_delete(struct trapframe *tf);
long sys_bpf_map_next_key(struct trapframe *tf);
long sys_bpf_find_vma(struct trapframe *tf);
long sys_bpf_for_each_map_elem(struct trapframe *tf);
long sys_bpf_task_vma_batch(struct trapframe *tf);

/* kernel/bpf/syscall.c: Linux's bpf(2) */
long sys_bpf(struct trapframe *tf);

/* kernel/callback.c */
long sys_cb_return(struct trapframe *tf);

/* kernel/vm_syscalls.c */
long sys_mmap(struct trapframe *tf);
long sys_munmap(struct trapframe *tf);
long sys_mprotect(struct trapframe *tf);
long sys_vm_stat(struct trapframe *tf);
long sys_vm_map_list(struct trapframe *tf);
long sys_madvise(struct trapframe *tf);
long sys_mincore(struct trapframe *tf);
long sys_msync(struct trapframe *tf);

#endif
