#include "kernel/panic.h"
#include <machine/backtrace.h>
#include <machine/intr.h>
#include <machine/percpu.h>
#include <machine/qemu.h>
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/kprintf.h"
#include "kernel/task.h"

/* Which CPU and task panicked; GS may not point at a per-CPU area yet (a panic early in boot). */
static void print_where(void)
{
	struct percpu *p = percpu_this_early();

	if (!p) {
		kprintf("  before the per-CPU area was set up\n");
		return;
	}
	struct task *t = p->current;
	if (t)
		kprintf("  on CPU %u (%s %u), task %d (%s)\n", cpu_this_id(), PERCPU_HW_ID_NAME,
			percpu_hw_id(p), t->pid, t->name);
	else
		kprintf("  on CPU %u (%s %u), before the first task\n", cpu_this_id(),
			PERCPU_HW_ID_NAME, percpu_hw_id(p));
}

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
	print_where();
	backtrace_here();
	qemu_exit(false);
}
