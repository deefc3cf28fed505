/*
 * Kestrel's bpf_misc.h: the annotations Linux's BPF selftests put on their programs, so that such
 * programs compile unchanged. Linux's test runner reads them from the object's BTF decl tags;
 * Kestrel's tests state their expectations in C instead, so here they are no-ops.
 */
#ifndef __BPF_MISC_H__
#define __BPF_MISC_H__

#define __msg(msg)
#define __regex(regex)
#define __xlated(msg)
#define __jited(msg)
#define __failure
#define __success
#define __description(desc)
#define __log_level(level)
#define __flag(flag)
#define __retval(val)
#define __auxiliary
#define __arch_x86_64
#define __naked __attribute__((naked))
#define __clobber_all
#define __clobber_common "r0", "r1", "r2", "r3", "r4", "r5", "memory"

#endif
