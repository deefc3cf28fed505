/*
 * The CO-RE host test's program (tests/host/test_libbpf_core.c): its own idea of the "kernel"
 * types, laid out differently from core_types.h, and one function per relocation case, each in its
 * own section so that the test finds its relocations by section name.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

enum kstate {
	K_RUNNING = 1,
	K_SLEEPING = 2,
	K_GONE = 3,
	K_NEG = 4,
};

struct kern_mm {
	unsigned long vm_start;
} __attribute__((preserve_access_index));

struct kern_task {
	int pid;
	short tgid;
	unsigned int mid : 9, lo : 3;
	int anon_b;
	char comm[16];
	struct kern_mm *mm;
	enum kstate state;
	unsigned int wide;
	int missing;
	int arr[4];
} __attribute__((preserve_access_index));

struct kern_task___flavor {
	int pid;
} __attribute__((preserve_access_index));

struct nonexistent {
	int x;
} __attribute__((preserve_access_index));

struct amb {
	int x;
} __attribute__((preserve_access_index));

#define CASE(name) SEC("core/" #name) int name(struct kern_task *t)

CASE(off_pid)
{
	return bpf_core_field_offset(struct kern_task, pid);
}
CASE(off_anon_b)
{
	return bpf_core_field_offset(struct kern_task, anon_b);
}
CASE(off_comm2)
{
	return bpf_core_field_offset(t->comm[2]);
}
CASE(off_arr3)
{
	return bpf_core_field_offset(t->arr[3]);
}
CASE(size_tgid)
{
	return bpf_core_field_size(struct kern_task, tgid);
}
CASE(size_wide)
{
	return bpf_core_field_size(struct kern_task, wide);
}
CASE(size_comm)
{
	return bpf_core_field_size(struct kern_task, comm);
}
CASE(exists_pid)
{
	return bpf_core_field_exists(struct kern_task, pid);
}
CASE(exists_missing)
{
	return bpf_core_field_exists(struct kern_task, missing);
}
CASE(signed_pid)
{
	return __builtin_preserve_field_info(t->pid, BPF_FIELD_SIGNED);
}
CASE(signed_wide)
{
	return __builtin_preserve_field_info(t->wide, BPF_FIELD_SIGNED);
}
CASE(lshift_mid)
{
	return __builtin_preserve_field_info(t->mid, BPF_FIELD_LSHIFT_U64);
}
CASE(rshift_mid)
{
	return __builtin_preserve_field_info(t->mid, BPF_FIELD_RSHIFT_U64);
}
CASE(off_mid)
{
	return __builtin_preserve_field_info(t->mid, BPF_FIELD_BYTE_OFFSET);
}
CASE(size_mid)
{
	return __builtin_preserve_field_info(t->mid, BPF_FIELD_BYTE_SIZE);
}
CASE(type_exists)
{
	return bpf_core_type_exists(struct kern_task);
}
CASE(type_missing)
{
	return bpf_core_type_exists(struct nonexistent);
}
CASE(type_size)
{
	return bpf_core_type_size(struct kern_task);
}
CASE(type_id_local)
{
	return bpf_core_type_id_local(struct kern_task);
}
CASE(type_id_target)
{
	return bpf_core_type_id_kernel(struct kern_task);
}
CASE(enum_exists)
{
	return bpf_core_enum_value_exists(enum kstate, K_SLEEPING);
}
CASE(enum_missing)
{
	return bpf_core_enum_value_exists(enum kstate, K_GONE);
}
CASE(enum_value)
{
	return bpf_core_enum_value(enum kstate, K_SLEEPING);
}
CASE(enum_neg)
{
	return bpf_core_enum_value(enum kstate, K_NEG);
}
CASE(flavor_pid)
{
	return bpf_core_field_offset(struct kern_task___flavor, pid);
}
CASE(ld_pid)
{
	return t->pid;
}
CASE(ld_wide)
{
	return t->wide;
}
CASE(ld_chain)
{
	return t->mm->vm_start;
}
CASE(ld_missing)
{
	return t->missing;
}
CASE(ambiguous)
{
	return bpf_core_field_offset(struct amb, x);
}

char _license[] SEC("license") = "GPL";
