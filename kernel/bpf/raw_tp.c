/* BPF programs at the kernel's tracepoints (contract and invariants in kernel/bpf/raw_tp.h). */
#include "kernel/bpf/raw_tp.h"

#include "kernel/bpf/prog.h"
#include "kernel/rcu.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "mm/kmem.h"
#include "uapi/errno.h"

/*
 * One attached program: entry is its JIT'd code (NULL: interpreted), fixed with the slot, so that
 * a tracepoint calls the program itself; prog goes NULL when the program is detached.
 */
struct tp_slot {
	struct bpf_prog *prog;
	bpf_ctx_func_t entry;
};

struct tp_array {
	struct rcu_head rcu;
	uint32_t len;
	struct tp_slot slot[];
};

static const struct {
	const char *name;
	uint32_t nargs;
} tp_desc[TRACE_POINT_COUNT] = {
	[TRACE_SYS_ENTER] = {"sys_enter", 2},
	[TRACE_SYS_EXIT] = {"sys_exit", 2},
	[TRACE_VM_FAULT] = {"vm_fault", 5},
};

uint32_t trace_point_nprogs[TRACE_POINT_COUNT];
static struct tp_array *tp_progs[TRACE_POINT_COUNT];
static spinlock_t raw_tp_lock = SPINLOCK_INIT("raw_tp");

int bpf_raw_tp_find(const char *name, enum trace_point *tp)
{
	for (int i = 0; i < TRACE_POINT_COUNT; i++)
		if (!strcmp(name, tp_desc[i].name)) {
			*tp = (enum trace_point)i;
			return 0;
		}
	return -ENOENT;
}

const char *bpf_raw_tp_name(enum trace_point tp)
{
	return tp_desc[tp].name;
}
uint32_t bpf_raw_tp_nargs(enum trace_point tp)
{
	return tp_desc[tp].nargs;
}

static void tp_array_free(struct rcu_head *head)
{
	kfree((struct tp_array *)((char *)head - __builtin_offsetof(struct tp_array, rcu)));
}

static void publish(enum trace_point tp, struct tp_array *a, uint32_t nprogs)
{
	struct tp_array *old = tp_progs[tp];

	__atomic_store_n(&tp_progs[tp], a, __ATOMIC_RELEASE);
	__atomic_store_n(&trace_point_nprogs[tp], nprogs, __ATOMIC_RELEASE);
	if (old)
		call_rcu(&old->rcu, tp_array_free);
}

int bpf_raw_tp_attach(enum trace_point tp, struct bpf_prog *prog)
{
	int r = 0;

	spin_lock(&raw_tp_lock);
	uint32_t n = trace_point_nprogs[tp];
	struct tp_array *old = tp_progs[tp], *a = NULL;
	if (n == BPF_RAW_TP_MAX_PROGS)
		r = -E2BIG;
	else if (!(a = kmalloc(sizeof(*a) + (n + 1) * sizeof(a->slot[0]))))
		r = -ENOMEM;
	if (!r) {
		a->len = 0;
		for (uint32_t i = 0; old && i < old->len; i++)
			if (old->slot[i].prog)
				a->slot[a->len++] = old->slot[i];
		a->slot[a->len++] = (struct tp_slot){prog, bpf_prog_jited_entry(prog)};
		publish(tp, a, n + 1);
	}
	spin_unlock(&raw_tp_lock);
	rcu_poll();
	return r;
}

void bpf_raw_tp_detach(enum trace_point tp, struct bpf_prog *prog)
{
	spin_lock(&raw_tp_lock);
	struct tp_array *a = tp_progs[tp];
	for (uint32_t i = 0; a && i < a->len; i++)
		if (a->slot[i].prog == prog) {
			__atomic_store_n(&a->slot[i].prog, NULL, __ATOMIC_RELEASE);
			if (trace_point_nprogs[tp] == 1)
				publish(tp, NULL, 0);
			else
				__atomic_store_n(&trace_point_nprogs[tp],
						 trace_point_nprogs[tp] - 1, __ATOMIC_RELEASE);
			break;
		}
	spin_unlock(&raw_tp_lock);
	rcu_poll();
}

/* Run the program in slot s, if it is still attached. RCU read-side. */
static inline void run_slot(const struct tp_slot *s, const uint64_t *args)
{
	struct bpf_prog *prog = __atomic_load_n(&s->prog, __ATOMIC_ACQUIRE);

	if (!prog)
		return;
	if (s->entry) /* args are read-only to the program (the verifier) */
		s->entry((uint64_t)(uintptr_t)args);
	else
		bpf_prog_run_rcu(prog, (void *)(uintptr_t)args);
}

/* Every program of an array of several. RCU read-side. */
static __attribute__((noinline)) void run_all(struct tp_array *a, const uint64_t *args)
{
	for (uint32_t i = 0; i < a->len; i++)
		run_slot(&a->slot[i], args);
}

/*
 * An array's len is fixed for its life and at least 1 (one is published only with a program).
 * One program is the common case, run without a loop around it: this is on every fault and
 * system call while a program is attached.
 */
void trace_point_run(enum trace_point tp, const uint64_t *args)
{
	int rcu = rcu_read_lock();
	struct tp_array *a = __atomic_load_n(&tp_progs[tp], __ATOMIC_ACQUIRE);
	if (a && a->len == 1)
		run_slot(&a->slot[0], args);
	else if (a)
		run_all(a, args);
	rcu_read_unlock(rcu);
}

const char *bpf_raw_tp_check(void)
{
	const char *bad = NULL;

	spin_lock(&raw_tp_lock);
	for (int tp = 0; tp < TRACE_POINT_COUNT && !bad; tp++) {
		struct tp_array *a = tp_progs[tp];
		uint32_t live = 0;
		for (uint32_t i = 0; a && i < a->len; i++)
			live += a->slot[i].prog != NULL;
		if (live != trace_point_nprogs[tp])
			bad = "T1: nprogs is not the number of attached programs";
		else if (!a != !live || (a && a->len > BPF_RAW_TP_MAX_PROGS))
			bad = "T2: an array without programs, programs without an array, or too many slots";
	}
	spin_unlock(&raw_tp_lock);
	return bad;
}
