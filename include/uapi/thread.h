/*
 * Threads and futexes: the user ABI of SYS_thread_create, SYS_thread_exit, SYS_thread_join,
 * SYS_gettid, SYS_arch_prctl and SYS_futex (numbers in include/uapi/syscall_list.h; the model in
 * kernel/task.h).
 *
 * A task is a group of threads sharing one address space and one fd table. getpid returns the
 * task's id (the first thread's tid), gettid the calling thread's own id. exit ends every thread of
 * the task (Linux's exit_group) and a fault of any thread ends the task as it would a one-thread
 * task; the task's parent sees it end (waitpid) once every thread is gone.
 *
 * thread_create(entry, arg, stack_top) -> tid
 *   The new thread starts in ring 3 at entry with rdi = arg, rsp = stack_top, the other general
 *   registers unspecified, and a fresh FPU state as at program start (user/crt0.S): stack_top
 *   must be 16-byte aligned, like _start's rsp, so an entry written as crt0 (call a C function)
 *   gives that function the ABI's alignment. Errors, in this order:
 *     EINVAL  entry is not a user address (below USER_MIN or at or above USER_MAX)
 *     EINVAL  stack_top is not in (USER_MIN, USER_MAX] or not 16-byte aligned
 *     ENOMEM  out of memory (nothing is left behind)
 *     EAGAIN  the task has THREAD_MAX threads (counting ended ones not yet joined), or is ending
 *   Neither entry nor the stack need be mapped now: a fault there ends the task.
 *
 * thread_exit(value): ends the calling thread only; value is for thread_join. When the last thread
 *   ends this way, the task ends with exit status 0.
 *
 * thread_join(tid, &value) -> 0
 *   Waits for thread tid of the caller's task to end, stores its thread_exit value (an int; not
 *   if the pointer is NULL) and frees the thread (its tid may be reused). Errors, in this order:
 *     EINVAL  tid is the caller's own
 *     ESRCH   no thread tid in the caller's task (or it was joined already)
 *     EINVAL  another thread is joining tid already (the first thread, which is never freed
 *             before the task ends, can be joined once: a second join is EINVAL too)
 *     EDEADLK tid is itself waiting to join the caller
 *     EINTR   the caller was killed while waiting
 *     EFAULT  the value could not be stored: the thread stays joinable
 *
 * gettid() -> the calling thread's id. Cannot fail.
 *
 * arch_prctl(code, addr) -> 0 (Linux's x86-64 call, its codes and errors)
 *   The calling thread's thread pointer, the base user code addresses through %fs (the x86-64
 *   TLS ABI puts the thread's own record there; user/pthread.c does). A new task starts with 0; a
 *   thread starts with its creator's (Linux's clone without CLONE_SETTLS). The kernel never uses
 *   it: it is kept with the thread and loaded when the thread runs.
 *   ARCH_SET_FS: it becomes addr. EPERM addr is not below USER_MAX (nothing changes).
 *   ARCH_GET_FS: it is stored at addr, an unsigned long. EFAULT addr is not writable user memory.
 *   EINVAL any other code (the low 32 bits count, an int as in Linux).
 *
 * futex(uaddr, op, val, timeout) -> see below
 *   uaddr is a 32-bit word of the caller's memory; waiters are keyed by (address space, uaddr).
 *   FUTEX_WAIT: if *uaddr == val, sleep until a FUTEX_WAKE on uaddr wakes the caller, else fail
 *     with EAGAIN at once. The comparison and the going to sleep are atomic against FUTEX_WAKE: a
 *     wake that follows a store which made *uaddr != val is never lost. timeout: 0 none, else at
 *     most that many timer ticks (TIMER_HZ a second). Returns 0 once woken; EAGAIN; ETIMEDOUT the
 *     timeout passed; EINTR the caller was killed.
 *   FUTEX_WAKE: wake up to val waiters on uaddr (FIFO); returns how many were woken.
 *   Errors first, in this order: EINVAL op unknown; EINVAL uaddr not 4-byte aligned; EFAULT uaddr
 *   not a user address (or, for FUTEX_WAIT, not readable).
 */
#ifndef UAPI_THREAD_H
#define UAPI_THREAD_H

#define THREAD_MAX 64
#define THREAD_STACK_ALIGN 16

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

#endif
