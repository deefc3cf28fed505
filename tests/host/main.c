/* Entry point of every host test program: run its KTESTs, KTAP on stdout; exit 1 on any failure. */
#include "kernel/ktest.h"

int main(void)
{
	return ktest_run_all() ? 1 : 0;
}
