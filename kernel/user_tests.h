/*
 * The user-program test runner: after the kernel self-tests, every boot module named "test/NAME" runs
 * in its own task, one at a time, and the results are printed as their own KTAP block:
 *
 *   KTAP version 1
 *   1..N+1
 *   ok 1 user/NAME                                   exit status 0
 *   not ok 2 user/NAME # exit status S
 *   not ok 3 user/NAME # killed: <exception> at <addr>
 *   not ok 4 user/NAME # timed out                   still running after USER_TEST_SECONDS
 *   ok N+1 user.frames_back_to_baseline             free frames (after kmem_reap) as before
 *
 * What the programs print appears in between, as is. A test program must exit 0 to pass; when it
 * is over, tasks it left behind get USER_TEST_LINGER_TICKS to end and are then killed.
 */
#ifndef KERNEL_USER_TESTS_H
#define KERNEL_USER_TESTS_H

#include <stdint.h>

#define USER_TEST_SECONDS 20
#define USER_TEST_LINGER_TICKS 100

/* Run every "test/NAME" module as above; returns the number of failed results. */
int user_tests_run(void);

/*
 * Run one program (spawn name with argv {name}) to its end, killing it (and every user task)
 * after `seconds`; prints "<label>: exit status S", "killed ..." or "timed out". Returns its wait
 * status, or -1 if it did not start or was killed for taking too long.
 */
int user_program_run(const char *name, const char *label, unsigned seconds);

/*
 * `make fuzz`: run the system-call fuzzer (tests/user/fuzz_syscalls.c) with new random seeds, one
 * child each, until `seconds` have passed or one fails; or, with seed nonzero, that seed alone.
 * Every seed is printed with the command that replays it. Returns the number that failed.
 */
int user_fuzz_run(unsigned seconds, uint64_t seed);

#endif
