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
 * Adding a system call: one entry in include/uapi/syscall_list.h gives its number, its prototype
 * here, its entry in syscall_table and its user wrapper; then write `long sys_NAME(struct
 * trapframe *tf)` in the file of its subsystem (README.md, "Adding a system call").
 */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <stdint.h>
#include <machine/frame.h>
#include <machine/syscall.h> /* syscall_arg and the rest of the frame's system-call convention */

typedef long (*syscall_handler_t)(struct trapframe *tf);

/* The C entry from the arch's system-call entry: run tf's number's handler, store its result. */
void syscall_dispatch(struct trapframe *tf);

/* A number with no handler (yet): -ENOSYS. */
long sys_enosys(struct trapframe *tf);

/* One handler per entry of include/uapi/syscall_list.h, in the file its group there names. */
#define SYSCALL(nr, name, ...) long sys_##name(struct trapframe *tf);
#include "uapi/syscall_list.h"
#undef SYSCALL

/* The handler for number nr (sys_enosys for a number without one). For the tests. */
syscall_handler_t syscall_handler(uint64_t nr);

#endif
