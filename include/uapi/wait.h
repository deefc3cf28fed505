/*
 * SYS_waitpid's status word and options (shared by the kernel, which produces the status, and
 * user/include/sys/wait.h). Kestrel has no signals: a task ends by SYS_exit or by a CPU exception
 * in user mode that the kernel does not resolve (page fault on a bad address, #GP, #UD, ...).
 *
 *   bits 0..7    exit status (SYS_exit's argument & 0xff) when bit 8 is clear
 *   bit 8        killed by a fault
 *   bits 16..23  the exception vector of that fault (14 page fault, 13 #GP, 6 #UD, ...)
 *   other bits   zero
 *
 * SYS_waitpid(pid, status, options) -> pid of the reaped child. pid > 0 waits for that child,
 * pid -1 for any child (there are no process groups: 0 and pids below -1 match no child). status
 * may be NULL. Errors (negated): ECHILD no such child of the caller (or none at all for -1); EINVAL unknown options; EFAULT bad status pointer; EBUSY (without
 * WNOHANG) when called from a bpf_find_vma callback and every matching child that has not ended is
 * one whose map that callback holds: it could not finish exiting before the callback returns, so
 * the wait would never end. With WNOHANG it returns 0 instead of sleeping when no matching child
 * has ended yet.
 */
#ifndef UAPI_WAIT_H
#define UAPI_WAIT_H

#define WNOHANG 1

#define W_EXITCODE(code) ((code)&0xff)
#define W_FAULTCODE(vector) (0x100 | (((vector)&0xff) << 16))

#define WIFEXITED(s) (((s)&0x100) == 0)
#define WEXITSTATUS(s) ((s)&0xff)
#define WIFFAULTED(s) (((s)&0x100) != 0)
#define WFAULTVEC(s) (((s) >> 16) & 0xff)

#endif
