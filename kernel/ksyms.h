#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include <stdint.h>

/*
 * The name of the kernel function containing addr, with addr's offset into it; NULL if addr is not
 * in kernel text. The table is built into the image at link time (scripts/gensyms.sh).
 */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

#endif
