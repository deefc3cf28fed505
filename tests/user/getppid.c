/*
 * getppid (the worked example of README.md's "Adding a system call"): a child sees its parent's
 * pid, through the generated wrapper and through the raw number. The test itself is a child of
 * kmain (pid 0), the parent of the programs the kernel starts.
 */
#include <stdlib.h>
#include <unistd.h>

#include "utest.h"

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "child"))
		return getppid() == atoi(argv[2]) && sys0(SYS_getppid) == atoi(argv[2]) ? 0 : 1;

	pid_t self = getpid();
	CHECK_EQ(getppid(), 0);
	CHECK(self > 0);

	char pid_arg[16];
	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)self);
	char *child_argv[] = {argv[0], "child", pid_arg, NULL};
	int st = -1;
	pid_t child = spawn(argv[0], child_argv);
	CHECK(child > 0);
	CHECK_EQ(waitpid(child, &st, 0), child);
	CHECK_EQ(st, 0);
	return utest_result("getppid");
}
