/*
 * The console (COM1). One lock serializes whole kprintf calls so lines don't interleave. After a
 * panic starts, the lock is ignored: the panicking CPU must be able to print even if it interrupted
 * a holder.
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stddef.h>

void console_lock(void);
void console_unlock(void);
/* From now on console_lock never waits (panic path). */
void console_break_lock(void);
/* Write len bytes (from a user write(2) to fd 1 or 2, already copied in) under the console lock. */
void console_write(const char *buf, size_t len);

#endif
