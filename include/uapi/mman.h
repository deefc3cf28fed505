/* mmap/mprotect flags, with FreeBSD's names and values (mmap(2)). */
#ifndef UAPI_MMAN_H
#define UAPI_MMAN_H

#define PROT_NONE 0x0
#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4

#define MAP_SHARED 0x0001
#define MAP_PRIVATE 0x0002
#define MAP_FIXED 0x0010
#define MAP_ANON 0x1000
#define MAP_ANONYMOUS MAP_ANON
#define MAP_GUARD 0x00002000 /* reserve address space; PROT_NONE only, any access faults */
#define MAP_EXCL 0x00004000  /* with MAP_FIXED: fail with EEXIST instead of replacing */

#define MAP_ALIGNMENT_SHIFT 24
#define MAP_ALIGNMENT_MASK (0xffu << MAP_ALIGNMENT_SHIFT)
#define MAP_ALIGNED(n) ((unsigned)(n) << MAP_ALIGNMENT_SHIFT) /* 2^n alignment, 12 <= n <= 47 */
#define MAP_ALIGNED_SUPER MAP_ALIGNED(1)                        /* 2 MiB superpage alignment */

#define MAP_FAILED ((void *)-1)

#endif
