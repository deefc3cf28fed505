/* The I/O APIC of the ISA interrupts (contract in arch/x86_64/ioapic.h). */
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/cpu.h"
#include "kernel/kprintf.h"
#include "kernel/spinlock.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"

#define REG_SELECT 0x00 /* byte offsets of the index and data windows */
#define REG_WINDOW 0x10
#define IDX_VERSION 0x01
#define IDX_RTE(n) (0x10 + 2 * (n))
#define MPS_POLARITY_MASK 0x3u
#define MPS_POLARITY_LOW 0x3u
#define MPS_TRIGGER_MASK 0xcu
#define MPS_TRIGGER_LEVEL 0xcu

static volatile uint32_t *regs;
static uint32_t gsi_base, nentries;
/* The index/data pair is one access: the select and the data must not interleave with another's. */
static spinlock_t lock = SPINLOCK_INIT("ioapic");

static uint32_t rd(uint32_t idx)
{
	regs[REG_SELECT / 4] = idx;
	return regs[REG_WINDOW / 4];
}

static void wr(uint32_t idx, uint32_t v)
{
	regs[REG_SELECT / 4] = idx;
	regs[REG_WINDOW / 4] = v;
}

static void write_rte(uint32_t n, uint64_t rte)
{
	unsigned long f = irq_save();
	spin_lock(&lock);
	/* Masked while half-written: the low word (with the mask bit) last when unmasking. */
	wr(IDX_RTE(n), (uint32_t)rte | (uint32_t)IOAPIC_RTE_MASKED);
	wr(IDX_RTE(n) + 1, (uint32_t)(rte >> 32));
	wr(IDX_RTE(n), (uint32_t)rte);
	spin_unlock(&lock);
	irq_restore(f);
}

static uint64_t read_rte(uint32_t n)
{
	unsigned long f = irq_save();
	spin_lock(&lock);
	uint64_t rte = rd(IDX_RTE(n)) | (uint64_t)rd(IDX_RTE(n) + 1) << 32;
	spin_unlock(&lock);
	irq_restore(f);
	return rte;
}

bool ioapic_init(const struct acpi_madt_info *madt)
{
	const struct acpi_ioapic *io = NULL;
	for (unsigned i = 0; i < madt->nioapics; i++)
		if (madt->ioapics[i].gsi_base == 0)
			io = &madt->ioapics[i];
	if (!io) {
		kprintf("ioapic: the MADT lists no I/O APIC for GSI 0\n");
		return false;
	}
	vm_paddr_t phys = io->addr & ~(vm_paddr_t)(PAGE_SIZE - 1);
	vm_offset_t va = (vm_offset_t)phys_to_virt(phys);
	if (phys + PAGE_SIZE > dmap_size) {
		int r = pmap_enter(pmap_kernel(), va, phys, PAGE_SIZE, MMU_READ | MMU_WRITE);
		if (r) {
			kprintf("ioapic: mapping its registers at %x failed (%d)\n", io->addr, r);
			return false;
		}
	}
	regs = (volatile uint32_t *)(va + (io->addr & (PAGE_SIZE - 1)));
	gsi_base = io->gsi_base;
	nentries = ((rd(IDX_VERSION) >> 16) & 0xff) + 1;
	for (uint32_t n = 0; n < nentries; n++)
		write_rte(n, IOAPIC_RTE_MASKED);
	kprintf("ioapic: id %u at %x, %u inputs from GSI %u\n", io->id, io->addr, nentries,
		gsi_base);
	return true;
}

/* ISA irq's GSI and MPS flags: its override's, or the identity with the bus's (edge, high). */
static uint32_t isa_gsi(const struct acpi_madt_info *madt, unsigned irq, uint16_t *flags)
{
	*flags = 0;
	for (unsigned i = 0; i < madt->noverrides; i++)
		if (madt->overrides[i].irq == irq) {
			*flags = madt->overrides[i].flags;
			return madt->overrides[i].gsi;
		}
	return irq;
}

/* The entry index of ISA irq on this I/O APIC, or -1. */
static int isa_entry(const struct acpi_madt_info *madt, unsigned irq, uint16_t *flags)
{
	uint32_t gsi = isa_gsi(madt, irq, flags);
	if (!regs || gsi < gsi_base || gsi - gsi_base >= nentries)
		return -1;
	return (int)(gsi - gsi_base);
}

bool ioapic_route_isa(const struct acpi_madt_info *madt, unsigned irq, uint8_t vector,
		      uint32_t apic_id, bool masked)
{
	uint16_t flags;
	int n = isa_entry(madt, irq, &flags);
	if (n < 0)
		return false;
	uint64_t rte = vector | (uint64_t)apic_id << IOAPIC_RTE_DEST_SHIFT;
	if ((flags & MPS_POLARITY_MASK) == MPS_POLARITY_LOW)
		rte |= IOAPIC_RTE_ACTIVE_LOW;
	if ((flags & MPS_TRIGGER_MASK) == MPS_TRIGGER_LEVEL)
		rte |= IOAPIC_RTE_LEVEL;
	if (masked)
		rte |= IOAPIC_RTE_MASKED;
	write_rte((uint32_t)n, rte);
	return true;
}

void ioapic_unmask_isa(const struct acpi_madt_info *madt, unsigned irq)
{
	uint16_t flags;
	int n = isa_entry(madt, irq, &flags);
	if (n >= 0)
		write_rte((uint32_t)n, read_rte((uint32_t)n) & ~IOAPIC_RTE_MASKED);
}

uint64_t ioapic_read_isa(const struct acpi_madt_info *madt, unsigned irq)
{
	uint16_t flags;
	int n = isa_entry(madt, irq, &flags);
	return n < 0 ? 0 : read_rte((uint32_t)n);
}
