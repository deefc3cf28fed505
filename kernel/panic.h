#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

/*
 * Print the message with file:line and a backtrace, report failure to QEMU and stop. Never returns.
 */
__attribute__((noreturn, format(printf, 3, 4))) void panic_at(const char *file, int line,
							      const char *fmt, ...);

#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* Kernel assertions are always compiled in: an mm invariant is worth a branch. */
#define assert(cond)                                                                 \
	do {                                                                         \
		if (__builtin_expect(!(cond), 0))                                    \
			panic_at(__FILE__, __LINE__, "assertion failed: %s", #cond); \
	} while (0)

#define KASSERT(cond, ...)                                         \
	do {                                                       \
		if (__builtin_expect(!(cond), 0))                  \
			panic_at(__FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

#endif
