/* syscall/sysret setup (contract in arch/x86_64/syscall_arch.h). */
#include "arch/x86_64/syscall_arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"

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
