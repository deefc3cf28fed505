/*
 * Kestrel's system calls: the one list. Every other table is generated from it:
 *   include/uapi/syscall.h       the numbers (enum SYS_NAME) and SYS_COUNT
 *   kernel/syscall.h, syscall.c  the handler prototypes and the dispatch table
 *   user/include/sys/syscall.h   the raw typed wrappers' prototypes (long __sys_NAME(...))
 *   user/syscall_wrappers.c      the raw wrappers and the library functions marked below
 *   tests/user/fuzz_syscalls.c   the fuzzer's argument kinds
 * tests/host/test_syscall_list.c and the kernel test syscall_table check that they agree: numbers
 * dense from 1, every number with a handler, as many fuzzer kinds as arguments.
 *
 * An entry: SYSCALL(nr, name, wrap, ret, uname, fuzz, nargs, (type1, arg1, type2, arg2, ...))
 *   nr     the number, in rax. Numbers are never reused; a new call takes SYS_COUNT's value.
 *   name   SYS_name, the kernel's `long sys_name(struct trapframe *tf)` in the file its group
 *          names below (the handler validates every argument: kernel/syscall.h).
 *   wrap   the library function `ret uname(args)` that user/syscall_wrappers.c generates:
 *            POSIX   a failure sets errno and returns -1 (cast to ret)
 *            RAW     the kernel's result unchanged (a negated errno on failure; errno untouched)
 *            LIBBPF  the kernel's result unchanged, and a failure also sets errno (libbpf's way)
 *            NONE    nothing generated: the library writes its own on top of __sys_name (e.g.
 *                    mmap's MAP_FAILED), or the call is not for programs (test aids, the
 *                    callback trampoline's)
 *          Its prototype is in the user header for its subsystem; the generated file includes
 *          them all, so a prototype that disagrees with the list does not compile.
 *   fuzz   one letter per argument for tests/user/fuzz_syscalls.c (its kinds are listed there).
 *   nargs  how many arguments; the pairs give each one's type (as user programs pass it) and name.
 * Types here are the ones user programs see; the kernel reads every argument as a 64-bit word
 * (syscall_arg) and checks it. Include this file only through the headers above: it has no guard
 * on purpose and expects SYSCALL to be defined by the includer.
 */

// clang-format off: one entry a line, its comment indented below it
/* kernel/proc_syscalls.c: tasks, I/O, time */
SYSCALL(1, write, POSIX, ssize_t, write, "ipl", 3, (int, fd, const void *, buf, size_t, len))
/* -> bytes written */
SYSCALL(2, exit, NONE, void, _exit, "i", 1, (int, status))
/* does not return; the task's exit status is status & 0xff */
SYSCALL(3, getpid, RAW, pid_t, getpid, "", 0, ())
SYSCALL(4, sched_yield, POSIX, int, sched_yield, "", 0, ())
SYSCALL(5, spawn, POSIX, pid_t, spawn, "nv", 2, (const char *, name, char *const *, argv))
/* -> pid; EFAULT, ENAMETOOLONG (name of 64 bytes or more), E2BIG (more than 256 arguments
	   or 32 KiB of strings), ENOENT (no such program), ENOEXEC (not a valid program), ENOMEM */
SYSCALL(6, waitpid, POSIX, pid_t, waitpid, "ipz", 3, (pid_t, pid, int *, status, int, options))
/* -> pid; include/uapi/wait.h */
SYSCALL(12, close, POSIX, int, close, "d", 1, (int, fd))
SYSCALL(22, task_lock_map, NONE, int, -, "qi", 2, (int, pid, int, hold))
/* test aid: hold (1) or release (0) pid's map lock for writing */
SYSCALL(23, uptime, RAW, uint64_t, uptime, "", 0, ())
/* -> TSC ticks since boot (benchmarks) */
SYSCALL(24, sched_stat, POSIX, int, sched_stat, "qP", 2, (int, pid, struct sched_stat *, out))
/* include/uapi/sched.h */
SYSCALL(26, read, POSIX, ssize_t, read, "iPl", 3, (int, fd, void *, buf, size_t, len))
/* -> bytes read, 0 at end of file; EBADF fd not open or not readable, EFAULT, and its
	   kind's own errors (the console's input: include/uapi/console.h) */
SYSCALL(27, nanosleep, POSIX, int, nanosleep, "PP", 2,
	(const struct timespec *, req, struct timespec *, rem))
/* include/uapi/time.h */
SYSCALL(35, getppid, RAW, pid_t, getppid, "", 0, ())
/* -> the parent's pid; 0 once the parent has exited (the task is an orphan) */

/* kernel/task_list.c */
SYSCALL(28, task_list, POSIX, ssize_t, task_list, "Pli", 3,
	(struct task_info *, out, size_t, max, int, from))
/* -> count; include/uapi/task_info.h */
SYSCALL(29, kill, POSIX, int, kill, "i", 1, (pid_t, pid))
/* include/uapi/task_info.h */

/* kernel/console_input.c */
SYSCALL(30, console_fg, POSIX, int, console_fg, "ii", 2, (int, fd, pid_t, pid))
/* include/uapi/console.h */

/* kernel/sys_stat.c */
SYSCALL(31, sys_stat, POSIX, int, sys_stat, "P", 1, (struct sys_stat *, out))
/* include/uapi/sys_stat.h */

/* kernel/vm_syscalls.c: the memory calls, contracts in include/uapi/mman.h and vm_stat.h */
SYSCALL(7, mmap, NONE, void *, mmap, "glifzz", 6,
	(void *, addr, size_t, len, int, prot, int, flags, int, fd, off_t, off))
SYSCALL(8, munmap, POSIX, int, munmap, "gl", 2, (void *, addr, size_t, len))
SYSCALL(9, mprotect, POSIX, int, mprotect, "gli", 3, (void *, addr, size_t, len, int, prot))
SYSCALL(10, vm_stat, POSIX, int, vm_stat, "qP", 2, (int, pid, struct vm_stat *, out))
/* pid 0: the caller */
SYSCALL(11, vm_map_list, POSIX, ssize_t, vm_map_list, "qPlp", 4,
	(int, pid, struct vm_map_ent *, out, size_t, max, uint64_t, from))
/* -> count */
SYSCALL(32, madvise, POSIX, int, madvise, "gli", 3, (void *, addr, size_t, len, int, behav))
SYSCALL(33, mincore, POSIX, int, mincore, "glP", 3, (const void *, addr, size_t, len, char *, vec))
SYSCALL(34, msync, POSIX, int, msync, "gli", 3, (void *, addr, size_t, len, int, flags))
SYSCALL(36, minherit, POSIX, int, minherit, "gli", 3, (void *, addr, size_t, len, int, inherit))
SYSCALL(37, mlock, POSIX, int, mlock, "gl", 2, (const void *, addr, size_t, len))
SYSCALL(38, munlock, POSIX, int, munlock, "gl", 2, (const void *, addr, size_t, len))
SYSCALL(39, mlockall, POSIX, int, mlockall, "i", 1, (int, flags))
SYSCALL(40, munlockall, POSIX, int, munlockall, "", 0, ())

/* kernel/bpf_syscalls.c: the native BPF-like calls, contracts in include/uapi/bpf.h */
SYSCALL(13, bpf_map_create, NONE, int, bpf_native_map_create, "iiii", 4,
	(int, type, uint32_t, key_size, uint32_t, value_size, uint32_t, max_entries))
/* -> fd */
SYSCALL(14, bpf_map_update, LIBBPF, int, bpf_map_update_elem, "dPPz", 4,
	(int, fd, const void *, key, const void *, value, uint64_t, flags))
SYSCALL(15, bpf_map_lookup, LIBBPF, int, bpf_map_lookup_elem, "dPP", 3,
	(int, fd, const void *, key, void *, value))
SYSCALL(16, bpf_map_delete, LIBBPF, int, bpf_map_delete_elem, "dP", 2, (int, fd, const void *, key))
SYSCALL(17, bpf_map_next_key, LIBBPF, int, bpf_map_get_next_key, "dPP", 3,
	(int, fd, const void *, key, void *, next_key))
SYSCALL(18, bpf_find_vma, NONE, long, bpf_find_vma, "qPcxz", 5,
	(int, pid, uint64_t, addr, void *, cb, void *, ctx, uint64_t, flags))
SYSCALL(19, bpf_for_each_map_elem, NONE, long, bpf_for_each_map_elem, "dcxz", 4,
	(int, fd, void *, cb, void *, ctx, uint64_t, flags))
/* -> elements visited */
SYSCALL(20, bpf_task_vma_batch, RAW, int, bpf_task_vma_batch, "qpPl", 4,
	(int, pid, uint64_t, from, struct bpf_vma *, out, size_t, max))
/* -> count */

/* kernel/callback.c */
SYSCALL(21, cb_return, NONE, long, -, "x", 1, (long, value))
/* ends the running callback; accepted only from the trampoline page */

/* kernel/bpf/syscall.c: Linux's bpf(2), include/uapi/bpf.h */
SYSCALL(25, bpf, RAW, int, bpf, "iBl", 3, (int, cmd, union bpf_attr *, attr, unsigned int, size))

/* kernel/thread.c: threads, include/uapi/thread.h */
SYSCALL(41, thread_create, RAW, int, thread_create, "xxx", 3,
	(void *, entry, void *, arg, void *, stack_top))
/* -> tid */
SYSCALL(42, thread_exit, NONE, void, thread_exit, "i", 1, (int, value))
/* does not return */
SYSCALL(43, thread_join, RAW, int, thread_join, "iP", 2, (int, tid, int *, value))
SYSCALL(44, gettid, RAW, pid_t, gettid, "", 0, ())

/* kernel/futex.c: include/uapi/thread.h */
SYSCALL(45, futex, RAW, long, futex, "Piiz", 4,
	(uint32_t *, uaddr, int, op, uint32_t, val, uint64_t, timeout))
/* -> 0 or woken count */

/* kernel/thread.c: the thread pointer, include/uapi/thread.h */
SYSCALL(46, arch_prctl, POSIX, int, arch_prctl, "ix", 2, (int, code, unsigned long, addr))
// clang-format on
