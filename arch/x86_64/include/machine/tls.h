/*
 * <machine/tls.h>: the user thread pointer, which user code addresses its thread's own data
 * through (x86-64: the FS segment's base; user/pthread.c keeps each thread's record there). The
 * kernel never uses FS itself, so the value stays loaded across system calls and interrupts and
 * only a context switch to another thread need load it (kernel/sched.c).
 */
#ifndef MACHINE_TLS_H
#define MACHINE_TLS_H

#include <stdint.h>

/* Make base the running CPU's user thread pointer. Interrupts off or the caller pinned. */
static inline void cpu_set_tls_base(uint64_t base)
{
	__asm__ volatile("wrmsr" ::"c"(0xc0000100u /* MSR_FS_BASE */), "a"((uint32_t)base),
			 "d"((uint32_t)(base >> 32)));
}

#endif
