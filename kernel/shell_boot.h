/*
 * A shell boot (kernel command line kestrel.shell=1, `make shell`): instead of the tests, kmain
 * runs bin/sh (user/bin/sh.c) on the serial console until it exits.
 */
#ifndef KERNEL_SHELL_BOOT_H
#define KERNEL_SHELL_BOOT_H

/*
 * Open the console's input as kmain's fd 0 (the shell gets it, and from the shell every program it
 * starts: kernel/task.h), run bin/sh, wait for it to end, then kill and wait for whatever user
 * tasks are left. The console's receive interrupt must already feed console_input_push. Returns
 * the shell's wait status (include/uapi/wait.h), or -1 if it could not be started.
 */
int shell_boot_run(void);

#endif
