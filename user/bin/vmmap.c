/* vmmap [pid]: print a task's map (default: vmmap's own), as FreeBSD's procstat -v does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vmmap.h>

int main(int argc, char **argv)
{
	int pid = 0;

	if (argc > 2) {
		dprintf(STDERR_FILENO, "usage: vmmap [pid]\n");
		return 2;
	}
	if (argc == 2) {
		char *end;

		pid = (int)strtol(argv[1], &end, 10);
		if (end == argv[1] || *end || pid <= 0) {
			dprintf(STDERR_FILENO, "vmmap: not a pid: %s\n", argv[1]);
			return 2;
		}
	}
	if (vmmap_print(pid) < 0) {
		dprintf(STDERR_FILENO, "vmmap: pid %d: %s\n", pid ? pid : getpid(), strerror(errno));
		return 1;
	}
	return 0;
}
