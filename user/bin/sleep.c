/* sleep SECONDS: sleep that long (a decimal number, e.g. 2 or 0.25), then exit 0. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* SECONDS as a timespec; -1 if it is not a decimal number. */
static int parse(const char *s, struct timespec *ts)
{
	int64_t sec = 0, nsec = 0, scale = 100000000;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (sec > 1000000000)
			return -1;
		sec = sec * 10 + (*p - '0');
	}
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			nsec += (*p - '0') * scale;
	if (*p || p == s)
		return -1;
	*ts = (struct timespec){sec, nsec};
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec ts;

	if (argc != 2 || parse(argv[1], &ts)) {
		dprintf(STDERR_FILENO, "usage: sleep SECONDS\n");
		return 2;
	}
	if (nanosleep(&ts, NULL)) {
		dprintf(STDERR_FILENO, "sleep: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
