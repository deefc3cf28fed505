/* Host tests of the kernel heap (mm/kmem.c): caches, kmalloc, poisoning, reaping, misuse. */
#include <string.h>

#include "kernel/ktest.h"
#include "mm/kmem.h"
#include "mm/memlayout.h"
#include "mm/pmm.h"
#include "tests/host/shim.h"
#include "tests/host/testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define HAVE_ASAN 1
#else
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define HAVE_ASAN 0
#endif

#define CHECK_KMEM()                                     \
	do {                                             \
		const char *err_ = kmem_check();         \
		if (err_)                                \
			KT_FAIL("kmem_check: %s", err_); \
	} while (0)

/* Free frames once every empty slab is back in pmm: the figure a leak shows up in. */
static size_t settled_free(void)
{
	kmem_reap();
	return pmm_free_count();
}

static bool all_bytes(const void *p, int c, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != (unsigned char)c)
			return false;
	return true;
}

/* Read a freed (ASan-poisoned) object's bytes without tripping ASan, then poison it again. */
static bool freed_bytes_are(void *p, int c, size_t n)
{
	ASAN_UNPOISON_MEMORY_REGION(p, n);
	bool ok = all_bytes(p, c, n);
	ASAN_POISON_MEMORY_REGION(p, n);
	return ok;
}

KTEST(kmem, kmalloc_sizes_alignment_and_fill)
{
	size_t base = settled_free();
	static const size_t sizes[] = {1,    2,    7,    8,     9,     15,    16,    17,
				       31,   32,   33,   63,    64,    65,    100,   127,
				       128,  129,  255,  256,   257,   511,   512,   513,
				       1000, 1023, 1024, 1025,  2047,  2048,  2049,  4095,
				       4096, 4097, 8192, 12000, 16384, 32768, 65535, 65536};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		unsigned char *p = kmalloc(n);
		ASSERT_NONNULL(p);
		EXPECT_EQ((uintptr_t)p % (n >= 16 ? 16 : 8), 0);
		if (!all_bytes(p, 0xa5, n))
			KT_FAIL("kmalloc(%zu) is not filled with 0xa5", n);
		memset(p, 0x5a, n);
		kfree(p);
		unsigned char *z = kzalloc(n);
		ASSERT_NONNULL(z);
		if (!all_bytes(z, 0, n))
			KT_FAIL("kzalloc(%zu) is not zeroed", n);
		kfree(z);
	}
	EXPECT_EQ(settled_free(), base);
}

KTEST(kmem, kfree_null_is_ignored)
{
	kfree(NULL);
}

KTEST(kmem, freed_object_is_poisoned)
{
	size_t base = settled_free();
	unsigned char *p = kmalloc(200);
	ASSERT_NONNULL(p);
	memset(p, 0x11, 200);
	kfree(p);
	EXPECT_TRUE(freed_bytes_are(p, 0x6b, 256));
	EXPECT_EQ(settled_free(), base);
}

KTEST(kmem, reap_returns_frames_to_baseline)
{
	size_t base = settled_free();
	enum { N = 5000 };
	static void *ptr[N];
	for (int i = 0; i < N; i++) {
		ptr[i] = kmalloc(16u << (i % 8));
		ASSERT_NONNULL(ptr[i]);
	}
	EXPECT_LT(pmm_free_count(), base);
	for (int i = 0; i < N; i++)
		kfree(ptr[i]);
	EXPECT_LT(pmm_free_count(), base); /* the empty slabs stay cached until reaped */
	EXPECT_GT(kmem_reap(), 0);
	EXPECT_EQ(pmm_free_count(), base);
	EXPECT_EQ(kmem_reap(), 0);
	const char *err = pmm_check();
	if (err)
		KT_FAIL("pmm_check: %s", err);
}

KTEST(kmem, cache_many_objects_many_slabs)
{
	size_t base = settled_free();
	struct kmem_cache *c = kmem_cache_create("test-obj72", 72, 64);
	ASSERT_NONNULL(c);
	enum { N = 20000 };
	static uint32_t *obj[N];
	void *first_slab = NULL;
	bool other_slab = false;
	for (int i = 0; i < N; i++) {
		obj[i] = i % 3 ? kmem_cache_alloc(c) : kmem_cache_zalloc(c);
		ASSERT_NONNULL(obj[i]);
		EXPECT_EQ((uintptr_t)obj[i] % 64, 0);
		if (i % 3 == 0 && !all_bytes(obj[i], 0, 72))
			KT_FAIL("kmem_cache_zalloc object %d is not zeroed", i);
		if (i % 3 && !all_bytes(obj[i], 0xa5, 72))
			KT_FAIL("kmem_cache_alloc object %d is not filled with 0xa5", i);
		vm_page_t pg = phys_to_vm_page(virt_to_phys(obj[i]));
		ASSERT_NONNULL(pg);
		EXPECT_TRUE(pg->flags & VM_PAGE_KMEM);
		if (!first_slab)
			first_slab = pg->kmem_slab;
		other_slab |= pg->kmem_slab != first_slab;
		for (int w = 0; w < 18; w++)
			obj[i][w] = (uint32_t)i * 18 + (uint32_t)w;
	}
	EXPECT_TRUE(other_slab);
	CHECK_KMEM();
	/* Objects must not overlap: every one still holds what was written to it. */
	for (int i = 0; i < N; i++)
		for (int w = 0; w < 18; w++)
			if (obj[i][w] != (uint32_t)i * 18 + (uint32_t)w) {
				KT_FAIL("object %d word %d was overwritten", i, w);
				break;
			}
	for (int i = N - 1; i >= 0; i -= 2)
		kmem_cache_free(c, obj[i]);
	CHECK_KMEM();
	for (int i = N - 2; i >= 0; i -= 2)
		kmem_cache_free(c, obj[i]);
	CHECK_KMEM();
	kmem_cache_destroy(c);
	EXPECT_EQ(settled_free(), base);
}

KTEST(kmem, cache_odd_sizes_and_alignments)
{
	size_t base = settled_free();
	static const size_t sizes[] = {1, 8, 24, 40, 200, 1000, 3000, 5000, 70000, 300000};
	static const size_t aligns[] = {0, 8, 16, 64, 512, 4096};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (size_t j = 0; j < sizeof(aligns) / sizeof(aligns[0]); j++) {
			struct kmem_cache *c = kmem_cache_create("test-odd", sizes[i], aligns[j]);
			ASSERT_NONNULL(c);
			size_t a = aligns[j] ? aligns[j] : 8;
			void *o[40];
			for (int k = 0; k < 40; k++) {
				o[k] = kmem_cache_alloc(c);
				ASSERT_NONNULL(o[k]);
				EXPECT_EQ((uintptr_t)o[k] % a, 0);
				memset(o[k], k, sizes[i]);
			}
			for (int k = 0; k < 40; k++) {
				if (!all_bytes(o[k], k, sizes[i]))
					KT_FAIL("size %zu align %zu: object %d overwritten",
						sizes[i], a, k);
				kmem_cache_free(c, o[k]);
			}
			kmem_cache_destroy(c);
		}
	EXPECT_NULL(kmem_cache_create("bad-align", 32, 24));
	EXPECT_NULL(kmem_cache_create("zero-size", 0, 8));
	EXPECT_EQ(settled_free(), base);
}

KTEST(kmem, create_once_creates_one_cache)
{
	static struct kmem_cache *cache;
	/* refused: stays unset */
	EXPECT_NULL(kmem_cache_create_once(&cache, "test-once-bad", 32, 24));
	EXPECT_NULL(cache);
	struct kmem_cache *c = kmem_cache_create_once(&cache, "test-once", 48, 16);
	ASSERT_NONNULL(c);
	EXPECT_TRUE(cache == c);
	EXPECT_TRUE(kmem_cache_create_once(&cache, "test-once", 48, 16) == c);
	void *o = kmem_cache_alloc(c);
	ASSERT_NONNULL(o);
	EXPECT_EQ((uintptr_t)o % 16, 0);
	kmem_cache_free(c, o);
	kmem_cache_destroy(c);
	CHECK_KMEM();
}

KTEST(kmem, out_of_memory_returns_null)
{
	size_t base = settled_free();
	EXPECT_NULL(kmalloc((size_t)8 << 20)); /* above the largest pmm block */
	/* Take every frame, then ask for more. */
	static struct test_hoard hoard;
	test_take_all_frames(&hoard);
	ASSERT_EQ(pmm_free_count(), 0);
	EXPECT_NULL(kmalloc(32));
	EXPECT_NULL(kmalloc(100000));
	struct kmem_cache *c = kmem_cache_create("test-oom", 64, 0);
	EXPECT_NULL(c);
	test_give_back_frames(&hoard);
	EXPECT_EQ(settled_free(), base);
}

/* A model of live allocations, each filled with a tag byte that depends on its slot and the operation. */
KTEST(kmem, random_stress_against_model)
{
	size_t base = settled_free();
	unsigned seed = 0x6b6d656d;
	struct test_rng rng;
	test_rng_init(&rng, seed);
	enum { SLOTS = 2048, OPS = 200000, CACHED = 56 };
	static unsigned char *ptr[SLOTS];
	static size_t len[SLOTS];
	static bool from_cache[SLOTS];
	static unsigned char tag[SLOTS];
	struct kmem_cache *c = kmem_cache_create("test-stress", CACHED, 8);
	ASSERT_NONNULL(c);
	int failures = 0;
	for (int op = 0; op < OPS && failures < 5; op++) {
		int s = (int)test_rng_below(&rng, SLOTS);
		if (op % 2000 == 0) {
			const char *err = kmem_check();
			if (err) {
				KT_FAIL("seed %#x op %d: kmem_check: %s", seed, op, err);
				failures++;
			}
		}
		if (ptr[s]) {
			if (!all_bytes(ptr[s], tag[s], len[s])) {
				KT_FAIL("seed %#x op %d: slot %d (%zu bytes) lost its contents",
					seed, op, s, len[s]);
				failures++;
			}
			if (from_cache[s])
				kmem_cache_free(c, ptr[s]);
			else
				kfree(ptr[s]);
			ptr[s] = NULL;
			continue;
		}
		int kind = (int)test_rng_below(&rng, 16);
		from_cache[s] = kind >= 1 && kind < 3;
		if (from_cache[s]) {
			len[s] = CACHED;
			ptr[s] = test_rng_below(&rng, 2) ? kmem_cache_alloc(c)
							 : kmem_cache_zalloc(c);
		} else {
			len[s] = kind == 0 ? 2049 + test_rng_below(&rng, 63488)
					   : 1 + test_rng_below(&rng, kind < 8 ? 128 : 2048);
			ptr[s] = test_rng_below(&rng, 2) ? kmalloc(len[s]) : kzalloc(len[s]);
		}
		if (!ptr[s]) {
			KT_FAIL("seed %#x op %d: allocation of %zu bytes failed", seed, op, len[s]);
			failures++;
			continue;
		}
		tag[s] = (unsigned char)(op * 7 + s);
		memset(ptr[s], tag[s], len[s]);
	}
	for (int s = 0; s < SLOTS; s++) {
		if (!ptr[s])
			continue;
		if (!all_bytes(ptr[s], tag[s], len[s]))
			KT_FAIL("seed %#x: slot %d lost its contents at the end", seed, s);
		if (from_cache[s])
			kmem_cache_free(c, ptr[s]);
		else
			kfree(ptr[s]);
		ptr[s] = NULL;
	}
	CHECK_KMEM();
	kmem_cache_destroy(c);
	EXPECT_EQ(settled_free(), base);
	CHECK_KMEM();
	const char *err = pmm_check();
	if (err)
		KT_FAIL("pmm_check: %s", err);
}

static void double_kfree(void)
{
	void *p = kmalloc(40);
	kfree(p);
	kfree(p);
}

static void foreign_kfree(void)
{
	char *p = kmalloc(128);
	kfree(p + 8);
}

static void wrong_cache_free(void)
{
	struct kmem_cache *a = kmem_cache_create("test-cache-a", 32, 0);
	struct kmem_cache *b = kmem_cache_create("test-cache-b", 32, 0);
	kmem_cache_free(b, kmem_cache_alloc(a));
}

static void destroy_busy_cache(void)
{
	struct kmem_cache *c = kmem_cache_create("test-busy", 32, 0);
	kmem_cache_alloc(c);
	kmem_cache_destroy(c);
}

static void kfree_non_heap(void)
{
	vm_page_t pg = pmm_alloc_order(0, 0);
	kfree(phys_to_virt(vm_page_to_phys(pg)));
}

static void use_after_free(void)
{
	volatile char *p = kmalloc(64);
	kfree((void *)p);
	(void)p[3];
}

static void overflow_past_request(void)
{
	volatile char *p = kmalloc(40); /* a 64-byte object: bytes 40..63 stay poisoned */
	p[40] = 1;
}

KTEST(kmem, misuse_panics_with_cache_name)
{
	EXPECT_DIES(double_kfree, "kmalloc-64: double free");
	EXPECT_DIES(foreign_kfree, "kmalloc-128");
	EXPECT_DIES(wrong_cache_free, "belongs to cache test-cache-a");
	EXPECT_DIES(destroy_busy_cache, "test-busy still has 1 objects");
	EXPECT_DIES(kfree_non_heap, "is not kernel heap memory");
	if (HAVE_ASAN) {
		EXPECT_DIES(use_after_free, "use-after-poison");
		EXPECT_DIES(overflow_past_request, "use-after-poison");
	}
}

/*
 * A pmm re-initialization (host tests do it to start from a clean arena) forgets every slab; the
 * heap must notice, and the fresh arena, often mapped at the same address, must not keep the old
 * slabs' ASan poisoning.
 */
KTEST(kmem, pmm_reinit_forgets_heap)
{
	char *p = kmalloc(64);
	ASSERT_NONNULL(p);
	vm_paddr_t pa = virt_to_phys(p);
	kfree(p); /* leaves an empty, poisoned slab in kmalloc-64 */
	host_pmm_init(HOST_DEFAULT_ARENA);
	size_t fresh = pmm_free_count();
	volatile char *same = phys_to_virt(pa);
	same[0] = 1; /* ASan would report use-after-poison here if pmm_init kept the poisoning */
	EXPECT_EQ(kmem_reap(), 0);
	char *q = kmalloc(64);
	ASSERT_NONNULL(q);
	EXPECT_TRUE(all_bytes(q, 0xa5, 64));
	kfree(q);
	EXPECT_EQ(settled_free(), fresh);
}

/* kmem_check must notice a scribbled free object and a slab frame that lost its mark. */
KTEST(kmem, check_catches_corruption)
{
	size_t base = settled_free();
	CHECK_KMEM();
	unsigned char *keep = kmalloc(96), *p = kmalloc(96);
	ASSERT_NONNULL(keep);
	ASSERT_NONNULL(p);
	kfree(p);
	ASAN_UNPOISON_MEMORY_REGION(p + 17, 1);
	p[17] = 0;
	ASAN_POISON_MEMORY_REGION(p + 17, 1);
	const char *err = kmem_check();
	EXPECT_TRUE(err && strstr(err, "K3: cache kmalloc-128"));
	ASAN_UNPOISON_MEMORY_REGION(p + 17, 1);
	p[17] = 0x6b;
	ASAN_POISON_MEMORY_REGION(p + 17, 1);
	CHECK_KMEM();

	vm_page_t pg = phys_to_vm_page(virt_to_phys(keep));
	pg->flags &= (uint16_t)~VM_PAGE_KMEM;
	err = kmem_check();
	EXPECT_TRUE(err && strstr(err, "not marked"));
	pg->flags |= VM_PAGE_KMEM;
	CHECK_KMEM();
	kfree(keep);
	EXPECT_EQ(settled_free(), base);
}
