/* Self-tests of what boot set up: W^X kernel mappings, the symbol table, fault recovery. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "kernel/ksyms.h"
#include "kernel/ktest.h"
#include "kernel/kprintf.h"
#include "kernel/multiboot.h"
#include "kernel/string.h"

extern char __text_start[], __rodata_start[];

KTEST(boot, memory_map_has_usable_memory)
{
	uint64_t usable = 0;
	for (size_t i = 0; i < boot_info.nmmap; i++)
		if (boot_info.mmap[i].type == MB2_MEM_AVAILABLE)
			usable += boot_info.mmap[i].len;
	EXPECT_GT(boot_info.nmmap, 0);
	EXPECT_GE(usable, 64ull << 20);
	EXPECT_EQ(strcmp(boot_info.loader, "") != 0, 1);
}

KTEST(boot, ksyms_names_functions)
{
	uint64_t off = ~0ull;
	const char *name = ksym_lookup((uint64_t)ksym_lookup + 3, &off);
	ASSERT_NONNULL(name);
	EXPECT_EQ(strcmp(name, "ksym_lookup"), 0);
	EXPECT_EQ(off, 3);
	EXPECT_NULL(ksym_lookup((uint64_t)__rodata_start, &off));
}

static void write_to(void *p)
{
	*(volatile uint8_t *)p = 0x90;
}

KTEST(boot, text_is_read_only)
{
	struct fault_info fi;
	ASSERT_TRUE(trap_catch(write_to, (void *)&write_to, &fi));
	EXPECT_EQ(fi.vector, T_PF);
	EXPECT_EQ(fi.addr, (uint64_t)&write_to);
	EXPECT_EQ(fi.error & (PF_ERR_PRESENT | PF_ERR_WRITE), PF_ERR_PRESENT | PF_ERR_WRITE);
}

static const uint8_t ret_insn[] = {0xc3};

static void call_it(void *p)
{
	((void (*)(void))p)();
}

KTEST(boot, rodata_is_not_executable)
{
	struct fault_info fi;
	ASSERT_TRUE(trap_catch(call_it, (void *)(uintptr_t)ret_insn, &fi) /* only called */);
	EXPECT_EQ(fi.vector, T_PF);
	EXPECT_EQ(fi.addr, (uint64_t)ret_insn);
	EXPECT_TRUE(fi.error & PF_ERR_FETCH);
}

KTEST(boot, trap_catch_returns_false_without_fault)
{
	struct fault_info fi;
	uint8_t byte = 0;
	EXPECT_FALSE(trap_catch(write_to, &byte, &fi));
	EXPECT_EQ(byte, 0x90);
}
