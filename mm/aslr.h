/*
 * Address-space layout randomisation: where a new task's stack ends and where its mmap without a
 * hint starts looking (vm_map.anon_loc), drawn from the kernel's random source (kernel/random.h)
 * once per exec, as FreeBSD's kern.elf64.aslr does per image activation. The ranges, the step
 * sizes and the entropy are drawn in mm/memlayout.h (ASLR_*). The program image, the callback
 * trampoline page, MAP_FIXED and explicit mmap hints do not move.
 *
 * Locking: none. The on/off flag is written at boot before any task exists (aslr_init), and by
 * the self-tests while no task is being created (aslr_set_enabled); everything else only reads.
 */
#ifndef MM_ASLR_H
#define MM_ASLR_H

#include "mm/types.h"

/* Where a new task's map puts things. */
struct aslr_layout {
	vm_offset_t mmap_base; /* vm_map.anon_loc: hint-0 mmap's first fit starts here */
	vm_offset_t stack_top; /* the stack entry ends here, its guard entry lies below it */
};

/*
 * Turn randomisation on or off for every task created from now on (kmain: off with "aslr=0" on
 * the kernel command line) and print the boot line with the entropy in bits. Until it is called,
 * randomisation is on.
 */
void aslr_init(bool enabled);

/*
 * aslr_init without the boot line, for the self-tests that build both layouts: returns the
 * previous setting, which the caller restores.
 */
bool aslr_set_enabled(bool enabled);

/* Whether new tasks get random layouts. */
bool aslr_enabled(void);

/*
 * The layout that the random words rnd_mmap and rnd_stack give, their low ASLR_MMAP_BITS and
 * ASLR_STACK_BITS bits used: the base ASLR_MMAP_BASE_MIN + steps, the top ASLR_STACK_TOP_MAX -
 * steps. Not enabled: the fixed layout (base USER_MIN, top USER_MAX), whatever the words.
 */
struct aslr_layout aslr_layout_from(bool enabled, uint64_t rnd_mmap, uint64_t rnd_stack);

/* A new task's layout: aslr_layout_from with fresh random words and aslr_enabled(). */
struct aslr_layout aslr_layout_new(void);

#endif
