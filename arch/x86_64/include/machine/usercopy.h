/*
 * <machine/usercopy.h>: what the arch-neutral fault path needs from the user-copy routines (whose
 * portable contract is kernel/usercopy.h): whether a kernel fault happened inside one, and how to
 * make it fail with -EFAULT. arch/x86_64/usercopy.c implements them.
 */
#ifndef MACHINE_USERCOPY_H
#define MACHINE_USERCOPY_H

#include <stdbool.h>
#include <stdint.h>

struct trapframe;

/*
 * For the page-fault path: if tf is a fault inside one of the copy routines, make it return
 * -EFAULT when the frame is resumed and return true; otherwise return false.
 */
bool usercopy_fixup(struct trapframe *tf);

/* Whether rip is inside one of the copy routines (a fault there is on user memory). */
bool usercopy_contains(uint64_t rip);

#endif
