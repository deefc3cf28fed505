/* kmain: from the boot code to the self-tests and the verdict. */
#include <machine/machdep.h>
#include <machine/qemu.h>
#include <machine/timer.h>
#include "kernel/bpf/btf_sys.h"
#include "kernel/bpf/func_proto.h"
#include "kernel/console_input.h"
#include "kernel/kprintf.h"
#include "kernel/ktime.h"
#include "kernel/random.h"
#include "kernel/shell_boot.h"
#include "kernel/image_btf.h"
#include "kernel/ktest.h"
#include "kernel/multiboot.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "kernel/task_btf.h"
#include "kernel/user_tests.h"
#include "kernel/witness.h"
#include "mm/aslr.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"
#include "mm/mmu.h"
#include "mm/pmm.h"

#define MB2_BOOT_MAGIC 0x36d76289u

uintptr_t dmap_base = DMAP_BASE;
vm_size_t dmap_size = BOOT_DMAP_SIZE;

static const char *mem_type_name(uint32_t t)
{
	switch (t) {
	case MB2_MEM_AVAILABLE:
		return "available";
	case MB2_MEM_ACPI_RECLAIMABLE:
		return "ACPI reclaimable";
	case MB2_MEM_NVS:
		return "ACPI NVS";
	case MB2_MEM_BAD:
		return "bad";
	default:
		return "reserved";
	}
}

static void print_boot_info(void)
{
	uint64_t usable = 0;

	kprintf("boot: loader \"%s\", command line \"%s\"\n", boot_info.loader, boot_info.cmdline);
	if (boot_info.efi)
		kprintf("boot: firmware UEFI, EFI system table at %lx, memory map from the %s\n",
			boot_info.efi_system_table,
			boot_info.mmap_from_efi ? "EFI memory map tag"
						: "multiboot2 memory map tag");
	else
		kprintf("boot: firmware BIOS, memory map from the multiboot2 memory map tag\n");
	kprintf("boot: memory map (%zu entries):\n", boot_info.nmmap);
	for (size_t i = 0; i < boot_info.nmmap; i++) {
		const struct boot_mmap_entry *e = &boot_info.mmap[i];
		kprintf("  [%016lx - %016lx) %10lu KiB  %s\n", e->base, e->base + e->len,
			e->len >> 10, mem_type_name(e->type));
		if (e->type == MB2_MEM_AVAILABLE)
			usable += e->len;
	}
	kprintf("boot: usable memory %lu KiB (%lu MiB)\n", usable >> 10, usable >> 20);
	if (boot_info.acpi_rsdp)
		kprintf("boot: ACPI RSDP at %lx from the %s-RSDP tag (%s)\n", boot_info.acpi_rsdp,
			boot_info.acpi_rsdp_v2 ? "new" : "old",
			boot_info.acpi_rsdp_v2 ? "ACPI 2.0+, XSDT" : "ACPI 1.0, RSDT");
	else
		kprintf("boot: no ACPI RSDP from the loader\n");
	for (size_t i = 0; i < boot_info.nmodules; i++)
		kprintf("boot: module %-24s [%lx - %lx) %lu bytes\n", boot_info.modules[i].name,
			boot_info.modules[i].start, boot_info.modules[i].end,
			boot_info.modules[i].end - boot_info.modules[i].start);
}

extern char __kernel_end[];

/* The leak check's reading: free frames once idle heap slabs are back in the frame allocator. */
static size_t idle_free_frames(void)
{
	kmem_reap();
	return pmm_free_count();
}

/*
 * Hand physical memory to pmm (the multiboot2 "available" ranges, less the first MiB, the kernel
 * image, the multiboot2 information and the modules), then build the final kernel page tables.
 */
static void mm_bootstrap(void)
{
	struct pmm_range usable[BOOT_MMAP_MAX], reserved[3 + BOOT_MODULES_MAX];
	size_t nu = 0, nr = 0;
	vm_paddr_t phys_end = 0;

	for (size_t i = 0; i < boot_info.nmmap; i++) {
		const struct boot_mmap_entry *e = &boot_info.mmap[i];
		if (e->type != MB2_MEM_AVAILABLE)
			continue;
		usable[nu++] = (struct pmm_range){e->base, e->base + e->len};
		if (e->base + e->len > phys_end)
			phys_end = e->base + e->len;
	}
	reserved[nr++] = (struct pmm_range){0, KERNEL_LOAD};
	reserved[nr++] = (struct pmm_range){KERNEL_LOAD, kimg_to_phys(__kernel_end)};
	reserved[nr++] = (struct pmm_range){boot_info.mbi_start, boot_info.mbi_end};
	for (size_t i = 0; i < boot_info.nmodules; i++)
		reserved[nr++] =
			(struct pmm_range){boot_info.modules[i].start, boot_info.modules[i].end};

	pmm_init(usable, nu, reserved, nr);
	arch_vm_bootstrap(phys_end);
	kprintf("pmm: %zu of %zu frames free (%zu MiB)\n", pmm_free_count(), pmm_total_count(),
		pmm_free_count() >> (20 - PAGE_SHIFT));
	ktest_free_frames = idle_free_frames;
}

/*
 * Broken kernels on request (command line "ktest.inject=..."), so that `make test` can prove its
 * harness reports each kind of failure: a failing assertion, a triple fault, a hang, and a NULL
 * dereference in kernel code (which must print the fault report with a symbolized backtrace).
 */
static void injected_failure(struct ktest_state *kt)
{
	ASSERT_EQ(1 + 1, 3);
}
static const struct ktest inject_fail_test = {"harness", "injected_failure", injected_failure};

__attribute__((noinline)) static void inject_null_deref(void)
{
	int *volatile p = 0; /* an opaque NULL: the compiler may not drop the store */
	*p = 1;
}

static void inject_before_tests(const char *what)
{
	if (!strcmp(what, "fail")) {
		ktest_extra = &inject_fail_test;
	} else if (!strcmp(what, "triple")) {
		kprintf("inject: loading an empty IDT and raising #BP: triple fault\n");
		arch_triple_fault();
	} else if (!strcmp(what, "hang")) {
		kprintf("inject: hanging with interrupts off\n");
		arch_hang();
	} else if (!strcmp(what, "null")) {
		kprintf("inject: NULL dereference in kernel code\n");
		inject_null_deref();
	}
}

/*
 * Tasks, system calls and the tick: kmain becomes task 0, user code gets SSE and the syscall
 * instruction, and the timer starts preempting user tasks.
 */
static void tasks_bootstrap(void)
{
	arch_init_tasks();
	task_init();
	task_btf_init();
	arch_start_clock();
}

/* The demo program (bin/demo), if the image has one: shown after the tests, not part of the verdict. */
/* Whether comma-separated list names name (a whole item). */
static bool list_names(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && !strncmp(p, name, n))
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

/*
 * `make bench`: run the bin/bench_* programs instead of the tests (kestrel.bench=1: every one;
 * kestrel.bench=NAME[,NAME...]: bin/bench_NAME only); pass if each exits 0.
 */
static bool run_benchmarks(const char *which)
{
	bool ok = true;
	for (size_t i = 0; i < boot_info.nmodules; i++) {
		const char *name = boot_info.modules[i].name;
		if (!strncmp(name, "bin/bench_", 10) &&
		    (!strcmp(which, "1") || list_names(which, name + 10)))
			ok &= user_program_run(name, name, 600) == 0;
	}
	return ok;
}

static void run_demo(void)
{
	for (size_t i = 0; i < boot_info.nmodules; i++)
		if (!strcmp(boot_info.modules[i].name, "bin/demo"))
			user_program_run("bin/demo", "kestrel: demo", 60);
}

/* The C entry, from arch/x86_64/boot/entry.S: multiboot2's magic and its information's address. */
void kmain(uint32_t magic, uint32_t mbi);

void kmain(uint32_t magic, uint32_t mbi)
{
	char inject[24]; /* a command-line value */

	arch_console_init();
	kprintf("\nKestrel %s kernel\n", MACHINE_ARCH);
	if (magic != MB2_BOOT_MAGIC)
		panic("boot: bad multiboot2 magic %x", magic);
	arch_init_early();
#ifdef KESTREL_WITNESS
	witness_start(); /* per-CPU ids work from here */
	ktest_lock_reports = witness_reports;
#endif
	if (multiboot_parse(mbi))
		panic("boot: malformed multiboot2 information at %x", mbi);
	print_boot_info();
	arch_cpu_identify();
	ktime_init();
	random_init();
	aslr_init(!(boot_cmdline_get("aslr", inject, sizeof(inject)) && !strcmp(inject, "0")));
	mm_bootstrap();
	tasks_bootstrap();
	arch_start_aps();
	btf_vmlinux_init();
	const char *missing;
	if (bpf_helper_protos_init(btf_vmlinux(), &missing))
		panic("bpf: the kernel's BTF has no struct %s for the helper prototypes", missing);
	image_btf_init();

	if (boot_cmdline_get("kestrel.shell", inject, sizeof(inject)) && strcmp(inject, "0")) {
		arch_console_rx_start(console_input_push);
		qemu_exit(shell_boot_run() == 0);
	}
	if (boot_cmdline_get("kestrel.bench", inject, sizeof(inject)))
		qemu_exit(run_benchmarks(inject));
	if (boot_cmdline_get("kestrel.fuzz", inject, sizeof(inject))) {
		unsigned seconds = (unsigned)strtoul_simple(inject, NULL);
		uint64_t seed = 0;
		if (boot_cmdline_get("kestrel.fuzz_seed", inject, sizeof(inject)))
			seed = strtoul_simple(inject, NULL);
		qemu_exit(user_fuzz_run(seconds, seed) == 0);
	}
	if (boot_cmdline_get("ktest.inject", inject, sizeof(inject)))
		inject_before_tests(inject);

	int failed = ktest_run_all();
	kprintf("kestrel: self-tests %s\n", failed ? "FAILED" : "passed");
	int ufailed = user_tests_run();
	kprintf("kestrel: user tests %s\n", ufailed ? "FAILED" : "passed");
	run_demo();
	kprintf("kestrel: %lu ticks (%u ms each) from the timer's start to the verdict\n",
		timer_ticks, 1000 / TIMER_HZ);
	qemu_exit(failed == 0 && ufailed == 0);
}
