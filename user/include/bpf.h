/*
 * BPF-like maps, callbacks and the task VMA iterator. Contracts of the system calls are in
 * include/uapi/bpf.h. Unlike the POSIX wrappers, every bpf_* call returns its result (0, a count
 * or an fd) on success and a NEGATED errno on failure, as Linux's helpers do; errno is untouched,
 * except by the element calls, which libbpf's <bpf/bpf.h> shares and which set errno on failure
 * too, as libbpf does. libbpf's API (<bpf/libbpf.h>, <bpf/bpf.h>) may be included beside this.
 */
#ifndef _BPF_H
#define _BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi/bpf.h"

/*
 * Linux's bpf(2) (SYS_bpf; commands, attributes and errors in include/uapi/bpf.h): cmd on the
 * size first bytes of attr. Returns the command's result (0, an fd, ...) or a negated errno.
 * Programs may include <linux/bpf.h> for union bpf_attr and the rest of Linux's BPF ABI.
 */
int bpf(int cmd, union bpf_attr *attr, unsigned int size);

/*
 * A new map (SYS_bpf_map_create); returns its fd. Free it with close(fd). libbpf's bpf_map_create
 * (<bpf/bpf.h>: name and options) is bpf(2)'s BPF_MAP_CREATE.
 */
int bpf_native_map_create(enum bpf_map_type type, uint32_t key_size, uint32_t value_size,
			  uint32_t max_entries);
/* Stores value under key; flags BPF_ANY, BPF_NOEXIST or BPF_EXIST. */
int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags);
/* Copies the element's value to value (value_size bytes). */
int bpf_map_lookup_elem(int fd, const void *key, void *value);
/* Removes key (HASH only). */
int bpf_map_delete_elem(int fd, const void *key);
/* The key after key (key NULL: the first) into next_key; -ENOENT after the last. */
int bpf_map_get_next_key(int fd, const void *key, void *next_key);

/*
 * The callbacks below are ordinary functions of the program: the kernel calls them on the
 * caller's stack in the middle of the system call, and they return into the kernel's trampoline
 * page (include/uapi/bpf.h). They may make any call, nest up to BPF_CB_MAX_DEPTH, and be left by
 * longjmp.
 */
/* Runs cb once on the VMA containing addr of task pid (0: the caller; or a descendant); returns 0. */
long bpf_find_vma(int pid, uint64_t addr, bpf_find_vma_cb cb, void *ctx, uint64_t flags);
/* Runs cb on the elements of map fd; returns how many callbacks ran. */
long bpf_for_each_map_elem(int fd, bpf_map_elem_cb cb, void *ctx, uint64_t flags);
/* The raw batch call under the iterator: up to max VMAs with vm_end > from; returns the count. */
int bpf_task_vma_batch(int pid, uint64_t from, struct bpf_vma *out, size_t max);

/*
 * The task VMA iterator (Linux's bpf_iter_task_vma), over the VMAs of one task in ascending
 * address order without holding the task's map between steps: it fetches VMAs in batches and
 * resumes each batch where the last one ended. Semantics:
 *
 *   - new(it, pid, addr): starts at the VMA containing addr, or the first one above it. Returns 0,
 *     or the first batch's error (-ESRCH, -EPERM, -ENOENT, -EBUSY, as find_vma); after an error
 *     next returns NULL and destroy does nothing. It must be called before next/destroy.
 *   - next(it): the next VMA, or NULL at the end and on every call after it (also after a later
 *     batch fails). The record lives in the iterator and is valid until the next call of next or
 *     destroy; changing it changes nothing in the kernel.
 *   - Every VMA returned starts at or above the end of the one returned before it, so none is
 *     returned twice and the order stays ascending even if the map changes meanwhile: a VMA
 *     created below that end is never returned (nor one straddling it); VMAs created above it
 *     are returned if they still exist when their batch is fetched.
 *   - destroy(it): ends the iteration; next returns NULL afterwards. Call it on every path out
 *     of the loop (bpf_for_each does).
 */
#define BPF_ITER_TASK_VMA_BATCH 32

struct bpf_iter_task_vma {
	int pid;
	int state;           /* 0 active, 1 ended, < 0 the -errno that ended it */
	uint64_t fetch_from; /* the next batch has VMAs with vm_end above this */
	uint64_t floor;      /* vm_end of the last VMA returned: later ones start at or above it */
	bool returned;  /* whether floor is set (before that, anything the kernel gives goes) */
	uint32_t count; /* VMAs in batch */
	uint32_t pos;   /* batch[pos..count) not yet looked at */
	struct bpf_vma batch[BPF_ITER_TASK_VMA_BATCH];
};

int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, int pid, uint64_t addr);
struct bpf_vma *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it);
void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it);

/*
 * for each VMA of task pid from addr, as Linux's bpf_for_each:
 *
 *   struct bpf_vma *vma;
 *   bpf_for_each(task_vma, vma, pid, addr) { ... }
 *
 * The iterator lives in the loop's scope and is destroyed (cleanup attribute) on every way out:
 * the end of the walk, break, return and goto. If new fails the body never runs.
 */
#define bpf_for_each(type, cur, ...)                                                               \
	for (struct bpf_iter_##type __bpf_it __attribute__((cleanup(bpf_iter_##type##_destroy))),  \
	     *__bpf_started                                                                        \
	     __attribute__((unused)) = (bpf_iter_##type##_new(&__bpf_it, __VA_ARGS__), (void *)0); \
	     ((cur) = bpf_iter_##type##_next(&__bpf_it)) != NULL;)

#endif
