/* The LRU list's checker (kernel/bpf/lru.h). */
#include "kernel/bpf/lru.h"

const char *bpf_lru_check(const struct bpf_lru_node *head, size_t count)
{
	size_t n = 0;
	const struct bpf_lru_node *p = head;

	do {
		if (!p->next || !p->prev)
			return "LRU node with a missing link";
		if (p->next->prev != p || p->prev->next != p)
			return "LRU links not symmetric";
		p = p->next;
		if (p != head && ++n > count)
			return "LRU list longer than the map's element count";
	} while (p != head);
	return n == count ? NULL : "LRU list shorter than the map's element count";
}
