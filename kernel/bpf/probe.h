/*
 * Reading through a kernel pointer that may be bad: what BPF_PROBE_MEM and BPF_PROBE_MEMSX loads
 * (kernel/bpf/exec.h) are made of. A typed kernel pointer a program was handed may point at freed
 * or unmapped memory by the time it is read; such a read must give the program 0, never a fault.
 */
#ifndef KERNEL_BPF_PROBE_H
#define KERNEL_BPF_PROBE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copy n bytes from src to dst and return true, or return false when [src, src + n) may not be
 * readable (dst's contents are then unspecified). Never faults and never sleeps: callable from a
 * program run in any context.
 *
 * Kernel: a conservative range check, not a fault catcher. Only the direct map (always mapped:
 * it covers every physical page up to dmap_size) and the kernel image are read; any other address,
 * user addresses included, is refused even where it happens to be mapped.
 * Host builds (KESTREL_HOST): process_vm_readv on the calling process, which reports an unmapped
 * source as an error instead of faulting, so host tests can probe bad pointers.
 */
bool bpf_probe_read_nofault(void *dst, const void *src, size_t n);

#endif
