#include "kernel/panic.h"
#include "arch/x86_64/backtrace.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/qemu.h"
#include "kernel/console.h"
#include "kernel/kprintf.h"

void panic_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	irq_disable();
	console_break_lock();
	kprintf("\nPANIC at %s:%d: ", file, line);
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	backtrace_here();
	qemu_exit(false);
}
