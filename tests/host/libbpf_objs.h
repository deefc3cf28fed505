/*
 * For the host tests of the loader (tests/host/test_libbpf_*.c): clang-built BPF objects read from
 * LIBBPF_OBJ_DIR (build/host/libbpf/, which the Makefile makes from the .bpf.c files of
 * tests/host/libbpf/) and
 * opened with the loader's own ELF, BTF and .BTF.ext code (user/libbpf/, linked in).
 */
#ifndef TESTS_HOST_LIBBPF_OBJS_H
#define TESTS_HOST_LIBBPF_OBJS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "user/libbpf/btf.h"
#include "user/libbpf/btf_ext.h"
#include "user/libbpf/elf.h"

#ifndef LIBBPF_OBJ_DIR
#define LIBBPF_OBJ_DIR "build/host/libbpf"
#endif

struct test_obj {
	uint8_t *buf;
	size_t size;
	struct elf_file ef;
	struct btf *btf;
	struct btf_ext *ext;
};

/* The bytes of LIBBPF_OBJ_DIR/name (malloc'd, *size set), or NULL. */
static inline uint8_t *test_obj_read(const char *name, size_t *size)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", LIBBPF_OBJ_DIR, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return buf;
}

/* Opens object name with its BTF and .BTF.ext (when present): 0, or -1 (printed). */
static inline int test_obj_open(struct test_obj *o, const char *name)
{
	const char *why = "";

	memset(o, 0, sizeof(*o));
	o->buf = test_obj_read(name, &o->size);
	if (!o->buf) {
		printf("# cannot read %s/%s\n", LIBBPF_OBJ_DIR, name);
		return -1;
	}
	if (elf_open(o->buf, o->size, &o->ef, &why)) {
		printf("# %s: %s\n", name, why);
		return -1;
	}
	uint32_t s = elf_find_sec(&o->ef, ".BTF");
	if (s && btf_parse(o->ef.secs[s].data, o->ef.secs[s].size, &o->btf, &why)) {
		printf("# %s .BTF: %s\n", name, why);
		return -1;
	}
	s = elf_find_sec(&o->ef, ".BTF.ext");
	if (s && btf_ext_parse(o->ef.secs[s].data, o->ef.secs[s].size, o->btf, &o->ext, &why)) {
		printf("# %s .BTF.ext: %s\n", name, why);
		return -1;
	}
	return 0;
}

static inline void test_obj_close(struct test_obj *o)
{
	btf_ext_free(o->ext);
	btf_free(o->btf);
	elf_close(&o->ef);
	free(o->buf);
	memset(o, 0, sizeof(*o));
}

#endif
