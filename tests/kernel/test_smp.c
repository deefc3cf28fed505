/*
 * SMP bring-up on the machine the tests run on: as many CPUs online as QEMU was given (read back
 * from QEMU's fw_cfg device, independent of ACPI) unless "smp=N" asked for fewer, each with its own
 * per-CPU area and APIC id, and each answering IPIs sent to it alone, to a set and to all but self.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp.h"
#include "kernel/ipi.h"
#include "kernel/ktest.h"
#include "kernel/ktime.h"
#include "kernel/multiboot.h"
#include "uapi/errno.h"

#define FW_CFG_SEL 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_NB_CPUS 0x0005
/* Far longer than a halted vCPU takes to wake, even on a loaded host: only a lost IPI hits it. */
#define ACK_TIMEOUT_NS (10ull * 1000000000ull)

/* The number of CPUs QEMU was started with, or 0 if this is not QEMU. */
static unsigned qemu_cpus(void)
{
	char sig[4];
	outw(FW_CFG_SEL, FW_CFG_SIGNATURE);
	for (int i = 0; i < 4; i++)
		sig[i] = (char)inb(FW_CFG_DATA);
	if (sig[0] != 'Q' || sig[1] != 'E' || sig[2] != 'M' || sig[3] != 'U')
		return 0;
	outw(FW_CFG_SEL, FW_CFG_NB_CPUS);
	unsigned lo = inb(FW_CFG_DATA);
	return lo | (unsigned)inb(FW_CFG_DATA) << 8;
}

static unsigned cmdline_limit(void)
{
	char v[16];
	return smp_limit_parse(boot_cmdline_get("smp", v, sizeof(v)) ? v : NULL);
}

KTEST(smp, cpu_count_is_what_qemu_was_given)
{
	unsigned given = qemu_cpus();
	unsigned limit = cmdline_limit();
	if (!given)
		return;
	EXPECT_EQ(smp_cpus_listed(), given);
	EXPECT_EQ(smp_cpu_count(), given < limit ? given : limit);
}

KTEST(smp, every_cpu_online_with_its_own_area)
{
	unsigned n = smp_cpu_count();
	ASSERT_GE(n, 1);
	EXPECT_EQ(smp_this_cpu(), 0);
	EXPECT_EQ(smp_cpu_apic_id(0), lapic_id());
	EXPECT_EQ(this_cpu()->apic_id, lapic_id());
	for (unsigned id = 0; id < n; id++) {
		EXPECT_TRUE(smp_cpu_online(id));
		for (unsigned j = 0; j < id; j++)
			if (smp_cpu_apic_id(j) == smp_cpu_apic_id(id))
				KT_FAIL("CPUs %u and %u share APIC id %u", j, id, smp_cpu_apic_id(id));
	}
	EXPECT_FALSE(smp_cpu_online(n));
	EXPECT_FALSE(smp_cpu_online(SMP_CPUS_MAX));
	const char *broken = smp_check();
	if (broken)
		KT_FAIL("smp_check: %s", broken);
}

static unsigned pings[SMP_CPUS_MAX];

static void count_ping(void)
{
	__atomic_add_fetch(&pings[smp_this_cpu()], 1, __ATOMIC_RELEASE);
}

/* Wait until every CPU of 1..n-1 has counted want pings; false if one has not in time. */
static bool acked(unsigned n, unsigned want)
{
	uint64_t deadline = ktime_get_ns() + ACK_TIMEOUT_NS;
	for (unsigned id = 1; id < n; id++)
		while (__atomic_load_n(&pings[id], __ATOMIC_ACQUIRE) < want)
			if (ktime_get_ns() > deadline)
				return false;
			else
				cpu_relax();
	return true;
}

KTEST(smp, ipis_reach_each_cpu)
{
	unsigned n = smp_cpu_count();
	cpuset_t others = 0;

	for (unsigned id = 0; id < SMP_CPUS_MAX; id++)
		pings[id] = 0;
	ipi_set_handler(IPI_PING, count_ping);
	for (unsigned id = 1; id < n; id++) {
		EXPECT_EQ(ipi_send(id, IPI_PING), 0);
		uint64_t deadline = ktime_get_ns() + ACK_TIMEOUT_NS;
		while (__atomic_load_n(&pings[id], __ATOMIC_ACQUIRE) < 1 && ktime_get_ns() < deadline)
			cpu_relax();
		EXPECT_EQ(__atomic_load_n(&pings[id], __ATOMIC_ACQUIRE), 1);
		others |= CPUSET_CPU(id);
	}
	EXPECT_EQ(ipi_send_set(others, IPI_PING), 0);
	EXPECT_TRUE(acked(n, 2));
	EXPECT_EQ(ipi_send_others(IPI_PING), 0);
	EXPECT_TRUE(acked(n, 3));
	ipi_set_handler(IPI_PING, NULL);
	for (unsigned id = 1; id < n; id++)
		EXPECT_EQ(pings[id], 3);
	EXPECT_EQ(pings[0], 0);
}

KTEST(smp, ipi_refuses_self_and_offline_cpus)
{
	unsigned n = smp_cpu_count();
	EXPECT_EQ(ipi_send(0, IPI_PING), -EINVAL);
	EXPECT_EQ(ipi_send(n, IPI_PING), -EINVAL);
	EXPECT_EQ(ipi_send(SMP_CPUS_MAX + 5, IPI_PING), -EINVAL);
	EXPECT_EQ(ipi_send_set(CPUSET_CPU(0), IPI_PING), -EINVAL);
	EXPECT_EQ(ipi_send_set(CPUSET_CPU(n), IPI_PING), -EINVAL);
	EXPECT_EQ(ipi_send_others(IPI_KINDS), -EINVAL);
	if (n > 1)
		EXPECT_EQ(ipi_send(1, IPI_KINDS), -EINVAL);
}

KTEST(smp, limit_parse)
{
	EXPECT_EQ(smp_limit_parse(NULL), SMP_CPUS_MAX);
	EXPECT_EQ(smp_limit_parse("2"), 2);
	EXPECT_EQ(smp_limit_parse("0"), 1);
	EXPECT_EQ(smp_limit_parse("1"), 1);
	EXPECT_EQ(smp_limit_parse("999"), SMP_CPUS_MAX);
	EXPECT_EQ(smp_limit_parse(""), SMP_CPUS_MAX);
	EXPECT_EQ(smp_limit_parse("two"), SMP_CPUS_MAX);
	EXPECT_EQ(smp_limit_parse("3x"), SMP_CPUS_MAX);
	EXPECT_EQ(smp_limit_parse("-1"), SMP_CPUS_MAX);
}
