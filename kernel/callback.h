/*
 * User callbacks run from inside a system call: how the BPF calls (kernel/bpf_syscalls.c) call
 * a function of the calling task in ring 3 and carry on when it returns. The user-visible
 * protocol is in include/uapi/bpf.h; this is the kernel's side.
 *
 * A system call that runs callbacks is a "level". It registers with callback_begin (which
 * refuses a level deeper than BPF_CB_MAX_DEPTH), and for each callback lays the records the
 * callback gets on the caller's user stack (callback_frame_init/push) and calls callback_invoke,
 * which returns once the callback has returned through the trampoline page. callback_end
 * unregisters the level and releases what it held.
 *
 * Kernel stack of a task while a level's callback runs (see "the entry stack" in kernel/task.h):
 *
 *     kstack_top   trapframe of the system call (made by the program or by an outer callback)
 *                  the system call's frames, its struct cb_level, callback_invoke's frame
 *                  callee-saved registers pushed by callback_enter     <- lvl->ksp
 *     entry top    16-byte aligned: task.entry_sp, TSS.rsp0 and the per-CPU syscall rsp for as
 *                  long as the callback runs
 *                  frames of the callback's own entries into the kernel (system calls,
 *                  interrupts, faults); a nested level repeats the pattern further down
 *
 * User stack at the callback's first instruction:
 *
 *     tf->rsp      rsp of the system call that runs the callback (its caller's frames above)
 *                  128 bytes left alone (the caller's red zone)
 *                  the records the callback gets pointers to, each 16-byte aligned
 *     rsp + 8      lvl->user_sp, 16-byte aligned
 *     rsp          BPF_CB_TRAMPOLINE, the callback's return address
 *
 * How the system call resumes: the callback's ret lands in the trampoline page, which makes
 * SYS_cb_return(rax). sys_cb_return accepts only a call from the trampoline's syscall instruction
 * with rsp == lvl->user_sp of the innermost level (exactly what a plain return gives), restores
 * the entry stack the level found, and callback_resume makes callback_enter return the value to
 * callback_invoke on the level's own stack; sys_cb_return's frames are abandoned (they hold
 * nothing). The callback cannot reach anything the kernel relies on: the suspended frames and
 * the level are kernel memory above the entry top, and the system call's own trapframe, from
 * which it finally returns to its caller, is never used by the callback's entries. What a level
 * reads back from user memory afterwards (for_each's value) it treats as any other copyin.
 *
 * Leaving a callback another way:
 *   - a fault the kernel does not resolve, exit, or a kill: task_exit calls
 *     callback_release_all, which releases what every level holds, innermost first; the
 *     abandoned kernel frames go with the kernel stack.
 *   - longjmp (or any jump) out of the callback: code inside the callback always runs with
 *     rsp < lvl->user_sp, so a system call made with rsp above it comes from code the callback
 *     has left. callback_syscall_enter, on every system call, abandons such levels (releasing
 *     what they hold) before the call runs, and starts the call over higher on the kernel stack,
 *     where the abandoned level's own call began; until then they only keep their locks.
 *   - SYS_cb_return from anywhere else (not the trampoline, or another depth): -EINVAL.
 *
 * Locking: a task's levels (task.cb_top) are touched only by the task itself.
 */
#ifndef KERNEL_CALLBACK_H
#define KERNEL_CALLBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <machine/frame.h>
#include "kernel/task.h"
#include "mm/vm_map.h"

/*
 * Kernel stack a level leaves below its callback's entry top at the least: room for the
 * deepest system call a callback can make. A level that would leave less fails with -ELOOP.
 */
#define CALLBACK_KSTACK_RESERVE (12 * 1024)

/*
 * One system call that runs callbacks, in its own kernel frame. The fields are callback.c's;
 * the owner embeds the struct in its own state and gets back to it in release.
 *
 * Invariants of a task's levels, task.cb_top first (callback_check):
 *  C1 depths count down by one to the outermost, which has depth 1 and no outer; at most
 *     BPF_CB_MAX_DEPTH.
 *  C2 every level but the innermost is running (its callback made the call of the level inside).
 *  C3 a running level's entry top is lvl->ksp & ~15, inside the kernel stack; the level inside it
 *     found that as its saved_entry_sp and lies below it on both stacks (smaller ksp, smaller
 *     user_sp); the outermost running level saved kstack_top.
 *  C4 if the innermost level is running, the task's entry stack is its entry top.
 */
struct cb_level {
	struct cb_level *outer;                /* the level this one runs inside of, or NULL */
	void (*release)(struct cb_level *lvl); /* drop everything held for the callbacks */
	unsigned depth;                        /* 1 for the outermost */
	bool running;                          /* its callback is in ring 3 now */
	uint64_t ksp;                          /* callback_enter's saved kernel context */
	uint64_t saved_entry_sp;               /* the entry stack before the callback */
	uint64_t user_sp;                      /* the callback's rsp + 8 at its first instruction */
	struct task *pinned;                   /* a task whose map this level pins, or NULL: that
						  task cannot finish exiting until the level ends */
};

/*
 * Whether one of t's callback levels pins target's map (so target's exit waits for t's callback).
 * Reads only t's own levels: call from t, any locks held.
 */
bool callback_pins(const struct task *t, const struct task *target);

/* The user stack of the next callback, as it is being laid out. */
struct cb_frame {
	uint64_t sp;     /* lowest byte written so far, 16-byte aligned */
	uint64_t arg[4]; /* rdi, rsi, rdx, rcx for the callback */
};

/*
 * Register the calling system call as a level. release will be called exactly once: by
 * callback_end, or when the level is abandoned (task exit, longjmp out of its callback); it must
 * release what the level holds at that moment and nothing else, and must not sleep for long.
 * Returns 0, or -ELOOP if BPF_CB_MAX_DEPTH levels are running already (nothing registered).
 */
int callback_begin(struct cb_level *lvl, void (*release)(struct cb_level *lvl));

/* Unregister lvl, the innermost level, and call its release. */
void callback_end(struct cb_level *lvl);

/*
 * Whether fn is an address in an executable mapping of the calling task other than the trampoline
 * page (a callback there could never return: SYS_cb_return refuses it): 0, -EFAULT if not, or
 * -EBUSY if the task's map lock cannot be had for reading without waiting.
 */
int callback_check_fn(uint64_t fn);

/* Start laying out a callback's stack below the red zone of tf->rsp (the system call's frame). */
void callback_frame_init(struct cb_frame *f, const struct trapframe *tf);

/*
 * Copy len bytes of data below what is laid out so far, 16-byte aligned; *uaddr = its user
 * address. Returns 0 or -EFAULT (the stack cannot take it).
 */
int callback_frame_push(struct cb_frame *f, const void *data, size_t len, uint64_t *uaddr);

/*
 * Run fn(f->arg[0..3]) in ring 3 as the callback of lvl (which must be the innermost level) and
 * store its return value in *result. Returns 0 once it has returned through the trampoline;
 * -EFAULT if the return address cannot be written below f; -ELOOP if the kernel stack is too
 * short (CALLBACK_KSTACK_RESERVE). If the task has been killed, it exits here instead. If the
 * callback never returns (fault, exit, longjmp), neither does this: the level is released
 * through its release function. Interrupts on, no spinlock held.
 */
int callback_invoke(struct cb_level *lvl, struct cb_frame *f, uint64_t fn, long *result);

/*
 * Called by syscall_dispatch before every system call: abandon the levels whose callback the
 * caller has left (tf->rsp above their user_sp). If it abandons any, it does not return: the
 * system call starts over with its frame moved up to where the outermost abandoned level's own
 * system call had its frame (so the kernel stack does not grow), and returns to ring 3 from there.
 */
void callback_abandon_left(struct trapframe *tf);
static inline void callback_syscall_enter(struct trapframe *tf)
{
	if (task_current()->cb_top)
		callback_abandon_left(tf);
}

/*
 * Check C1-C4 for t, which must be the caller or not running (its levels are on its kernel
 * stack). Returns NULL or a message naming the broken invariant.
 */
const char *callback_check(const struct task *t);

/* Task exit: release every level of t (the calling task), innermost first. */
void callback_release_all(struct task *t);

/*
 * Map the trampoline page into a new task's map (not yet running): BPF_CB_TRAMPOLINE,
 * read+execute with max_protection read+execute, holding the trampoline code. Returns 0 or
 * -ENOMEM (kernel/vm_errno.h's translation; also if the page were taken, which mm/memlayout.h's
 * layout rules out: the image and the stack lie below it).
 */
int callback_trampoline_map(vm_map_t map);

#endif
