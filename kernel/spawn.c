/*
 * User tasks from boot modules: task_spawn and task_spawn_here (contract in kernel/task.h). The
 * address space is kernel/exec.c's, the callback trampoline page kernel/callback.c's.
 */
#include <machine/frame.h>
#include "kernel/callback.h"
#include "kernel/cpu.h"
#include "kernel/exec.h"
#include "kernel/multiboot.h"
#include "kernel/string.h"
#include "kernel/task.h"
#include "kernel/task_impl.h"
#include "mm/memlayout.h"
#include "uapi/errno.h"

static const struct boot_module *module_find(const char *name)
{
	static const char prefix[] = "bin/";

	for (size_t i = 0; i < boot_info.nmodules; i++)
		if (!strcmp(boot_info.modules[i].name, name))
			return &boot_info.modules[i];
	for (size_t i = 0; i < boot_info.nmodules; i++) {
		const char *m = boot_info.modules[i].name;
		if (!strncmp(m, prefix, sizeof(prefix) - 1) &&
		    !strcmp(m + sizeof(prefix) - 1, name))
			return &boot_info.modules[i];
	}
	return NULL;
}

static int spawn(const char *name, int argc, char *const argv[], unsigned bound)
{
	const struct boot_module *m = module_find(name);
	struct exec_image img;

	if (!m)
		return -ENOENT;
	struct task *t = task_alloc(name, true);
	if (!t)
		return -ENOMEM;
	int r = exec_build(phys_to_virt(m->start), m->end - m->start, argc, argv, &img);
	if (!r && (r = callback_trampoline_map(img.map))) {
		vm_map_destroy(img.map);
		pmap_destroy(img.pmap);
	}
	if (r) {
		task_free(t);
		return r;
	}
	t->map = img.map;
	t->pmap = img.pmap;

	struct trapframe *tf = (struct trapframe *)t->kstack_top - 1;
	frame_init_user(tf, img.entry, img.sp, (const uint64_t[]){(uint64_t)argc, img.argv}, 2);
	task_set_initial_context(t, (uint64_t)tf, task_user_start, 0, 0);
	file_hold(&console_file);
	fd_install_at(&t->fds, 1, &console_file);
	file_hold(&console_file);
	fd_install_at(&t->fds, 2, &console_file);
	struct file *in = fd_get(&task_current()->fds, 0);
	if (in)
		fd_install_at(&t->fds, 0, in);
	t->bound = bound;
	return task_publish(t);
}

int task_spawn(const char *name, int argc, char *const argv[])
{
	return spawn(name, argc, argv, 0);
}

int task_spawn_here(const char *name, int argc, char *const argv[])
{
	return spawn(name, argc, argv, cpu_this_id() + 1);
}
