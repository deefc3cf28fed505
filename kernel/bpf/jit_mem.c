/*
 * Memory for JIT-compiled code (contracts in kernel/bpf/jit_mem.h).
 *
 * Kernel: the range [KVA_BPF_JIT, + KVA_BPF_JIT_SIZE) is allocated in pages, first fit, from two
 * bitmaps under jit_lock: `used` marks the pages of live blocks, `head` the first page of each,
 * so that the trap path can find the block (and the JIT's header at its start) that a faulting
 * address lies in. The frames and mappings are made outside the lock: the pages reserved in the
 * bitmap are the caller's alone until it releases them.
 */
#include "kernel/bpf/jit_mem.h"

#include "kernel/string.h"
#include "mm/types.h"

#ifdef KESTREL_HOST

#include <errno.h>
#include <sys/mman.h>

void *bpf_jit_mem_alloc(size_t len)
{
	void *p = mmap(NULL, round_page(len), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0xcc, round_page(len));
	return p;
}

int bpf_jit_mem_seal(void *p, size_t len)
{
	return mprotect(p, round_page(len), PROT_READ | PROT_EXEC) == 0 ? 0 : -errno;
}

void bpf_jit_mem_free(void *p, size_t len)
{
	munmap(p, round_page(len));
}

#else

#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"
#include "mm/pmm.h"

#define JIT_PAGES (KVA_BPF_JIT_SIZE / PAGE_SIZE)
#define WORD_BITS 64

static spinlock_t jit_lock = SPINLOCK_INIT("bpf_jit_mem");
static uint64_t used[JIT_PAGES / WORD_BITS]; /* page i of the range belongs to a live block */
static uint64_t head[JIT_PAGES / WORD_BITS]; /* page i is the first page of a live block */

static bool bit_get(const uint64_t *map, size_t i)
{
	return map[i / WORD_BITS] >> (i % WORD_BITS) & 1;
}

static void bits_set(uint64_t *map, size_t i, size_t n, bool v)
{
	for (size_t k = i; k < i + n; k++) {
		if (v)
			map[k / WORD_BITS] |= 1ull << (k % WORD_BITS);
		else
			map[k / WORD_BITS] &= ~(1ull << (k % WORD_BITS));
	}
}

/* Reserve n free pages in a row; returns the first one's index, or JIT_PAGES if none. */
static size_t range_reserve(size_t n)
{
	size_t run = 0, found = JIT_PAGES;

	spin_lock(&jit_lock);
	for (size_t i = 0; i < JIT_PAGES; i++) {
		/* A full word is skipped whole: most of a busy range is. */
		if (i % WORD_BITS == 0 && used[i / WORD_BITS] == ~0ull) {
			run = 0;
			i += WORD_BITS - 1;
			continue;
		}
		run = bit_get(used, i) ? 0 : run + 1;
		if (run == n) {
			found = i + 1 - n;
			bits_set(used, found, n, true);
			bits_set(head, found, 1, true);
			break;
		}
	}
	spin_unlock(&jit_lock);
	return found;
}

static void range_release(size_t first, size_t n)
{
	spin_lock(&jit_lock);
	bits_set(used, first, n, false);
	bits_set(head, first, 1, false);
	spin_unlock(&jit_lock);
}

/* Unmap the first n pages of the block at va and free their frames. */
static void unmap_pages(vm_offset_t va, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		vm_offset_t page = va + k * PAGE_SIZE;
		vm_paddr_t pa;
		if (!pmap_query(pmap_kernel(), page, &pa, NULL, NULL))
			panic("bpf_jit_mem: page %lx of a block is not mapped", page);
		/* Removing 4 KiB pages splits nothing, so it cannot fail. */
		pmap_remove(pmap_kernel(), page, PAGE_SIZE);
		pmm_free(phys_to_vm_page(pa));
	}
}

void *bpf_jit_mem_alloc(size_t len)
{
	size_t n = round_page(len) / PAGE_SIZE;
	if (n == 0 || n > JIT_PAGES)
		return NULL;
	size_t first = range_reserve(n);
	if (first == JIT_PAGES)
		return NULL;
	vm_offset_t va = KVA_BPF_JIT + first * PAGE_SIZE;
	for (size_t k = 0; k < n; k++) {
		vm_page_t pg = pmm_alloc_order(0, 0);
		if (!pg || pmap_enter(pmap_kernel(), va + k * PAGE_SIZE, vm_page_to_phys(pg),
				      PAGE_SIZE, MMU_READ | MMU_WRITE) != 0) {
			if (pg)
				pmm_free(pg);
			unmap_pages(va, k);
			range_release(first, n);
			return NULL;
		}
	}
	memset((void *)va, 0xcc, n * PAGE_SIZE);
	return (void *)va;
}

int bpf_jit_mem_seal(void *p, size_t len)
{
	return pmap_protect(pmap_kernel(), (vm_offset_t)p, round_page(len), MMU_READ | MMU_EXEC);
}

void bpf_jit_mem_free(void *p, size_t len)
{
	size_t n = round_page(len) / PAGE_SIZE;
	unmap_pages((vm_offset_t)p, n);
	range_release(((vm_offset_t)p - KVA_BPF_JIT) / PAGE_SIZE, n);
}

const void *bpf_jit_mem_block(uintptr_t addr)
{
	if (addr < KVA_BPF_JIT || addr - KVA_BPF_JIT >= KVA_BPF_JIT_SIZE)
		return NULL;
	size_t i = (addr - KVA_BPF_JIT) / PAGE_SIZE;
	const void *block = NULL;

	spin_lock(&jit_lock);
	if (bit_get(used, i)) {
		/* A live block's pages are used from its head on, so the walk stays inside it. */
		while (!bit_get(head, i))
			i--;
		block = (const void *)(KVA_BPF_JIT + i * PAGE_SIZE);
	}
	spin_unlock(&jit_lock);
	return block;
}

#endif
