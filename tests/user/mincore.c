/*
 * mincore (include/uapi/mman.h): MINCORE_INCORE for touched pages, 0 for untouched ones, guards
 * and pages madvise gave back; MINCORE_REFERENCED(_OTHER) once read, MINCORE_MODIFIED(_OTHER) once
 * written, neither for a page only faulted in (MADV_WILLNEED) or no longer mapped (PROT_NONE);
 * MINCORE_PSIND(1) for a 2 MiB page, gone once a change splits it (the bits stay);
 * unaligned addresses and lengths; ENOMEM for a range that wraps or leaves the user range and for
 * holes (with the bytes before the hole written), EFAULT for vec, in that order; hostile values.
 */
#include "vm_util.h"

static unsigned char vec[1024 + 64];

#define REF (MINCORE_REFERENCED | MINCORE_REFERENCED_OTHER)
#define MOD (MINCORE_MODIFIED | MINCORE_MODIFIED_OTHER)
#define READ_BYTE (MINCORE_INCORE | REF)
#define WRITTEN (MINCORE_INCORE | REF | MOD)

static long core(uint64_t a, uint64_t len, uint64_t v)
{
	return sys3(SYS_mincore, (long)a, (long)len, (long)v);
}

static void test_small(void)
{
	long g = raw_mmap(0, 16 * PG, PROT_NONE, MAP_GUARD, -1, 0);
	CHECK(g > 0);
	uint64_t G = (uint64_t)g, A = G + 4 * PG;
	CHECK_EQ(anon(A, 8 * PG, MAP_FIXED), (long)A);
	*(volatile char *)vm_opaque((uintptr_t)(A + PG)) = 1;
	(void)*(volatile char *)vm_opaque((uintptr_t)(A + 3 * PG));
	*(volatile char *)vm_opaque((uintptr_t)(A + 5 * PG)) = 1;
	memset(vec, 0xee, sizeof(vec));
	CHECK_EQ(core(G, 16 * PG, (uint64_t)vec), 0);
	for (unsigned i = 0; i < 16; i++)
		CHECK_EQ(vec[i], i == 5 || i == 9 ? WRITTEN : i == 7 ? READ_BYTE : 0);
	CHECK_EQ(vec[16], 0xee);
	/* Given back by madvise: out of core. */
	CHECK_EQ(sys3(SYS_madvise, (long)(A + 5 * PG), (long)PG, MADV_DONTNEED), 0);
	CHECK_EQ(core(A + 5 * PG, PG, (uint64_t)vec), 0);
	CHECK_EQ(vec[0], 0);
	/* Unaligned address and length: the pages they touch. */
	memset(vec, 0xee, sizeof(vec));
	CHECK_EQ(core(A + PG + 100, PG, (uint64_t)vec), 0);
	CHECK_EQ(vec[0], WRITTEN);
	CHECK_EQ(vec[1], 0xee);
	CHECK_EQ(mincore((void *)(A + PG), 1, (char *)vec), 0);
	CHECK_EQ(vec[0], WRITTEN);

	/* A hole: ENOMEM, the bytes before it written. */
	CHECK_EQ(raw_munmap(A + 4 * PG, PG), 0);
	memset(vec, 0xee, sizeof(vec));
	CHECK_EQ(core(A, 8 * PG, (uint64_t)vec), -ENOMEM);
	CHECK_EQ(vec[1], WRITTEN);
	CHECK_EQ(vec[3], READ_BYTE);
	CHECK_EQ(raw_munmap(G, 16 * PG), 0);
}

static void test_superpage(void)
{
	long a = raw_mmap(0, SUPER, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANON | MAP_ALIGNED_SUPER, -1, 0);
	CHECK(a > 0 && a % SUPER == 0);
	uint64_t A = (uint64_t)a;
	*(volatile char *)vm_opaque((uintptr_t)(A + 7 * PG)) = 1;
	memset(vec, 0xee, sizeof(vec));
	CHECK_EQ(core(A, SUPER, (uint64_t)vec), 0);
	size_t super = 0;
	for (unsigned i = 0; i < 512; i++)
		super += vec[i] == (WRITTEN | MINCORE_PSIND(1));
	CHECK_EQ(super, 512);
	CHECK(vec[0] & MINCORE_SUPER);
	CHECK_EQ(vec[512], 0xee);
	CHECK_EQ(raw_mprotect(A, PG, PROT_READ), 0);
	CHECK_EQ(core(A, SUPER, (uint64_t)vec), 0);
	CHECK_EQ(vec[0], WRITTEN);
	CHECK_EQ(vec[300], WRITTEN);
	CHECK_EQ(raw_munmap(A, SUPER), 0);
}

/* Mapped but not used: in core only; read, written, then PROT_NONE (unmapped: in core only). */
static void test_referenced_modified(void)
{
	long a = anon(0, 4 * PG, 0);
	CHECK(a > 0);
	uint64_t A = (uint64_t)a;
	CHECK_EQ(sys3(SYS_madvise, (long)A, (long)(4 * PG), MADV_WILLNEED), 0);
	CHECK_EQ(core(A, 4 * PG, (uint64_t)vec), 0);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(vec[i], MINCORE_INCORE);
	(void)*(volatile char *)vm_opaque((uintptr_t)(A + PG));
	*(volatile char *)vm_opaque((uintptr_t)(A + 2 * PG)) = 1;
	CHECK_EQ(core(A, 4 * PG, (uint64_t)vec), 0);
	CHECK_EQ(vec[0], MINCORE_INCORE);
	CHECK_EQ(vec[1], READ_BYTE);
	CHECK_EQ(vec[2], WRITTEN);
	CHECK_EQ(vec[3], MINCORE_INCORE);
	/* The kernel writing through the mapping (vm_stat's copyout) is use too. */
	CHECK_EQ(raw_vm_stat(0, A + 3 * PG), 0);
	CHECK_EQ(core(A + 3 * PG, PG, (uint64_t)vec), 0);
	CHECK_EQ(vec[0], WRITTEN);
	CHECK_EQ(raw_mprotect(A, 4 * PG, PROT_READ), 0);
	CHECK_EQ(core(A + 2 * PG, PG, (uint64_t)vec), 0);
	CHECK_EQ(vec[0], WRITTEN);
	CHECK_EQ(raw_mprotect(A, 4 * PG, PROT_NONE), 0);
	CHECK_EQ(core(A, 4 * PG, (uint64_t)vec), 0);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(vec[i], MINCORE_INCORE);
	CHECK_EQ(raw_munmap(A, 4 * PG), 0);
}

static void test_errors(void)
{
	long a = anon(0, 2 * PG, 0);
	CHECK(a > 0);
	uint64_t A = (uint64_t)a;
	/* ENOMEM before EFAULT: the range is checked first. */
	CHECK_EQ(core(~0ul - PG, 4 * PG, 0), -ENOMEM);
	CHECK_EQ(core(USER_TOP, PG, (uint64_t)vec), -ENOMEM);
	CHECK_EQ(core(USER_TOP - PG, 2 * PG, (uint64_t)vec), -ENOMEM);
	CHECK_EQ(core(0, PG, (uint64_t)vec), -ENOMEM);
	CHECK_EQ(core(A, ~0ul, (uint64_t)vec), -ENOMEM);
	CHECK_EQ(core(0x8000000000000000ul, PG, (uint64_t)vec), -ENOMEM);
	/* EFAULT: vec unmapped, in the kernel, read-only (the program's text), wrapping. */
	CHECK_EQ(core(A, 2 * PG, 0), -EFAULT);
	CHECK_EQ(core(A, 2 * PG, 0xffffffff80000000ul), -EFAULT);
	CHECK_EQ(core(A, 2 * PG, (uint64_t)vm_opaque((uintptr_t)test_errors)), -EFAULT);
	CHECK_EQ(core(A, 2 * PG, ~0ul), -EFAULT);
	/* A vec outside the user range is refused before the map is looked at; one that merely faults
	 * is found writing, after the hole. */
	CHECK_EQ(raw_munmap(A + PG, PG), 0);
	CHECK_EQ(core(A, 2 * PG, 0xffffffff80000000ul), -EFAULT);
	CHECK_EQ(core(A, 2 * PG, 0), -ENOMEM);
	/* len 0: nothing written. */
	vec[0] = 0xee;
	CHECK_EQ(core(A, 0, (uint64_t)vec), 0);
	CHECK_EQ(vec[0], 0xee);
	CHECK_EQ(raw_munmap(A, PG), 0);
}

/* Many pages: more than one step of the kernel's buffer, and a whole 2 MiB listing at once. */
static void test_large(void)
{
	static unsigned char big[3 * 4096];
	uint64_t len = 3 * 4096 * PG;
	long a = anon(0, len, 0);
	CHECK(a > 0);
	*(volatile char *)vm_opaque((uintptr_t)((uint64_t)a + len - PG)) = 1;
	memset(big, 0xee, sizeof(big));
	CHECK_EQ(core((uint64_t)a, len, (uint64_t)big), 0);
	CHECK(big[sizeof(big) - 1] & MINCORE_INCORE);
	CHECK_EQ(big[4096], big[4096] & (WRITTEN | MINCORE_SUPER));
	CHECK_EQ(raw_munmap((uint64_t)a, len), 0);
}

int main(void)
{
	test_small();
	test_superpage();
	test_referenced_modified();
	test_errors();
	test_large();
	CHECK_EQ(vm_check_map(), 0);
	return utest_result("mincore");
}
