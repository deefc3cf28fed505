/*
 * The BPF JIT's kernel side, through the real MMU: code lives in the JIT range (mm/memlayout.h)
 * mapped read+execute and not writable, and is unmapped when freed (its frames come back: the
 * runner's leak check); helpers in the kernel image are called from there; a probing load that
 * faults reads 0 through the page-fault fixup (arch/x86_64/bpf_jit.h), and one of a user address
 * never touches it. The instruction-by-instruction tests run on the host (tests/host/test_bpf_jit.c).
 */
#include "arch/x86_64/trap.h"
#include "kernel/bpf/exec.h"
#include "kernel/ktest.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"
#include "tests/host/bpf_asm.h"

static uint64_t add_args(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return a + b + c + d + e;
}

static const bpf_func_t helpers[] = {NULL, add_args};

static struct bpf_jit_image *compile(const struct bpf_insn *in, uint32_t n)
{
	static const uint32_t start = 0;
	static const uint16_t depth = 64;
	struct bpf_exec_prog p = {in, n, 1, &start, &depth, helpers, 2};
	return bpf_jit_compile(&p);
}

KTEST(bpf_jit, code_is_read_execute_in_its_range_and_unmapped_when_freed)
{
	static const struct bpf_insn prog[] = {
		ASM_MOV64_IMM(2, 10),    ASM_MOV64_IMM(3, 100), ASM_MOV64_IMM(4, 1000),
		ASM_MOV64_IMM(5, 10000), ASM_CALL_HELPER(1),    ASM_EXIT(),
	};
	struct bpf_jit_image *img = compile(prog, sizeof(prog) / sizeof(prog[0]));
	ASSERT_NONNULL(img);
	uintptr_t entry = (uintptr_t)bpf_jit_entry(img, 0);
	EXPECT_GE(entry, KVA_BPF_JIT);
	EXPECT_LT(entry, KVA_BPF_JIT + KVA_BPF_JIT_SIZE);
	unsigned flags = 0;
	EXPECT_TRUE(pmap_query(pmap_kernel(), entry, NULL, &flags, NULL));
	EXPECT_EQ(flags & (MMU_WRITE | MMU_EXEC), MMU_EXEC);
	EXPECT_EQ(bpf_jit_entry(img, 0)(1, 0, 0, 0, 0), 11111);
	bpf_jit_free(img);
	EXPECT_FALSE(pmap_query(pmap_kernel(), entry, NULL, NULL, NULL));
}

struct probe_run {
	bpf_func_t fn;
	uint64_t args[2], r0;
};

static void run_probe(void *arg)
{
	struct probe_run *r = arg;
	r->r0 = r->fn(r->args[0], r->args[1], 0, 0, 0);
}

/*
 * r1 = a kernel object, r2 = an unmapped kernel address: r0 = the object's second word plus
 * every probe of r2 (each must read 0) plus a probe of a user address (0 without a fault).
 */
KTEST(bpf_jit, probing_load_that_faults_reads_zero)
{
	static const struct bpf_insn prog[] = {
		ASM_PROBE(BPF_DW, 0, 1, 8),
		ASM_MOV64_IMM(3, -1),
		ASM_PROBE(BPF_W, 3, 2, 0),
		ASM_ALU64_REG(BPF_ADD, 0, 3),
		ASM_PROBES(BPF_H, 2, 2, 6), /* dst == src */
		ASM_ALU64_REG(BPF_ADD, 0, 2),
		ASM_MOV64_IMM(4, 0x400000),
		ASM_PROBE(BPF_DW, 4, 4, 0),
		ASM_ALU64_REG(BPF_ADD, 0, 4),
		ASM_EXIT(),
	};
	static uint64_t obj[2] = {0, 0x1122334455667788ull};
	struct bpf_jit_image *img = compile(prog, sizeof(prog) / sizeof(prog[0]));
	ASSERT_NONNULL(img);
	/* The JIT range's last page: mapped only once 128 MiB of code exist. */
	uint64_t unmapped = KVA_BPF_JIT + KVA_BPF_JIT_SIZE - PAGE_SIZE;
	EXPECT_FALSE(pmap_query(pmap_kernel(), unmapped, NULL, NULL, NULL));
	struct probe_run r = {bpf_jit_entry(img, 0), {(uintptr_t)obj, unmapped}, 0};
	struct fault_info fi;
	if (trap_catch(run_probe, &r, &fi))
		KT_FAIL("fault escaped the fixup: vector %lu at %#lx, address %#lx", fi.vector,
			fi.rip, fi.addr);
	else
		EXPECT_EQ(r.r0, 0x1122334455667788ull);
	bpf_jit_free(img);
}
