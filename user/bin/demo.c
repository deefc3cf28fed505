/*
 * What `make run` shows after the self-tests: the same 64 MiB of anonymous memory touched one
 * byte per 4 KiB page, once mapped plainly and once with MAP_ALIGNED_SUPER, with the page-fault
 * counts of each (superpage-aligned memory should fault once per 2 MiB: 32 faults), then the
 * demo's own map while both are resident, and the free memory once they are unmapped.
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

#define DEMO_LEN ((size_t)64 << 20)
#define DEMO_PAGE 4096
#define DEMO_SUPER_FAULTS (DEMO_LEN >> 21)

struct run {
	const char *name;
	int flags;
	volatile char *p;
	struct vm_stat before, after;
	uint64_t ticks;
};

/* Reports a failed call; returns the demo's exit status. */
static int fail(const char *what)
{
	printf("demo: %s failed: %s\n", what, strerror(errno));
	return 1;
}

static int touch_run(struct run *r)
{
	uint64_t t0;

	r->p = mmap(NULL, DEMO_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON | r->flags, -1,
		    0);
	if (r->p == MAP_FAILED)
		return fail("mmap");
	if (vm_stat(0, &r->before))
		return fail("vm_stat");
	t0 = uptime();
	for (size_t off = 0; off < DEMO_LEN; off += DEMO_PAGE)
		r->p[off] = 1;
	r->ticks = uptime() - t0;
	if (vm_stat(0, &r->after))
		return fail("vm_stat");
	printf("  %-32s at %p: %6lu faults, %2lu of them 2 MiB pages, %12lu TSC ticks\n", r->name,
	       (void *)r->p, (unsigned long)(r->after.faults - r->before.faults),
	       (unsigned long)(r->after.faults_2m - r->before.faults_2m),
	       (unsigned long)r->ticks);
	return 0;
}

int main(void)
{
	struct run runs[] = {
		{.name = "mmap(64 MiB)", .flags = 0},
		{.name = "mmap(64 MiB, MAP_ALIGNED_SUPER)", .flags = MAP_ALIGNED_SUPER},
	};
	struct vm_stat start, end;
	uint64_t super_faults;

	if (vm_stat(0, &start))
		return fail("vm_stat");
	printf("demo: touch one byte in every 4 KiB page of 64 MiB of anonymous memory\n");
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		if (touch_run(&runs[i]))
			return 1;

	printf("demo: my map now (RES: resident 4 KiB pages, SPR: resident 2 MiB pages)\n");
	if (vmmap_print(0) < 0)
		return fail("vm_map_list");

	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		if (munmap((void *)runs[i].p, DEMO_LEN))
			return fail("munmap");
	if (vm_stat(0, &end))
		return fail("vm_stat");
	printf("demo: free frames %lu before, %lu after unmapping both\n",
	       (unsigned long)start.free_frames, (unsigned long)end.free_frames);

	super_faults = runs[1].after.faults - runs[1].before.faults;
	if (super_faults != DEMO_SUPER_FAULTS) {
		printf("demo: MAP_ALIGNED_SUPER took %lu faults, expected %lu\n",
		       (unsigned long)super_faults, (unsigned long)DEMO_SUPER_FAULTS);
		return 1;
	}
	return 0;
}
