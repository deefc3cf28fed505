/*
 * The x86-64 user-copy routines (usercopy.S, usercopy.c). Their portable contract (copyin, copyout,
 * copyinstr, user_range_ok) is kernel/usercopy.h, what the fault path needs <machine/usercopy.h>;
 * this header adds what boot needs.
 *
 * These routines are the only kernel code that runs with RFLAGS.AC set (stac/clac, when the CPU
 * has SMAP): any other kernel access to user memory faults.
 */
#ifndef ARCH_X86_64_USERCOPY_H
#define ARCH_X86_64_USERCOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <machine/usercopy.h>
#include "kernel/usercopy.h"

/* Record whether the CPU has SMAP (stac/clac exist). Call once after cpu_features_init. */
void usercopy_init(bool have_smap);

#endif
