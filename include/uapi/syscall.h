/*
 * Kestrel's system-call ABI (shared by the kernel and user/).
 *
 * Entry: the `syscall` instruction with the number in rax and arguments in rdi, rsi, rdx, r10, r8,
 * r9 (as on Linux). Return value in rax: >= 0 on success, -errno (include/uapi/errno.h) on failure.
 * rcx and r11 are clobbered; every other register is preserved.
 *
 * The calls, their numbers and arguments: include/uapi/syscall_list.h, the one list everything
 * else is generated from. Where each call's contract is written: SYS_waitpid's status word and
 * options in include/uapi/wait.h, SYS_mmap's flags and the other memory calls in
 * include/uapi/mman.h, SYS_vm_stat and SYS_vm_map_list in include/uapi/vm_stat.h, SYS_bpf, the
 * SYS_bpf_* calls and the callback protocol (SYS_cb_return, the trampoline page) in
 * include/uapi/bpf.h.
 *
 * File descriptors 1 and 2 are the console (write only); the user library writes its error
 * messages (abort, heap corruption) to 2. Fd 0 is the parent's fd 0: the console's input for the
 * shell and what it starts (include/uapi/console.h), not open otherwise. A task's exit status is
 * SYS_exit's argument & 0xff.
 * spawn: `name` is the program's name (a multiboot module name, e.g. "vmmap"); argv is a
 * NULL-terminated array that the kernel copies onto the child's stack as given, argv[0] included
 * (argv NULL means { name, NULL }). The ELF loader's entry contract is written in user/crt0.S.
 */
#ifndef UAPI_SYSCALL_H
#define UAPI_SYSCALL_H

/* SYS_cb_return for the trampoline's assembly (kernel/syscall.c checks it against the list). */
#define SYS_CB_RETURN_ASM 21

#ifndef __ASSEMBLER__
/* SYS_write = 1, ...: one enumerator per call. */
enum syscall_nr {
#define SYSCALL(nr, name, ...) SYS_##name = nr,
#include "uapi/syscall_list.h"
#undef SYSCALL
};

/* One more than the highest number: the numbers are dense from 1 (tests/host/test_syscall_list.c). */
enum {
	SYS_COUNT = 1
#define SYSCALL(...) +1
#include "uapi/syscall_list.h"
#undef SYSCALL
};
#endif

#endif
