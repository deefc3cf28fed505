#include "kernel/console.h"
#include <machine/serial.h>
#include "kernel/spinlock.h"

static spinlock_t console_spin = SPINLOCK_INIT("console");
static volatile int broken;

void console_lock(void)
{
	if (!broken)
		spin_lock(&console_spin);
}

void console_unlock(void)
{
	if (!broken)
		spin_unlock(&console_spin);
}

void console_break_lock(void)
{
	broken = 1;
}

void console_write(const char *buf, size_t len)
{
	console_lock();
	for (size_t i = 0; i < len; i++)
		serial_putc(buf[i]);
	console_unlock();
}
