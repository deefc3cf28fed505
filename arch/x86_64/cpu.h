/*
 * Thin wrappers around x86_64 instructions that C cannot express (port I/O, MSRs, control
 * registers, the TLB, cpuid, the TSC, SMAP), for arch/ only. The interrupt flag and the spin hint,
 * which arch-neutral code needs too, are <machine/intr.h>, the cycle counter <machine/cpufunc.h>
 * (both included here).
 *
 * Host builds (KESTREL_HOST, used to run mm/ and the page-table code as ordinary programs) get
 * versions of the TLB wrappers that record what they were asked to do instead of executing
 * privileged instructions.
 */
#ifndef ARCH_X86_64_CPU_H
#define ARCH_X86_64_CPU_H

#include <stdint.h>
#include <machine/cpufunc.h>
#include <machine/intr.h>

#ifdef KESTREL_HOST
/* Counters the host shim keeps so that tests can check TLB maintenance happened. */
extern unsigned long host_tlb_invlpg_count, host_tlb_flush_count;
static inline void invlpg(uintptr_t va)
{
	(void)va;
	host_tlb_invlpg_count++;
}
static inline void tlb_flush_all(void)
{
	host_tlb_flush_count++;
}
#else

#define RFLAGS_AC (1ul << 18)

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_SFMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_NXE (1u << 11)

#define CR0_WP (1ul << 16)
#define CR4_PSE (1ul << 4)
#define CR4_PAE (1ul << 5)
#define CR4_PGE (1ul << 7)
#define CR4_UMIP (1ul << 11)
#define CR4_SMEP (1ul << 20)
#define CR4_SMAP (1ul << 21)

#define DEFINE_CR(n)                                                     \
	static inline uint64_t read_cr##n(void)                          \
	{                                                                \
		uint64_t v;                                              \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));        \
		return v;                                                \
	}                                                                \
	static inline void write_cr##n(uint64_t v)                       \
	{                                                                \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

/* Flush every non-global TLB entry of this CPU (reload CR3). */
static inline void tlb_flush_all(void)
{
	write_cr3(read_cr3());
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c,
			 uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

/* Open and close the SMAP window around deliberate user-memory accesses (user-copy routines only). */
static inline void stac(void)
{
	__asm__ volatile("stac" ::: "memory", "cc");
}
static inline void clac(void)
{
	__asm__ volatile("clac" ::: "memory", "cc");
}

#endif /* KESTREL_HOST */
#endif
