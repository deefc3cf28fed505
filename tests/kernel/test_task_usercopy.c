/*
 * copyin, copyout, copyout_u32s and copyinstr: ranges that are not entirely user memory fail with
 * -EFAULT before anything is touched, and inside a real address space (attached to kmain for the
 * test) demand-zero pages are faulted in, while unmapped, guard and read-only pages give -EFAULT.
 */
#include "arch/x86_64/usercopy.h"
#include "kernel/exec.h"
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "mm/memlayout.h"
#include "uapi/errno.h"

KTEST(usercopy, bad_ranges_fail_without_an_address_space)
{
	char buf[32] = "untouched";
	size_t done = 99;

	EXPECT_EQ(copyin(NULL, buf, 1), -EFAULT);
	EXPECT_EQ(copyin((void *)0x400000, buf, 8), -EFAULT); /* kmain maps no user memory */
	EXPECT_EQ(copyin((void *)KERNEL_BASE, buf, 8), -EFAULT);
	EXPECT_EQ(copyin((void *)DMAP_BASE, buf, 8), -EFAULT);
	EXPECT_EQ(copyin((void *)(USER_MAX - 4), buf, 8), -EFAULT);
	EXPECT_EQ(copyin((void *)-4096l, buf, 8192), -EFAULT);
	EXPECT_EQ(copyin((void *)0x1000, buf, ~(size_t)0), -EFAULT);
	EXPECT_EQ(copyout(buf, (void *)KERNEL_BASE, 8), -EFAULT);
	EXPECT_EQ(copyout(buf, (void *)(USER_MAX - 4), 8), -EFAULT);
	EXPECT_EQ(copyout(buf, (void *)-16l, 32), -EFAULT);
	EXPECT_EQ(copyout(buf, (void *)0x1000, 8), -EFAULT);
	EXPECT_EQ(copyinstr(NULL, buf, sizeof(buf), &done), -EFAULT);
	EXPECT_EQ(copyinstr((void *)KERNEL_BASE, buf, sizeof(buf), &done), -EFAULT);
	EXPECT_EQ(copyinstr((void *)USER_MAX, buf, sizeof(buf), &done), -EFAULT);
	EXPECT_EQ(done, 99);
	EXPECT_EQ(copyin((void *)KERNEL_BASE, buf, 0), -EFAULT);
	EXPECT_EQ(copyin((void *)USER_MAX, buf, 0), 0);
	EXPECT_EQ(copyout(buf, NULL, 0), 0);
	EXPECT_EQ(copyinstr((void *)0x1000, buf, 0, &done), -ENAMETOOLONG);
	EXPECT_EQ(strcmp(buf, "untouched"), 0);
	const struct user_u32 one = {0, 7};
	EXPECT_EQ(copyout_u32s((void *)KERNEL_BASE, 4, &one, 1), -EFAULT);
	EXPECT_EQ(copyout_u32s((void *)(USER_MAX - 2), 4, &one, 1), -EFAULT);
	EXPECT_EQ(copyout_u32s((void *)-8l, 16, &one, 1), -EFAULT);
	EXPECT_EQ(copyout_u32s((void *)0x1000, 4, &one, 1), -EFAULT);
	EXPECT_EQ(copyout_u32s((void *)KERNEL_BASE, 4, &one, 0), -EFAULT);
	EXPECT_EQ(copyout_u32s((void *)0x1000, 4, &one, 0), 0);
	EXPECT_TRUE(user_range_ok(0, 0));
	EXPECT_TRUE(user_range_ok(USER_MAX - 8, 8));
	EXPECT_FALSE(user_range_ok(USER_MAX - 8, 9));
	EXPECT_FALSE(user_range_ok(USER_MAX, 1));
	EXPECT_FALSE(user_range_ok(8, ~(size_t)0));
}

#define RW_BASE 0x10000ul
#define RO_BASE 0x20000ul
#define GUARD_BASE 0x21000ul

KTEST(usercopy, inside_an_address_space)
{
	struct task *cur = task_current();
	pmap_t pmap = pmap_create();
	ASSERT_NONNULL(pmap);
	vm_map_t map = vm_map_create(pmap, USER_MIN, USER_MAX);
	ASSERT_NONNULL(map);
	static const char ro_text[] = "read-only string";

	vm_map_lock(map);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, RW_BASE, RO_BASE, VM_PROT_READ | VM_PROT_WRITE,
				VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, RO_BASE, GUARD_BASE, VM_PROT_READ | VM_PROT_WRITE,
				VM_PROT_ALL, 0),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_map_insert(map, NULL, 0, GUARD_BASE, GUARD_BASE + 0x1000, VM_PROT_NONE,
				VM_PROT_NONE, MAP_CREATE_GUARD),
		  KERN_SUCCESS);
	vm_map_unlock(map);
	static const char no_nul[32] = "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";
	EXPECT_EQ(exec_write_map(map, RO_BASE + 0x100, ro_text, sizeof(ro_text)), 0);
	EXPECT_EQ(exec_write_map(map, GUARD_BASE - sizeof(no_nul), no_nul, sizeof(no_nul)), 0);
	EXPECT_EQ(
		vm_map_protect(map, RO_BASE, GUARD_BASE, VM_PROT_READ, 0, VM_MAP_PROTECT_SET_PROT),
		KERN_SUCCESS);

	cur->map = map;
	sched_set_pmap(cur, pmap);

	char buf[64];
	size_t done = 0;
	struct vm_map_stats before, after;
	vm_map_get_stats(map, &before);
	EXPECT_EQ(copyout("hello", (void *)(RW_BASE + 0x3000), 6), 0); /* demand zero */
	EXPECT_EQ(copyin((void *)(RW_BASE + 0x3000), buf, 6), 0);
	EXPECT_EQ(strcmp(buf, "hello"), 0);
	EXPECT_EQ(copyinstr((void *)(RW_BASE + 0x3000), buf, sizeof(buf), &done), 0);
	EXPECT_EQ(done, 6);
	EXPECT_EQ(copyinstr((void *)(RW_BASE + 0x3000), buf, 3, &done), -ENAMETOOLONG);
	EXPECT_EQ(done, 3);
	EXPECT_EQ(copyin((void *)(RW_BASE + 0x5000), buf, 16), 0); /* a page only read: zeroes */
	EXPECT_EQ(buf[0] | buf[15], 0);
	vm_map_get_stats(map, &after);
	EXPECT_GE(after.faults, before.faults + 2);

	/* Several fields in one window; an offset past the block stops before its store. */
	const struct user_u32 puts[] = {{4, 0x11111111}, {36, 0x22222222}, {40, 0x33333333}};
	uint32_t words[12];
	EXPECT_EQ(copyout_u32s((void *)(RW_BASE + 0x4000), 40, puts, 2), 0);
	EXPECT_EQ(copyin((void *)(RW_BASE + 0x4000), words, sizeof(words)), 0);
	EXPECT_EQ(words[0], 0);
	EXPECT_EQ(words[1], 0x11111111);
	EXPECT_EQ(words[9], 0x22222222);
	EXPECT_EQ(words[10], 0);
	EXPECT_EQ(copyout_u32s((void *)(RW_BASE + 0x4000), 40, puts, 3), -EFAULT);
	EXPECT_EQ(copyin((void *)(RW_BASE + 0x4000), words, sizeof(words)), 0);
	EXPECT_EQ(words[10], 0);
	EXPECT_EQ(copyout_u32s((void *)(RO_BASE + 16), 40, puts, 2), -EFAULT);

	/* Read-only: reads work, writes fail. */
	EXPECT_EQ(copyin((void *)(RO_BASE + 0x100), buf, sizeof(ro_text)), 0);
	EXPECT_EQ(strcmp(buf, ro_text), 0);
	EXPECT_EQ(copyinstr((void *)(RO_BASE + 0x100), buf, sizeof(buf), &done), 0);
	EXPECT_EQ(done, sizeof(ro_text));
	EXPECT_EQ(copyout("x", (void *)(RO_BASE + 16), 1), -EFAULT);

	/* A string crossing from read+write into read-only memory; one that runs into the guard. */
	EXPECT_EQ(copyout("abcd", (void *)(RO_BASE - 4), 4), 0);
	EXPECT_EQ(copyinstr((void *)(RO_BASE - 4), buf, sizeof(buf), &done), 0);
	EXPECT_EQ(done, 5);
	EXPECT_EQ(copyinstr((void *)(GUARD_BASE - 32), buf, sizeof(buf), &done), -EFAULT);

	/* Ranges reaching into the guard or into unmapped space. */
	EXPECT_EQ(copyin((void *)(GUARD_BASE - 8), buf, 16), -EFAULT);
	EXPECT_EQ(copyout(buf, (void *)GUARD_BASE, 1), -EFAULT);
	EXPECT_EQ(copyin((void *)(GUARD_BASE + 0x1000), buf, 1), -EFAULT);
	EXPECT_EQ(copyin((void *)(RW_BASE - 1), buf, 2), -EFAULT);

	sched_set_pmap(cur, NULL);
	cur->map = NULL;
	vm_map_destroy(map);
	pmap_destroy(pmap);
}
