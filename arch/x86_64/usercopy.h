/*
 * Copying between the kernel and the current task's user memory (FreeBSD's copy(9) names; the
 * results are negated errno as everywhere in Kestrel).
 *
 * A user range is acceptable only if it lies entirely in [0, USER_MAX) without wrapping; anything
 * else is -EFAULT before a byte is touched (so a kernel address or a huge length never reaches the
 * MMU). Inside the range, a page fault goes first to the task's vm_map (trap_kernel_user_pf, set by
 * kernel/task.c: demand-zero memory the kernel touches is filled in as if the user had touched
 * it); a fault it cannot resolve makes the routine return -EFAULT. So a bad user pointer is an
 * error, never a panic. Part of the destination may have been written when -EFAULT comes back.
 *
 * These routines are the only kernel code that runs with RFLAGS.AC set (stac/clac, when the CPU
 * has SMAP): any other kernel access to user memory faults. They may sleep (the fault path can
 * wait for the map lock): call them with interrupts on and no spinlock held, and never while
 * holding the current task's own map lock for writing.
 */
#ifndef ARCH_X86_64_USERCOPY_H
#define ARCH_X86_64_USERCOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trapframe;

/*
 * Copy len bytes from user address uaddr to kaddr. Returns 0 or -EFAULT. len 0 touches nothing and
 * succeeds for any uaddr up to USER_MAX (a kernel address is -EFAULT even then, as in Linux).
 */
int copyin(const void *uaddr, void *kaddr, size_t len);

/* Copy len bytes from kaddr to user address uaddr. Returns 0 or -EFAULT; len 0 as copyin. */
int copyout(const void *kaddr, void *uaddr, size_t len);

/*
 * Copy the NUL-terminated string at user address uaddr into kaddr, at most maxlen bytes with the
 * NUL. Returns 0 with *done (if done is not NULL) = the bytes copied including the NUL;
 * -ENAMETOOLONG if no NUL came within maxlen bytes (maxlen bytes were copied, *done = maxlen);
 * -EFAULT if the string runs into an address the task cannot read, or past USER_MAX (*done not set).
 * maxlen 0 is -ENAMETOOLONG.
 */
int copyinstr(const void *uaddr, char *kaddr, size_t maxlen, size_t *done);

/* Whether [uaddr, uaddr + len) is a user range the routines above would try (no wrap, < USER_MAX). */
bool user_range_ok(uint64_t uaddr, size_t len);

/*
 * For the page-fault path: if tf is a fault inside one of the routines above, make it return
 * -EFAULT when the frame is resumed and return true; otherwise return false.
 */
bool usercopy_fixup(struct trapframe *tf);

/* Whether rip is inside one of the routines above (a fault there is on user memory). */
bool usercopy_contains(uint64_t rip);

/* Record whether the CPU has SMAP (stac/clac exist). Call once after cpu_features_init. */
void usercopy_init(bool have_smap);

#endif
