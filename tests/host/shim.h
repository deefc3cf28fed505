/* Host-test helpers from tests/host/shim.c. */
#ifndef TESTS_HOST_SHIM_H
#define TESTS_HOST_SHIM_H

#include <stddef.h>

/*
 * Every host program starts with a simulated physical arena of this size, [0, size) in physical
 * addresses, with the first MiB reserved and the rest handed to pmm_init.
 */
#define HOST_DEFAULT_ARENA ((size_t)1 << 30)

/* Replace the arena with a fresh one of `bytes` and point dmap_base at it (pmm not initialized). */
void host_arena_init(size_t bytes);
/* host_arena_init, then pmm_init over [1 MiB, bytes). Forgets everything allocated before. */
void host_pmm_init(size_t bytes);

/*
 * kernel/cpu.h on the host: HOST_POSSIBLE_CPUS possible CPUs, so that no per-CPU code gets away
 * with assuming one, and cpu_this_id() returns host_cpu_id (0 unless a test sets it, to play a
 * program running on another CPU; below HOST_POSSIBLE_CPUS).
 */
#define HOST_POSSIBLE_CPUS 4u
extern unsigned host_cpu_id;

#endif
