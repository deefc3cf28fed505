/*
 * The use order of an LRU hash map (hashtab.c): one exact least-recently-used list per map, a
 * circular doubly linked list through a sentinel. head.next is the most recently used node,
 * head.prev the least recently used, which is the one an insert into a full map evicts.
 *
 * Kestrel's choice, unlike Linux's approximate per-CPU lists with reference bits: every "use"
 * moves the node to the front at once, so the eviction order is exactly the reverse order of last
 * use, which the tests check. The price is a write to shared list pointers on every use, under
 * the map's lock (which every operation takes anyway).
 *
 * Invariants: following next from the sentinel visits every node once and returns to it; for
 * every node n, n->next->prev == n and n->prev->next == n. The caller (the map) holds its lock for
 * every call.
 */
#ifndef KERNEL_BPF_LRU_H
#define KERNEL_BPF_LRU_H

#include <stddef.h>

struct bpf_lru_node {
	struct bpf_lru_node *prev, *next;
};

/* An empty list. */
static inline void bpf_lru_init(struct bpf_lru_node *head)
{
	head->prev = head->next = head;
}

/* Put n, which is on no list, at the front (most recently used). */
static inline void bpf_lru_push(struct bpf_lru_node *head, struct bpf_lru_node *n)
{
	n->prev = head;
	n->next = head->next;
	head->next->prev = n;
	head->next = n;
}

/* Take n off its list. */
static inline void bpf_lru_remove(struct bpf_lru_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = NULL;
}

/* n was used: move it to the front. */
static inline void bpf_lru_touch(struct bpf_lru_node *head, struct bpf_lru_node *n)
{
	if (head->next == n)
		return;
	bpf_lru_remove(n);
	bpf_lru_push(head, n);
}

/* The least recently used node, or NULL if the list is empty. */
static inline struct bpf_lru_node *bpf_lru_oldest(struct bpf_lru_node *head)
{
	return head->prev == head ? NULL : head->prev;
}

/*
 * Check the invariants, and that the list holds exactly count nodes (it stops after count + 1,
 * so a corrupted, cyclic list ends the walk too). NULL, or what is broken.
 */
const char *bpf_lru_check(const struct bpf_lru_node *head, size_t count);

#endif
