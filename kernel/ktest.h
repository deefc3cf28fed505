/*
 * The test framework shared by in-kernel self-tests (tests/kernel/) and host tests (tests/host/).
 *
 *   KTEST(pmm, alloc_free) { ASSERT_NONNULL(p); EXPECT_EQ(pmm_free_count(), before); }
 *
 * KTEST registers the test in the "ktests" linker section, so a new file needs no list edited.
 * EXPECT_* records a failure with file:line and both values, and the test goes on; ASSERT_* records
 * it and returns from the test function (use ASSERT_* only in the test's own body). Comparisons
 * work across signed and unsigned operands of up to 64 bits.
 *
 * ktest_run_all prints KTAP version 1: a plan line, one "ok N suite.name" / "not ok N suite.name"
 * per test ("ok N suite.name # SKIP reason" for a test that called KT_SKIP without failing),
 * diagnostics as "# " lines.
 */
#ifndef KERNEL_KTEST_H
#define KERNEL_KTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ktest_state {
	int failures;
	const char *skip; /* KT_SKIP's reason: the test did not apply here */
};

struct ktest {
	const char *suite;
	const char *name;
	void (*fn)(struct ktest_state *kt);
};

#define KTEST(suite, name)                                               \
	static void ktest_fn_##suite##_##name(struct ktest_state *kt);   \
	static const struct ktest ktest_desc_##suite##_##name            \
		__attribute__((used, section("ktests"), aligned(8))) = { \
			#suite, #name, ktest_fn_##suite##_##name};       \
	static void ktest_fn_##suite##_##name(struct ktest_state *kt __attribute__((unused)))

/* Records a failed comparison; called by the macros below. */
void ktest_fail_cmp(struct ktest_state *kt, const char *file, int line, const char *what,
		    __int128 a, __int128 b);
/* Records a failure with a free-form message. */
void ktest_fail(struct ktest_state *kt, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define KT_CMP_(a, op, b, text, on_fail)                                        \
	do {                                                                    \
		__int128 ka_ = (__int128)(a), kb_ = (__int128)(b);              \
		if (!(ka_ op kb_)) {                                            \
			ktest_fail_cmp(kt, __FILE__, __LINE__, text, ka_, kb_); \
			on_fail;                                                \
		}                                                               \
	} while (0)

#define EXPECT_EQ(a, b) KT_CMP_(a, ==, b, "EXPECT_EQ(" #a ", " #b ")", (void)0)
#define EXPECT_NE(a, b) KT_CMP_(a, !=, b, "EXPECT_NE(" #a ", " #b ")", (void)0)
#define EXPECT_LT(a, b) KT_CMP_(a, <, b, "EXPECT_LT(" #a ", " #b ")", (void)0)
#define EXPECT_LE(a, b) KT_CMP_(a, <=, b, "EXPECT_LE(" #a ", " #b ")", (void)0)
#define EXPECT_GT(a, b) KT_CMP_(a, >, b, "EXPECT_GT(" #a ", " #b ")", (void)0)
#define EXPECT_GE(a, b) KT_CMP_(a, >=, b, "EXPECT_GE(" #a ", " #b ")", (void)0)
#define EXPECT_TRUE(c) KT_CMP_(!!(c), ==, 1, "EXPECT_TRUE(" #c ")", (void)0)
#define EXPECT_FALSE(c) KT_CMP_(!!(c), ==, 0, "EXPECT_FALSE(" #c ")", (void)0)
#define EXPECT_NULL(p) KT_CMP_((uintptr_t)(p), ==, 0, "EXPECT_NULL(" #p ")", (void)0)
#define EXPECT_NONNULL(p) KT_CMP_((uintptr_t)(p), !=, 0, "EXPECT_NONNULL(" #p ")", (void)0)

#define ASSERT_EQ(a, b) KT_CMP_(a, ==, b, "ASSERT_EQ(" #a ", " #b ")", return )
#define ASSERT_NE(a, b) KT_CMP_(a, !=, b, "ASSERT_NE(" #a ", " #b ")", return )
#define ASSERT_LT(a, b) KT_CMP_(a, <, b, "ASSERT_LT(" #a ", " #b ")", return )
#define ASSERT_LE(a, b) KT_CMP_(a, <=, b, "ASSERT_LE(" #a ", " #b ")", return )
#define ASSERT_GT(a, b) KT_CMP_(a, >, b, "ASSERT_GT(" #a ", " #b ")", return )
#define ASSERT_GE(a, b) KT_CMP_(a, >=, b, "ASSERT_GE(" #a ", " #b ")", return )
#define ASSERT_TRUE(c) KT_CMP_(!!(c), ==, 1, "ASSERT_TRUE(" #c ")", return )
#define ASSERT_FALSE(c) KT_CMP_(!!(c), ==, 0, "ASSERT_FALSE(" #c ")", return )
#define ASSERT_NULL(p) KT_CMP_((uintptr_t)(p), ==, 0, "ASSERT_NULL(" #p ")", return )
#define ASSERT_NONNULL(p) KT_CMP_((uintptr_t)(p), !=, 0, "ASSERT_NONNULL(" #p ")", return )

/* A failure with a message, e.g. from a checker that returned an error string. */
#define KT_FAIL(...) ktest_fail(kt, __FILE__, __LINE__, __VA_ARGS__)

/* End the test as not applicable here ("ok N suite.name # SKIP reason"); reason: a string literal. */
#define KT_SKIP(reason)              \
	do {                         \
		kt->skip = (reason); \
		return;              \
	} while (0)

/*
 * Leak check: when set, the runner reads this before and after every test and fails the test if
 * the two differ. The kernel points it at a function that returns free physical frames after
 * handing idle cached memory back to the frame allocator.
 */
extern size_t (*ktest_free_frames)(void);

/*
 * Lock checks: when set, the count of lock-order reversals and sleeps under a spinlock reported so
 * far (kernel/witness.h); a test during which it grows fails, and so does a user test program.
 */
extern unsigned (*ktest_lock_reports)(void);

/* One more test to run after the registered ones (the harness's injected failure), or NULL. */
extern const struct ktest *ktest_extra;

/* Run every registered test, print KTAP; returns the number of failed tests. */
int ktest_run_all(void);

#endif
