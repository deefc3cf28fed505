/* <machine/backtrace.h>: symbolized backtraces of the kernel stack (arch/x86_64/backtrace.c). */
#ifndef MACHINE_BACKTRACE_H
#define MACHINE_BACKTRACE_H

#include <stdint.h>

/*
 * Print a symbolized backtrace: first rip, then the return addresses found by following the frame
 * pointer chain from rbp (the kernel is built with frame pointers; boot sets rbp = 0 as the end).
 * Stops at a frame pointer outside kernel memory, misaligned, or not increasing.
 */
void backtrace_print(uint64_t rip, uint64_t rbp);

/*
 * Backtrace of an exception at rip with stack pointer rsp and frame pointer rbp. Exact for a
 * function interrupted before its prologue finished and for frameless leaf functions (GCC omits the
 * frame in leaves that don't touch the stack): their caller's return address is at rsp, not in a
 * frame.
 */
void backtrace_print_trap(uint64_t rip, uint64_t rsp, uint64_t rbp);

/* backtrace_print from the caller's own frame. */
void backtrace_here(void);

#endif
