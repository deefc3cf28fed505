/*
 * Memory for JIT-compiled code, W^X: a block is handed out writable and not executable, the JIT
 * writes its code, and bpf_jit_mem_seal makes it read+execute for good; it is never writable and
 * executable at once. The JIT (arch/x86_64/bpf_jit.c) is the only user.
 *
 * Kernel: blocks are whole pages of the kernel range [KVA_BPF_JIT, + KVA_BPF_JIT_SIZE)
 * (mm/memlayout.h), one pmm frame per page, mapped in the kernel pmap; a bitmap of pages under a
 * spinlock allocates the range. Host builds (KESTREL_HOST): mmap, mprotect and munmap.
 *
 * Every function may be called from any thread and none sleeps (they take the allocator's, pmm's
 * and the kernel pmap's spinlocks).
 */
#ifndef KERNEL_BPF_JIT_MEM_H
#define KERNEL_BPF_JIT_MEM_H

#include <stddef.h>
#include <stdint.h>

/*
 * A block of at least len bytes (len > 0), page-aligned, readable and writable, not executable,
 * filled with the x86 breakpoint byte 0xcc. Returns NULL when out of memory or address space. The
 * caller owns it until bpf_jit_mem_free.
 */
void *bpf_jit_mem_alloc(size_t len);

/*
 * Make the block at p (from bpf_jit_mem_alloc(len)) read+execute and no longer writable; stale
 * writable TLB entries are gone when it returns. Returns 0, or a negative errno if the mapping
 * could not be changed (the block is then still writable and not executable; free it).
 */
int bpf_jit_mem_seal(void *p, size_t len);

/* Release the block at p, from bpf_jit_mem_alloc(len), sealed or not. No code may run in it. */
void bpf_jit_mem_free(void *p, size_t len);

#ifndef KESTREL_HOST
/*
 * For the trap path: the start of the live block containing addr, or NULL if addr is in none.
 * Takes the allocator's spinlock, so it must not be called from code that holds it (only a fault
 * in JIT code, whose address is inside a block, calls it).
 */
const void *bpf_jit_mem_block(uintptr_t addr);
#endif

#endif
