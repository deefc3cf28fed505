/*
 * The x86-64 user-copy routines (usercopy.S, usercopy.c). Their portable contract (copyin, copyout,
 * copyinstr, user_range_ok) is kernel/usercopy.h; this header adds what the trap path and boot need.
 *
 * These routines are the only kernel code that runs with RFLAGS.AC set (stac/clac, when the CPU
 * has SMAP): any other kernel access to user memory faults.
 */
#ifndef ARCH_X86_64_USERCOPY_H
#define ARCH_X86_64_USERCOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/usercopy.h"

struct trapframe;

/*
 * For the page-fault path: if tf is a fault inside one of the copy routines, make it return
 * -EFAULT when the frame is resumed and return true; otherwise return false.
 */
bool usercopy_fixup(struct trapframe *tf);

/* Whether rip is inside one of the copy routines (a fault there is on user memory). */
bool usercopy_contains(uint64_t rip);

/* Record whether the CPU has SMAP (stac/clac exist). Call once after cpu_features_init. */
void usercopy_init(bool have_smap);

#endif
