/*
 * ASLR (mm/aslr.h, ranges in mm/memlayout.h), which is on by default: two spawns of this program
 * get different stacks and different mmap bases. Each spawn notes its layout: the stack entry
 * (VM_ENT_STACK) of the map listing, with its guard entry right below it, and where its first
 * mmap(NULL) went, which is its mmap base since nothing was mapped there before. The parent checks
 * its own layout, then spawns itself CHILDREN times with that layout in argv; each child checks
 * its own the same way, compares it with the parent's and exits with a bit per failed check.
 * The checks: the stack top is a page boundary in ASLR's stack range, below the trampoline page;
 * the base is 2 MiB aligned in ASLR's base range; the first MAP_ALIGNED_SUPER mapping without a
 * hint comes right after the base's 2 MiB; an explicit hint and MAP_FIXED land where asked. Booted
 * with aslr=0 this test fails (every spawn then gets the fixed layout).
 */
#include <stdlib.h>

#include "uapi/bpf.h"
#include "vm_util.h"

#define CHILDREN 3

/* mm/memlayout.h's ASLR ranges. */
#define STACK_TOP_MAX BPF_CB_TRAMPOLINE
#define STACK_TOP_MIN (STACK_TOP_MAX - ((1ul << 22) - 1) * PG)
#define BASE_MIN (1ul << 32)
#define BASE_MAX (BASE_MIN + ((1ul << 25) - 1) * SUPER)
#define STACK_SIZE (256 * 1024ul)
#define STACK_GUARD MB

/* Bits of a child's exit status: the checks that failed. */
#define BAD_LAYOUT 1    /* its own layout is out of range or misshapen */
#define SAME_STACK 2    /* its stack top is the parent's */
#define SAME_BASE 4     /* its mmap base is the parent's */
#define BAD_PLACEMENT 8 /* MAP_ALIGNED_SUPER, a hint or MAP_FIXED went elsewhere */

struct layout {
	uint64_t stack_top, base;
};

static struct vm_listing l;

/* The stack top from the listing, with the stack and its guard checked; 0 if misshapen. */
static uint64_t stack_top(void)
{
	char here;

	memset(&l, 0, sizeof(l));
	if (vm_list_all(0, &l))
		return 0;
	for (size_t i = 1; i < l.n; i++) {
		const struct vm_map_ent *s = &l.e[i], *g = &l.e[i - 1];
		if (!(s->flags & VM_ENT_STACK))
			continue;
		bool ok = s->end - s->start == STACK_SIZE && g->flags == VM_ENT_GUARD &&
			  g->end == s->start && g->end - g->start == STACK_GUARD &&
			  s->start <= (uint64_t)&here && (uint64_t)&here < s->end;
		if (!ok)
			printf("# stack [%#lx, %#lx), below it [%#lx, %#lx) flags %#x\n",
			       (unsigned long)s->start, (unsigned long)s->end,
			       (unsigned long)g->start, (unsigned long)g->end, g->flags);
		return ok ? s->end : 0;
	}
	printf("# no stack entry with a guard below it\n");
	return 0;
}

/* Whether the layout lies in ASLR's ranges (printed if not). */
static bool in_range(const struct layout *me)
{
	bool ok = me->stack_top >= STACK_TOP_MIN && me->stack_top <= STACK_TOP_MAX &&
		  me->stack_top % PG == 0 && me->base >= BASE_MIN && me->base <= BASE_MAX &&
		  me->base % SUPER == 0;

	if (!ok)
		printf("# stack top %#lx, mmap base %#lx: outside ASLR's ranges%s\n",
		       (unsigned long)me->stack_top, (unsigned long)me->base,
		       me->stack_top == USER_TOP ? " (booted with aslr=0?)" : "");
	return ok;
}

/* Placement around the base and away from it; a failure is printed. */
static bool placement_ok(const struct layout *me)
{
	const uint64_t hint = 0x20000000, fixed = 0x30000000; /* below every base, free */
	long s = anon(0, SUPER, MAP_ALIGNED_SUPER), h = anon(hint, PG, 0),
	     f = anon(fixed, PG, MAP_FIXED);
	bool ok = (uint64_t)s == me->base + SUPER && (uint64_t)h == hint && (uint64_t)f == fixed;

	if (!ok)
		printf("# base %#lx: MAP_ALIGNED_SUPER at %#lx, hint %#lx at %#lx, fixed %#lx at %#lx\n",
		       (unsigned long)me->base, (unsigned long)s, (unsigned long)hint,
		       (unsigned long)h, (unsigned long)fixed, (unsigned long)f);
	return ok && vm_check_map() == 0;
}

static int child(const struct layout *me, const char *stack_arg, const char *base_arg)
{
	struct layout parent = {strtoul(stack_arg, NULL, 16), strtoul(base_arg, NULL, 16)};
	int bad = 0;

	if (!me->stack_top || !in_range(me))
		bad |= BAD_LAYOUT;
	if (me->stack_top == parent.stack_top)
		bad |= SAME_STACK;
	if (me->base == parent.base)
		bad |= SAME_BASE;
	if (!placement_ok(me))
		bad |= BAD_PLACEMENT;
	return bad;
}

int main(int argc, char **argv)
{
	/* First of all: nothing is mapped at the base yet, so this page lands on it. */
	long first = anon(0, PG, 0);
	struct layout me = {stack_top(), (uint64_t)first};

	if (argc == 4 && !strcmp(argv[1], "child"))
		return child(&me, argv[2], argv[3]);

	CHECK(first > 0);
	CHECK(me.stack_top != 0);
	CHECK(in_range(&me));
	char stack_arg[24], base_arg[24];
	snprintf(stack_arg, sizeof(stack_arg), "%lx", (unsigned long)me.stack_top);
	snprintf(base_arg, sizeof(base_arg), "%lx", (unsigned long)me.base);
	for (int i = 0; i < CHILDREN; i++) {
		char *cargv[] = {argv[0], "child", stack_arg, base_arg, NULL};
		int st = -1;
		long pid = sys2(SYS_spawn, (long)argv[0], (long)cargv);
		CHECK(pid > 0);
		CHECK_EQ(sys3(SYS_waitpid, pid, (long)&st, 0), pid);
		if (!WIFEXITED(st))
			printf("# child %d: wait status %#x\n", i, st);
		else if (WEXITSTATUS(st))
			printf("# child %d: exit %d (1 bad layout, 2 same stack, 4 same base, 8 bad placement)\n",
			       i, WEXITSTATUS(st));
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	CHECK(placement_ok(&me));
	return utest_result("aslr");
}
