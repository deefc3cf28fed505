/*
 * A new user address space with a program in it: the segments of a checked ELF image, the stack
 * with its guard entry, and the arguments on the stack as user/crt0.S's entry contract says.
 *
 * Layout (mm/memlayout.h): the program's PT_LOAD segments where it linked them (below
 * USER_IMAGE_LIMIT); the stack (USER_STACK_SIZE, read+write, NX, MAP_ENTRY_STACK) ending at the
 * stack top that mm/aslr.h draws for this image (USER_MAX with aslr=0), with a MAP_ENTRY_GUARD
 * entry of USER_STACK_GUARD right below it, so a stack overflow faults and the gap shows in the map
 * listing; the map's anon_loc is the mmap base drawn with it. Text is read+execute, data
 * read+write (NX), each with max_protection equal to its protection.
 */
#ifndef KERNEL_EXEC_H
#define KERNEL_EXEC_H

#include <stddef.h>
#include "mm/vm_map.h"

struct exec_image {
	pmap_t pmap;
	vm_map_t map;      /* over pmap, [USER_MIN, USER_MAX) */
	vm_offset_t entry; /* initial rip */
	vm_offset_t sp;    /* initial rsp: 16-byte aligned, at the argv array */
	vm_offset_t argv;  /* the argv array's user address */
};

/*
 * Build the address space for the program in file[0, size) with argv[0 .. argc). The caller owns
 * the result (vm_map_destroy, then pmap_destroy). Returns 0; -ENOEXEC (elf_parse's reasons);
 * -E2BIG if the arguments take more than ARG_MAX bytes or argc exceeds ARG_COUNT_MAX; -ENOMEM.
 * On failure nothing is left allocated. Sleeps (map locks); the new map is not yet visible to
 * anyone else.
 */
int exec_build(const void *file, size_t size, int argc, char *const argv[], struct exec_image *out);

/*
 * Write len bytes of src into map at va, through the direct map: each page is faulted in for
 * writing (it must lie in an entry that allows writing) and filled via its physical address. For
 * filling a task's memory before it runs. Returns 0, or -EFAULT if a page could not be faulted
 * in (-ENOMEM when memory ran out).
 */
int exec_write_map(vm_map_t map, vm_offset_t va, const void *src, size_t len);

#endif
