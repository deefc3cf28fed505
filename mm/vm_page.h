/*
 * Per-frame metadata: one struct vm_page for every 4 KiB physical frame the allocator manages,
 * in one array indexed by frame number (mm/pmm.c builds it at boot).
 *
 * Block state lives on head pages only, so that allocating or freeing a block of any order touches
 * O(1) vm_pages: a head carries VM_PAGE_FREE or VM_PAGE_ALLOC and its order; the other frames of a
 * block carry no pmm flag (pmm_block_head() finds a frame's head). Frames that are never handed out
 * carry VM_PAGE_RESERVED. The owner of an allocated block may put its own flags (VM_PAGE_PT,
 * VM_PAGE_KMEM) on any of its frames and must clear those of non-head frames before pmm_free.
 */
#ifndef MM_VM_PAGE_H
#define MM_VM_PAGE_H

#include "mm/types.h"

struct vm_page {
	union {
		/*
		 * While free: the links of its order's free list (head pages only). While allocated
		 * they belong to the owner (e.g. a vm_object's page list).
		 */
		struct {
			struct vm_page *next, *prev;
		};
		/* VM_PAGE_KMEM frames: the slab the frame belongs to, NULL for a large kmalloc block. */
		void *kmem_slab;
	};
	uint32_t ref_count; /* users of this frame (mappings, objects); 0 while free */
	uint16_t flags;     /* VM_PAGE_* */
	uint8_t order; /* block order: meaningful on a head page (VM_PAGE_FREE or VM_PAGE_ALLOC) */
	uint8_t pad;
};

#define VM_PAGE_FREE 0x0001     /* head of a free block on a buddy free list */
#define VM_PAGE_RESERVED 0x0002 /* never allocated: firmware, kernel image, boot data, holes */
#define VM_PAGE_ALLOC 0x0004    /* head of an allocated block (every frame after pmm_split) */
#define VM_PAGE_PT 0x0008       /* holds a page table */
#define VM_PAGE_KMEM 0x0010     /* backs kernel heap memory */
/* free, held in a CPU's frame cache (mm/pmm.c); to the buddy lists an allocated order-0 block */
#define VM_PAGE_CACHED 0x0020

typedef struct vm_page *vm_page_t;

/* Physical address of the frame described by page / the page describing frame pa (NULL if unmanaged). */
vm_paddr_t vm_page_to_phys(vm_page_t page);
vm_page_t phys_to_vm_page(vm_paddr_t pa);

#endif
