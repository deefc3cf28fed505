/*
 * Traps: exceptions, interrupts and their register frame.
 */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The frame arch/x86_64/isr.S builds on the kernel stack: general registers pushed by the entry point,
 * then the vector and error code (0 when the CPU pushes none), then what the CPU pushed.
 */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct trapframe) == 22 * 8, "trapframe layout is shared with isr.S");

#define T_DE 0
#define T_DB 1
#define T_NMI 2
#define T_BP 3
#define T_UD 6
#define T_DF 8
#define T_GP 13
#define T_PF 14
#define PF_ERR_PRESENT 0x1
#define PF_ERR_WRITE 0x2
#define PF_ERR_USER 0x4
#define PF_ERR_RSVD 0x8
#define PF_ERR_FETCH 0x10

static inline bool trap_from_user(const struct trapframe *tf)
{
	return (tf->cs & 3) == 3;
}

/* Build the IDT (all 256 vectors; #DF and NMI on their own IST stacks) and load it. */
void idt_init(void);

/* Load the IDT idt_init built on the calling CPU (an application processor; every CPU shares it). */
void idt_load(void);

/*
 * Route a vector to handler (interrupt gates: interrupts are off while it runs). Exceptions without
 * a handler go to the default policy of trap_dispatch. Call before enabling the source.
 */
void trap_register(int vector, void (*handler)(struct trapframe *tf));

/*
 * Called for an exception raised in ring 3 (set by the task code). Returns only if the task may go
 * on (for example after a page fault was resolved). NULL: ring-3 exceptions are fatal.
 */
extern void (*trap_user_exception)(struct trapframe *tf);

/*
 * Called for a page fault in ring 0 on a user address (a user-copy routine touching unpopulated user
 * memory). Returns true if the fault was resolved and the access may be retried.
 */
extern bool (*trap_kernel_user_pf)(struct trapframe *tf, uint64_t addr);

/* C entry from isr.S for every vector. */
void trap_dispatch(struct trapframe *tf);

/* The name of an exception vector ("Page fault"), or "Interrupt". */
const char *trap_name(uint64_t vector);

/* Print the full report of an exception (name, error code, RIP, RSP, CR2, registers, backtrace). */
void trap_report(const struct trapframe *tf, const char *who);

/* What trap_catch saw. */
struct fault_info {
	uint64_t vector, error, addr, rip;
};

/*
 * Run fn(arg). If it raises an exception in ring 0, abandon it (its stack frames are discarded,
 * locks it took are not released) and return true with *fi describing the exception; otherwise
 * return false. For tests that expect a fault. Nests.
 */
bool trap_catch(void (*fn)(void *), void *arg, struct fault_info *fi);

#endif
