/*
 * Machine-independent memory types, named as in FreeBSD (sys/sys/types.h, vm/vm.h) so that
 * FreeBSD's documentation applies to the interfaces that use them.
 */
#ifndef MM_TYPES_H
#define MM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <machine/vmparam.h>

typedef uint64_t vm_offset_t;  /* a virtual address */
typedef uint64_t vm_size_t;    /* a length in bytes */
typedef uint64_t vm_ooffset_t; /* an offset into a vm_object */
typedef uint64_t vm_paddr_t;   /* a physical address */
typedef uint8_t vm_prot_t;

/* PAGE_SIZE, SUPERPAGE_SIZE and the other constants of the machine: <machine/vmparam.h>. */
#define trunc_page(x) ((x) & ~PAGE_MASK)
#define round_page(x) (((x) + PAGE_MASK) & ~PAGE_MASK)

#endif
