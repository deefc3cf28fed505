/*
 * The task VMA iterator (semantics in user/include/bpf.h): batches from SYS_bpf_task_vma_batch,
 * each fetched from where the previous one ended, and a floor that keeps what next returns
 * strictly ascending whatever the map does between batches.
 */
#include <bpf.h>

#include "uapi/errno.h"

/* Replaces the batch with the VMAs after it->fetch_from; on failure or at the end, ends it. */
static void iter_fill(struct bpf_iter_task_vma *it)
{
	int n = bpf_task_vma_batch(it->pid, it->fetch_from, it->batch, BPF_ITER_TASK_VMA_BATCH);

	it->pos = 0;
	it->count = 0;
	if (n <= 0) {
		it->state = n < 0 ? n : 1;
		return;
	}
	/* Each batch must end above the last, or a broken kernel could keep us here forever. */
	if (it->batch[n - 1].vm_end <= it->fetch_from) {
		it->state = -EIO;
		return;
	}
	it->count = (uint32_t)n;
	it->fetch_from = it->batch[n - 1].vm_end;
}

int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, int pid, uint64_t addr)
{
	it->pid = pid;
	it->state = 0;
	it->fetch_from = addr;
	it->floor = 0;
	it->returned = false;
	iter_fill(it);
	return it->state < 0 ? it->state : 0;
}

struct bpf_vma *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it)
{
	while (it->state == 0) {
		while (it->pos < it->count) {
			struct bpf_vma *vma = &it->batch[it->pos++];

			/* Created below the floor (or over it) since the previous batch: skip. */
			if (it->returned && vma->vm_start < it->floor)
				continue;
			it->returned = true;
			it->floor = vma->vm_end;
			return vma;
		}
		iter_fill(it);
	}
	return NULL;
}

void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it)
{
	if (it->state == 0)
		it->state = 1;
}
