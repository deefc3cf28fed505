/*
 * memset and memcpy for x86_64 (contracts in kernel/string.h, which has the portable rest: memmove
 * calls memcpy when the ranges allow).
 */
#include "kernel/string.h"

#include <stdint.h>

/*
 * memset and memcpy move 8 bytes an iteration, then the last 0-7 bytes as at most one 4-, one 2-
 * and one 1-byte string instruction: under QEMU's TCG every iteration of a rep instruction costs
 * about as much as a short instruction sequence (real CPUs run rep movsb/stosb as fast), and
 * bpf(2) and the BPF helpers copy many small records. Unaligned quadwords are as correct.
 */
#define STRING_TAIL(op)                                                                  \
	"testb $4, %b[n]\n\tjz 1f\n\t" op "l\n1:\ttestb $2, %b[n]\n\tjz 2f\n\t" op "w\n" \
	"2:\ttestb $1, %b[n]\n\tjz 3f\n\t" op "b\n3:"

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	uint64_t v = (uint8_t)c * 0x0101010101010101ull;
	size_t quads = n / 8;

	__asm__ volatile("rep stosq\n\t" STRING_TAIL("stos")
			 : "+D"(d), "+c"(quads)
			 : "a"(v), [n] "q"(n)
			 : "memory", "cc");
	return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *ret = dst;
	size_t quads = n / 8;

	__asm__ volatile("rep movsq\n\t" STRING_TAIL("movs")
			 : "+D"(dst), "+S"(src), "+c"(quads)
			 : [n] "q"(n)
			 : "memory", "cc");
	return ret;
}
