/*
 * Kestrel's bpf_experimental.h for BPF programs: the kfuncs Kestrel's kernel offers, declared as
 * `.ksyms` externs that the loader resolves to the kernel's BTF ids (BTF_KIND_FUNC by name), and
 * the macros Linux's BPF selftests use with them: bpf_for_each (libbpf 1.2's contract; Debian's
 * libbpf 1.1 lacks it), bpf_cmp_unlikely and bpf_cmp_likely.
 *
 * The kfunc prototypes here are also the kernel's: scripts/btf/vmlinux_btf.c defines each with
 * this declaration in scope (so the compiler refuses a mismatch), and the kernel's BTF records
 * them from there.
 */
#ifndef __KESTREL_BPF_EXPERIMENTAL_H__
#define __KESTREL_BPF_EXPERIMENTAL_H__

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/*
 * The open-coded task VMA iterator (Linux 6.7's contract). new: 0, or -EINVAL/-ENOENT/... with
 * the iterator then yielding nothing; it starts at the VMA that contains addr, or the first one
 * above it. next: the next VMA (a read-only snapshot, valid until the next call), or NULL at the
 * end. destroy: must be called on every path once new was, whatever new returned (the verifier
 * checks it); bpf_for_each below does it.
 */
extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task,
				 __u64 addr) __weak __ksym;
extern struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __weak __ksym;
extern void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __weak __ksym;

/*
 * bpf_for_each(type, cur, args...) { body }: for every element that the open-coded iterator
 * bpf_iter_<type> yields, cur = the element, then body. The iterator lives on the stack for the
 * loop's lifetime: bpf_iter_<type>_new(&it, args...) once before the first test,
 * bpf_iter_<type>_next(&it) before each pass (NULL ends the loop), and bpf_iter_<type>_destroy(&it)
 * when the loop is left in any way (break, return, the end), through the cleanup attribute.
 * The second declarator exists only to run _new in the for's declaration; naming _destroy in it
 * makes clang emit the BTF of _destroy, which it omits for a function used only by cleanup.
 */
#ifndef bpf_for_each
#define bpf_for_each(type, cur, args...)                                                \
	for (struct bpf_iter_##type __kestrel_iter                                      \
	     __attribute__((aligned(8), cleanup(bpf_iter_##type##_destroy))),           \
	     *__kestrel_iter_init                                                       \
	     __attribute__((unused)) = (bpf_iter_##type##_new(&__kestrel_iter, ##args), \
					(void)bpf_iter_##type##_destroy, (void *)0);    \
	     ((cur) = bpf_iter_##type##_next(&__kestrel_iter));)
#endif

/*
 * bpf_cmp_unlikely(LHS, OP, RHS) and bpf_cmp_likely(LHS, OP, RHS): the bool LHS OP RHS, computed
 * by one BPF conditional jump on LHS's register as written, so that the compiler cannot rewrite
 * the comparison into a form the verifier learns nothing from (clang likes to turn a bound check
 * into arithmetic on a copy). OP is one of == != < <= > >=; LHS must be an lvalue; the
 * comparison is signed when LHS's type is signed and OP is an ordering. Both give the same code;
 * the names say which outcome the program expects, as Linux's do.
 *
 * Linux's macros jump with `asm goto`; clang 14 refuses an asm goto in a function that also has a
 * cleanup variable in an inner scope (bpf_for_each's iterator), so here the jump stays inside one
 * asm statement and sets the result: the verifier walks its two outcomes as two paths, LHS's
 * bounds narrowed on the one where the result is true, and the program's own test of the result
 * follows each path's constant.
 */
#define __kestrel_is_signed(x) (((typeof(x))-1) < (typeof(x))0)
#define __kestrel_op_unsigned(OP) \
	(__builtin_strcmp(#OP, "==") == 0 || __builtin_strcmp(#OP, "!=") == 0)

/* "lhs JOP rhs" (JOP the BPF spelling) by one jump: 1 if taken, else 0. */
#define __kestrel_cmp_asm(lhs, JOP, rhs)                                            \
	({                                                                          \
		unsigned long long __kestrel_r;                                     \
		asm volatile("%[res] = 1; if %[l] " JOP " %[r] goto +1; %[res] = 0" \
			     : [res] "=&r"(__kestrel_r)                             \
			     : [l] "r"(lhs), [r] "r"(rhs));                         \
		(bool)__kestrel_r;                                                  \
	})

/*
 * LHS OP RHS by one jump. Both arms of the ?: are compiled but the condition is a constant, so
 * -O2 (the only way BPF code is built) drops the dead one before its asm reaches the assembler.
 */
#define __kestrel_cmp(LHS, OP, RHS)                                                              \
	({                                                                                       \
		_Static_assert(sizeof(&(LHS)), "bpf_cmp: the first argument must be an lvalue"); \
		typeof(LHS) __kestrel_l = (LHS);                                                 \
		typeof(RHS) __kestrel_rv = (RHS);                                                \
		(void)(__kestrel_l OP __kestrel_rv); /* the C types must compare as written */   \
		__kestrel_is_signed(__kestrel_l) && !__kestrel_op_unsigned(OP)                   \
			? __kestrel_cmp_asm((long long)__kestrel_l, "s" #OP,                     \
					    (long long)__kestrel_rv)                             \
			: __kestrel_cmp_asm((unsigned long long)__kestrel_l, #OP,                \
					    (unsigned long long)__kestrel_rv);                   \
	})

#ifndef bpf_cmp_unlikely
#define bpf_cmp_unlikely(LHS, OP, RHS) __kestrel_cmp(LHS, OP, RHS)
#endif

#ifndef bpf_cmp_likely
#define bpf_cmp_likely(LHS, OP, RHS)                                 \
	({                                                           \
		bool __kestrel_lr;                                   \
		if (__builtin_strcmp(#OP, "==") == 0)                \
			__kestrel_lr = !__kestrel_cmp(LHS, !=, RHS); \
		else if (__builtin_strcmp(#OP, "!=") == 0)           \
			__kestrel_lr = !__kestrel_cmp(LHS, ==, RHS); \
		else if (__builtin_strcmp(#OP, "<") == 0)            \
			__kestrel_lr = !__kestrel_cmp(LHS, >=, RHS); \
		else if (__builtin_strcmp(#OP, "<=") == 0)           \
			__kestrel_lr = !__kestrel_cmp(LHS, >, RHS);  \
		else if (__builtin_strcmp(#OP, ">") == 0)            \
			__kestrel_lr = !__kestrel_cmp(LHS, <=, RHS); \
		else                                                 \
			__kestrel_lr = !__kestrel_cmp(LHS, <, RHS);  \
		__kestrel_lr;                                        \
	})
#endif

#endif
