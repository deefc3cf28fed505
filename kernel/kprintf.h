#ifndef KERNEL_KPRINTF_H
#define KERNEL_KPRINTF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Formatted output to the console (serial). Formats: %s %c %d %i %u %x %X %p %%, length modifiers
 * l, ll, z, and a field width with optional 0 padding and '-' left adjustment.
 * Safe from any context, including exception handlers; takes the console lock.
 */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vkprintf(const char *fmt, va_list ap);

/*
 * Format into buf (at most size bytes including the NUL). Returns the length the full output would
 * have had, as C's snprintf does.
 */
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
