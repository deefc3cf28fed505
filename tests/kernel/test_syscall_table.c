/*
 * The dispatch table generated from include/uapi/syscall_list.h: every number below SYS_COUNT has
 * its own handler, 0 and the numbers past the end have sys_enosys (tests/host/test_syscall_list.c
 * checks the list itself).
 */
#include "kernel/ktest.h"
#include "kernel/syscall.h"
#include "uapi/syscall.h"

KTEST(syscall_table, every_number_has_a_handler)
{
	EXPECT_TRUE(syscall_handler(0) == sys_enosys);
	for (uint64_t nr = 1; nr < SYS_COUNT; nr++) {
		syscall_handler_t h = syscall_handler(nr);

		EXPECT_TRUE(h != sys_enosys);
		for (uint64_t other = 1; other < nr; other++)
			EXPECT_TRUE(syscall_handler(other) != h);
	}
	EXPECT_TRUE(syscall_handler(SYS_COUNT) == sys_enosys);
	EXPECT_TRUE(syscall_handler(~0ull) == sys_enosys);
	EXPECT_TRUE(syscall_handler(SYS_getpid) == sys_getpid);
	EXPECT_TRUE(syscall_handler(SYS_bpf) == sys_bpf);
}
