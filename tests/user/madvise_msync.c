/*
 * msync (include/uapi/mman.h): accepted on anonymous memory, guards and file-less ranges that are
 * mapped, with every flag combination FreeBSD allows, the data untouched; ENOMEM for a range with
 * a hole, EINVAL for MS_ASYNC|MS_INVALIDATE, unknown flags and ranges outside the user range, in
 * that order; hostile values.
 */
#include "vm_util.h"

static long sync3(uint64_t a, uint64_t len, long flags)
{
	return sys3(SYS_msync, (long)a, (long)len, flags);
}

int main(void)
{
	long g = raw_mmap(0, 8 * PG, PROT_NONE, MAP_GUARD, -1, 0);
	CHECK(g > 0);
	uint64_t G = (uint64_t)g, A = G + 2 * PG;
	CHECK_EQ(anon(A, 4 * PG, MAP_FIXED), (long)A);
	vm_fill(A, 4, 21);
	static const long ok_flags[] = {MS_SYNC, MS_ASYNC, MS_INVALIDATE};
	for (size_t i = 0; i < sizeof(ok_flags) / sizeof(ok_flags[0]); i++) {
		CHECK_EQ(sync3(A, 4 * PG, ok_flags[i]), 0);
		CHECK_EQ(sync3(G, 8 * PG, ok_flags[i]), 0);
		CHECK_EQ(sync3(A + 5, 1, ok_flags[i]), 0);
		CHECK_EQ(msync((void *)A, PG, ok_flags[i]), 0);
	}
	CHECK_EQ(vm_intact(A, 0, 4, 21), 4);
	CHECK_EQ(sync3(A, 0, MS_SYNC), 0);

	/* A hole: ENOMEM, after the flags' and the range's EINVAL. */
	CHECK_EQ(raw_munmap(A + PG, PG), 0);
	CHECK_EQ(sync3(A, 4 * PG, MS_SYNC), -ENOMEM);
	CHECK_EQ(sync3(A + PG, 1, MS_ASYNC), -ENOMEM);
	CHECK_EQ(sync3(A, 4 * PG, MS_ASYNC | MS_INVALIDATE), -EINVAL);
	CHECK_EQ(sync3(A, 4 * PG, 0x4), -EINVAL);
	CHECK_EQ(sync3(A, 2 * PG, -1), -EINVAL);
	CHECK_EQ(sync3(~0ul - PG, 4 * PG, MS_SYNC), -EINVAL);
	CHECK_EQ(sync3(USER_TOP, PG, MS_SYNC), -EINVAL);
	CHECK_EQ(sync3(0, PG, MS_SYNC), -EINVAL);
	CHECK_EQ(sync3(A, ~0ul, MS_SYNC), -EINVAL);
	CHECK_EQ(sync3(USER_TOP + PG, 0, MS_SYNC), -EINVAL);
	/* flags is an int: the register's upper half is not looked at. */
	CHECK_EQ(sync3(A, PG, 0x100000000l | MS_ASYNC), 0);
	/* Unmapped entirely: ENOMEM. */
	CHECK_EQ(raw_munmap(G, 8 * PG), 0);
	CHECK_EQ(sync3(A, PG, MS_SYNC), -ENOMEM);
	CHECK_EQ(msync((void *)A, PG, MS_SYNC), -1);
	CHECK_EQ(vm_check_map(), 0);
	return utest_result("madvise_msync");
}
