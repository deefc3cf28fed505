/* What every trap entry guarantees its handler, whatever the interrupted code was doing. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpufeat.h"
#include "arch/x86_64/trap.h"
#include "kernel/ktest.h"

#define TEST_VECTOR 0x81 /* no device or system call uses it */

static volatile uint64_t seen_rflags;
static volatile int seen_calls;

static void record_rflags(struct trapframe *tf)
{
	(void)tf;
	seen_rflags = read_rflags();
	seen_calls++;
}

/*
 * An interrupt that arrives inside a user-copy routine (between stac and clac) must not run its
 * handler with EFLAGS.AC set: that would turn SMAP off for the handler and for any task it switches
 * to. The interrupted code gets AC back from the frame when iretq returns to it.
 */
KTEST(trap_entry, handlers_run_with_ac_clear)
{
	trap_register(TEST_VECTOR, record_rflags);
	seen_calls = 0;
	if (cpu_features.smap) {
		uint64_t after;
		__asm__ volatile("stac; int $0x81; pushfq; popq %0; clac"
				 : "=r"(after)
				 :
				 : "memory", "cc");
		EXPECT_EQ(seen_rflags & RFLAGS_AC, 0);
		EXPECT_EQ(after & RFLAGS_AC, RFLAGS_AC); /* the interrupted code's AC is back */
	} else {
		__asm__ volatile("int $0x81" ::: "memory");
	}
	EXPECT_EQ(seen_calls, 1);
	trap_register(TEST_VECTOR, 0);
}
