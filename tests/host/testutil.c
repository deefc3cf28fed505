/* Helpers shared by the host tests and the benchmarks; contracts in tests/host/testutil.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mm/kmem.h"
#include "mm/pmm.h"
#include "tests/host/testutil.h"

uint64_t test_rng_seed(const char *env_name, uint64_t fallback)
{
	const char *s = getenv(env_name);
	uint64_t seed = s ? strtoull(s, NULL, 0) : fallback;
	printf("# seed 0x%llx (%s=0x%llx replays this run)\n", (unsigned long long)seed, env_name,
	       (unsigned long long)seed);
	fflush(stdout);
	return seed;
}

void test_rng_init(struct test_rng *r, uint64_t seed)
{
	r->s = seed ? seed : 1;
}

uint64_t test_rng_next(struct test_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

uint64_t test_rng_below(struct test_rng *r, uint64_t n)
{
	return n ? test_rng_next(r) % n : 0;
}

double test_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool test_dies_with(void (*fn)(void), const char *needle, char *out, size_t outsz)
{
	int fds[2];
	if (pipe(fds))
		return false;
	/* Whatever is buffered would otherwise be written twice, once by the child. */
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		fn();
		_exit(0);
	}
	close(fds[1]);
	size_t len = 0;
	ssize_t r;
	while (len < outsz - 1 && (r = read(fds[0], out + len, outsz - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = 0;
	/* Drain the rest, so that a long report cannot block the child on a full pipe. */
	while (read(fds[0], &(char){0}, 1) > 0)
		;
	close(fds[0]);
	int status;
	waitpid(pid, &status, 0);
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0) && strstr(out, needle);
}

size_t free_frames_after_reap(void)
{
	kmem_reap();
	return pmm_free_count();
}

void test_take_all_frames(struct test_hoard *h)
{
	for (int k = PMM_MAX_ORDER; k >= 0; k--) {
		vm_page_t p;
		h->counts[k] = 0;
		while (h->counts[k] < 512 && (p = pmm_alloc_order((unsigned)k, 0)))
			h->pages[k][h->counts[k]++] = p;
	}
}

void test_give_back_frames(struct test_hoard *h)
{
	for (int k = 0; k <= PMM_MAX_ORDER; k++)
		while (h->counts[k])
			pmm_free(h->pages[k][--h->counts[k]]);
}
