/* CPU discovery and AP bring-up (contract in arch/x86_64/smp.h). */
#include "arch/x86_64/smp.h"
#include <stddef.h>
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/ipi.h"
#include "arch/x86_64/isa_irq.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/lapic_timer.h"
#include <machine/percpu.h>
#include "arch/x86_64/pte.h"
#include "arch/x86_64/syscall_arch.h"
#include "arch/x86_64/trap.h"
#include "kernel/cpu.h"
#include "kernel/ipi.h"
#include "kernel/kprintf.h"
#include "kernel/ktime.h"
#include "kernel/multiboot.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "uapi/errno.h"

#define CR0_TS (1ul << 3)
#define XAPIC_ID_MAX 0xfe       /* 0xff is the xAPIC broadcast id */
#define LOW_MEM_END 0x100000ull /* a SIPI vector names a page below 1 MiB */
#define LOW_MEM_START 0x1000ull /* page 0 holds the real-mode IVT and the BIOS data area */
/* The trampoline's pages: its code and parameters, then the temporary PML4, PDPT and PD. */
#define TRAMP_PAGES 4
#define INIT_DELAY_US 10000
#define SIPI_DELAY_US 200
/* How long an AP may take from its SIPI to its online bit: generous, for a loaded host's MTTCG. */
#define ONLINE_TIMEOUT_NS (10ull * 1000000000ull)

/*
 * What one AP owns, in one zeroed pmm block that stays allocated as long as the AP runs: its
 * per-CPU area and descriptor tables in the first page, then its stacks.
 */
#define AP_AREA_ORDER 3
#define AP_STACK_SIZE (3 * PAGE_SIZE)
struct ap_area {
	union {
		struct {
			struct percpu pcpu;
			struct cpu_gdt gdt;
		};
		uint8_t first_page[PAGE_SIZE];
	};
	uint8_t stack[AP_STACK_SIZE];
	uint8_t ist_df[IST_STACK_SIZE];
	uint8_t ist_nmi[IST_STACK_SIZE];
};
_Static_assert(sizeof(struct ap_area) == PAGE_SIZE << AP_AREA_ORDER,
	       "an AP's area is one pmm block");

struct smp_params {
	uint32_t alive, pml4;
	uint64_t entry, cr3, stack, arg;
};
_Static_assert(offsetof(struct smp_params, alive) == SMP_TP_ALIVE, "trampoline parameters");
_Static_assert(offsetof(struct smp_params, pml4) == SMP_TP_PML4, "trampoline parameters");
_Static_assert(offsetof(struct smp_params, entry) == SMP_TP_ENTRY, "trampoline parameters");
_Static_assert(offsetof(struct smp_params, cr3) == SMP_TP_CR3, "trampoline parameters");
_Static_assert(offsetof(struct smp_params, stack) == SMP_TP_STACK, "trampoline parameters");
_Static_assert(offsetof(struct smp_params, arg) == SMP_TP_ARG, "trampoline parameters");
_Static_assert(sizeof(struct smp_params) == SMP_TP_SIZE, "trampoline parameters");

_Static_assert(SMP_CPUS_MAX == CPU_MAX, "kernel/cpu.h's bound is the CPU table's");

extern const char smp_trampoline_start[], smp_trampoline_end[], smp_trampoline_params[];
extern const char smp_ap_entry[];

/*
 * The CPUs. Invariants (smp_check): cpus[0 .. ncpus) are the per-CPU areas of the CPUs online, with
 * cpus[i]->cpu_id == i, cpus[i]->self == cpus[i] and distinct APIC ids; online has exactly the
 * bits 0 .. ncpus - 1. ncpus only grows, and only after the AP it counts set its bit.
 */
static struct percpu *cpus[SMP_CPUS_MAX];
static unsigned ncpus = 1, nlisted = 1;
static cpuset_t online;
/* The boot CPU's control registers, which each AP copies. */
static uint64_t boot_cr0, boot_cr4;

unsigned smp_cpu_count(void)
{
	return __atomic_load_n(&ncpus, __ATOMIC_ACQUIRE);
}

unsigned smp_cpus_listed(void)
{
	return nlisted;
}

bool smp_cpu_online(unsigned id)
{
	return id < SMP_CPUS_MAX && (__atomic_load_n(&online, __ATOMIC_ACQUIRE) & CPUSET_CPU(id));
}

uint32_t smp_cpu_apic_id(unsigned id)
{
	return cpus[id]->apic_id;
}

const char *smp_check(void)
{
	unsigned n = smp_cpu_count();
	cpuset_t want = n == SMP_CPUS_MAX ? ~(cpuset_t)0 : CPUSET_CPU(n) - 1;

	if (n < 1 || n > SMP_CPUS_MAX)
		return "the CPU count is out of range";
	if (__atomic_load_n(&online, __ATOMIC_ACQUIRE) != want)
		return "the online set is not exactly CPUs 0 .. count - 1";
	for (unsigned i = 0; i < n; i++) {
		if (!cpus[i] || cpus[i]->self != cpus[i] || cpus[i]->cpu_id != i)
			return "a CPU's per-CPU area does not name itself";
		for (unsigned j = 0; j < i; j++)
			if (cpus[j]->apic_id == cpus[i]->apic_id)
				return "two CPUs have the same APIC id";
	}
	return NULL;
}

unsigned smp_this_cpu(void)
{
	return this_cpu()->cpu_id;
}

unsigned smp_limit_parse(const char *value)
{
	const char *end;
	if (!value || *value < '0' || *value > '9')
		return SMP_CPUS_MAX;
	unsigned long n = strtoul_simple(value, &end);
	if (*end)
		return SMP_CPUS_MAX;
	return n < 1 ? 1 : n > SMP_CPUS_MAX ? SMP_CPUS_MAX : (unsigned)n;
}

static void delay_us(uint64_t us)
{
	uint64_t end = ktime_get_ns() + us * 1000;
	while (ktime_get_ns() < end)
		cpu_relax();
}

/* The AP's C entry, on its own stack with the kernel pmap loaded (smp_trampoline.S). */
__attribute__((noreturn)) void smp_ap_main(struct ap_area *a);
void smp_ap_main(struct ap_area *a)
{
	gdt_load_cpu(&a->gdt, (uint64_t)(a->ist_df + IST_STACK_SIZE),
		     (uint64_t)(a->ist_nmi + IST_STACK_SIZE));
	idt_load();
	percpu_init_ap(&a->pcpu);
	write_cr4(boot_cr4);
	write_cr0(boot_cr0);
	syscall_arch_init();
	lapic_init_ap();
	lapic_timer_start_ap();
	/* Its idle task before it counts as online: smp_init returns with every allocation made. */
	struct task *idle = task_idle_create();
	__atomic_fetch_or(&online, CPUSET_CPU(a->pcpu.cpu_id), __ATOMIC_RELEASE);
	/* Interrupts are still off: the first tick finds the idle task current. */
	sched_cpu_start(idle);
}

/*
 * TRAMP_PAGES free pages below 1 MiB: memory the loader's map calls available that holds neither
 * the multiboot2 information nor a module. 0 if there are none.
 */
static vm_paddr_t find_low_pages(void)
{
	const vm_size_t need = TRAMP_PAGES * PAGE_SIZE;

	for (size_t i = 0; i < boot_info.nmmap; i++) {
		const struct boot_mmap_entry *e = &boot_info.mmap[i];
		if (e->type != MB2_MEM_AVAILABLE)
			continue;
		vm_paddr_t end = e->base + e->len < LOW_MEM_END ? e->base + e->len : LOW_MEM_END;
		vm_paddr_t pa = e->base < LOW_MEM_START
					? LOW_MEM_START
					: (e->base + PAGE_SIZE - 1) & ~(vm_paddr_t)(PAGE_SIZE - 1);
		while (pa + need <= end) {
			vm_paddr_t busy_end = 0;
			if (pa < boot_info.mbi_end && boot_info.mbi_start < pa + need)
				busy_end = boot_info.mbi_end;
			for (size_t m = 0; m < boot_info.nmodules; m++)
				if (pa < boot_info.modules[m].end &&
				    boot_info.modules[m].start < pa + need &&
				    boot_info.modules[m].end > busy_end)
					busy_end = boot_info.modules[m].end;
			if (!busy_end)
				return pa;
			pa = (busy_end + PAGE_SIZE - 1) & ~(vm_paddr_t)(PAGE_SIZE - 1);
		}
	}
	return 0;
}

/*
 * Copy the trampoline to tramp and build the temporary page tables after it: the first 2 MiB
 * identity-mapped (one large page: the trampoline runs there while paging comes on), the kernel
 * half the kernel pmap's own PML4 entries (every kernel-half slot is populated and shared).
 */
static void tramp_install(vm_paddr_t tramp)
{
	uint8_t *code = phys_to_virt(tramp);
	uint64_t *pml4 = phys_to_virt(tramp + PAGE_SIZE);
	uint64_t *pdpt = phys_to_virt(tramp + 2 * PAGE_SIZE);
	uint64_t *pd = phys_to_virt(tramp + 3 * PAGE_SIZE);
	const uint64_t *kpml4 = phys_to_virt(read_cr3() & PTE_ADDR_MASK);

	memset(code, 0, TRAMP_PAGES * PAGE_SIZE);
	memcpy(code, smp_trampoline_start, (size_t)(smp_trampoline_end - smp_trampoline_start));
	for (unsigned i = 256; i < 512; i++)
		pml4[i] = kpml4[i];
	pml4[0] = (tramp + 2 * PAGE_SIZE) | PTE_P | PTE_RW;
	pdpt[0] = (tramp + 3 * PAGE_SIZE) | PTE_P | PTE_RW;
	pd[0] = PTE_P | PTE_RW | PTE_PS;
}

/* Start the AP with APIC id apic_id as CPU id. Returns true once it is online. */
static bool start_ap(vm_paddr_t tramp, unsigned id, uint32_t apic_id)
{
	vm_page_t pg = pmm_alloc_order(AP_AREA_ORDER, PMM_ZERO);
	if (!pg) {
		kprintf("smp: no memory for CPU %u's stacks\n", id);
		return false;
	}
	struct ap_area *a = phys_to_virt(vm_page_to_phys(pg));
	a->pcpu.tss = &a->gdt.tss;
	a->pcpu.cpu_id = id;
	a->pcpu.apic_id = apic_id;
	cpus[id] = &a->pcpu;

	struct smp_params *p = (struct smp_params *)phys_to_virt(
		tramp + (size_t)(smp_trampoline_params - smp_trampoline_start));
	p->alive = 0;
	p->pml4 = (uint32_t)(tramp + PAGE_SIZE);
	p->entry = (uint64_t)smp_ap_entry;
	p->cr3 = read_cr3();
	p->stack = (uint64_t)(a->stack + AP_STACK_SIZE);
	p->arg = (uint64_t)a;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	bool sent = lapic_send(apic_id, LAPIC_ICR_INIT | LAPIC_ICR_ASSERT | LAPIC_ICR_LEVEL);
	delay_us(INIT_DELAY_US);
	for (int i = 0; i < 2 && sent; i++) {
		sent = lapic_send(apic_id, LAPIC_ICR_STARTUP | (uint32_t)(tramp >> PAGE_SHIFT));
		delay_us(SIPI_DELAY_US);
	}
	uint64_t deadline = ktime_get_ns() + ONLINE_TIMEOUT_NS;
	while (sent && !smp_cpu_online(id) && ktime_get_ns() < deadline)
		cpu_relax();
	if (!smp_cpu_online(id)) {
		/* Its area stays allocated: the AP may still come and use it. */
		kprintf("smp: CPU %u (APIC id %u) did not come online (%s)\n", id, apic_id,
			!sent ? "the IPI was not taken"
			: __atomic_load_n(&p->alive, __ATOMIC_ACQUIRE)
				? "it started the trampoline"
				: "it never ran the trampoline");
		return false;
	}
	return true;
}

static struct acpi_madt_info madt;

static void print_madt(void)
{
	unsigned enabled = 0;
	for (unsigned i = 0; i < madt.ncpus; i++)
		enabled += (madt.cpus[i].flags & ACPI_LAPIC_ENABLED) != 0;
	kprintf("acpi: MADT: %u CPUs enabled, %u online-capable, %u entries ignored, %u beyond %u; local APIC at %lx%s%s\n",
		enabled, madt.ncpus - enabled, madt.cpus_ignored, madt.cpus_dropped, ACPI_CPUS_MAX,
		madt.lapic_addr, madt.lapic_addr_override ? " (override)" : "",
		madt.pcat_compat ? ", 8259 PICs present" : "");
	for (unsigned i = 0; i < madt.nioapics; i++)
		kprintf("acpi: I/O APIC id %u at %x, GSIs from %u\n", madt.ioapics[i].id,
			madt.ioapics[i].addr, madt.ioapics[i].gsi_base);
	for (unsigned i = 0; i < madt.noverrides; i++)
		kprintf("acpi: ISA IRQ %u -> GSI %u, flags %x\n", madt.overrides[i].irq,
			madt.overrides[i].gsi, madt.overrides[i].flags);
}

/* Whether the MADT's CPUs can be started from here; says why not on the console. */
static bool madt_usable(void)
{
	if (!boot_info.acpi_rsdp) {
		kprintf("smp: no ACPI from the loader: 1 CPU\n");
		return false;
	}
	int r = acpi_find_madt(boot_info.acpi_rsdp, boot_info.acpi_rsdp_v2, &madt);
	if (r) {
		kprintf("smp: %s: 1 CPU\n",
			r == -ENOENT ? "ACPI lists no MADT" : "malformed ACPI tables");
		return false;
	}
	print_madt();
	if (lapic_init(madt.lapic_addr)) {
		kprintf("smp: no usable local APIC: 1 CPU\n");
		return false;
	}
	return true;
}

void smp_init(void)
{
	struct percpu *self = this_cpu();
	char value[16];
	unsigned limit =
		smp_limit_parse(boot_cmdline_get("smp", value, sizeof(value)) ? value : NULL);

	cpus[0] = self;
	online = CPUSET_CPU(0);
	if (!madt_usable()) {
		cpu_possible_set(1);
		return;
	}
	self->apic_id = lapic_id();
	ipi_init();
	lapic_timer_init();
	isa_irq_use_ioapic(&madt, self->apic_id);

	unsigned enabled = 0;
	bool boot_listed = false;
	for (unsigned i = 0; i < madt.ncpus; i++) {
		if (!(madt.cpus[i].flags & ACPI_LAPIC_ENABLED))
			continue;
		enabled++;
		boot_listed |= madt.cpus[i].apic_id == self->apic_id;
	}
	nlisted = boot_listed ? enabled : enabled + 1;
	if (!boot_listed)
		kprintf("smp: the boot CPU's APIC id %u is not in the MADT\n", self->apic_id);

	vm_paddr_t tramp = nlisted > 1 && limit > 1 ? find_low_pages() : 0;
	if (nlisted > 1 && limit > 1 && !tramp)
		kprintf("smp: no free memory below 1 MiB for the AP trampoline\n");
	if (tramp) {
		tramp_install(tramp);
		boot_cr0 = read_cr0() & ~CR0_TS;
		boot_cr4 = read_cr4();
	}
	for (unsigned i = 0; tramp && i < madt.ncpus && ncpus < limit; i++) {
		uint32_t apic_id = madt.cpus[i].apic_id;
		if (!(madt.cpus[i].flags & ACPI_LAPIC_ENABLED) || apic_id == self->apic_id)
			continue;
		if (apic_id > XAPIC_ID_MAX) {
			kprintf("smp: APIC id %u needs x2APIC mode: not started\n", apic_id);
			continue;
		}
		if (!start_ap(tramp, ncpus, apic_id))
			break;
		__atomic_store_n(&ncpus, ncpus + 1, __ATOMIC_RELEASE);
	}

	kprintf("smp: %u CPU%s: APIC ids", ncpus, ncpus == 1 ? "" : "s");
	for (unsigned id = 0; id < ncpus; id++)
		kprintf(" %u", cpus[id]->apic_id);
	if (ncpus < nlisted)
		kprintf(" (%u of the %u the MADT enables%s)", ncpus, nlisted,
			ncpus == limit ? ": smp= on the command line" : "");
	kprintf("\n");
	/* No hotplug: the CPUs started now are all that will ever run; per-CPU data fits them. */
	cpu_possible_set(ncpus);
}
