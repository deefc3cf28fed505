/* The C side of the user-copy routines: range checks and the page-fault fixup (usercopy.h). */
#include "arch/x86_64/usercopy.h"
#include "arch/x86_64/trap.h"
#include "mm/memlayout.h"

extern char usercopy_begin[], usercopy_end[], usercopy_efault[];
extern uint8_t usercopy_have_smap;

void usercopy_init(bool have_smap)
{
	usercopy_have_smap = have_smap;
}

bool user_range_ok(uint64_t uaddr, size_t len)
{
	return uaddr <= USER_MAX && len <= USER_MAX - uaddr;
}

bool usercopy_contains(uint64_t rip)
{
	return rip >= (uint64_t)usercopy_begin && rip < (uint64_t)usercopy_end;
}

bool usercopy_fixup(struct trapframe *tf)
{
	if (!usercopy_contains(tf->rip))
		return false;
	tf->rip = (uint64_t)usercopy_efault;
	return true;
}
