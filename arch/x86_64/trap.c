/* Trap dispatch and the exception report. */
#include "arch/x86_64/trap.h"
#include <machine/backtrace.h>
#include "arch/x86_64/bpf_jit.h"
#include "arch/x86_64/cpu.h"
#include <machine/qemu.h>
#include "kernel/kprintf.h"
#include "kernel/ksyms.h"
#include "mm/vm_map.h"

static void (*handlers[256])(struct trapframe *tf);
void (*trap_user_exception)(struct trapframe *tf);
bool (*trap_kernel_user_pf)(struct trapframe *tf, uint64_t addr);

static const char *const exception_names[32] = {
	"#DE Divide error",
	"#DB Debug",
	"NMI",
	"#BP Breakpoint",
	"#OF Overflow",
	"#BR BOUND range exceeded",
	"#UD Invalid opcode",
	"#NM Device not available",
	"#DF Double fault",
	"Coprocessor segment overrun",
	"#TS Invalid TSS",
	"#NP Segment not present",
	"#SS Stack-segment fault",
	"#GP General protection fault",
	"#PF Page fault",
	"Reserved",
	"#MF x87 floating-point error",
	"#AC Alignment check",
	"#MC Machine check",
	"#XM SIMD floating-point error",
	"#VE Virtualization exception",
	"#CP Control protection exception",
	"Reserved",
	"Reserved",
	"Reserved",
	"Reserved",
	"Reserved",
	"Reserved",
	"Hypervisor injection exception",
	"VMM communication exception",
	"Security exception",
	"Reserved",
};

const char *trap_name(uint64_t vector)
{
	return vector < 32 ? exception_names[vector] : "Interrupt";
}

void trap_register(int vector, void (*handler)(struct trapframe *tf))
{
	handlers[vector] = handler;
}

struct kjmp_buf {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip, rflags;
};
int kjmp_set(struct kjmp_buf *b) __attribute__((returns_twice));
__attribute__((noreturn)) void kjmp_long(struct kjmp_buf *b);

struct catcher {
	struct kjmp_buf jmp;
	struct fault_info info;
};
static struct catcher *current_catcher;

bool trap_catch(void (*fn)(void *), void *arg, struct fault_info *fi)
{
	struct catcher c, *outer = current_catcher;

	if (kjmp_set(&c.jmp)) {
		current_catcher = outer;
		*fi = c.info;
		return true;
	}
	current_catcher = &c;
	fn(arg);
	current_catcher = outer;
	return false;
}

void trap_report(const struct trapframe *tf, const char *who)
{
	uint64_t off;
	const char *sym = ksym_lookup(tf->rip, &off);

	kprintf("\n%s: %s (vector %lu), error code 0x%lx", who, trap_name(tf->vector), tf->vector,
		tf->error);
	if (tf->vector == T_PF)
		kprintf(" [%s, %s, %s%s]",
			tf->error & PF_ERR_PRESENT ? "protection" : "not present",
			tf->error & PF_ERR_FETCH   ? "fetch"
			: tf->error & PF_ERR_WRITE ? "write"
						   : "read",
			tf->error & PF_ERR_USER ? "user" : "kernel",
			tf->error & PF_ERR_RSVD ? ", reserved bit" : "");
	kprintf("\n  RIP %016lx", tf->rip);
	if (sym)
		kprintf(" <%s+0x%lx>", sym, off);
	kprintf("  CS %lx  RFLAGS %016lx\n", tf->cs, tf->rflags);
	kprintf("  RSP %016lx  SS %lx  CR2 %016lx\n", tf->rsp, tf->ss, read_cr2());
	kprintf("  RAX %016lx  RBX %016lx  RCX %016lx\n", tf->rax, tf->rbx, tf->rcx);
	kprintf("  RDX %016lx  RSI %016lx  RDI %016lx\n", tf->rdx, tf->rsi, tf->rdi);
	kprintf("  RBP %016lx  R8  %016lx  R9  %016lx\n", tf->rbp, tf->r8, tf->r9);
	kprintf("  R10 %016lx  R11 %016lx  R12 %016lx\n", tf->r10, tf->r11, tf->r12);
	kprintf("  R13 %016lx  R14 %016lx  R15 %016lx\n", tf->r13, tf->r14, tf->r15);
	if (!trap_from_user(tf))
		backtrace_print_trap(tf->rip, tf->rsp, tf->rbp);
}

void trap_dispatch(struct trapframe *tf)
{
	uint64_t v = tf->vector;

	if (handlers[v]) {
		handlers[v](tf);
		return;
	}
	if (v >= 32) {
		kprintf("trap: unexpected interrupt %lu\n", v);
		return;
	}
	if (trap_from_user(tf) && trap_user_exception) {
		trap_user_exception(tf);
		return;
	}
	/* A BPF probing load (JIT code) that faulted reads 0 instead. */
	if (v == T_PF && !trap_from_user(tf) && bpf_jit_fixup(tf))
		return;
	if (v == T_PF && !trap_from_user(tf) && trap_kernel_user_pf &&
	    trap_kernel_user_pf(tf, read_cr2()))
		return;
	if (current_catcher && !trap_from_user(tf)) {
		struct catcher *c = current_catcher;
		c->info = (struct fault_info){v, tf->error, v == T_PF ? read_cr2() : 0, tf->rip};
		kjmp_long(&c->jmp);
	}
	trap_report(tf, trap_from_user(tf) ? "USER EXCEPTION" : "KERNEL EXCEPTION");
	qemu_exit(false);
}

bool trap_page_fault(const struct trapframe *tf, struct trap_pf *pf)
{
	if (tf->vector != T_PF)
		return false;
	pf->addr = read_cr2();
	pf->access = tf->error & PF_ERR_FETCH   ? VM_PROT_EXECUTE
		     : tf->error & PF_ERR_WRITE ? VM_PROT_WRITE
						: VM_PROT_READ;
	pf->user = (tf->error & PF_ERR_USER) != 0;
	pf->resolvable = !(tf->error & PF_ERR_RSVD);
	return true;
}
