/*
 * The heap under malloc (user/malloc.c): first fit over an address-ordered free list, in arenas
 * taken from a page source. It calls no system call itself (the page source does), so host tests
 * compile user/uheap.c as it is and drive it with a fake page source.
 *
 * Layout. Every block is a chunk: a 16-byte header, then the caller's bytes (16-byte aligned).
 *   - small requests (below UHEAP_LARGE) are carved from arenas of UHEAP_ARENA_SIZE bytes: an
 *     arena header, then chunks that tile the rest of the arena exactly;
 *   - large requests get a mapping of their own (one chunk spanning it), unmapped when freed.
 *
 * Invariants (uheap_check verifies them):
 *   - each arena is tiled by its chunks: each chunk's size is a multiple of 16, at least
 *     UHEAP_MIN_CHUNK, and the last one ends exactly at the arena's end;
 *   - an arena chunk is tagged USED or FREE; the free list holds exactly the FREE chunks, in
 *     strictly ascending address order;
 *   - no two FREE chunks are adjacent (free coalesces with both neighbours);
 *   - a large chunk is tagged LARGE and its size is the length of its mapping.
 * Arenas are never returned to the page source: small-block memory is reused, not given back.
 */
#ifndef USER_UHEAP_H
#define USER_UHEAP_H

#include <stddef.h>
#include <stdint.h>

#define UHEAP_ALIGN 16
#define UHEAP_PAGE 4096
#define UHEAP_ARENA_SIZE (256 * 1024)
#define UHEAP_LARGE (64 * 1024) /* requests of at least this many bytes are mapped alone */
#define UHEAP_MIN_CHUNK 32      /* header + room for the free-list link */

struct uheap_chunk {
	size_t size;              /* bytes, header included */
	uint64_t tag;             /* UHEAP_TAG_* in uheap.c */
	struct uheap_chunk *next; /* FREE chunks only (the first bytes of the caller's area) */
};

struct uheap_arena {
	struct uheap_arena *next;
	size_t size; /* bytes, header included */
};

struct uheap {
	/* Returns len bytes (a multiple of UHEAP_PAGE) of page-aligned memory, or NULL. */
	void *(*map)(size_t len);
	/* Gives back a range map returned, whole. */
	void (*unmap)(void *p, size_t len);
	struct uheap_chunk *free_list; /* FREE chunks, ascending */
	struct uheap_arena *arenas;    /* newest first */
	size_t large;                  /* large chunks allocated and not freed */
};

/* What uheap_check saw, for tests. */
struct uheap_stats {
	size_t arenas;
	size_t used_chunks; /* in arenas */
	size_t free_chunks;
	size_t free_bytes; /* in FREE chunks, headers included */
	size_t large;
};

/*
 * A block of at least n bytes, 16-byte aligned (n 0 gives a unique minimal block); NULL if the
 * page source fails or n is absurdly large.
 */
void *uheap_alloc(struct uheap *h, size_t n);
/* Frees p (NULL: nothing). Returns 0, or -1 if p is not a live block of h (nothing changed). */
int uheap_free(struct uheap *h, void *p);
/* The bytes usable at p, a live block; 0 if p does not look like a live block. */
size_t uheap_usable_size(const void *p);
/*
 * Resizes live block p (NULL: as uheap_alloc) to at least n bytes, keeping the first
 * min(n, old size) bytes: in place if it fits, else by moving. NULL if out of memory, and p is
 * then untouched.
 */
void *uheap_realloc(struct uheap *h, void *p, size_t n);
/*
 * Checks the invariants above. Returns NULL if they hold, else a description of the first
 * violation. Fills *st (if not NULL) with counts.
 */
const char *uheap_check(const struct uheap *h, struct uheap_stats *st);

#endif
