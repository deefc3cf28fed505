/*
 * The kernel's clock: nanoseconds since the clock was calibrated at boot, monotonic, at the
 * resolution of the CPU's cycle counter. Arch-neutral; arch/x86_64/ktime.c implements it with the
 * TSC, calibrated once against the PIT (which runs at a known 1193182 Hz).
 *
 * What reads it: bpf_ktime_get_ns, BPF_PROG_TEST_RUN's duration and a program's run_time_ns and
 * load_time. It is a clock for intervals and ordering, not wall-clock time.
 */
#ifndef KERNEL_KTIME_H
#define KERNEL_KTIME_H

#include <stdint.h>

/* Calibrate the clock. Once, at boot, before anything reads it; interrupts on or off. */
void ktime_init(void);

/* Nanoseconds since ktime_init. Any context, no lock, never sleeps. */
uint64_t ktime_get_ns(void);

#endif
