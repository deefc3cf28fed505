#include <machine/backtrace.h>

#include <stdbool.h>
#include "kernel/kprintf.h"
#include "kernel/ksyms.h"
#include "mm/memlayout.h"

extern char __kernel_end[];

/* Frame pointers live on kernel stacks: in the kernel image (boot stack) or in the direct map. */
static int frame_ok(uint64_t fp)
{
	if (fp & 7)
		return 0;
	if (fp >= KERNEL_BASE && fp + 16 <= (uint64_t)__kernel_end)
		return 1;
	return fp >= DMAP_BASE && fp + 16 <= DMAP_BASE + dmap_size;
}

static void print_frame(int n, uint64_t pc)
{
	uint64_t off;
	const char *sym = ksym_lookup(pc, &off);
	if (sym)
		kprintf("    #%d %016lx %s+0x%lx\n", n, pc, sym, off);
	else
		kprintf("    #%d %016lx ?\n", n, pc);
}

static void walk(int n, uint64_t rbp)
{
	while (rbp && frame_ok(rbp) && n < 32) {
		const uint64_t *frame = (const uint64_t *)rbp;
		uint64_t ret = frame[1], next = frame[0];
		if (!ret)
			break;
		/* A return address points after the call: look up ret - 1 to name the caller. */
		print_frame(n++, ret - 1);
		if (next <= rbp)
			break;
		rbp = next;
	}
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
	kprintf("  backtrace:\n");
	print_frame(0, rip);
	walk(1, rbp);
}

#define PUSH_RBP 0x55
#define MOV_RSP_RBP 0xe5894855u /* 48 89 e5 after the push */

void backtrace_print_trap(uint64_t rip, uint64_t rsp, uint64_t rbp)
{
	uint64_t off;
	const char *sym = ksym_lookup(rip, &off);
	const uint8_t *fn = (const uint8_t *)(rip - off);
	uint64_t ret_slot = 0;

	if (sym && frame_ok(rsp)) {
		bool framed = fn[0] == PUSH_RBP &&
			      (*(const uint32_t *)fn & 0xffffff00u) == (MOV_RSP_RBP & 0xffffff00u);
		/* nothing pushed yet */
		if (!framed || off == 0)
			ret_slot = rsp;
		/* rbp pushed, frame not yet set up */
		else if (off < 4)
			ret_slot = rsp + 8;
	}
	kprintf("  backtrace:\n");
	print_frame(0, rip);
	if (ret_slot) {
		print_frame(1, *(const uint64_t *)ret_slot - 1);
		walk(2, rbp);
	} else {
		walk(1, rbp);
	}
}

__attribute__((noinline)) void backtrace_here(void)
{
	/* Our frame's saved rbp is the caller's frame: start there, at our return address. */
	const uint64_t *fp = __builtin_frame_address(0);
	backtrace_print((uint64_t)__builtin_return_address(0) - 1, fp[0]);
}
