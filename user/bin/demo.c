/*
 * What `make run` shows after the self-tests: the same 64 MiB of anonymous memory touched one
 * byte per 4 KiB page, once mapped plainly and once with MAP_ALIGNED_SUPER, with the page-fault
 * counts of each (superpage-aligned memory faults once per 2 MiB: 32 faults), then the demo's own
 * map while both are resident, and the free memory before, during and after. A BPF program on the
 * vm_fault tracepoint (user/bpf/demo_faults.bpf.c, loaded through its bpftool skeleton) counts the
 * same faults by page size from inside the kernel.
 * Exits 1 if a call fails or the aligned mapping does not take exactly 32 faults.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vm_stat.h>
#include <vmmap.h>

#include "demo_faults.skel.h"

#define DEMO_LEN ((size_t)64 << 20)
#define DEMO_PAGE 4096
#define DEMO_SUPER ((size_t)2 << 20)
#define DEMO_SUPER_FAULTS (DEMO_LEN / DEMO_SUPER)

struct run {
	const char *name;
	int flags;
	volatile char *p;
	struct vm_stat before, after;
};

/* Reports a failed call; returns the demo's exit status. */
static int fail(const char *what)
{
	printf("demo: %s failed: %s\n", what, strerror(errno));
	return 1;
}

static int touch_run(struct run *r)
{
	r->p = mmap(NULL, DEMO_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON | r->flags, -1,
		    0);
	if (r->p == MAP_FAILED)
		return fail("mmap");
	if (vm_stat(0, &r->before))
		return fail("vm_stat");
	for (size_t off = 0; off < DEMO_LEN; off += DEMO_PAGE)
		r->p[off] = 1;
	if (vm_stat(0, &r->after))
		return fail("vm_stat");

	uint64_t faults = r->after.faults - r->before.faults,
		 big = r->after.faults_2m - r->before.faults_2m;
	size_t skew = (uintptr_t)r->p % DEMO_SUPER;
	printf("  %-32s at %#10lx: %5lu faults (%lu of 2 MiB, %lu of 4 KiB)\n", r->name,
	       (unsigned long)(uintptr_t)r->p, (unsigned long)faults, (unsigned long)big,
	       (unsigned long)(faults - big));
	if (skew)
		printf("      it starts %lu KiB past a 2 MiB boundary: the %lu whole 2 MiB blocks inside take one\n"
		       "      fault each, the partial blocks at both ends one per 4 KiB page\n",
		       (unsigned long)(skew / 1024), (unsigned long)(DEMO_LEN / DEMO_SUPER - 1));
	return 0;
}

int main(void)
{
	struct run runs[] = {
		{.name = "mmap(64 MiB)", .flags = 0},
		{.name = "mmap(64 MiB, MAP_ALIGNED_SUPER)", .flags = MAP_ALIGNED_SUPER},
	};
	struct vm_stat start, during, end;
	struct demo_faults *bpf = demo_faults__open();

	if (!bpf)
		return fail("demo_faults__open");
	bpf->rodata->demo_pid = (uint32_t)getpid();
	if (demo_faults__load(bpf) || demo_faults__attach(bpf))
		return fail("loading the vm_fault program");
	if (vm_stat(0, &start))
		return fail("vm_stat");
	printf("demo: touch one byte in every 4 KiB page of 64 MiB of anonymous memory, twice\n");
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		if (touch_run(&runs[i]))
			return 1;

	printf("demo: my map now, as `vmmap` prints it (PRT: protection, RES: resident 4 KiB pages,\n"
	       "      SPR: resident 2 MiB pages, FLAGS: G guard, S stack, A anonymous, I program image)\n");
	if (vmmap_print(0) < 0)
		return fail("vm_map_list");
	if (vm_stat(0, &during))
		return fail("vm_stat");

	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		if (munmap((void *)runs[i].p, DEMO_LEN))
			return fail("munmap");
	if (vm_stat(0, &end))
		return fail("vm_stat");
	printf("demo: free 4 KiB frames: %lu before, %lu with both touched, %lu after unmapping both\n"
	       "      (the difference: the kernel heap keeps the slabs it freed, page-tree nodes and map\n"
	       "      entries, cached for reuse)\n",
	       (unsigned long)start.free_frames, (unsigned long)during.free_frames,
	       (unsigned long)end.free_frames);

	printf("demo: the BPF program on the vm_fault tracepoint counted %lu faults that mapped 4 KiB pages\n"
	       "      and %lu that mapped 2 MiB pages (vm_stat: %lu faults, %lu of them 2 MiB ones)\n",
	       (unsigned long)bpf->bss->faults_4k, (unsigned long)bpf->bss->faults_2m,
	       (unsigned long)(end.faults - start.faults),
	       (unsigned long)(end.faults_2m - start.faults_2m));
	uint64_t bpf_2m = bpf->bss->faults_2m;
	demo_faults__destroy(bpf);

	uint64_t super_faults = runs[1].after.faults - runs[1].before.faults;
	if (super_faults != DEMO_SUPER_FAULTS) {
		printf("demo: MAP_ALIGNED_SUPER took %lu faults, expected %lu\n",
		       (unsigned long)super_faults, (unsigned long)DEMO_SUPER_FAULTS);
		return 1;
	}
	if (bpf_2m < DEMO_SUPER_FAULTS) {
		printf("demo: the vm_fault program saw %lu 2 MiB faults, expected at least %lu\n",
		       (unsigned long)bpf_2m, (unsigned long)DEMO_SUPER_FAULTS);
		return 1;
	}
	return 0;
}
