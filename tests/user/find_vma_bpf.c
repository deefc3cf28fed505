/*
 * bpf_find_vma from BPF programs loaded through bpftool's skeleton of tests/bpf/find_vma.bpf.c, as
 * Linux's find_vma selftest does it: a raw_tp program on sys_enter of our getpid calls finds the
 * VMA of a function of this program (VM_EXEC set, the file named as this program through
 * vm_file->f_path.dentry->d_shortname, its inode and device, the mm's text bounds and exe_file),
 * of its data (the same file), of anonymous memory and of the stack (no file; start_stack is the
 * stack's top); address 0 gives -ENOENT, flags -EINVAL, our own map write-locked -EBUSY. The same
 * from a SYSCALL program run by BPF_PROG_TEST_RUN. Callbacks that write to the VMA or to the task
 * are refused at load with the verifier's message. Nothing stays loaded at the end.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "find_vma.skel.h"
#include "find_vma_fail1.skel.h"
#include "find_vma_fail2.skel.h"
#include "libbpf_util.h"
#include "uapi/bpf.h"

#define IMAGE_INO_BASE 16 /* kernel/image_btf.h: module inode numbers start here */
#define MODULES_DEV 1     /* kernel/image_btf.h: the boot modules' device, 0:1 */

static __attribute__((noinline)) int text_fn(int x)
{
	return x * 5 + 2;
}
static volatile int data_var = 7;

static struct find_vma *skel;

/* One getpid, whose sys_enter runs the program; the record it left is then in skel->bss. */
static void probe(uint64_t addr, uint64_t flags)
{
	skel->bss->addr = addr;
	skel->bss->flags = flags;
	skel->bss->runs = 0;
	skel->bss->cb_calls = 0;
	skel->bss->has_file = -1;
	skel->data->find_addr_ret = 12345;
	skel->data->find_zero_ret = 12345;
	memset(skel->bss->d_shortname, 0, sizeof(skel->bss->d_shortname));
	getpid();
}

static void test_image(const char *self)
{
	const char *name = strrchr(self, '/') ? strrchr(self, '/') + 1 : self;
	uint64_t text = (uint64_t)text_fn;

	probe(text, 0);
	CHECK_EQ(skel->bss->runs, 1);
	CHECK_EQ(skel->data->find_addr_ret, 0);
	CHECK_EQ(skel->data->find_zero_ret, -ENOENT);
	CHECK_EQ(skel->bss->cb_calls, 1); /* the second call found nothing to call back for */
	CHECK(skel->bss->vm_start <= text && text < skel->bss->vm_end);
	CHECK_EQ(skel->bss->found_vm_exec, 1);
	CHECK_EQ(skel->bss->vm_flags & (VM_READ | VM_WRITE | VM_EXEC), VM_READ | VM_EXEC);
	CHECK_EQ(skel->bss->has_file, 1);
	CHECK(!strcmp(skel->bss->d_shortname, name));
	if (strcmp(skel->bss->d_shortname, name))
		printf("# d_shortname \"%s\", expected \"%s\"\n", skel->bss->d_shortname, name);
	CHECK_EQ(skel->bss->name_len, strlen(name));
	CHECK(skel->bss->ino >= IMAGE_INO_BASE);
	CHECK_EQ(skel->bss->dev, MODULES_DEV);
	CHECK_EQ(skel->bss->same_task, 1);
	CHECK_EQ(skel->bss->same_mm, 1);
	CHECK_EQ(skel->bss->exe_is_file, 1);
	CHECK(skel->bss->start_code <= text && text < skel->bss->end_code);
	CHECK_EQ(skel->bss->start_code, skel->bss->vm_start);
	uint64_t text_ino = skel->bss->ino, text_pgoff = skel->bss->vm_pgoff;

	/* The data segment: the same file, further into it, not executable. */
	probe((uint64_t)&data_var, 0);
	CHECK_EQ(skel->data->find_addr_ret, 0);
	CHECK_EQ(skel->bss->has_file, 1);
	CHECK(!strcmp(skel->bss->d_shortname, name));
	CHECK_EQ(skel->bss->ino, text_ino);
	CHECK(skel->bss->vm_pgoff > text_pgoff);
	CHECK_EQ(skel->bss->vm_flags & (VM_READ | VM_WRITE | VM_EXEC), VM_READ | VM_WRITE);
	CHECK_EQ(skel->bss->exe_is_file, 1);
	CHECK_EQ(text_fn(1), 7);
}

static void test_anonymous(void)
{
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
	char here = 1;

	CHECK(m != MAP_FAILED);
	probe((uint64_t)m + 100, 0);
	CHECK_EQ(skel->data->find_addr_ret, 0);
	CHECK_EQ(skel->bss->has_file, 0);
	CHECK_EQ(skel->bss->d_shortname[0], 0);
	CHECK_EQ(skel->bss->vm_start, (uint64_t)m);
	CHECK_EQ(skel->bss->exe_is_file, 0);
	CHECK_EQ(munmap(m, 4096), 0);

	/* The stack: no file, and the mm's start_stack is its top. */
	probe((uint64_t)&here, 0);
	CHECK_EQ(skel->data->find_addr_ret, 0);
	CHECK_EQ(skel->bss->has_file, 0);
	CHECK(skel->bss->vm_flags & VM_STACK);
	CHECK_EQ(skel->bss->start_stack, skel->bss->vm_end);
	CHECK(here);
}

static void test_errors(void)
{
	probe((uint64_t)text_fn, 1);
	CHECK_EQ(skel->data->find_addr_ret, -EINVAL);
	CHECK_EQ(skel->bss->cb_calls, 0);
	probe((uint64_t)text_fn, 1ul << 40);
	CHECK_EQ(skel->data->find_addr_ret, -EINVAL);
	probe(USER_TOP, 0);
	CHECK_EQ(skel->data->find_addr_ret, -ENOENT);
	CHECK_EQ(skel->bss->cb_calls, 0);

	/*
	 * Our own map write-locked by ourselves: the program cannot take it for reading without
	 * waiting. Everything touched while it is held was touched before (no page fault).
	 */
	probe((uint64_t)text_fn, 0);
	CHECK_EQ(sys2(SYS_task_lock_map, 0, 1), 0);
	skel->data->find_addr_ret = 12345;
	getpid();
	long busy = skel->data->find_addr_ret;
	CHECK_EQ(sys2(SYS_task_lock_map, 0, 0), 0);
	CHECK_EQ(busy, -EBUSY);
	probe((uint64_t)text_fn, 0);
	CHECK_EQ(skel->data->find_addr_ret, 0);
}

static void test_syscall_prog(void)
{
	skel->bss->addr = (uint64_t)text_fn;
	skel->bss->flags = 0;
	skel->data->find_addr_ret = 12345;
	skel->bss->has_file = -1;
	CHECK_EQ(run_syscall(skel->progs.find_vma_syscall), 0);
	CHECK_EQ(skel->data->find_addr_ret, 0);
	CHECK_EQ(skel->bss->cb_calls, 1);
	CHECK_EQ(skel->bss->has_file, 1);
	CHECK_EQ(skel->bss->found_vm_exec, 1);
	skel->bss->addr = 0;
	CHECK_EQ(run_syscall(skel->progs.find_vma_syscall), 0);
	CHECK_EQ(skel->data->find_addr_ret, -ENOENT);
}

/* Callbacks writing through their read-only pointers: refused at load, with Linux's message. */
static void test_refused(void)
{
	capture_begin();
	struct find_vma_fail1 *f1 = find_vma_fail1__open_and_load();
	CHECK(f1 == NULL);
	CHECK_EQ(errno, EACCES);
	CHECK(captured("only read is supported"));
	find_vma_fail1__destroy(f1);
	lb_len = 0;
	lb_msgs[0] = 0;
	struct find_vma_fail2 *f2 = find_vma_fail2__open_and_load();
	CHECK(f2 == NULL);
	CHECK_EQ(errno, EACCES);
	CHECK(captured("only read is supported"));
	find_vma_fail2__destroy(f2);
	capture_end();
	if (utest_failures)
		capture_show();
}

int main(int argc, char **argv)
{
	int progs = count_progs(), maps = count_maps();

	(void)argc;
	skel = find_vma__open();
	CHECK(skel != NULL);
	if (!skel)
		return utest_result("find_vma_bpf");
	skel->rodata->getpid_nr = SYS_getpid;
	CHECK_EQ(find_vma__load(skel), 0);
	CHECK_EQ(find_vma__attach(skel), 0);
	skel->bss->target_pid = getpid();
	if (!utest_failures) {
		test_image(argv[0]);
		test_anonymous();
		test_errors();
		test_syscall_prog();
	}
	find_vma__destroy(skel);
	test_refused();
	CHECK_EQ(count_progs(), progs);
	CHECK_EQ(count_maps(), maps);
	return utest_result("find_vma_bpf");
}
