/*
 * Which CPUs exist, for code that keeps per-CPU data (BPF per-CPU maps, the RCU reader count's
 * future per-CPU form). Arch-neutral: kernel/cpu.c implements it for the kernel, the host tests'
 * shim (tests/host/shim.c) for the host, where it claims 4 possible CPUs so that nothing silently
 * assumes one.
 *
 * Kestrel runs on one CPU today; the interface is written for many. "Possible" CPUs are every CPU
 * that may ever come online: per-CPU arrays are sized by their count once, at creation, and never
 * resized.
 */
#ifndef KERNEL_CPU_H
#define KERNEL_CPU_H

/* How many CPUs may ever run Kestrel: at least 1, at most CPU_MAX; constant after boot. No lock. */
unsigned cpu_possible_count(void);

/*
 * The id of the CPU the caller runs on, in [0, cpu_possible_count()). Stable only while the caller
 * cannot migrate: a spinlock or interrupts off, or kernel code that does not sleep (system calls
 * are not preempted, kernel/sched.h). No lock.
 */
unsigned cpu_this_id(void);

#define CPU_MAX 64

#endif
