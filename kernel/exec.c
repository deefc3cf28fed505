/* Building a user address space for a program (contract in kernel/exec.h). */
#include "kernel/exec.h"
#include "kernel/elf.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "kernel/vm_errno.h"
#include "mm/aslr.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"
#include "uapi/errno.h"

int exec_write_map(vm_map_t map, vm_offset_t va, const void *src, size_t len)
{
	const uint8_t *s = src;

	while (len) {
		size_t n = PAGE_SIZE - (va & PAGE_MASK);
		vm_paddr_t pa;
		int r = vm_fault_to_errno(vm_fault(map, va, VM_PROT_WRITE));

		if (r)
			return r;
		if (!pmap_query(map->pmap, va, &pa, NULL, NULL))
			return -EFAULT;
		if (n > len)
			n = len;
		memcpy(phys_to_virt(pa), s, n);
		s += n;
		va += n;
		len -= n;
	}
	return 0;
}

/* Map segment s read+write, copy its file bytes, then drop to its own rights for good. */
static int load_segment(vm_map_t map, const uint8_t *file, const struct elf_segment *s)
{
	vm_offset_t start = trunc_page(s->vaddr), end = round_page(s->vaddr + s->memsz);
	int kr, r;

	vm_map_lock(map);
	kr = vm_map_insert(map, NULL, 0, start, end, VM_PROT_READ | VM_PROT_WRITE, VM_PROT_ALL,
			   MAP_CREATE_IMAGE);
	vm_map_unlock(map);
	if (kr != KERN_SUCCESS)
		return vm_mmap_to_errno(kr);
	r = exec_write_map(map, s->vaddr, file + s->offset, s->filesz);
	if (r)
		return r == -EFAULT ? -ENOEXEC : r;
	kr = vm_map_protect(map, start, end, s->prot, s->prot,
			    VM_MAP_PROTECT_SET_PROT | VM_MAP_PROTECT_SET_MAXPROT);
	return vm_mmap_to_errno(kr);
}

/* The stack entry ending at top, and its guard entry right below it. */
static int map_stack(vm_map_t map, vm_offset_t top)
{
	vm_offset_t bottom = top - USER_STACK_SIZE;
	int kr;

	vm_map_lock(map);
	kr = vm_map_insert(map, NULL, 0, bottom - USER_STACK_GUARD, bottom, VM_PROT_NONE,
			   VM_PROT_NONE, MAP_CREATE_GUARD);
	if (kr == KERN_SUCCESS)
		kr = vm_map_insert(map, NULL, 0, bottom, top, VM_PROT_READ | VM_PROT_WRITE,
				   VM_PROT_READ | VM_PROT_WRITE, MAP_CREATE_STACK);
	vm_map_unlock(map);
	return vm_mmap_to_errno(kr);
}

/*
 * The top of the stack, from top down: the argument strings, then (16-byte aligned) the argv
 * array of argc pointers and a NULL, where rsp starts. Built in a kernel buffer, then copied.
 */
static int push_args(vm_map_t map, vm_offset_t top, int argc, char *const argv[],
		     struct exec_image *out)
{
	size_t strings = 0;

	if (argc < 0 || argc > ARG_COUNT_MAX)
		return -E2BIG;
	for (int i = 0; i < argc; i++) {
		strings += strlen(argv[i]) + 1;
		if (strings > ARG_MAX)
			return -E2BIG;
	}
	vm_offset_t str_base = top - strings;
	vm_offset_t array = (str_base - (size_t)(argc + 1) * sizeof(uint64_t)) & ~(vm_offset_t)15;
	size_t total = top - array;
	uint8_t *buf = kzalloc(total);
	if (!buf)
		return -ENOMEM;

	uint64_t *ptrs = (uint64_t *)buf;
	char *str = (char *)buf + (str_base - array);
	vm_offset_t ustr = str_base;
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;
		memcpy(str, argv[i], n);
		ptrs[i] = ustr;
		str += n;
		ustr += n;
	}
	ptrs[argc] = 0;
	int r = exec_write_map(map, array, buf, total);
	kfree(buf);
	out->sp = array;
	out->argv = array;
	return r;
}

int exec_build(const void *file, size_t size, int argc, char *const argv[], struct exec_image *out)
{
	struct elf_image elf;
	int r = elf_parse(file, size, USER_IMAGE_LIMIT, &elf);

	if (r)
		return r;
	struct aslr_layout layout = aslr_layout_new();
	out->pmap = pmap_create();
	if (!out->pmap)
		return -ENOMEM;
	out->map = vm_map_create(out->pmap, USER_MIN, USER_MAX);
	if (!out->map) {
		pmap_destroy(out->pmap);
		return -ENOMEM;
	}
	out->map->anon_loc = layout.mmap_base;
	for (unsigned i = 0; i < elf.nsegs && !r; i++)
		r = load_segment(out->map, file, &elf.seg[i]);
	if (!r)
		r = map_stack(out->map, layout.stack_top);
	if (!r)
		r = push_args(out->map, layout.stack_top, argc, argv, out);
	if (r) {
		vm_map_destroy(out->map);
		pmap_destroy(out->pmap);
		return r;
	}
	out->entry = elf.entry;
	return 0;
}
