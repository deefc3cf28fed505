/*
 * bpf_for_each_map_elem from BPF programs loaded through the skeleton of
 * tests/bpf/libbpf_foreach.bpf.c: over all six map types, from a SYSCALL and a SCHED_CLS program,
 * the count it returns, the order of the keys (index order for arrays, get_next_key order for
 * hashes), the values (this CPU's for per-CPU maps), stopping early, deleting the visited key
 * during the walk, and a for_each nested in the callback. A callback that writes its key is
 * refused at load, with the verifier's log printed. Everything is closed at the end with no
 * program or map left in the kernel.
 */
#include <stdlib.h>

#include "libbpf_foreach.skel.h"
#include "libbpf_util.h"

#define NMAPS 6
#define MAX_ENTRIES 8

static const char *const map_names[NMAPS] = {"array",       "hash",     "percpu_array",
					     "percpu_hash", "lru_hash", "lru_percpu_hash"};

static bool is_array(int m)
{
	return m == 0 || m == 2;
}

static bool is_percpu(int m)
{
	return m == 2 || m == 3 || m == 5;
}

/* The value key k holds on CPU c. */
static uint64_t value_of(uint32_t k, int c)
{
	return 100 * (uint64_t)(k + 1) + (uint64_t)c;
}

/* Fills map m: arrays every index, hashes keys 3, 1, 4, 6, 5 (in that order). */
static int fill(struct libbpf_foreach *skel, int m)
{
	static const uint32_t hash_keys[] = {3, 1, 4, 6, 5};
	int ncpus = libbpf_num_possible_cpus();
	uint64_t vals[64];
	struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, map_names[m]);
	int n = is_array(m) ? MAX_ENTRIES : 5;

	CHECK(map != NULL && ncpus >= 1 && ncpus <= 64);
	for (int i = 0; i < n; i++) {
		uint32_t k = is_array(m) ? (uint32_t)i : hash_keys[i];
		for (int c = 0; c < ncpus; c++)
			vals[c] = value_of(k, c);
		size_t vsz = is_percpu(m) ? (size_t)ncpus * sizeof(uint64_t) : sizeof(uint64_t);
		CHECK_EQ(bpf_map__update_elem(map, &k, sizeof(k), vals, vsz, BPF_ANY), 0);
	}
	return n;
}

/*
 * A per-CPU lookup writes exactly libbpf_num_possible_cpus() values, each CPU's own: the library
 * and the kernel agree on the count (a canary after them stays, each one is what fill stored).
 */
static void check_percpu_values(struct libbpf_foreach *skel, int m)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t vals[65];
	uint32_t k = 3;

	for (int c = 0; c <= ncpus; c++)
		vals[c] = 0xa5a5a5a5a5a5a5a5ull;
	CHECK_EQ(bpf_map_lookup_elem(
			 bpf_map__fd(bpf_object__find_map_by_name(skel->obj, map_names[m])), &k,
			 vals),
		 0);
	for (int c = 0; c < ncpus; c++)
		CHECK_EQ(vals[c], value_of(k, c));
	CHECK_EQ(vals[ncpus], 0xa5a5a5a5a5a5a5a5ull);
}

/* The keys of map m in get_next_key order: the order the walk must follow. */
static int keys_of(struct libbpf_foreach *skel, int m, uint32_t *keys)
{
	int fd = bpf_map__fd(bpf_object__find_map_by_name(skel->obj, map_names[m]));
	uint32_t k, *prev = NULL;
	int n = 0;

	while (n < MAX_ENTRIES && !bpf_map_get_next_key(fd, prev, &k)) {
		keys[n] = k;
		prev = &keys[n++];
	}
	return n;
}

static long run(struct libbpf_foreach *skel, bool tc)
{
	long r = tc ? run_tc(skel->progs.walk_tc) : run_syscall(skel->progs.walk_syscall);

	CHECK_EQ(r, 0);
	return skel->bss->result;
}

static void test_walks(struct libbpf_foreach *skel, int m, bool tc)
{
	uint32_t keys[MAX_ENTRIES];
	int n = fill(skel, m);

	CHECK_EQ(keys_of(skel, m, keys), n);
	if (is_percpu(m))
		check_percpu_values(skel, m);
	skel->bss->which = m;
	skel->bss->nest = 0;
	skel->data->stop_key = ~0u;
	skel->data->delete_key = ~0u;

	/* The whole map, in order, each value once (this CPU's for per-CPU maps). */
	CHECK_EQ(run(skel, tc), n);
	CHECK_EQ(skel->bss->nseen, n);
	uint64_t want = 0;
	for (int i = 0; i < n; i++) {
		CHECK_EQ(skel->bss->seen[i], keys[i]);
		want += value_of(keys[i], is_percpu(m) ? (int)skel->bss->cpu : 0);
	}
	CHECK_EQ(skel->bss->sum, want);

	/* Stopping at the third key: three callbacks, the stopping one counted. */
	skel->data->stop_key = keys[2];
	CHECK_EQ(run(skel, tc), 3);
	CHECK_EQ(skel->bss->nseen, 3);
	skel->data->stop_key = ~0u;

	/* A for_each inside the callback: the inner walk runs once per outer element. */
	skel->bss->nest = 1;
	CHECK_EQ(run(skel, tc), n);
	CHECK_EQ(skel->bss->nested_calls, n * MAX_ENTRIES);
	skel->bss->nest = 0;

	/* Deleting the visited key: the walk goes on; hashes lose it, arrays cannot (EINVAL). */
	skel->data->delete_key = keys[1];
	CHECK_EQ(run(skel, tc), n);
	CHECK_EQ(skel->bss->nseen, n);
	uint64_t v[64];
	int fd = bpf_map__fd(bpf_object__find_map_by_name(skel->obj, map_names[m]));
	if (is_array(m)) {
		CHECK_EQ(skel->bss->delete_result, -EINVAL);
		CHECK_EQ(bpf_map_lookup_elem(fd, &keys[1], v), 0);
	} else {
		CHECK_EQ(skel->bss->delete_result, 0);
		CHECK_EQ(bpf_map_lookup_elem(fd, &keys[1], v), -ENOENT);
		CHECK_EQ(run(skel, tc), n - 1); /* and the next walk does not see it */
	}
	skel->data->delete_key = ~0u;
}

static void test_write_key_refused(void)
{
	struct libbpf_foreach *skel = libbpf_foreach__open();

	CHECK(skel != NULL);
	if (!skel)
		return;
	CHECK_EQ(bpf_program__set_autoload(skel->progs.bad_write_key, true), 0);
	capture_begin();
	int r = libbpf_foreach__load(skel);
	capture_end();
	CHECK_EQ(r, -EACCES);
	CHECK_EQ(errno, EACCES);
	/* The message names the program, and the verifier's log follows it. */
	CHECK(captured("prog 'bad_write_key': BPF program load failed"));
	CHECK(captured("BEGIN PROG LOAD LOG"));
	CHECK(captured("key"));
	if (utest_failures)
		capture_show();
	CHECK_EQ(bpf_program__fd(skel->progs.bad_write_key), -ENOENT);
	CHECK_EQ(bpf_program__fd(skel->progs.walk_syscall),
		 -ENOENT); /* a failed load keeps nothing */
	libbpf_foreach__destroy(skel);
}

int main(void)
{
	int progs = count_progs(), maps = count_maps();
	struct libbpf_foreach *skel = libbpf_foreach__open_and_load();

	CHECK(skel != NULL);
	if (!skel)
		return utest_result("libbpf_foreach");
	CHECK(bpf_program__fd(skel->progs.walk_syscall) >= 0);
	CHECK(bpf_program__fd(skel->progs.walk_tc) >= 0);
	CHECK(!bpf_program__autoload(skel->progs.bad_write_key));
	CHECK_EQ(bpf_program__fd(skel->progs.bad_write_key), -ENOENT);
	/* Nothing to attach for syscall and tc programs: attach succeeds and makes no link. */
	CHECK_EQ(libbpf_foreach__attach(skel), 0);
	CHECK(skel->links.walk_syscall == NULL);
	capture_begin();
	CHECK(bpf_program__attach(skel->progs.walk_syscall) == NULL);
	CHECK_EQ(errno, EOPNOTSUPP);
	capture_end();
	CHECK(captured("prog 'walk_syscall': section 'syscall' has nothing to attach to"));

	for (int m = 0; m < NMAPS; m++)
		for (int tc = 0; tc < 2; tc++)
			test_walks(skel, m, tc);
	libbpf_foreach__destroy(skel);

	test_write_key_refused();

	CHECK_EQ(count_progs(), progs);
	CHECK_EQ(count_maps(), maps);
	return utest_result("libbpf_foreach");
}
