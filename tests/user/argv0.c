/*
 * Exits 0 only if started with exactly { "test/argv0" }: how the test runner starts it, and what
 * spawn must make of a NULL argv (test/spawn checks that, and that other arguments give 1).
 */
#include <string.h>

int main(int argc, char **argv)
{
	return argc == 1 && !strcmp(argv[0], "test/argv0") && argv[1] == NULL ? 0 : 1;
}
