/* The map listing as `vmmap` prints it (user/vmmap_print.c), shared by vmmap and demo. */
#ifndef _VMMAP_H
#define _VMMAP_H

/*
 * Prints task pid's map (0: the caller) to fd 1 in the style of FreeBSD's `procstat -v`: a header
 * line, then one line per map entry:
 *
 *     PID              START                END PRT      RES  SPR FLAGS
 *      7           0x400000           0x402000 r-x        2    0 ---I
 *
 * PRT is the protection now in effect (r, w, x or -), RES resident 4 KiB pages, SPR resident
 * 2 MiB pages, FLAGS G (guard), S (stack), A (anonymous), I (program image), - when clear.
 * Returns the number of entries printed, or -1 with errno (vm_map_list's errors).
 */
int vmmap_print(int pid);

#endif
