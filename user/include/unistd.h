/* POSIX process and I/O calls, and Kestrel's spawn and uptime. Failures return -1 and set errno. */
#ifndef _UNISTD_H
#define _UNISTD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

/*
 * Reads up to len bytes from fd into buf; returns how many (0: end of file). The console's input
 * (fd 0 in a shell boot) waits for a byte, then returns what has come (include/uapi/console.h).
 */
ssize_t read(int fd, void *buf, size_t len);
/*
 * Makes task pid (0: none) the foreground task of the console whose input fd is: the one that may
 * read it and that ^C kills (include/uapi/console.h); Kestrel's tcsetpgrp. Returns 0 or -1.
 */
int console_fg(int fd, pid_t pid);
/* Writes up to len bytes of buf to fd; returns how many were written. */
ssize_t write(int fd, const void *buf, size_t len);
/* Ends the calling task with status & 0xff, without flushing anything (there is no buffer). */
_Noreturn void _exit(int status);
/* The caller's task's pid (the same in every thread). Cannot fail. */
pid_t getpid(void);
/* The calling thread's id (the task's pid for its first thread). Cannot fail. */
pid_t gettid(void);
/* The parent's pid, 0 once the parent has exited. Cannot fail. */
pid_t getppid(void);
/* Closes fd (e.g. a BPF map). */
int close(int fd);
/*
 * Starts program `name` (a boot module, e.g. "vmmap") as a child task with argv (NULL-terminated,
 * argv[0] included; NULL means { name, NULL }); returns the child's pid. Reap it with waitpid.
 */
pid_t spawn(const char *name, char *const argv[]);
/* TSC ticks since boot, for benchmarks. Cannot fail. */
uint64_t uptime(void);

#endif
