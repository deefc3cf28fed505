/*
 * The console's input: the bytes the serial port receives, queued for SYS_read on the file that
 * is fd 0 of the shell and its children, and the foreground task that ^C kills (ABI in
 * include/uapi/console.h).
 *
 * The queue is filled from the receive interrupt (console_input_push) and drained by readers that
 * sleep on it with sched_lock (kernel/sched.h): a reader checks the queue and goes to sleep in one
 * hold of sched_lock, and the interrupt wakes the queue's sleepers after it has queued a byte, so
 * no byte arrives unnoticed between the check and the sleep.
 *
 * Locking: input_lock (a spinlock, taken in the interrupt too) protects the queue and the
 * foreground. Order: sched_lock before input_lock; the interrupt takes them one after the other,
 * never nested.
 */
#ifndef KERNEL_CONSOLE_INPUT_H
#define KERNEL_CONSOLE_INPUT_H

#include <stddef.h>
#include "kernel/fd.h"

/*
 * One received byte (the serial receive interrupt; any context, no lock held): CR becomes LF; ^C
 * kills the foreground task (unless it made itself the foreground) and empties the queue; any
 * other byte is queued, or dropped when the queue is full. Wakes the readers.
 */
void console_input_push(char c);

/*
 * For the self-tests, which feed the queue through console_input_push: discard the queued input
 * and forget the foreground task; the bytes waiting in the queue now.
 */
void console_input_reset(void);
size_t console_input_queued(void);

/* The console's input as a file: read sleeps for input; close does nothing (it is never freed). */
extern struct file console_input_file;

#endif
