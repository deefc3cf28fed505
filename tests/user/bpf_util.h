/*
 * Helpers for the BPF tests (tests/user/bpf_*.c), on top of utest.h and vm_util.h: raw calls that
 * return the kernel's result unchanged, and a record of what a find_vma callback saw.
 */
#ifndef TESTS_USER_BPF_UTIL_H
#define TESTS_USER_BPF_UTIL_H

#include <bpf.h>
#include <stdint.h>

#include "vm_util.h"

/* The raw calls, whatever the library does. */
static inline long raw_find_vma(long pid, uint64_t addr, const void *cb, const void *ctx,
				uint64_t flags)
{
	return __syscall6(SYS_bpf_find_vma, pid, (long)addr, (long)cb, (long)ctx, (long)flags, 0);
}
static inline long raw_for_each(long fd, const void *cb, const void *ctx, uint64_t flags)
{
	return __syscall6(SYS_bpf_for_each_map_elem, fd, (long)cb, (long)ctx, (long)flags, 0, 0);
}
static inline long raw_vma_batch(long pid, uint64_t from, struct bpf_vma *out, uint64_t max)
{
	return __syscall6(SYS_bpf_task_vma_batch, pid, (long)from, (long)out, (long)max, 0, 0);
}

/* What a find_vma callback saw (the ctx of seen_cb). */
struct seen {
	int calls;
	struct bpf_task task;
	struct bpf_vma vma;
	void *ctx;
	uintptr_t frame; /* the callback's frame address: the stack it ran on */
	uintptr_t task_at, vma_at;
};

/* A find_vma callback that records its arguments into the struct seen at `ctx` (or at seen_g). */
static struct seen seen_g;
__attribute__((noinline)) static long seen_cb(struct bpf_task *task, struct bpf_vma *vma, void *ctx)
{
	struct seen *s = ctx ? ctx : &seen_g;

	s->calls++;
	s->task = *task;
	s->vma = *vma;
	s->ctx = ctx;
	s->frame = (uintptr_t)__builtin_frame_address(0);
	s->task_at = (uintptr_t)task;
	s->vma_at = (uintptr_t)vma;
	return 0;
}

/* find_vma(pid, addr) with seen_cb: the result, the VMA in *vma if the callback ran once. */
static inline long vma_of(long pid, uint64_t addr, struct bpf_vma *vma)
{
	struct seen s;

	memset(&s, 0, sizeof(s));
	long r = raw_find_vma(pid, addr, (const void *)seen_cb, &s, 0);
	if (r == 0 && s.calls == 1)
		*vma = s.vma;
	/* ran 0 or several times: never a kernel result */
	else if (r == 0)
		r = -1000 - s.calls;
	return r;
}

static inline bool vma_eq(const struct bpf_vma *a, const struct bpf_vma *b)
{
	return a->vm_start == b->vm_start && a->vm_end == b->vm_end && a->vm_flags == b->vm_flags &&
	       a->vm_pgoff == b->vm_pgoff;
}

#endif
