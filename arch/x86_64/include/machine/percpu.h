/*
 * <machine/percpu.h>: the per-CPU area, reached through the GS base while the kernel runs: the
 * boot CPU's is static (percpu_init), each application processor's is set up by arch/x86_64/smp.c (percpu_init_ap).
 * The entry code finds everything through %gs.
 *
 * GS discipline: in ring 0, MSR_GS_BASE points at this CPU's struct percpu; in ring 3 it holds the
 * user's value (0) and MSR_KERNEL_GS_BASE holds the per-CPU pointer. Every entry from ring 3
 * (syscall_entry, the isr.S entry points) runs swapgs before it touches %gs, and every return to ring 3
 * runs it again.
 *
 * kernel_rsp is where syscall_entry builds its trapframe: the top of the entry stack. It always
 * equals TSS.rsp0 (where the CPU puts an interrupt or exception frame from ring 3), and both change
 * together through percpu_set_entry_stack. Normally both are the current task's kernel stack top;
 * code that enters ring 3 from inside a system call (BPF callbacks) points them below its live
 * kernel frames first (see kernel/task.h, "entry stack").
 */
#ifndef MACHINE_PERCPU_H
#define MACHINE_PERCPU_H

/* Offsets for the assembly (checked against the struct below). */
#define PCPU_SELF 0
#define PCPU_KERNEL_RSP 8
#define PCPU_USER_RSP 16
#define PCPU_CURRENT 24

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct task;
struct tss;

struct percpu {
	struct percpu *self;  /* %gs:0, so C can find the area with one load */
	uint64_t kernel_rsp;  /* entry stack top for syscall_entry; == TSS.rsp0 */
	uint64_t user_rsp;    /* scratch: the user rsp while syscall_entry builds its frame */
	struct task *current; /* the task running on this CPU */
	struct tss *tss;      /* this CPU's own TSS (arch/x86_64/gdt.h) */
	unsigned cpu_id;      /* 0: the boot CPU; then the APs in the order they came online */
	uint32_t apic_id;     /* its local APIC's id (arch/x86_64/lapic.h) */
};
_Static_assert(offsetof(struct percpu, self) == PCPU_SELF, "percpu layout is shared with asm");
_Static_assert(offsetof(struct percpu, kernel_rsp) == PCPU_KERNEL_RSP, "percpu layout");
_Static_assert(offsetof(struct percpu, user_rsp) == PCPU_USER_RSP, "percpu layout");
_Static_assert(offsetof(struct percpu, current) == PCPU_CURRENT, "percpu layout");

/*
 * Point MSR_GS_BASE at the boot CPU's area (MSR_KERNEL_GS_BASE = 0: the user's GS), cpu_id 0, with
 * the boot CPU's TSS. Once, at boot, after gdt_init.
 */
void percpu_init(void);

/*
 * The same on an application processor for its own area p, whose tss, cpu_id and apic_id the
 * caller (arch/x86_64/smp.c) has filled. Once per AP, on that AP, after its gdt_load_cpu.
 */
void percpu_init_ap(struct percpu *p);

/* This CPU's area. Ring 0 only (after percpu_init). */
static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

/* This CPU's current task, read with one %gs-relative load (no window to migrate in). */
static inline struct task *percpu_current(void)
{
	struct task *t;
	__asm__ volatile("movq %%gs:%c1, %0" : "=r"(t) : "i"(PCPU_CURRENT));
	return t;
}

/*
 * This CPU's area, or NULL while this CPU has none yet (before percpu_init, or on an AP before
 * percpu_init_ap): for panic, which may come that early. Any context, no lock.
 */
struct percpu *percpu_this_early(void);

/* The name and value of the hardware's own id of the CPU of area p, for reports ("APIC id 3"). */
#define PERCPU_HW_ID_NAME "APIC id"
static inline uint32_t percpu_hw_id(const struct percpu *p)
{
	return p->apic_id;
}

/*
 * Make top the entry stack: both the syscall entry rsp and TSS.rsp0. 16-byte aligned. Interrupts
 * off, or at least no return to ring 3 between this and the matching restore.
 */
void percpu_set_entry_stack(uint64_t top);

#endif
#endif
