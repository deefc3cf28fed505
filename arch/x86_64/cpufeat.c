#include "arch/x86_64/cpufeat.h"
#include "arch/x86_64/cpu.h"
#include "kernel/kprintf.h"
#include "kernel/panic.h"

struct cpu_features cpu_features;

void cpu_features_init(void)
{
	uint32_t a, b, c, d, max_ext;

	cpuid(0, 0, &a, &b, &c, &d);
	uint32_t max_basic = a;
	cpuid(0x80000000, 0, &max_ext, &b, &c, &d);
	cpuid(1, 0, &a, &b, &c, &d);
	cpu_features.pge = d & (1u << 13);
	cpu_features.rdrand = c & (1u << 30);
	if (max_basic >= 7) {
		cpuid(7, 0, &a, &b, &c, &d);
		cpu_features.smep = b & (1u << 7);
		cpu_features.smap = b & (1u << 20);
		cpu_features.rdseed = b & (1u << 18);
		cpu_features.umip = c & (1u << 2);
	}
	if (max_ext >= 0x80000001) {
		cpuid(0x80000001, 0, &a, &b, &c, &d);
		cpu_features.nx = d & (1u << 20);
		cpu_features.pdpe1gb = d & (1u << 26);
	}
	if (max_ext >= 0x80000007) {
		cpuid(0x80000007, 0, &a, &b, &c, &d);
		cpu_features.invariant_tsc = d & (1u << 8);
	}
	if (!cpu_features.nx)
		panic("cpu: no NX (execute-disable) support; Kestrel maps everything W^X and needs it");

	uint64_t cr4 = read_cr4();
	if (cpu_features.smep)
		cr4 |= CR4_SMEP;
	if (cpu_features.smap)
		cr4 |= CR4_SMAP;
	if (cpu_features.umip)
		cr4 |= CR4_UMIP;
	write_cr4(cr4);

	kprintf("cpu: NX yes, 1 GiB pages %s, SMEP %s, SMAP %s, UMIP %s\n",
		cpu_features.pdpe1gb ? "yes" : "no", cpu_features.smep ? "enabled" : "absent",
		cpu_features.smap ? "enabled" : "absent", cpu_features.umip ? "enabled" : "absent");
}
