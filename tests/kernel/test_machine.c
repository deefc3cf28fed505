/*
 * The <machine/...> interfaces the arch-neutral code relies on: a fresh user frame, a page fault
 * decoded into an access, the system-call convention, and the machine's constants agreeing with
 * the page tables that implement them.
 */
#include <machine/frame.h>
#include <machine/syscall.h>
#include <machine/trap.h>
#include <machine/vmparam.h>
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/pte.h"
#include "arch/x86_64/trap.h"
#include "kernel/ktest.h"
#include "mm/memlayout.h"
#include "mm/vm_map.h"

KTEST(machine, frame_init_user)
{
	struct trapframe tf;
	const uint64_t args[4] = {11, 22, 33, 44};

	__builtin_memset(&tf, 0xa5, sizeof(tf));
	frame_init_user(&tf, 0x401000, 0x7ffffff000, args, 4);
	EXPECT_EQ(tf.rip, 0x401000);
	EXPECT_EQ(tf.rsp, 0x7ffffff000);
	EXPECT_EQ(syscall_arg(&tf, 0), 11); /* the C convention's first three are the call's too */
	EXPECT_EQ(syscall_arg(&tf, 1), 22);
	EXPECT_EQ(syscall_arg(&tf, 2), 33);
	EXPECT_EQ(tf.rcx, 44);
	EXPECT_EQ(tf.cs, USER_CS);
	EXPECT_EQ(tf.ss, USER_DS);
	EXPECT_TRUE(trap_from_user(&tf));
	EXPECT_TRUE(frame_irq_enabled(&tf));
	EXPECT_EQ(tf.rflags, 0x202); /* IF and the always-set bit 1; DF clear */
	EXPECT_EQ(tf.rax | tf.rbx | tf.rbp | tf.r8 | tf.r9 | tf.r10 | tf.r11 | tf.r12 | tf.r13 |
			  tf.r14 | tf.r15 | tf.vector | tf.error,
		  0);

	frame_init_user(&tf, 0x1000, 0x2000, args, 1); /* fewer arguments: the rest are 0 */
	EXPECT_EQ(tf.rdi, 11);
	EXPECT_EQ(tf.rsi | tf.rdx | tf.rcx, 0);
}

KTEST(machine, frame_user_return_ok)
{
	struct trapframe tf = {.rip = 0x00007ffffffffff0, .vector = 0x100};

	EXPECT_TRUE(frame_user_return_ok(&tf));
	EXPECT_EQ(tf.vector, 0x100); /* untouched */
	tf.rip = 0x0000800000000000; /* the first non-canonical address */
	EXPECT_TRUE(!frame_user_return_ok(&tf));
	EXPECT_EQ(tf.vector, T_GP);
	EXPECT_EQ(tf.error, 0);
}

KTEST(machine, trap_page_fault_decodes_the_access)
{
	static const struct {
		uint64_t error;
		vm_prot_t access;
		bool user, resolvable;
	} cases[] = {
		{0, VM_PROT_READ, false, true},
		{PF_ERR_PRESENT | PF_ERR_WRITE, VM_PROT_WRITE, false, true},
		{PF_ERR_USER, VM_PROT_READ, true, true},
		{PF_ERR_USER | PF_ERR_WRITE, VM_PROT_WRITE, true, true},
		{PF_ERR_USER | PF_ERR_FETCH | PF_ERR_PRESENT, VM_PROT_EXECUTE, true, true},
		{PF_ERR_USER | PF_ERR_RSVD | PF_ERR_PRESENT, VM_PROT_READ, true, false},
	};
	struct trapframe tf = {.vector = T_PF};
	struct trap_pf pf;

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tf.error = cases[i].error;
		ASSERT_TRUE(trap_page_fault(&tf, &pf));
		EXPECT_EQ(pf.access, cases[i].access);
		EXPECT_EQ(pf.user, cases[i].user);
		EXPECT_EQ(pf.resolvable, cases[i].resolvable);
	}
	tf.vector = T_GP;
	EXPECT_TRUE(!trap_page_fault(&tf, &pf));
}

KTEST(machine, syscall_convention)
{
	struct trapframe tf = {.rax = 39, .rdi = 1, .rsi = 2, .rdx = 3, .r10 = 4, .r8 = 5, .r9 = 6};

	EXPECT_EQ(syscall_number(&tf), 39);
	for (int n = 0; n < 6; n++)
		EXPECT_EQ(syscall_arg(&tf, n), (uint64_t)n + 1);
	syscall_set_retval(&tf, (uint64_t)-22);
	EXPECT_EQ(syscall_retval(&tf), (uint64_t)-22);
}

/* vmparam's constants are the page tables': the user half is the lower half of the top table. */
KTEST(machine, vmparam_matches_the_page_tables)
{
	EXPECT_EQ(VM_MAXUSER_ADDRESS, (PT_ENTRIES / 2) * pt_level_size(PT_LEVELS));
	EXPECT_EQ(VM_MIN_KERNEL_ADDRESS, ~(VM_MAXUSER_ADDRESS - 1)); /* sign-extended bit 47 */
	EXPECT_EQ(SUPERPAGE_SIZE, pt_level_size(2));
	EXPECT_EQ(PAGE_SIZE, pt_level_size(1));
	EXPECT_EQ(DMAP_BASE, VM_MIN_KERNEL_ADDRESS);
	EXPECT_TRUE(USER_MAX < VM_MAXUSER_ADDRESS);
}
