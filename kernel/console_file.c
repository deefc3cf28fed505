/* The console as a file: what fds 1 and 2 of every user task name (kernel/fd.h). */
#include "kernel/console.h"
#include "kernel/fd.h"

static long console_file_write(struct file *f, const char *kbuf, size_t len)
{
	(void)f;
	console_write(kbuf, len);
	return (long)len;
}

/* The console outlives every task: its one permanent reference keeps this from ever running. */
static void console_file_close(struct file *f)
{
	(void)f;
}

static const struct file_ops console_file_ops = {
	.name = "console",
	.write = console_file_write,
	.close = console_file_close,
};

struct file console_file = {.ops = &console_file_ops, .refs = 1};
