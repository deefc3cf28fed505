/*
 * include/uapi/syscall_list.h, the one list of system calls: the tables generated from it agree.
 * The numbers are dense from 1 to SYS_COUNT - 1 with none twice (so the kernel's dispatch table has
 * no hole), every call has one fuzzer kind per argument, and every generated library function has
 * a name of its own. The kernel's side (every number has a handler) is tests/kernel's
 * syscall_table; the user wrappers' types are checked by compiling user/syscall_wrappers.c against
 * the user headers.
 */
#include <stdbool.h>
#include <string.h>

#include "kernel/ktest.h"
#include "uapi/syscall.h"

struct entry {
	int nr;
	const char *name, *wrap, *uname, *fuzz;
	int nargs;
};

static const struct entry list[] = {
#define SYSCALL(nr, name, wrap, ret, uname, fuzz, n, pairs) {nr, #name, #wrap, #uname, fuzz, n},
#include "uapi/syscall_list.h"
#undef SYSCALL
};
#define N_LIST ((int)(sizeof(list) / sizeof(list[0])))

KTEST(syscall_list, numbers_dense_from_one)
{
	int seen[SYS_COUNT + 1] = {0};

	EXPECT_EQ(N_LIST, SYS_COUNT - 1);
	for (int i = 0; i < N_LIST; i++) {
		ASSERT_TRUE(list[i].nr >= 1 && list[i].nr < SYS_COUNT);
		seen[list[i].nr]++;
	}
	for (int nr = 1; nr < SYS_COUNT; nr++)
		EXPECT_EQ(seen[nr], 1);
}

KTEST(syscall_list, one_fuzz_kind_per_argument)
{
	for (int i = 0; i < N_LIST; i++) {
		EXPECT_TRUE(list[i].nargs >= 0 && list[i].nargs <= 6);
		EXPECT_EQ((int)strlen(list[i].fuzz), list[i].nargs);
		for (const char *k = list[i].fuzz; *k; k++)
			EXPECT_TRUE(strchr("izdqPplgfcnvBx", *k) != NULL);
	}
}

KTEST(syscall_list, generated_names_unique)
{
	for (int i = 0; i < N_LIST; i++) {
		bool generated = strcmp(list[i].wrap, "NONE") != 0;

		EXPECT_TRUE(!strcmp(list[i].wrap, "POSIX") || !strcmp(list[i].wrap, "RAW") ||
			    !strcmp(list[i].wrap, "LIBBPF") || !strcmp(list[i].wrap, "NONE"));
		for (int j = 0; j < i; j++) {
			EXPECT_TRUE(strcmp(list[i].name, list[j].name) != 0);
			if (generated && strcmp(list[j].wrap, "NONE"))
				EXPECT_TRUE(strcmp(list[i].uname, list[j].uname) != 0);
		}
	}
}
