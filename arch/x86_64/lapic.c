/* The xAPIC local APIC (contract in arch/x86_64/lapic.h). */
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "kernel/kprintf.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"
#include "uapi/errno.h"

#define MSR_APIC_BASE 0x1bu
#define APIC_BASE_EXTD (1ull << 10) /* x2APIC mode */
#define APIC_BASE_EN (1ull << 11)
#define APIC_BASE_ADDR 0x000ffffffffff000ul
#define CPUID1_EDX_APIC (1u << 9)

#define REG_ID 0x020
#define REG_TPR 0x080
#define REG_EOI 0x0b0
#define REG_SVR 0x0f0
#define REG_ESR 0x280
#define REG_ICR_LO 0x300
#define REG_ICR_HI 0x310
#define REG_LVT_TIMER 0x320
#define REG_TIMER_INITIAL 0x380
#define REG_TIMER_CURRENT 0x390
#define REG_TIMER_DIVIDE 0x3e0
#define REG_LVT_LINT0 0x350
#define REG_LVT_LINT1 0x360
#define REG_LVT_ERROR 0x370

#define SVR_ENABLE 0x100u
#define LVT_MASKED 0x10000u
#define LVT_EXTINT 0x700u
#define LVT_NMI 0x400u
#define ICR_PENDING 0x1000u
#define TIMER_DIVIDE_16 0x3u
/* Polls of the delivery status: an APIC takes a command in well under a microsecond. */
#define SEND_POLLS 10000000u

static volatile uint32_t *regs;

static uint32_t rd(unsigned reg)
{
	return regs[reg / 4];
}
static void wr(unsigned reg, uint32_t v)
{
	regs[reg / 4] = v;
}

static void enable(bool boot_cpu)
{
	wr(REG_TPR, 0);
	wr(REG_LVT_TIMER, LVT_MASKED);
	wr(REG_LVT_ERROR, LVT_MASKED);
	wr(REG_LVT_LINT0, boot_cpu ? LVT_EXTINT : LVT_MASKED);
	wr(REG_LVT_LINT1, boot_cpu ? LVT_NMI : LVT_MASKED);
	wr(REG_SVR, SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
	/* The error status register latches on a write: clear what the firmware left. */
	wr(REG_ESR, 0);
	wr(REG_ESR, 0);
}

/* A spurious interrupt (one withdrawn before the CPU took it) gets no EOI. */
static void spurious(struct trapframe *tf)
{
	(void)tf;
}

int lapic_init(uint64_t phys)
{
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & CPUID1_EDX_APIC)) {
		kprintf("lapic: this CPU has no local APIC\n");
		return -ENODEV;
	}
	uint64_t base = rdmsr(MSR_APIC_BASE);
	if (!(base & APIC_BASE_EN) || (base & APIC_BASE_EXTD)) {
		kprintf("lapic: the firmware left the local APIC %s\n",
			base & APIC_BASE_EXTD ? "in x2APIC mode" : "disabled");
		return -ENODEV;
	}
	if ((base & APIC_BASE_ADDR) != phys || phys + PAGE_SIZE > DMAP_SIZE) {
		kprintf("lapic: ACPI says the local APIC is at %lx, the CPU says %lx\n", phys,
			(uint64_t)(base & APIC_BASE_ADDR));
		return -ENODEV;
	}
	/*
	 * The direct map's address for the page: RAM's direct map may already cover it (a machine
	 * with memory above 4 GiB), else it gets a 4 KiB mapping of its own. Either way the page is
	 * mapped write-back as far as the PTE goes; the firmware's MTRRs make the APIC range
	 * uncacheable, which is what the SDM asks for (the MMU interface has no device-memory flag).
	 */
	vm_offset_t va = (vm_offset_t)phys_to_virt(phys);
	if (phys + PAGE_SIZE > dmap_size) {
		int r = pmap_enter(pmap_kernel(), va, phys, PAGE_SIZE, MMU_READ | MMU_WRITE);
		if (r) {
			kprintf("lapic: mapping its registers at %lx failed (%d)\n",
				(unsigned long)va, r);
			return -ENODEV;
		}
	}
	regs = (volatile uint32_t *)va;
	trap_register(LAPIC_SPURIOUS_VECTOR, spurious);
	enable(true);
	return 0;
}

void lapic_init_ap(void)
{
	enable(false);
}

void lapic_mask_lint0(void)
{
	wr(REG_LVT_LINT0, LVT_MASKED);
}

uint32_t lapic_id(void)
{
	return rd(REG_ID) >> 24;
}

void lapic_eoi(void)
{
	wr(REG_EOI, 0);
}

static bool wait_idle(void)
{
	for (uint32_t i = 0; i < SEND_POLLS; i++)
		if (!(rd(REG_ICR_LO) & ICR_PENDING))
			return true;
		else
			cpu_relax();
	return false;
}

bool lapic_send(uint32_t apic_id, uint32_t icr_lo)
{
	unsigned long f = irq_save();
	bool ok = wait_idle();
	if (ok) {
		wr(REG_ICR_HI, apic_id << 24);
		wr(REG_ICR_LO, icr_lo);
		ok = wait_idle();
	}
	irq_restore(f);
	return ok;
}

void lapic_timer_arm(uint32_t lvt, uint32_t initial)
{
	wr(REG_TIMER_DIVIDE, TIMER_DIVIDE_16);
	wr(REG_LVT_TIMER, lvt);
	/* Writing the initial count (re)starts the countdown: the LVT entry goes in first. */
	wr(REG_TIMER_INITIAL, initial);
}

uint32_t lapic_timer_current(void)
{
	return rd(REG_TIMER_CURRENT);
}
