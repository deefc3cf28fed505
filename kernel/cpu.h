/*
 * Which CPUs exist, for code that keeps per-CPU data (BPF per-CPU maps, the RCU reader count's
 * future per-CPU form). Arch-neutral: kernel/cpu.c keeps the possible count, the arch
 * (arch/x86_64/percpu.c) answers cpu_this_id; the host tests' shim (tests/host/shim.c) implements
 * both, claiming 4 possible CPUs so that nothing silently assumes one.
 *
 * "Possible" CPUs are every CPU that may ever run Kestrel. Kestrel has no CPU hotplug, so they are
 * the CPUs the arch started at boot: the arch fixes the count once (cpu_possible_set), after the
 * last one came online and before anything that keeps per-CPU data can run (no task, no BPF map
 * exists yet). Per-CPU arrays are sized by that count at creation and never resized.
 */
#ifndef KERNEL_CPU_H
#define KERNEL_CPU_H

#define CPU_MAX 64

/*
 * Fix the possible count at n, in [1, CPU_MAX]: the arch's bring-up calls it exactly once, at boot,
 * after every CPU it will start is online and before the first per-CPU user. Panics if called
 * twice or with n out of range (a bring-up bug). No lock (one CPU runs boot code).
 */
void cpu_possible_set(unsigned n);

/*
 * How many CPUs may ever run Kestrel: at least 1, at most CPU_MAX; constant once set. Panics
 * before cpu_possible_set (a per-CPU user that early would size itself for the wrong machine).
 * No lock.
 */
unsigned cpu_possible_count(void);

/*
 * The id of the CPU the caller runs on, in [0, cpu_possible_count()); 0 on the boot CPU. Stable
 * only while the caller cannot migrate: a spinlock or interrupts off, or kernel code that does not
 * sleep (system calls are not preempted, kernel/sched.h). No lock.
 */
unsigned cpu_this_id(void);

#endif
