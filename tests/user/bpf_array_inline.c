/*
 * bpf_map_lookup_elem on arrays from a program (tests/bpf/array_inline.bpf.c), which the JIT
 * compiles inline (Linux's map_gen_lookup; with bpf.jit=0 the interpreter calls the helper and
 * must agree): keys below the bound find their own element (reads and writes through the
 * pointer land in it, for 8-byte values and for 12-byte values 16 bytes apart), the bound itself,
 * past it and 0xffffffff find nothing.
 */
#include "array_inline.skel.h"
#include "libbpf_util.h"

struct wide {
	__u32 a, b, c;
};

int main(void)
{
	int progs = count_progs(), maps = count_maps();
	struct array_inline *skel = array_inline__open_and_load();

	CHECK(skel != NULL);
	if (!skel)
		return utest_result("bpf_array_inline");
	int nfd = bpf_map__fd(skel->maps.narrow), wfd = bpf_map__fd(skel->maps.wide);
	for (__u32 k = 0; k < 5; k++) {
		__u64 v = 1000 + k;
		struct wide w = {k, 0, 2000 + k};
		if (k < 4)
			CHECK_EQ(bpf_map_update_elem(nfd, &k, &v, BPF_ANY), 0);
		CHECK_EQ(bpf_map_update_elem(wfd, &k, &w, BPF_ANY), 0);
	}
	CHECK_EQ(run_syscall(skel->progs.lookups), 0);

	/* keys 0, 3, 4, 5, 0xffffffff, 2: narrow has 4 elements, wide 5 */
	static const long want_narrow[6] = {1, 1, 0, 0, 0, 1}, want_wide[6] = {1, 1, 1, 0, 0, 1};
	for (int i = 0; i < 6; i++) {
		__u32 k = skel->data->keys[i];
		CHECK_EQ(skel->bss->found_narrow[i], want_narrow[i]);
		CHECK_EQ(skel->bss->found_wide[i], want_wide[i]);
		if (want_narrow[i])
			CHECK_EQ(skel->bss->seen_narrow[i], 1000 + k);
		if (want_wide[i])
			CHECK_EQ(skel->bss->seen_wide[i], 2000 + k);
	}
	for (__u32 k = 0; k < 5; k++) {
		__u64 v = 0;
		struct wide w = {0};
		if (k < 4) {
			CHECK_EQ(bpf_map_lookup_elem(nfd, &k, &v), 0);
			CHECK_EQ(v, k == 1 ? 1001u : 1100u + k); /* key 1 was never looked up */
		}
		CHECK_EQ(bpf_map_lookup_elem(wfd, &k, &w), 0);
		CHECK_EQ(w.a, k);
		CHECK_EQ(w.b, k == 1 ? 0u : k + 7);
		CHECK_EQ(w.c, 2000 + k);
	}
	array_inline__destroy(skel);
	CHECK_EQ(count_progs(), progs);
	CHECK_EQ(count_maps(), maps);
	return utest_result("bpf_array_inline");
}
