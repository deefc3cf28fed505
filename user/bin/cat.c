/*
 * cat: copy fd 0 to fd 1 until the end of the input: read(2) returns 0, or a ^D byte comes (the
 * console's input is raw, include/uapi/console.h, so the end of typing is a byte cat looks for).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define KEY_EOF 0x04

int main(void)
{
	char buf[256];
	ssize_t n;

	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
		char *eof = memchr(buf, KEY_EOF, (size_t)n);
		size_t len = eof ? (size_t)(eof - buf) : (size_t)n;
		if (len && write(STDOUT_FILENO, buf, len) < 0)
			return 1;
		if (eof)
			return 0;
	}
	if (n < 0) {
		dprintf(STDERR_FILENO, "cat: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
