/*
 * What the kernel provides to mm/ that a host program must provide instead: console output,
 * panic, the direct-map base, TLB counters, and a simulated physical memory arena that the frame
 * allocator manages (so kmem and page tables work unchanged).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/x86_64/cpu.h"
#include "kernel/cpu.h"
#include "kernel/kprintf.h"
#include "kernel/panic.h"
#include "kernel/preempt.h"
#include "kernel/random.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "tests/host/shim.h"

uintptr_t dmap_base;
vm_size_t dmap_size;
unsigned long host_tlb_invlpg_count, host_tlb_flush_count;

int vkprintf(const char *fmt, va_list ap)
{
	int n = vprintf(fmt, ap);
	fflush(stdout);
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vkprintf(fmt, ap);
	va_end(ap);
	return n;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	return vsnprintf(buf, size, fmt, ap);
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void panic_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "panic at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

static void *arena;
static size_t arena_bytes;

void host_arena_init(size_t bytes)
{
	if (arena)
		munmap(arena, arena_bytes);
	arena = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena == MAP_FAILED) {
		perror("host_arena_init: mmap");
		exit(2);
	}
	arena_bytes = bytes;
	dmap_base = (uintptr_t)arena;
	dmap_size = bytes;
}

void host_pmm_init(size_t bytes)
{
	host_arena_init(bytes);
	/* As on a PC: the first MiB is never handed out. */
	struct pmm_range usable = {0x100000, bytes};
	pmm_init(&usable, 1, NULL, 0);
}

__attribute__((constructor)) static void host_default_memory(void)
{
	host_pmm_init(HOST_DEFAULT_ARENA);
}

/* kernel/random.h's architecture side: the host's own generator, and its TSC. */
bool arch_random_hw(uint64_t *out)
{
	return getentropy(out, sizeof(*out)) == 0;
}

uint64_t arch_cycle_counter(void)
{
	return __builtin_ia32_rdtsc();
}

/* kernel/preempt.h: a host program has no other task to let run. */
void preempt_point(void)
{
}

unsigned host_cpu_id;

unsigned cpu_possible_count(void)
{
	return HOST_POSSIBLE_CPUS;
}

unsigned cpu_this_id(void)
{
	return host_cpu_id;
}
