/* kernel/cpu.h for the kernel as it is: one CPU, the boot CPU, with id 0. */
#include "kernel/cpu.h"

unsigned cpu_possible_count(void)
{
	return 1;
}

unsigned cpu_this_id(void)
{
	return 0;
}
