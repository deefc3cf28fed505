/* syscall/sysret setup (contract in arch/x86_64/syscall_arch.h) and <machine/syscall.h>'s frame. */
#include "arch/x86_64/syscall_arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include <machine/syscall.h>
#include "uapi/kestrel_btf_types.h"

_Static_assert(SYSCALL_USER_CS == USER_CS && SYSCALL_USER_DS == USER_DS,
	       "selectors for syscall_entry.S");

void syscall_arch_init(void)
{
	/*
	 * STAR[47:32]: syscall loads CS = KERNEL_CS, SS = KERNEL_CS + 8. STAR[63:48]: sysret loads
	 * SS = KERNEL_DS + 8 = USER_DS and CS = KERNEL_DS + 16 = USER_CS, both with RPL 3 (gdt.h).
	 */
	wrmsr(MSR_STAR, ((uint64_t)KERNEL_DS << 48) | ((uint64_t)KERNEL_CS << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_SFMASK, SYSCALL_RFLAGS_MASK);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

void syscall_pt_regs(const struct trapframe *tf, uint64_t nr, struct pt_regs *regs)
{
	*regs = (struct pt_regs){
		.r15 = tf->r15,
		.r14 = tf->r14,
		.r13 = tf->r13,
		.r12 = tf->r12,
		.bp = tf->rbp,
		.bx = tf->rbx,
		.r11 = tf->r11,
		.r10 = tf->r10,
		.r9 = tf->r9,
		.r8 = tf->r8,
		.ax = tf->rax,
		.cx = tf->rcx,
		.dx = tf->rdx,
		.si = tf->rsi,
		.di = tf->rdi,
		.orig_ax = nr,
		.ip = tf->rip,
		.cs = tf->cs,
		.flags = tf->rflags,
		.sp = tf->rsp,
		.ss = tf->ss,
	};
}
