#include "kernel/ktest.h"
#include "kernel/kprintf.h"

/* Weak: a program with no KTEST (a benchmark) links with an empty table. */
extern const struct ktest __start_ktests[] __attribute__((weak)),
	__stop_ktests[] __attribute__((weak));

size_t (*ktest_free_frames)(void);
unsigned (*ktest_lock_reports)(void);
const struct ktest *ktest_extra;

static void print_i128(__int128 v)
{
	/* Values of interest fit in 64 bits, signed or unsigned: show both readings. */
	if (v < 0)
		kprintf("%lld (0x%llx)", (long long)v, (unsigned long long)v);
	else
		kprintf("%llu (0x%llx)", (unsigned long long)v, (unsigned long long)v);
}

void ktest_fail_cmp(struct ktest_state *kt, const char *file, int line, const char *what,
		    __int128 a, __int128 b)
{
	kt->failures++;
	kprintf("    # %s:%d: %s failed: left = ", file, line, what);
	print_i128(a);
	kprintf(", right = ");
	print_i128(b);
	kprintf("\n");
}

void ktest_fail(struct ktest_state *kt, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	kt->failures++;
	kprintf("    # %s:%d: ", file, line);
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
}

int ktest_run_all(void)
{
	size_t nreg = (size_t)(__stop_ktests - __start_ktests), n = nreg + (ktest_extra ? 1 : 0);
	int failed = 0;

	kprintf("KTAP version 1\n1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		const struct ktest *t = i < nreg ? &__start_ktests[i] : ktest_extra;
		struct ktest_state kt = {0};
		size_t before = ktest_free_frames ? ktest_free_frames() : 0;
		unsigned reports = ktest_lock_reports ? ktest_lock_reports() : 0;

		t->fn(&kt);
		if (ktest_free_frames) {
			size_t after = ktest_free_frames();
			if (after != before)
				ktest_fail(&kt, __FILE__, __LINE__,
					   "leak check: %zu free frames before, %zu after", before,
					   after);
		}
		if (ktest_lock_reports && ktest_lock_reports() != reports)
			ktest_fail(&kt, __FILE__, __LINE__,
				   "lock check: %u witness reports (above)",
				   ktest_lock_reports() - reports);
		if (kt.failures)
			failed++;
		if (kt.skip && !kt.failures)
			kprintf("ok %zu %s.%s # SKIP %s\n", i + 1, t->suite, t->name, kt.skip);
		else
			kprintf("%sok %zu %s.%s\n", kt.failures ? "not " : "", i + 1, t->suite,
				t->name);
	}
	kprintf("# %zu tests: %zu passed, %d failed\n", n, n - (size_t)failed, failed);
	return failed;
}
