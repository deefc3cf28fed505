/*
 * SMP bring-up on the machine the tests run on: as many CPUs online as QEMU was given (read back
 * from QEMU's fw_cfg device, independent of ACPI) unless "smp=N" asked for fewer, each with its own
 * per-CPU area and APIC id, and each answering IPIs sent to it alone, to a set and to all but self;
 * kernel/cpu.h's possible count and CPU ids agree with the CPUs started, per-CPU BPF maps keep one
 * slot per CPU, and every CPU's APIC timer ticks.
 */
#include <machine/percpu.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/lapic_timer.h"
#include "arch/x86_64/smp.h"
#include "kernel/bpf/map.h"
#include "kernel/cpu.h"
#include "kernel/ipi.h"
#include "kernel/ktest.h"
#include "kernel/ktime.h"
#include "kernel/multiboot.h"
#include "kernel/rcu.h"
#include "kernel/string.h"
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
				KT_FAIL("CPUs %u and %u share APIC id %u", j, id,
					smp_cpu_apic_id(id));
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
		while (__atomic_load_n(&pings[id], __ATOMIC_ACQUIRE) < 1 &&
		       ktime_get_ns() < deadline)
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

KTEST(smp, possible_cpus_are_the_cpus_started)
{
	EXPECT_EQ(cpu_possible_count(), smp_cpu_count());
	EXPECT_EQ(cpu_this_id(), 0);
}

static unsigned seen_id[SMP_CPUS_MAX];

static void record_id(void)
{
	unsigned id = smp_this_cpu();
	__atomic_store_n(&seen_id[id], cpu_this_id() + 1, __ATOMIC_RELEASE);
}

KTEST(smp, each_cpu_knows_its_id)
{
	unsigned n = smp_cpu_count();
	for (unsigned id = 0; id < SMP_CPUS_MAX; id++)
		seen_id[id] = 0;
	ipi_set_handler(IPI_PING, record_id);
	if (n > 1)
		EXPECT_EQ(ipi_send_others(IPI_PING), 0);
	uint64_t deadline = ktime_get_ns() + ACK_TIMEOUT_NS;
	for (unsigned id = 1; id < n; id++)
		while (!__atomic_load_n(&seen_id[id], __ATOMIC_ACQUIRE) &&
		       ktime_get_ns() < deadline)
			cpu_relax();
	ipi_set_handler(IPI_PING, NULL);
	for (unsigned id = 1; id < n; id++)
		if (seen_id[id] != id + 1)
			KT_FAIL("CPU %u says it is CPU %d", id, (int)seen_id[id] - 1);
}

KTEST(smp, percpu_map_has_a_slot_per_cpu)
{
	unsigned n = smp_cpu_count();
	union bpf_attr a;
	struct bpf_map *m = NULL;
	uint32_t key = 0;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_PERCPU_ARRAY;
	a.key_size = sizeof(key);
	a.value_size = sizeof(uint64_t);
	a.max_entries = 1;
	ASSERT_EQ(bpf_map_create(&a, &m), 0);
	EXPECT_EQ(bpf_num_possible_cpus(), n);
	EXPECT_EQ(m->value_slots, n);
	/* In-place lookups are a program's, inside a read-side section. */
	int rcu = rcu_read_lock();
	for (unsigned cpu = 0; cpu < n; cpu++)
		EXPECT_TRUE(bpf_map_lookup_percpu_elem(m, &key, cpu) != NULL);
	EXPECT_TRUE(bpf_map_lookup_percpu_elem(m, &key, n) == NULL);
	rcu_read_unlock(rcu);
	bpf_map_put(m);
}

/* How many ticks each CPU must count while we watch: more than one, so the timer is periodic. */
#define TICKS_WANTED 3

KTEST(smp, every_cpu_apic_timer_ticks)
{
	unsigned n = smp_cpu_count();
	uint64_t start[SMP_CPUS_MAX];

	if (!qemu_cpus() && !lapic_timer_period())
		return;
	ASSERT_TRUE(lapic_timer_period() != 0);
	for (unsigned id = 0; id < n; id++)
		start[id] = lapic_timer_ticks(id);
	uint64_t deadline = ktime_get_ns() + ACK_TIMEOUT_NS;
	for (unsigned id = 0; id < n; id++) {
		while (lapic_timer_ticks(id) - start[id] < TICKS_WANTED &&
		       ktime_get_ns() < deadline)
			cpu_relax();
		if (lapic_timer_ticks(id) - start[id] < TICKS_WANTED)
			KT_FAIL("CPU %u's APIC timer counted %lu ticks, not %u", id,
				(unsigned long)(lapic_timer_ticks(id) - start[id]), TICKS_WANTED);
	}
	for (unsigned id = n; id < SMP_CPUS_MAX; id++)
		EXPECT_EQ(lapic_timer_ticks(id), 0);
}
