/*
 * Per-frame metadata: one struct vm_page for every 4 KiB physical frame the allocator manages,
 * in one array indexed by frame number (mm/pmm.c builds it at boot).
 */
#ifndef MM_VM_PAGE_H
#define MM_VM_PAGE_H

#include "mm/types.h"

struct vm_page {
	struct vm_page *next, *prev; /* free list of its order while free (head pages only) */
	uint32_t ref_count;          /* users of this frame (mappings, objects); 0 while free */
	uint16_t flags;              /* VM_PAGE_* */
	uint8_t order;               /* block order: meaningful on the head page of a block */
	uint8_t pad;
};

#define VM_PAGE_FREE 0x0001     /* head of a free block on a buddy free list */
#define VM_PAGE_RESERVED 0x0002 /* never allocated: firmware, kernel image, boot data, holes */
#define VM_PAGE_TAIL 0x0004     /* inside an allocated or free block, not its head */
#define VM_PAGE_PT 0x0008       /* holds a page table */
#define VM_PAGE_KMEM 0x0010     /* backs kernel heap memory */

typedef struct vm_page *vm_page_t;

/* Physical address of the frame described by page / the page describing frame pa (NULL if unmanaged). */
vm_paddr_t vm_page_to_phys(vm_page_t page);
vm_page_t phys_to_vm_page(vm_paddr_t pa);

#endif
