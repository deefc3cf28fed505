/*
 * Kestrel's vmlinux.h for BPF programs, in the place of the one bpftool dumps from a Linux kernel's
 * BTF: the kernel types of include/uapi/kestrel_btf_types.h and the BPF ABI of <linux/bpf.h>,
 * every record marked preserve_access_index so that clang emits CO-RE relocations for its field
 * accesses, which the loader resolves against the kernel's BTF (generated from the same header);
 * then what BPF C code expects vmlinux.h to define besides (bool, size_t). Define
 * BPF_NO_PRESERVE_ACCESS_INDEX before including it to get plain records, as with bpftool's.
 */
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#endif

#include "kestrel_btf_types.h"

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

typedef _Bool bool;
enum {
	false = 0,
	true = 1,
};
typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ssize_t;

#endif
