/*
 * Kestrel's system-call ABI (shared by the kernel and user/).
 *
 * Entry: the `syscall` instruction with the number in rax and arguments in rdi, rsi, rdx, r10, r8,
 * r9 (as on Linux). Return value in rax: >= 0 on success, -errno (include/uapi/errno.h) on failure.
 * rcx and r11 are clobbered; every other register is preserved.
 *
 * Where each call's contract is written: SYS_waitpid's status word and options in
 * include/uapi/wait.h, SYS_mmap's flags in include/uapi/mman.h, SYS_vm_stat and SYS_vm_map_list in
 * include/uapi/vm_stat.h, SYS_bpf, the SYS_bpf_* calls and the callback protocol (SYS_cb_return, the
 * trampoline page) in include/uapi/bpf.h.
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

#define SYS_write 1            /* (int fd, const void *buf, size_t len) -> bytes written */
#define SYS_exit 2             /* (int status) -> does not return */
#define SYS_getpid 3           /* () -> pid */
#define SYS_sched_yield 4      /* () -> 0 */
#define SYS_spawn 5            /* (const char *name, char *const argv[]) -> pid; EFAULT,
				  ENAMETOOLONG (name of 64 bytes or more), E2BIG (more than 256
				  arguments or 32 KiB of strings), ENOENT (no such program),
				  ENOEXEC (not a valid program), ENOMEM */
#define SYS_waitpid 6          /* (int pid, int *status, int options) -> pid */
#define SYS_mmap 7             /* (void *addr, size_t len, int prot, int flags, int fd, off_t off) -> addr */
#define SYS_munmap 8           /* (void *addr, size_t len) -> 0 */
#define SYS_mprotect 9         /* (void *addr, size_t len, int prot) -> 0 */
#define SYS_vm_stat 10         /* (int pid, struct vm_stat *out) -> 0; pid 0: the caller */
#define SYS_vm_map_list 11     /* (int pid, struct vm_map_ent *out, size_t max, uint64_t from) -> count */
#define SYS_close 12           /* (int fd) -> 0 */
#define SYS_bpf_map_create 13  /* (int type, uint32_t key_size, uint32_t value_size, uint32_t max_entries) -> fd */
#define SYS_bpf_map_update 14  /* (int fd, const void *key, const void *value, uint64_t flags) -> 0 */
#define SYS_bpf_map_lookup 15  /* (int fd, const void *key, void *value_out) -> 0 */
#define SYS_bpf_map_delete 16  /* (int fd, const void *key) -> 0 */
#define SYS_bpf_map_next_key 17 /* (int fd, const void *key, void *next_key) -> 0 */
#define SYS_bpf_find_vma 18    /* (int pid, uint64_t addr, cb, void *ctx, uint64_t flags) -> 0 */
#define SYS_bpf_for_each_map_elem 19 /* (int fd, cb, void *ctx, uint64_t flags) -> elements visited */
#define SYS_bpf_task_vma_batch 20 /* (int pid, uint64_t from, struct bpf_vma *out, size_t max) -> count */
#define SYS_cb_return 21       /* (long value): ends the running callback (used by the trampoline) */
#define SYS_task_lock_map 22   /* (int pid, int hold): test aid, hold/release pid's map lock for write */
#define SYS_uptime 23          /* () -> TSC ticks since boot (benchmarks) */
#define SYS_sched_stat 24      /* (int pid, struct sched_stat *out) -> 0; include/uapi/sched.h */
#define SYS_bpf 25             /* (int cmd, union bpf_attr *attr, unsigned size) -> Linux's bpf(2);
				  include/uapi/bpf.h */
#define SYS_read 26            /* (int fd, void *buf, size_t len) -> bytes read, 0 at end of file;
				  EBADF fd not open or not readable, EFAULT, and its kind's own
				  errors (the console's input: include/uapi/console.h) */
#define SYS_nanosleep 27       /* (const struct timespec *req, struct timespec *rem) -> 0;
				  include/uapi/time.h */
#define SYS_task_list 28       /* (struct task_info *out, size_t max, int from) -> count;
				  include/uapi/task_info.h */
#define SYS_kill 29            /* (int pid) -> 0; include/uapi/task_info.h */
#define SYS_console_fg 30      /* (int fd, int pid) -> 0; include/uapi/console.h */
#define SYS_sys_stat 31        /* (struct sys_stat *out) -> 0; include/uapi/sys_stat.h */
#define SYS_madvise 32         /* (void *addr, size_t len, int behav) -> 0; include/uapi/mman.h */
#define SYS_mincore 33         /* (const void *addr, size_t len, char *vec) -> 0;
				  include/uapi/mman.h */
#define SYS_msync 34           /* (void *addr, size_t len, int flags) -> 0; include/uapi/mman.h */
#define SYS_COUNT 35

#endif
