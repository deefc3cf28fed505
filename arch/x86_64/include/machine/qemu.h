/* <machine/qemu.h>: the end of a run under QEMU (arch/x86_64/qemu.c). */
#ifndef MACHINE_QEMU_H
#define MACHINE_QEMU_H

#include <stdbool.h>

/*
 * End the run through QEMU's isa-debug-exit device (iobase 0xf4): QEMU exits with status 33 for a
 * pass and 35 for a failure. Without the device (real hardware), halts forever.
 */
__attribute__((noreturn)) void qemu_exit(bool pass);

#endif
