/*
 * The raw system-call interface under the library's wrappers (the ABI is in
 * include/uapi/syscall.h, the calls in include/uapi/syscall_list.h). Programs normally call the
 * wrappers instead.
 */
#ifndef _SYS_SYSCALL_H
#define _SYS_SYSCALL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "uapi/syscall.h"

/*
 * Makes system call nr with up to six arguments (unused ones are ignored by the kernel) and
 * returns the kernel's result unchanged: >= 0 on success, a negated errno on failure.
 */
long __syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* Turns a raw result into the POSIX convention: a negated errno sets errno and gives -1. */
long __syscall_ret(long raw);

/*
 * The list's argument pairs (type, name, ...) as a parameter list, as the names alone, and as
 * __syscall6's six long arguments.
 */
#define __SC_PARAMS_0()
#define __SC_PARAMS_1(t1, a1) t1 a1
#define __SC_PARAMS_2(t1, a1, ...) t1 a1, __SC_PARAMS_1(__VA_ARGS__)
#define __SC_PARAMS_3(t1, a1, ...) t1 a1, __SC_PARAMS_2(__VA_ARGS__)
#define __SC_PARAMS_4(t1, a1, ...) t1 a1, __SC_PARAMS_3(__VA_ARGS__)
#define __SC_PARAMS_5(t1, a1, ...) t1 a1, __SC_PARAMS_4(__VA_ARGS__)
#define __SC_PARAMS_6(t1, a1, ...) t1 a1, __SC_PARAMS_5(__VA_ARGS__)
#define __SC_NAMES_0()
#define __SC_NAMES_1(t1, a1) a1
#define __SC_NAMES_2(t1, a1, ...) a1, __SC_NAMES_1(__VA_ARGS__)
#define __SC_NAMES_3(t1, a1, ...) a1, __SC_NAMES_2(__VA_ARGS__)
#define __SC_NAMES_4(t1, a1, ...) a1, __SC_NAMES_3(__VA_ARGS__)
#define __SC_NAMES_5(t1, a1, ...) a1, __SC_NAMES_4(__VA_ARGS__)
#define __SC_NAMES_6(t1, a1, ...) a1, __SC_NAMES_5(__VA_ARGS__)
#define __SC_LONGS_0() 0, 0, 0, 0, 0, 0
#define __SC_LONGS_1(t1, a1) (long)(a1), 0, 0, 0, 0, 0
#define __SC_LONGS_2(t1, a1, t2, a2) (long)(a1), (long)(a2), 0, 0, 0, 0
#define __SC_LONGS_3(t1, a1, t2, a2, t3, a3) (long)(a1), (long)(a2), (long)(a3), 0, 0, 0
#define __SC_LONGS_4(t1, a1, t2, a2, t3, a3, t4, a4) \
	(long)(a1), (long)(a2), (long)(a3), (long)(a4), 0, 0
#define __SC_LONGS_5(t1, a1, t2, a2, t3, a3, t4, a4, t5, a5) \
	(long)(a1), (long)(a2), (long)(a3), (long)(a4), (long)(a5), 0
#define __SC_LONGS_6(t1, a1, t2, a2, t3, a3, t4, a4, t5, a5, t6, a6) \
	(long)(a1), (long)(a2), (long)(a3), (long)(a4), (long)(a5), (long)(a6)
#define __SC_PARAMS(n, pairs) __SC_PARAMS_##n pairs
#define __SC_NAMES(n, pairs) __SC_NAMES_##n pairs
#define __SC_LONGS(n, pairs) __SC_LONGS_##n pairs
#define __SC_VOID_0 void
#define __SC_VOID_1
#define __SC_VOID_2
#define __SC_VOID_3
#define __SC_VOID_4
#define __SC_VOID_5
#define __SC_VOID_6

struct bpf_vma;
struct sched_stat;
struct sys_stat;
struct task_info;
struct timespec;
struct vm_map_ent;
struct vm_stat;
union bpf_attr;

/*
 * One raw, typed wrapper per call: `long __sys_NAME(args)` makes system call SYS_NAME and returns
 * the kernel's result unchanged (a negated errno on failure; errno untouched).
 */
#define SYSCALL(nr, name, wrap, ret, uname, fuzz, n, pairs) \
	long __sys_##name(__SC_VOID_##n __SC_PARAMS(n, pairs));
#include "uapi/syscall_list.h"
#undef SYSCALL

#endif
