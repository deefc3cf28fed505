/*
 * <machine/vmparam.h>: the constants the machine fixes for the VM system (FreeBSD's
 * machine/vmparam.h and machine/param.h), defined here once and nowhere else: x86_64 with 4-level
 * paging. Kestrel's own choices of where things go inside these bounds are mm/memlayout.h.
 */
#ifndef MACHINE_VMPARAM_H
#define MACHINE_VMPARAM_H

#include <stdint.h>

/* The base page: 4 KiB. */
#define PAGE_SHIFT 12
#define PAGE_SIZE ((uint64_t)1 << PAGE_SHIFT)
#define PAGE_MASK (PAGE_SIZE - 1)

/* The superpage the page tables map with one level-2 entry: 2 MiB, a buddy block of this order. */
#define SUPERPAGE_SHIFT 21
#define SUPERPAGE_SIZE ((uint64_t)1 << SUPERPAGE_SHIFT)
#define SUPERPAGE_MASK (SUPERPAGE_SIZE - 1)
#define SUPERPAGE_ORDER (SUPERPAGE_SHIFT - PAGE_SHIFT)

/* Levels of page tables: PML4, PDPT, PD, PT (48-bit virtual addresses). */
#define PT_LEVELS 4

/*
 * The two canonical halves of a 48-bit address space: user addresses lie below
 * VM_MAXUSER_ADDRESS (a map that ends at or below it is a user map), kernel addresses start at
 * VM_MIN_KERNEL_ADDRESS; the addresses between are not canonical.
 */
#define VM_MAXUSER_ADDRESS 0x0000800000000000ull
#define VM_MIN_KERNEL_ADDRESS 0xffff800000000000ull

#endif
