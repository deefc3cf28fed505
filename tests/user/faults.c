/*
 * Hostile user code: each role below is run in a child of this program and must get the child
 * killed with the right exception (include/uapi/wait.h status), while the kernel and this parent
 * carry on. Covers NULL and kernel addresses, NX (stack, data), read-only text, privileged
 * instructions (hlt, cli, port I/O, control registers, sgdt under UMIP), invalid opcodes, divide
 * error, breakpoint, an interrupt gate user code may not use, the stack guard, a non-canonical
 * address, system calls made with a garbage stack pointer, unmasked x87 (#MF) and SSE (#XM)
 * divisions by zero, and iretq/lretq executed in ring 3 (to ring 3, which may work or fault: under
 * TCG with SMAP the CPU reads the frame with a supervisor access, a #PF without the user bit that
 * must end the task rather than repeat forever; and to ring 0, #GP).
 */
#include <stdbool.h>
#include <stdlib.h>

#include "vm_util.h"

#define T_DE 0
#define T_BP 3
#define T_UD 6
#define T_GP 13
#define T_PF 14
#define T_MF 16
#define T_XM 19

static volatile long sink;
static uint8_t data_code[16] = {0xc3}; /* ret, in a read+write, NX page */

/* An address the compiler cannot see through (so it keeps the access as written). */
static uintptr_t opaque(uintptr_t a)
{
	__asm__("" : "+r"(a));
	return a;
}

static void call_at(uintptr_t addr)
{
	((void (*)(void))addr)();
}

static void role_null_read(void)
{
	sink = *(volatile long *)opaque(0);
}
static void role_null_write(void)
{
	*(volatile long *)opaque(8) = 1;
}
static void role_kernel_read(void)
{
	sink = *(volatile long *)opaque(KERNEL_TEXT);
}
static void role_kernel_write(void)
{
	*(volatile long *)opaque(DIRECT_MAP) = 1;
}
static void role_kernel_exec(void)
{
	call_at(KERNEL_TEXT);
}
static void role_noncanonical(void)
{
	sink = *(volatile long *)opaque(0x0000800000000000l);
}
static void role_exec_data(void)
{
	call_at((uintptr_t)data_code);
}
static void role_write_text(void)
{
	*(volatile uint8_t *)opaque((uintptr_t)role_write_text) = 0x90;
}
static void role_hlt(void)
{
	__asm__ volatile("hlt");
}
static void role_cli(void)
{
	__asm__ volatile("cli");
}
static void role_outb(void)
{
	__asm__ volatile("outb %%al, $0x80" ::"a"(0));
}
static void role_cr3(void)
{
	long v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	sink = v;
}
static void role_sgdt(void)
{
	uint8_t gdtr[10];
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	sink = gdtr[0];
}
static void role_ud2(void)
{
	__asm__ volatile("ud2");
}
static void role_int3(void)
{
	__asm__ volatile("int3");
}
static void role_int80(void)
{
	__asm__ volatile("int $0x80");
}
static void role_div0(void)
{
	volatile int zero = 0;
	sink = 10 / zero;
}

static void role_exec_stack(void)
{
	uint8_t code[16] = {0xc3};
	__asm__ volatile("" ::"r"(code) : "memory");
	call_at((uintptr_t)code);
}

/* Deeper than the 256 KiB stack: runs into the guard entry below it. */
static long recurse(long n)
{
	volatile char pad[1024];
	pad[0] = (char)n;
	return n ? recurse(n - 1) + pad[0] : 0;
}
static void role_stack_overflow(void)
{
	sink = recurse(1 << 20);
}
/* Just below the stack (wherever ASLR put it): its guard entry. */
static void role_guard_write(void)
{
	uint64_t start, end;

	if (!vm_stack_range(&start, &end))
		exit(2);
	*(volatile long *)opaque(start - 8) = 1;
}

/*
 * System calls do not touch the user stack: getpid with rsp pointing at the kernel, then at
 * nothing, must return normally (this role exits 0; anything else is a kernel bug).
 */
static void role_bad_rsp(void)
{
	long pid1, pid2;
	__asm__ volatile("movq %%rsp, %%rbx\n\t"
			 "movabsq $0xffffffff80100000, %%rsp\n\t"
			 "syscall\n\t"
			 "movq %%rbx, %%rsp"
			 : "=a"(pid1)
			 : "a"((long)SYS_getpid)
			 : "rbx", "rcx", "r11", "memory");
	__asm__ volatile("movq %%rsp, %%rbx\n\t"
			 "movq $0x10, %%rsp\n\t"
			 "syscall\n\t"
			 "movq %%rbx, %%rsp"
			 : "=a"(pid2)
			 : "a"((long)SYS_getpid)
			 : "rbx", "rcx", "r11", "memory");
	exit(pid1 == getpid() && pid2 == pid1 ? 0 : 1);
}

/* x87: unmask zero-divide in the control word, divide 1 by 0; the next waiting insn raises #MF. */
static void role_x87_div0(void)
{
	uint16_t cw = 0x037f & ~0x4; /* the default control word with ZM clear */
	__asm__ volatile("fldcw %0\n\t"
			 "fld1\n\t"
			 "fldz\n\t"
			 "fdivrp\n\t"
			 "fwait"
			 :
			 : "m"(cw));
}

/*
 * SSE: unmask zero-divide in MXCSR, divide 1.0f by 0.0f: #XM. QEMU's TCG (7.2) does not raise
 * SIMD exceptions at all: it only sets the flag. The role then exits SSE_NOT_RAISED, which the
 * parent accepts only when the flag (MXCSR.ZE) shows the division did happen unmasked.
 */
#define SSE_NOT_RAISED 102
static void role_sse_div0(void)
{
	uint32_t mxcsr = 0x1f80 & ~0x200, after; /* the default MXCSR with ZM clear */
	float one = 1.0f, zero = 0.0f;
	__asm__ volatile("ldmxcsr %2\n\t"
			 "divss %1, %0"
			 : "+x"(one)
			 : "x"(zero), "m"(mxcsr));
	__asm__ volatile("stmxcsr %0" : "=m"(after));
	sink = (long)one;
	if (after & 0x4)
		exit(SSE_NOT_RAISED);
}

/* iretq to the next instruction with the current selectors, stack and flags. */
static void role_iretq_same(void)
{
	__asm__ volatile("movq %%rsp, %%rax\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "movw %%ss, %%cx\n\t"
			 "pushq %%rcx\n\t"
			 "pushq %%rax\n\t"
			 "pushfq\n\t"
			 "movw %%cs, %%cx\n\t"
			 "pushq %%rcx\n\t"
			 "leaq 1f(%%rip), %%rcx\n\t"
			 "pushq %%rcx\n\t"
			 "iretq\n"
			 "1:" ::
				 : "rax", "rcx", "memory", "cc");
}

/* iretq to ring 0: the kernel's code and stack selectors (GDT entries 1 and 2). */
static void role_iretq_ring0(void)
{
	__asm__ volatile("movq %%rsp, %%rax\n\t"
			 "pushq $0x10\n\t"
			 "pushq %%rax\n\t"
			 "pushfq\n\t"
			 "pushq $0x08\n\t"
			 "leaq 1f(%%rip), %%rcx\n\t"
			 "pushq %%rcx\n\t"
			 "iretq\n"
			 "1:" ::
				 : "rax", "rcx", "memory", "cc");
}

/* lretq (far return) to the next instruction with the current code selector. */
static void role_lretq_same(void)
{
	__asm__ volatile("xorl %%ecx, %%ecx\n\t"
			 "movw %%cs, %%cx\n\t"
			 "pushq %%rcx\n\t"
			 "leaq 1f(%%rip), %%rcx\n\t"
			 "pushq %%rcx\n\t"
			 "lretq\n"
			 "1:" ::
				 : "rcx", "memory");
}

/* lretq to ring 0's code selector. */
static void role_lretq_ring0(void)
{
	__asm__ volatile("pushq $0x08\n\t"
			 "leaq 1f(%%rip), %%rcx\n\t"
			 "pushq %%rcx\n\t"
			 "lretq\n"
			 "1:" ::
				 : "rcx", "memory");
}

struct role {
	const char *name;
	void (*fn)(void);
	int vector; /* expected fault, or -1: the role exits 0, or UMIP_GP */
};

/* #GP where the CPU has UMIP (the kernel turns it on then); elsewhere the role survives. */
#define UMIP_GP (-2)
/* The role may survive (the instruction works) or be killed with #PF or #GP, but must end. */
#define ENDS (-3)
/* The role must be killed, with #PF or #GP. */
#define PF_OR_GP (-4)

/* CPUID.(EAX=7,ECX=0):ECX bit 2; cpuid is unprivileged. */
static int cpu_has_umip(void)
{
	unsigned a = 0, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	if (a < 7)
		return 0;
	a = 7;
	c = 0;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return (c >> 2) & 1;
}

static const struct role roles[] = {
	{"null_read", role_null_read, T_PF},
	{"null_write", role_null_write, T_PF},
	{"kernel_read", role_kernel_read, T_PF},
	{"kernel_write", role_kernel_write, T_PF},
	{"kernel_exec", role_kernel_exec, T_PF},
	{"noncanonical", role_noncanonical, T_GP},
	{"exec_stack", role_exec_stack, T_PF},
	{"exec_data", role_exec_data, T_PF},
	{"write_text", role_write_text, T_PF},
	{"hlt", role_hlt, T_GP},
	{"cli", role_cli, T_GP},
	{"outb", role_outb, T_GP},
	{"cr3", role_cr3, T_GP},
	{"sgdt", role_sgdt, UMIP_GP},
	{"ud2", role_ud2, T_UD},
	{"int3", role_int3, T_BP},
	{"int80", role_int80, T_GP},
	{"div0", role_div0, T_DE},
	{"stack_overflow", role_stack_overflow, T_PF},
	{"guard_write", role_guard_write, T_PF},
	{"bad_rsp", role_bad_rsp, -1},
	{"x87_div0", role_x87_div0, T_MF},
	{"sse_div0", role_sse_div0, T_XM},
	{"iretq_same", role_iretq_same, ENDS},
	{"iretq_ring0", role_iretq_ring0, PF_OR_GP},
	{"lretq_same", role_lretq_same, ENDS},
	{"lretq_ring0", role_lretq_ring0, PF_OR_GP},
};

int main(int argc, char **argv)
{
	size_t n = sizeof(roles) / sizeof(roles[0]);

	if (argc >= 2) {
		for (size_t i = 0; i < n; i++) {
			if (!strcmp(argv[1], roles[i].name)) {
				roles[i].fn();
				return 100; /* survived a role that should have been fatal */
			}
		}
		return 101;
	}
	int umip = cpu_has_umip();
	/*
	 * This task's own FPU control state, set to values no child uses (round toward zero): the
	 * children that die of #MF and #XM must not leave theirs here, nor take ours.
	 */
	uint32_t mxcsr = 0x7f80, mxcsr_after;
	uint16_t cw = 0x0f7f, cw_after;
	__asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(mxcsr), "m"(cw));
	for (size_t i = 0; i < n; i++) {
		int st = run_self(argv[0], roles[i].name, NULL);
		if (roles[i].vector == UMIP_GP && !umip) {
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 100)
				printf("# role %s: status 0x%x, expected to survive without UMIP\n",
				       roles[i].name, st);
			CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 100);
		} else if (roles[i].vector == ENDS || roles[i].vector == PF_OR_GP) {
			bool killed = st >= 0 && WIFFAULTED(st) &&
				      (WFAULTVEC(st) == T_PF || WFAULTVEC(st) == T_GP);
			bool ok = killed || (roles[i].vector == ENDS && WIFEXITED(st) &&
					     WEXITSTATUS(st) == 100);
			printf("# role %s: %s (status 0x%x)\n", roles[i].name,
			       WIFEXITED(st) ? "the instruction worked" : "killed", st);
			CHECK(ok);
		} else if (roles[i].vector == T_XM && WIFEXITED(st) &&
			   WEXITSTATUS(st) == SSE_NOT_RAISED) {
			printf("# role %s: the CPU flagged the unmasked exception without raising #XM (TCG)\n",
			       roles[i].name);
		} else if (roles[i].vector == -1) {
			if (st != 0)
				printf("# role %s: status 0x%x, expected exit 0\n", roles[i].name,
				       st);
			CHECK_EQ(st, 0);
		} else {
			int vec = roles[i].vector == UMIP_GP ? T_GP : roles[i].vector;
			if (st < 0 || !WIFFAULTED(st) || WFAULTVEC(st) != vec)
				printf("# role %s: status 0x%x, expected a fault with vector %d\n",
				       roles[i].name, st, vec);
			CHECK(st >= 0 && WIFFAULTED(st) && WFAULTVEC(st) == vec);
		}
	}
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mxcsr_after), "=m"(cw_after));
	CHECK_EQ(mxcsr_after, mxcsr);
	CHECK_EQ(cw_after, cw);
	return utest_result("faults");
}
