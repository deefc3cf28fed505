/*
 * Machine-independent memory types, named as in FreeBSD (sys/sys/types.h, vm/vm.h) so that
 * FreeBSD's documentation applies to the interfaces that use them.
 */
#ifndef MM_TYPES_H
#define MM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t vm_offset_t;  /* a virtual address */
typedef uint64_t vm_size_t;    /* a length in bytes */
typedef uint64_t vm_ooffset_t; /* an offset into a vm_object */
typedef uint64_t vm_paddr_t;   /* a physical address */
typedef uint8_t vm_prot_t;

#define PAGE_SHIFT 12
#define PAGE_SIZE ((vm_size_t)1 << PAGE_SHIFT)
#define PAGE_MASK (PAGE_SIZE - 1)
#define SUPERPAGE_SHIFT 21
#define SUPERPAGE_SIZE ((vm_size_t)1 << SUPERPAGE_SHIFT)
#define SUPERPAGE_MASK (SUPERPAGE_SIZE - 1)
#define SUPERPAGE_ORDER (SUPERPAGE_SHIFT - PAGE_SHIFT)

#define trunc_page(x) ((x) & ~PAGE_MASK)
#define round_page(x) (((x) + PAGE_MASK) & ~PAGE_MASK)

#endif
