/* SSE enabling and the initial user FPU state (contract in <machine/fpu.h>). */
#include <machine/fpu.h>
#include "arch/x86_64/cpu.h"
#include "kernel/string.h"

#define CR0_MP (1ul << 1)
#define CR0_EM (1ul << 2)
#define CR0_TS (1ul << 3)
#define CR0_NE (1ul << 5)
#define CR4_OSFXSR (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)

static uint8_t initial_state[FPU_STATE_SIZE] __attribute__((aligned(FPU_STATE_ALIGN)));

void fpu_init(void)
{
	uint32_t mxcsr = 0x1f80;

	/*
	 * NE: an unmasked x87 exception raises #MF (vector 16) in the task that caused it, instead
	 * of the legacy FERR# line to IRQ 13, which is masked and would leave it unreported.
	 * OSXMMEXCPT below does the same for SSE (#XM, vector 19, instead of #UD).
	 */
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	/* fxsave leaves the XMM registers as they are: zero them for a state that leaks nothing. */
	__asm__ volatile("fninit\n\t"
			 "ldmxcsr %0\n\t"
			 "fxsave64 %1"
			 : "+m"(mxcsr), "=m"(initial_state));
	memset(initial_state + 160, 0, 16 * 16); /* XMM0-15 */
	memset(initial_state + 32, 0, 8 * 16);   /* ST0-7 / MM0-7 */
}

void fpu_state_init(void *area)
{
	memcpy(area, initial_state, FPU_STATE_SIZE);
}
