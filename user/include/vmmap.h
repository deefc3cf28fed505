/* The map listing as `vmmap` prints it (user/vmmap_print.c), shared by vmmap and demo. */
#ifndef _VMMAP_H
#define _VMMAP_H

/*
 * Prints task pid's map (0: the caller) to fd 1 in the style of FreeBSD's `procstat -v`: a header
 * line, then one line per map entry:
 *
 *     PID              START                END PRT MAX      RES  SPR INH   W FLAGS
 *      7           0x400000           0x402000 r-x r-x        2    0 copy  0 ---I
 *
 * PRT is the protection now in effect (r, w, x or -), MAX the most mprotect may give, RES
 * resident 4 KiB pages, SPR resident 2 MiB pages, INH the inheritance minherit set (share, copy,
 * none, zero), W the entry's wired count (1 once mlock or mlockall wired it), FLAGS G (guard), S
 * (stack), A (anonymous), I (program image), - when clear.
 * Returns the number of entries printed, or -1 with errno (vm_map_list's errors).
 */
int vmmap_print(int pid);

#endif
