/* Fresh user frames (contract in <machine/frame.h>). */
#include <machine/frame.h>
#include <machine/intr.h>
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/trap.h"

#define RFLAGS_RESERVED1 (1ul << 1) /* always set */

void frame_init_user(struct trapframe *tf, uint64_t pc, uint64_t sp, const uint64_t *args,
		     unsigned nargs)
{
	/* DF clear, as the ABI wants at a call; IF set. */
	*tf = (struct trapframe){
		.rip = pc,
		.cs = USER_CS,
		.rflags = RFLAGS_IF | RFLAGS_RESERVED1,
		.rsp = sp,
		.ss = USER_DS,
	};
	uint64_t *regs[4] = {&tf->rdi, &tf->rsi, &tf->rdx, &tf->rcx};
	for (unsigned i = 0; i < nargs && i < 4; i++)
		*regs[i] = args[i];
}

bool frame_user_return_ok(struct trapframe *tf)
{
	if (!(tf->rip >> 47))
		return true;
	tf->vector = T_GP;
	tf->error = 0;
	return false;
}
