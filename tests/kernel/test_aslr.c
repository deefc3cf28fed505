/*
 * ASLR as exec applies it (mm/aslr.h, kernel/exec.h): address spaces built from a boot program
 * with randomisation off have today's fixed layout (what "aslr=0" gives: the stack ending at
 * USER_MAX, its guard entry below it, hint-0 mmap from USER_MIN), and with it on, two builds get
 * stacks and mmap bases in ASLR's ranges that differ from each other. The user side (spawned
 * programs, mmap placement) is tests/user/aslr.c.
 */
#include "kernel/exec.h"
#include "kernel/ktest.h"
#include "kernel/multiboot.h"
#include "kernel/string.h"
#include "mm/aslr.h"
#include "mm/memlayout.h"

#define PROG "test/aslr"

/* What a built address space shows of its layout; stack_top 0 if the stack is misshapen. */
struct built {
	vm_offset_t mmap_base, stack_top, sp;
};

/* Build PROG's address space with randomisation on or off, note its layout, destroy it. */
static int build(bool randomise, struct built *out)
{
	const struct boot_module *m = NULL;
	char *argv[] = {PROG};
	struct exec_image img;

	for (size_t i = 0; i < boot_info.nmodules && !m; i++)
		if (!strcmp(boot_info.modules[i].name, PROG))
			m = &boot_info.modules[i];
	if (!m)
		return -1;
	bool was = aslr_set_enabled(randomise);
	int r = exec_build(phys_to_virt(m->start), m->end - m->start, 1, argv, &img);
	aslr_set_enabled(was);
	if (r)
		return r;

	vm_map_entry_t s;
	*out = (struct built){.mmap_base = img.map->anon_loc, .sp = img.sp};
	vm_map_lock_read(img.map);
	VM_MAP_ENTRY_FOREACH(s, img.map) {
		if (!(s->eflags & MAP_ENTRY_STACK))
			continue;
		if (s->end - s->start == USER_STACK_SIZE && s->prev != &img.map->header &&
		    (s->prev->eflags & MAP_ENTRY_GUARD) && s->prev->end == s->start &&
		    s->prev->start == s->start - USER_STACK_GUARD)
			out->stack_top = s->end;
		break;
	}
	vm_map_unlock_read(img.map);
	vm_map_destroy(img.map);
	pmap_destroy(img.pmap);
	return 0;
}

KTEST(aslr, off_gives_the_fixed_layout)
{
	bool setting = aslr_enabled();
	struct built a, b;

	ASSERT_EQ(build(false, &a), 0);
	ASSERT_EQ(build(false, &b), 0);
	EXPECT_EQ(a.stack_top, USER_MAX);
	EXPECT_EQ(a.mmap_base, USER_MIN);
	EXPECT_TRUE(a.sp < USER_MAX && a.sp >= USER_MAX - USER_STACK_SIZE);
	EXPECT_EQ(b.stack_top, a.stack_top);
	EXPECT_EQ(b.mmap_base, a.mmap_base);
	EXPECT_EQ(b.sp, a.sp);
	EXPECT_EQ(aslr_enabled(), setting);
}

KTEST(aslr, on_gives_random_layouts_in_range)
{
	bool setting = aslr_enabled();
	struct built a, b;

	ASSERT_EQ(build(true, &a), 0);
	ASSERT_EQ(build(true, &b), 0);
	const struct built *both[] = {&a, &b};
	for (int i = 0; i < 2; i++) {
		const struct built *l = both[i];
		EXPECT_TRUE(l->stack_top >= ASLR_STACK_TOP_MIN &&
			    l->stack_top <= ASLR_STACK_TOP_MAX && l->stack_top % PAGE_SIZE == 0);
		EXPECT_TRUE(l->mmap_base >= ASLR_MMAP_BASE_MIN &&
			    l->mmap_base <= ASLR_MMAP_BASE_MAX &&
			    l->mmap_base % SUPERPAGE_SIZE == 0);
		/* The arguments are on the drawn stack. */
		EXPECT_TRUE(l->sp < l->stack_top && l->sp >= l->stack_top - USER_STACK_SIZE);
	}
	/* 22 and 25 bits: a repeat is a 2^-22 event. */
	EXPECT_NE(a.stack_top, b.stack_top);
	EXPECT_NE(a.mmap_base, b.mmap_base);
	EXPECT_EQ(aslr_enabled(), setting); /* build() put the boot's setting back */
}
