/*
 * The console's input (shared by the kernel and user/): SYS_read on it and SYS_console_fg.
 *
 * In a shell boot (kernel command line kestrel.shell=1) the kernel starts bin/sh with fd 0 open
 * on the console's input, and every task gets its parent's fd 0 (so in other boots no task has
 * one). The input is the serial port's bytes as they come, raw, except that CR becomes LF; nothing
 * is echoed: the reader echoes what it wants, as a shell that edits its own line does. Bytes that
 * come while nobody reads wait in a CONSOLE_INPUT_QUEUE-byte queue; when it is full, more are
 * dropped.
 *
 * SYS_read(fd, buf, len) on it sleeps until a byte is queued and the caller may read (no
 * foreground task is set, or it is the caller: a background job waits for its turn, as one that
 * SIGTTIN stops does), then returns up to len of the bytes queued (len 0: 0 at once). Errors
 * (negated), after SYS_read's own (EBADF, EFAULT): EINTR the caller was killed while it waited.
 *
 * SYS_console_fg(int fd, int pid) -> 0 makes task pid the foreground task: the only one that may
 * read, and the one that ^C (byte 0x03) kills, discarding the queued input with it. A task that
 * makes itself the foreground reads ^C as an ordinary byte instead (a shell editing its line).
 * pid 0: no foreground task (everyone with the fd reads; ^C is a byte). pid must be the caller or
 * one of its descendants. Errors (negated), in the order checked: EBADF fd is not open; EINVAL it
 * is not the console's input; ESRCH no task has that pid, or it has ended; EPERM it is a kernel
 * thread, or neither the caller nor a descendant of the caller.
 */
#ifndef UAPI_CONSOLE_H
#define UAPI_CONSOLE_H

#define CONSOLE_INPUT_QUEUE 256
#define CONSOLE_INTR 0x03 /* ^C */

#endif
