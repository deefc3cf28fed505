/*
 * The heap under malloc; its layout and invariants are in user/uheap.h. Only <string.h> from
 * outside (memcpy), so host tests can compile this file against the C library's.
 */
#include <stdbool.h>
#include <string.h>

#include "uheap.h"

/* Chunk tags: unlikely byte patterns, so that freeing a wild pointer is usually caught. */
#define UHEAP_TAG_USED 0x75686561705573edull
#define UHEAP_TAG_FREE 0x7568656170467265ull
#define UHEAP_TAG_LARGE 0x756865617041726full

#define UHEAP_HDR offsetof(struct uheap_chunk, next)
_Static_assert(UHEAP_HDR == UHEAP_ALIGN, "the payload must stay 16-byte aligned");
_Static_assert(sizeof(struct uheap_arena) == UHEAP_ALIGN, "arena chunks must be 16-byte aligned");

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) & ~(to - 1);
}

static struct uheap_chunk *chunk_of(const void *p)
{
	return (struct uheap_chunk *)((uintptr_t)p - UHEAP_HDR);
}

static void *payload_of(struct uheap_chunk *c)
{
	return (char *)c + UHEAP_HDR;
}

static struct uheap_chunk *chunk_end(struct uheap_chunk *c)
{
	return (struct uheap_chunk *)((char *)c + c->size);
}

/* Puts arena chunk c on the free list, merging it with a FREE neighbour on either side. */
static void insert_free(struct uheap *h, struct uheap_chunk *c)
{
	struct uheap_chunk **link = &h->free_list, *prev = NULL, *next;

	while (*link && *link < c) {
		prev = *link;
		link = &prev->next;
	}
	next = *link;
	c->tag = UHEAP_TAG_FREE;
	c->next = next;
	*link = c;
	/* Adjacent in memory means the same arena: an arena begins with its header, not a chunk. */
	if (next && chunk_end(c) == next) {
		c->size += next->size;
		c->next = next->next;
		next->tag = 0;
	}
	if (prev && chunk_end(prev) == c) {
		prev->size += c->size;
		prev->next = c->next;
		c->tag = 0;
	}
}

static bool grow(struct uheap *h)
{
	struct uheap_arena *a = h->map(UHEAP_ARENA_SIZE);
	struct uheap_chunk *c;

	if (!a)
		return false;
	a->size = UHEAP_ARENA_SIZE;
	a->next = h->arenas;
	h->arenas = a;
	c = (struct uheap_chunk *)(a + 1);
	c->size = UHEAP_ARENA_SIZE - sizeof(*a);
	insert_free(h, c);
	return true;
}

static void *alloc_large(struct uheap *h, size_t n)
{
	size_t len = round_up(n + UHEAP_HDR, UHEAP_PAGE);
	struct uheap_chunk *c = h->map(len);

	if (!c)
		return NULL;
	c->size = len;
	c->tag = UHEAP_TAG_LARGE;
	h->large++;
	return payload_of(c);
}

void *uheap_alloc(struct uheap *h, size_t n)
{
	size_t need;

	/* Beyond this, the rounding below would overflow; no address space holds it anyway. */
	if (n > SIZE_MAX / 2)
		return NULL;
	if (n >= UHEAP_LARGE)
		return alloc_large(h, n);
	need = round_up(n + UHEAP_HDR, UHEAP_ALIGN);
	if (need < UHEAP_MIN_CHUNK)
		need = UHEAP_MIN_CHUNK;

	for (;;) {
		for (struct uheap_chunk **link = &h->free_list, *c; (c = *link); link = &c->next) {
			if (c->size < need)
				continue;
			if (c->size - need >= UHEAP_MIN_CHUNK) {
				struct uheap_chunk *rest = (struct uheap_chunk *)((char *)c + need);

				rest->size = c->size - need;
				rest->tag = UHEAP_TAG_FREE;
				rest->next = c->next;
				*link = rest;
				c->size = need;
			} else {
				*link = c->next;
			}
			c->tag = UHEAP_TAG_USED;
			return payload_of(c);
		}
		if (!grow(h))
			return NULL;
	}
}

int uheap_free(struct uheap *h, void *p)
{
	struct uheap_chunk *c;

	if (!p)
		return 0;
	if (!uheap_usable_size(p))
		return -1;
	c = chunk_of(p);
	if (c->tag == UHEAP_TAG_LARGE) {
		c->tag = 0;
		h->large--;
		h->unmap(c, c->size);
		return 0;
	}
	insert_free(h, c);
	return 0;
}

size_t uheap_usable_size(const void *p)
{
	const struct uheap_chunk *c = chunk_of(p);

	if ((uintptr_t)p % UHEAP_ALIGN)
		return 0;
	if (c->tag != UHEAP_TAG_USED && c->tag != UHEAP_TAG_LARGE)
		return 0;
	return c->size - UHEAP_HDR;
}

void *uheap_realloc(struct uheap *h, void *p, size_t n)
{
	size_t have;
	void *q;

	if (!p)
		return uheap_alloc(h, n);
	have = uheap_usable_size(p);
	if (n <= have)
		return p;
	q = uheap_alloc(h, n);
	if (!q)
		return NULL;
	memcpy(q, p, have);
	uheap_free(h, p);
	return q;
}

/* The arena of h at the lowest address above `above` (NULL: the lowest of all), or NULL. */
static const struct uheap_arena *arena_after(const struct uheap *h, const struct uheap_arena *above)
{
	const struct uheap_arena *best = NULL;

	for (const struct uheap_arena *a = h->arenas; a; a = a->next)
		if ((!above || a > above) && (!best || a < best))
			best = a;
	return best;
}

const char *uheap_check(const struct uheap *h, struct uheap_stats *st)
{
	struct uheap_stats s = {.large = h->large};
	/* Walking arenas in address order meets the FREE chunks in free-list order. */
	const struct uheap_chunk *want = h->free_list;

	for (const struct uheap_arena *a = arena_after(h, NULL); a; a = arena_after(h, a)) {
		const char *end = (const char *)a + a->size;
		const struct uheap_chunk *c = (const struct uheap_chunk *)(a + 1);
		bool prev_free = false;

		if ((uintptr_t)a % UHEAP_PAGE || a->size % UHEAP_PAGE)
			return "arena not page aligned";
		s.arenas++;
		while ((const char *)c < end) {
			if (c->size < UHEAP_MIN_CHUNK || c->size % UHEAP_ALIGN ||
			    c->size > (size_t)(end - (const char *)c))
				return "chunk size out of range: the chunks do not tile the arena";
			if (c->tag == UHEAP_TAG_FREE) {
				if (prev_free)
					return "two adjacent free chunks (not coalesced)";
				if (!want)
					return "a FREE chunk is missing from the free list";
				if (c != want)
					return "free list is not the FREE chunks in ascending order";
				want = want->next;
				s.free_chunks++;
				s.free_bytes += c->size;
			} else if (c->tag == UHEAP_TAG_USED) {
				s.used_chunks++;
			} else {
				return "arena chunk tagged neither USED nor FREE";
			}
			prev_free = c->tag == UHEAP_TAG_FREE;
			c = (const struct uheap_chunk *)((const char *)c + c->size);
		}
	}
	if (want)
		return "free-list entry that is not a FREE chunk (a stray, a cycle or a duplicate)";
	if (st)
		*st = s;
	return NULL;
}
