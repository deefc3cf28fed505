/*
 * Copying between the kernel and the current task's user memory, as portable code sees it
 * (FreeBSD's copy(9) names; results are negated errno as everywhere in Kestrel). The routines are
 * the architecture's (arch/x86_64/usercopy.S and usercopy.c, whose header adds what only the trap
 * path needs).
 *
 * A user range is acceptable only if it lies entirely in [0, USER_MAX) without wrapping; anything
 * else is -EFAULT before a byte is touched (so a kernel address or a huge length never reaches the
 * MMU). Inside the range, a page fault goes first to the task's vm_map (demand-zero memory the
 * kernel touches is filled in as if the user had touched it); a fault it cannot resolve makes the
 * routine return -EFAULT. So a bad user pointer is an error, never a panic. Part of the destination
 * may have been written when -EFAULT comes back.
 *
 * They may sleep (the fault path can wait for the map lock): call them with interrupts on and no
 * spinlock held, and never while holding the current task's own map lock for writing.
 */
#ifndef KERNEL_USERCOPY_H
#define KERNEL_USERCOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Copy len bytes from user address uaddr to kaddr. Returns 0 or -EFAULT. len 0 touches nothing and
 * succeeds for any uaddr up to USER_MAX (a kernel address is -EFAULT even then, as in Linux).
 */
int copyin(const void *uaddr, void *kaddr, size_t len);

/* Copy len bytes from kaddr to user address uaddr. Returns 0 or -EFAULT; len 0 as copyin. */
int copyout(const void *kaddr, void *uaddr, size_t len);

/* One 32-bit store of copyout_u32s: val at byte offset off of the user block. */
struct user_u32 {
	uint32_t off;
	uint32_t val;
};

/*
 * Store n 32-bit values into the user block [ubase, ubase + span), puts[i].val at ubase +
 * puts[i].off (each off + 4 <= span, else -EFAULT), in order, in one user-access window: the
 * cheap way to report several fields of a user struct (Linux's user_access_begin and
 * unsafe_put_user). Returns 0 or -EFAULT (the block is not user memory, or a store faulted; the
 * stores before it were made).
 */
int copyout_u32s(void *ubase, size_t span, const struct user_u32 *puts, size_t n);

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

#endif
