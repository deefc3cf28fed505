/* A shell boot: kmain's part (contract in kernel/shell_boot.h). */
#include "kernel/shell_boot.h"
#include <machine/timer.h>
#include "kernel/console_input.h"
#include "kernel/fd.h"
#include "kernel/kprintf.h"
#include "kernel/sched.h"
#include "kernel/task.h"
#include "uapi/errno.h"
#include "uapi/wait.h"

#define SHELL_PROGRAM "bin/sh"

/* Kill the user tasks left and wait until they are gone (kmain reaps its own; orphans go alone). */
static void end_user_tasks(void)
{
	task_kill_all_user();
	while (task_count_user()) {
		struct task *z;
		if (task_wait(-1, WNOHANG, 0, &z) == 0 && z) {
			task_reap(z);
			continue;
		}
		sched_sleep_until(timer_ticks + 1);
	}
}

int shell_boot_run(void)
{
	struct task *self = task_current(), *z = NULL;
	char *argv[] = {"sh"};

	file_hold(&console_input_file);
	if (fd_install_at(&self->fds, 0, &console_input_file) < 0) {
		file_put(&console_input_file);
		kprintf("kestrel: shell boot: fd 0 of kmain is taken\n");
		return -1;
	}
	int pid = task_spawn(SHELL_PROGRAM, 1, argv);
	if (pid < 0) {
		kprintf("kestrel: shell boot: cannot start %s: error %d\n", SHELL_PROGRAM, -pid);
		fd_close(&self->fds, 0);
		return -1;
	}
	int r = task_wait(pid, 0, 0, &z);
	int status = -1;
	if (r == 0 && z) {
		status = z->exit_status;
		task_reap(z);
	}
	fd_close(&self->fds, 0);
	end_user_tasks();
	kprintf("kestrel: the shell ended with status 0x%x; powering off\n", (unsigned)status);
	return status;
}
