/* Address-space layout randomisation (contract in mm/aslr.h, ranges in mm/memlayout.h). */
#include "mm/aslr.h"
#include "kernel/kprintf.h"
#include "kernel/random.h"
#include "mm/memlayout.h"

/* Even the highest base leaves hint-0 mappings tens of TiB before the lowest stack's guard. */
_Static_assert(USER_IMAGE_LIMIT - ASLR_MMAP_BASE_MAX >= (1ull << 45), "32 TiB above every base");
/* The highest stack ends where the trampoline page begins. */
_Static_assert(ASLR_STACK_TOP_MAX == USER_CB_TRAMPOLINE, "stacks lie below the trampoline");
_Static_assert(ASLR_MMAP_BASE_MIN % SUPERPAGE_SIZE == 0 && ASLR_MMAP_STEP % SUPERPAGE_SIZE == 0,
	       "every base is a superpage boundary");
_Static_assert(ASLR_MMAP_STEP % (1u << 20) == 0 && ASLR_STACK_STEP % (1u << 10) == 0,
	       "the boot line's units");

static bool aslr_on = true;

bool aslr_set_enabled(bool enabled)
{
	bool was = aslr_on;
	aslr_on = enabled;
	return was;
}

void aslr_init(bool enabled)
{
	aslr_set_enabled(enabled);
	if (enabled)
		kprintf("aslr: on: mmap base %u bits (%lu MiB steps from 0x%lx), "
			"stack top %u bits (%lu KiB steps down from 0x%lx)\n",
			ASLR_MMAP_BITS, (unsigned long)(ASLR_MMAP_STEP >> 20),
			(unsigned long)ASLR_MMAP_BASE_MIN, ASLR_STACK_BITS,
			(unsigned long)(ASLR_STACK_STEP >> 10), (unsigned long)ASLR_STACK_TOP_MAX);
	else
		kprintf("aslr: off (aslr=0): mmap base 0x%lx, stack top 0x%lx\n",
			(unsigned long)USER_MIN, (unsigned long)USER_MAX);
}

bool aslr_enabled(void)
{
	return aslr_on;
}

struct aslr_layout aslr_layout_from(bool enabled, uint64_t rnd_mmap, uint64_t rnd_stack)
{
	if (!enabled)
		return (struct aslr_layout){.mmap_base = USER_MIN, .stack_top = USER_MAX};
	uint64_t mmap_steps = rnd_mmap & ((1ull << ASLR_MMAP_BITS) - 1);
	uint64_t stack_steps = rnd_stack & ((1ull << ASLR_STACK_BITS) - 1);
	return (struct aslr_layout){
		.mmap_base = ASLR_MMAP_BASE_MIN + mmap_steps * ASLR_MMAP_STEP,
		.stack_top = ASLR_STACK_TOP_MAX - stack_steps * ASLR_STACK_STEP,
	};
}

struct aslr_layout aslr_layout_new(void)
{
	if (!aslr_on)
		return aslr_layout_from(false, 0, 0);
	uint64_t rnd_mmap = random_u64();
	return aslr_layout_from(true, rnd_mmap, random_u64());
}
