/*
 * Traps: exceptions and interrupts (their register frame is <machine/frame.h>).
 */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

#include <stdbool.h>
#include <stdint.h>
#include <machine/frame.h> /* struct trapframe, trap_from_user, trap_name */
#include <machine/trap.h>  /* the fault hooks, trap_page_fault, trap_report, trap_catch */

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

/* Build the IDT (all 256 vectors; #DF and NMI on their own IST stacks) and load it. */
void idt_init(void);

/* Load the IDT idt_init built on the calling CPU (an application processor; every CPU shares it). */
void idt_load(void);

/*
 * Route a vector to handler (interrupt gates: interrupts are off while it runs). Exceptions without
 * a handler go to the default policy of trap_dispatch. Call before enabling the source.
 */
void trap_register(int vector, void (*handler)(struct trapframe *tf));

/* C entry from isr.S for every vector. */
void trap_dispatch(struct trapframe *tf);

#endif
