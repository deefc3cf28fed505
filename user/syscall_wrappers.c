/*
 * The wrappers include/uapi/syscall_list.h asks for: a raw typed wrapper for every call
 * (__sys_NAME, declared in <sys/syscall.h>) and the library function of every call whose wrap is
 * POSIX, RAW or LIBBPF (declared in the user header of its subsystem, included here so that a
 * declaration that disagrees with the list does not compile).
 */
#include <bpf.h>
#include <errno.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys_stat.h>
#include <task_info.h>
#include <thread.h>
#include <time.h>
#include <unistd.h>
#include <vm_stat.h>

/* A failure also goes to errno; the result is returned unchanged (libbpf's convention). */
static long __sc_libbpf_ret(long raw)
{
	if (raw < 0)
		errno = (int)-raw;
	return raw;
}

#define __SC_WRAP_POSIX(ret, uname, name, n, pairs)                            \
	ret uname(__SC_VOID_##n __SC_PARAMS(n, pairs))                         \
	{                                                                      \
		return (ret)__syscall_ret(__sys_##name(__SC_NAMES(n, pairs))); \
	}
#define __SC_WRAP_RAW(ret, uname, name, n, pairs)               \
	ret uname(__SC_VOID_##n __SC_PARAMS(n, pairs))          \
	{                                                       \
		return (ret)__sys_##name(__SC_NAMES(n, pairs)); \
	}
#define __SC_WRAP_LIBBPF(ret, uname, name, n, pairs)                             \
	ret uname(__SC_VOID_##n __SC_PARAMS(n, pairs))                           \
	{                                                                        \
		return (ret)__sc_libbpf_ret(__sys_##name(__SC_NAMES(n, pairs))); \
	}
#define __SC_WRAP_NONE(ret, uname, name, n, pairs)

#define SYSCALL(nr, name, wrap, ret, uname, fuzz, n, pairs)                                \
	_Static_assert(sizeof(fuzz) - 1 == (n), "syscall_list.h: " #name "'s fuzz kinds"); \
	long __sys_##name(__SC_VOID_##n __SC_PARAMS(n, pairs))                             \
	{                                                                                  \
		return __syscall6(SYS_##name, __SC_LONGS(n, pairs));                       \
	}                                                                                  \
	__SC_WRAP_##wrap(ret, uname, name, n, pairs)
#include "uapi/syscall_list.h"
#undef SYSCALL
