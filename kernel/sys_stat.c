/* SYS_sys_stat (ABI in include/uapi/sys_stat.h; the retire hook's contract: kernel/sys_stat.h). */
#include "kernel/sys_stat.h"
#include "kernel/ktime.h"
#include "kernel/sched.h"
#include "kernel/syscall.h"
#include "kernel/task.h"
#include "kernel/usercopy.h"
#include "mm/kmem.h"
#include "mm/pmm.h"
#include "uapi/sys_stat.h"

/* Faults of the maps of tasks that have ended. Under sched_lock. */
static uint64_t retired_faults, retired_faults_2m;

void sys_stat_retire_locked(vm_map_t map)
{
	struct vm_map_stats st;

	vm_map_get_stats(map, &st);
	retired_faults += st.faults;
	retired_faults_2m += st.faults_2m;
}

/* Free 2 MiB blocks, counting each larger free block as the 2 MiB blocks it holds. */
static uint64_t free_superpages(void)
{
	uint64_t n = 0;

	for (unsigned order = SUPERPAGE_ORDER; order <= PMM_MAX_ORDER; order++)
		n += (uint64_t)pmm_free_blocks(order) << (order - SUPERPAGE_ORDER);
	return n;
}

long sys_sys_stat(struct trapframe *tf)
{
	struct sys_stat st = {0};

	/* Empty heap slabs are free memory the heap merely caches (as vm_stat counts them). */
	kmem_reap();
	st.uptime_ns = ktime_get_ns();
	st.total_frames = pmm_total_count();
	st.free_frames = pmm_free_count();
	st.free_2m = free_superpages();
	spin_lock(&sched_lock);
	st.faults = retired_faults;
	st.faults_2m = retired_faults_2m;
	for (struct task *t = task_list; t; t = t->next) {
		st.tasks++;
		/* A map still on its task is not destroyed before sched_lock is free (task.c). */
		if (t->map && t->leader == t) { /* a task's threads share its map */
			struct vm_map_stats ms;
			vm_map_get_stats(t->map, &ms);
			st.faults += ms.faults;
			st.faults_2m += ms.faults_2m;
		}
	}
	sched_unlock();
	return copyout(&st, (void *)syscall_arg(tf, 0), sizeof(st));
}
